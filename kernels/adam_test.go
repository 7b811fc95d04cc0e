package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

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

// TestAdamImplsMatchTwin holds every implementation's Adam and RAdam to the
// Go twins bit for bit: lengths 0..67 and large, unaligned sub-slices,
// both lerp forms (beta1 below and above 0.5), RAdam before and after its
// rho_t > 5 threshold, special gradients (±Inf, NaN, zeros, extremes).
func TestAdamImplsMatchTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	lengths := []int{}
	for n := 0; n <= 67; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 127, 128, 129, 1000, adamBlock+13)
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-30, -1e30, math.MaxFloat32, math.SmallestNonzeroFloat32,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	for _, im := range impls {
		for _, radam := range []bool{false, true} {
			for _, hp := range []struct {
				b1 float64
				t  int
			}{{0.9, 1}, {0.9, 7}, {0.3, 3}, {0.9, 1000}} {
				k := newAdamConsts(1e-3, hp.b1, 0.999, 1e-8, hp.t)
				fn, twin := im.adam, adamGeneric
				if radam {
					k = newRAdamConsts(1e-3, hp.b1, 0.999, 1e-8, hp.t)
					fn, twin = im.radam, radamGeneric
				}
				for _, n := range lengths {
					off := n % 8
					buf := func(scale float64) []float32 {
						b := make([]float32, n+8)
						for i := range b {
							b[i] = float32(rng.NormFloat64() * scale)
						}
						return b
					}
					pb, gb, mb, vb := buf(1), buf(1), buf(0.1), buf(0.01)
					for i := range vb {
						vb[i] = float32(math.Abs(float64(vb[i])))
						if rng.IntN(10) == 0 {
							gb[i] = special[rng.IntN(len(special))]
						}
					}
					p, g, m, v := pb[off:off+n], gb[(off+3)%8:(off+3)%8+n], mb[1:1+n], vb[7-off%8:7-off%8+n]
					p2, m2, v2 := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
					twin(p2, g, m2, v2, k)
					pb0 := append([]float32(nil), pb...)
					optimStep(fn, twin, p, g, m, v, k)
					for i := range p {
						require.True(t, sameFloat32(p2[i], p[i]) && sameFloat32(m2[i], m[i]) && sameFloat32(v2[i], v[i]),
							"%s radam=%v b1=%v t=%d n=%d i=%d g=%v: p %v/%v m %v/%v v %v/%v", im.name, radam, hp.b1, hp.t, n, i,
							g[i], p[i], p2[i], m[i], m2[i], v[i], v2[i])
					}
					for i := range pb {
						if i < off || i >= off+n {
							require.Equal(t, math.Float32bits(pb0[i]), math.Float32bits(pb[i]), "wrote outside p")
						}
					}
				}
			}
		}
	}
}
