package diag_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/diag"
	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/kernels"
	"github.com/discretegrad/reinmax/nn"
	"github.com/discretegrad/reinmax/vae"
)

// synthImages is a data set of n images with deterministic pixels in [0, 1].
func synthImages(t testing.TB, n int) *vae.Dataset {
	t.Helper()
	pixels := make([]float32, n*vae.ImagePixels)
	for i := range pixels {
		pixels[i] = float32((i*37)%101) / 100
	}
	d, err := vae.NewDataset(pixels, nil)
	require.NoError(t, err)
	return d
}

// wantMetrics recomputes a method's metrics on model m without GradStat:
// one probe, one thread, Moments.Draw.
func wantMetrics(t *testing.T, m *vae.Model, est estimators.Config, x []float32, n, samples int, seed uint64) diag.Metrics {
	t.Helper()
	p, err := vae.NewGradProbe(m, est, x, n, nil)
	require.NoError(t, err)
	exact := make([]float32, n*m.L*m.C)
	require.NoError(t, p.Exact(exact))
	mom, err := diag.NewMoments(len(exact))
	require.NoError(t, err)
	require.NoError(t, mom.Draw(p, seed, 0, samples))
	met, err := mom.Metrics(exact, n)
	require.NoError(t, err)
	return met
}

// TestGradStatFresh: a fresh model's metrics are those of a probe drawn by
// hand, bit for bit, whatever the thread count; Progress sees every method.
func TestGradStatFresh(t *testing.T) {
	data := synthImages(t, 8)
	src, err := diag.FreshSource(3, 2, false, 4)
	require.NoError(t, err)
	require.Equal(t, "fresh 3×2 model (seed 4)", src.String())
	alpha := estimators.DefaultConfig("reinmax-alpha")
	alpha.Alpha = 0.5
	cfg := diag.GradStatConfig{
		Methods: []estimators.Config{estimators.DefaultConfig("st"), alpha, estimators.DefaultConfig("reinforce")},
		Data:    data, Examples: 6, Samples: 40, Seed: 4, // two chunks: two threads split them
	}
	var seen []string
	cfg.Progress = func(s diag.GradStatSource, r diag.GradStatResult) {
		require.Equal(t, src, s)
		seen = append(seen, string(r.Method))
	}
	rep1, err := diag.GradStat(cfg, []diag.GradStatSource{src}, nil)
	require.NoError(t, err)
	require.Equal(t, []string{"st", "reinmax-alpha", "reinforce"}, seen)
	cfg.Progress = nil
	ws := kernels.NewWorkspace(2)
	defer ws.Close()
	rep2, err := diag.GradStat(cfg, []diag.GradStatSource{src}, ws)
	require.NoError(t, err)
	require.Equal(t, 1, rep1.Threads)
	require.Equal(t, 2, rep2.Threads)
	require.Zero(t, rep1.Failures())

	require.Len(t, rep1.Models, 1)
	gm := rep1.Models[0]
	require.Equal(t, [2]int{3, 2}, [2]int{gm.C, gm.L})
	require.Equal(t, uint64(4), *gm.InitSeed)
	require.Empty(t, gm.Checkpoint)
	require.Nil(t, gm.Epoch)
	m, err := vae.NewModel(3, 2, nn.ReLU)
	require.NoError(t, err)
	require.NoError(t, m.Init(4))
	for i, r := range gm.Results {
		require.Equal(t, cfg.Methods[i].WithDefaults(), r.Estimator)
		require.Empty(t, r.Error, r.Method)
		require.Equal(t, *r.Metrics, *rep2.Models[0].Results[i].Metrics, "%s: 1 vs 2 threads", r.Method)
		want := wantMetrics(t, m, r.Estimator, data.Pixels, 6, 40, 4)
		require.Equal(t, want, *r.Metrics, r.Method)
	}
}

