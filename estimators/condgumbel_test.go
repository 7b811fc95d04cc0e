package estimators

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/discretegrad/reinmax/kernels"
	"github.com/stretchr/testify/require"
)

// TestCondGumbelArgmax checks property 11 of docs/estimators.md: every
// conditional sample has its argmax at the sampled index, for ordinary,
// extreme and masked logits; masked or underflowing categories get -Inf,
// nothing is NaN.
func TestCondGumbelArgmax(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const K = 200
	ninf := float32(math.Inf(-1))
	phis := [][]float32{
		{0.3, -1.2, 2.5, 0.1, 0.1},
		{30, -30, 28.5, 0, -30},
		{1e4, -1e4, 0, 9999, -5},
		{0.4, ninf, 0.4, ninf, -2},
		{-0.693, float32(math.Log(0.5 * 1e-30)), ninf, -90, -120}, // log s with underflowing π
	}
	w := make([]float32, 5)
	buf := make([]float32, K*5)
	for _, phi := range phis {
		for i := range phi {
			if phi[i] == ninf {
				continue
			}
			for j := range buf {
				buf[j] = float32(r.ExpFloat64())
			}
			require.NoError(t, condGumbelRow(buf, phi, i, K, w, false, nil, nil))
			for k := range K {
				row := buf[k*5 : (k+1)*5]
				best := 0
				for j, v := range row {
					require.False(t, math.IsNaN(float64(v)), "phi=%v i=%d k=%d", phi, i, k)
					require.False(t, math.IsInf(float64(v), 1))
					if v > row[best] {
						best = j
					}
					if phi[j] == ninf {
						require.Equal(t, ninf, v, "masked category j=%d", j)
					}
				}
				require.Equal(t, i, best, "phi=%v i=%d repeat %d: %v", phi, i, k, row)
			}
		}
	}
}

// TestCondGumbelMixture checks property 12 of docs/estimators.md by Monte
// Carlo: Σ_i π_i E[softmax(CG(θ, e_i)/τ)] = E_G[softmax((θ + G)/τ)], to within
// 6 standard errors (seeded, so deterministic).
func TestCondGumbelMixture(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	theta := []float32{0.5, -0.3, 1.2, -1.0}
	const C, tau = 4, 0.7
	M := 40000
	if testing.Short() {
		M = 10000
	}
	pi := make([]float64, C)
	var z float64
	for j, v := range theta {
		pi[j] = math.Exp(float64(v))
		z += pi[j]
	}
	for j := range pi {
		pi[j] /= z
	}
	soft := func(row []float32) []float64 {
		out := make([]float64, C)
		m := math.Inf(-1)
		for _, v := range row {
			m = max(m, float64(v)/tau)
		}
		var s float64
		for j, v := range row {
			out[j] = math.Exp(float64(v)/tau - m)
			s += out[j]
		}
		for j := range out {
			out[j] /= s
		}
		return out
	}
	lhs, lhs2 := make([]float64, C), make([]float64, C)
	w := make([]float32, C)
	buf := make([]float32, M*C)
	for i := range C {
		for j := range buf {
			buf[j] = float32(r.ExpFloat64())
		}
		require.NoError(t, condGumbelRow(buf, theta, i, M, w, false, nil, nil))
		for k := range M {
			p := soft(buf[k*C : (k+1)*C])
			for j := range C {
				lhs[j] += pi[i] * p[j] / float64(M)
				lhs2[j] += pi[i] * p[j] * p[j] / float64(M)
			}
		}
	}
	rhs, rhs2 := make([]float64, C), make([]float64, C)
	row := make([]float32, C)
	for range M {
		for j := range row {
			row[j] = theta[j] - float32(math.Log(r.ExpFloat64()))
		}
		p := soft(row)
		for j := range C {
			rhs[j] += p[j] / float64(M)
			rhs2[j] += p[j] * p[j] / float64(M)
		}
	}
	for j := range C {
		// The left side is stratified over i, so its variance is at most the plain one.
		se := math.Sqrt((lhs2[j]-lhs[j]*lhs[j])/float64(M) + (rhs2[j]-rhs[j]*rhs[j])/float64(M))
		t.Logf("category %d: mixture %.5f unconditional %.5f (se %.2g)", j, lhs[j], rhs[j], se)
		require.InDelta(t, rhs[j], lhs[j], 6*se)
	}
}

// TestCondGumbelProbs: the temperature-1 path (probabilities as 1/a
// normalised) agrees with softmax(−log a) computed the long way, and its
// fused form (avgJ with g, probabilities not stored) with avgJ of them.
func TestCondGumbelProbs(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const K, C = 50, 6
	ninf := float32(math.Inf(-1))
	phis := [][]float32{
		{0.3, -1.2, 2.5, 0.1, 0.1, -0.4},
		{30, -30, 28.5, 0, -30, 29.9},
		{1e4, -1e4, 0, 9999, -5, ninf},
		{-0.693, float32(math.Log(0.5 * 1e-30)), ninf, -90, -120, -3.4},
	}
	w := make([]float32, C)
	a, b, c := make([]float32, K*C), make([]float32, K*C), make([]float32, K*C)
	g, acc, want := make([]float32, C), make([]float32, C), make([]float32, C)
	for _, phi := range phis {
		for i := range C {
			if phi[i] == ninf {
				continue
			}
			for j := range a {
				a[j] = float32(r.ExpFloat64())
			}
			copy(b, a)
			copy(c, a)
			require.NoError(t, condGumbelRow(a, phi, i, K, w, true, nil, nil))
			require.NoError(t, condGumbelRow(b, phi, i, K, w, false, nil, nil))
			// The fused path gives avgJ of the same probabilities.
			for j := range g {
				g[j] = float32(r.NormFloat64())
			}
			require.NoError(t, condGumbelRow(c, phi, i, K, w, true, g, acc))
			require.NoError(t, kernels.AvgJacobian(want, a, g, K))
			for j := range acc {
				require.InDelta(t, want[j], acc[j], 2e-6*(1+math.Abs(float64(want[j]))), "fused avgJ: phi=%v i=%d j=%d", phi, i, j)
			}
			for k := range K {
				row := b[k*C : (k+1)*C]
				m := row[i]
				var s float64
				for _, v := range row {
					s += math.Exp(float64(v - m))
				}
				for j, v := range row {
					want := math.Exp(float64(v-m)) / s
					require.InDelta(t, want, float64(a[k*C+j]), 1e-6*(1+want), "phi=%v i=%d k=%d j=%d", phi, i, k, j)
				}
			}
		}
	}
}
