package estimators_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/kernels"
)

// testLogits returns rows×C random logits (deterministic).
func testLogits(rows, C int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]float32, rows*C)
	for i := range out {
		out[i] = float32(1.5 * r.NormFloat64())
	}
	return out
}

// TestThreadsDeterminism: d, π and grad are bitwise identical for 1, 2 and
// 3 threads (several row blocks, the last one partial), the same seed gives
// the same numbers, and another stream gives other numbers.
func TestThreadsDeterminism(t *testing.T) {
	const rows, C = 3*kernels.RowBlock + 17, 6
	logits := testLogits(rows, C, 1)
	ws2, ws3 := kernels.NewWorkspace(2), kernels.NewWorkspace(3)
	defer ws2.Close()
	defer ws3.Close()
	for _, m := range estimators.Methods() {
		cfg := estimators.DefaultConfig(m)
		cfg.K = 20
		cfg.Tau = 0.8
		d1, pi1, g1 := roundTrip(t, nil, cfg, logits, C, 42)
		for _, ws := range []*kernels.Workspace{ws2, ws3} {
			d, pi, g := roundTrip(t, ws, cfg, logits, C, 42)
			require.Equal(t, d1, d, "%s d threads=%d", m, ws.Threads())
			require.Equal(t, pi1, pi, "%s pi threads=%d", m, ws.Threads())
			require.Equal(t, g1, g, "%s grad threads=%d", m, ws.Threads())
		}
		d2, _, g2 := roundTrip(t, ws2, cfg, logits, C, 43)
		require.NotEqual(t, d1, d2, "%s: another seed, another sample", m)
		if m != "exact" && m != "reinforce" {
			require.NotEqual(t, g1, g2, m)
		}
	}
}

// TestBackwardNoiseStreams: for the K-repeat methods, Backward's noise
// depends on (seed, stream) and is drawn afresh (two Backward calls on one
// sample with different streams differ; with the same stream they agree).
func TestBackwardNoiseStreams(t *testing.T) {
	const rows, C = 70, 5
	logits := testLogits(rows, C, 2)
	g := testLogits(rows, C, 3)
	for _, m := range []string{"gr", "reinmax-rao", "reinmax-rao-d", "reinmax-cv"} {
		cfg := estimators.DefaultConfig(estimators.Method(m))
		cfg.K = 8
		est, err := estimators.New(cfg, rows, C)
		require.NoError(t, err)
		d, pi := make([]float32, rows*C), make([]float32, rows*C)
		a, b, c := make([]float32, rows*C), make([]float32, rows*C), make([]float32, rows*C)
		require.NoError(t, est.Forward(nil, 5, 0, logits, d, pi))
		require.NoError(t, est.Backward(nil, 5, 0, g, nil, a))
		require.NoError(t, est.Backward(nil, 5, 1, g, nil, b))
		require.NoError(t, est.Backward(nil, 5, 0, g, nil, c))
		require.NotEqual(t, a, b, m)
		require.Equal(t, a, c, m)
	}
}

// TestZeroAllocs: after one warm-up call, Forward + (SetRowLoss /
// SetCodeLoss) + Backward allocate nothing, on a two-thread workspace, at
// τ = 1 and (which takes other paths in the repeat methods) τ = 0.7. It
// also runs under -race in CI, where sync.Pool drops items at random, so
// nothing on these paths may rely on a pool.
func TestZeroAllocs(t *testing.T) {
	const rows, C = 2*kernels.RowBlock + 5, 4
	logits := testLogits(rows, C, 4)
	g := testLogits(rows, C, 5)
	gp := testLogits(rows, C, 6)
	ws := kernels.NewWorkspace(2)
	defer ws.Close()
	var cfgs []estimators.Config
	for _, m := range estimators.Methods() {
		cfg := estimators.DefaultConfig(m)
		cfgs = append(cfgs, cfg)
		if cfg.Tau == 1 && m != "exact" && m != "reinforce" {
			cfg.Tau, cfg.Tau2 = 0.7, 0.7
			cfgs = append(cfgs, cfg)
		}
	}
	for _, cfg := range cfgs {
		m := cfg.Method
		cfg.K = 10
		est, err := estimators.New(cfg, rows, C)
		require.NoError(t, err)
		d, pi, grad := make([]float32, rows*C), make([]float32, rows*C), make([]float32, rows*C)
		rowLoss := make([]float32, rows)
		codeLoss := make([]float32, rows*C)
		step := uint64(0)
		run := func() {
			step++
			if err := est.Forward(ws, 1, step, logits, d, pi); err != nil {
				panic(err)
			}
			switch m {
			case "reinforce":
				if err := est.SetRowLoss(rowLoss); err != nil {
					panic(err)
				}
			case "exact":
				if err := est.SetCodeLoss(codeLoss, 1); err != nil {
					panic(err)
				}
			}
			if err := est.Backward(ws, 1, step, g, gp, grad); err != nil {
				panic(err)
			}
		}
		run()
		require.Zero(t, testing.AllocsPerRun(20, run), "%s tau=%v", m, cfg.Tau)
	}
}
