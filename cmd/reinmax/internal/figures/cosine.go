package figures

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/discretegrad/reinmax/diag"
	"github.com/discretegrad/reinmax/estimators"
)

// CosineSeries draws each method's mean cosine per epoch (solid, with
// ± one standard error bars) and the published one (dashed, same colour).
func CosineSeries(runs int, pts []diag.SeriesPoint, pub map[int]map[estimators.Method]float64) ([]byte, error) {
	p := newPlot(fmt.Sprintf("cosine to the exact gradient: mean of %d runs (solid), published (dashed)", runs))
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "cosine"
	var xs []float64
	for i, m := range diag.SeriesMethods(pts) {
		col := tab10(i)
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
