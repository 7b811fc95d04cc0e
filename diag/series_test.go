package diag

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/estimators"
)

func TestSeries(t *testing.T) {
	e1, e5 := 1, 5
	run := func(c1, c5 float64) GradStatReport {
		return GradStatReport{Models: []GradStatModel{
			{Epoch: &e5, Results: []GradStatResult{{Method: estimators.ST, Metrics: &Metrics{Cosine: c5}}}},
			{Epoch: &e1, Results: []GradStatResult{{Method: estimators.ST, Metrics: &Metrics{Cosine: c1}},
				{Method: estimators.GR, Error: "failed"}}},
		}}
	}
	pts, err := Series([]GradStatReport{run(0.4, 0.5), run(0.6, 0.7)}, func(m *Metrics) float64 { return m.Cosine })
	require.NoError(t, err)
	require.Len(t, pts, 3)
	require.Equal(t, 1, pts[0].Epoch)
	require.Equal(t, estimators.ST, pts[0].Method)
	require.Equal(t, 2, pts[0].N)
	require.InDelta(t, 0.5, pts[0].Mean, 1e-15)
	require.InDelta(t, 0.1, pts[0].SE, 1e-15) // sd √0.02, / √2
	require.Equal(t, estimators.GR, pts[1].Method)
	require.Zero(t, pts[1].N)
	require.True(t, math.IsNaN(pts[1].Mean))
	require.Equal(t, 5, pts[2].Epoch)

	_, err = Series([]GradStatReport{{Models: []GradStatModel{{}}}}, func(m *Metrics) float64 { return m.Cosine })
	require.ErrorContains(t, err, "no epoch")
}

func TestPublishedCosines(t *testing.T) {
	p := PublishedCosines()
	require.Len(t, p, 6)
	require.Equal(t, 0.772, p[1][estimators.ReinMax])
	require.Equal(t, 0.134, p[50][estimators.GR])
	require.Len(t, p[30], 6)
}
