package bench

import (
	"fmt"
	"math/rand/v2"
	"runtime"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/kernels"
)

// Batch is the batch size of every case: the protocol's 100 examples.
const Batch = 100

// ImplGonum is the Impl of the SGEMM peer, gonum's blas32.Gemm (its pure-Go
// gonum.Implementation, which splits work over GOMAXPROCS goroutines).
const ImplGonum = "gonum"

// Shape is one (C, L) configuration of the VAE: L latents of C categories.
type Shape struct{ C, L int }

// String is "CxL", e.g. "8x4", as in case names.
func (s Shape) String() string { return fmt.Sprintf("%dx%d", s.C, s.L) }

// Shapes returns the five configurations of the comparison that the
// benchmarks use, as C×L: 8×4, 4×24, 16×12, 64×8 and 10×30 (a fresh slice).
func Shapes() []Shape {
	return []Shape{{8, 4}, {4, 24}, {16, 12}, {64, 8}, {10, 30}}
}

// shapes returns the configurations o measures: 8×4 alone when Quick.
func (o Options) shapes() []Shape {
	if o.Quick {
		return Shapes()[:1]
	}
	return Shapes()
}

// layer is one linear layer of the 8×4 VAE, In inputs to Out outputs.
type layer struct {
	name    string
	in, out int
}

// vaeLayers are the six layers of the 8×4 network (L·C = 32).
var vaeLayers = []layer{
	{"enc1", 784, 512}, {"enc2", 512, 256}, {"enc3", 256, 32},
	{"dec1", 32, 256}, {"dec2", 256, 512}, {"dec3", 512, 784},
}

// gemmShape is one product C[m×n] = op(A)·op(B) with k the inner size, as
// nn.Linear issues it.
type gemmShape struct {
	name    string // layer.form, e.g. "enc1.fwd"
	tA, tB  bool
	m, n, k int
}

// gemmShapes lists the products of the 8×4 VAE at batch 100, as nn.Linear
// computes them with W stored [out, in]: forward y = x·Wᵀ (m = batch, n =
// out, k = in, B transposed), dW = dyᵀ·x (m = out, n = in, k = batch, A
// transposed) and dx = dy·W (m = batch, n = in, k = out). The first layer's
// dx is never computed in training and is left out. quick keeps the forward
// products only.
func gemmShapes(quick bool) []gemmShape {
	var s []gemmShape
	for _, l := range vaeLayers {
		s = append(s, gemmShape{l.name + ".fwd", false, true, Batch, l.out, l.in})
		if quick {
			continue
		}
		s = append(s, gemmShape{l.name + ".dW", true, false, l.out, l.in, Batch})
		if l.name != "enc1" {
			s = append(s, gemmShape{l.name + ".dx", false, false, Batch, l.in, l.out})
		}
	}
	return s
}

// SgemmCases returns one case per VAE product (see the package
// documentation; forward products only when o.Quick), per implementation
// (gonum, then kernels.Available()) and per thread count, named
// "sgemm/<layer>.<fwd|dW|dx>/<m>x<n>x<k>/<impl>/t<threads>", each with
// gonum at the same shape and threads as its baseline. Operands are
// uniform in [-1, 1); beta is 0, as in training. The kernels cases run
// with kernels.Use(impl); the gonum cases with GOMAXPROCS = threads.
func SgemmCases(o Options) ([]Case, error) {
	o, err := o.withDefaults("SgemmCases")
	if err != nil {
		return nil, err
	}
	// gonum first: a baseline is measured before the cases compared with it.
	impls := append([]string{ImplGonum}, kernels.Available()...)
	var cs []Case
	for _, s := range gemmShapes(o.Quick) {
		prefix := fmt.Sprintf("%s/%s/%dx%dx%d/", GroupSgemm, s.name, s.m, s.n, s.k)
		for _, impl := range impls {
			for _, t := range o.Threads {
				c := Case{
					Name: prefix + impl + "/" + threadSuffix(t), Group: GroupSgemm, Impl: impl, Threads: t,
					Work: 2 * float64(s.m) * float64(s.n) * float64(s.k), Unit: UnitGFLOPS,
				}
				if impl != ImplGonum {
					c.Baseline = prefix + ImplGonum + "/" + threadSuffix(t)
				}
				c.setup = sgemmSetup(s, impl, t)
				cs = append(cs, c)
			}
		}
	}
	return cs, nil
}

// sgemmSetup returns the set-up of the product s with impl at threads.
func sgemmSetup(s gemmShape, impl string, threads int) func() (func(int) error, func(), error) {
	return func() (func(int) error, func(), error) {
		op, _, cleanup, err := newSgemmOp(s, impl, threads)
		return op, cleanup, err
	}
}

