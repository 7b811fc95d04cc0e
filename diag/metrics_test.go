package diag

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/stretchr/testify/require"
)

// biasedSampler is a fake estimator with a known law: draw j is
// c·exact + sigma·(−1)^j·sign pattern, so over an even number of draws the
// mean is exactly c·exact and every coordinate's std is exactly sigma.
type biasedSampler struct {
	exact []float32
	c     float32
	sigma float32
}

func (s *biasedSampler) Sample(_, stream uint64, grad []float32) (float64, error) {
	sign := float32(1)
	if stream%2 == 1 {
		sign = -1
	}
	for i, e := range s.exact {
		grad[i] = s.c*e + sign*s.sigma
	}
	return 0, nil
}

func TestMetricsKnownBias(t *testing.T) {
	const examples, block = 3, 4
	r := rand.New(rand.NewPCG(1, 2))
	exact := make([]float32, examples*block)
	for i := range exact {
		exact[i] = float32(r.IntN(9)-4) / 8 // small dyadic values: every product below is exact
	}
	exact[0] = 1 // no example is all zero
	exact[block] = -1
	exact[2*block] = 0.5
	for _, tc := range []struct{ c, sigma float32 }{{1, 0}, {0.5, 0.25}, {1.5, 0.125}, {-1, 0.5}, {2, 0}} {
		m, err := NewMoments(len(exact))
		require.NoError(t, err)
		require.NoError(t, m.Draw(&biasedSampler{exact, tc.c, tc.sigma}, 0, 0, 64))
		got, err := m.Metrics(exact, examples)
		require.NoError(t, err)

		// Hand computation: mean = c·e, std = sigma everywhere.
		c, sg := float64(tc.c), float64(tc.sigma)
		var en, relStd, meanNorm, exactNorm float64
		for b := range examples {
			var eb float64
			for _, e := range exact[b*block : (b+1)*block] {
				eb += float64(e) * float64(e)
			}
			en += eb
			relStd += sg * math.Sqrt(block) / (math.Abs(c) * math.Sqrt(eb))
			meanNorm += math.Abs(c) * math.Sqrt(eb)
			exactNorm += math.Sqrt(eb)
		}
		want := Metrics{
			Samples: 64, Examples: examples,
			RelBiasExact:    math.Abs(1 - c),
			RelBiasEstimate: math.Abs(1-c) / math.Abs(c),
			RelStd:          relStd / examples,
			Cosine:          math.Copysign(1, c),
			MeanNorm:        meanNorm / examples,
			ExactNorm:       exactNorm / examples,
			MeanVar:         sg * sg,
		}
		require.InDelta(t, want.RelBiasExact, got.RelBiasExact, 1e-12, "c=%v", c)
		require.InDelta(t, want.RelBiasEstimate, got.RelBiasEstimate, 1e-12, "c=%v", c)
		require.InDelta(t, want.RelStd, got.RelStd, 1e-12, "c=%v", c)
		require.InDelta(t, want.Cosine, got.Cosine, 1e-12, "c=%v", c)
		require.InDelta(t, want.MeanNorm, got.MeanNorm, 1e-12, "c=%v", c)
		require.InDelta(t, want.ExactNorm, got.ExactNorm, 1e-12, "c=%v", c)
		require.InDelta(t, want.MeanVar, got.MeanVar, 1e-12, "c=%v", c)
		require.Equal(t, want.Samples, got.Samples)
		require.Equal(t, want.Examples, got.Examples)
	}
}

// TestMetricsOrthogonal checks the cosine and both relative biases of a
// mean orthogonal to the exact gradient (hand-computed: ‖e − m‖ = 2,
// ‖e‖ = ‖m‖ = √2).
func TestMetricsOrthogonal(t *testing.T) {
	m, err := NewMoments(4)
	require.NoError(t, err)
	require.NoError(t, m.Add([]float32{0, 1, 1, 0}))
	got, err := m.Metrics([]float32{1, 0, 0, 1}, 2)
	require.NoError(t, err)
	require.InDelta(t, 0, got.Cosine, 1e-15)
	require.InDelta(t, math.Sqrt2, got.RelBiasExact, 1e-15)
	require.InDelta(t, math.Sqrt2, got.RelBiasEstimate, 1e-15)
	require.Zero(t, got.RelStd)
	require.Zero(t, got.MeanVar)
}

func TestMetricsErrors(t *testing.T) {
	m, err := NewMoments(4)
	require.NoError(t, err)
	exact := []float32{1, 2, 3, 4}
	_, err = m.Metrics(exact, 2)
	require.ErrorIs(t, err, errkind.Argument, "no draws")
	require.NoError(t, m.Add([]float32{1, 1, 1, 1}))
	_, err = m.Metrics(exact[:3], 1)
	require.ErrorIs(t, err, errkind.Shape)
	_, err = m.Metrics(exact, 3)
	require.ErrorIs(t, err, errkind.Shape)
	_, err = m.Metrics(exact, 0)
	require.ErrorIs(t, err, errkind.Shape)
	_, err = m.Metrics([]float32{1, float32(math.NaN()), 3, 4}, 2)
	require.ErrorIs(t, err, errkind.NonFinite)
	_, err = m.Metrics([]float32{0, 0, 0, 0}, 2)
	require.ErrorIs(t, err, errkind.Argument)
	require.Contains(t, err.Error(), "exact gradient is zero")

	m.Reset()
	require.NoError(t, m.Add([]float32{0, 0, 0, 0}))
	_, err = m.Metrics(exact, 2)
	require.ErrorIs(t, err, errkind.Argument)
	require.Contains(t, err.Error(), "mean gradient is zero")
}

// TestMetricsZeroMeanExample: an example whose mean gradient is exactly
// zero is left out of RelStd (undefined there) and counted; every other
// metric still covers it.
func TestMetricsZeroMeanExample(t *testing.T) {
	m, err := NewMoments(4)
	require.NoError(t, err)
	require.NoError(t, m.Add([]float32{1, 3, 0, 0}))
	require.NoError(t, m.Add([]float32{3, 1, 0, 0}))
	got, err := m.Metrics([]float32{2, 2, 1, 1}, 2)
	require.NoError(t, err)
	require.Equal(t, 1, got.ZeroMeanExamples)
	require.InDelta(t, math.Sqrt(2)/math.Sqrt(8), got.RelStd, 1e-15) // example 0: ‖s‖ = √2, ‖m‖ = √8
	require.InDelta(t, math.Sqrt(2.0/10), got.RelBiasExact, 1e-15)   // ‖e − m‖² = 2, ‖e‖² = 10
	require.InDelta(t, 8/math.Sqrt(80), got.Cosine, 1e-15)
}
