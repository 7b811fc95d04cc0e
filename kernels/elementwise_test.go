package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func randSlice(rng *rand.Rand, n int, scale float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * scale)
	}
	return x
}

// TestElementwiseBasics checks Axpy, Scale, AddBias, SumRows, Relu and
// ReluBackward against float64 references (one rounding per operation, so
// they must agree to the float32 rounding of the reference).
func TestElementwiseBasics(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 8, 9, 100, 1001} {
		x, y := randSlice(rng, n, 1), randSlice(rng, n+3, 1)
		y0 := append([]float32(nil), y...)
		Axpy(-0.75, x, y)
		for i := range x {
			require.Equal(t, float32(float64(y0[i])+float64(float32(-0.75*float64(x[i])))), y[i])
		}
		require.Equal(t, y0[n:], y[n:], "Axpy wrote past len(x)")

		s := append([]float32(nil), x...)
		Scale(3, s)
		for i := range s {
			require.Equal(t, float32(3*float64(x[i])), s[i])
		}

		r := append([]float32(nil), x...)
		Relu(r, r)
		for i := range r {
			require.Equal(t, float32(math.Max(float64(x[i]), 0)), r[i])
		}
		dy := randSlice(rng, n, 1)
		dx := make([]float32, n)
		ReluBackward(dx, dy, r)
		for i := range dx {
			if x[i] > 0 {
				require.Equal(t, dy[i], dx[i])
			} else {
				require.Zero(t, dx[i])
			}
		}
		ReluBackward(dy, dy, r) // in place
		require.Equal(t, dx, dy)
	}
	require.True(t, math.IsNaN(float64(func() float32 { y := []float32{0}; Relu(y, []float32{float32(math.NaN())}); return y[0] }())))

	for _, shape := range [][2]int{{1, 1}, {3, 5}, {100, 32}, {7, 9}} {
		rows, cols := shape[0], shape[1]
		m := randSlice(rng, rows*cols, 1)
		bias := randSlice(rng, cols, 1)
		mb := append([]float32(nil), m...)
		AddBias(mb, rows, cols, bias)
		for i := range mb {
			require.Equal(t, m[i]+bias[i%cols], mb[i])
		}
		dst := randSlice(rng, cols, 1)
		want := make([]float32, cols)
		for j := range want {
			s := dst[j]
			for r := 0; r < rows; r++ {
				s += m[r*cols+j]
			}
			want[j] = s
		}
		SumRows(dst, m, rows, cols)
		require.Equal(t, want, dst)
	}
	// Short slices panic with a message naming the function.
	require.PanicsWithValue(t, "kernels.Axpy: len(y)=2, need 3", func() { Axpy(1, make([]float32, 3), make([]float32, 2)) })
	require.Panics(t, func() { AddBias(make([]float32, 5), 2, 3, make([]float32, 3)) })
	require.Panics(t, func() { SumRows(make([]float32, 2), make([]float32, 6), 2, 3) })
	require.Panics(t, func() { Relu(make([]float32, 1), make([]float32, 2)) })
	require.Panics(t, func() { ReluBackward(make([]float32, 2), make([]float32, 2), make([]float32, 1)) })
}

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

// TestSigmoidBCE checks the loss and gradient against the float64 reference,
// including saturated logits, and the gradient by finite differences where
// the loss is smooth.
func TestSigmoidBCE(t *testing.T) {
	zs := []float32{-150, -100, -95, -88, -60, -30, -20, -5, -0.5, 0, 0.5, 5, 15, 16.5, 16.7, 20, 60, 100, 150}
	xs := []float32{0, 0.3, 1}
	var z, x []float32
	for _, zi := range zs {
		for _, xi := range xs {
			z, x = append(z, zi), append(x, xi)
		}
	}
	dz := make([]float32, len(z))
	total := SigmoidBCE(dz, z, x, 0.5)
	var want float64
	for i := range z {
		l, g := bceRef64(float64(z[i]), float64(x[i]))
		one := make([]float32, 1)
		li := SigmoidBCE(one, z[i:i+1], x[i:i+1], 1)
		require.InDelta(t, l, li, 1e-9*math.Max(1, l), "loss z=%v x=%v", z[i], x[i])
		require.InDelta(t, g, float64(one[0]), 1e-6*math.Max(1e-30, math.Abs(g))+1e-30, "grad z=%v x=%v", z[i], x[i])
		require.Equal(t, float32(0.5)*one[0], dz[i], "scale z=%v x=%v", z[i], x[i])
		want += l
	}
	require.InDelta(t, want, total, 1e-9*want)
	// Spot values: the clamp at -100 where PyTorch's p saturates.
	one := []float32{0}
	require.Equal(t, 100.0, SigmoidBCE(one, []float32{20}, []float32{0}, 1))
	require.Zero(t, one[0])
	require.InDelta(t, 100*float64(float32(0.7)), SigmoidBCE(one, []float32{-100}, []float32{0.7}, 1), 1e-12)
	require.InDelta(t, 15.0, SigmoidBCE(one, []float32{15}, []float32{0}, 1), 1e-6)
	// Finite differences in the smooth region.
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		zi := rng.Float64()*24 - 12
		xi := rng.Float64()
		// Central difference over float32 points (the function's domain).
		zp, zm := float32(zi+1e-3), float32(zi-1e-3)
		fd := (bceSum(zp, xi) - bceSum(zm, xi)) / (float64(zp) - float64(zm))
		g := []float32{0}
		SigmoidBCE(g, []float32{float32(zi)}, []float32{float32(xi)}, 1)
		require.InDelta(t, fd, float64(g[0]), 1e-5, "z=%v x=%v", zi, xi)
	}
	// nil dz: loss only.
	require.InDelta(t, total, SigmoidBCE(nil, z, x, 1), 1e-9*total)
	require.Panics(t, func() { SigmoidBCE(nil, make([]float32, 3), make([]float32, 2), 1) })
	require.Zero(t, testing.AllocsPerRun(10, func() { SigmoidBCE(dz, z, x, 1) }))
}

