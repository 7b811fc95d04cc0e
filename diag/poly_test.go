package diag

import (
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/kernels"
)

func TestPolyConfigValidate(t *testing.T) {
	require.NoError(t, DefaultPolyConfig().Validate())
	maxInt := strconv.Itoa(math.MaxInt)
	for _, tc := range []struct {
		mod  func(*PolyConfig)
		want string
	}{
		{func(c *PolyConfig) { c.P = 0 }, "P=0"},
		{func(c *PolyConfig) { c.P = math.Inf(1) }, "P=+Inf"},
		{func(c *PolyConfig) { c.Target = 1 }, "Target=1"},
		{func(c *PolyConfig) { c.Target = math.NaN() }, "Target=NaN"},
		{func(c *PolyConfig) { c.LR = -1 }, "LR=-1"},
		{func(c *PolyConfig) { c.Latents = 0 }, "Latents=0"},
		{func(c *PolyConfig) { c.Batch = 0 }, "Batch=0"},
		{func(c *PolyConfig) { c.Batch, c.Latents = 1<<13, 1<<13 }, "Latents·Batch"},
		{func(c *PolyConfig) { c.StepsPerEpoch = 0 }, "StepsPerEpoch=0"},
		{func(c *PolyConfig) { c.Epochs = -1 }, "Epochs=-1"},
		// Extreme values are refused, not preallocated (MaxInt64 epochs
		// panicked in makeslice) nor multiplied into an overflowed product.
		{func(c *PolyConfig) { c.Epochs = math.MaxInt }, "Epochs=" + maxInt + ", need 0..2^20"},
		{func(c *PolyConfig) { c.Epochs = MaxPolyEpochs + 1 }, "Epochs=1048577"},
		{func(c *PolyConfig) { c.Latents = math.MaxInt }, "Latents·Batch=" + maxInt + "·64, need <= 2^24"},
		{func(c *PolyConfig) { c.Batch = math.MaxInt }, "Latents·Batch=128·" + maxInt},
		{func(c *PolyConfig) { c.StepsPerEpoch = math.MaxInt }, "StepsPerEpoch=" + maxInt + ", need 1..2^30"},
		{func(c *PolyConfig) { c.StepsPerEpoch = MaxPolySteps }, "Epochs·StepsPerEpoch=40·1073741824, need <= 2^30"},
		{func(c *PolyConfig) { c.Epochs, c.StepsPerEpoch = MaxPolyEpochs, 1<<10+1 }, "Epochs·StepsPerEpoch=1048576·1025"},
	} {
		c := DefaultPolyConfig()
		tc.mod(&c)
		err := c.Validate()
		require.Error(t, err, tc.want)
		require.Contains(t, err.Error(), tc.want)
		_, err = NewPoly(c, estimators.DefaultConfig("st"), nil)
		require.Error(t, err)
	}
	// The bounds themselves are allowed.
	c := DefaultPolyConfig()
	c.Epochs, c.StepsPerEpoch = MaxPolyEpochs, MaxPolySteps/MaxPolyEpochs
	require.NoError(t, c.Validate())
	c.Latents, c.Batch = 1, MaxPolyRows
	require.NoError(t, c.Validate())
	c.Epochs, c.StepsPerEpoch = 1, MaxPolySteps
	require.NoError(t, c.Validate())
	_, err := NewPoly(DefaultPolyConfig(), estimators.DefaultConfig("magic"), nil)
	require.ErrorIs(t, err, errkind.Argument)
}

// TestPolyExactReachesMinimum runs the task's full setting (p = 2, 40
// epochs of 200 steps) with the exact gradient: the expected loss must go
// from its start near (0.55² + 0.45²)/2 to within 1e-3 of 0.45².
func TestPolyExactReachesMinimum(t *testing.T) {
	cfg := DefaultPolyConfig()
	if testing.Short() {
		// The exact gradient does not depend on the batch, which only
		// draws the reported sample.
		cfg.Batch = 4
	}
	p, err := NewPoly(cfg, estimators.DefaultConfig("exact"), nil)
	require.NoError(t, err)
	require.InDelta(t, (0.55*0.55+0.45*0.45)/2, p.ExpectedLoss(), 1e-3, "θ starts near 0")
	require.InDelta(t, 0.45*0.45, p.MinLoss(), 1e-15)
	res, err := RunPoly(cfg, estimators.DefaultConfig("exact"), nil)
	require.NoError(t, err)
	require.Equal(t, 8000, res.Steps)
	require.Len(t, res.EpochLoss, 40)
	require.InDelta(t, 0.2025, res.ExpectedLoss, 1e-3)
	require.GreaterOrEqual(t, res.ExpectedLoss, res.MinLoss)
	// The sampled loss of the last step: nearly every z is 0.
	require.InDelta(t, 0.2025, res.Loss, 2e-3)
}

