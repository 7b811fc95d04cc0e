package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/experiment"
)

// sweepList returns the run names that `sweep -list` prints for args,
// by grid index.
func sweepList(t *testing.T, args ...string) map[int]string {
	t.Helper()
	code, stdout, stderr := run(append([]string{"sweep", "-list"}, args...)...)
	require.Equal(t, 0, code, stderr)
	out := map[int]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var i int
		var name string
		_, err := fmt.Sscanf(line, "%d\t%s", &i, &name)
		require.NoError(t, err, line)
		out[i] = name
	}
	return out
}

// readSummary reads a run's summary.json.
func readSummary(t *testing.T, dir string) experiment.Summary {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, experiment.SummaryFile))
	require.NoError(t, err)
	var s experiment.Summary
	require.NoError(t, json.Unmarshal(raw, &s))
	return s
}

// finishedRuns returns the run directories under dir holding a summary.
func finishedRuns(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join(dir, e.Name(), experiment.SummaryFile)); err == nil {
			out = append(out, e.Name())
		}
	}
	return out
}

// requireSameRuns requires every run of a in b with bitwise equal losses,
// each epoch recorded exactly once.
func requireSameRuns(t *testing.T, a, b string, names []string) {
	t.Helper()
	for _, n := range names {
		want, got := readRecords(t, filepath.Join(a, n)), readRecords(t, filepath.Join(b, n))
		require.Equal(t, len(want), len(got), n)
		for i := range want {
			require.Equal(t, i+1, got[i].Epoch, n)
			sameLosses(t, want[i], got[i])
		}
	}
}

