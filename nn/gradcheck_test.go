package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// numGrad returns the central finite difference of f (a float64 function of
// x) at every coordinate of x, with step h relative to max(1, |x_i|).
func numGrad(x []float64, f func([]float64) float64) []float64 {
	g := make([]float64, len(x))
	for i := range x {
		h := 1e-6 * max(1, math.Abs(x[i]))
		old := x[i]
		x[i] = old + h
		fp := f(x)
		x[i] = old - h
		fm := f(x)
		x[i] = old
		g[i] = (fp - fm) / (2 * h)
	}
	return g
}

// requireGradClose compares an analytic float32 gradient with a float64
// finite-difference one, elementwise with a tolerance relative to the
// largest entry (float32 forward/backward rounding, not the FD error, is the
// limit here).
func requireGradClose(t *testing.T, what string, got []float32, want []float64, rtol float64) {
	t.Helper()
	require.Len(t, got, len(want), what)
	scale := 0.0
	for _, v := range want {
		scale = max(scale, math.Abs(v))
	}
	worst, wi := 0.0, -1
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); d > worst {
			worst, wi = d, i
		}
	}
	if worst > rtol*scale+1e-7 {
		t.Fatalf("%s: worst |analytic-fd| = %g at %d (analytic %g, fd %g, scale %g)", what, worst, wi, got[wi], want[wi], scale)
	}
}

func randSlice(r *rand.Rand, n int, lo, hi float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(lo + (hi-lo)*r.Float64())
	}
	return s
}

func to64(s []float32) []float64 {
	d := make([]float64, len(s))
	for i, v := range s {
		d[i] = float64(v)
	}
	return d
}
