package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/kernels"
	"github.com/stretchr/testify/require"
)

// bce64 is the float64 oracle of PyTorch's binary_cross_entropy(sigmoid(z), x)
// with logs clamped at −100, written from the definition (not from
// SigmoidLogs).
func bce64(z, x float64) float64 {
	p := 1 / (1 + math.Exp(-z))
	return -(x*max(math.Log(p), -100) + (1-x)*max(math.Log(1-p), -100))
}

func TestBCEValueAndGradient(t *testing.T) {
	const rows, cols = 9, 13
	r := rand.New(rand.NewPCG(11, 3))
	z := randSlice(r, rows*cols, -8, 8)
	x := randSlice(r, rows*cols, 0, 1)
	x[0], x[1] = 0, 1 // binary targets too
	const scale = 0.25
	var b BCE
	dz := make([]float32, rows*cols)
	rowLoss := make([]float64, rows)
	total, err := b.Loss(nil, dz, z, x, rows, cols, scale, rowLoss)
	require.NoError(t, err)
	x64 := to64(x)
	want := 0.0
	for r := 0; r < rows; r++ {
		rw := 0.0
		for c := 0; c < cols; c++ {
			rw += bce64(float64(z[r*cols+c]), x64[r*cols+c])
		}
		require.InDelta(t, rw, rowLoss[r], 1e-5*rw)
		want += rw
	}
	require.InDelta(t, want, total, 1e-5*want)
	fd := numGrad(to64(z), func(z []float64) float64 {
		s := 0.0
		for i, v := range z {
			s += bce64(v, x64[i])
		}
		return scale * s
	})
	requireGradClose(t, "dz", dz, fd, 1e-5)

	// No gradient asked, no row losses asked: same total.
	t2, err := b.Loss(nil, nil, z, x, rows, cols, scale, nil)
	require.NoError(t, err)
	require.Equal(t, total, t2)
	// dz may equal z.
	zc := append([]float32(nil), z...)
	_, err = b.Loss(nil, zc, zc, x, rows, cols, scale, nil)
	require.NoError(t, err)
	require.Equal(t, dz, zc)
}

func TestBCEExtremeLogits(t *testing.T) {
	// Saturated logits: the clamp keeps every term finite and at most 100.
	z := []float32{-1e4, -200, -50, 50, 200, 1e4}
	x := []float32{1, 1, 0.5, 0.5, 0, 0}
	var b BCE
	dz := make([]float32, len(z))
	rowLoss := make([]float64, len(z))
	_, err := b.Loss(nil, dz, z, x, len(z), 1, 1, rowLoss)
	require.NoError(t, err)
	for i, v := range rowLoss {
		require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "row %d", i)
		require.LessOrEqual(t, v, 100.0+1e-9)
		require.Greater(t, v, 10.0, "row %d: saturated wrong-side logit must cost a lot", i)
		require.False(t, math.IsNaN(float64(dz[i])))
	}
}

func TestBCEThreadsAndAllocs(t *testing.T) {
	const rows, cols = 101, 784
	r := rand.New(rand.NewPCG(5, 5))
	z := randSlice(r, rows*cols, -6, 6)
	x := randSlice(r, rows*cols, 0, 1)
	var totals [2]float64
	var dzs [2][]float32
	for k, threads := range []int{1, 2} {
		ws := kernels.NewWorkspace(threads)
		var b BCE
		dz := make([]float32, rows*cols)
		tot, err := b.Loss(ws, dz, z, x, rows, cols, 0.01, nil)
		require.NoError(t, err)
		totals[k], dzs[k] = tot, dz
		require.Zero(t, testing.AllocsPerRun(5, func() { _, _ = b.Loss(ws, dz, z, x, rows, cols, 0.01, nil) }))
		ws.Close()
	}
	require.Equal(t, totals[0], totals[1])
	require.Equal(t, dzs[0], dzs[1])
}

func TestBCEErrors(t *testing.T) {
	var b BCE
	_, err := b.Loss(nil, nil, make([]float32, 5), make([]float32, 6), 2, 3, 1, nil)
	require.ErrorIs(t, err, errkind.Shape)
	require.ErrorContains(t, err, "len(z)=5")
	_, err = b.Loss(nil, make([]float32, 5), make([]float32, 6), make([]float32, 6), 2, 3, 1, nil)
	require.ErrorIs(t, err, errkind.Shape)
	_, err = b.Loss(nil, nil, make([]float32, 6), make([]float32, 6), 2, 3, 1, make([]float64, 1))
	require.ErrorIs(t, err, errkind.Shape)
	_, err = b.Loss(nil, nil, nil, nil, 0, 0, 1, nil)
	require.ErrorIs(t, err, errkind.Shape)
	_, err = b.Loss(nil, nil, make([]float32, 6), make([]float32, 6), 2, 3, float32(math.NaN()), nil)
	require.ErrorIs(t, err, errkind.NonFinite)
	tot, err := b.Loss(nil, nil, nil, nil, 0, 3, 1, nil)
	require.NoError(t, err)
	require.Zero(t, tot)
}

