package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// bceRef64 is PyTorch's BCE(sigmoid(z), x) per element written with the
// float32 p of PyTorch (p32 = 1/(1 + float32(e^-z))) and its two clamps, the
// logs taken in float64 from the exact sigmoid where p32 is not saturated.
func bceRef64(z, x float64) (loss, grad float64) {
	p := 1 / (1 + math.Exp(-z))
	e32 := float32(math.Exp(-z))
	p32 := 1 / (1 + e32)
	lp, l1p := math.Log(p), math.Log1p(-p)
	if z < 0 {
		lp = z - math.Log1p(math.Exp(z))
	} else {
		l1p = -z - math.Log1p(math.Exp(-z))
	}
	if p32 == 1 {
		lp, l1p = 0, math.Inf(-1)
	}
	if math.IsInf(float64(e32), 1) {
		lp, l1p = math.Inf(-1), 0
	}
	lp, l1p = math.Max(lp, -100), math.Max(l1p, -100)
	loss = -(x*lp + (1-x)*l1p)
	s := float64(p32) * (1 - float64(p32))
	grad = (p - x) * s / math.Max(s, 1e-12)
	if p32 != 1 && p32 != 0 {
		grad = (p - x) * math.Min(1, p*(1-p)/1e-12)
	}
	return loss, grad
}

// bceTol checks one element against bceRef64: the loss within 4e-7
// relative (plus 1e-30), the gradient within 4e-7·(|p| + |x|) absolute,
// or 1e-24 absolute where e^z is below the float32 exp's range (the
// documented zero gradient for -88.72 < z < -87.3).
func bceTol(t *testing.T, name string, z, x float32, loss float64, grad float32) {
	t.Helper()
	l, g := bceRef64(float64(z), float64(x))
	require.InDelta(t, l, loss, 4e-7*math.Abs(l)+1e-30, "%s: loss z=%v x=%v", name, z, x)
	p := 1 / (1 + math.Exp(-float64(z)))
	require.InDelta(t, g, float64(grad), 4e-7*(p+math.Abs(float64(x)))+1e-24, "%s: grad z=%v x=%v", name, z, x)
}