func TestSweepGrid(t *testing.T) {
	grid := sweepList(t, "-methods", "st,reinmax-cv", "-configs", "8x4,4×24", "-seeds", "0-2", "-K", "20,100",
		"-eta", "0.3,0.7", "-alpha", "0.5,1")
	// st reads none of K, eta, alpha: 2 configs x 3 seeds. reinmax-cv reads
	// K and eta: 2 x 2 x 2 x 3.
	require.Len(t, grid, 6+24)
	names := map[string]bool{}
	for i := range len(grid) {
		n, ok := grid[i]
		require.True(t, ok, "index %d", i)
		require.False(t, names[n], "duplicate %s", n)
		names[n] = true
	}
	require.Contains(t, names, "st-8x4-lr0.001-tau1.3-adam-seed2", "preset of st at 8x4")
	require.Contains(t, names, "reinmax-cv-4x24-lr0.0005-tau1.5-radam-K20-eta0.3-seed1", "preset of reinmax at 4x24")
	require.Contains(t, names, "reinmax-cv-8x4-lr0.0005-tau1.3-adam-seed0", "defaults K=100 eta=0.7 are left out")
	// The seed varies fastest, so shards share every setting's seeds out.
	require.True(t, strings.HasSuffix(grid[0], "-seed0") && strings.HasSuffix(grid[1], "-seed1") &&
		strings.HasSuffix(grid[2], "-seed2"), "%v", grid)

	// A JSON grid, with an explicit flag overriding one field.
	file := filepath.Join(t.TempDir(), "grid.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"methods": ["gst", "reinforce"], "configs": ["8x4"],
		"seeds": "3-4", "lr": [0.001], "gap": [0.5, 1], "epochs": 7}`), 0o644))
	grid = sweepList(t, "-grid", file, "-seeds", "9")
	require.Equal(t, map[int]string{
		0: "gst-8x4-lr0.001-tau1-adam-gap0.5-seed9",
		1: "gst-8x4-lr0.001-tau1-adam-seed9",
		2: "reinforce-8x4-lr0.001-tau1-adam-seed9", // no preset: train's tau 1 and adam
	}, grid)
	require.NoError(t, os.WriteFile(file, []byte(`{"seeds": [1, 2]}`), 0o644))
	require.Len(t, sweepList(t, "-grid", file), 2)
}

// TestSweepRejectsBadFlags checks that every invalid grid or flag stops
// sweep before any work, with status 2, the usage line and the problem.
func TestSweepRejectsBadFlags(t *testing.T) {
	data := synthMNIST(t, 20, 10)
	notDir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notDir, nil, 0o644))
	badGrid := filepath.Join(t.TempDir(), "grid.json")
	require.NoError(t, os.WriteFile(badGrid, []byte(`{"method": ["st"]}`), 0o644))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-methods", "st,magic"}, "magic"},
		{[]string{"-methods", ""}, "methods: the list is empty"},
		{[]string{"-configs", "8y4"}, `"8y4" is not CxL`},
		{[]string{"-configs", "1x4"}, "C=1"},
		{[]string{"-configs", "8x0"}, "L=0"},
		{[]string{"-seeds", "5-3"}, `"5-3" is not a range`},
		{[]string{"-seeds", "a"}, "not a seed"},
		{[]string{"-seeds", "0-99999999"}, "more than"},
		{[]string{"-lr", "0.001,x"}, `--lr: "x"`},
		{[]string{"-lr", "0"}, "LR=0"},
		{[]string{"-tau", "-1"}, "Tau=-1"},
		{[]string{"-tau2", "-1"}, "Tau2=-1"},
		{[]string{"-K", "0"}, "K=0"},
		{[]string{"-alpha", "0"}, "Alpha=0"},
		{[]string{"-gap", "NaN"}, "Gap=NaN"},
		{[]string{"-optimizer", "sgd"}, "sgd"},
		{[]string{"-noise", "pink", "-methods", "reinmax-cv"}, "pink"},
		{[]string{"-epochs", "-1"}, "epochs=-1"},
		{[]string{"-batch", "0"}, "batch=0"},
		{[]string{"-batch", "21"}, "larger than the 20 training images"},
		{[]string{"-preset", "-methods", "reinforce"}, "no preset"},
		{[]string{"-shard", "2/2"}, "--shard"},
		{[]string{"-shard", "x"}, "--shard"},
		{[]string{"-parallel", "-1"}, "--parallel=-1"},
		{[]string{"-threads", "-1"}, "--threads=-1"},
		{[]string{"-threads", "1025"}, "--threads=1025"},
		{[]string{"-out", filepath.Join(notDir, "sub")}, "--out"},
		{[]string{"-grid", badGrid}, "unknown field"},
		{[]string{"-grid", filepath.Join(notDir, "missing.json")}, "--grid"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		out := t.TempDir()
		args := append([]string{"sweep", "-data", data, "-out", out, "-epochs", "1", "-batch", "10"}, tc.args...)
		code, stdout, stderr := run(args...)
		require.Equal(t, 2, code, "%v: %s", tc.args, stderr)
		require.Contains(t, stderr, tc.want, "%v", tc.args)
		require.Contains(t, stderr, "run 'reinmax sweep -h' for usage", "%v", tc.args)
		require.Empty(t, stdout, "%v", tc.args)
		ents, err := os.ReadDir(out)
		require.NoError(t, err)
		require.Empty(t, ents, "%v: no work before the checks", tc.args)
	}
}

// TestSweepShardsAndResume runs one grid as three shards into one
// directory, and whole with two runs at once into another: the shards
// cover the grid exactly once, the numbers agree bit for bit, a rerun
// trains nothing, a deleted summary or raised epochs resume from the
// checkpoints and give what a fresh sweep gives.
func TestSweepShardsAndResume(t *testing.T) {
	data := synthMNIST(t, 60, 20)
	grid := []string{"-data", data, "-methods", "st,reinmax", "-configs", "8x4", "-seeds", "0-2", "-batch", "20",
		"-epochs", "1"}
	all := sweepList(t, grid...)
	require.Len(t, all, 6)
	var names []string
	for i := range len(all) {
		names = append(names, all[i])
	}

	sharded := t.TempDir()
	seen := map[string]int{}
	for i := range 3 {
		shard := fmt.Sprintf("%d/3", i)
		mine := sweepList(t, append(grid, "-shard", shard)...)
		for idx, n := range mine {
			require.Equal(t, i, idx%3)
			seen[n]++
		}
		code, stdout, stderr := run(append(append([]string{"sweep"}, grid...), "-out", sharded, "-shard", shard,
			"-parallel", "1")...)
		require.Equal(t, 0, code, stderr)
		require.Contains(t, stdout, fmt.Sprintf("%d runs: %d trained, 0 already finished", len(mine), len(mine)))
	}
	for _, n := range names {
		require.Equal(t, 1, seen[n], "%s in exactly one shard", n)
	}
	require.ElementsMatch(t, names, finishedRuns(t, sharded))

	whole := t.TempDir()
	code, stdout, stderr := run(append(append([]string{"sweep"}, grid...), "-out", whole, "-parallel", "2")...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "6 runs: 6 trained, 0 already finished, 0 held by another process, 0 failed, 0 not started")
	requireSameRuns(t, sharded, whole, names)
	var man experiment.Manifest
	raw, err := os.ReadFile(filepath.Join(whole, experiment.ManifestFile))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &man))
	require.Len(t, man.Runs, 6)
	require.Equal(t, names[0], man.Runs[0].Name)

	// A rerun trains nothing and leaves the runs untouched.
	before := readSummary(t, filepath.Join(whole, names[4])).Finished
	code, stdout, stderr = run(append(append([]string{"sweep"}, grid...), "-out", whole)...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "6 runs: 0 trained, 6 already finished")
	require.Equal(t, before, readSummary(t, filepath.Join(whole, names[4])).Finished)

	// A lost summary (a run stopped after its last checkpoint) is redone
	// from the checkpoint, without training again.
	require.NoError(t, os.Remove(filepath.Join(whole, names[2], experiment.SummaryFile)))
	code, stdout, stderr = run(append(append([]string{"sweep"}, grid...), "-out", whole)...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "6 runs: 1 trained, 5 already finished")
	require.Contains(t, stderr, names[2]+": resuming")
	requireSameRuns(t, sharded, whole, names)

	// Raising the epochs extends every run from its checkpoint; the result
	// is what a fresh two-epoch sweep gives.
	grid2 := append(slices.Clone(grid[:len(grid)-1]), "2")
	code, stdout, stderr = run(append(append([]string{"sweep"}, grid2...), "-out", whole, "-parallel", "2")...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "6 runs: 6 trained, 0 already finished")
	fresh := t.TempDir()
	code, _, stderr = run(append(append([]string{"sweep"}, grid2...), "-out", fresh, "-parallel", "1")...)
	require.Equal(t, 0, code, stderr)
	requireSameRuns(t, fresh, whole, names)
	for _, n := range names {
		require.Equal(t, 2, readSummary(t, filepath.Join(whole, n)).Epochs)
	}

	// A directory that holds another configuration is refused, and the
	// sweep still trains the rest.
	other := t.TempDir()
	require.NoError(t, os.CopyFS(filepath.Join(other, names[0]), os.DirFS(filepath.Join(whole, names[1]))))
	require.NoError(t, os.Remove(filepath.Join(other, names[0], experiment.SummaryFile)))
	code, stdout, stderr = run(append(append([]string{"sweep"}, grid...), "-out", other, "-parallel", "1")...)
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "another configuration")
	require.Contains(t, stdout, "6 runs: 5 trained, 0 already finished, 0 held by another process, 1 failed")
}

// TestSweepInterrupt sends SIGINT to a sweep while its first run trains:
// it exits with status 130 leaving that run's checkpoint and not starting
// the second; the rerun finishes both with the numbers of a sweep that was
// never interrupted.
func TestSweepInterrupt(t *testing.T) {
	data := synthMNIST(t, 2000, 20)
	out := t.TempDir()
	args := "sweep -data " + data + " -methods reinmax-rao -K 20 -seeds 0-1 -batch 10 -epochs 2 -parallel 1 -out " + out
	names := sweepList(t, strings.Fields(args)[1:]...)
	require.Equal(t, map[int]string{0: "reinmax-rao-8x4-lr0.0005-tau1-adam-K20-batch10-seed0",
		1: "reinmax-rao-8x4-lr0.0005-tau1-adam-K20-batch10-seed1"}, names)
	first, second := filepath.Join(out, names[0]), filepath.Join(out, names[1])
	code, stderr := child(t, strings.Fields(args), "step#1:"+actINT)
	require.Equal(t, 130, code, stderr)
	_, err := os.Stat(filepath.Join(first, experiment.CheckpointFile))
	require.NoError(t, err, stderr)
	_, err = os.Stat(filepath.Join(first, experiment.SummaryFile))
	require.True(t, os.IsNotExist(err), "the interrupted run has no summary")
	_, err = os.Stat(second)
	require.True(t, os.IsNotExist(err), "no new run starts after the signal")

	code, stdout, errOut := run(strings.Fields(args)...)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, stdout, "2 runs: 2 trained, 0 already finished")
	require.Contains(t, errOut, "seed0: resuming")
	full := t.TempDir()
	code, _, errOut = run(append(strings.Fields(args), "-out", full)...)
	require.Equal(t, 0, code, errOut)
	requireSameRuns(t, full, out, []string{filepath.Base(first), filepath.Base(second)})
}

// TestSweepConcurrent starts sweeps at once on one directory, as processes:
// four with different grids and two with the same grid. The manifest holds
// every run of every grid, and no run is trained twice: a sweep skips the
// runs another one holds or has finished.
func TestSweepConcurrent(t *testing.T) {
	data := synthMNIST(t, 40, 10)
	out := t.TempDir()
	base := "sweep -data " + data + " -methods st -configs 4x3 -batch 10 -epochs 1 -parallel 1 -threads 1 -out " + out
	grids := []string{"-seeds 0", "-seeds 1", "-seeds 2", "-seeds 3", "-seeds 10-13", "-seeds 10-13"}
	errs := make([]string, len(grids))
	codes := make([]int, len(grids))
	var wg sync.WaitGroup
	for i, g := range grids {
		wg.Go(func() { codes[i], errs[i] = child(t, strings.Fields(base+" "+g), "") })
	}
	wg.Wait()
	for i := range grids {
		require.Equal(t, 0, codes[i], errs[i])
	}
	m, err := experiment.ReadManifest(out)
	require.NoError(t, err)
	var names []string
	for _, r := range m.Runs {
		names = append(names, r.Name)
	}
	require.Len(t, names, 8, "the manifest is the union of every grid")
	all := strings.Join(errs, "\n")
	for _, name := range names {
		require.Equal(t, 1, strings.Count(all, name+": starting"), "%s is trained exactly once:\n%s", name, all)
		require.FileExists(t, filepath.Join(out, name, experiment.SummaryFile))
	}
}
