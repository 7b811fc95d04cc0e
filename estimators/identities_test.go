package estimators_test

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/estimators"
)

// Exact identities (docs/estimators.md, "Properties checked by the tests"),
// checked by enumerating D with its
// probabilities: E_D[X] = Σ_j π_j · X(D = e_j, g = ∇f(e_j)), g_p = 0, using
// the production (float32) backward through BackwardWithNoise.

// softmax64 returns softmax(theta) in float64.
func softmax64(theta []float32) []float64 {
	m := math.Inf(-1)
	for _, v := range theta {
		m = max(m, float64(v))
	}
	out := make([]float64, len(theta))
	var z float64
	for j, v := range theta {
		out[j] = math.Exp(float64(v) - m)
		z += out[j]
	}
	for j := range out {
		out[j] /= z
	}
	return out
}

// jv64 returns J(p)v = p⊙v − p(pᵀv) in float64.
func jv64(p, v []float64) []float64 {
	var d float64
	for j := range p {
		d += p[j] * v[j]
	}
	out := make([]float64, len(p))
	for j := range p {
		out[j] = p[j]*v[j] - p[j]*d
	}
	return out
}

// enumerate returns E_D[estimator] per row (float64, [N·C]) for logits theta
// [N·C], where gradF(n, j) is ∇f_n(e_j) (len C) and rowLoss(n, j) = f_n(e_j)
// (used by reinforce only).
func enumerate(t *testing.T, cfg estimators.Config, theta []float32, C int,
	gradF func(n, j int) []float32, rowLoss func(n, j int) float32) []float64 {
	t.Helper()
	N := len(theta) / C
	est, err := estimators.New(cfg, N, C)
	require.NoError(t, err)
	out := make([]float64, N*C)
	idx := make([]int32, N)
	g := make([]float32, N*C)
	f := make([]float32, N)
	grad := make([]float32, N*C)
	pis := make([][]float64, N)
	for n := range N {
		pis[n] = softmax64(theta[n*C : (n+1)*C])
	}
	for j := range C {
		for n := range N {
			idx[n] = int32(j)
			copy(g[n*C:(n+1)*C], gradF(n, j))
			if rowLoss != nil {
				f[n] = rowLoss(n, j)
			}
		}
		if cfg.Method == "reinforce" {
			require.NoError(t, est.SetRowLoss(f))
		}
		require.NoError(t, est.BackwardWithNoise(nil, theta, idx, nil, nil, g, nil, grad))
		for n := range N {
			for c := range C {
				out[n*C+c] += pis[n][j] * float64(grad[n*C+c])
			}
		}
	}
	return out
}

// relDev returns ‖a − b‖ / ‖b‖ (or ‖a − b‖ / scale when b = 0).
func relDev(a, b []float64, scale float64) float64 {
	var d, n float64
	for i := range a {
		d += (a[i] - b[i]) * (a[i] - b[i])
		n += b[i] * b[i]
	}
	if n == 0 {
		return math.Sqrt(d) / scale
	}
	return math.Sqrt(d / n)
}

func norm(a []float64) float64 {
	var s float64
	for _, v := range a {
		s += v * v
	}
	return math.Sqrt(s)
}

// gradFOf returns ∇f(e_j) for a golden "expectations" entry.
func gradFOf(ex *goldenExpect, C int) func(n, j int) []float32 {
	return func(n, j int) []float32 {
		g := make([]float32, C)
		switch ex.Kind {
		case "quadratic":
			for i := range C {
				g[i] = float32(ex.Q[n][i][j] + ex.Q[n][j][i] + ex.B[n][i])
			}
		case "poly":
			d0 := -ex.Target
			if j == 0 {
				d0 = 1 - ex.Target
			}
			sign := 1.0
			if d0 < 0 {
				sign = -1
			}
			g[0] = float32(ex.P * math.Pow(math.Abs(d0), ex.P-1) * sign * ex.Scale)
		}
		return g
	}
}

