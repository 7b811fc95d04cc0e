package vae

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/internal/allocstest"
	"github.com/discretegrad/reinmax/nn"
	"github.com/stretchr/testify/require"
)

// smallConfig is a quick configuration for tests: C=4, L=2 (16 codes, so
// exact is cheap), batch 8, K=10 conditional-Gumbel repeats.
func smallConfig(method string) Config {
	est := estimators.DefaultConfig(estimators.Method(method))
	est.K = 10
	return Config{C: 4, L: 2, Batch: 8, Estimator: est, Optimizer: nn.Adam, LR: 1e-3, Seed: 7, Threads: 1}
}

func newTestTrainer(t testing.TB, cfg Config, nTrain, nTest int) *Trainer {
	t.Helper()
	var test *Dataset
	if nTest > 0 {
		test = synthDataset(t, nTest, 12)
	}
	tr, err := NewTrainer(cfg, synthDataset(t, nTrain, 11), test)
	require.NoError(t, err)
	t.Cleanup(tr.Close)
	return tr
}

func TestConfigValidate(t *testing.T) {
	require.NoError(t, DefaultConfig().Validate())
	mod := func(f func(*Config)) Config { c := DefaultConfig(); f(&c); return c }
	for _, c := range []struct {
		want string
		cfg  Config
	}{
		{"C=1", mod(func(c *Config) { c.C = 1 })},
		{"L=0", mod(func(c *Config) { c.L = 0 })},
		{"Batch=-1", mod(func(c *Config) { c.Batch = -1 })},
		{`Optimizer="sgd"`, mod(func(c *Config) { c.Optimizer = "sgd" })},
		{"LR=0", mod(func(c *Config) { c.LR = 0 })},
		{"LR=NaN", mod(func(c *Config) { c.LR = math.NaN() })},
		{"Threads=-2", mod(func(c *Config) { c.Threads = -2 })},
		{"Threads=1025", mod(func(c *Config) { c.Threads = 1025 })},
		{"C^L=8^5", mod(func(c *Config) { c.L = 5; c.Estimator = estimators.DefaultConfig("exact") })},
		{"exceeds", mod(func(c *Config) { c.C = 300; c.L = 300 })},
	} {
		err := c.cfg.Validate()
		require.ErrorIs(t, err, errkind.Argument, c.want)
		require.ErrorContains(t, err, c.want)
	}
	err := mod(func(c *Config) { c.Estimator.Method = "nope" }).Validate()
	require.ErrorContains(t, err, "Estimator")
	require.ErrorContains(t, err, "nope")
	// 8^4 = 4096 codes is allowed for exact.
	require.NoError(t, mod(func(c *Config) { c.Estimator = estimators.DefaultConfig("exact") }).Validate())
	// Zero optional fields take defaults.
	c := Config{C: 2, L: 3, Estimator: estimators.Config{Method: "st", Tau: 1}, LR: 1e-3}.WithDefaults()
	require.Equal(t, DefaultBatch, c.Batch)
	require.Equal(t, nn.Adam, c.Optimizer)
	require.GreaterOrEqual(t, c.Threads, 1)

	_, err = NewTrainer(DefaultConfig(), nil, nil)
	require.ErrorIs(t, err, errkind.Shape)
	_, err = NewTrainer(DefaultConfig(), &Dataset{N: 2, Pixels: make([]float32, 5)}, nil)
	require.ErrorContains(t, err, "train set")
}

