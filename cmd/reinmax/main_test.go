package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/experiment"
	"github.com/discretegrad/reinmax/vae"
)

// syncBuffer is a bytes.Buffer that a child process's output copier and
// the test can use at the same time.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// run calls realMain and returns its exit status, stdout and stderr.
func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := realMain(args, &out, &errb)
	return code, out.String(), errb.String()
}

// writeIDX writes a gzipped idx file of n 28×28 random images (or labels).
func writeIDX(t *testing.T, path string, n int, images bool, seed uint64) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	r := rand.New(rand.NewPCG(seed, 7))
	if images {
		require.NoError(t, binary.Write(zw, binary.BigEndian, []uint32{0x803, uint32(n), 28, 28}))
		pix := make([]byte, n*vae.ImagePixels)
		for i := range pix {
			if r.IntN(3) == 0 {
				pix[i] = byte(r.IntN(256))
			}
		}
		_, err := zw.Write(pix)
		require.NoError(t, err)
	} else {
		require.NoError(t, binary.Write(zw, binary.BigEndian, []uint32{0x801, uint32(n)}))
		lab := make([]byte, n)
		for i := range lab {
			lab[i] = byte(r.IntN(10))
		}
		_, err := zw.Write(lab)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
}

// synthMNIST writes a small MNIST-shaped data directory.
func synthMNIST(t *testing.T, train, test int) string {
	t.Helper()
	dir := t.TempDir()
	writeIDX(t, filepath.Join(dir, vae.TrainImagesFile), train, true, 1)
	writeIDX(t, filepath.Join(dir, vae.TrainLabelsFile), train, false, 2)
	writeIDX(t, filepath.Join(dir, vae.TestImagesFile), test, true, 3)
	writeIDX(t, filepath.Join(dir, vae.TestLabelsFile), test, false, 4)
	return dir
}

func TestUsage(t *testing.T) {
	code, _, stderr := run()
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "usage: reinmax")
	code, _, stderr = run("nope")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, `unknown command "nope"`)
	code, stdout, _ := run("help")
	require.Equal(t, 0, code)
	for _, c := range commands() {
		require.Contains(t, stdout, c.name)
	}
	code, stdout, stderr = run("help", "train")
	require.Equal(t, 0, code)
	require.Contains(t, stdout, "-method")
	require.Empty(t, stderr)
	// -h prints the usage on stdout for every command; a bad flag prints
	// one error line and where to find the usage, on stderr.
	for _, c := range commands() {
		code, stdout, stderr = run(c.name, "-h")
		require.Equal(t, 0, code, c.name)
		require.Contains(t, stdout, "usage: reinmax "+c.name, c.name)
		require.Empty(t, stderr, c.name)
		code, stdout, stderr = run(c.name, "-bogus")
		require.Equal(t, 2, code, c.name)
		require.Empty(t, stdout, c.name)
		require.Equal(t, "reinmax "+c.name+": flag provided but not defined: -bogus\nrun 'reinmax "+c.name+" -h' for usage\n",
			stderr, c.name)
	}
	// Library errors reach the terminal without package names or sentinels.
	code, _, stderr = run("train", "-K", "0", "-out", t.TempDir())
	require.Equal(t, 2, code)
	require.Equal(t, "reinmax train: Estimator: K=0 must be >= 1\nrun 'reinmax train -h' for usage\n", stderr)
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		code, stdout, _ := run(args...)
		require.Equal(t, 0, code, args)
		require.Contains(t, stdout, "reinmax "+experiment.Version, args)
		require.Contains(t, stdout, "kernels", args)
	}
}

