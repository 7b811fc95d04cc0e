package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// cgCase draws a CondGumbelAvgJ problem with C categories and K samples:
// φ with some masked (w = +Inf) and far-below-max categories, Exp(1) noise
// and an upstream gradient.
func cgCase(rng *rand.Rand, C, K int) (e, w, g []float32, i int, z float32) {
	phi := make([]float64, C)
	for j := range phi {
		switch rng.IntN(10) {
		case 0:
			phi[j] = math.Inf(-1)
		case 1:
			phi[j] = -60 - 40*rng.Float64()
		default:
			phi[j] = 3 * rng.NormFloat64()
		}
	}
	i = rng.IntN(C)
	phi[i] = 3 * rng.NormFloat64() // the sampled category is never masked
	m := math.Inf(-1)
	for _, v := range phi {
		m = max(m, v)
	}
	w = make([]float32, C)
	for j, v := range phi {
		ex := float32(math.Exp(v - m))
		z += ex
		w[j] = 1 / ex
	}
	e = make([]float32, K*C)
	for j := range e {
		e[j] = float32(max(rng.ExpFloat64(), 1e-7))
	}
	g = make([]float32, C)
	for j := range g {
		g[j] = float32(rng.NormFloat64())
	}
	return e, w, g, i, z
}

// TestCondGumbelAvgJImplsMatchTwin holds every implementation to the Go twin
// bit for bit (the average and the scratch written over e) for C from 1 to
// 41 and some larger, tails included.
func TestCondGumbelAvgJImplsMatchTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	cs := []int{64, 100, 128}
	for c := 1; c <= 41; c++ {
		cs = append(cs, c)
	}
	for _, C := range cs {
		for _, K := range []int{1, 2, 7, 33} {
			e, w, g, i, z := cgCase(rng, C, K)
			want, wantE := make([]float32, C), append([]float32(nil), e...)
			wCopy := append([]float32(nil), w...)
			require.NoError(t, condGumbelAvgJ(genericImpl, want, wantE, w, g, i, K, z))
			require.Equal(t, wCopy, w, "w is restored")
			for _, im := range impls {
				got, gotE := make([]float32, C), append([]float32(nil), e...)
				require.NoError(t, condGumbelAvgJ(im, got, gotE, w, g, i, K, z))
				for j := range want {
					require.Equal(t, math.Float32bits(want[j]), math.Float32bits(got[j]), "%s C=%d K=%d i=%d: avg[%d]", im.name, C, K, i, j)
				}
				for j := range wantE {
					require.Equal(t, math.Float32bits(wantE[j]), math.Float32bits(gotE[j]), "%s C=%d K=%d: e[%d]", im.name, C, K, j)
				}
				if im.cgAvgJ == nil {
					continue
				}
				// The kernel itself, also below cgMinVectorCols (where
				// CondGumbelAvgJ takes the twin).
				sum, direct, directE := make([]float32, C), make([]float32, C), append([]float32(nil), e...)
				wi := w[i]
				w[i] = 0
				cgAvgJGeneric(sum, append([]float32(nil), e...), w, g, i, K, z, nil)
				im.cgAvgJ(direct, directE, w, g, i, K, z, &cgTailMasks[C%8])
				w[i] = wi
				for j := range sum {
					require.Equal(t, math.Float32bits(sum[j]), math.Float32bits(direct[j]), "%s kernel C=%d K=%d: avg[%d]", im.name, C, K, j)
				}
				require.Equal(t, wantE, directE, "%s kernel C=%d K=%d: scratch", im.name, C, K)
			}
		}
	}
}