// TestStepEveryMethod takes steps with every estimator: finite losses, moving
// parameters, and no allocation in steady state.
func TestStepEveryMethod(t *testing.T) {
	for _, method := range estimators.Methods() {
		t.Run(string(method), func(t *testing.T) {
			tr := newTestTrainer(t, smallConfig(string(method)), 24, 0)
			before := append([]float32(nil), tr.model.Params.Data...)
			for range 2 {
				st, err := tr.Step()
				require.NoError(t, err)
				require.True(t, isFinite(st.Loss))
				require.Equal(t, 8, st.N)
				require.InDelta(t, st.BCE+st.KLD, st.Loss, 1e-12)
				// KL to the uniform prior is >= 0 (up to the 1e-10 guard).
				require.GreaterOrEqual(t, st.KLD, -1e-6)
				require.Greater(t, st.BCE, 0.0)
			}
			for _, l := range tr.model.Layers() {
				off, n := l.W.Off, l.W.Len()
				require.NotEqual(t, before[off:off+n], tr.model.Params.Data[off:off+n], "%s did not move", l.Name)
			}
			n, stacks := allocstest.Count(3, func() {
				if _, err := tr.Step(); err != nil {
					panic(err)
				}
			})
			require.Zero(t, n, "allocations in 3 Steps:\n%s", stacks)
			require.Equal(t, 6, tr.GlobalStep())
		})
	}
}

// TestThreadsBitwise: the same run on 1 and 2 threads gives identical bits.
func TestThreadsBitwise(t *testing.T) {
	for _, method := range []string{"reinmax-rao", "gs", "exact", "reinforce"} {
		t.Run(method, func(t *testing.T) {
			var params [2][]float32
			var stats [2][]StepStats
			var evals [2]EvalStats
			for k, threads := range []int{1, 2} {
				cfg := smallConfig(method)
				cfg.Threads = threads
				tr := newTestTrainer(t, cfg, 20, 10)
				require.Equal(t, threads, tr.Workspace().Threads())
				for range 4 {
					st, err := tr.Step()
					require.NoError(t, err)
					stats[k] = append(stats[k], st)
				}
				ev, err := tr.Evaluate()
				require.NoError(t, err)
				evals[k], params[k] = ev, append([]float32(nil), tr.model.Params.Data...)
				// On every goroutine, the pool's workers included; the
				// runtime's own allocations do not count (see allocstest).
				n, stacks := allocstest.Count(2, func() { _, _ = tr.Step() })
				require.Zero(t, n, "allocations in 2 Steps on %d threads:\n%s", threads, stacks)
			}
			require.Equal(t, stats[0], stats[1])
			require.Equal(t, evals[0], evals[1])
			require.Equal(t, params[0], params[1])
		})
	}
}

// TestEpochAccounting: a 20-image set in batches of 8 gives epochs of 8, 8
// and 4 examples; the epoch's train loss is the example-weighted average of
// the step losses, and the test pass equals a later Evaluate.
func TestEpochAccounting(t *testing.T) {
	tr := newTestTrainer(t, smallConfig("reinmax"), 20, 10)
	require.Equal(t, 3, tr.StepsPerEpoch())
	var losses []float64
	var steps []int
	s, err := tr.TrainEpoch(context.Background(), func(step int, loss float64) {
		steps = append(steps, step)
		losses = append(losses, loss)
	})
	require.NoError(t, err)
	require.Equal(t, []int{1, 2, 3}, steps)
	want := (8*losses[0] + 8*losses[1] + 4*losses[2]) / 20
	require.InDelta(t, want, s.TrainLoss, 1e-12*math.Abs(want))
	require.InDelta(t, s.TrainBCE+s.TrainKLD, s.TrainLoss, 1e-9)
	require.Equal(t, 1, s.Epoch)
	require.Equal(t, 3, s.Step)
	require.True(t, s.HasTest)
	require.GreaterOrEqual(t, s.Seconds, s.TrainSeconds)
	ev, err := tr.Evaluate()
	require.NoError(t, err)
	require.Equal(t, ev.Loss, s.TestLoss)
	require.Equal(t, 10, ev.N)
	rec := s.Record()
	require.Equal(t, [7]float64{s.TrainLoss, s.TrainBCE, s.TrainKLD, s.TestLoss, s.TestBCE, s.TestKLD, s.Seconds}, rec)
	// The next epoch starts fresh.
	s2, err := tr.TrainEpoch(context.Background(), nil)
	require.NoError(t, err)
	require.Equal(t, 2, s2.Epoch)
	require.Equal(t, 2, tr.Epoch())

	// A cancelled context stops before the next step and leaves a consistent state.
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err = tr.TrainEpoch(ctx, func(int, float64) {
		n++
		if n == 2 {
			cancel()
		}
	})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, 8, tr.GlobalStep())
	s3, err := tr.TrainEpoch(context.Background(), nil)
	require.NoError(t, err)
	require.Equal(t, 3, s3.Epoch)
	require.Equal(t, 9, tr.GlobalStep())

	// No test set: no test pass, and Evaluate says why.
	tr2 := newTestTrainer(t, smallConfig("st"), 9, 0)
	s4, err := tr2.TrainEpoch(context.Background(), nil)
	require.NoError(t, err)
	require.False(t, s4.HasTest)
	_, err = tr2.Evaluate()
	require.ErrorIs(t, err, errkind.Argument)
	ev2, err := tr2.EvaluateDataset(tr2.train)
	require.NoError(t, err)
	require.Equal(t, 9, ev2.N)
}

