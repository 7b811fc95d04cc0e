package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/bench"
	"github.com/discretegrad/reinmax/kernels"
)

// TestBenchQuick runs `reinmax bench -quick` on a tiny selection (one small
// SGEMM shape for every implementation, two estimators, two training steps
// on a synthetic data set) and checks the table and the JSON.
func TestBenchQuick(t *testing.T) {
	data := synthMNIST(t, 300, 10)
	out := filepath.Join(t.TempDir(), "bench.json")
	filter := `^(sgemm/dec1\.fwd/|estimator/8x4/(st|reinmax)/|train/8x4/(st|reinmax)/)`
	code, stdout, stderr := run("bench", "-quick", "-threads", "1,2", "-mintime", "1ms", "-samples", "1",
		"-filter", filter, "-data", data, "-json", out)
	require.Equal(t, 0, code, stderr)

	var rep bench.Report
	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &rep))
	require.Equal(t, kernels.Active(), rep.Environment.Kernels)
	require.NotEmpty(t, rep.Environment.GoVersion)
	require.Equal(t, []int{1, 2}, rep.Options.Threads)
	require.Equal(t, filter, rep.Options.Filter)
	for _, c := range []bench.CoreCheck{rep.CoresBefore, rep.CoresAfter} {
		require.Positive(t, c.Solo)
		require.Len(t, c.Together, runtime.GOMAXPROCS(0))
	}

	var want []string
	for _, impl := range append([]string{"gonum"}, kernels.Available()...) {
		for _, th := range []string{"t1", "t2"} {
			want = append(want, "sgemm/dec1.fwd/100x256x32/"+impl+"/"+th)
		}
	}
	for _, g := range []string{"estimator", "train"} {
		for _, m := range []string{"st", "reinmax"} {
			want = append(want, g+"/8x4/"+m+"/t1", g+"/8x4/"+m+"/t2")
		}
	}
	var got []string
	for _, r := range rep.Results {
		got = append(got, r.Name)
		require.Positive(t, r.NsPerOp, r.Name)
		require.Positive(t, r.Metric, r.Name)
		require.Contains(t, stdout, r.Name, "every result is a table row")
		switch {
		case strings.Contains(r.Name, "/reinmax/"):
			require.Equal(t, strings.Replace(r.Name, "/reinmax/", "/st/", 1), r.Baseline)
			require.Positive(t, r.Ratio)
		case strings.HasPrefix(r.Name, "sgemm/") && r.Impl != "gonum":
			require.Positive(t, r.Ratio)
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	require.Equal(t, want, got)

	// The header names the machine and the kernels path.
	for _, s := range []string{"cpu ", "simd ", "kernels  " + kernels.Active(), "GOMAXPROCS", "NAME", "TIME/OP", "GFLOP/s", "rows/s", "steps/s",
		"cores    before: ", "cores    after : "} {
		require.Contains(t, stdout, s)
	}
}

func TestBenchList(t *testing.T) {
	code, stdout, stderr := run("bench", "-quick", "-threads", "2", "-filter", "^train/", "-list")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "train/8x4/st/t2\ntrain/8x4/reinmax/t2\ntrain/8x4/reinmax-rao/t2\n", stdout)
}

func TestBenchBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-threads", "0"}, "0 threads: need 1..1024"},
		{[]string{"-threads", "1,x"}, "not a list of integers"},
		{[]string{"-threads", "2,2"}, "2 listed twice"},
		{[]string{"-filter", "("}, "-filter: error parsing regexp"},
		{[]string{"-filter", "^nothing-matches$"}, "matches no case"},
		{[]string{"-mintime", "-1s"}, "-mintime=-1s"},
		{[]string{"-samples", "-2"}, "-samples=-2"},
		// Extreme values are refused, not allocated: MaxInt64 samples
		// panicked in makeslice, 10^12 ran out of memory.
		{[]string{"-samples", "9223372036854775807"}, "-samples=9223372036854775807: need 0..100000"},
		{[]string{"-samples", "1000000000000"}, "-samples=1000000000000: need 0..100000"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		code, _, stderr := run(append([]string{"bench"}, c.args...)...)
		require.Equal(t, 2, code, c.args)
		require.Contains(t, stderr, c.want, c.args)
		require.Contains(t, stderr, "run 'reinmax bench -h' for usage", c.args)
	}
}

// TestBenchMissingData: a training case with a -data directory that holds
// no MNIST fails with exit status 1 and names the missing file.
func TestBenchMissingData(t *testing.T) {
	code, _, stderr := run("bench", "-quick", "-threads", "1", "-samples", "1", "-mintime", "1ms",
		"-filter", "^train/8x4/st/", "-data", t.TempDir())
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "MNIST not found")
	require.Contains(t, stderr, "train-images-idx3-ubyte.gz")
}

// TestBenchMissingDataLast: the cases that read MNIST run after all the
// others, so a missing data set stops the run only once the others have
// been measured.
func TestBenchMissingDataLast(t *testing.T) {
	code, stdout, stderr := run("bench", "-quick", "-threads", "1", "-samples", "1", "-mintime", "1ms",
		"-filter", `^(sgemm-mnist/enc1\.fwd/.*/generic/t1|softmax/8x4/.*/generic/t1)$`, "-data", t.TempDir())
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "MNIST not found")
	require.Contains(t, stdout, "softmax/8x4/")
}

// TestBenchSummary: -summary renders a summary directory (the fixture of
// package bench) to stdout, and with -update between the markers of a file.
func TestBenchSummary(t *testing.T) {
	dir := filepath.Join("..", "..", "bench", "testdata", "summary")
	code, stdout, stderr := run("bench", "-summary", dir)
	require.Equal(t, 0, code, stderr)
	require.True(t, strings.HasPrefix(stdout, "## Summary\n"), stdout)
	require.Contains(t, stdout, "| 8×4 | st | 6.50 | 3.40 | 13.0 | 13.6 | 2.00× | 4.00× |\n")

	doc := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	require.NoError(t, os.WriteFile(doc, []byte("# Benchmarks\n\n"+bench.SummaryBegin+"\nold\n"+bench.SummaryEnd+"\n\n## Development journal\n"), 0o644))
	code, out, stderr := run("bench", "-summary", dir, "-update", doc)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "written into")
	raw, err := os.ReadFile(doc)
	require.NoError(t, err)
	require.Equal(t, "# Benchmarks\n\n"+bench.SummaryBegin+"\n\n"+strings.TrimSpace(stdout)+"\n\n"+bench.SummaryEnd+"\n\n## Development journal\n", string(raw))

	code, _, stderr = run("bench", "-summary", t.TempDir())
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "no reinmax*.json")
	code, _, stderr = run("bench", "-summary", dir, "-update", filepath.Join(t.TempDir(), "none.md"))
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "none.md")
	code, _, stderr = run("bench", "-update", doc)
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "-update needs -summary")
}