// TestCondGumbelAvgJValues compares with the formula in float64: p_k the
// normalised 1/a_k, avg = (1/K) Σ_k (p_k⊙g − p_k (p_k·g)); masked
// categories get exactly 0.
func TestCondGumbelAvgJValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(53, 54))
	for _, C := range []int{2, 5, 8, 13, 64} {
		const K = 20
		e, w, g, i, z := cgCase(rng, C, K)
		want := make([]float64, C)
		for k := range K {
			row := e[k*C : (k+1)*C]
			ei := float64(row[i]) / float64(z)
			r := make([]float64, C)
			var s, t float64
			for j, v := range row {
				a := float64(v)*float64(w[j]) + ei + 1e-20
				if j == i {
					a = ei + 1e-20
				}
				r[j] = 1 / a
				s += r[j]
			}
			for j := range r {
				t += r[j] / s * float64(g[j])
			}
			for j := range r {
				p := r[j] / s
				want[j] += (p*float64(g[j]) - p*t) / K
			}
		}
		got := make([]float32, C)
		require.NoError(t, CondGumbelAvgJ(got, e, w, g, i, K, z))
		var scale float64
		for _, v := range want {
			scale = max(scale, math.Abs(v))
		}
		for j := range got {
			if math.IsInf(float64(w[j]), 1) && j != i {
				require.Zero(t, got[j], "masked category %d", j)
			}
			require.InDelta(t, want[j], float64(got[j]), 1e-5*scale+1e-7, "C=%d i=%d j=%d", C, i, j)
		}
		require.Zero(t, testing.AllocsPerRun(5, func() { _ = CondGumbelAvgJ(got, e, w, g, i, K, z) }))
	}
}

func TestCondGumbelAvgJErrors(t *testing.T) {
	f := make([]float32, 40)
	for _, c := range []struct {
		avg, e, w, g []float32
		i, K         int
	}{
		{f[:0], f, f, f, 0, 1},
		{f[:4], f, f, f, 0, 0},
		{f[:4], f, f, f, 4, 1},
		{f[:4], f, f, f, -1, 1},
		{f[:4], f[:7], f, f, 0, 2},
		{f[:4], f, f[:3], f, 0, 1},
		{f[:4], f, f, f[:3], 0, 1},
	} {
		require.ErrorIs(t, CondGumbelAvgJ(c.avg, c.e, c.w, c.g, c.i, c.K, 1), ErrShape)
	}
}

// FuzzCondGumbelAvgJ decodes a problem (any bit patterns in e, w and g, so
// NaN and Inf too) and holds every implementation to the twin bit for bit.
func FuzzCondGumbelAvgJ(f *testing.F) {
	f.Add(uint8(5), uint8(3), uint8(2), []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x80, 0x7f, 1, 2, 3, 4})
	f.Add(uint8(17), uint8(1), uint8(16), []byte{0x66, 0x66, 0x26, 0x40, 0, 0, 0xc0, 0x7f})
	f.Fuzz(func(t *testing.T, c, k, i uint8, data []byte) {
		C, K := int(c%70)+1, int(k%9)+1
		e := fuzzFloats(data, K*C)
		w := fuzzFloats(append([]byte{7}, data...), C)
		g := fuzzFloats(append([]byte{3, 1}, data...), C)
		want, wantE := make([]float32, C), append([]float32(nil), e...)
		if err := condGumbelAvgJ(genericImpl, want, wantE, w, g, int(i)%C, K, 1.5); err != nil {
			t.Fatal(err)
		}
		for _, im := range impls {
			got, gotE := make([]float32, C), append([]float32(nil), e...)
			if err := condGumbelAvgJ(im, got, gotE, w, g, int(i)%C, K, 1.5); err != nil {
				t.Fatal(err)
			}
			for j := range want {
				if math.Float32bits(want[j]) != math.Float32bits(got[j]) && !(want[j] != want[j] && got[j] != got[j]) {
					t.Fatalf("%s C=%d K=%d: avg[%d] = %v, want %v", im.name, C, K, j, got[j], want[j])
				}
			}
		}
	})
}

