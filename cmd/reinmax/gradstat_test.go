package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/diag"
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/experiment"
	"github.com/discretegrad/reinmax/kernels"
	"github.com/discretegrad/reinmax/nn"
	"github.com/discretegrad/reinmax/vae"
)

// readGradstat decodes gradstat's JSON output.
func readGradstat(t *testing.T, path string) diag.GradStatReport {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var rep diag.GradStatReport
	require.NoError(t, json.Unmarshal(raw, &rep))
	return rep
}

func TestGradstatRejectsBadInput(t *testing.T) {
	data := synthMNIST(t, 10, 5)
	bad := filepath.Join(t.TempDir(), "bad.safetensors")
	require.NoError(t, os.WriteFile(bad, []byte("not a checkpoint"), 0o644))
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-methods", "magic"}, 2, `unknown method "magic"`},
		{[]string{"-methods", "st,exact"}, 2, `"exact" is not available`},
		{[]string{"-methods", ","}, 2, "--methods: no method in"},
		{[]string{"-samples", "0"}, 2, "--samples=0"},
		{[]string{"-examples", "0"}, 2, "--examples=0"},
		{[]string{"-examples", "11"}, 2, "more than the 10 training images"},
		{[]string{"-threads", "-1"}, 2, "--threads=-1"},
		// Extreme values are refused up front: MaxInt64 threads panicked
		// in makeslice, 10^9 ran out of memory, MaxInt64 samples
		// overflowed into "no draw accumulated".
		{[]string{"-threads", "9223372036854775807"}, 2, "--threads=9223372036854775807, need 0..1024"},
		{[]string{"-threads", "1000000000"}, 2, "--threads=1000000000, need 0..1024"},
		{[]string{"-samples", "9223372036854775807"}, 2, "--samples=9223372036854775807, need 1..1073741824"},
		{[]string{"-samples", "1073741825"}, 2, "--samples=1073741825"},
		{[]string{"-tau", "0"}, 2, "Tau"},
		{[]string{"-K", "0"}, 2, "K=0"},
		{[]string{"-alpha", "-1", "-methods", "reinmax-alpha"}, 2, "Alpha=-1"},
		{[]string{"-alpha", "0", "-methods", "reinmax-alpha"}, 2, "Alpha=0"},
		{[]string{"-gap", "0", "-methods", "gst"}, 2, "Gap=0"},
		{[]string{"-noise", "", "-methods", "reinmax-cv"}, 2, "Noise is empty"},
		{[]string{"-noise", "pink"}, 2, "pink"},
		{[]string{"-C", "10", "-L", "5"}, 2, "10×5 model has C^L codes > 16384"},
		{[]string{"-C", "1"}, 2, "C=1"},
		{[]string{"-checkpoint", bad, "-C", "4"}, 2, "fresh model"},
		{[]string{"-checkpoint", bad}, 1, "bad.safetensors"},
		{[]string{"-checkpoint", filepath.Join(t.TempDir(), "missing")}, 1, "missing"},
		{[]string{"extra"}, 2, "unexpected argument"},
	} {
		args := append([]string{"gradstat", "-data", data, "-examples", "4", "-samples", "2", "-C", "2", "-L", "2"}, tc.args...)
		if tc.args[0] == "-checkpoint" {
			args = append([]string{"gradstat", "-data", data, "-examples", "4", "-samples", "2"}, tc.args...)
		}
		code, stdout, stderr := run(args...)
		require.Equal(t, tc.code, code, "%v: %s", tc.args, stderr)
		require.Contains(t, stderr, tc.want, "%v", tc.args)
		require.Empty(t, stdout, "%v", tc.args)
		if tc.code == 2 {
			require.Contains(t, stderr, "run 'reinmax gradstat -h' for usage", "%v", tc.args)
		}
	}
}

