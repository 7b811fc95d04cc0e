package kernels

import (
	"fmt"
	"sync/atomic"
)

// impl is one implementation of the inner loops: a table of kernels with
// one signature per field. Every table is one composite literal that names
// every kernel it runs: genericImpl (generic.go) holds the Go twins, the
// assembly tables are in impl_amd64.go and impl_arm64.go, and the init
// below registers them. Every field is set in every table (TestTables),
// so the drivers call them without nil checks, except gemmPack, gemmPackT
// and gemmPF: a table has those only where its ISA makes them pay, and
// which of them it has is what the GEMM driver chooses its B packing by.
// Fields are owned by the code that uses them: gemm* and transpose8 by
// gemm.go and pack.go, softmax by softmax.go, sample by sample.go, negLog
// by rng.go, and so on as noted below.
type impl struct {
	name string
	w    int // vector width in float32 lanes (1 for generic)

	// GEMM micro-kernel: C[mr×nr] = Apanel·Bpanel + beta*C, where Apanel is
	// kc×mr and Bpanel kc×nr, both k-major and contiguous, and c is
	// row-major with ldc; beta = 0 never reads C. The driver passes the
	// caller's beta on the first k-block and 1 on the others.
	mr, nr int
	kc     int // fixed k-block of this implementation (it fixes the summation order)
	gemm   func(kc int, a, b, c []float32, ldc int, beta float32)
	// gemmPack (optional, nil: pack B first): gemm with the B panel read
	// from op(B)'s stored rows, b[p*ldb : p*ldb+nr] for p < kc (B not
	// transposed), and also written packed to pb[p*nr:], for the driver to
	// reuse on the tile's other row panels; the same bits as gemm.
	gemmPack func(kc int, a, b []float32, ldb int, pb, c []float32, ldc int, beta float32)
	// gemmPackT (optional, nil: pack B first): gemmPack for op(B) = Bᵀ,
	// the panel's element (p, j) read from b[j*ldb+p]; kc%4 == 0.
	gemmPackT func(kc int, a, b []float32, ldb int, pb, c []float32, ldc int, beta float32)
	// gemmPF (optional, for tables without gemmPackT): gemm that also
	// prefetches kc floats of each of the nr rows of pf, ldpf apart (the
	// next transposed B panel, so that packB reads it from cache).
	gemmPF func(kc int, a, b, c []float32, ldc int, beta float32, pf []float32, ldpf int)
	// gemmIdx: gemm over the k steps p = idx[0], idx[1], ... only, in that
	// order, of full packed panels (a[p*mr:], b[p*nr:]). The driver lists
	// the steps where the sparse operand's panel holds a nonzero, so the
	// result has gemm's bits over all steps whenever the other panel is
	// finite (but for the sign of a zero, see SgemmSparse).
	gemmIdx func(idx []int32, a, b, c []float32, ldc int, beta float32)
	// nonzero (gemmsparse.go): bit i%32 of bits[i/32] = x[i] is not ±0,
	// len(x) == 32*len(bits).
	nonzero func(x []float32, bits []uint32)
	// transpose8 (pack.go): dst[p*ldd+r] = alpha*src[r*lds+p] for r < 8
	// and p < cols, cols%8 == 0, cols >= 8: the transposes that pack A
	// and a transposed B.
	transpose8 func(dst []float32, ldd int, src []float32, lds, cols int, alpha float32)

	// Row kernels (softmax.go, sample.go, rng.go; the Go twins are
	// softmaxRowsGeneric, sampleRowsGeneric, softmaxSampleGeneric and
	// negLogGeneric). The assembly sees whole vectors only: cols%w == 0 (the
	// Go driver pads with -Inf for softmax, 0 for sampling), and for sample
	// and softmaxSample also rows%w == 0. scratch/cdf hold at least w*cols
	// floats.
	//
	// softmax: for the rows = len(stats)/2 rows of cols floats,
	// dst = softmax((src-max)*invTau) with stats[2r] = max, stats[2r+1] = the
	// sum of the exponentials (>= 1 unless the row is bad, then NaN).
	softmax func(dst, src, stats, scratch []float32, cols int, invTau float32)

	// sample: idx[r] = first j with cdf[j] > u[r]*total for the rows =
	// len(idx) rows of cols probabilities, -2 if there is none, -1 for an
	// invalid row.
	sample func(idx []int32, p, u, cdf []float32, cols int)

	// softmaxSample: softmax with invTau = 1, then sample on its output,
	// in one pass (rows = len(idx); rows that fail the softmax get an
	// unspecified idx).
	softmaxSample func(dst, src, stats, scratch []float32, idx []int32, u []float32, cols int)

	// negLog: dst holds 24-bit integers (as float32 bit patterns, see
	// rng.go); replace each k by U = max(k, 1/2)·2^-24 and then apply
	// x -> -log(x) n times (1: Exp(1) draws, 2: Gumbel draws).
	// len(dst)%w == 0.
	negLog func(dst []float32, n int)

	// xoshiro (xoshiro.go; twin xoshiro8Generic): len(dst)/8 steps of the
	// eight xoshiro128++ lanes of s, writing output>>8 of lane l at step t
	// into dst[8t+l] as float32 bits. len(dst)%8 == 0.
	xoshiro func(s *[32]uint32, dst []float32)

	// negLogF (neglog.go; twin negLogNormalsGeneric): x[i] =
	// negLogf32(x[i]) (−Inf for +Inf) from the start, up to the first
	// vector (the twin: element) with a value outside [2^-126, MaxFloat32]
	// ∪ {+Inf} (NaN included), which stays untouched; it returns the
	// number of elements done. len(x)%w == 0.
	negLogF func(x []float32) int

	// The conditional-Gumbel and Jacobian-average kernels; the Go twins
	// ignore tail and masks (the lane masks of the vector kernels).
	//
	// cgAvgJ (condgumbel.go; twin cgAvgJGeneric): avg = Σ_k J(p_k) g over
	// the K noise rows of e, C = len(avg), with w_i = 0 set by the caller;
	// tail masks the lanes of a row's last vector (all on when C%8 == 0).
	cgAvgJ func(avg, e, w, g []float32, i, K int, z float32, tail *[8]int32)
	// cgLogits (condgumbel.go; twin cgLogitsGeneric): cgNegLog(a_kj) over
	// the K rows of e, C = len(w), w_i = 0 set by the caller, tail as for
	// cgAvgJ.
	cgLogits func(e, w []float32, i, K int, z float32, tail *[8]int32)
	// cgLanes (cglanes.go; twin cgLanesGeneric): the lane accumulators of
	// CondGumbelAvgJTau for C <= CondGumbelLanesMaxC, w_i = 0 set by the
	// caller, masks = &cgTailMasks.
	cgLanes func(acc, x, e, w, g []float32, i, K int, z, invTau float32, masks *[8][8]int32, tau1 bool)
	// avgJac (avgjacobian.go; twin avgJacGeneric): avg = Σ_k J(p_k) g over
	// the K rows of p, C = len(avg), tail as for cgAvgJ.
	avgJac func(avg, p, g []float32, K int, tail *[8]int32)

	// Elementwise kernels of the loss and the optimisers (sigmoidbce.go,
	// adam.go, finite.go; twins bceGeneric, adamGeneric, radamGeneric,
	// finiteGeneric). The assembly sees whole vectors only: len(z), len(p)
	// and len(x) are multiples of 8.
	//
	// bce: for each i, the loss term e_i and gradient g_i of bceElem;
	// acc[i%8] += float64(e_i) in index order and, if len(dz) > 0,
	// dz[i] = scale*g_i. It returns the updated acc.
	bce func(dz, z, x []float32, scale float32, acc [8]float64) [8]float64
	// adam, radam: one optimiser update of len(p) elements with the
	// per-step scalars in k (see adamConsts).
	adam, radam func(p, g, m, v []float32, k adamConsts)
	// finite reports whether x holds no NaN and no ±Inf.
	finite func(x []float32) bool

	// Layer helpers (elementwise.go; twins addBiasGeneric, sumRowsGeneric,
	// reluGeneric, reluBackwardGeneric). addBias: m[r*cols+j] += bias[j]
	// for r < rows, j < len(bias) (len(bias)%8 == 0, len(bias) <= cols).
	// sumRows: dst[j] += m[r*cols+j] for r = 0, 1, ... in order, j <
	// len(dst) (len(dst)%8 == 0, <= cols). relu: y = max(x, 0) (Go's max:
	// NaN stays, -0 -> +0); reluBackward: dx = y > 0 ? dy : 0; lengths
	// multiples of 8.
	addBias      func(m []float32, rows, cols int, bias []float32)
	sumRows      func(dst, m []float32, rows, cols int)
	relu         func(y, x []float32)
	reluBackward func(dx, dy, y []float32)
}

