package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// gemmBenchShape is one product of the benchmarks, named m x n x k plus its
// form: "" for Y = X·W, "tA" for dW = Xᵀ·dY, "tB" for dX = dY·Wᵀ.
type gemmBenchShape struct {
	tA, tB  bool
	m, n, k int
}

func (s gemmBenchShape) String() string {
	name := fmt.Sprintf("%dx%dx%d", s.m, s.n, s.k)
	if s.tA {
		name += "tA"
	}
	if s.tB {
		name += "tB"
	}
	return name
}

// gemmBenchShapes are the VAE's products (batch 100 and 200) in their three
// forms, plus one square product for reference.
func gemmBenchShapes() []gemmBenchShape {
	var s []gemmBenchShape
	for _, v := range gemmVAEShapes {
		b, out, in := v[0], v[1], v[2]
		s = append(s,
			gemmBenchShape{false, false, b, out, in},
			gemmBenchShape{true, false, in, out, b},
			gemmBenchShape{false, true, b, in, out})
	}
	return append(s, gemmBenchShape{false, false, 512, 512, 512})
}

func (s gemmBenchShape) operands() (a, b, c []float32, lda, ldb int) {
	rng := rand.New(rand.NewPCG(1, 2))
	a = make([]float32, s.m*s.k)
	b = make([]float32, s.k*s.n)
	c = make([]float32, s.m*s.n)
	for _, x := range [][]float32{a, b, c} {
		for i := range x {
			x[i] = 2*rng.Float32() - 1
		}
	}
	lda, ldb = s.k, s.n
	if s.tA {
		lda = s.m
	}
	if s.tB {
		ldb = s.k
	}
	return
}

func gemmReportGFLOPS(b *testing.B, s gemmBenchShape) {
	flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkSgemm measures every implementation and gonum's pure-Go BLAS
// (gonum.Implementation, what blas32 uses by default; run with GOMAXPROCS =
// threads so that it uses as many cores) as
// BenchmarkSgemm/<impl>/<shape>/<threads>, with beta = 1 as in gradient
// accumulation. The generic and gonum runs are slow: use a small -benchtime
// or a -bench filter.
func BenchmarkSgemm(b *testing.B) {
	names := append(Available(), "gonum")
	for _, name := range names {
		b.Run(name, func(b *testing.B) {
			for _, s := range gemmBenchShapes() {
				b.Run(s.String(), func(b *testing.B) {
					for _, th := range []int{1, 2} {
						b.Run(fmt.Sprint(th), func(b *testing.B) {
							gemmBenchOne(b, name, s, th)
						})
					}
				})
			}
		})
	}
}

func gemmBenchOne(b *testing.B, name string, s gemmBenchShape, threads int) {
	a, bm, c, lda, ldb := s.operands()
	b.ReportAllocs()
	if name == "gonum" {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
		impl := gonum.Implementation{}
		tr := func(x bool) blas.Transpose {
			if x {
				return blas.Trans
			}
			return blas.NoTrans
		}
		for b.Loop() {
			impl.Sgemm(tr(s.tA), tr(s.tB), s.m, s.n, s.k, 1, a, lda, bm, ldb, 1, c, s.n)
		}
		gemmReportGFLOPS(b, s)
		return
	}
	im, err := lookup(name)
	if err != nil {
		b.Fatal(err)
	}
	ws := NewWorkspace(threads)
	defer ws.Close()
	for b.Loop() {
		if err := sgemm(im, ws, s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 1, c, s.n); err != nil {
			b.Fatal(err)
		}
	}
	gemmReportGFLOPS(b, s)
}

// BenchmarkGemmMicroKernel measures one micro-kernel call over a full k-block
// on L1-resident panels: the ceiling the driver can approach.
func BenchmarkGemmMicroKernel(b *testing.B) {
	for _, im := range impls {
		b.Run(im.name, func(b *testing.B) {
			kc := im.kc
			a := make([]float32, kc*im.mr)
			bp := make([]float32, kc*im.nr)
			c := make([]float32, im.mr*im.nr)
			for i := range a {
				a[i] = 1e-3
			}
			for i := range bp {
				bp[i] = 1e-3
			}
			for b.Loop() {
				im.gemm(kc, a, bp, c, im.nr, 1)
			}
			flops := 2 * float64(kc*im.mr*im.nr)
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		if im.gemmIdx == nil {
			continue
		}
		// The step-list kernel over every other step; GFLOP/s counts the
		// listed steps' FMAs only.
		b.Run(im.name+"/steps-half", func(b *testing.B) {
			kc := im.kc
			a := make([]float32, kc*im.mr)
			bp := make([]float32, kc*im.nr)
			c := make([]float32, im.mr*im.nr)
			var steps []int32
			for p := 0; p < kc; p += 2 {
				steps = append(steps, int32(p))
			}
			for b.Loop() {
				im.gemmIdx(steps, a, bp, c, im.nr, 1)
			}
			flops := 2 * float64(len(steps)*im.mr*im.nr)
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkSgemmScaling times one product alternately on one and on two
// threads, in blocks of 8 calls, and reports the two-thread speed-up
// ("x-2t-speedup", the median one-thread call ÷ the median two-thread call)
// with the GFLOP/s of each median call. Alternating exposes both to the
// same moments of a noisy machine, and medians drop the calls during which
// the VM took a core away (a two-thread call then waits for the piece in
// progress there), so the ratio is steadier than one taken from two
// separate benchmarks. The first call of each block is not timed: during
// the one-thread block the idle worker of the two-thread workspace has
// parked, and waking it (BenchmarkPoolAfterLopsidedRound) is not the
// product's cost. Shapes: the VAE's products at batch 100 without a
// 32-wide side, in their three forms (tA: dW = dYᵀ·X, tB: the forward
// Y = X·Wᵀ, neither: dX = dY·W).
func BenchmarkSgemmScaling(b *testing.B) {
	for _, s := range gemmBenchShapes() {
		if min(s.m, s.n, s.k) != 100 { // batch 200, the 32-wide products, the square one
			continue
		}
		b.Run(s.String(), func(b *testing.B) {
			a, bm, c, lda, ldb := s.operands()
			ws := [2]*Workspace{NewWorkspace(1), NewWorkspace(2)}
			defer ws[0].Close()
			defer ws[1].Close()
			var took [2][]float64
			for b.Loop() {
				for w := range ws {
					for i := range 8 {
						start := time.Now()
						if err := Sgemm(ws[w], s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n); err != nil {
							b.Fatal(err)
						}
						if i > 0 {
							took[w] = append(took[w], time.Since(start).Seconds())
						}
					}
				}
			}
			flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
			t1, t2 := medianOf(took[0]), medianOf(took[1])
			b.ReportMetric(t1/t2, "x-2t-speedup")
			b.ReportMetric(flops/t1/1e9, "GFLOP/s-1t")
			b.ReportMetric(flops/t2/1e9, "GFLOP/s-2t")
		})
	}
}

// medianOf returns the median of x (sorting x).
func medianOf(x []float64) float64 {
	slices.Sort(x)
	return x[len(x)/2]
}
