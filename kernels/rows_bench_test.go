package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchRowShapes pairs each category count with the number of rows of one
// batch of 100 at the VAE configurations C×L (rows = 100·L: 8×4, 4×24,
// 10×30, 16×12, 64×8) and the C = 2 toy task (64·128 rows).
var benchRowShapes = []struct{ cols, rows int }{
	{2, 8192}, {4, 2400}, {8, 400}, {10, 3000}, {16, 1200}, {64, 800},
}

func reportRows(b *testing.B, rows int) {
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkSoftmax measures SoftmaxRows (tau = 1.3, no lse) per path and
// shape on one thread.
func BenchmarkSoftmax(b *testing.B) {
	for _, im := range impls {
		for _, s := range benchRowShapes {
			b.Run(fmt.Sprintf("%s/C=%d", im.name, s.cols), func(b *testing.B) {
				src := softmaxRowsFor(rand.New(rand.NewPCG(1, 2)), s.rows, s.cols)
				for i := range src {
					src[i] = min(max(src[i], -50), 50) // the random rows only
				}
				dst := make([]float32, len(src))
				ws := NewWorkspace(1)
				defer ws.Close()
				b.SetBytes(int64(4 * len(src)))
				b.ReportAllocs()
				for b.Loop() {
					if err := softmaxRows(im, ws, dst, src, s.rows, s.cols, 1.3, nil); err != nil {
						b.Fatal(err)
					}
				}
				reportRows(b, s.rows)
			})
		}
	}
}

// BenchmarkSoftmaxSample measures the fused SoftmaxSampleRows per path and
// shape on one thread (the estimators' forward: pi and one draw per row).
func BenchmarkSoftmaxSample(b *testing.B) {
	for _, im := range impls {
		for _, s := range benchRowShapes {
			b.Run(fmt.Sprintf("%s/C=%d", im.name, s.cols), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(3, 4))
				logits := make([]float32, s.rows*s.cols)
				for i := range logits {
					logits[i] = float32(rng.NormFloat64() * 2)
				}
				u := make([]float32, s.rows)
				Uniforms(rng, u)
				pi := make([]float32, len(logits))
				idx := make([]int32, s.rows)
				ws := NewWorkspace(1)
				defer ws.Close()
				b.SetBytes(int64(4 * len(logits)))
				b.ReportAllocs()
				for b.Loop() {
					if err := softmaxSampleRows(im, ws, pi, idx, logits, s.rows, s.cols, u); err != nil {
						b.Fatal(err)
					}
				}
				reportRows(b, s.rows)
			})
		}
	}
}

// BenchmarkSampleRows measures SampleRows alone per path and shape.
func BenchmarkSampleRows(b *testing.B) {
	for _, im := range impls {
		for _, s := range benchRowShapes {
			b.Run(fmt.Sprintf("%s/C=%d", im.name, s.cols), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(5, 6))
				p := make([]float32, s.rows*s.cols)
				for i := range p {
					p[i] = rng.Float32()
				}
				u := make([]float32, s.rows)
				Uniforms(rng, u)
				idx := make([]int32, s.rows)
				ws := NewWorkspace(1)
				defer ws.Close()
				b.SetBytes(int64(4 * len(p)))
				b.ReportAllocs()
				for b.Loop() {
					if err := sampleRows(im, ws, idx, p, s.rows, s.cols, u); err != nil {
						b.Fatal(err)
					}
				}
				reportRows(b, s.rows)
			})
		}
	}
}

// BenchmarkExponentials measures bulk Exp(1) and Gumbel draws per path
// (320k draws: 400 rows × 8 categories × 100 repeats), in ns per draw,
// from a PCG stream (the package functions) and from Xoshiro8, against
// math/rand/v2's ExpFloat64.
func BenchmarkExponentials(b *testing.B) {
	const n = 400 * 8 * 100
	dst := make([]float32, n)
	perDraw := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/draw")
	}
	for _, im := range impls {
		for _, k := range []struct {
			name string
			reps int
		}{{"exp", 1}, {"gumbel", 2}} {
			b.Run(im.name+"/pcg/"+k.name, func(b *testing.B) {
				r := rand.New(rand.NewPCG(7, 8))
				b.SetBytes(4 * n)
				b.ReportAllocs()
				for b.Loop() {
					randomNegLog(im, r, dst, k.reps)
				}
				perDraw(b)
			})
			b.Run(im.name+"/xoshiro8/"+k.name, func(b *testing.B) {
				var x Xoshiro8
				x.Seed(7, 8, 9)
				b.SetBytes(4 * n)
				b.ReportAllocs()
				for b.Loop() {
					x.negLog(im, dst, k.reps)
				}
				perDraw(b)
			})
		}
	}
	b.Run("uniform", func(b *testing.B) {
		r := rand.New(rand.NewPCG(7, 8))
		b.ReportAllocs()
		for b.Loop() {
			Uniforms(r, dst)
		}
		perDraw(b)
	})
	b.Run("math-rand-ExpFloat64", func(b *testing.B) {
		r := rand.New(rand.NewPCG(7, 8))
		for b.Loop() {
			for i := range dst {
				dst[i] = float32(r.ExpFloat64())
			}
		}
		perDraw(b)
	})
}