func bceSum(z float32, x float64) float64 {
	return SigmoidBCE(nil, []float32{z}, []float32{float32(x)}, 1)
}

// adamRef64 is a float64 transcription of torch.optim.Adam / RAdam
// (single-tensor path, no weight decay).
type adamRef64 struct {
	p, m, v []float64
}

func (a *adamRef64) step(g []float64, lr, b1, b2, eps float64, t int, radam bool) {
	tf := float64(t)
	bc1, bc2 := 1-math.Pow(b1, tf), 1-math.Pow(b2, tf)
	rhoInf := 2/(1-b2) - 1
	rhoT := rhoInf - 2*tf*math.Pow(b2, tf)/bc2
	for i := range a.p {
		a.m[i] += (g[i] - a.m[i]) * (1 - b1)
		a.v[i] = a.v[i]*b2 + (1-b2)*g[i]*g[i]
		if !radam {
			a.p[i] -= lr / bc1 * a.m[i] / (math.Sqrt(a.v[i])/math.Sqrt(bc2) + eps)
			continue
		}
		if rhoT > 5 {
			rect := math.Sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT))
			a.p[i] -= a.m[i] / bc1 * lr * math.Sqrt(bc2) / (math.Sqrt(a.v[i]) + eps) * rect
		} else {
			a.p[i] -= a.m[i] / bc1 * lr
		}
	}
}

// TestLog1pUnit compares the log1p of SigmoidBCE with math.Log1p.
func TestLog1pUnit(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range 100000 {
		x := math.Exp(-rng.Float64() * 120) // (e^-120, 1]
		want := math.Log1p(x)
		require.InDelta(t, want, log1pUnit(x), 1e-12*want, "x=%v", x)
	}
	require.Equal(t, 0.0, log1pUnit(0))
	require.InDelta(t, math.Ln2, log1pUnit(1), 1e-12)
}

// TestAdamRAdam runs 12 steps of each optimiser against the float64
// transcription of PyTorch's algorithm (RAdam crosses its rho_t > 5
// threshold at step 6).
func TestAdamRAdam(t *testing.T) {
	for _, radam := range []bool{false, true} {
		rng := rand.New(rand.NewPCG(5, 6))
		n := 257
		p := randSlice(rng, n, 1)
		m, v := make([]float32, n), make([]float32, n)
		ref := &adamRef64{p: make([]float64, n), m: make([]float64, n), v: make([]float64, n)}
		for i := range p {
			ref.p[i] = float64(p[i])
		}
		lr, b1, b2, eps := 1e-3, 0.9, 0.999, 1e-8
		for step := 1; step <= 12; step++ {
			gs := math.Exp2(float64(step%5 - 2))
			g := randSlice(rng, n, gs)
			g[0] = 0
			g64 := make([]float64, n)
			for i := range g {
				g64[i] = float64(g[i])
			}
			if radam {
				RAdamStep(p, g, m, v, lr, b1, b2, eps, step)
			} else {
				AdamStep(p, g, m, v, lr, b1, b2, eps, step)
			}
			ref.step(g64, lr, b1, b2, eps, step, radam)
			for i := range p {
				require.InDelta(t, ref.p[i], float64(p[i]), 2e-6*math.Max(1, math.Abs(ref.p[i])),
					"radam=%v step %d param %d", radam, step, i)
				// float32 rounding of the running averages, relative to
				// the gradient scale (m and v can cancel to small values).
				require.InDelta(t, ref.m[i], float64(m[i]), 1e-6*(math.Abs(ref.m[i])+4), "m")
				require.InDelta(t, ref.v[i], float64(v[i]), 1e-6*(math.Abs(ref.v[i])+16e-3), "v")
			}
		}
		// The first step moves every parameter with a gradient by about lr
		// (Adam) or by lr·m/(1-beta1) (RAdam's un-adapted phase).
		require.Panics(t, func() { AdamStep(p, p, m, v, lr, b1, b2, eps, 0) })
		require.Panics(t, func() { RAdamStep(p, p[:1], m, v, lr, b1, b2, eps, 1) })
		require.Zero(t, testing.AllocsPerRun(10, func() {
			AdamStep(p, p, m, v, lr, b1, b2, eps, 3)
			RAdamStep(p, p, m, v, lr, b1, b2, eps, 7)
		}))
	}
	// The RAdam threshold: steps 1..5 use the plain momentum update.
	p, g := []float32{1}, []float32{0.5}
	m, v := []float32{0}, []float32{0}
	RAdamStep(p, g, m, v, 0.1, 0.9, 0.999, 1e-8, 1)
	require.InDelta(t, 1-0.1*0.5, float64(p[0]), 1e-7)
}
