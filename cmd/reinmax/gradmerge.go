package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/discretegrad/reinmax/diag"
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/internal/atomicfile"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// mergeGradstat reads gradstat JSON reports, one per training run, and
// prints, per epoch and method, the mean cosine to the exact gradient over
// the runs (± standard error, n) beside the published cosine where there is
// one, as a markdown table; with png set it also draws the curves there.
func mergeGradstat(paths []string, png string, stdout io.Writer) error {
	var reps []diag.GradStatReport
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var r diag.GradStatReport
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("%s: %v", p, err)
		}
		reps = append(reps, r)
	}
	pts, err := diag.Series(reps, func(m *diag.Metrics) float64 { return m.Cosine })
	if err != nil {
		return err
	}
	var methods []estimators.Method
	var epochs []int
	cell := map[int]map[estimators.Method]diag.SeriesPoint{}
	for _, p := range pts {
		if cell[p.Epoch] == nil {
			cell[p.Epoch] = map[estimators.Method]diag.SeriesPoint{}
			epochs = append(epochs, p.Epoch)
		}
		cell[p.Epoch][p.Method] = p
		if !slices.Contains(methods, p.Method) {
			methods = append(methods, p.Method)
		}
	}
	pub := diag.PublishedCosines()
	fmt.Fprintf(stdout, "Cosine to the exact gradient, mean ± standard error over %d training runs "+
		"(published mean over 10 seeds in parentheses)\n\n| epoch |", len(reps))
	for _, m := range methods {
		fmt.Fprintf(stdout, " %s |", m)
	}
	fmt.Fprint(stdout, "\n|---|")
	for range methods {
		fmt.Fprint(stdout, "---|")
	}
	fmt.Fprintln(stdout)
	for _, e := range epochs {
		fmt.Fprintf(stdout, "| %d |", e)
		for _, m := range methods {
			p, ok := cell[e][m]
			s := "–"
			switch {
			case !ok || p.N == 0:
			case math.IsNaN(p.SE):
				s = fmt.Sprintf("%.3f", p.Mean)
			default:
				s = fmt.Sprintf("%.3f ± %.3f", p.Mean, p.SE)
			}
			if v, ok := pub[e][m]; ok {
				s += fmt.Sprintf(" (%.3f)", v)
			}
			fmt.Fprintf(stdout, " %s |", s)
		}
		fmt.Fprintln(stdout)
	}
	if png == "" {
		return nil
	}
	img, err := cosineSeriesPNG(len(reps), methods, pts, pub)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(png, img); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwrote %s\n", png)
	return nil
}

// cosineSeriesPNG draws each method's mean cosine per epoch (solid, with
// ± one standard error bars) and the published one (dashed, same colour).
func cosineSeriesPNG(runs int, methods []estimators.Method, pts []diag.SeriesPoint,
	pub map[int]map[estimators.Method]float64) ([]byte, error) {
	p := newPlot(fmt.Sprintf("cosine to the exact gradient: mean of %d runs (solid), published (dashed)", runs))
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "cosine"
	var xs []float64
	for i, m := range methods {
		col := gradstatColor(i)
		var ours errPoints
		var theirs plotter.XYs
		for _, pt := range pts {
			if pt.Method != m || pt.N == 0 {
				continue
			}
			if !slices.Contains(xs, float64(pt.Epoch)) {
				xs = append(xs, float64(pt.Epoch))
			}
			se := pt.SE
			if math.IsNaN(se) {
				se = 0
			}
			ours.XYs = append(ours.XYs, plotter.XY{X: float64(pt.Epoch), Y: pt.Mean})
			ours.YErrors = append(ours.YErrors, struct{ Low, High float64 }{se, se})
			if v, ok := pub[pt.Epoch][m]; ok {
				theirs = append(theirs, plotter.XY{X: float64(pt.Epoch), Y: v})
			}
		}
		if len(ours.XYs) == 0 {
			continue
		}
		l, marks, err := lineWithMarkers(ours.XYs, col, trainGlyph, false)
		if err != nil {
			return nil, err
		}
		bars, err := plotter.NewYErrorBars(ours)
		if err != nil {
			return nil, err
		}
		bars.Color = col
		p.Add(l, marks, bars)
		p.Legend.Add(string(m), l, marks)
		if len(theirs) > 0 {
			dl, dm, err := lineWithMarkers(theirs, col, testGlyph, true)
			if err != nil {
				return nil, err
			}
			p.Add(dl, dm)
		}
	}
	seriesXAxis(&p.X, xs)
	padAxis(&p.Y, 0.05)
	return plotPNG(p, 8*vg.Inch, 5*vg.Inch)
}

// errPoints are points with vertical error bars.
type errPoints struct {
	plotter.XYs
	plotter.YErrors
}
