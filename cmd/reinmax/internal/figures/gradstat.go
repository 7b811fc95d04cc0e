package figures

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/discretegrad/reinmax/diag"
	"github.com/discretegrad/reinmax/estimators"
)

// gradstatPlotMetrics are the metrics drawn over a checkpoint series.
// logSpan > 0 puts a strictly positive spread on a log scale when its
// values span at least that ratio: REINFORCE's variance is orders of
// magnitude above the rest, which a linear axis flattens onto zero.
var gradstatPlotMetrics = []struct {
	file, label string
	value       func(*diag.Metrics) float64
	logSpan     float64
}{
	{"rel_bias_exact", "relative bias (w.r.t. exact)", func(m *diag.Metrics) float64 { return m.RelBiasExact }, 0},
	{"rel_bias_approx", "relative bias (w.r.t. estimate)", func(m *diag.Metrics) float64 { return m.RelBiasEstimate }, 0},
	{"rel_std", "relative standard deviation", func(m *diag.Metrics) float64 { return m.RelStd }, 10},
	{"cos", "cosine similarity with exact", func(m *diag.Metrics) float64 { return m.Cosine }, 0},
	{"mean_grad_norm", "mean gradient norm per example", func(m *diag.Metrics) float64 { return m.MeanNorm }, 10},
	{"mean_var", "mean variance per coordinate", func(m *diag.Metrics) float64 { return m.MeanVar }, 1},
}

// seriesX returns the x value of each model of a series and its label: the
// checkpoint epochs when every model has a distinct one, else the steps when
// distinct, else the position in the order given.
func seriesX(models []diag.GradStatModel) ([]float64, string) {
	for _, axis := range []struct {
		name string
		get  func(*diag.GradStatModel) *int
	}{{"epoch", func(g *diag.GradStatModel) *int { return g.Epoch }}, {"step", func(g *diag.GradStatModel) *int { return g.Step }}} {
		xs := make([]float64, 0, len(models))
		seen := map[int]bool{}
		for i := range models {
			v := axis.get(&models[i])
			if v == nil || seen[*v] {
				break
			}
			seen[*v] = true
			xs = append(xs, float64(*v))
		}
		if len(xs) == len(models) {
			return xs, axis.name
		}
	}
	xs := make([]float64, len(models))
	for i := range xs {
		xs[i] = float64(i + 1)
	}
	return xs, "checkpoint (order given)"
}

// GradStatSeries draws one PNG per metric over a series of checkpoints, a
// line per method, and returns them by file name (gradstat-METRIC.png).
func GradStatSeries(rep *diag.GradStatReport) (map[string][]byte, error) {
	xs, xlabel := seriesX(rep.Models)
	var methods []estimators.Method
	for _, gm := range rep.Models {
		for _, r := range gm.Results {
			if !slices.Contains(methods, r.Method) {
				methods = append(methods, r.Method)
			}
		}
	}
	files := map[string][]byte{}
	for _, pm := range gradstatPlotMetrics {
		p := newPlot(fmt.Sprintf("%s, S=%d, %d examples", pm.label, rep.Samples, rep.Examples))
		p.X.Label.Text = xlabel
		p.Y.Label.Text = pm.file
		series := make([]plotter.XYs, len(methods))
		lo, hi := math.Inf(1), math.Inf(-1)
		for mi, method := range methods {
			for i, gm := range rep.Models {
				for _, r := range gm.Results {
					if r.Method == method && r.Metrics != nil {
						if v := pm.value(r.Metrics); finite(v) {
							series[mi] = append(series[mi], plotter.XY{X: xs[i], Y: v})
							lo, hi = min(lo, v), max(hi, v)
						}
					}
				}
			}
		}
		// A log axis only when every value is positive: LogScale panics
		// on the others, and dropping them would hide a finding.
		// hi > lo too: gonum widens a single value v to v ± 1.
		if pm.logSpan > 0 && lo > 0 && hi > lo && hi/lo >= pm.logSpan {
			p.Y.Scale = plot.LogScale{}
			p.Y.Tick.Marker = logTicks{}
			p.Y.Label.Text += " (log scale)"
		}
		for mi, xy := range series {
			if len(xy) == 0 {
				continue
			}
			line, points, err := plotter.NewLinePoints(xy)
			if err != nil {
				return nil, fmt.Errorf("gradstat plot %s: %w", pm.file, err)
			}
			col := tab10(mi)
			line.Color, points.Color = col, col
			line.Width = vg.Points(1.5)
			points.Radius = vg.Points(3)
			p.Add(line, points)
			p.Legend.Add(string(methods[mi]), line, points)
		}
		seriesXAxis(&p.X, xs)
		b, err := plotPNG(p, 8*vg.Inch, 4.5*vg.Inch)
		if err != nil {
			return nil, fmt.Errorf("gradstat plot %s: %w", pm.file, err)
		}
		files["gradstat-"+pm.file+".png"] = b
	}
	return files, nil
}

// tab10 is the i-th colour of matplotlib's tab10 cycle.
func tab10(i int) color.Color {
	cycle := []uint32{0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf}
	c := cycle[i%len(cycle)]
	return color.RGBA{R: uint8(c >> 16), G: uint8(c >> 8), B: uint8(c), A: 255}
}
