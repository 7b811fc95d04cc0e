package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAllFinite checks every implementation on lengths 0..67 and large,
// unaligned sub-slices, with one non-finite value (NaN, ±Inf) at every
// position, and that values outside the slice are ignored.
func TestAllFinite(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	lengths := []int{}
	for n := 0; n <= 67; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 127, 128, 129, 1000, finiteBlock+13)
	bad := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
	for _, im := range impls {
		for _, n := range lengths {
			off := n % 8
			b := make([]float32, n+16)
			for i := range b {
				b[i] = float32(rng.NormFloat64() * 1e30)
			}
			b[0], b[len(b)-1] = bad[0], bad[1] // outside x: ignored
			b[1] = math.MaxFloat32
			x := b[1+off : 1+off+n]
			require.True(t, allFinite(im, x), "%s n=%d", im.name, n)
			step := 1
			if n > 200 {
				step = 97
			}
			for i := 0; i < n; i += step {
				for _, v := range bad {
					old := x[i]
					x[i] = v
					require.False(t, allFinite(im, x), "%s n=%d: %v at %d", im.name, n, v, i)
					x[i] = old
				}
			}
		}
	}
	require.True(t, AllFinite(nil))
	require.True(t, AllFinite([]float32{math.SmallestNonzeroFloat32, -math.MaxFloat32, float32(math.Copysign(0, -1))}))
	x := make([]float32, 1000)
	require.Zero(t, testing.AllocsPerRun(10, func() { AllFinite(x) }))
}
