package diag

import (
	"fmt"
	"math"

	"github.com/discretegrad/reinmax/errkind"
)

// Metrics are the gradient-quality statistics (docs/estimators.md,
// "Gradient-quality metrics") for S draws of an estimator's gradient (mean
// m, population std s, elementwise) against the exact gradient e, over a
// tensor of B examples (blocks of equal size, e.g. the L×C logits of one
// image). Norms are Frobenius norms. The JSON names are those of check_grad
// in fidelity/reference.py, plus mean_var.
type Metrics struct {
	// Samples is the number of draws S; Examples the number of blocks B.
	Samples  int `json:"samples"`
	Examples int `json:"examples"`
	// RelBiasExact is ‖e − m‖ / ‖e‖ (relative bias w.r.t. the exact gradient).
	RelBiasExact float64 `json:"rel_bias_exact"`
	// RelBiasEstimate is ‖e − m‖ / ‖m‖ (relative bias w.r.t. the estimate).
	RelBiasEstimate float64 `json:"rel_bias_approx"`
	// RelStd is mean_b ‖s_b‖ / ‖m_b‖ (per-example relative standard
	// deviation), over the examples whose mean gradient is not zero.
	RelStd float64 `json:"rel_std"`
	// ZeroMeanExamples counts the examples left out of RelStd because their
	// mean gradient is exactly zero (for example an estimator whose
	// gradient vanishes where the posterior is one-hot in float32); the
	// other metrics include them.
	ZeroMeanExamples int `json:"zero_mean_examples,omitempty"`
	// Cosine is ⟨e, m⟩ / (‖e‖ ‖m‖) over the whole tensor.
	Cosine float64 `json:"cos"`
	// MeanNorm is mean_b ‖m_b‖; ExactNorm is mean_b ‖e_b‖.
	MeanNorm  float64 `json:"mean_grad_norm"`
	ExactNorm float64 `json:"exact_grad_norm"`
	// MeanVar is the variance s² averaged over every coordinate: the
	// per-coordinate variance of one draw.
	MeanVar float64 `json:"mean_var"`
}

// Metrics compares the draws accumulated so far with the exact gradient
// exact (len Len()), which holds examples equal blocks (Len() divisible by
// examples). It allocates nothing.
//
// Errors: no draw yet, or a zero exact or mean gradient over the whole
// tensor, for which the relative quantities are undefined
// (errkind.Argument); a bad length or block count (errkind.Shape); NaN or ±Inf in
// exact (errkind.NonFinite).
func (m *Moments) Metrics(exact []float32, examples int) (Metrics, error) {
	const fn = "diag.Moments.Metrics"
	size := len(m.sum)
	switch {
	case len(exact) != size:
		return Metrics{}, fmt.Errorf("%s: len(exact)=%d, need %d: %w", fn, len(exact), size, errkind.Shape)
	case examples < 1 || size%examples != 0:
		return Metrics{}, fmt.Errorf("%s: examples=%d does not divide the %d coordinates: %w", fn, examples, size, errkind.Shape)
	case m.n == 0:
		return Metrics{}, fmt.Errorf("%s: no draw accumulated: %w", fn, errkind.Argument)
	}
	block := size / examples
	inv := 1 / float64(m.n)
	var diff2, ex2, mean2, dot, var2 float64
	var relStd, meanNorm, exactNorm float64
	zeroMean := 0
	for b := range examples {
		var mb, sb, eb float64 // squared norms of m_b, s_b, e_b
		for i := b * block; i < (b+1)*block; i++ {
			e := float64(exact[i])
			if math.IsNaN(e) || math.IsInf(e, 0) {
				return Metrics{}, fmt.Errorf("%s: exact[%d]=%v: %w", fn, i, e, errkind.NonFinite)
			}
			mean := m.sum[i] * inv
			v := math.Abs(m.sq[i]*inv - mean*mean)
			d := e - mean
			diff2 += d * d
			dot += e * mean
			mb += mean * mean
			sb += v
			eb += e * e
		}
		if mb == 0 {
			zeroMean++
		} else {
			relStd += math.Sqrt(sb / mb)
		}
		meanNorm += math.Sqrt(mb)
		exactNorm += math.Sqrt(eb)
		ex2 += eb
		mean2 += mb
		var2 += sb
	}
	switch {
	case ex2 == 0:
		return Metrics{}, fmt.Errorf("%s: the exact gradient is zero, relative bias undefined: %w", fn, errkind.Argument)
	case mean2 == 0:
		return Metrics{}, fmt.Errorf("%s: the mean gradient is zero, relative quantities undefined: %w", fn, errkind.Argument)
	}
	nb := float64(examples)
	return Metrics{
		Samples:          m.n,
		Examples:         examples,
		RelBiasExact:     math.Sqrt(diff2 / ex2),
		RelBiasEstimate:  math.Sqrt(diff2 / mean2),
		RelStd:           relStd / float64(examples-zeroMean),
		ZeroMeanExamples: zeroMean,
		Cosine:           dot / math.Sqrt(ex2*mean2),
		MeanNorm:         meanNorm / nb,
		ExactNorm:        exactNorm / nb,
		MeanVar:          var2 / float64(size),
	}, nil
}