// ExampleCondGumbelAvgJ averages J(p_k) g over K = 2 conditional Gumbel
// samples of φ = (0, log 2, −Inf) given that category 1 won: the masked
// category gets 0, and the entries sum to 0 like every J(p) g.
func ExampleCondGumbelAvgJ() {
	phi := []float64{0, math.Log(2), math.Inf(-1)}
	w, z := make([]float32, 3), float32(0)
	for j, v := range phi {
		ex := math.Exp(v - math.Log(2)) // φ_j − max φ
		w[j], z = float32(1/ex), z+float32(ex)
	}
	e := []float32{0.3, 1.2, 0.7, 2.0, 0.1, 0.9} // K = 2 rows of Exp(1) draws
	g := []float32{1, -1, 5}
	avg := make([]float32, 3)
	if err := CondGumbelAvgJ(avg, e, w, g, 1, 2, z); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.4f sum %.4f\n", avg, avg[0]+avg[1]+avg[2])
	// Output:
	// [0.2473 -0.2473 0.0000] sum 0.0000
}

// TestCondGumbelLogitsImplsMatchTwin holds every implementation to the Go
// twin bit for bit for C from 1 to 41 and some larger, with masked
// categories, guard values past K·C that must not change, and w restored.
// The kernel itself is also run below cgMinVectorCols.
func TestCondGumbelLogitsImplsMatchTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	cs := []int{64, 100, 128}
	for c := 1; c <= 41; c++ {
		cs = append(cs, c)
	}
	for _, C := range cs {
		for _, K := range []int{1, 2, 7, 33} {
			e, w, _, i, z := cgCase(rng, C, K)
			e = append(e, 7, 8, 9) // guards
			wCopy := append([]float32(nil), w...)
			want := append([]float32(nil), e...)
			require.NoError(t, condGumbelLogits(genericImpl, want, w, i, K, z))
			require.Equal(t, wCopy, w, "w is restored")
			require.Equal(t, []float32{7, 8, 9}, want[K*C:])
			for _, im := range impls {
				got := append([]float32(nil), e...)
				require.NoError(t, condGumbelLogits(im, got, w, i, K, z))
				for j := range want {
					require.Equal(t, math.Float32bits(want[j]), math.Float32bits(got[j]), "%s C=%d K=%d i=%d: e[%d]", im.name, C, K, i, j)
				}
				if im.cgLogits == nil {
					continue
				}
				twin, direct := append([]float32(nil), e...), append([]float32(nil), e...)
				w[i] = 0
				cgLogitsGeneric(twin[:K*C], w, i, K, z, nil)
				im.cgLogits(direct[:K*C], w, i, K, z, &cgTailMasks[C%8])
				w[i] = wCopy[i]
				for j := range twin {
					require.Equal(t, math.Float32bits(twin[j]), math.Float32bits(direct[j]), "%s kernel C=%d K=%d: e[%d]", im.name, C, K, j)
				}
			}
		}
	}
}

// TestCondGumbelLogitsValues checks the samples against the formula in
// float64: within 4 float32 ulp of max(|−log a|, 1) (a logarithm of a
// float32 sum), −Inf exactly for masked categories, and i an argmax of
// every sample, as conditioning on argmax = i requires.
func TestCondGumbelLogitsValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(63, 64))
	for _, C := range []int{2, 5, 8, 13, 64} {
		const K = 50
		e, w, _, i, z := cgCase(rng, C, K)
		got := append([]float32(nil), e...)
		require.NoError(t, CondGumbelLogits(got, w, i, K, z))
		worst := 0.0
		for k := range K {
			row := got[k*C : (k+1)*C]
			ei := float64(e[k*C+i]) / float64(z)
			for j, v := range row {
				require.LessOrEqual(t, v, row[i], "C=%d sample %d: category %d beats the conditioned argmax %d", C, k, j, i)
				a := ei + 1e-20
				if j != i {
					a += float64(e[k*C+j]) * float64(w[j])
				}
				want := -math.Log(a)
				if math.IsInf(float64(w[j]), 1) && j != i {
					require.True(t, math.IsInf(float64(v), -1), "masked category %d: %v", j, v)
					continue
				}
				err := math.Abs(float64(v)-want) / max(math.Abs(want), 1) / 0x1p-23
				worst = max(worst, err)
			}
		}
		t.Logf("C=%d: worst error %.2f ulp", C, worst)
		require.LessOrEqual(t, worst, 4.0, "C=%d", C)
	}
}

