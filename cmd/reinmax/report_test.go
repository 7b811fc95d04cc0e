package main

import (
	"bytes"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/experiment"
)

// TestReportFixture aggregates testdata/report: three st seeds at lr 1e-3
// (final train 100, 102, 104; test 101, 104, 98), two at lr 5e-4 (103, 105;
// 99, 100), two reinmax seeds (90, 91; 92, 95), one reinmax seed at 4×24
// (80; 81), one reinmax run stopped after one of two epochs and one not
// started.
func TestReportFixture(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := run("report", "-dir", filepath.Join("testdata", "report"), "-out", out)
	require.Equal(t, 0, code, stderr)

	raw, err := os.ReadFile(filepath.Join(out, reportCSVFile))
	require.NoError(t, err)
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+4, "a header and four settings")
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	type want struct {
		method, c, l, lr, n, seeds   string
		train, trainSE, test, testSE float64 // NaN: empty
		selected                     bool
	}
	nan := math.NaN()
	for i, w := range []want{
		{"st", "8", "4", "0.0005", "2", "0 1", 104, 1, 99.5, 0.5, false},
		// Test: deviations 0, 3, -3: variance 9, sd 3, se √3.
		{"st", "8", "4", "0.001", "3", "0 1 2", 102, 2 / math.Sqrt(3), 101, math.Sqrt(3), true},
		// Test: 92, 95: variance 4.5, se √(4.5/2) = 1.5.
		{"reinmax", "8", "4", "0.0005", "2", "0 1", 90.5, 0.5, 93.5, 1.5, true},
		{"reinmax", "4", "24", "0.0005", "1", "0", 80, nan, 81, nan, true},
	} {
		r := rows[i+1]
		require.Equal(t, []string{w.method, w.c, w.l, w.lr, w.n, w.seeds},
			[]string{r[col["method"]], r[col["C"]], r[col["L"]], r[col["lr"]], r[col["n"]], r[col["seeds"]]}, "row %d", i)
		for _, f := range []struct {
			name string
			v    float64
		}{{"train_mean", w.train}, {"train_se", w.trainSE}, {"test_mean", w.test}, {"test_se", w.testSE}} {
			if math.IsNaN(f.v) {
				require.Empty(t, r[col[f.name]], "row %d %s", i, f.name)
				continue
			}
			got, err := strconv.ParseFloat(r[col[f.name]], 64)
			require.NoError(t, err)
			require.InDelta(t, f.v, got, 1e-12, "row %d %s", i, f.name)
		}
		require.Equal(t, strconv.FormatBool(w.selected), r[col["selected"]], "row %d", i)
		require.Equal(t, "2", r[col["epochs"]])
	}

	md, err := os.ReadFile(filepath.Join(out, reportMarkdownFile))
	require.NoError(t, err)
	require.Equal(t, string(md), stdout, "the markdown goes to stdout too")
	for _, s := range []string{
		"| st | 102.00 ± 1.15 (3) | – |",                         // train table: the selected st setting
		"| reinmax | **90.50 ± 0.50** (2) | **80.00 ± –** (1) |", // lowest per configuration in bold
		"| st | 101.00 ± 1.73 (3) | – |",                         // test table, same settings
		"| reinmax | **93.50 ± 1.50** (2) | **81.00 ± –** (1) |",
		"| st | 8×4 | 0.0005 | 1.3 | adam |  | 2 | 2 | 0 | 0 | 104.00 ± 1.00 | 99.50 ± 0.50 |  |",
		"| reinmax-4x24-lr0.0005-tau1.5-radam-seed1 | 1 | 2 | no summary.json |",
		"| reinmax-4x24-lr0.0005-tau1.5-radam-seed2 | 0 | 2 | not started (no run directory) |",
		"8 finished runs in 4 settings; 2 runs unfinished",
	} {
		require.Contains(t, stdout, s)
	}
	for _, f := range []string{"curves-8x4.png", "curves-4x24.png", FinalPlotFile} {
		b, err := os.ReadFile(filepath.Join(out, f))
		require.NoError(t, err, f)
		require.True(t, bytes.HasPrefix(b, []byte("\x89PNG")), f)
	}
}

func TestReportErrors(t *testing.T) {
	code, _, stderr := run("report", "-dir", filepath.Join(t.TempDir(), "missing"))
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "is not a directory")
	require.Contains(t, stderr, "run 'reinmax report -h' for usage")

	// A corrupt summary is listed with the reason, not averaged.
	dir := t.TempDir()
	run := filepath.Join(dir, "st-8x4-lr0.001-tau1.3-adam-seed0")
	require.NoError(t, os.MkdirAll(run, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(run, experiment.SummaryFile), []byte("{"), 0o644))
	var out, errb bytes.Buffer
	code = realMain([]string{"report", "-dir", dir, "-plots=false"}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	require.Contains(t, out.String(), "0 finished runs in 0 settings; 1 runs unfinished")
	require.Contains(t, out.String(), "summary.json: unexpected end of JSON input")
}

// TestReportCollapsedAndPublished: with -published the report compares the
// selected settings with the built-in table; a collapsed run is counted and
// left out, and -collapsed puts it back.
func TestReportCollapsedAndPublished(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "report"))))
	// Seed 1 of reinmax 8×4 collapses in its last epoch.
	runDir := filepath.Join(dir, "reinmax-8x4-lr0.0005-tau1.3-adam-seed1")
	sum, err := experiment.ReadSummary(runDir)
	require.NoError(t, err)
	yes := true
	last := &sum.Curve[len(sum.Curve)-1]
	last.Collapsed, sum.Final.Collapsed = &yes, &yes
	require.NoError(t, experiment.WriteJSON(filepath.Join(runDir, experiment.SummaryFile), sum))
	require.NoError(t, os.Remove(filepath.Join(runDir, experiment.MetricsFile)))

	out := t.TempDir()
	code, stdout, stderr := run("report", "-dir", dir, "-out", out, "-published")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "(1, 1 collapsed)")
	require.Contains(t, stdout, "## Against the published results")
	require.Contains(t, stdout, "| reinmax | 8×4 | 1 (1 collapsed) / 10 |")
	code, stdout, stderr = run("report", "-dir", dir, "-out", out, "-collapsed", "-published=false")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "**90.50 ± 0.50** (2, 1 collapsed)")
	require.NotContains(t, stdout, "published")

	// -methods keeps the runs of the methods listed.
	code, stdout, stderr = run("report", "-dir", dir, "-out", t.TempDir(), "-methods", "st", "-published")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "| st | 8×4 |")
	require.NotContains(t, stdout, "| reinmax | 8×4 |")
	code, _, stderr = run("report", "-dir", dir, "-out", out, "-methods", "nope")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, `unknown method "nope"`)

	bad := filepath.Join(t.TempDir(), "pub.csv")
	require.NoError(t, os.WriteFile(bad, []byte("method,C\n"), 0o644))
	code, _, stderr = run("report", "-dir", dir, "-out", out, "-published="+bad)
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "--published="+bad)
}
