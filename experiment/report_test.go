package experiment

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/discretegrad/reinmax/vae"
	"github.com/stretchr/testify/require"
)

func TestMeanSE(t *testing.T) {
	// Hand-checked: deviations -2, 0, 2 give the sample variance
	// (4 + 0 + 4) / 2 = 4, sd 2, se 2/√3.
	s := NewMeanSE([]float64{100, 102, 104})
	require.Equal(t, 3, s.N)
	require.Equal(t, 102.0, s.Mean)
	require.InDelta(t, 2/math.Sqrt(3), s.SE, 1e-12)
	require.Equal(t, "102.00 ± 1.15", s.String())
	s = NewMeanSE([]float64{90, 91}) // sd √0.5, se √0.5/√2 = 0.5
	require.InDelta(t, 0.5, s.SE, 1e-12)
	s = NewMeanSE([]float64{80})
	require.Equal(t, 80.0, s.Mean)
	require.True(t, math.IsNaN(s.SE), "no standard error from one seed")
	require.Equal(t, "80.00 ± –", s.String())
	require.True(t, math.IsNaN(NewMeanSE(nil).Mean))
}

func TestPrefixWriter(t *testing.T) {
	var buf bytes.Buffer
	lw := &lockedWriter{w: &buf}
	p := &prefixWriter{lw: lw, prefix: "[a] "}
	fmt.Fprint(p, "\ninterrupted at epoch 2\n")
	fmt.Fprint(p, "done: ")
	fmt.Fprint(p, "1 epoch\nnext\n\n")
	require.Equal(t, "[a] interrupted at epoch 2\n[a] done: 1 epoch\n[a] next\n", buf.String())
}

// TestReportCollapsedAndPublished: a collapsed seed is counted and left
// out of the means (unless asked), and the selected setting is compared
// with the published result in units of the combined standard error.
func TestReportCollapsedAndPublished(t *testing.T) {
	dir := t.TempDir()
	yes, no := true, false
	for seed, final := range []float64{125, 127, 214} {
		cfg := vae.DefaultConfig() // reinmax 8×4
		cfg.Seed = uint64(seed)
		flag := &no
		if final > 200 {
			flag = &yes
		}
		recs := []EpochRecord{{Epoch: 1, TrainLoss: final + 10, TestLoss: final + 11, Collapsed: flag},
			{Epoch: 2, TrainLoss: final, TestLoss: final + 2, Collapsed: flag}}
		run := filepath.Join(dir, fmt.Sprintf("run%d", seed))
		require.NoError(t, os.MkdirAll(run, 0o755))
		require.NoError(t, WriteJSON(filepath.Join(run, SummaryFile), Summarize(cfg, recs)))
		require.NoError(t, writeMetrics(run, recs))
	}
	rep, err := ReadReport(dir, ReportOptions{Published: PublishedResults()})
	require.NoError(t, err)
	require.Len(t, rep.Groups, 1)
	g := rep.Groups[0]
	require.Equal(t, 1, g.Collapsed)
	require.Equal(t, 2, g.Train.N)
	require.Equal(t, 126.0, g.Train.Mean)
	require.NotNil(t, g.Published)
	require.Equal(t, 125.08, g.Published.Train.Mean)
	require.InDelta(t, (126-125.08)/math.Hypot(1, 0.20), g.TrainZ, 1e-12)
	var md bytes.Buffer
	rep.Markdown(&md)
	require.Contains(t, md.String(), "**126.00 ± 1.00** (2, 1 collapsed)")
	require.Contains(t, md.String(), "## Against the published results")
	require.Contains(t, md.String(), "125.08 ± 0.20")
	// Δ/s.d.: (126 − 125.08) / (0.20·√10) = +1.45, printed +1.5 (train).
	require.InDelta(t, 1.4547, spreadScore(g.Train, g.Published.Train), 1e-4)
	require.Contains(t, md.String(), "| +0.92 | +0.9 | +1.5 |")
	require.True(t, math.IsNaN(spreadScore(g.Train, MeanSE{N: 1, Mean: 1, SE: math.NaN()})), "no published spread")

	rep, err = ReadReport(dir, ReportOptions{IncludeCollapsed: true})
	require.NoError(t, err)
	require.Equal(t, 3, rep.Groups[0].Train.N)
	require.Nil(t, rep.Groups[0].Published)
}

