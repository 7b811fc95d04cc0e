package main

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/discretegrad/reinmax/experiment"
	"github.com/discretegrad/reinmax/internal/atomicfile"
)

// Files report writes.
const (
	reportMarkdownFile = "report.md"
	reportCSVFile      = "report.csv"
	reportFinalPlot    = "final.png"
)

// plotFiles returns the report's PNGs by file name: curves-CxL.png per
// configuration (mean over seeds of the train loss, solid, and the test
// loss, dashed, per epoch, for each method's selected setting) and
// final.png (final train and test loss, mean ± standard error, per method,
// one panel per configuration).
func reportPlots(d *experiment.Report) (map[string][]byte, error) {
	out := map[string][]byte{}
	const perRow = 4
	var panels [][]*plot.Plot
	for ci, c := range d.Configs {
		curves := plot.New()
		curves.Title.Text = fmt.Sprintf("%d×%d: mean over seeds (solid train, dashed test)", c[0], c[1])
		curves.X.Label.Text = "epoch"
		curves.Y.Label.Text = "negative ELBO (nats)"
		final := plot.New()
		final.Title.Text = fmt.Sprintf("%d×%d", c[0], c[1])
		final.Y.Label.Text = "final negative ELBO (nats)"
		var names []string
		var inLegend [2]bool
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
				sc, err := addErrPoint(final, float64(i)+0.15*float64(2*k-1), s, k)
				if err != nil {
					return nil, err
				}
				if sc != nil && !inLegend[k] {
					final.Legend.Add([]string{"train", "test"}[k], sc)
					inLegend[k] = true
				}
			}
		}
		curves.Legend.Top = true
		curves.Add(plotter.NewGrid())
		png, err := plotPNG(curves, 7*vg.Inch, 4.5*vg.Inch)
		if err != nil {
			return nil, err
		}
		out[fmt.Sprintf("curves-%dx%d.png", c[0], c[1])] = png
		final.NominalX(names...)
		final.X.Min, final.X.Max = -0.6, float64(len(names))-0.4
		final.Add(plotter.NewGrid())
		if ci%perRow == 0 {
			panels = append(panels, make([]*plot.Plot, min(perRow, len(d.Configs))))
		}
		panels[len(panels)-1][ci%perRow] = final
	}
	if len(panels) > 0 {
		cols := len(panels[0])
		img := vgimg.New(vg.Length(cols)*4*vg.Inch, vg.Length(len(panels))*3.5*vg.Inch)
		dc := draw.New(img)
		tiles := draw.Tiles{Rows: len(panels), Cols: cols, PadX: vg.Millimeter, PadY: vg.Millimeter,
			PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 2 * vg.Millimeter}
		canvases := plot.Align(panels, tiles, dc)
		for j, row := range panels {
			for i, p := range row {
				if p != nil {
					p.Draw(canvases[j][i])
				}
			}
		}
		var buf bytes.Buffer
		if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
			return nil, fmt.Errorf("final-loss plot: %w", err)
		}
		out[reportFinalPlot] = buf.Bytes()
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
		xy := make(plotter.XYs, len(counts))
		for e := range counts {
			xy[e] = plotter.XY{X: float64(e + 1), Y: sums[k][e] / float64(counts[e])}
		}
		if len(xy) == 0 {
			continue
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return fmt.Errorf("curves: %w", err)
		}
		l.Color = plotutil.Color(i)
		l.Width = vg.Points(1.5)
		if k == 1 {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		} else {
			p.Legend.Add(string(g.Config.Estimator.Method), l)
		}
		p.Add(l)
	}
	return nil
}

// errPoint is one point with a symmetric vertical error bar.
type errPoint struct {
	plotter.XYs
	plotter.YErrors
}

// addErrPoint adds mean ± se at x, train (k = 0) or test (k = 1), and
// returns the point for the legend.
func addErrPoint(p *plot.Plot, x float64, s experiment.MeanSE, k int) (*plotter.Scatter, error) {
	if math.IsNaN(s.Mean) {
		return nil, nil // every run collapsed and left out: nothing to draw
	}
	se := s.SE
	if math.IsNaN(se) {
		se = 0
	}
	pt := errPoint{plotter.XYs{{X: x, Y: s.Mean}}, plotter.YErrors{{Low: se, High: se}}}
	sc, err := plotter.NewScatter(pt)
	if err != nil {
		return nil, fmt.Errorf("final-loss plot: %w", err)
	}
	bars, err := plotter.NewYErrorBars(pt)
	if err != nil {
		return nil, fmt.Errorf("final-loss plot: %w", err)
	}
	c := plotutil.DarkColors[k]
	sc.Color, bars.Color = c, c
	p.Add(sc, bars)
	return sc, nil
}

// plotPNG renders p at w × h.
func plotPNG(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	wt, err := p.WriterTo(w, h, "png")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func runReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("report", "[flags]", stderr)
	dir := fs.String("dir", "sweep", "sweep directory (the --out of sweep)")
	out := fs.String("out", "", "where to write report.md, report.csv and the plots (default: --dir)")
	plots := fs.Bool("plots", true, "write the PNG plots")
	collapsed := fs.Bool("collapsed", false, "keep the runs that ended in posterior collapse in the means")
	var published publishedFlag
	fs.Var(&published, "published", "compare with the published results: -published for the built-in table, -published=FILE for a CSV of the same columns")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	opts := experiment.ReportOptions{IncludeCollapsed: *collapsed}
	switch published {
	case "", "false":
	case "true":
		opts.Published = experiment.PublishedResults()
	default:
		f, err := os.Open(string(published))
		if err != nil {
			return usageErr(fs, "--published: %v", err)
		}
		opts.Published, err = experiment.ReadPublished(f)
		f.Close()
		if err != nil {
			return usageErr(fs, "--published=%s: %v", published, err)
		}
	}
	if fi, err := os.Stat(*dir); err != nil || !fi.IsDir() {
		return usageErr(fs, "--dir=%s is not a directory", *dir)
	}
	if *out == "" {
		*out = *dir
	}
	d, err := experiment.ReadReport(*dir, opts)
	if err != nil {
		return err
	}
	if d.Finished == 0 && len(d.Excluded) == 0 {
		return fmt.Errorf("%s holds no runs (no sweep.json and no run directory); nothing written", *dir)
	}
	if err := checkWritableDir(*out); err != nil {
		return usageErr(fs, "--out: %v", err)
	}
	var md, tab bytes.Buffer
	d.Markdown(&md)
	if err := d.CSV(&tab); err != nil {
		return err
	}
	files := map[string][]byte{reportMarkdownFile: md.Bytes(), reportCSVFile: tab.Bytes()}
	if *plots {
		pngs, err := reportPlots(d)
		if err != nil {
			return err
		}
		for name, b := range pngs {
			files[name] = b
		}
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := atomicfile.Write(filepath.Join(*out, name), files[name]); err != nil {
			return err
		}
	}
	if _, err := stdout.Write(md.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "report: %d finished runs in %d settings, %d unfinished; wrote %s in %s\n",
		d.Finished, len(d.Groups), len(d.Excluded), strings.Join(slices.Sorted(maps.Keys(files)), ", "), *out)
	return nil
}

// publishedFlag is --published: alone (a boolean flag) the built-in table,
// with =FILE a CSV.
type publishedFlag string

func (p *publishedFlag) String() string     { return string(*p) }
func (p *publishedFlag) Set(v string) error { *p = publishedFlag(v); return nil }
func (p *publishedFlag) IsBoolFlag() bool   { return true }
