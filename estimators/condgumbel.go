package estimators

import (
	"math"

	"github.com/discretegrad/reinmax/kernels"
)

// cgEps is the guard added inside the conditional-Gumbel logarithm (1e-20,
// in float32 as in the float32 path of fidelity/reference.py).
const cgEps float32 = 1e-20

// condGumbelRow overwrites buf, K rows of C holding iid Exp(1) draws E[k][c]
// on entry, with K conditional samples of φ + G given argmax(φ + G) = i
// (CG(φ, D, E) of docs/estimators.md), shifted by −max φ:
//
//	out[k][i] = −log(a_i),  a_i = E_i[k]/Z + 1e-20
//	out[k][j] = −log(a_j),  a_j = E_j[k]/w_j + E_i[k]/Z + 1e-20   (j ≠ i)
//
// with w_j = exp(φ_j − max φ) and Z = Σ_j w_j computed (not assumed). The
// shift keeps exp from overflowing; the consumers take a softmax, which the
// shift does not change (it moves every perturbed logit by the same amount,
// up to the 1e-20 guard). A category with w_j = 0 (φ_j =
// -Inf, a masked category, or exp underflow far below the maximum) gets
// E_j/w_j = +Inf and so the perturbed logit -Inf: probability 0, never NaN
// (E_j > 0 is required). w is cols of scratch. φ_i must be finite.
//
// With probs set, each row is instead replaced by its softmax at τ = 1,
// softmax(−log a)_j = (1/a_j) / Σ_k (1/a_k): the same numbers without a
// logarithm or an exponential (a_j >= a_i >= 1e-20, so 1/a never overflows
// and a_j = +Inf gives exactly 0).
//
// With probs set and acc not nil, the softmaxes are not stored: acc
// receives avgJ of them and g, (1/K) Σ_k J(p_k) g, from the vectorised
// kernels.CondGumbelAvgJ (buf then holds scratch). The only error is
// that kernel's, on inconsistent lengths.
func condGumbelRow(buf, phi []float32, i, K int, w []float32, probs bool, g, acc []float32) error {
	C := len(phi)
	w = w[:C]
	z := cgWeights(w, phi)
	if !probs {
		return kernels.CondGumbelLogits(buf[:K*C], w, i, K, z)
	}
	if acc != nil {
		return kernels.CondGumbelAvgJ(acc, buf, w, g, i, K, z)
	}
	for k := range K {
		row := buf[k*C : (k+1)*C : (k+1)*C]
		ei := row[i] / z
		var s float32
		for j, v := range row {
			r := 1 / (float32(float32(v*w[j])+ei) + cgEps) // no fused multiply-add (arm64 would fuse)
			row[j] = r
			s += r
		}
		ri := 1 / (ei + cgEps)
		s += ri - row[i]
		row[i] = ri
		inv := 1 / s // one division per row, not cols
		for j := range row {
			row[j] *= inv
		}
	}
	return nil
}

// cgWeights sets w_j = exp(max φ − φ_j) (+Inf for a masked category) and
// returns z = Σ_j exp(φ_j − max φ), the weights of the conditional Gumbel
// kernels.
func cgWeights(w, phi []float32) (z float32) {
	m := negInf
	for _, v := range phi {
		m = max(m, v)
	}
	for j, v := range phi {
		e := float32(math.Exp(float64(v - m))) // exp(-Inf) = 0 for masked categories
		z += e
		w[j] = 1 / e // +Inf where e = 0
	}
	return z
}
