package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/kernels"
	"github.com/stretchr/testify/require"
)

// torchStep64 transcribes torch.optim.Adam / RAdam (single-tensor path,
// weight_decay 0, amsgrad off) in float64.
func torchStep64(kind string, p, g, m, v []float64, lr float64, t int) {
	const b1, b2, eps = 0.9, 0.999, 1e-8
	bc1 := 1 - math.Pow(b1, float64(t))
	bc2 := 1 - math.Pow(b2, float64(t))
	rhoInf := 2/(1-b2) - 1
	rhoT := rhoInf - 2*float64(t)*math.Pow(b2, float64(t))/bc2
	for i := range p {
		m[i] += (g[i] - m[i]) * (1 - b1) // exp_avg.lerp_(grad, 1-beta1)
		v[i] = v[i]*b2 + (1-b2)*g[i]*g[i]
		switch kind {
		case Adam:
			denom := math.Sqrt(v[i])/math.Sqrt(bc2) + eps
			p[i] -= lr / bc1 * m[i] / denom
		case RAdam:
			mh := m[i] / bc1
			if rhoT > 5 {
				rect := math.Sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT))
				p[i] -= mh * lr * math.Sqrt(bc2) / (math.Sqrt(v[i]) + eps) * rect
			} else {
				p[i] -= mh * lr
			}
		}
	}
}

func TestOptimizerFirstSteps(t *testing.T) {
	g := []float32{0.5, -2, 1e-3, 0, 3e-7}
	const lr = 0.01
	// Adam's first step moves each parameter by lr·g/(|g|+eps): lr·sign(g)
	// for gradients well above eps.
	o, err := NewOptimizer(Adam, lr, len(g))
	require.NoError(t, err)
	p := make([]float32, len(g))
	require.NoError(t, o.Step(nil, p, g))
	for i, gi := range g {
		want := -lr * float64(gi) / (math.Abs(float64(gi)) + 1e-8)
		require.InDelta(t, want, float64(p[i]), 1e-6*lr, "i=%d", i)
	}
	require.Equal(t, 1, o.T)
	// RAdam's first five steps are unrectified (ρ_t ≈ t − 0.0008·t² <= 5):
	// p −= lr·m̂, and with a constant gradient m̂ = g, so after k steps
	// p = −k·lr·g.
	o, err = NewOptimizer(RAdam, lr, len(g))
	require.NoError(t, err)
	p = make([]float32, len(g))
	for k := 1; k <= 5; k++ {
		require.NoError(t, o.Step(nil, p, g))
		for i, gi := range g {
			require.InDelta(t, -float64(k)*lr*float64(gi), float64(p[i]), 1e-6*lr*math.Abs(float64(gi))*float64(k)+1e-12)
		}
	}
	// Step 6 is the first rectified one (ρ_6 ≈ 5.994 > 5): with a constant
	// gradient √(1−β2^t)/√v = 1/|g|, so the move is lr·sign(g)·r_6, not lr·g.
	before := p[2]
	require.NoError(t, o.Step(nil, p, g))
	move := float64(before - p[2])
	rho := 5.994163751655833
	rhoInf := 1999.0
	rect := math.Sqrt((rho - 4) * (rho - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rho))
	// RAdam adds eps to √v before the bias correction, so the step carries
	// |g|/(|g| + eps/√(1−β2^6)), a 1.3e-4 effect at |g| = 1e-3.
	gi := float64(g[2])
	want := lr * rect * gi / (gi + 1e-8/math.Sqrt(1-math.Pow(0.999, 6)))
	require.InDelta(t, want, move, 1e-5*want, "rectified RAdam must take an Adam-sized step")
}

func TestOptimizerMatchesTorchTranscription(t *testing.T) {
	const n, steps, lr = 3*optChunk + 17, 30, 3e-3
	for _, kind := range []string{Adam, RAdam} {
		t.Run(kind, func(t *testing.T) {
			r := rand.New(rand.NewPCG(8, 8))
			p := randSlice(r, n, -1, 1)
			p64 := to64(p)
			m64, v64 := make([]float64, n), make([]float64, n)
			o, err := NewOptimizer(kind, lr, n)
			require.NoError(t, err)
			ws := kernels.NewWorkspace(2)
			defer ws.Close()
			g := make([]float32, n)
			for s := 1; s <= steps; s++ {
				for i := range g {
					g[i] = float32(r.NormFloat64() * math.Pow(10, float64(i%7-4)))
				}
				require.NoError(t, o.Step(ws, p, g))
				torchStep64(kind, p64, to64(g), m64, v64, lr, s)
			}
			worst := 0.0
			for i := range p {
				worst = max(worst, math.Abs(float64(p[i])-p64[i])/(lr*steps))
			}
			// float32 state vs float64: agreement to float32 rounding of
			// the accumulated moves.
			require.Less(t, worst, 1e-4, "worst relative drift")
			require.Equal(t, steps, o.T)
		})
	}
}

func TestOptimizerThreadsAllocsReset(t *testing.T) {
	const n = 2*optChunk + 3
	for _, kind := range []string{Adam, RAdam} {
		var out [2][]float32
		for k, threads := range []int{1, 2} {
			r := rand.New(rand.NewPCG(3, 3))
			p := randSlice(r, n, -1, 1)
			g := randSlice(r, n, -1, 1)
			o, err := NewOptimizer(kind, 1e-3, n)
			require.NoError(t, err)
			ws := kernels.NewWorkspace(threads)
			for s := 0; s < 8; s++ {
				require.NoError(t, o.Step(ws, p, g))
			}
			require.Zero(t, testing.AllocsPerRun(5, func() { _ = o.Step(ws, p, g) }))
			ws.Close()
			out[k] = p
			o.Reset()
			require.Zero(t, o.T)
			require.Zero(t, o.M[n-1])
			require.Zero(t, o.V[0])
		}
		require.Equal(t, out[0], out[1], kind)
	}
}

func TestOptimizerErrors(t *testing.T) {
	_, err := NewOptimizer("sgd", 1e-3, 4)
	require.ErrorIs(t, err, errkind.Argument)
	require.ErrorContains(t, err, `"sgd"`)
	for _, lr := range []float64{-1, math.NaN(), math.Inf(1)} {
		_, err = NewOptimizer(Adam, lr, 4)
		require.ErrorIs(t, err, errkind.Argument, "lr=%v", lr)
	}
	_, err = NewOptimizer(Adam, 1e-3, 0)
	require.ErrorIs(t, err, errkind.Shape)
	o, err := NewOptimizer(RAdam, 1e-3, 4)
	require.NoError(t, err)
	require.ErrorIs(t, o.Step(nil, make([]float32, 3), make([]float32, 4)), errkind.Shape)
	require.ErrorIs(t, o.Step(nil, make([]float32, 4), make([]float32, 5)), errkind.Shape)
	o.Beta2 = 1
	require.ErrorIs(t, o.Step(nil, make([]float32, 4), make([]float32, 4)), errkind.Argument)
	require.Zero(t, o.T)
}