// archTable is one assembly table of this architecture and whether this
// CPU runs it (archTables, in impl_amd64.go, impl_arm64.go and
// impl_other.go).
type archTable struct {
	im  *impl
	run bool
}

var (
	// impls lists the tables this CPU runs, best first; generic is last.
	impls []*impl
	// active is the table in use (Use changes it).
	active atomic.Pointer[impl]
)

// init is the one place where tables are registered: those of archTables
// that this CPU runs, in its order, then generic; the first is active.
func init() {
	for _, t := range archTables() {
		if t.run {
			impls = append(impls, t.im)
		}
	}
	impls = append(impls, genericImpl)
	active.Store(impls[0])
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

// Active reports the active implementation ("avx512", "avx2", "neon" or
// "generic").
func Active() string { return current().name }

// Available lists the implementations this CPU supports, best first,
// "generic" last.
func Available() []string {
	names := make([]string, len(impls))
	for i, im := range impls {
		names[i] = im.name
	}
	return names
}

// Use makes the named implementation active process-wide and returns a
// function that restores the previous one. Unknown names, and names this CPU
// does not support, are an error wrapping ErrArgument. It is meant for
// benchmarks, tests and a command-line switch: do not call it while kernels
// are running in other goroutines.
func Use(name string) (restore func(), err error) {
	im, err := lookup(name)
	if err != nil {
		return nil, err
	}
	prev := active.Swap(im)
	return func() { active.Store(prev) }, nil
}