// BenchmarkRowKernels measures the table's kernels alone on one padded
// block (no Go driver, no copies): the floor the drivers above approach.
func BenchmarkRowKernels(b *testing.B) {
	for _, im := range impls {
		for _, p := range []int{8, 16, 64} {
			rows := 4096 / p
			rng := rand.New(rand.NewPCG(9, 10))
			src := make([]float32, rows*p)
			for i := range src {
				src[i] = float32(rng.NormFloat64())
			}
			dst := make([]float32, len(src))
			stats := make([]float32, 2*rows)
			u := make([]float32, rows)
			Uniforms(rng, u)
			idx := make([]int32, rows)
			cdf := make([]float32, 8*p)
			b.Run(fmt.Sprintf("%s/softmax/P=%d", im.name, p), func(b *testing.B) {
				for b.Loop() {
					im.softmax(dst, src, stats, cdf, p, 1.3)
				}
				reportRows(b, rows)
			})
			im.softmax(dst, src, stats, cdf, p, 1)
			b.Run(fmt.Sprintf("%s/sample/P=%d", im.name, p), func(b *testing.B) {
				for b.Loop() {
					im.sample(idx, dst, u, cdf, p)
				}
				reportRows(b, rows)
			})
		}
	}
}

// BenchmarkElementwise measures the optimiser steps at the VAE's parameter
// count (about 1.1M: 784·512 + 512·256 + 256·32 and the mirror) and the BCE
// at one batch of decoder outputs (100 × 784), in ns per element.
func BenchmarkElementwise(b *testing.B) {
	rng := rand.New(rand.NewPCG(11, 12))
	const nParams = 2 * (784*512 + 512*256 + 256*32)
	params, grads := make([]float32, nParams), make([]float32, nParams)
	m, v := make([]float32, nParams), make([]float32, nParams)
	for i := range params {
		params[i], grads[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	perElem := func(b *testing.B, n int) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/elem")
	}
	b.Run("AdamStep", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			AdamStep(params, grads, m, v, 1e-3, 0.9, 0.999, 1e-8, 10)
		}
		perElem(b, nParams)
	})
	b.Run("RAdamStep", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			RAdamStep(params, grads, m, v, 1e-3, 0.9, 0.999, 1e-8, 10)
		}
		perElem(b, nParams)
	})
	z, x := make([]float32, 100*784), make([]float32, 100*784)
	for i := range z {
		z[i], x[i] = float32(rng.NormFloat64()*5), rng.Float32()
	}
	dz := make([]float32, len(z))
	b.Run("SigmoidBCE", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			SigmoidBCE(dz, z, x, 0.01)
		}
		perElem(b, len(z))
	})
}

// BenchmarkSoftmaxK100 measures SoftmaxRows on the estimators' repeated
// rows (400 rows × 100 repeats of C = 8, tau = 0.7) with 1 and 2 threads.
func BenchmarkSoftmaxK100(b *testing.B) {
	const rows, cols = 400 * 100, 8
	src := make([]float32, rows*cols)
	rng := rand.New(rand.NewPCG(13, 14))
	for i := range src {
		src[i] = float32(rng.NormFloat64() * 2)
	}
	dst := make([]float32, len(src))
	for _, im := range impls {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", im.name, th), func(b *testing.B) {
				ws := NewWorkspace(th)
				defer ws.Close()
				b.ReportAllocs()
				for b.Loop() {
					if err := softmaxRows(im, ws, dst, src, rows, cols, 0.7, nil); err != nil {
						b.Fatal(err)
					}
				}
				reportRows(b, rows)
			})
		}
	}
}
