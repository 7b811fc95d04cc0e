// Package figures draws the command's PNGs: a run's loss curves, a sweep
// report's curves and final losses, gradstat's series over training, the
// mean cosine over training runs and the sample grid. Each function returns
// the encoded image; the command decides where it goes. Plotting stays out
// of the library packages, so that importing them does not pull in gonum's
// plot module.
package figures

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

const (
	// plotMargin keeps titles and tick labels off the image's edges.
	plotMargin = 3 * vg.Millimeter
	// legendGap separates a legend column from the plot beside it.
	legendGap = 3 * vg.Millimeter
	// maxMarkers bounds the glyphs on one curve: every point of a short
	// run (one epoch must show), evenly spread ones on a long run, where a
	// glyph per epoch would smear into a thick band.
	maxMarkers = 40
)

// Glyphs of the train and test curves: they tell the two apart where the
// solid/dashed lines cannot, at a single epoch.
var (
	trainGlyph draw.GlyphDrawer = draw.CircleGlyph{}
	testGlyph  draw.GlyphDrawer = draw.RingGlyph{}
)

// newPlot is a plot with a grid and room between its title and the data.
func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	p.Add(plotter.NewGrid())
	return p
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// lineWithMarkers is xy as a line with glyphs at its points (at most
// maxMarkers of them, the last one always), so that a one-point curve
// shows; dashed for a test curve.
func lineWithMarkers(xy plotter.XYs, col color.Color, glyph draw.GlyphDrawer, dashed bool) (*plotter.Line, *plotter.Scatter, error) {
	l, err := plotter.NewLine(xy)
	if err != nil {
		return nil, nil, err
	}
	l.Color = col
	l.Width = vg.Points(1.5)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
	}
	marks := xy
	if stride := (len(xy) + maxMarkers - 1) / maxMarkers; stride > 1 {
		marks = nil
		for i := len(xy) - 1; i >= 0; i -= stride {
			marks = append(marks, xy[i])
		}
	}
	pts, err := plotter.NewScatter(marks)
	if err != nil {
		return nil, nil, err
	}
	pts.Color = col
	pts.Shape = glyph
	pts.Radius = vg.Points(3)
	return l, pts, nil
}

// integerTicks labels whole numbers only (epochs, steps, positions), at a
// 1-2-5 step that keeps at most about ten labels.
type integerTicks struct{}

func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	lo, hi = math.Ceil(lo), math.Floor(hi)
	if !(lo <= hi) {
		return nil
	}
	step := 1.0
search:
	for scale := 1.0; ; scale *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if step = m * scale; (hi-lo)/step <= 10 {
				break search
			}
		}
	}
	// Unlabelled minor ticks at the next finer whole step, if any.
	minor := step / 5
	if math.Mod(step, 5) != 0 {
		minor = step / 2
	}
	var ticks []plot.Tick
	if minor >= 1 && math.Mod(minor, 1) == 0 {
		for v := math.Ceil(lo/minor) * minor; v <= hi; v += minor {
			if math.Mod(v, step) != 0 {
				ticks = append(ticks, plot.Tick{Value: v})
			}
		}
	}
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', 0, 64)})
	}
	return ticks
}

// logTicks marks a log axis at 1..9 times each power of ten in range,
// labelling the powers, and 2 and 5 times them too when fewer than two
// powers fall in range. (plot.LogTicks starts above the minimum when it is
// below 1, and labels at most one tick of a range narrower than a decade.)
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	switch {
	case !(lo > 0 && hi >= lo) || math.IsInf(hi, 0):
		return nil
	case lo == hi:
		return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', 4, 64)}}
	}
	first, last := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	var all []plot.Tick
	var mant []int
	for e := first; e <= last; e++ {
		for m := 1; m <= 9; m++ {
			// Parsed rather than multiplied: 3e-2, not 0.030000000000000002.
			v, _ := strconv.ParseFloat(fmt.Sprintf("%de%d", m, e), 64)
			if v >= lo && v <= hi {
				all = append(all, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
				mant = append(mant, m)
			}
		}
	}
	for _, labelled := range [][]int{{1}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}} {
		ticks := slices.Clone(all)
		n := 0
		for i := range ticks {
			if slices.Contains(labelled, mant[i]) {
				n++
			} else {
				ticks[i].Label = ""
			}
		}
		if n >= 2 {
			return ticks
		}
	}
	// Too narrow for two marks of the form m×10^e: linear ticks, which lie
	// within the (positive) range.
	return plot.DefaultTicks{}.Ticks(lo, hi)
}

