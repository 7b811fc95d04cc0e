package experiment

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/vae"
)

// tinyData is a synthetic data set: train images in batches of 10 give
// train/10 steps per epoch.
func tinyData(t *testing.T, train, test int) *vae.MNIST {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	set := func(n int) *vae.Dataset {
		px := make([]float32, n*vae.ImagePixels)
		for i := range px {
			if r.IntN(4) == 0 {
				px[i] = r.Float32()
			}
		}
		d, err := vae.NewDataset(px, nil)
		require.NoError(t, err)
		return d
	}
	return &vae.MNIST{Train: set(train), Test: set(test)}
}

func tinyConfig(seed uint64) vae.Config {
	return vae.Config{C: 4, L: 3, Batch: 10, Estimator: estimators.DefaultConfig("reinmax"), Optimizer: "adam",
		LR: 1e-3, Seed: seed, Threads: 1}
}

func opts(dir string, data *vae.MNIST, mode Mode, epochs int) Options {
	return Options{Dir: dir, Config: tinyConfig(3), Epochs: epochs, Mode: mode, Data: data}
}

func TestTrainModes(t *testing.T) {
	data := tinyData(t, 30, 10)
	dir := filepath.Join(t.TempDir(), "run")
	ctx := context.Background()

	_, err := Train(ctx, opts(dir, data, Resume, 2))
	require.ErrorIs(t, err, ErrNoCheckpoint)
	sum, err := Train(ctx, opts(dir, data, Start, 2))
	require.NoError(t, err)
	require.Equal(t, 2, sum.Epochs)
	first, err := os.ReadFile(filepath.Join(dir, CheckpointFile))
	require.NoError(t, err)

	// A second Start is refused and changes nothing.
	_, err = Train(ctx, opts(dir, data, Start, 1))
	require.ErrorIs(t, err, ErrRunExists)
	require.ErrorContains(t, err, dir)
	again, err := os.ReadFile(filepath.Join(dir, CheckpointFile))
	require.NoError(t, err)
	require.Equal(t, first, again)

	// Continue: finished; another configuration is refused.
	_, err = Train(ctx, opts(dir, data, Continue, 2))
	require.ErrorIs(t, err, ErrFinished)
	other := opts(dir, data, Continue, 2)
	other.Config.Seed = 4
	_, err = Train(ctx, other)
	require.ErrorIs(t, err, ErrOtherRun)
	other.Mode = Resume
	_, err = Train(ctx, other)
	require.ErrorIs(t, err, ErrOtherRun)

	// Continue to more epochs extends the run; the stale summary goes first.
	sum, err = Train(ctx, opts(dir, data, Continue, 3))
	require.NoError(t, err)
	require.Equal(t, 3, sum.Epochs)

	// An Overwrite that cannot start removes nothing.
	bad := opts(dir, data, Overwrite, 1)
	bad.Config.Batch = 31 // more than the 30 training images
	_, err = Train(ctx, bad)
	require.ErrorContains(t, err, "larger than the 30 training images")
	st, err := Inspect(dir)
	require.NoError(t, err)
	require.NotNil(t, st.Summary, "the old run is intact")

	// Overwrite replaces every file: a 1-epoch run of another seed.
	other = opts(dir, data, Overwrite, 1)
	other.Config.Seed = 4
	sum, err = Train(ctx, other)
	require.NoError(t, err)
	require.Equal(t, 1, sum.Epochs)
	st, err = Inspect(dir)
	require.NoError(t, err)
	require.NoError(t, st.Check())
	require.Len(t, st.Records, 1)
	require.Equal(t, uint64(4), st.Checkpoint.Config.Seed)
}

