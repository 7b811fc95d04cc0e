package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// ajCase draws K softmax rows of C values (some exactly 0) and a gradient.
func ajCase(rng *rand.Rand, C, K int) (p, g []float32) {
	p = make([]float32, K*C)
	for k := range K {
		row := p[k*C : (k+1)*C]
		var s float64
		for j := range row {
			if rng.IntN(8) > 0 {
				row[j] = float32(rng.ExpFloat64())
				s += float64(row[j])
			}
		}
		for j := range row {
			row[j] = float32(float64(row[j]) / max(s, 1e-30))
		}
	}
	g = make([]float32, C)
	for j := range g {
		g[j] = float32(rng.NormFloat64())
	}
	return p, g
}

// TestAvgJacobianImplsMatchTwin holds every implementation, and every
// kernel directly (also below the column threshold), to the Go twin bit for
// bit for C from 1 to 41 and larger, tails included.
func TestAvgJacobianImplsMatchTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	cs := []int{64, 100, 128}
	for c := 1; c <= 41; c++ {
		cs = append(cs, c)
	}
	for _, C := range cs {
		for _, K := range []int{1, 3, 33} {
			p, g := ajCase(rng, C, K)
			pIn := append([]float32(nil), p...)
			want := make([]float32, C)
			require.NoError(t, avgJacobian(genericImpl, want, p, g, K))
			require.Equal(t, pIn, p, "p is read only")
			sum := make([]float32, C)
			avgJacGeneric(sum, p, g, K, nil)
			for _, im := range impls {
				got := make([]float32, C)
				require.NoError(t, avgJacobian(im, got, p, g, K))
				for j := range want {
					require.Equal(t, math.Float32bits(want[j]), math.Float32bits(got[j]), "%s C=%d K=%d: avg[%d]", im.name, C, K, j)
				}
				if im.avgJac == nil {
					continue
				}
				direct := make([]float32, C)
				im.avgJac(direct, p, g, K, &cgTailMasks[C%8])
				for j := range sum {
					require.Equal(t, math.Float32bits(sum[j]), math.Float32bits(direct[j]), "%s kernel C=%d K=%d: avg[%d]", im.name, C, K, j)
				}
			}
		}
	}
}

// TestAvgJacobianValues compares with float64 and checks that the entries
// of the average sum to 0 (every J(p) g does when p sums to 1).
func TestAvgJacobianValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(63, 64))
	for _, C := range []int{2, 7, 8, 19, 64} {
		const K = 25
		p, g := ajCase(rng, C, K)
		want := make([]float64, C)
		for k := range K {
			row := p[k*C : (k+1)*C]
			var d float64
			for j, v := range row {
				d += float64(v) * float64(g[j])
			}
			for j, v := range row {
				want[j] += (float64(v)*float64(g[j]) - float64(v)*d) / K
			}
		}
		got := make([]float32, C)
		require.NoError(t, AvgJacobian(got, p, g, K))
		var total float64
		for j := range got {
			require.InDelta(t, want[j], float64(got[j]), 1e-6, "C=%d j=%d", C, j)
			total += float64(got[j])
		}
		require.InDelta(t, 0, total, 1e-5, "C=%d", C)
		require.Zero(t, testing.AllocsPerRun(5, func() { _ = AvgJacobian(got, p, g, K) }))
	}
	f := make([]float32, 20)
	require.ErrorIs(t, AvgJacobian(f[:0], f, f, 1), ErrShape)
	require.ErrorIs(t, AvgJacobian(f[:4], f, f, 0), ErrShape)
	require.ErrorIs(t, AvgJacobian(f[:4], f[:7], f, 2), ErrShape)
	require.ErrorIs(t, AvgJacobian(f[:4], f, f[:3], 1), ErrShape)
}

// FuzzAvgJacobian decodes rows and a gradient (any bit patterns) and holds
// every implementation and kernel to the twin bit for bit.
func FuzzAvgJacobian(f *testing.F) {
	f.Add(uint8(9), uint8(2), []byte{0, 0, 0x80, 0x3e, 0, 0, 0, 0x3f, 0, 0, 0xc0, 0x7f, 5, 6, 7, 8})
	f.Fuzz(func(t *testing.T, c, k uint8, data []byte) {
		C, K := int(c%70)+1, int(k%9)+1
		p := fuzzFloats(data, K*C)
		g := fuzzFloats(append([]byte{5}, data...), C)
		sum := make([]float32, C)
		avgJacGeneric(sum, p, g, K, nil)
		same := func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b }
		for _, im := range impls {
			if im.avgJac == nil {
				continue
			}
			got := make([]float32, C)
			im.avgJac(got, p, g, K, &cgTailMasks[C%8])
			for j := range sum {
				if !same(sum[j], got[j]) {
					t.Fatalf("%s C=%d K=%d: avg[%d] = %v, want %v", im.name, C, K, j, got[j], sum[j])
				}
			}
		}
	})
}

// ExampleAvgJacobian averages J(p) g over two probability rows.
func ExampleAvgJacobian() {
	p := []float32{0.5, 0.5, 0, 0.25, 0.25, 0.5}
	g := []float32{1, 0, 2}
	avg := make([]float32, 3)
	if err := AvgJacobian(avg, p, g, 2); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.4f\n", avg)
	// Output:
	// [0.0938 -0.2812 0.1875]
}