// TestBatch128: a batch that does not divide the data set (the protocol's
// 60000/100 does; 128 must work too).
func TestBatch128(t *testing.T) {
	cfg := smallConfig("st")
	cfg.Batch = 128
	tr := newTestTrainer(t, cfg, 130, 0)
	require.Equal(t, 2, tr.StepsPerEpoch())
	st, err := tr.Step()
	require.NoError(t, err)
	require.Equal(t, 128, st.N)
	st, err = tr.Step()
	require.NoError(t, err)
	require.Equal(t, 2, st.N)
	require.Equal(t, 1, tr.Epoch())
}

func TestShuffle(t *testing.T) {
	tr := newTestTrainer(t, smallConfig("st"), 10, 0)
	perm := make([]int32, 10)
	shuffle(&tr.pcg, perm, 3, 0)
	seen := make([]bool, 10)
	for _, p := range perm {
		require.False(t, seen[p])
		seen[p] = true
	}
	again := make([]int32, 10)
	shuffle(&tr.pcg, again, 3, 0)
	require.Equal(t, perm, again)
	shuffle(&tr.pcg, again, 3, 1)
	require.NotEqual(t, perm, again)
	shuffle(&tr.pcg, again, 4, 0)
	require.NotEqual(t, perm, again)
	// Uniformity: over 5000 epochs each of 5 items lands first about 1000
	// times (binomial sd 28; the bound is 5 sd, and the seed is fixed).
	var first [5]int
	p5 := make([]int32, 5)
	for e := range 5000 {
		shuffle(&tr.pcg, p5, 9, e)
		first[p5[0]]++
	}
	for i, c := range first {
		require.InDelta(t, 1000, c, 140, "item %d", i)
	}
	// Each epoch visits every training example exactly once.
	tr2 := newTestTrainer(t, smallConfig("st"), 20, 0)
	count := map[int32]int{}
	for range tr2.StepsPerEpoch() {
		_, lo, hi := tr2.batchOf()
		if tr2.permEpoch != 0 {
			shuffle(&tr2.pcg, tr2.perm, tr2.cfg.Seed, 0)
			tr2.permEpoch = 0
		}
		for _, j := range tr2.perm[lo:hi] {
			count[j]++
		}
		tr2.step++
	}
	require.Len(t, count, 20)
	for _, c := range count {
		require.Equal(t, 1, c)
	}
}

func TestNonFinite(t *testing.T) {
	for _, c := range []struct {
		name  string
		spoil func(m *Model)
	}{
		// NaN decoder bias: the loss becomes NaN.
		{"loss", func(m *Model) { m.Dec3.B.Data[5] = float32(math.NaN()) }},
		// Infinite encoder weight: the logits are non-finite and the estimator refuses them.
		{"logits", func(m *Model) { m.Enc1.W.Data[3] = float32(math.Inf(1)) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := newTestTrainer(t, smallConfig("reinmax"), 20, 0)
			for range 4 {
				_, err := tr.Step()
				require.NoError(t, err)
			}
			c.spoil(tr.model)
			params := append([]float32(nil), tr.model.Params.Data...)
			m := append([]float32(nil), tr.opt.M...)
			_, err := tr.Step()
			require.ErrorIs(t, err, ErrNonFinite)
			require.ErrorIs(t, err, errkind.NonFinite)
			require.ErrorContains(t, err, "epoch 2, step 5 (batch 2 of 3)")
			require.Equal(t, 4, tr.GlobalStep())
			require.Equal(t, 4, tr.opt.T)
			requireSameBits(t, params, tr.model.Params.Data)
			requireSameBits(t, m, tr.opt.M)
		})
	}
}