// TestTrainRejectsBadFlags checks that every invalid value stops train
// before any work, with exit status 2, the usage line and a message naming
// the problem.
func TestTrainRejectsBadFlags(t *testing.T) {
	data := synthMNIST(t, 20, 10)
	notDir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notDir, nil, 0o644))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-tau", "0"}, "Tau"},
		{[]string{"-tau", "-1"}, "Tau"},
		{[]string{"-tau", "NaN"}, "Tau"},
		{[]string{"-method", "magic"}, "magic"},
		{[]string{"-C", "1"}, "C=1"},
		{[]string{"-L", "0"}, "L=0"},
		{[]string{"-batch", "0"}, "Batch=0"},
		{[]string{"-batch", "21"}, "larger than the 20 training images"},
		{[]string{"-K", "0"}, "K=0"},
		{[]string{"-K", "2000000000", "-method", "gr"}, "more than"},
		{[]string{"-epochs", "-1"}, "--epochs=-1"},
		{[]string{"-lr", "0"}, "LR"},
		{[]string{"-optimizer", "sgd"}, "sgd"},
		{[]string{"-alpha", "0", "-method", "reinmax-alpha"}, "Alpha=0"},
		{[]string{"-gap", "0", "-method", "gst"}, "Gap=0"},
		{[]string{"-noise", "", "-method", "reinmax-cv"}, "Noise is empty"},
		{[]string{"-optimizer", ""}, "Optimizer is empty"},
		{[]string{"-eta", "-1", "-method", "reinmax-cv"}, "Eta=-1"},
		{[]string{"-data", "/nonexistent"}, "--data"},
		{[]string{"-resume"}, "no checkpoint"},
		{[]string{"-resume", "-overwrite"}, "exclude each other"},
		{[]string{"-keep", "1,0"}, `--keep: "0"`},
		{[]string{"-keep", "x"}, `--keep: "x"`},
		{[]string{"-keep-every", "-1"}, "--keep-every=-1"},
		{[]string{"-noise", "pink", "-method", "reinmax-cv"}, "pink"},
		{[]string{"-threads", "-2"}, "--threads=-2"},
		{[]string{"-threads", "9223372036854775807"}, "--threads=9223372036854775807"},
		{[]string{"-out", filepath.Join(notDir, "sub")}, "--out"},
		{[]string{"-preset", "-method", "reinforce"}, "no preset"},
		{[]string{"-method", "exact", "-C", "10", "-L", "30"}, "exact"},
		{[]string{"-bogus"}, "bogus"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		out := filepath.Join(t.TempDir(), "run")
		args := append([]string{"train", "-data", data, "-out", out, "-epochs", "1", "-quiet"}, tc.args...)
		code, stdout, stderr := run(args...)
		require.Equal(t, 2, code, "%v: %s", tc.args, stderr)
		first, _, _ := strings.Cut(stderr, "\n")
		require.Contains(t, first, tc.want, "%v", tc.args)
		require.Contains(t, stderr, "run 'reinmax train -h' for usage", "%v", tc.args)
		require.Empty(t, stdout, "%v", tc.args)
		require.NoDirExists(t, out, "%v: a refused command creates nothing", tc.args)
	}
}

func TestTrainMissingData(t *testing.T) {
	code, _, stderr := run("train", "-data", t.TempDir(), "-out", t.TempDir(), "-epochs", "1")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, vae.TrainImagesFile)
}

func readRecords(t *testing.T, dir string) []experiment.EpochRecord {
	t.Helper()
	var recs []experiment.EpochRecord
	data, err := os.ReadFile(filepath.Join(dir, experiment.MetricsFile))
	require.NoError(t, err)
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var r experiment.EpochRecord
		require.NoError(t, json.Unmarshal([]byte(line), &r))
		recs = append(recs, r)
	}
	return recs
}

// sameLosses compares the deterministic fields of two records.
func sameLosses(t *testing.T, a, b experiment.EpochRecord) {
	t.Helper()
	a.Seconds, a.TrainSeconds, b.Seconds, b.TrainSeconds = 0, 0, 0, 0
	require.Equal(t, a, b)
}

// TestTrainOutputsAndResume trains two epochs in one go, and one epoch then
// a resumed second one, and requires identical losses (bitwise) and the
// promised outputs; it also runs sample on the checkpoint.
func TestTrainOutputsAndResume(t *testing.T) {
	data := synthMNIST(t, 60, 30)
	common := []string{"train", "-data", data, "-method", "st", "-batch", "20", "-quiet", "-seed", "5"}
	full := t.TempDir()
	code, stdout, stderr := run(append(common, "-out", full, "-epochs", "2", "-threads", "2")...)
	require.Equal(t, 0, code, stderr)
	require.Empty(t, stdout, "-quiet prints no JSON lines")
	for _, f := range []string{experiment.MetricsFile, experiment.SummaryFile, experiment.CheckpointFile, experiment.LossPlotFile, "config.json"} {
		fi, err := os.Stat(filepath.Join(full, f))
		require.NoError(t, err, f)
		require.NotZero(t, fi.Size(), f)
	}
	want := readRecords(t, full)
	require.Len(t, want, 2)
	require.Equal(t, 3, want[0].Step)
	require.Equal(t, 6, want[1].Step)

	var sum experiment.Summary
	raw, err := os.ReadFile(filepath.Join(full, experiment.SummaryFile))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &sum))
	require.Equal(t, 2, sum.Epochs)
	require.Equal(t, want[1].TestLoss, sum.Final.TestLoss)
	require.Equal(t, estimators.ST, sum.Config.Estimator.Method)
	require.Equal(t, 1e-3, sum.Config.LR, "preset for st at 8x4")
	require.Equal(t, 1.3, sum.Config.Estimator.Tau, "preset for st at 8x4")

	part := t.TempDir()
	code, stdout, stderr = run(append(append([]string{}, common...), "-out", part, "-epochs", "1", "-threads", "1")...)
	require.Equal(t, 0, code, stderr)
	require.Empty(t, stdout)
	code, _, stderr = run("train", "-data", data, "-out", part, "-epochs", "2", "-resume", "-threads", "2")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "resuming")
	got := readRecords(t, part)
	require.Len(t, got, 2)
	for i := range want {
		sameLosses(t, want[i], got[i])
	}

	// A flag that contradicts the checkpoint is refused.
	code, _, stderr = run("train", "-data", data, "-out", part, "-epochs", "3", "-resume", "-method", "reinmax")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "disagree")

	png := filepath.Join(t.TempDir(), "grid.png")
	code, stdout, stderr = run("sample", "-checkpoint", filepath.Join(full, experiment.CheckpointFile), "-data", data, "-n", "8", "-out", png)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, png)
	img, err := os.ReadFile(png)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(img, []byte("\x89PNG")))
}

