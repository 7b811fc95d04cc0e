package figures

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/discretegrad/reinmax/experiment"
)

// Report returns the report's PNGs by file name: curves-CxL.png per
// configuration (mean over seeds of the train loss, solid, and the test
// loss, dashed, per epoch, for each method's selected setting) and
// final.png (final train and test loss, mean ± standard error, per method,
// one panel per configuration; with published results, each beside ours as
// a grey cross).
func Report(d *experiment.Report) (map[string][]byte, error) {
	out := map[string][]byte{}
	const perRow = 4
	var panels [][]*plot.Plot
	// One legend for all final-loss panels, beside them: inside a panel it
	// can cover a point.
	finalLegend := plot.NewLegend()
	var inLegend [2]bool
	var pubMark *plotter.Scatter // the legend's published entry comes last
	pubInLegend := false
	most := 0 // the most methods in one panel
	for ci, c := range d.Configs {
		curves := newPlot(fmt.Sprintf("%d×%d: mean over seeds", c[0], c[1]))
		curves.X.Label.Text = "epoch"
		curves.Y.Label.Text = "negative ELBO (nats)"
		final := newPlot(fmt.Sprintf("%d×%d", c[0], c[1]))
		final.Y.Label.Text = "final negative ELBO (nats)"
		var names []string
		for _, g := range d.Groups {
			if !g.Selected || g.Config.C != c[0] || g.Config.L != c[1] {
				continue
			}
			i := len(names)
			names = append(names, string(g.Config.Estimator.Method))
			if err := addCurves(curves, g, i, d.Options.IncludeCollapsed); err != nil {
				return nil, err
			}
			for k, s := range []experiment.MeanSE{g.Train, g.Test} {
				x := float64(i) + 0.15*float64(2*k-1)
				if g.Published != nil {
					// Ours left of the published point, as a pair.
					x -= publishedShift / 2
				}
				sc, err := addErrPoint(final, x, s, k)
				if err != nil {
					return nil, err
				}
				if sc != nil && !inLegend[k] {
					finalLegend.Add([]string{"train", "test"}[k], sc)
					inLegend[k] = true
				}
				if g.Published == nil {
					continue
				}
				ps, err := addPublishedPoint(final, x+publishedShift, []experiment.MeanSE{g.Published.Train, g.Published.Test}[k])
				if err != nil {
					return nil, err
				}
				if ps != nil && pubMark == nil {
					pubMark = ps
				}
			}
		}
		if pubMark != nil && !pubInLegend {
			finalLegend.Add("published", pubMark)
			pubInLegend = true
		}
		// A key to the line styles, after a blank row: the colours name the
		// methods.
		curves.Legend.Add("")
		for k, name := range []string{"train", "test"} {
			l, pts, err := lineWithMarkers(plotter.XYs{{}}, color.Black, []draw.GlyphDrawer{trainGlyph, testGlyph}[k], k == 1)
			if err != nil {
				return nil, err
			}
			curves.Legend.Add(name, l, pts)
		}
		integerAxis(&curves.X)
		png, err := plotPNG(curves, 7.5*vg.Inch, 4.5*vg.Inch)
		if err != nil {
			return nil, fmt.Errorf("curves plot: %w", err)
		}
		out[fmt.Sprintf("curves-%dx%d.png", c[0], c[1])] = png
		if len(names) > 0 {
			final.NominalX(names...)
		}
		if len(names) > 4 {
			// Slanted, the names of many methods do not run into each other.
			final.X.Tick.Label.Rotation = math.Pi / 6
			final.X.Tick.Label.XAlign, final.X.Tick.Label.YAlign = draw.XRight, draw.YTop
		}
		most = max(most, len(names))
		final.X.Min, final.X.Max = -0.6, float64(len(names))-0.4
		padAxis(&final.Y, 0.08)
		if ci%perRow == 0 {
			panels = append(panels, make([]*plot.Plot, min(perRow, len(d.Configs))))
		}
		panels[len(panels)-1][ci%perRow] = final
	}
	if len(panels) > 0 {
		// Each method's pair of points needs about half an inch.
		b, err := panelsPNG(panels, &finalLegend, max(4*vg.Inch, vg.Length(most)*vg.Inch/2+vg.Inch))
		if err != nil {
			return nil, fmt.Errorf("final-loss plot: %w", err)
		}
		out[FinalPlotFile] = b
	}
	return out, nil
}