// TestGradstatFreshModel measures a fresh model and recomputes the metrics
// from the library (same model, batch, streams), so the command's wiring is
// checked, not only its format; the result is the same for 1 and 2 threads.
func TestGradstatFreshModel(t *testing.T) {
	data := synthMNIST(t, 12, 5)
	dir := t.TempDir()
	args := []string{"gradstat", "-data", data, "-C", "3", "-L", "2", "-seed", "4", "-examples", "6", "-samples", "80", // three chunks: the 2-thread run splits them
		"-methods", "st,reinmax,reinmax-alpha,reinforce", "-alpha", "0.5", "-K", "5", "-quiet"}
	code, stdout, stderr := run(append(args, "-threads", "1", "-json", filepath.Join(dir, "a.json"))...)
	require.Equal(t, 0, code, stderr)
	require.Empty(t, stderr, "-quiet")
	for _, m := range []string{"st", "reinmax", "reinmax-alpha", "reinforce", "rel_bias", "fresh 3×2 model"} {
		require.Contains(t, stdout, m)
	}
	a := readGradstat(t, filepath.Join(dir, "a.json"))
	code, _, stderr = run(append(args, "-threads", "2", "-json", filepath.Join(dir, "b.json"))...)
	require.Equal(t, 0, code, stderr)
	b := readGradstat(t, filepath.Join(dir, "b.json"))

	require.Len(t, a.Models, 1)
	gm := a.Models[0]
	require.Equal(t, 3, gm.C)
	require.Equal(t, 2, gm.L)
	require.NotNil(t, gm.InitSeed)
	require.Equal(t, uint64(4), *gm.InitSeed)
	require.Len(t, gm.Results, 4)
	for i, r := range gm.Results {
		require.Empty(t, r.Error, r.Method)
		require.NotNil(t, r.Metrics, r.Method)
		require.Equal(t, 80, r.Metrics.Samples)
		require.Equal(t, 6, r.Metrics.Examples)
		require.Equal(t, *r.Metrics, *b.Models[0].Results[i].Metrics, "%s: 1 vs 2 threads", r.Method)
	}
	require.Equal(t, 0.5, gm.Results[2].Estimator.Alpha)
	require.Equal(t, 5, gm.Results[0].Estimator.K)

	// The same numbers straight from the library.
	mn, err := vae.LoadMNIST(data)
	require.NoError(t, err)
	m, err := vae.NewModel(3, 2, nn.ReLU)
	require.NoError(t, err)
	require.NoError(t, m.Init(4))
	x := mn.Train.Pixels[:6*vae.ImagePixels]
	exact := make([]float32, 6*3*2)
	for _, r := range gm.Results {
		p, err := vae.NewGradProbe(m, r.Estimator, x, 6, kernels.NewWorkspace(1))
		require.NoError(t, err)
		require.NoError(t, p.Exact(exact))
		mom, err := diag.NewMoments(len(exact))
		require.NoError(t, err)
		require.NoError(t, mom.Draw(p, 4, 0, 80))
		want, err := mom.Metrics(exact, 6)
		require.NoError(t, err)
		require.Equal(t, want, *r.Metrics, r.Method)
	}
	// Different estimators give different statistics.
	require.NotEqual(t, gm.Results[0].Metrics.RelBiasExact, gm.Results[1].Metrics.RelBiasExact)
}