// TestTrainFiles: every file has one mode, the lock stays, stale temporary
// files of a killed process are removed, and nothing else is touched.
func TestTrainFiles(t *testing.T) {
	data := tinyData(t, 20, 10)
	dir := t.TempDir()
	stale := filepath.Join(dir, "."+CheckpointFile+".tmp-12345")
	mine := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(stale, []byte("torn"), 0o600))
	require.NoError(t, os.WriteFile(mine, []byte("mine"), 0o600))
	_, err := Train(context.Background(), opts(dir, data, Start, 1))
	require.NoError(t, err)
	require.NoFileExists(t, stale)
	require.FileExists(t, mine)
	for _, name := range []string{ConfigFile, CheckpointFile, MetricsFile, SummaryFile} {
		fi, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o644), fi.Mode().Perm(), name)
	}
}

func TestLockDir(t *testing.T) {
	dir := t.TempDir()
	a, err := LockDir(dir)
	require.NoError(t, err)
	_, err = LockDir(dir)
	require.ErrorIs(t, err, ErrLocked)
	require.ErrorContains(t, err, "pid "+strconv.Itoa(os.Getpid()))
	_, err = Train(context.Background(), opts(dir, tinyData(t, 20, 10), Start, 1))
	require.ErrorIs(t, err, ErrLocked)
	require.NoError(t, a.Unlock())
	require.NoError(t, a.Unlock())
	b, err := LockDir(dir)
	require.NoError(t, err)
	require.NoError(t, b.Unlock())
}

// TestTrainInterrupt: a cancellation between steps checkpoints mid-epoch; one
// during an epoch's last step finishes and records that epoch first. Both
// resume to the bits of a run that never stopped.
func TestTrainInterrupt(t *testing.T) {
	data := tinyData(t, 30, 10) // 3 steps per epoch
	ref := t.TempDir()
	_, err := Train(context.Background(), opts(ref, data, Start, 2))
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join(ref, CheckpointFile))
	require.NoError(t, err)
	for _, tc := range []struct {
		stopAt  int // cancel after this global step
		msg     string
		records int
	}{
		{1, "in epoch 1 after step 1 of 3", 0},
		{3, "after epoch 1", 1},
		{5, "in epoch 2 after step 2 of 3", 1},
	} {
		dir := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		o := opts(dir, data, Start, 2)
		o.Progress = func(step int, _ float64) {
			if step == tc.stopAt {
				cancel()
			}
		}
		_, err := Train(ctx, o)
		require.ErrorIs(t, err, ErrInterrupted)
		require.ErrorContains(t, err, tc.msg)
		st, err := Inspect(dir)
		require.NoError(t, err)
		require.NoError(t, st.Check())
		require.Len(t, st.Records, tc.records)
		require.Equal(t, tc.stopAt, st.Checkpoint.Step)
		_, err = Train(context.Background(), opts(dir, data, Resume, 2))
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(dir, CheckpointFile))
		require.NoError(t, err)
		require.Equal(t, want, got, "stopped after step %d", tc.stopAt)
	}
}

// TestCheck lists the states Check refuses.
func TestCheck(t *testing.T) {
	data := tinyData(t, 20, 10)
	dir := t.TempDir()
	_, err := Train(context.Background(), opts(dir, data, Start, 2))
	require.NoError(t, err)
	st, err := Inspect(dir)
	require.NoError(t, err)
	require.NoError(t, st.Check())

	bad := st
	bad.Records = st.Records[:1]
	require.ErrorContains(t, bad.Check(), "holds 1 epochs but the checkpoint has completed 2")
	bad = st
	bad.Checkpoint = nil
	require.ErrorContains(t, bad.Check(), "without "+CheckpointFile)
	sum := *st.Summary
	sum.Epochs = 1
	bad = st
	bad.Summary = &sum
	require.ErrorContains(t, bad.Check(), "covers 1 epochs")

	// A metrics.jsonl with a gap or a torn line is an error naming it.
	raw, err := os.ReadFile(filepath.Join(dir, MetricsFile))
	require.NoError(t, err)
	lines := strings.SplitAfter(string(raw), "\n")
	require.NoError(t, os.WriteFile(filepath.Join(dir, MetricsFile), []byte(lines[1]), 0o644))
	_, err = Inspect(dir)
	require.ErrorContains(t, err, "epoch 2, want 1")
	require.NoError(t, os.WriteFile(filepath.Join(dir, MetricsFile), []byte(lines[0]+"{\"epoch\":"), 0o644))
	_, err = Inspect(dir)
	require.ErrorContains(t, err, MetricsFile+" line 2")
}