// TestSigmoidBCE checks every implementation's loss and gradient against the
// float64 reference, including saturated logits, and the gradient by finite
// differences where the loss is smooth.
func TestSigmoidBCE(t *testing.T) {
	zs := []float32{-1e4, -150, -100, -95, -88.8, -88.72283, -88.7, -88, -87.2, -60, -30, -27, -20, -5, -0.5,
		0, 0.5, 5, 15, 16.5, 16.6, 16.7, 20, 60, 100, 150, 1e4}
	xs := []float32{0, 0.3, 0.5, 0.9, 1}
	var z, x []float32
	for _, zi := range zs {
		for _, xi := range xs {
			z, x = append(z, zi), append(x, xi)
		}
	}
	for _, im := range impls {
		t.Run(im.name, func(t *testing.T) {
			dz := make([]float32, len(z))
			total := sigmoidBCE(im, dz, z, x, 0.5)
			var want float64
			one := make([]float32, 1)
			for i := range z {
				li := sigmoidBCE(im, one, z[i:i+1], x[i:i+1], 1)
				bceTol(t, im.name, z[i], x[i], li, one[0])
				require.Equal(t, float32(0.5)*one[0], dz[i], "scale z=%v x=%v", z[i], x[i])
				l, _ := bceRef64(float64(z[i]), float64(x[i]))
				want += l
			}
			require.InDelta(t, want, total, 4e-7*want)
			// nil dz: the same loss.
			require.Equal(t, total, sigmoidBCE(im, nil, z, x, 1))

			// Random logits over the whole range, targets in [0, 1].
			rng := rand.New(rand.NewPCG(3, 4))
			zr, xr := make([]float32, 4099), make([]float32, 4099)
			for i := range zr {
				zr[i] = float32(rng.NormFloat64() * 20)
				xr[i] = rng.Float32()
				if i%7 == 0 {
					xr[i] = float32(i % 2)
				}
			}
			dr := make([]float32, len(zr))
			sigmoidBCE(im, dr, zr, xr, 1)
			for i := range zr {
				li := sigmoidBCE(im, nil, zr[i:i+1], xr[i:i+1], 1)
				bceTol(t, im.name, zr[i], xr[i], li, dr[i])
			}

			// Spot values: the clamp at -100 where PyTorch's p saturates,
			// ±Inf like large logits, NaN propagates.
			require.Equal(t, 100.0, sigmoidBCE(im, one, []float32{20}, []float32{0}, 1))
			require.Zero(t, one[0])
			require.InDelta(t, 70.0, sigmoidBCE(im, one, []float32{-100}, []float32{0.7}, 1), 1e-5)
			require.Zero(t, one[0])
			require.InDelta(t, 15.0, sigmoidBCE(im, one, []float32{15}, []float32{0}, 1), 2e-6)
			inf := float32(math.Inf(1))
			require.InDelta(t, 30.0, sigmoidBCE(im, one, []float32{inf}, []float32{0.7}, 1), 1e-5)
			require.Zero(t, one[0])
			require.InDelta(t, 70.0, sigmoidBCE(im, one, []float32{-inf}, []float32{0.7}, 1), 1e-5)
			require.Zero(t, one[0])
			nan := float32(math.NaN())
			for _, c := range [][2]float32{{nan, 0.5}, {1, nan}, {-3, nan}} {
				require.True(t, math.IsNaN(sigmoidBCE(im, one, c[:1], c[1:], 1)), "loss of %v", c)
				require.True(t, math.IsNaN(float64(one[0])), "grad of %v", c)
			}

			// Finite differences in the smooth region.
			for range 200 {
				zi := rng.Float64()*24 - 12
				xi := rng.Float64()
				zp, zm := float32(zi+1e-2), float32(zi-1e-2)
				fd := (sigmoidBCE(im, nil, []float32{zp}, []float32{float32(xi)}, 1) -
					sigmoidBCE(im, nil, []float32{zm}, []float32{float32(xi)}, 1)) / (float64(zp) - float64(zm))
				g := []float32{0}
				sigmoidBCE(im, g, []float32{float32(zi)}, []float32{float32(xi)}, 1)
				require.InDelta(t, fd, float64(g[0]), 1e-4, "z=%v x=%v", zi, xi)
			}
		})
	}
	require.Panics(t, func() { SigmoidBCE(nil, make([]float32, 3), make([]float32, 2), 1) })
	require.Panics(t, func() { SigmoidBCE(make([]float32, 2), make([]float32, 3), make([]float32, 3), 1) })
	dz := make([]float32, len(zs))
	require.Zero(t, testing.AllocsPerRun(10, func() { SigmoidBCE(dz, zs, zs, 1) }))
}

// TestBCESatNeg checks the saturation threshold: the smallest float32 whose
// float32 exponential overflows.
func TestBCESatNeg(t *testing.T) {
	require.True(t, math.IsInf(float64(float32(math.Exp(float64(bceSatNeg)))), 1))
	require.False(t, math.IsInf(float64(float32(math.Exp(float64(math.Nextafter32(bceSatNeg, 0))))), 1))
}

// bceSpecial are bit patterns the paths must treat alike: zeros, the
// saturation edges, extremes, subnormals, ±Inf and NaN.
var bceSpecial = []float32{0, float32(math.Copysign(0, -1)), 1, -1, 16.6355, 16.6356, -87.3, -87.29, -88.72283, -bceSatNeg,
	math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
	float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e4, -1e4, 27.6, -27.6}