func TestSigmoidLogs(t *testing.T) {
	for _, z := range []float32{-30, -5, -0.5, 0, 0.5, 5, 16} {
		lp, l1p := SigmoidLogs(z)
		// log σ(z) = −log(1+e^−z) and log(1−σ(z)) = −log(1+e^z).
		zz := float64(z)
		require.InDelta(t, -math.Log1p(math.Exp(-zz)), lp, 1e-12*(1+math.Abs(lp)), "z=%v", z)
		require.InDelta(t, -math.Log1p(math.Exp(zz)), l1p, 1e-12*(1+math.Abs(l1p)), "z=%v", z)
	}
	// PyTorch's float32 p saturates at 1 from z ≈ 16.64 and at 0 below
	// z ≈ −88.72; the saturated side's log is then clamped to −100.
	for _, c := range []struct {
		z       float32
		lp, l1p float64
	}{{17, 0, -100}, {60, 0, -100}, {1e4, 0, -100}, {-89, -100, 0}, {-1e4, -100, 0}} {
		lp, l1p := SigmoidLogs(c.z)
		require.InDelta(t, c.lp, lp, 1e-7, "z=%v", c.z)
		require.InDelta(t, c.l1p, l1p, 1e-7, "z=%v", c.z)
	}
	lp, _ := SigmoidLogs(-88)
	require.InDelta(t, -88, lp, 1e-12)
	// It agrees with the (float32) loss kernel everywhere, saturated logits
	// included, within the kernel's documented 4e-7 relative error.
	for _, z := range []float32{-1e4, -100, -88.8, -88.7, -50, -27, -5, 0, 3, 16.6, 16.7, 20, 100, 1e4} {
		lp, l1p := SigmoidLogs(z)
		for _, x := range []float32{0, 0.3, 1} {
			want := kernels.SigmoidBCE(nil, []float32{z}, []float32{x}, 1)
			require.InDelta(t, want, -(float64(x)*lp + (1-float64(x))*l1p), 4e-7*want+1e-12, "z=%v x=%v", z, x)
		}
	}
}

// TestChainGradient checks a two-layer net with the VAE's ordering
// (Linear → activation → Linear → sigmoid BCE) against a float64 oracle of
// the same net, for every parameter and the input.
func TestChainGradient(t *testing.T) {
	const rows, in, hid, out = 4, 6, 5, 7
	for _, a := range []Activation{ReLU, LeakyReLU} {
		t.Run(a.String(), func(t *testing.T) {
			var p Params
			l1, err := NewLinear(&p, "fc1", in, hid)
			require.NoError(t, err)
			l2, err := NewLinear(&p, "fc2", hid, out)
			require.NoError(t, err)
			require.NoError(t, p.Alloc())
			r := rand.New(rand.NewPCG(21, 1))
			require.NoError(t, l1.Init(r))
			require.NoError(t, l2.Init(r))
			x := randSlice(r, rows*in, 0, 1)
			tgt := randSlice(r, rows*out, 0, 1)
			h := make([]float32, rows*hid)
			z := make([]float32, rows*out)
			dz := make([]float32, rows*out)
			dh := make([]float32, rows*hid)
			dx := make([]float32, rows*in)
			require.NoError(t, l1.Forward(nil, h, x, rows))
			require.NoError(t, a.Forward(h, h))
			require.NoError(t, l2.Forward(nil, z, h, rows))
			var b BCE
			_, err = b.Loss(nil, dz, z, tgt, rows, out, 1.0/rows, nil)
			require.NoError(t, err)
			require.NoError(t, l2.Backward(nil, dh, dz, h, rows))
			require.NoError(t, a.Backward(dh, dh, h))
			require.NoError(t, l1.Backward(nil, dx, dh, x, rows))

			// Oracle: all parameters in one float64 vector laid out like p.Data.
			target := to64(tgt)
			net := func(theta, xin []float64) float64 {
				w1 := theta[l1.W.Off : l1.W.Off+l1.W.Len()]
				b1 := theta[l1.B.Off : l1.B.Off+l1.B.Len()]
				w2 := theta[l2.W.Off : l2.W.Off+l2.W.Len()]
				b2 := theta[l2.B.Off : l2.B.Off+l2.B.Len()]
				hh := linear64(w1, b1, xin, rows, in, hid)
				for i := range hh {
					hh[i] = act64(a, hh[i])
				}
				zz := linear64(w2, b2, hh, rows, hid, out)
				s := 0.0
				for i, v := range zz {
					s += bce64(v, target[i])
				}
				return s / rows
			}
			theta, x64 := to64(p.Data), to64(x)
			requireGradClose(t, "params", p.Grad, numGrad(theta, func(th []float64) float64 { return net(th, x64) }), 1e-4)
			requireGradClose(t, "dx", dx, numGrad(x64, func(xx []float64) float64 { return net(theta, xx) }), 1e-4)
		})
	}
}