func TestCondGumbelLogitsErrors(t *testing.T) {
	f := make([]float32, 8)
	for _, c := range []struct {
		e, w []float32
		i, K int
	}{
		{f, nil, 0, 1},
		{f, f[:4], 0, 0},
		{f, f[:4], 4, 1},
		{f, f[:4], -1, 1},
		{f[:7], f[:4], 0, 2},
	} {
		require.ErrorIs(t, CondGumbelLogits(c.e, c.w, c.i, c.K, 1), ErrShape)
	}
	e, w, _, i, z := cgCase(rand.New(rand.NewPCG(1, 2)), 10, 20)
	require.Zero(t, testing.AllocsPerRun(5, func() { _ = CondGumbelLogits(e, w, i, 20, z) }))
}

// FuzzCondGumbelLogits decodes a problem (any bit patterns in e and w, so
// NaN and Inf too) and holds every implementation to the twin bit for bit.
func FuzzCondGumbelLogits(f *testing.F) {
	f.Add(uint8(5), uint8(3), uint8(2), []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x80, 0x7f, 1, 2, 3, 4})
	f.Add(uint8(17), uint8(1), uint8(16), []byte{0x66, 0x66, 0x26, 0x40, 0, 0, 0xc0, 0x7f})
	f.Fuzz(func(t *testing.T, c, k, i uint8, data []byte) {
		C, K := int(c%70)+1, int(k%9)+1
		e := fuzzFloats(data, K*C)
		w := fuzzFloats(append([]byte{7}, data...), C)
		want := append([]float32(nil), e...)
		if err := condGumbelLogits(genericImpl, want, w, int(i)%C, K, 1.5); err != nil {
			t.Fatal(err)
		}
		for _, im := range impls {
			got := append([]float32(nil), e...)
			if err := condGumbelLogits(im, got, w, int(i)%C, K, 1.5); err != nil {
				t.Fatal(err)
			}
			for j := range want {
				if math.Float32bits(want[j]) != math.Float32bits(got[j]) && !(want[j] != want[j] && got[j] != got[j]) {
					t.Fatalf("%s C=%d K=%d: e[%d] = %v, want %v", im.name, C, K, j, got[j], want[j])
				}
			}
		}
	})
}

// ExampleCondGumbelLogits draws K = 2 conditional Gumbel samples of
// φ = (0, log 2, −Inf) given that category 1 won: category 1 is the
// largest in each sample and the masked category is −Inf.
func ExampleCondGumbelLogits() {
	phi := []float64{0, math.Log(2), math.Inf(-1)}
	w, z := make([]float32, 3), float32(0)
	for j, v := range phi {
		ex := math.Exp(v - math.Log(2)) // φ_j − max φ
		w[j], z = float32(1/ex), z+float32(ex)
	}
	e := []float32{0.3, 1.2, 0.7, 2.0, 0.1, 0.9} // K = 2 rows of Exp(1) draws
	if err := CondGumbelLogits(e, w, 1, 2, z); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.4f\n", e)
	// Output:
	// [-0.3365 0.2231 -Inf -1.4028 2.7081 -Inf]
}

// BenchmarkCondGumbelLogits times the τ ≠ 1 logits of K = 100 samples per
// implementation, in ns per element, at C = 16 and at sizes where the
// estimators use it (C > CondGumbelLanesMaxC).
// The noise is copied back before each call, as a fresh draw would be.
func BenchmarkCondGumbelLogits(b *testing.B) {
	const K = 100
	for _, C := range []int{16, 64, 100} {
		e0, w, _, i, z := cgCase(rand.New(rand.NewPCG(3, uint64(C))), C, K)
		e := make([]float32, len(e0))
		for _, im := range impls {
			b.Run(fmt.Sprintf("%s/C=%d", im.name, C), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					copy(e, e0)
					if err := condGumbelLogits(im, e, w, i, K, z); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(K*C), "ns/el")
			})
		}
	}
}