// newSgemmOp builds the operands of s (A and B uniform in [-1, 1) from a
// fixed seed, so every implementation multiplies the same matrices) and
// returns the product as an operation, its output C (m×n) and the cleanup.
func newSgemmOp(s gemmShape, impl string, threads int) (op func(int) error, c []float32, cleanup func(), err error) {
	r := rand.New(rand.NewPCG(1, 2))
	a, b := uniforms(r, s.m*s.k), uniforms(r, s.k*s.n)
	c = make([]float32, s.m*s.n)
	// Stored shapes: A is k×m when transposed, else m×k; B is n×k when
	// transposed, else k×n.
	lda, ldb := s.k, s.n
	if s.tA {
		lda = s.m
	}
	if s.tB {
		ldb = s.k
	}
	if impl == ImplGonum {
		ga := blas32.General{Rows: s.m, Cols: s.k, Stride: lda, Data: a}
		if s.tA {
			ga.Rows, ga.Cols = s.k, s.m
		}
		gb := blas32.General{Rows: s.k, Cols: s.n, Stride: ldb, Data: b}
		if s.tB {
			gb.Rows, gb.Cols = s.n, s.k
		}
		gc := blas32.General{Rows: s.m, Cols: s.n, Stride: s.n, Data: c}
		// gonum splits a product over GOMAXPROCS goroutines.
		prev := runtime.GOMAXPROCS(threads)
		op = func(int) error {
			blas32.Gemm(transpose(s.tA), transpose(s.tB), 1, ga, gb, 0, gc)
			return nil
		}
		return op, c, func() { runtime.GOMAXPROCS(prev) }, nil
	}
	restore, err := kernels.Use(impl)
	if err != nil {
		return nil, nil, nil, err
	}
	ws := kernels.NewWorkspace(threads)
	op = func(int) error {
		return kernels.Sgemm(ws, s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, s.n)
	}
	return op, c, func() { ws.Close(); restore() }, nil
}

func transpose(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// uniforms returns n values uniform in [-1, 1).
func uniforms(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = 2*r.Float32() - 1
	}
	return x
}

// normals returns n values N(0, sd²).
func normals(r *rand.Rand, n int, sd float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(sd * r.NormFloat64())
	}
	return x
}

// SoftmaxCases returns, per configuration C×L (8×4 alone when o.Quick),
// implementation (kernels.Available()) and thread count, three cases
// measured in rows/s: SoftmaxRows on the encoder's logits (100·L rows of C,
// "softmax/CxL/<rows>x<C>/<impl>/t<threads>"), SoftmaxSampleRows on the same
// rows ("softmax-sample/…"), and SoftmaxRows on the [100·L·K, C] matrix of
// conditional-Gumbel repeats with K = 100 ("softmax/CxL.K100/…"). Logits
// are N(0, 2²), tau 1.
func SoftmaxCases(o Options) ([]Case, error) {
	o, err := o.withDefaults("SoftmaxCases")
	if err != nil {
		return nil, err
	}
	var cs []Case
	for _, sh := range o.shapes() {
		rows := Batch * sh.L
		kinds := []struct {
			group, tag string
			rows       int
		}{
			{GroupSoftmax, sh.String(), rows},
			{GroupSoftmaxSample, sh.String(), rows},
			{GroupSoftmax, fmt.Sprintf("%s.K%d", sh, estimators.DefaultK), rows * estimators.DefaultK},
		}
		for _, k := range kinds {
			for _, impl := range kernels.Available() {
				for _, t := range o.Threads {
					cs = append(cs, Case{
						Name:  fmt.Sprintf("%s/%s/%dx%d/%s/%s", k.group, k.tag, k.rows, sh.C, impl, threadSuffix(t)),
						Group: k.group, Impl: impl, Threads: t,
						Work: float64(k.rows), Unit: UnitRows,
						setup: softmaxSetup(k.group == GroupSoftmaxSample, k.rows, sh.C, impl, t),
					})
				}
			}
		}
	}
	return cs, nil
}

// softmaxSetup builds rows×cols logits and returns the timed softmax (or
// fused softmax + sampling).
func softmaxSetup(sample bool, rows, cols int, impl string, threads int) func() (func(int) error, func(), error) {
	return func() (func(int) error, func(), error) {
		r := rand.New(rand.NewPCG(3, 4))
		logits := normals(r, rows*cols, 2)
		dst := make([]float32, rows*cols)
		u := make([]float32, rows)
		kernels.Uniforms(r, u)
		idx := make([]int32, rows)
		restore, err := kernels.Use(impl)
		if err != nil {
			return nil, nil, err
		}
		ws := kernels.NewWorkspace(threads)
		op := func(int) error {
			if sample {
				return kernels.SoftmaxSampleRows(ws, dst, idx, logits, rows, cols, u)
			}
			return kernels.SoftmaxRows(ws, dst, logits, rows, cols, 1, nil)
		}
		return op, func() { ws.Close(); restore() }, nil
	}
}