// addCurves adds a group's mean train (solid) and test (dashed) curves;
// each epoch averages the seeds that reached it, collapsed runs only with
// withCollapsed (as the means do).
func addCurves(p *plot.Plot, g *experiment.Group, i int, withCollapsed bool) error {
	var sums [2][]float64
	var counts []int
	for _, r := range g.Runs {
		if r.CollapsedEpoch > 0 && !withCollapsed {
			continue
		}
		for e, rec := range r.Curve {
			if e == len(counts) {
				counts = append(counts, 0)
				sums[0], sums[1] = append(sums[0], 0), append(sums[1], 0)
			}
			counts[e]++
			sums[0][e] += rec.TrainLoss
			sums[1][e] += rec.TestLoss
		}
	}
	for k := range 2 {
		var xy plotter.XYs
		for e := range counts {
			// A diverged seed's NaN would make gonum refuse the plot.
			if y := sums[k][e] / float64(counts[e]); finite(y) {
				xy = append(xy, plotter.XY{X: float64(e + 1), Y: y})
			}
		}
		if len(xy) == 0 {
			continue
		}
		l, pts, err := lineWithMarkers(xy, tab10(i), []draw.GlyphDrawer{trainGlyph, testGlyph}[k], k == 1)
		if err != nil {
			return fmt.Errorf("curves: %w", err)
		}
		p.Add(l, pts)
		if k == 0 {
			p.Legend.Add(string(g.Config.Estimator.Method), l, pts)
		}
	}
	return nil
}

// addErrPoint adds mean ± se at x, train (k = 0) or test (k = 1), and
// returns the point for the legend; a single seed has no error bar.
func addErrPoint(p *plot.Plot, x float64, s experiment.MeanSE, k int) (*plotter.Scatter, error) {
	if !finite(s.Mean) {
		return nil, nil // every run collapsed and left out: nothing to draw
	}
	pt := errPoints{plotter.XYs{{X: x, Y: s.Mean}}, plotter.YErrors{{Low: s.SE, High: s.SE}}}
	sc, err := plotter.NewScatter(pt)
	if err != nil {
		return nil, fmt.Errorf("final-loss plot: %w", err)
	}
	c := plotutil.DarkColors[k]
	sc.Color = c
	sc.Shape = []draw.GlyphDrawer{trainGlyph, testGlyph}[k]
	sc.Radius = vg.Points(3)
	p.Add(sc)
	if finite(s.SE) {
		bars, err := plotter.NewYErrorBars(pt)
		if err != nil {
			return nil, fmt.Errorf("final-loss plot: %w", err)
		}
		bars.Color = c
		bars.Width = vg.Points(1.2)
		p.Add(bars)
	}
	return sc, nil
}

// publishedShift separates a published point from ours on the x axis.
const publishedShift = 0.14

// publishedColor and publishedGlyph mark the published results.
var (
	publishedColor                  = color.Gray{Y: 90}
	publishedGlyph draw.GlyphDrawer = draw.CrossGlyph{}
)

// addPublishedPoint adds a published mean ± se at x and returns the point
// for the legend.
func addPublishedPoint(p *plot.Plot, x float64, s experiment.MeanSE) (*plotter.Scatter, error) {
	if !finite(s.Mean) {
		return nil, nil
	}
	pt := errPoints{plotter.XYs{{X: x, Y: s.Mean}}, plotter.YErrors{{Low: s.SE, High: s.SE}}}
	sc, err := plotter.NewScatter(pt)
	if err != nil {
		return nil, fmt.Errorf("final-loss plot: %w", err)
	}
	sc.Color, sc.Shape, sc.Radius = publishedColor, publishedGlyph, vg.Points(3.5)
	p.Add(sc)
	if finite(s.SE) {
		bars, err := plotter.NewYErrorBars(pt)
		if err != nil {
			return nil, fmt.Errorf("final-loss plot: %w", err)
		}
		bars.Color, bars.Width = publishedColor, vg.Points(1.2)
		p.Add(bars)
	}
	return sc, nil
}

// panelsPNG draws rows of plots, each panelW wide, aligned on one canvas,
// with a legend beside them at the height of the first panel's data (none
// if leg is empty).
func panelsPNG(panels [][]*plot.Plot, leg *plot.Legend, panelW vg.Length) ([]byte, error) {
	cols := len(panels[0])
	legendW := leg.Rectangle(draw.Canvas{}).Size().X
	img := vgimg.New(vg.Length(cols)*panelW+legendW+legendGap, vg.Length(len(panels))*3.5*vg.Inch)
	dc := draw.New(img)
	plotsC, legendC, hasLegend := splitLegend(draw.Crop(dc, plotMargin, -plotMargin, plotMargin, -plotMargin), leg)
	tiles := draw.Tiles{Rows: len(panels), Cols: cols, PadX: 4 * vg.Millimeter, PadY: 4 * vg.Millimeter}
	canvases := plot.Align(panels, tiles, plotsC)
	for j, row := range panels {
		for i, p := range row {
			if p != nil {
				p.Draw(canvases[j][i])
			}
		}
	}
	if hasLegend {
		data := panels[0][0].DataCanvas(canvases[0][0])
		legendC.Min.Y, legendC.Max.Y = data.Min.Y, data.Max.Y
		leg.Draw(legendC)
	}
	return encodeCanvas(img)
}