// integerAxis gives a an integer ticker and pads its data range, so that a
// lone value (one epoch) sits mid-axis with one tick rather than at 0..2
// with 0.5 steps.
func integerAxis(a *plot.Axis) {
	a.Tick.Marker = integerTicks{}
	if math.IsInf(a.Min, 0) || math.IsInf(a.Max, 0) {
		return // nothing drawn
	}
	pad := min(0.04*(a.Max-a.Min), 0.5)
	if pad == 0 {
		pad = 0.5
	}
	a.Min -= pad
	a.Max += pad
}

// seriesXAxis ticks a at the values xs of a series of checkpoints when
// they are few and far enough apart to label each, else at round whole
// numbers; call it after adding the data.
func seriesXAxis(a *plot.Axis, xs []float64) {
	integerAxis(a)
	if span := a.Max - a.Min; len(xs) <= 12 && finite(span) {
		sorted := slices.Sorted(slices.Values(xs))
		for i := 1; i < len(sorted); i++ {
			if sorted[i]-sorted[i-1] < span/25 {
				return
			}
		}
		ticks := make(plot.ConstantTicks, len(sorted))
		for i, x := range sorted {
			ticks[i] = plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'f', -1, 64)}
		}
		a.Tick.Marker = ticks
	}
}

// padAxis widens a's data range by frac of it on both sides (by frac of
// the value, or 1, for a single value), so that the highest and lowest
// markers and error-bar caps sit inside the axis, not across its ends.
func padAxis(a *plot.Axis, frac float64) {
	if math.IsInf(a.Min, 0) || math.IsInf(a.Max, 0) {
		return // nothing drawn
	}
	span := a.Max - a.Min
	if span == 0 {
		span = max(math.Abs(a.Max), 1)
	}
	a.Min -= frac * span
	a.Max += frac * span
}

// splitLegend reserves a column at the right of c for leg when it has
// entries, so that the legend never covers data; it returns the canvas
// left for the plot, the legend's column and whether there is one.
func splitLegend(c draw.Canvas, leg *plot.Legend) (plots, legend draw.Canvas, ok bool) {
	w := leg.Rectangle(c).Size().X
	if w <= 0 {
		return c, draw.Canvas{}, false
	}
	leg.Left, leg.Top = true, true
	return draw.Crop(c, 0, -(w + legendGap), 0, 0), draw.Crop(c, c.Size().X-w, 0, 0, 0), true
}

// plotPNG renders p at w × h inside a margin, with its legend in a column
// right of the data area, top-aligned with it.
func plotPNG(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	img := vgimg.New(w, h)
	dc := draw.New(img)
	c := draw.Crop(dc, plotMargin, -plotMargin, plotMargin, -plotMargin)
	leg := p.Legend
	plotC, legC, ok := splitLegend(c, &leg)
	p.Legend = plot.NewLegend() // drawn beside instead
	defer func() { p.Legend = leg }()
	// gonum reserves room for a y label at the arithmetic middle of the
	// range, near the top of a log axis, and so shrinks the data area
	// from above: draw that label here instead, at the data's middle.
	var yLabel draw.Canvas
	ylab := p.Y.Label
	if _, isLog := p.Y.Scale.(plot.LogScale); isLog && ylab.Text != "" {
		w := ylab.TextStyle.Height(ylab.Text) + ylab.TextStyle.FontExtents().Descent + ylab.Padding
		yLabel, plotC = plotC, draw.Crop(plotC, w, 0, 0, 0)
		p.Y.Label.Text = ""
		defer func() { p.Y.Label.Text = ylab.Text }()
	}
	p.Draw(plotC)
	data := p.DataCanvas(plotC)
	if yLabel.Canvas != nil {
		sty := ylab.TextStyle
		sty.Rotation += math.Pi / 2
		x := yLabel.Min.X + ylab.TextStyle.Height(ylab.Text) - ylab.TextStyle.FontExtents().Descent
		yLabel.FillText(sty, vg.Point{X: x, Y: data.Center().Y}, ylab.Text)
	}
	if ok {
		legC.Min.Y, legC.Max.Y = data.Min.Y, data.Max.Y
		leg.Draw(legC)
	}
	return encodeCanvas(img)
}

func encodeCanvas(img *vgimg.Canvas) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// errPoints are points with vertical error bars.
type errPoints struct {
	plotter.XYs
	plotter.YErrors
}

// FinalPlotFile is the name of the report's final-loss figure.
const FinalPlotFile = "final.png"