// sameFloat32 reports bitwise equality, any NaN equal to any NaN.
func sameFloat32(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

func sameFloat64(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (a != a && b != b)
}

// TestBCEImplsMatchTwin holds every implementation to the Go twin bit for
// bit: lengths 0..67 and large, inputs and outputs at unaligned offsets
// inside larger buffers with guard values around dz, special values, dz
// aliasing z.
func TestBCEImplsMatchTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	lengths := []int{}
	for n := 0; n <= 67; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 127, 128, 129, 1000, bceBlock+13, 100*784)
	const guard = 0x7fc0dead // a NaN with a recognisable payload
	for _, im := range impls {
		for _, n := range lengths {
			off := n % 8
			zb, xb := make([]float32, n+off+3), make([]float32, n+off+5)
			for i := range zb {
				zb[i] = float32(rng.NormFloat64() * 12)
				if rng.IntN(8) == 0 {
					zb[i] = bceSpecial[rng.IntN(len(bceSpecial))]
				}
			}
			for i := range xb {
				xb[i] = rng.Float32()
				if rng.IntN(16) == 0 {
					xb[i] = float32(rng.IntN(2))
				}
			}
			z, x := zb[off:off+n], xb[3:3+n]
			twin := make([]float32, n)
			want := sigmoidBCE(genericImpl, twin, z, x, 0.37)
			dzb := make([]float32, n+16)
			for i := range dzb {
				dzb[i] = math.Float32frombits(guard)
			}
			dz := dzb[(off+1)%8 : (off+1)%8+n]
			got := sigmoidBCE(im, dz, z, x, 0.37)
			require.True(t, sameFloat64(want, got), "%s n=%d: loss %v, twin %v", im.name, n, got, want)
			for i := range dz {
				require.True(t, sameFloat32(twin[i], dz[i]), "%s n=%d i=%d z=%v x=%v: dz %v, twin %v", im.name, n, i, z[i], x[i], dz[i], twin[i])
			}
			for i := range dzb {
				if i < (off+1)%8 || i >= (off+1)%8+n {
					require.Equal(t, uint32(guard), math.Float32bits(dzb[i]), "%s n=%d: guard %d overwritten", im.name, n, i)
				}
			}
			require.True(t, sameFloat64(want, sigmoidBCE(im, nil, z, x, 0.37)), "%s n=%d: nil dz", im.name, n)
			// In place: dz = z.
			zc := append([]float32(nil), z...)
			require.True(t, sameFloat64(want, sigmoidBCE(im, zc, zc, x, 0.37)), "%s n=%d: in place", im.name, n)
			for i := range zc {
				require.True(t, sameFloat32(twin[i], zc[i]), "%s n=%d i=%d: in place", im.name, n, i)
			}
		}
	}
}

// TestSigmoidBCEAllocs: the loss allocates nothing on the active path (the
// NEON table passes its constants and lane sums by pointer to the stack).
func TestSigmoidBCEAllocs(t *testing.T) {
	z, x, dz := make([]float32, 1000), make([]float32, 1000), make([]float32, 1000)
	require.Zero(t, testing.AllocsPerRun(10, func() { SigmoidBCE(dz, z, x, 0.5) }))
}

// TestBCELaneOrder pins the float64 lane of every element (i%8) and the
// order within a lane: two tiny losses at indices 0 and 4 and a huge one
// at index 8 are summed as (t + B) + t, which rounds both t away, where a
// kernel that put indices 0 and 4 into one lane would compute (t + t) + B,
// which rounds up. Every implementation must give the twin's bits.
func TestBCELaneOrder(t *testing.T) {
	tiny, _ := bceElem(16, 1) // x·log p with p = sigmoid(16): about -1.1e-7
	m := math.Floor(math.Log2(math.Abs(float64(tiny)))) + 2
	xb := float32(1.5 * math.Pow(2, m+52) / 100)
	big, _ := bceElem(-100, xb) // -100·xb, in the binade whose ulp is 2^m
	tu := math.Abs(float64(tiny)) / math.Pow(2, m)
	require.True(t, tu > 0.25 && tu < 0.5, "tiny is %v ulp of big", tu)
	require.NotEqual(t, (float64(tiny)+float64(big))+float64(tiny), (float64(tiny)+float64(tiny))+float64(big),
		"the case must be sensitive to the grouping")
	z, x := make([]float32, 16), make([]float32, 16)
	for i := range z {
		z[i] = -100 // x = 0: a zero loss
	}
	z[0], x[0] = 16, 1
	z[4], x[4] = 16, 1
	z[8], x[8] = -100, xb
	want := sigmoidBCE(genericImpl, nil, z, x, 1)
	require.Equal(t, -((float64(tiny) + float64(big)) + float64(tiny)), want)
	for _, im := range impls {
		require.Equal(t, math.Float64bits(want), math.Float64bits(sigmoidBCE(im, nil, z, x, 1)), im.name)
	}
	// Order within lane 0: elements 0 (tiny), 16 (huge) and 24 (tiny) are
	// summed as (t + B) + t; a kernel that added element 24 before 16 (the
	// high half of a 16-lane vector before its low half) would compute
	// (t + t) + B.
	z, x = make([]float32, 32), make([]float32, 32)
	for i := range z {
		z[i] = -100
	}
	z[0], x[0] = 16, 1
	z[16], x[16] = -100, xb
	z[24], x[24] = 16, 1
	want = sigmoidBCE(genericImpl, nil, z, x, 1)
	require.Equal(t, -((float64(tiny) + float64(big)) + float64(tiny)), want)
	for _, im := range impls {
		require.Equal(t, math.Float64bits(want), math.Float64bits(sigmoidBCE(im, nil, z, x, 1)), im.name+", order within a lane")
	}
}
