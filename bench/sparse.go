package bench

import (
	"fmt"
	"math/rand/v2"

	"github.com/discretegrad/reinmax/kernels"
	"github.com/discretegrad/reinmax/vae"
)

// SgemmMNISTCases returns the first layer's two products on a batch of MNIST
// images, the first Batch images of the training set, whose pixels are 81%
// zeros: the forward y = x·Wᵀ (the images are op(A)) and dW = dyᵀ·x (op(B)).
// Per product, implementation (kernels.Available()) and thread count there
// are two cases: "sgemm-mnist/enc1.<fwd|dW>/<m>x<n>x<k>/<impl>/t<threads>"
// runs kernels.Sgemm, and "sgemm-mnist/enc1.<fwd|dW>.sparse/…" runs
// kernels.SgemmSparse (the same bits) with the dense case as its baseline.
// GFLOP/s counts every product, skipped or not. W and dy are uniform in
// [-1, 1) as in SgemmCases. The training set (o.Data, else MNIST from
// o.DataDir or vae.FindMNIST) is read once, when the first selected case is
// set up; without it the set-up error wraps ErrNoData.
func SgemmMNISTCases(o Options) ([]Case, error) {
	o, err := o.withDefaults("SgemmMNISTCases")
	if err != nil {
		return nil, err
	}
	src := &dataSource{data: o.Data, dir: o.DataDir}
	var cs []Case
	for _, s := range mnistShapes {
		for _, impl := range kernels.Available() {
			for _, t := range o.Threads {
				for _, sp := range []kernels.Sparsity{kernels.Dense, s.sp} {
					name := s.name
					if sp != kernels.Dense {
						name += ".sparse"
					}
					at := fmt.Sprintf("/%dx%dx%d/%s/%s", s.m, s.n, s.k, impl, threadSuffix(t))
					c := Case{
						Name: GroupSgemmMNIST + "/" + name + at, Group: GroupSgemmMNIST, Impl: impl, Threads: t,
						Work: 2 * float64(s.m) * float64(s.n) * float64(s.k), Unit: UnitGFLOPS,
						setup: sgemmMNISTSetup(src, s.gemmShape, sp, impl, t),
					}
					if sp != kernels.Dense {
						c.Baseline = GroupSgemmMNIST + "/" + s.name + at
					}
					cs = append(cs, c)
				}
			}
		}
	}
	return cs, nil
}

// mnistShapes are the first layer's products with the images' sparsity.
var mnistShapes = []struct {
	gemmShape
	sp kernels.Sparsity
}{
	{gemmShape{"enc1.fwd", false, true, Batch, 512, vae.ImagePixels}, kernels.SparseA},
	{gemmShape{"enc1.dW", true, false, 512, vae.ImagePixels, Batch}, kernels.SparseB},
}

// sgemmMNISTSetup returns the set-up of the first-layer product s on the
// images of src, with sparsity sp, impl and threads.
func sgemmMNISTSetup(src *dataSource, s gemmShape, sp kernels.Sparsity, impl string, threads int) func() (func(int) error, func(), error) {
	return func() (func(int) error, func(), error) {
		data, err := src.get()
		if err != nil {
			return nil, nil, err
		}
		op, _, cleanup, err := newSgemmMNISTOp(data, s, sp, impl, threads)
		return op, cleanup, err
	}
}

// newSgemmMNISTOp returns the product s on the first Batch images of data
// as an operation, its output C (m×n) and the cleanup.
func newSgemmMNISTOp(data *vae.Dataset, s gemmShape, sp kernels.Sparsity, impl string, threads int) (op func(int) error, c []float32, cleanup func(), err error) {
	if data.N < Batch {
		return nil, nil, nil, fmt.Errorf("bench: %d training images, need %d: %w", data.N, Batch, ErrNoData)
	}
	x := data.Pixels[:Batch*vae.ImagePixels]
	r := rand.New(rand.NewPCG(1, 2))
	other := uniforms(r, 512*vae.ImagePixels) // W (512×784), or dy (100×512)
	c = make([]float32, s.m*s.n)
	restore, err := kernels.Use(impl)
	if err != nil {
		return nil, nil, nil, err
	}
	ws := kernels.NewWorkspace(threads)
	op = func(int) error {
		if s.tB { // y = x·Wᵀ
			return kernels.SgemmSparse(ws, sp, false, true, s.m, s.n, s.k, 1, x, s.k, other, s.k, 0, c, s.n)
		}
		// dW = dyᵀ·x: dy is Batch×512 (lda = 512), x is Batch×784.
		return kernels.SgemmSparse(ws, sp, true, false, s.m, s.n, s.k, 1, other, s.m, x, s.n, 0, c, s.n)
	}
	return op, c, func() { ws.Close(); restore() }, nil
}