// TestReportRecovered: a run that collapsed in its first epochs and left
// it is counted as recovered and kept in the means, unless
// ExcludeRecovered; a run that never collapsed is not counted.
func TestReportRecovered(t *testing.T) {
	dir := t.TempDir()
	yes, no := true, false
	for seed, collapsedFirst := range []bool{false, true, false} {
		cfg := vae.DefaultConfig()
		cfg.Seed = uint64(seed)
		final := 124.0 + float64(seed)
		first := &no
		if collapsedFirst {
			first, final = &yes, 130
		}
		recs := []EpochRecord{{Epoch: 1, TrainLoss: 214, TestLoss: 214, Collapsed: first},
			{Epoch: 2, TrainLoss: final, TestLoss: final + 2, Collapsed: &no}}
		run := filepath.Join(dir, fmt.Sprintf("run%d", seed))
		require.NoError(t, os.MkdirAll(run, 0o755))
		require.NoError(t, WriteJSON(filepath.Join(run, SummaryFile), Summarize(cfg, recs)))
		require.NoError(t, writeMetrics(run, recs))
	}
	rep, err := ReadReport(dir, ReportOptions{})
	require.NoError(t, err)
	g := rep.Groups[0]
	require.Equal(t, 0, g.Collapsed)
	require.Equal(t, 1, g.Recovered)
	require.Equal(t, 3, g.Train.N)
	require.Equal(t, 1, g.Runs[1].Recovered, "epochs spent collapsed")
	require.Equal(t, 0, g.Runs[0].Recovered)
	var md, csvOut bytes.Buffer
	rep.Markdown(&md)
	require.Contains(t, md.String(), "(3, 1 recovered)")
	require.Contains(t, md.String(), "1 finished runs collapsed in their first epochs and recovered; they are kept in the means")
	require.NoError(t, rep.CSV(&csvOut))
	lines := strings.Split(strings.TrimSpace(csvOut.String()), "\n")
	require.True(t, strings.HasSuffix(lines[0], ",recovered") && strings.HasSuffix(lines[1], ",1"), "%s", csvOut.String())

	rep, err = ReadReport(dir, ReportOptions{ExcludeRecovered: true})
	require.NoError(t, err)
	g = rep.Groups[0]
	require.Equal(t, 2, g.Train.N)
	require.Equal(t, 125.0, g.Train.Mean, "seeds 0 and 2: 124 and 126")
	md.Reset()
	rep.Markdown(&md)
	require.Contains(t, md.String(), "they are left out of the means")
}

func TestReadPublished(t *testing.T) {
	ps := PublishedResults()
	require.Len(t, ps, 36)
	p := findPublished(ps, "gr", 16, 12)
	require.NotNil(t, p)
	require.Equal(t, Published{Method: "gr", C: 16, L: 12, Seeds: 5, Train: MeanSE{N: 5, Mean: 109.72, SE: 6.83},
		Test: MeanSE{N: 5, Mean: 111.28, SE: 6.70}}, *p)
	for _, bad := range []string{
		"method,C,L\nst,8,4\n",
		"method,C,L,seeds,train_mean,train_se,test_mean,test_se\nst,8,x,10,1,1,1,1\n",
		"method,C,L,seeds,train_mean,train_se,test_mean,test_se\nst,8,4,10,1,-1,1,1\n",
		"method,C,L,seeds,train_mean,train_se,test_mean,test_se\nst,8,4,10,NaN,1,1,1\n",
	} {
		_, err := ReadPublished(strings.NewReader(bad))
		require.Error(t, err, bad)
	}
}