// TestGradStatCheckpoint measures a leaky-ReLU checkpoint: the model is the
// one saved, and its progress comes from the metadata.
func TestGradStatCheckpoint(t *testing.T) {
	data := synthImages(t, 20)
	cfg := vae.Config{C: 3, L: 2, Batch: 8, Estimator: estimators.DefaultConfig("gst"), LR: 1e-3, Seed: 2, Threads: 1, LeakyReLU: true}
	tr, err := vae.NewTrainer(cfg, data, nil)
	require.NoError(t, err)
	defer tr.Close()
	for range 4 {
		_, err := tr.Step()
		require.NoError(t, err)
	}
	path := filepath.Join(t.TempDir(), "c.safetensors")
	require.NoError(t, tr.Save(path))
	src, err := diag.CheckpointSource(path)
	require.NoError(t, err)
	require.Equal(t, path, src.String())
	gc := diag.GradStatConfig{Methods: []estimators.Config{estimators.DefaultConfig("reinmax")}, Data: data, Examples: 5, Samples: 40, Seed: 1}
	rep, err := diag.GradStat(gc, []diag.GradStatSource{src}, nil)
	require.NoError(t, err)
	gm := rep.Models[0]
	require.Equal(t, path, gm.Checkpoint)
	require.Nil(t, gm.InitSeed)
	require.Equal(t, estimators.GST, gm.TrainedWith)
	require.Equal(t, 4, *gm.Step)
	require.Equal(t, 1, *gm.Epoch) // 3 steps per epoch over 20 images
	m, _, err := vae.LoadModel(path)
	require.NoError(t, err)
	require.Equal(t, nn.LeakyReLU, m.Act)
	want := wantMetrics(t, m, gm.Results[0].Estimator, data.Pixels, 5, 40, 1)
	require.Equal(t, want, *gm.Results[0].Metrics)
}

func TestGradStatRefused(t *testing.T) {
	require.NotContains(t, diag.GradStatMethods(), "exact")
	require.Len(t, diag.GradStatMethods(), len(estimators.Methods())-1)

	_, err := diag.FreshSource(1, 2, false, 0)
	require.ErrorIs(t, err, errkind.Argument)
	require.ErrorContains(t, err, "C=1")
	_, err = diag.FreshSource(2, 14, false, 0) // 16384 codes: the most the exact gradient takes
	require.NoError(t, err)
	for _, s := range [][2]int{{2, 15}, {10, 5}, {64, 8}} {
		_, err = diag.FreshSource(s[0], s[1], false, 0)
		require.ErrorIs(t, err, errkind.Argument, "%v", s)
		require.ErrorContains(t, err, "too many for the exact gradient", "%v", s)
	}
	_, err = diag.CheckpointSource(filepath.Join(t.TempDir(), "missing"))
	require.ErrorContains(t, err, "missing")
	// A checkpoint too large for the exact gradient is refused before any measurement.
	data := synthImages(t, 4)
	big := vae.Config{C: 2, L: 15, Batch: 4, Estimator: estimators.DefaultConfig("st"), LR: 1e-3, Threads: 1}
	tr, err := vae.NewTrainer(big, data, nil)
	require.NoError(t, err)
	defer tr.Close()
	path := filepath.Join(t.TempDir(), "big.safetensors")
	require.NoError(t, tr.Save(path))
	_, err = diag.CheckpointSource(path)
	require.ErrorContains(t, err, "2×15 model")

	src, err := diag.FreshSource(2, 2, false, 0)
	require.NoError(t, err)
	good := diag.GradStatConfig{Methods: []estimators.Config{estimators.DefaultConfig("st")}, Data: data, Examples: 4, Samples: 1}
	require.NoError(t, good.Validate())
	for _, tc := range []struct {
		mod  func(*diag.GradStatConfig)
		want string
	}{
		{func(c *diag.GradStatConfig) { c.Methods = nil }, "no method"},
		{func(c *diag.GradStatConfig) { c.Methods = []estimators.Config{estimators.DefaultConfig("exact")} }, `"exact"`},
		{func(c *diag.GradStatConfig) { c.Methods[0].Tau = -1 }, "Tau"},
		{func(c *diag.GradStatConfig) { c.Data = nil }, "Data is nil"},
		{func(c *diag.GradStatConfig) { c.Examples = 0 }, "Examples=0"},
		{func(c *diag.GradStatConfig) { c.Examples = 5 }, "Examples=5, need 1..4"},
		{func(c *diag.GradStatConfig) { c.Samples = 0 }, "Samples=0"},
		{func(c *diag.GradStatConfig) { c.Samples = diag.MaxGradStatSamples + 1 }, "Samples=1073741825"},
	} {
		c := good
		c.Methods = slices.Clone(good.Methods)
		tc.mod(&c)
		_, err := diag.GradStat(c, []diag.GradStatSource{src}, nil)
		require.ErrorContains(t, err, tc.want)
		require.ErrorContains(t, err, "diag.GradStat")
	}
	_, err = diag.GradStat(good, nil, nil)
	require.ErrorContains(t, err, "no model")
}

func TestGradStatFailures(t *testing.T) {
	rep := diag.GradStatReport{Models: []diag.GradStatModel{
		{Results: []diag.GradStatResult{{Method: "st"}, {Method: "reinforce", Error: "g[3]=NaN"}}},
		{Results: []diag.GradStatResult{{Method: "st", Error: "diverged"}}},
	}}
	require.Equal(t, 2, rep.Failures())
}
