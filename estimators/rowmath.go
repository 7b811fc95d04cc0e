package estimators

import "math"

// Per-row building blocks. Every estimator formula (docs/estimators.md) is a
// sum of J(p)v products and a final center; these helpers spell them in the
// order of operations of fidelity/reference.py (J(p)v = p⊙v − p·Σ(p⊙v)), in
// float32.

var negInf = float32(math.Inf(-1))

// dot returns Σ_j a_j·b_j, summed in index order.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s float32
	for j, v := range a {
		s += v * b[j]
	}
	return s
}

// setJScaled sets o = J(p)v / tau.
func setJScaled(o, p, v []float32, tau float32) {
	o, v = o[:len(p)], v[:len(p)]
	d := dot(p, v)
	for j, pj := range p {
		o[j] = (pj*v[j] - pj*d) / tau
	}
}

// addJ adds J(p)v to o.
func addJ(o, p, v []float32) {
	o, v = o[:len(p)], v[:len(p)]
	d := dot(p, v)
	for j, pj := range p {
		o[j] += pj*v[j] - pj*d
	}
}

// addJHalf adds J(π)(gp − c·g) to o (gp nil means 0), the t0 term of the
// ReinMax family (c = ½, or w for ReinMax(α)).
func addJHalf(o, pi, g, gp []float32, c float32) {
	o, g = o[:len(pi)], g[:len(pi)]
	var d float32
	if gp == nil {
		for j, pj := range pi {
			d += pj * (-c * g[j])
		}
		for j, pj := range pi {
			v := -c * g[j]
			o[j] += pj*v - pj*d
		}
		return
	}
	gp = gp[:len(pi)]
	for j, pj := range pi {
		d += pj * (gp[j] - c*g[j])
	}
	for j, pj := range pi {
		v := gp[j] - c*g[j]
		o[j] += pj*v - pj*d
	}
}

// centerActive subtracts from o its mean over the active categories of the
// row (theta_j > -Inf) and sets masked categories (theta_j = -Inf) to 0.
// Without masks this is the plain center (mean over all C categories); a
// masked category does not exist for the estimator, so it neither enters
// the mean nor receives a gradient.
func centerActive(o, theta []float32) {
	theta = theta[:len(o)]
	var s float32
	n := 0
	for j, v := range o {
		if theta[j] != negInf {
			s += v
			n++
		}
	}
	mean := s / float32(n)
	if n == len(o) {
		for j := range o {
			o[j] -= mean
		}
		return
	}
	for j := range o {
		if theta[j] != negInf {
			o[j] -= mean
		} else {
			o[j] = 0
		}
	}
}

// finite reports whether v is neither NaN nor ±Inf.
func finite(v float32) bool { return v-v == 0 }

// firstNonFinite returns the index of the first NaN or ±Inf in x, or -1.
func firstNonFinite(x []float32) int {
	for j, v := range x {
		if !finite(v) {
			return j
		}
	}
	return -1
}
