package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

var cgLanesTaus = []float32{1, 0.5, 0.7, 1.3, 2}

// TestCondGumbelAvgJTauImplsMatchTwin holds every implementation to the Go
// twin bit for bit, for C up to past CondGumbelLanesMaxC, sample counts
// around multiples of 8 and 16 (the groups of the AVX2 and AVX-512
// kernels: transposes while another sample follows, gathers with masked
// lanes for the last group), several
// temperatures and masked categories; e and w must come back unchanged.
func TestCondGumbelAvgJTauImplsMatchTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(71, 72))
	for C := 1; C <= CondGumbelLanesMaxC+3; C++ {
		for _, K := range []int{1, 2, 7, 8, 9, 15, 16, 17, 24, 32, 33, 100} {
			for _, tau := range cgLanesTaus {
				e, w, g, i, z := cgCase(rng, C, K)
				eCopy, wCopy := append([]float32(nil), e...), append([]float32(nil), w...)
				want := make([]float32, C)
				scr := make([]float32, CondGumbelAvgJTauScratch*C)
				require.NoError(t, condGumbelAvgJTau(genericImpl, want, e, w, g, scr, i, K, z, tau))
				require.Equal(t, eCopy, e, "e is read only")
				require.Equal(t, wCopy, w, "w is restored")
				for _, im := range impls {
					got := make([]float32, C)
					for j := range scr {
						scr[j] = float32(math.NaN()) // the kernel must not read stale scratch
					}
					require.NoError(t, condGumbelAvgJTau(im, got, e, w, g, scr, i, K, z, tau))
					require.Equal(t, eCopy, e, "%s: e is read only", im.name)
					for j := range want {
						require.Equal(t, math.Float32bits(want[j]), math.Float32bits(got[j]),
							"%s C=%d K=%d τ=%v i=%d: avg[%d] = %v, want %v", im.name, C, K, tau, i, j, got[j], want[j])
					}
				}
			}
		}
	}
}

// TestCondGumbelAvgJTauValues checks the average against float64: the
// softmax of −log a / τ per sample, J(p) g, averaged over K. The error is
// bounded by 1e-5 of max|g|, and the result agrees with the row kernels
// (CondGumbelAvgJ at τ = 1; CondGumbelLogits, a softmax and AvgJacobian
// otherwise) to the same bound.
func TestCondGumbelAvgJTauValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(73, 74))
	for _, C := range []int{2, 4, 8, 10, 15, 16, 24, 31} {
		for _, tau := range cgLanesTaus {
			const K = 37
			e, w, g, i, z := cgCase(rng, C, K)
			got := make([]float32, C)
			require.NoError(t, CondGumbelAvgJTau(got, e, w, g, make([]float32, CondGumbelAvgJTauScratch*C), i, K, z, tau))
			want := make([]float64, C)
			gmax := 0.0
			for _, v := range g {
				gmax = max(gmax, math.Abs(float64(v)))
			}
			for k := range K {
				x := make([]float64, C)
				ei := float64(e[k*C+i]) / float64(z)
				m := math.Inf(-1)
				for j := range x {
					a := ei + 1e-20
					if j != i {
						a += float64(e[k*C+j]) * float64(w[j])
					}
					x[j] = -math.Log(a) / float64(tau)
					m = max(m, x[j])
				}
				var s, pg float64
				for j := range x {
					x[j] = math.Exp(x[j] - m)
					s += x[j]
				}
				for j := range x {
					x[j] /= s
					pg += x[j] * float64(g[j])
				}
				for j, p := range x {
					want[j] += (p*float64(g[j]) - p*pg) / K
				}
			}
			// The row kernels, same problem.
			rows := make([]float32, C)
			if tau == 1 {
				require.NoError(t, CondGumbelAvgJ(rows, append([]float32(nil), e...), w, g, i, K, z))
			} else {
				p := append([]float32(nil), e...)
				require.NoError(t, CondGumbelLogits(p, w, i, K, z))
				softmaxRowsGeneric(p, p, make([]float32, 2*K), nil, C, 1/tau)
				require.NoError(t, AvgJacobian(rows, p, g, K))
			}
			for j := range want {
				require.InDelta(t, want[j], got[j], 1e-5*gmax, "C=%d τ=%v: avg[%d]", C, tau, j)
				require.InDelta(t, float64(rows[j]), float64(got[j]), 1e-5*gmax, "C=%d τ=%v: avg[%d] vs the row kernels", C, tau, j)
			}
		}
	}
}