// TestCollapse: a forced collapse (the encoder's last layer gives every
// image the same one-hot code) is flagged; a fresh model, and an encoder
// whose codes are one-hot but differ between images, are not.
func TestCollapse(t *testing.T) {
	data := tinyData(t, 20, 30)
	cfg := tinyConfig(1)
	for _, tc := range []struct {
		name string
		set  func(w, b []float32) // encoder.fc3 weights (LC×256) and bias (LC)
		want bool
	}{
		{"fresh", func(w, b []float32) {}, false},
		{"one code", func(w, b []float32) {
			clear(w)
			for i := range b {
				b[i] = -30
				if i%cfg.C == 1 {
					b[i] = 30
				}
			}
		}, true},
		{"one-hot, codes differ", func(w, b []float32) {
			for i := range w {
				w[i] *= 5000
			}
		}, false},
	} {
		tr, err := vae.NewTrainer(cfg, data.Train, data.Test)
		require.NoError(t, err)
		enc := tr.Model().Enc3
		tc.set(enc.W.Data, enc.B.Data)
		st, err := tr.TrainEpoch(context.Background(), nil)
		require.NoError(t, err)
		tr.Close()
		rec := RecordOf(st, tr.Config())
		require.NotNil(t, rec.Collapsed, tc.name)
		require.Equal(t, tc.want, *rec.Collapsed, "%s: KL %v of %v, one code %v", tc.name, rec.TestKLD,
			float64(cfg.L)*math.Log(float64(cfg.C)), st.TestOneCode)
		require.Equal(t, tc.want, rec.IsCollapsed(cfg.C, cfg.L), tc.name)
	}
}

// TestCollapsedEpoch: the first epoch of the final collapsed stretch; a
// record without the flag falls back to the KL test.
func TestCollapsedEpoch(t *testing.T) {
	yes, no := true, false
	maxKL := 3 * math.Log(4)
	recs := []EpochRecord{{Epoch: 1, Collapsed: &yes}, {Epoch: 2, Collapsed: &no}, {Epoch: 3, Collapsed: &yes},
		{Epoch: 4, TestKLD: maxKL}}
	require.Equal(t, 3, CollapsedEpoch(recs, 4, 3))
	require.Equal(t, 0, CollapsedEpoch(recs[:2], 4, 3))
	require.False(t, EpochRecord{TestKLD: maxKL - 0.1}.IsCollapsed(4, 3))
	// A well-trained 8×4 run (reinmax, epoch 50) is not a legacy collapse.
	require.False(t, EpochRecord{TestKLD: 8.137327244068308}.IsCollapsed(8, 4))
	require.True(t, EpochRecord{TestKLD: 8.317682610353991}.IsCollapsed(8, 4)) // seed 0 after one epoch
}

// TestKeepCheckpoints: the chosen epochs' checkpoints are kept, each at its
// epoch; Overwrite removes them with the run.
func TestKeepCheckpoints(t *testing.T) {
	data := tinyData(t, 20, 10)
	dir := t.TempDir()
	o := opts(dir, data, Start, 5)
	o.Keep, o.KeepEvery = []int{1}, 2
	_, err := Train(context.Background(), o)
	require.NoError(t, err)
	for e := 1; e <= 5; e++ {
		path := filepath.Join(dir, EpochCheckpointFile(e))
		if e == 1 || e%2 == 0 {
			info, err := vae.ReadCheckpointInfo(path)
			require.NoError(t, err, e)
			require.Equal(t, e, info.Epoch)
		} else {
			require.NoFileExists(t, path)
		}
	}
	st, err := Inspect(dir)
	require.NoError(t, err)
	require.Contains(t, st.Files, EpochCheckpointFile(4))
	_, err = Train(context.Background(), opts(dir, data, Overwrite, 1))
	require.NoError(t, err)
	require.NoFileExists(t, filepath.Join(dir, EpochCheckpointFile(4)))
}
