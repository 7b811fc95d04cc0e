package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

// negLogSpecials are the values the kernels hand to the Go twin.
var negLogSpecials = []float32{0, float32(math.Copysign(0, -1)), -1, float32(math.Inf(1)), float32(math.Inf(-1)),
	float32(math.NaN()), math.SmallestNonzeroFloat32, 0x1p-127, 0x1.fffffcp-127, -math.MaxFloat32}

// negLogInput returns n values: positive normals spread over every binade
// (exp of a uniform in [-87, 88]), edge normals, and with probability
// special a value from negLogSpecials.
func negLogInput(rng *rand.Rand, n int, special float64) []float32 {
	edges := []float32{0x1p-126, math.MaxFloat32, 1, 0x1.fffffep-1, 1e-20}
	x := make([]float32, n)
	for i := range x {
		switch r := rng.Float64(); {
		case r < special:
			x[i] = negLogSpecials[rng.IntN(len(negLogSpecials))]
		case r < special+0.05:
			x[i] = edges[rng.IntN(len(edges))]
		default:
			x[i] = float32(math.Exp(rng.Float64()*175 - 87))
		}
	}
	return x
}

// TestNegLogImplsMatchTwin holds every implementation to the Go twin bit for
// bit: lengths 0..70 and large, unaligned sub-slices, with and without
// special values (which send a vector to the twin mid-slice), and guard
// values around the slice that must not change.
func TestNegLogImplsMatchTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	lengths := []int{1000, 4099}
	for n := range 71 {
		lengths = append(lengths, n)
	}
	for _, im := range impls {
		// The kernel itself does the work, and stops at the first vector
		// (the Go twin: element) with a special value.
		x := negLogInput(rng, 8*im.w, 0)
		require.Equal(t, len(x), im.negLogF(x), im.name)
		x = negLogInput(rng, 8*im.w, 0)
		bad := 3*im.w + im.w/2
		x[bad] = 0
		want := 3 * im.w
		if reflect.ValueOf(im.negLogF).Pointer() == reflect.ValueOf(negLogNormalsGeneric).Pointer() {
			want = bad
		}
		require.Equal(t, want, im.negLogF(x), im.name)
		require.Zero(t, x[bad], im.name)
		for _, n := range lengths {
			for _, special := range []float64{0, 0.02, 0.5} {
				off := rng.IntN(4)
				buf := negLogInput(rng, n+off+3, special)
				want := append([]float32(nil), buf...)
				negLogFloatsGeneric(want[off : off+n])
				negLogFloats(im, buf[off:off+n])
				for i := range buf {
					require.Equal(t, math.Float32bits(want[i]), math.Float32bits(buf[i]),
						"%s: n=%d off=%d special=%v: element %d", im.name, n, off, special, i)
				}
			}
		}
	}
}

// TestNegLogValues checks the results against float64: positive normals
// within 2 ulp (plus 2^-24 absolute near x = 1, where -log x is near 0),
// and the special values as math.Log gives them.
func TestNegLogValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	x := negLogInput(rng, 20000, 0)
	got := append([]float32(nil), x...)
	NegLog(got)
	worst := 0.0
	for i, v := range x {
		want := -math.Log(float64(v))
		ulp := float64(math.Nextafter32(float32(math.Abs(want)), float32(math.Inf(1)))) - math.Abs(float64(float32(want)))
		err := math.Abs(float64(got[i]) - want)
		require.LessOrEqual(t, err, 2*ulp+0x1p-24, "x=%v: got %v, want %v", v, got[i], want)
		worst = max(worst, err/ulp)
	}
	t.Logf("NegLog (%s): worst error %.2f ulp over %d positive normals", Active(), worst, len(x))

	special := []float32{0, float32(math.Inf(1)), -2, float32(math.NaN()), 1, 0x1p-140}
	// Pad to a whole vector of normals first, so the specials reach the twin
	// from inside the kernel's loop too.
	in := append([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, special...)
	NegLog(in)
	out := in[16:]
	require.True(t, math.IsInf(float64(out[0]), 1))
	require.True(t, math.IsInf(float64(out[1]), -1))
	require.True(t, math.IsNaN(float64(out[2])))
	require.True(t, math.IsNaN(float64(out[3])))
	require.Zero(t, out[4])
	require.Equal(t, float32(140*math.Ln2), out[5])
	require.Zero(t, testing.AllocsPerRun(10, func() { NegLog(in) }))
}

func ExampleNegLog() {
	x := []float32{1, 0.5, float32(math.Exp(-3)), 0, float32(math.Inf(1))}
	NegLog(x)
	fmt.Printf("%.4f\n", x)
	// Output:
	// [-0.0000 0.6931 3.0000 +Inf -Inf]
}
