package estimators_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/estimators"
)

// poly3 is a per-row polynomial loss of the one-hot D:
// f(D) = bᵀD + DᵀQD + Σ_ijk T_ijk D_i D_j D_k (Q, T zero for lower degrees).
type poly3 struct {
	C      int
	b      []float64 // [C]
	Q      []float64 // [C·C]
	T      []float64 // [C·C·C]
	degree int
}

func newPoly3(r *rand.Rand, C, degree int) *poly3 {
	p := &poly3{C: C, b: make([]float64, C), Q: make([]float64, C*C), T: make([]float64, C*C*C), degree: degree}
	for i := range p.b {
		p.b[i] = r.NormFloat64()
	}
	if degree >= 2 {
		for i := range p.Q {
			p.Q[i] = r.NormFloat64()
		}
	}
	if degree >= 3 {
		for i := range p.T {
			p.T[i] = r.NormFloat64()
		}
	}
	return p
}

// value is f(e_j).
func (p *poly3) value(j int) float64 {
	C := p.C
	return p.b[j] + p.Q[j*C+j] + p.T[(j*C+j)*C+j]
}

// grad is ∇f(e_j) (as float32, the estimators' input).
func (p *poly3) grad(j int) []float32 {
	C := p.C
	g := make([]float32, C)
	for m := range C {
		v := p.b[m] + p.Q[m*C+j] + p.Q[j*C+m] + p.T[(m*C+j)*C+j] + p.T[(j*C+m)*C+j] + p.T[(j*C+j)*C+m]
		g[m] = float32(v)
	}
	return g
}

// TestIdentitiesRandom asserts properties 3–6, 8 and 19 (the table in
// docs/estimators.md, "Properties checked by the tests") on random
// logits and random polynomial losses by enumerating D.
func TestIdentitiesRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, C := range []int{2, 3, 7} {
		const N = 5
		theta := make([]float32, N*C)
		for i := range theta {
			theta[i] = float32(1.5 * r.NormFloat64())
		}
		theta[0] = -20 // a nearly-zero probability in row 0
		for degree := 1; degree <= 3; degree++ {
			polys := make([]*poly3, N)
			for n := range polys {
				polys[n] = newPoly3(r, C, degree)
			}
			gradF := func(n, j int) []float32 { return polys[n].grad(j) }
			loss := func(n, j int) float32 { return float32(polys[n].value(j)) }
			exact := make([]float64, N*C)
			for n := range N {
				F := make([]float64, C)
				for j := range C {
					F[j] = float64(loss(n, j)) // f as the estimators see it (float32)
				}
				copy(exact[n*C:], jv64(softmax64(theta[n*C:(n+1)*C]), F))
			}
			scale := norm(exact)
			dev := func(cfg estimators.Config, factor float64, withLoss bool) float64 {
				var rl func(n, j int) float32
				if withLoss {
					rl = loss
				}
				got := enumerate(t, cfg, theta, C, gradF, rl)
				target := make([]float64, len(exact))
				for i, v := range exact {
					target[i] = factor * v
				}
				return relDev(got, target, scale)
			}
			// REINFORCE is unbiased for every f (property 19).
			require.Less(t, dev(estimators.Config{Method: "reinforce", Tau: 1}, 1, true), 2e-6, "reinforce C=%d deg=%d", C, degree)
			st := dev(estimators.Config{Method: "st", Tau: 1}, 1, false)
			rm := dev(estimators.Config{Method: "reinmax", Tau: 1}, 1, false)
			rm13 := dev(estimators.Config{Method: "reinmax", Tau: 1.3}, 1, false)
			t.Logf("C=%d degree=%d: rel. deviation from exact: st %.2g reinmax %.2g reinmax(tau=1.3) %.2g", C, degree, st, rm, rm13)
			switch degree {
			case 1: // properties 3, 5, 8
				require.Less(t, st, 2e-6)
				require.Less(t, rm, 2e-6)
				for _, a := range []float64{0.3, 0.5, 2.0 / 3, 0.75, 1, 1.7, 5} {
					d := dev(estimators.Config{Method: "reinmax-alpha", Tau: 1, Alpha: a}, 2-1/a, false)
					require.Less(t, d, 4e-6, "reinmax-alpha a=%v C=%d", a, C)
				}
			case 2: // property 5 holds, 4 fails
				require.Greater(t, st, 1e-3)
				require.Less(t, rm, 2e-6)
				require.Greater(t, rm13, 1e-3)
			case 3: // property 6
				require.Greater(t, rm, 1e-3)
			}
		}
	}
}

// TestPerSampleEqualities checks, for random samples, that ReinMax(α = 1)
// equals ReinMax (property 7) and ReinMax-CV with η = 0 equals ReinMax at
// τ = 1 (property 17), at every sample.
func TestPerSampleEqualities(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const N, C, K = 40, 6, 5
	theta, g, gp, G, E := make([]float32, N*C), make([]float32, N*C), make([]float32, N*C), make([]float32, N*C), make([]float32, N*K*C)
	idx := make([]int32, N)
	for i := range theta {
		theta[i] = float32(2 * r.NormFloat64())
		g[i] = float32(r.NormFloat64())
		gp[i] = float32(r.NormFloat64())
		G[i] = float32(-math.Log(r.ExpFloat64()))
	}
	for i := range E {
		E[i] = float32(r.ExpFloat64())
	}
	for n := range idx {
		idx[n] = int32(r.IntN(C))
	}
	run := func(cfg estimators.Config, G, E []float32) []float32 {
		est, err := estimators.New(cfg, N, C)
		require.NoError(t, err)
		out := make([]float32, N*C)
		require.NoError(t, est.BackwardWithNoise(nil, theta, idx, G, E, g, gp, out))
		return out
	}
	for _, tau := range []float64{0.5, 1, 1.3} {
		rm := run(estimators.Config{Method: "reinmax", Tau: tau}, nil, nil)
		a1 := run(estimators.Config{Method: "reinmax-alpha", Tau: tau, Alpha: 1}, nil, nil)
		// Bit-for-bit in exact arithmetic order; the tolerance only allows a
		// compiler that fuses multiply-adds differently in the two paths.
		for i := range rm {
			require.InDelta(t, rm[i], a1[i], 1e-6*(1+math.Abs(float64(rm[i]))), "tau=%v [%d]", tau, i)
		}
		a2 := run(estimators.Config{Method: "reinmax-alpha", Tau: tau, Alpha: 2}, nil, nil)
		require.NotEqual(t, rm, a2)
	}
	rm1 := run(estimators.Config{Method: "reinmax", Tau: 1}, nil, nil)
	for _, noise := range []string{"softmax", "gumbel"} {
		for _, tau := range []float64{0.5, 1, 2} {
			cv0 := run(estimators.Config{Method: "reinmax-cv", Tau: tau, Eta: 0, K: K, Noise: noise}, G, E)
			require.Equal(t, rm1, cv0, "eta=0 noise=%s tau=%v", noise, tau)
			cv := run(estimators.Config{Method: "reinmax-cv", Tau: tau, Eta: 0.7, K: K, Noise: noise}, G, E)
			require.NotEqual(t, rm1, cv)
		}
	}
}