// TestGradstatSeries trains a small model for two epochs, keeping the
// checkpoint of each, and measures the series: one model per checkpoint
// with its epoch, and one PNG per metric.
func TestGradstatSeries(t *testing.T) {
	data := synthMNIST(t, 20, 10)
	run1 := t.TempDir()
	ckpts := t.TempDir()
	common := []string{"train", "-data", data, "-out", run1, "-method", "reinmax", "-C", "3", "-L", "2", "-batch", "10", "-quiet"}
	for epoch := 1; epoch <= 2; epoch++ {
		args := append(common, "-epochs", strconv.Itoa(epoch))
		if epoch > 1 {
			args = append(args, "-resume")
		}
		code, _, stderr := run(args...)
		require.Equal(t, 0, code, stderr)
		raw, err := os.ReadFile(filepath.Join(run1, experiment.CheckpointFile))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(ckpts, fmt.Sprintf("e%d.safetensors", epoch)), raw, 0o644))
	}
	out := t.TempDir()
	jsonPath := filepath.Join(out, "gs.json")
	code, stdout, stderr := run("gradstat", "-data", data, "-examples", "5", "-samples", "8", "-methods", "st,gst",
		"-checkpoint", filepath.Join(ckpts, "e1.safetensors")+","+filepath.Join(ckpts, "e2.safetensors"), "-json", jsonPath)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "epoch 1, step 2")
	require.Contains(t, stdout, "epoch 2, step 4")
	require.Contains(t, stderr, "gradstat-rel_std.png")
	rep := readGradstat(t, jsonPath)
	require.Len(t, rep.Models, 2)
	for i, gm := range rep.Models {
		require.NotNil(t, gm.Epoch)
		require.Equal(t, i+1, *gm.Epoch)
		require.Equal(t, 2*(i+1), *gm.Step)
		require.Equal(t, estimators.ReinMax, gm.TrainedWith)
		require.Len(t, gm.Results, 2)
	}
	require.NotEqual(t, *rep.Models[0].Results[0].Metrics, *rep.Models[1].Results[0].Metrics, "the model changed")
	pngs, err := filepath.Glob(filepath.Join(out, "gradstat-*.png"))
	require.NoError(t, err)
	require.Len(t, pngs, 6, "one PNG per metric")
	for _, p := range pngs {
		img, err := os.ReadFile(p)
		require.NoError(t, err, p)
		require.True(t, bytes.HasPrefix(img, []byte("\x89PNG")), p)
	}
}

func TestGradstatListFlag(t *testing.T) {
	var l gradstatListFlag
	require.NoError(t, l.Set("a, b,,c"))
	require.NoError(t, l.Set("d"))
	require.Equal(t, gradstatListFlag{"a", "b", "c", "d"}, l)
}

// TestGradstatRealMNIST measures two estimators on the real training images
// when the GoMNIST files are in the module cache.
func TestGradstatRealMNIST(t *testing.T) {
	dir, err := vae.FindMNIST()
	if err != nil {
		t.Skipf("real MNIST not available: %v", err)
	}
	code, stdout, stderr := run("gradstat", "-data", dir, "-examples", "10", "-samples", "4", "-methods", "reinmax,gr", "-K", "4", "-quiet")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "reinmax")
}

// TestGradstatCheckpointTooLarge: a checkpoint whose C^L exceeds the
// enumeration limit is refused before any data is read.
func TestGradstatCheckpointTooLarge(t *testing.T) {
	data := synthMNIST(t, 20, 10)
	dir := t.TempDir()
	code, _, stderr := run("train", "-data", data, "-out", dir, "-method", "st", "-C", "2", "-L", "15", "-batch", "10",
		"-epochs", "1", "-quiet")
	require.Equal(t, 0, code, stderr)
	code, stdout, stderr := run("gradstat", "-checkpoint", filepath.Join(dir, experiment.CheckpointFile), "-data", t.TempDir())
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "2×15 model")
	require.Contains(t, stderr, "too many for the exact gradient")
	require.Empty(t, stdout)
}

// TestGradstatMerge: two reports of a series give per-epoch means with the
// published cosine beside them.
func TestGradstatMerge(t *testing.T) {
	dir := t.TempDir()
	e1 := 1
	for i, c := range []float64{0.5, 0.7} {
		rep := diag.GradStatReport{Models: []diag.GradStatModel{{Epoch: &e1,
			Results: []diag.GradStatResult{{Method: estimators.ReinMax, Metrics: &diag.Metrics{Cosine: c}}}}}}
		require.NoError(t, experiment.WriteJSON(filepath.Join(dir, fmt.Sprintf("r%d.json", i)), rep))
	}
	code, stdout, stderr := run("gradstat", "-merge", filepath.Join(dir, "r0.json")+","+filepath.Join(dir, "r1.json"), "-out", dir)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "| 1 | 0.600 ± 0.100 (0.772) |")
	raw, err := os.ReadFile(filepath.Join(dir, "cosine-over-training.png"))
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(raw))
	require.NoError(t, err)
	require.Greater(t, img.Bounds().Dx(), 500)
	code, _, stderr = run("gradstat", "-merge", filepath.Join(dir, "missing.json"))
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "missing.json")
}