// TestPolyExactGradient checks the exact method's gradient against central
// differences of ExpectedLoss, for p = 1.5 and 3.
func TestPolyExactGradient(t *testing.T) {
	for _, pw := range []float64{1.5, 3} {
		cfg := DefaultPolyConfig()
		cfg.P, cfg.Latents, cfg.Batch = pw, 5, 2
		p, err := NewPoly(cfg, estimators.DefaultConfig("exact"), nil)
		require.NoError(t, err)
		for i := range p.theta {
			p.theta[i] = float32(i%3) - 0.7
		}
		_, err = p.gradient(0)
		require.NoError(t, err)
		const h = 1e-3
		for i := range p.theta {
			orig := p.theta[i]
			p.theta[i] = orig + h
			up := p.ExpectedLoss()
			p.theta[i] = orig - h
			down := p.ExpectedLoss()
			p.theta[i] = orig
			require.InDelta(t, (up-down)/(2*h), float64(p.grad[i]), 1e-6, "p=%v θ[%d]", pw, i)
		}
	}
}

// polySampler exposes one Poly gradient per stream, without updating θ.
type polySampler struct{ p *Poly }

func (s polySampler) Sample(_, stream uint64, grad []float32) (float64, error) {
	loss, err := s.p.gradient(stream)
	copy(grad, s.p.grad)
	return loss, err
}

// TestPolyReinMaxExactForQuadratic checks property 5 of docs/estimators.md
// on the toy task: for p = 2 (quadratic in D) ReinMax at τ = 1 is
// unbiased, while ST is not (property 4); for p = 3 ReinMax is biased too
// (property 6).
func TestPolyReinMaxExactForQuadratic(t *testing.T) {
	draws := 8000.0
	if testing.Short() {
		draws = 4000
	}
	bias := func(method string, pw float64) (float64, float64) {
		cfg := DefaultPolyConfig()
		cfg.P, cfg.Latents, cfg.Batch = pw, 16, 64
		exact, err := NewPoly(cfg, estimators.DefaultConfig("exact"), nil)
		require.NoError(t, err)
		p, err := NewPoly(cfg, estimators.DefaultConfig(estimators.Method(method)), nil)
		require.NoError(t, err)
		for i := range p.theta {
			p.theta[i] = float32(i%5)*0.3 - 0.6
			exact.theta[i] = p.theta[i]
		}
		_, err = exact.gradient(0)
		require.NoError(t, err)
		m, err := NewMoments(len(p.grad))
		require.NoError(t, err)
		require.NoError(t, m.Draw(polySampler{p}, 0, 0, int(draws)))
		got, err := m.Metrics(exact.grad, cfg.Latents)
		require.NoError(t, err)
		var e2 float64
		for _, v := range exact.grad {
			e2 += float64(v) * float64(v)
		}
		return got.RelBiasExact, 4*math.Sqrt(got.MeanVar*float64(len(p.grad))/draws/e2) + 1e-5
	}
	b, tol := bias("reinmax", 2)
	require.Less(t, tol, 0.1)
	require.Less(t, b, tol, "reinmax, p = 2")
	b, tol = bias("st", 2)
	require.Greater(t, b, 3*tol, "st, p = 2")
	b, tol = bias("reinmax", 3)
	require.Greater(t, b, 3*tol, "reinmax, p = 3")
	b, tol = bias("reinforce", 3)
	require.Less(t, b, tol, "reinforce, p = 3")
}

// TestPolyEveryMethodDescends: a short run of every method lowers the
// expected loss, and the result is identical for a second run, for any
// thread count, and differs for another seed.
func TestPolyEveryMethodDescends(t *testing.T) {
	cfg := DefaultPolyConfig()
	cfg.Latents, cfg.Batch, cfg.StepsPerEpoch, cfg.Epochs, cfg.LR = 32, 16, 50, 2, 1e-2
	p, err := NewPoly(cfg, estimators.DefaultConfig("exact"), nil)
	require.NoError(t, err)
	start := p.ExpectedLoss()
	ws := kernels.NewWorkspace(2)
	defer ws.Close()
	for _, method := range estimators.Methods() {
		est := estimators.DefaultConfig(method)
		est.K = 10
		res, err := RunPoly(cfg, est, nil)
		require.NoError(t, err, method)
		require.Equal(t, method, res.Method)
		require.Len(t, res.EpochLoss, 2)
		require.Less(t, res.ExpectedLoss, start-0.005, method)
		again, err := RunPoly(cfg, est, ws)
		require.NoError(t, err, method)
		require.Equal(t, res, again, "%s: same seed, 1 vs 2 threads", method)
	}
	other := cfg
	other.Seed = 2
	a, err := RunPoly(cfg, estimators.DefaultConfig("st"), nil)
	require.NoError(t, err)
	b, err := RunPoly(other, estimators.DefaultConfig("st"), nil)
	require.NoError(t, err)
	require.NotEqual(t, a.ExpectedLoss, b.ExpectedLoss)
}

func TestPolyStepAllocatesNothing(t *testing.T) {
	cfg := DefaultPolyConfig()
	cfg.Latents, cfg.Batch = 8, 4
	// A reused workspace: a nil one takes pooled scratch, which the race
	// detector's sync.Pool drops on purpose.
	ws := kernels.NewWorkspace(1)
	defer ws.Close()
	for _, method := range []string{"exact", "reinforce", "reinmax-cv", "gr"} {
		p, err := NewPoly(cfg, estimators.DefaultConfig(estimators.Method(method)), ws)
		require.NoError(t, err)
		_, err = p.Step()
		require.NoError(t, err)
		allocs := testing.AllocsPerRun(20, func() { _, _ = p.Step() })
		require.Zero(t, allocs, method)
	}
}
