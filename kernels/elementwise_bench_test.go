package kernels

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkElementwiseImpls/<impl>/<kernel> measures the loss and optimiser
// kernels per implementation, in ns per element: SigmoidBCE on one batch of
// decoder outputs (100 × 784), Adam and RAdam over the VAE's parameter count
// (about 1.1M, so the moments do not fit in L2), AllFinite over the same.
func BenchmarkElementwiseImpls(b *testing.B) {
	rng := rand.New(rand.NewPCG(11, 12))
	const nParams = 2 * (784*512 + 512*256 + 256*32)
	params, grads := make([]float32, nParams), make([]float32, nParams)
	m, v := make([]float32, nParams), make([]float32, nParams)
	for i := range params {
		params[i], grads[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	z, x := make([]float32, 100*784), make([]float32, 100*784)
	for i := range z {
		z[i], x[i] = float32(rng.NormFloat64()*5), rng.Float32()
	}
	dz := make([]float32, len(z))
	perElem := func(b *testing.B, n int) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/elem")
	}
	for _, im := range impls {
		b.Run(im.name+"/SigmoidBCE", func(b *testing.B) {
			for b.Loop() {
				sigmoidBCE(im, dz, z, x, 0.01)
			}
			perElem(b, len(z))
		})
		k := newAdamConsts(1e-3, 0.9, 0.999, 1e-8, 10)
		kr := newRAdamConsts(1e-3, 0.9, 0.999, 1e-8, 10)
		b.Run(im.name+"/AdamStep", func(b *testing.B) {
			for b.Loop() {
				optimStep(im.adam, adamGeneric, params, grads, m, v, k)
			}
			perElem(b, nParams)
		})
		b.Run(im.name+"/RAdamStep", func(b *testing.B) {
			for b.Loop() {
				optimStep(im.radam, radamGeneric, params, grads, m, v, kr)
			}
			perElem(b, nParams)
		})
		b.Run(im.name+"/AllFinite", func(b *testing.B) {
			for b.Loop() {
				if !allFinite(im, grads) {
					b.Fatal("not finite")
				}
			}
			perElem(b, nParams)
		})
	}
}