func TestCondGumbelAvgJTauErrors(t *testing.T) {
	f := make([]float32, 128)
	for _, c := range []struct {
		avg, e, w, g, scr []float32
		i, K              int
		tau               float32
		want              error
	}{
		{nil, f, f, f, f, 0, 1, 1, ErrShape},
		{f[:3], f, f, f, f, 0, 0, 1, ErrShape},
		{f[:3], f, f, f, f, 3, 1, 1, ErrShape},
		{f[:3], f[:5], f, f, f, 0, 2, 1, ErrShape},
		{f[:3], f, f[:2], f, f, 0, 1, 1, ErrShape},
		{f[:3], f, f, f[:2], f, 0, 1, 1, ErrShape},
		{f[:3], f, f, f, f[:CondGumbelAvgJTauScratch*3-1], 0, 1, 1, ErrShape},
		{f[:3], f, f, f, f, 0, 1, 0, ErrArgument},
		{f[:3], f, f, f, f, 0, 1, -1, ErrArgument},
		{f[:3], f, f, f, f, 0, 1, float32(math.NaN()), ErrArgument},
		{f[:3], f, f, f, f, 0, 1, float32(math.Inf(1)), ErrArgument},
	} {
		require.ErrorIs(t, CondGumbelAvgJTau(c.avg, c.e, c.w, c.g, c.scr, c.i, c.K, 1, c.tau), c.want)
	}
	e, w, g, i, z := cgCase(rand.New(rand.NewPCG(1, 2)), 10, 100)
	avg, scr := make([]float32, 10), make([]float32, CondGumbelAvgJTauScratch*10)
	require.Zero(t, testing.AllocsPerRun(5, func() { _ = CondGumbelAvgJTau(avg, e, w, g, scr, i, 100, z, 0.5) }))
}

// FuzzCondGumbelAvgJTau decodes a problem (any bit patterns in e, w and g,
// so NaN and Inf too) and holds every implementation to the twin bit for
// bit (any NaN matches any NaN).
func FuzzCondGumbelAvgJTau(f *testing.F) {
	f.Add(uint8(5), uint8(3), uint8(2), uint8(1), []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x80, 0x7f, 1, 2, 3, 4})
	f.Add(uint8(10), uint8(100), uint8(9), uint8(0), []byte{0x66, 0x66, 0x26, 0x40, 0, 0, 0xc0, 0x7f})
	f.Fuzz(func(t *testing.T, c, k, i, tauIdx uint8, data []byte) {
		C, K := int(c)%(CondGumbelLanesMaxC+2)+1, int(k%120)+1
		tau := cgLanesTaus[int(tauIdx)%len(cgLanesTaus)]
		e := fuzzFloats(data, K*C)
		w := fuzzFloats(append([]byte{7}, data...), C)
		g := fuzzFloats(append([]byte{3, 1}, data...), C)
		scr := make([]float32, CondGumbelAvgJTauScratch*C)
		want := make([]float32, C)
		if err := condGumbelAvgJTau(genericImpl, want, e, w, g, scr, int(i)%C, K, 1.5, tau); err != nil {
			t.Fatal(err)
		}
		for _, im := range impls {
			got := make([]float32, C)
			if err := condGumbelAvgJTau(im, got, e, w, g, scr, int(i)%C, K, 1.5, tau); err != nil {
				t.Fatal(err)
			}
			for j := range want {
				if math.Float32bits(want[j]) != math.Float32bits(got[j]) && !(want[j] != want[j] && got[j] != got[j]) {
					t.Fatalf("%s C=%d K=%d τ=%v: avg[%d] = %v, want %v", im.name, C, K, tau, j, got[j], want[j])
				}
			}
		}
	})
}

// ExampleCondGumbelAvgJTau averages J(p_k) g over K = 2 conditional Gumbel
// samples of φ = (0, log 2, −Inf) given that category 1 won, at τ = 1 and
// τ = 0.5: the masked category gets 0, the entries sum to 0, and the lower
// temperature sharpens p_k toward the winner.
func ExampleCondGumbelAvgJTau() {
	phi := []float64{0, math.Log(2), math.Inf(-1)}
	w, z := make([]float32, 3), float32(0)
	for j, v := range phi {
		ex := math.Exp(v - math.Log(2)) // φ_j − max φ
		w[j], z = float32(1/ex), z+float32(ex)
	}
	e := []float32{0.3, 1.2, 0.7, 2.0, 0.1, 0.9} // K = 2 rows of Exp(1) draws
	g := []float32{1, -1, 5}
	avg, scratch := make([]float32, 3), make([]float32, CondGumbelAvgJTauScratch*3)
	for _, tau := range []float32{1, 0.5} {
		if err := CondGumbelAvgJTau(avg, e, w, g, scratch, 1, 2, z, tau); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("τ=%v: %.4f\n", tau, avg)
	}
	// Output:
	// τ=1: [0.2473 -0.2473 0.0000]
	// τ=0.5: [0.1858 -0.1858 0.0000]
}

// BenchmarkCondGumbelAvgJTau times the average over K = 100 samples per
// implementation, at the lane kernels' sizes (C <= CondGumbelLanesMaxC) and
// at τ = 1 (no log or exp) and τ = 1.3, in ns per element of the K×C
// samples.
func BenchmarkCondGumbelAvgJTau(b *testing.B) {
	const K = 100
	for _, C := range []int{4, 10, 15, 24} {
		e, w, g, i, z := cgCase(rand.New(rand.NewPCG(5, uint64(C))), C, K)
		avg, scr := make([]float32, C), make([]float32, CondGumbelAvgJTauScratch*C)
		for _, tau := range []float32{1, 1.3} {
			for _, im := range impls {
				b.Run(fmt.Sprintf("%s/C=%d/tau=%v", im.name, C, tau), func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						if err := condGumbelAvgJTau(im, avg, e, w, g, scr, i, K, z, tau); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(K*C), "ns/el")
				})
			}
		}
	}
}
