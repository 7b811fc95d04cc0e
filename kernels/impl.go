package kernels

import (
	"fmt"
	"sync/atomic"
)

// impl is one implementation of the inner loops. The Go twins form
// genericImpl; each architecture file registers its assembly table in init.
// Fields are owned by the code that uses them: gemm* by gemm.go, softmax by
// softmax.go, sample by sample.go.
type impl struct {
	name string
	w    int // vector width in float32 lanes (1 for generic)

	// GEMM micro-kernel: C[mr×nr] += Apanel·Bpanel, where Apanel is kc×mr and
	// Bpanel kc×nr, both k-major and contiguous; c is row-major with ldc.
	mr, nr int
	kc     int // fixed k-block of this implementation (it fixes the summation order)
	gemm   func(kc int, a, b, c *float32, ldc int)

	// softmax: rows of cols floats (cols%w == 0, padding is -Inf):
	// dst = softmax(src*invTau), lse[r] = log-sum-exp of the scaled row.
	softmax func(dst, src, lse []float32, cols int, invTau float32)

	// sample: rows of cols non-negative floats (cols%w == 0, padding is 0):
	// idx[r] = first j with cdf[j] > u[r]*total (see sample.go).
	sample func(idx []int32, p []float32, cols int, u []float32)
}

// impls lists the registered implementations, best first; generic is last.
var impls = []*impl{genericImpl}

var active atomic.Pointer[impl]

func init() { active.Store(impls[0]) }

// register puts an assembly implementation ahead of the generic one.
// Called from the architecture files' init, before the package init above
// picks the active one (file order: impl.go's init runs after kernels_*.go's
// var initialisation because register is called from a var initialiser).
func register(im *impl) bool {
	impls = append([]*impl{im}, impls...)
	return true
}

func current() *impl { return active.Load() }

func lookup(name string) (*impl, error) {
	for _, im := range impls {
		if im.name == name {
			return im, nil
		}
	}
	return nil, fmt.Errorf("kernels.Use: unknown or unsupported implementation %q (available: %v): %w",
		name, Available(), ErrArgument)
}