// requireSameBits compares float32 slices bit for bit (NaN-aware).
func requireSameBits(t *testing.T, want, got []float32) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
			t.Fatalf("element %d: want %v, got %v", i, want[i], got[i])
		}
	}
}

func TestModelHelpers(t *testing.T) {
	tr := newTestTrainer(t, smallConfig("st"), 6, 0)
	m, ws := tr.Model(), tr.Workspace()
	x := tr.train.Pixels[:3*ImagePixels]
	logits := make([]float32, 3*8)
	require.NoError(t, m.Encode(ws, logits, x, 3))
	// Encode agrees with the training forward.
	_, err := tr.forward(x, 3, 0, false)
	require.NoError(t, err)
	require.Equal(t, tr.buf.logits[:24], logits)
	probs := make([]float32, 3*ImagePixels)
	require.NoError(t, m.Reconstruct(ws, probs, x, 3, 1, 2))
	for _, p := range probs {
		require.True(t, p > 0 && p < 1)
	}
	again := make([]float32, len(probs))
	require.NoError(t, m.Reconstruct(ws, again, x, 3, 1, 2))
	require.Equal(t, probs, again)
	require.NoError(t, m.SamplePrior(ws, again, 3, 1, 2))
	require.NotEqual(t, probs, again)
	// Decode of a one-hot code is the sigmoid of the decoder output.
	z := make([]float32, 8)
	z[1], z[4+3] = 1, 1
	one := make([]float32, ImagePixels)
	require.NoError(t, m.Decode(ws, one, z, 1))
	g1, g2, zl := make([]float32, Hidden2), make([]float32, Hidden1), make([]float32, ImagePixels)
	require.NoError(t, m.decode(ws, z, g1, g2, zl, 1))
	for i := range one {
		require.InDelta(t, 1/(1+math.Exp(-float64(zl[i]))), float64(one[i]), 1e-7)
	}
	require.ErrorIs(t, m.Decode(ws, one, z[:7], 1), errkind.Shape)
	require.ErrorIs(t, m.Encode(ws, logits, x, 0), errkind.Shape)
	_, err = NewModel(1, 2, nn.ReLU)
	require.ErrorIs(t, err, errkind.Argument)
	require.True(t, errors.Is(ErrNonFinite, errkind.NonFinite))
}

// TestLearns: a few epochs on a small synthetic set lower the training and
// test losses well below their starting values, for a pathwise and the
// score-function estimator, with both optimisers.
func TestLearns(t *testing.T) {
	for _, c := range []struct{ method, opt string }{{"reinmax", nn.Adam}, {"st", nn.RAdam}, {"exact", nn.Adam}} {
		t.Run(c.method+"/"+c.opt, func(t *testing.T) {
			cfg := smallConfig(c.method)
			cfg.Batch, cfg.Optimizer, cfg.LR = 20, c.opt, 2e-3
			tr := newTestTrainer(t, cfg, 200, 50)
			initial, err := tr.Evaluate()
			require.NoError(t, err)
			var last EpochStats
			for range 5 {
				last, err = tr.TrainEpoch(context.Background(), nil)
				require.NoError(t, err)
			}
			t.Logf("loss %.1f -> train %.1f, test %.1f", initial.Loss, last.TrainLoss, last.TestLoss)
			require.Less(t, last.TrainLoss, 0.7*initial.Loss, "train loss %v -> %v", initial.Loss, last.TrainLoss)
			require.Less(t, last.TestLoss, 0.7*initial.Loss, "test loss %v -> %v", initial.Loss, last.TestLoss)
		})
	}
}