// TestExpectationsGolden compares every enumerated expectation of the golden
// file with the production estimators, then asserts the identities
// (properties 3, 5, 8, 9 of docs/estimators.md) and the non-identities
// (4, 6, 9) on our values.
func TestExpectationsGolden(t *testing.T) {
	gf := loadGolden(t)
	type check struct {
		id, key string
		ident   bool    // identity: E == factor·exact
		factor  float64 // of exact
	}
	checks := []check{
		{"expect/linear", "E_st_tau1.0", true, 1},
		{"expect/linear", "E_reinmax_tau1.0", true, 1},
		{"expect/quadratic", "E_reinmax_tau1.0", true, 1},
		{"poly/p=2.0", "E_reinmax_tau1.0", true, 1},
		{"expect/linear", "E_reinmax_alpha0.5_tau1.0", true, 0},
		{"expect/linear", "E_reinmax_alpha0.666666667_tau1.0", true, 2 - 1/0.666666667},
		{"expect/linear", "E_reinmax_alpha1_tau1.0", true, 1},
		{"expect/linear", "E_reinmax_alpha2_tau1.0", true, 1.5},
		{"expect/quadratic", "E_reinmax_alpha1_tau1.0", true, 1},
		// Not identities (properties 4, 6, 9).
		{"expect/quadratic", "E_st_tau1.0", false, 1},
		{"expect/linear", "E_st_tau0.5", false, 1},
		{"expect/linear", "E_st_tau1.3", false, 1},
		{"poly/p=1.5", "E_st_tau1.0", false, 1},
		{"poly/p=2.0", "E_st_tau1.0", false, 1},
		{"poly/p=3.0", "E_st_tau1.0", false, 1},
		{"poly/p=1.5", "E_reinmax_tau1.0", false, 1},
		{"poly/p=3.0", "E_reinmax_tau1.0", false, 1},
		{"expect/quadratic", "E_reinmax_tau0.5", false, 1},
		{"expect/quadratic", "E_reinmax_tau1.3", false, 1},
		{"expect/quadratic", "E_reinmax_alpha0.5_tau1.0", false, 1},
		{"expect/quadratic", "E_reinmax_alpha0.666666667_tau1.0", false, 1},
		{"expect/quadratic", "E_reinmax_alpha2_tau1.0", false, 1},
	}
	mine := map[string][]float64{} // id + key -> our enumerated expectation
	for _, id := range []string{"expect/linear", "expect/quadratic", "poly/p=1.5", "poly/p=2.0", "poly/p=3.0"} {
		ex := gf.expect(t, id)
		theta := flat32(ex.Theta)
		C := len(ex.Theta[0])
		require.NotEmpty(t, ex.Extra)
		for key, want := range ex.Extra {
			cfg := configOfKey(t, key)
			got := enumerate(t, cfg, theta, C, gradFOf(ex, C), nil)
			w := flat64(want)
			for i := range w {
				require.InDeltaf(t, w[i], got[i], 1e-5+1e-4*math.Abs(w[i]), "%s %s [%d]", id, key, i)
			}
			mine[id+" "+key] = got
		}
	}
	for _, c := range checks {
		ex := gf.expect(t, c.id)
		got, ok := mine[c.id+" "+c.key]
		require.True(t, ok, "%s %s missing", c.id, c.key)
		exact := flat64(ex.Exact)
		target := make([]float64, len(exact))
		for i, v := range exact {
			target[i] = c.factor * v
		}
		dev := relDev(got, target, norm(exact))
		t.Logf("%-17s %-34s identity=%-5v ‖E − %.4g·exact‖/‖·‖ = %.3g", c.id, c.key, c.ident, c.factor, dev)
		if c.ident {
			require.Less(t, dev, 2e-6, "%s %s should equal %g·exact", c.id, c.key, c.factor)
		} else {
			require.Greater(t, dev, 1e-3, "%s %s should differ from exact", c.id, c.key)
		}
	}
}

// configOfKey maps an expectation key (E_st_tau1.3, E_reinmax_tau0.5,
// E_reinmax_alpha0.666666667_tau1.0) to its estimator configuration.
func configOfKey(t *testing.T, key string) estimators.Config {
	t.Helper()
	num := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err, key)
		return v
	}
	if rest, ok := strings.CutPrefix(key, "E_reinmax_alpha"); ok {
		a, tau, ok := strings.Cut(rest, "_tau")
		require.True(t, ok, key)
		return estimators.Config{Method: "reinmax-alpha", Tau: num(tau), Alpha: num(a)}
	}
	if rest, ok := strings.CutPrefix(key, "E_reinmax_tau"); ok {
		return estimators.Config{Method: "reinmax", Tau: num(rest)}
	}
	if rest, ok := strings.CutPrefix(key, "E_st_tau"); ok {
		return estimators.Config{Method: "st", Tau: num(rest)}
	}
	t.Fatalf("unknown expectation key %q", key)
	return estimators.Config{}
}