func TestTrainStdoutJSON(t *testing.T) {
	data := synthMNIST(t, 40, 20)
	code, stdout, stderr := run("train", "-data", data, "-method", "reinmax-rao", "-K", "3", "-batch", "20",
		"-epochs", "1", "-out", t.TempDir())
	require.Equal(t, 0, code, stderr)
	var r experiment.EpochRecord
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(stdout)), &r))
	require.Equal(t, 1, r.Epoch)
	require.Greater(t, r.TestLoss, 0.0)
}

func TestSampleErrors(t *testing.T) {
	code, _, stderr := run("sample")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "--checkpoint is required")
	bad := filepath.Join(t.TempDir(), "bad.safetensors")
	require.NoError(t, os.WriteFile(bad, []byte("not a checkpoint"), 0o644))
	code, _, stderr = run("sample", "-checkpoint", bad)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "bad.safetensors")
}

// TestTrainKeepsExistingRun: train on a directory that holds a run refuses,
// naming the directory and the ways on, and changes nothing; -overwrite
// replaces every file of the old run; -resume without a checkpoint is
// refused. The same holds for a directory left by an older version with
// only config.json.
func TestTrainKeepsExistingRun(t *testing.T) {
	data := synthMNIST(t, 40, 10)
	out := t.TempDir()
	common := []string{"train", "-data", data, "-method", "st", "-batch", "20", "-quiet", "-out", out}
	code, _, stderr := run(append(common, "-epochs", "2", "-seed", "1")...)
	require.Equal(t, 0, code, stderr)
	before := map[string][]byte{}
	for _, f := range []string{experiment.MetricsFile, experiment.SummaryFile, experiment.CheckpointFile, experiment.ConfigFile} {
		before[f], _ = os.ReadFile(filepath.Join(out, f))
	}

	code, stdout, stderr := run(append(common, "-epochs", "1", "-seed", "2")...)
	require.Equal(t, 2, code, stderr)
	require.Empty(t, stdout)
	first, _, _ := strings.Cut(stderr, "\n")
	require.Contains(t, first, out)
	require.Contains(t, first, "--resume")
	require.Contains(t, first, "--overwrite")
	for f, b := range before {
		got, err := os.ReadFile(filepath.Join(out, f))
		require.NoError(t, err)
		require.Equal(t, b, got, "%s changed by a refused command", f)
	}

	code, _, stderr = run(append(common, "-epochs", "1", "-seed", "2", "-overwrite")...)
	require.Equal(t, 0, code, stderr)
	st, err := experiment.Inspect(out)
	require.NoError(t, err)
	require.NoError(t, st.Check())
	require.Len(t, st.Records, 1)
	require.Equal(t, 1, st.Summary.Epochs)
	require.Equal(t, uint64(2), st.Summary.Config.Seed)

	legacy := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(legacy, experiment.ConfigFile), before[experiment.ConfigFile], 0o644))
	code, _, stderr = run("train", "-data", data, "-out", legacy, "-resume", "-epochs", "1")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "no checkpoint")
	code, _, stderr = run("train", "-data", data, "-out", legacy, "-epochs", "1")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "already holds a run")
	got, err := os.ReadFile(filepath.Join(legacy, experiment.ConfigFile))
	require.NoError(t, err)
	require.Equal(t, before[experiment.ConfigFile], got)
}

// TestEpochTable: on a terminal train prints one readable row per epoch.
func TestEpochTable(t *testing.T) {
	var buf bytes.Buffer
	row := epochTable(&buf)
	yes := true
	row(experiment.EpochRecord{Epoch: 1, TrainLoss: 201.5, TestLoss: 190.25, TestKLD: 6.5, Seconds: 12.34})
	row(experiment.EpochRecord{Epoch: 2, TrainLoss: 214.5, TestLoss: 214.4, TestKLD: 8.318, Seconds: 12, Collapsed: &yes})
	require.Equal(t, ""+
		" epoch  train loss   test loss   test KL   seconds\n"+
		"     1     201.500     190.250     6.500      12.3\n"+
		"     2     214.500     214.400     8.318      12.0  collapsed\n", buf.String())
}
