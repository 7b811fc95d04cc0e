package diag

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/estimators"
)

// linearTask is f(D) = Σ_rows w_rowᵀ D_row: g = w, and the exact gradient of
// E[f] is J(π_row) w_row per row (the exact gradient with L = 1).
type linearTask struct {
	rows, cols int
	logits, w  []float32
	exact      []float32
}

func newLinearTask(rows, cols int, seed uint64) *linearTask {
	r := rand.New(rand.NewPCG(seed, 99))
	t := &linearTask{rows: rows, cols: cols, logits: make([]float32, rows*cols), w: make([]float32, rows*cols), exact: make([]float32, rows*cols)}
	for i := range t.logits {
		t.logits[i] = float32(r.NormFloat64())
		t.w[i] = float32(r.NormFloat64())
	}
	for row := range rows {
		th, w := t.logits[row*cols:(row+1)*cols], t.w[row*cols:(row+1)*cols]
		pi := make([]float64, cols)
		var z, pw float64
		for j, v := range th {
			pi[j] = math.Exp(float64(v))
			z += pi[j]
		}
		for j := range pi {
			pi[j] /= z
			pw += pi[j] * float64(w[j])
		}
		for j := range pi {
			t.exact[row*cols+j] = float32(pi[j] * (float64(w[j]) - pw))
		}
	}
	return t
}

// estSampler draws one estimator gradient of the linear task per call.
type estSampler struct {
	t      *linearTask
	e      *estimators.Estimator
	method string
	d, pi  []float32
	f      []float32
}

func (s *estSampler) Sample(seed, stream uint64, grad []float32) (float64, error) {
	t := s.t
	if err := s.e.Forward(nil, seed, stream, t.logits, s.d, s.pi); err != nil {
		return 0, err
	}
	if s.method == "reinforce" {
		for row, k := range s.e.Index() {
			s.f[row] = t.w[row*t.cols+int(k)]
		}
		if err := s.e.SetRowLoss(s.f); err != nil {
			return 0, err
		}
	}
	return 0, s.e.Backward(nil, seed, stream, t.w, nil, grad)
}

// measure returns the metrics of S draws of cfg on the linear task, and the
// Monte Carlo tolerance of the relative bias: the triangle inequality bounds
// its error by ‖mean − E[mean]‖/‖exact‖, whose root mean square is
// sqrt(Σ var / S)/‖exact‖; four times that, plus 1e-6 for float32
// rounding (ST's gradient of a linear f does not depend on D at all), is the
// tolerance.
func measure(t *testing.T, task *linearTask, cfg estimators.Config, samples int) (Metrics, float64) {
	t.Helper()
	e, err := estimators.New(cfg, task.rows, task.cols)
	require.NoError(t, err)
	n := task.rows * task.cols
	s := &estSampler{t: task, e: e, method: string(cfg.Method), d: make([]float32, n), pi: make([]float32, n), f: make([]float32, task.rows)}
	m, err := NewMoments(n)
	require.NoError(t, err)
	require.NoError(t, m.Draw(s, 11, 0, samples))
	got, err := m.Metrics(task.exact, task.rows)
	require.NoError(t, err)
	var e2 float64
	for _, v := range task.exact {
		e2 += float64(v) * float64(v)
	}
	return got, 4*math.Sqrt(got.MeanVar*float64(n)/float64(samples)/e2) + 1e-6
}

// TestReinMaxAlphaBiasFactor checks ReinMax(α)'s expected gradient
// (docs/estimators.md, "reinmax-alpha") through the metrics: at τ = 1 and
// for linear f, E[ReinMax(α)] = (2 − 1/α)·exact, so the
// relative bias w.r.t. the exact gradient is |1 − (2 − 1/α)| and the cosine
// is the sign of 2 − 1/α.
func TestReinMaxAlphaBiasFactor(t *testing.T) {
	task := newLinearTask(24, 5, 3)
	samples := 1 << 14
	if testing.Short() {
		samples = 1 << 12
	}
	for _, alpha := range []float64{1, 2.0 / 3, 0.5, 1.0 / 3, 2, 4} {
		cfg := estimators.DefaultConfig("reinmax-alpha")
		cfg.Alpha = alpha
		got, tol := measure(t, task, cfg, samples)
		k := 2 - 1/alpha
		require.Less(t, tol, 0.15, "alpha=%v: too few samples to tell the factors apart", alpha)
		require.InDelta(t, math.Abs(1-k), got.RelBiasExact, tol, "alpha=%v (factor %v)", alpha, k)
		switch {
		case k > 0.1:
			require.Greater(t, got.Cosine, 0.9, "alpha=%v", alpha)
			// Bias w.r.t. the estimate: |1 − k| / |k|.
			require.InDelta(t, math.Abs(1-k)/k, got.RelBiasEstimate, 3*tol/k, "alpha=%v", alpha)
		case k < -0.1:
			require.Less(t, got.Cosine, -0.9, "alpha=%v", alpha)
		}
	}
}

// TestUnbiasedAndBiased checks two unbiased estimators of a linear f at
// τ = 1 (ST, REINFORCE: relative bias within Monte Carlo error) and one
// biased one (ST at τ = 0.5, property 4 of docs/estimators.md), so the
// measurement can tell them apart.
func TestUnbiasedAndBiased(t *testing.T) {
	task := newLinearTask(24, 5, 4)
	samples := 1 << 13
	for _, method := range []string{"st", "reinforce", "reinmax"} {
		got, tol := measure(t, task, estimators.DefaultConfig(estimators.Method(method)), samples)
		require.Less(t, tol, 0.2, method)
		require.Less(t, got.RelBiasExact, tol, method)
		require.Greater(t, got.Cosine, 0.95, method)
	}
	cfg := estimators.DefaultConfig("st")
	cfg.Tau = 0.5
	got, tol := measure(t, task, cfg, samples)
	require.Greater(t, got.RelBiasExact, 3*tol, "ST at tau 0.5 must show its bias")
}

// TestMeasureDeterministic: the same draws give bitwise the same metrics;
// another seed gives different ones.
func TestMeasureDeterministic(t *testing.T) {
	task := newLinearTask(8, 3, 5)
	run := func(seed uint64) Metrics {
		e, err := estimators.New(estimators.DefaultConfig("gr"), task.rows, task.cols)
		require.NoError(t, err)
		n := task.rows * task.cols
		s := &estSampler{t: task, e: e, method: "gr", d: make([]float32, n), pi: make([]float32, n)}
		m, err := NewMoments(n)
		require.NoError(t, err)
		require.NoError(t, m.Draw(s, seed, 0, 64))
		got, err := m.Metrics(task.exact, task.rows)
		require.NoError(t, err)
		return got
	}
	a := run(1)
	require.Equal(t, a, run(1))
	require.NotEqual(t, a, run(2))
}
