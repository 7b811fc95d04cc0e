package vae

import "math"

// klEps is the guard inside the KL term's logarithm, log(q + 1e-10) (spec §4.3).
const klEps = 1e-10

// klUniform returns the KL divergence of the n examples' posteriors q
// (n·L rows of C probabilities) to the uniform prior, averaged over the
// examples as the reference computes it,
//
//	KLD = (1/n) Σ_{b,l,c} q log(q + 1e-10) + L·log C,
//
// and, when gp is not nil, writes gp = ∂KLD/∂q = (log(q+1e-10) + q/(q+1e-10))/n,
// the g_p that the estimator's Backward turns into J(π)g_p. Sums run in
// float64 in index order.
func klUniform(gp, q []float32, n, l, c int) float64 {
	q = q[:n*l*c]
	inv := 1 / float64(n)
	var s float64
	for i, v := range q {
		qv := float64(v)
		lg := math.Log(qv + klEps)
		s += qv * lg
		if gp != nil {
			gp[i] = float32((lg + qv/(qv+klEps)) * inv)
		}
	}
	return s*inv + float64(l)*math.Log(float64(c))
}
