package main

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/experiment"
	"github.com/discretegrad/reinmax/internal/atomicfile"
	"github.com/discretegrad/reinmax/vae"
)

// Files report writes.
const (
	reportMarkdownFile = "report.md"
	reportCSVFile      = "report.csv"
	reportFinalPlot    = "final.png"
)

// reportRun is one run of a sweep directory as report reads it.
type reportRun struct {
	name   string
	cfg    vae.Config               // canonical (see canonical)
	sum    *experiment.Summary      // nil when the run is excluded
	curve  []experiment.EpochRecord // the finished run's metrics.jsonl
	done   int                      // epochs finished (consecutive records in metrics.jsonl)
	target int                      // epochs the manifest asks for, 0 when unknown
	why    string                   // why an excluded run is excluded
}

// meanSE is a sample's size, mean and standard error of the mean (sample
// standard deviation with n - 1, divided by √n; NaN when n < 2).
type meanSE struct {
	n        int
	mean, se float64
}

func newMeanSE(xs []float64) meanSE {
	s := meanSE{n: len(xs), mean: math.NaN(), se: math.NaN()}
	if s.n == 0 {
		return s
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	s.mean = sum / float64(s.n)
	if s.n > 1 {
		ss := 0.0
		for _, x := range xs {
			ss += (x - s.mean) * (x - s.mean)
		}
		s.se = math.Sqrt(ss/float64(s.n-1)) / math.Sqrt(float64(s.n))
	}
	return s
}

// String is "mean ± se" with two decimals ("mean ± –" for one seed).
func (s meanSE) String() string {
	if math.IsNaN(s.se) {
		return fmt.Sprintf("%.2f ± –", s.mean)
	}
	return fmt.Sprintf("%.2f ± %.2f", s.mean, s.se)
}

// reportGroup is one setting: the finished runs that differ only in seed.
type reportGroup struct {
	cfg         vae.Config // canonical, Seed 0
	epochs      int
	runs        []*reportRun // by seed
	train, test meanSE       // of the final epoch's losses over the runs
	// selected marks the group with the lowest mean final train loss among
	// those of its method and C×L (the selection rule of spec §7 note 3).
	selected bool
}

// reportData is a sweep directory read and aggregated.
type reportData struct {
	dir      string
	groups   []*reportGroup // by config (configOrder), method (methodOrder), then compareRuns
	excluded []*reportRun   // by name
	finished int
	configs  [][2]int // C, L of the groups, in configOrder
	methods  []string // methods of the groups, in methodOrder
}

// methodOrder sorts methods as estimators.Methods lists them, unknown ones
// last by name.
func methodOrder(a, b string) int {
	all := estimators.Methods()
	ia, ib := slices.Index(all, a), slices.Index(all, b)
	if ia < 0 {
		ia = len(all)
	}
	if ib < 0 {
		ib = len(all)
	}
	return cmp.Or(cmp.Compare(ia, ib), cmp.Compare(a, b))
}

// configOrder sorts C×L configurations by code length L·log2(C), then C:
// the order of the spec's table (8×4, 4×24, 8×16, 16×12, 64×8, 10×30, 32×32).
func configOrder(a, b [2]int) int {
	bits := func(c [2]int) float64 { return float64(c[1]) * math.Log2(float64(c[0])) }
	return cmp.Or(cmp.Compare(math.Round(bits(a)*1e6), math.Round(bits(b)*1e6)), cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
}

// readSweep reads every run directory under dir (a subdirectory holding
// config.json or summary.json, or named in the manifest) and groups the
// finished runs. A run is finished when its summary.json is readable and
// has the epochs the manifest asks for; the others are excluded with the
// reason.
func readSweep(dir string) (*reportData, error) {
	man, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	target := map[string]int{}
	if man != nil {
		for _, r := range man.Runs {
			target[r.Name] = r.Epochs
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	d := &reportData{dir: dir}
	seen := map[string]bool{}
	var runs []*reportRun
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		sub := filepath.Join(dir, e.Name())
		_, inManifest := target[e.Name()]
		if !inManifest && !exists(filepath.Join(sub, "config.json")) && !exists(filepath.Join(sub, experiment.SummaryFile)) {
			continue
		}
		seen[e.Name()] = true
		runs = append(runs, readRun(sub, e.Name(), target[e.Name()]))
	}
	if man != nil {
		for _, r := range man.Runs {
			if !seen[r.Name] {
				runs = append(runs, &reportRun{name: r.Name, cfg: experiment.Canonical(r.Config), target: r.Epochs, why: "not started"})
			}
		}
	}

	type key struct {
		cfg    vae.Config
		epochs int
	}
	byKey := map[key]*reportGroup{}
	for _, r := range runs {
		if r.sum == nil {
			d.excluded = append(d.excluded, r)
			continue
		}
		d.finished++
		c := r.cfg
		c.Seed = 0
		k := key{c, r.sum.Epochs}
		g := byKey[k]
		if g == nil {
			g = &reportGroup{cfg: c, epochs: r.sum.Epochs}
			byKey[k] = g
			d.groups = append(d.groups, g)
		}
		g.runs = append(g.runs, r)
	}
	slices.SortFunc(d.excluded, func(a, b *reportRun) int { return cmp.Compare(a.name, b.name) })
	slices.SortFunc(d.groups, func(a, b *reportGroup) int {
		return cmp.Or(configOrder([2]int{a.cfg.C, a.cfg.L}, [2]int{b.cfg.C, b.cfg.L}),
			methodOrder(a.cfg.Estimator.Method, b.cfg.Estimator.Method), compareRuns(a.cfg, b.cfg),
			cmp.Compare(a.epochs, b.epochs))
	})
	best := map[string]*reportGroup{}
	for _, g := range d.groups {
		slices.SortFunc(g.runs, func(a, b *reportRun) int { return cmp.Compare(a.cfg.Seed, b.cfg.Seed) })
		var tr, te []float64
		for _, r := range g.runs {
			tr = append(tr, r.sum.Final.TrainLoss)
			te = append(te, r.sum.Final.TestLoss)
		}
		g.train, g.test = newMeanSE(tr), newMeanSE(te)
		k := fmt.Sprintf("%s %dx%d", g.cfg.Estimator.Method, g.cfg.C, g.cfg.L)
		if b := best[k]; b == nil || g.train.mean < b.train.mean {
			best[k] = g
		}
		cl := [2]int{g.cfg.C, g.cfg.L}
		if !slices.Contains(d.configs, cl) {
			d.configs = append(d.configs, cl)
		}
		if !slices.Contains(d.methods, g.cfg.Estimator.Method) {
			d.methods = append(d.methods, g.cfg.Estimator.Method)
		}
	}
	for _, g := range best {
		g.selected = true
	}
	slices.SortFunc(d.methods, methodOrder)
	return d, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// readRun reads one run directory; a run that is not finished gets sum nil
// and the reason in why.
func readRun(dir, name string, target int) *reportRun {
	r := &reportRun{name: name, target: target}
	recs, err := experiment.ReadMetrics(dir)
	r.done = len(recs)
	if err != nil {
		r.why = err.Error()
	}
	if raw, err := os.ReadFile(filepath.Join(dir, "config.json")); err == nil {
		var cfg vae.Config
		if json.Unmarshal(raw, &cfg) == nil {
			r.cfg = experiment.Canonical(cfg)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, experiment.SummaryFile))
	if errors.Is(err, os.ErrNotExist) {
		if r.why == "" {
			r.why = "no " + experiment.SummaryFile
		}
		return r
	}
	var sum experiment.Summary
	if err == nil {
		err = json.Unmarshal(raw, &sum)
	}
	switch {
	case err != nil:
		r.why = fmt.Sprintf("%s: %v", experiment.SummaryFile, err)
		return r
	case sum.Epochs == 0:
		r.why = "no epoch trained"
		return r
	case target > 0 && sum.Epochs < target:
		r.done = sum.Epochs
		r.why = fmt.Sprintf("finished %d epochs, the sweep now asks for %d", sum.Epochs, target)
		return r
	}
	r.cfg, r.sum, r.done, r.why = experiment.Canonical(sum.Config), &sum, sum.Epochs, ""
	r.curve = sum.Curve
	if recs, err := experiment.ReadMetrics(dir); err == nil && len(recs) >= sum.Epochs {
		r.curve = recs[:sum.Epochs]
	}
	return r
}

// otherParams describes the parameters of a canonical configuration that
// differ from train's defaults ("K=20 eta=0.5"); empty when none do.
func otherParams(c vae.Config) string {
	var parts []string
	for _, p := range extraParams(c) {
		if p[1] == "" {
			parts = append(parts, p[0])
		} else {
			parts = append(parts, p[0]+"="+p[1])
		}
	}
	return strings.Join(parts, " ")
}

// markdown writes the paper-style tables.
func (d *reportData) markdown(w io.Writer) {
	fmt.Fprintf(w, "# Sweep report: %s\n\n", d.dir)
	fmt.Fprintf(w, "%d finished runs in %d settings; %d runs unfinished (listed at the end and excluded).\n", d.finished,
		len(d.groups), len(d.excluded))
	fmt.Fprintf(w, "Values: negative ELBO (nats) after the last epoch, mean ± standard error over seeds "+
		"(sample standard deviation / √n), n seeds in parentheses.\n\n")
	if len(d.groups) > 0 {
		for _, part := range []struct {
			title string
			stat  func(*reportGroup) meanSE
		}{
			{"Final train negative ELBO", func(g *reportGroup) meanSE { return g.train }},
			{"Final test negative ELBO", func(g *reportGroup) meanSE { return g.test }},
		} {
			fmt.Fprintf(w, "## %s\n\n", part.title)
			fmt.Fprintf(w, "Per method and configuration, the setting with the lowest mean final train loss; "+
				"**bold**: the lowest mean per configuration.\n\n")
			d.pivot(w, part.stat)
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "## Every setting\n\n")
		fmt.Fprintf(w, "| method | C×L | lr | τ | optimizer | other | epochs | n | train | test | selected |\n")
		fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, g := range d.groups {
			sel := ""
			if g.selected {
				sel = "✓"
			}
			fmt.Fprintf(w, "| %s | %d×%d | %s | %s | %s | %s | %d | %d | %s | %s | %s |\n", g.cfg.Estimator.Method, g.cfg.C,
				g.cfg.L, fmtFloat(g.cfg.LR), fmtFloat(g.cfg.Estimator.Tau), g.cfg.Optimizer, otherParams(g.cfg), g.epochs,
				g.train.n, g.train, g.test, sel)
		}
		fmt.Fprintln(w)
	}
	if len(d.excluded) > 0 {
		fmt.Fprintf(w, "## Unfinished runs (excluded)\n\n| run | epochs done | of | why |\n|---|---|---|---|\n")
		for _, r := range d.excluded {
			of := "?"
			if r.target > 0 {
				of = strconv.Itoa(r.target)
			}
			fmt.Fprintf(w, "| %s | %d | %s | %s |\n", r.name, r.done, of, r.why)
		}
		fmt.Fprintln(w)
	}
}

// pivot writes one table: methods down, configurations across, the
// selected setting's statistic in each cell.
func (d *reportData) pivot(w io.Writer, stat func(*reportGroup) meanSE) {
	fmt.Fprintf(w, "| method |")
	for _, c := range d.configs {
		fmt.Fprintf(w, " %d×%d |", c[0], c[1])
	}
	fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("---|", len(d.configs)))
	best := make([]float64, len(d.configs))
	for i, c := range d.configs {
		best[i] = math.Inf(1)
		for _, g := range d.groups {
			if g.selected && g.cfg.C == c[0] && g.cfg.L == c[1] {
				best[i] = min(best[i], stat(g).mean)
			}
		}
	}
	for _, m := range d.methods {
		fmt.Fprintf(w, "| %s |", m)
		for i, c := range d.configs {
			cell := "–"
			for _, g := range d.groups {
				if g.selected && g.cfg.Estimator.Method == m && g.cfg.C == c[0] && g.cfg.L == c[1] {
					s := stat(g)
					cell = fmt.Sprintf("%s (%d)", s, s.n)
					if s.mean == best[i] {
						cell = fmt.Sprintf("**%s** (%d)", s, s.n)
					}
				}
			}
			fmt.Fprintf(w, " %s |", cell)
		}
		fmt.Fprintln(w)
	}
}

// csv writes one row per setting, numbers in full precision (empty
// standard error for one seed).
func (d *reportData) csv(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"method", "C", "L", "lr", "tau", "optimizer", "K", "eta", "tau2", "noise", "alpha", "gap", "batch",
		"leaky_relu", "epochs", "n", "seeds", "train_mean", "train_se", "test_mean", "test_se", "selected"})
	num := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return fmtFloat(v)
	}
	for _, g := range d.groups {
		c := g.cfg
		e := c.Estimator.WithDefaults()
		seeds := make([]string, len(g.runs))
		for i, r := range g.runs {
			seeds[i] = strconv.FormatUint(r.cfg.Seed, 10)
		}
		cw.Write([]string{e.Method, strconv.Itoa(c.C), strconv.Itoa(c.L), fmtFloat(c.LR), fmtFloat(e.Tau), c.Optimizer,
			strconv.Itoa(e.K), fmtFloat(e.Eta), fmtFloat(e.Tau2), e.Noise, fmtFloat(e.Alpha), fmtFloat(e.Gap),
			strconv.Itoa(c.Batch), strconv.FormatBool(c.LeakyReLU), strconv.Itoa(g.epochs), strconv.Itoa(g.train.n),
			strings.Join(seeds, " "), num(g.train.mean), num(g.train.se), num(g.test.mean), num(g.test.se),
			strconv.FormatBool(g.selected)})
	}
	cw.Flush()
	return cw.Error()
}

// plotFiles returns the report's PNGs by file name: curves-CxL.png per
// configuration (mean over seeds of the train loss, solid, and the test
// loss, dashed, per epoch, for each method's selected setting) and
// final.png (final train and test loss, mean ± standard error, per method,
// one panel per configuration).
func (d *reportData) plotFiles() (map[string][]byte, error) {
	out := map[string][]byte{}
	const perRow = 4
	var panels [][]*plot.Plot
	for ci, c := range d.configs {
		curves := plot.New()
		curves.Title.Text = fmt.Sprintf("%d×%d: mean over seeds (solid train, dashed test)", c[0], c[1])
		curves.X.Label.Text = "epoch"
		curves.Y.Label.Text = "negative ELBO (nats)"
		final := plot.New()
		final.Title.Text = fmt.Sprintf("%d×%d", c[0], c[1])
		final.Y.Label.Text = "final negative ELBO (nats)"
		var names []string
		for _, g := range d.groups {
			if !g.selected || g.cfg.C != c[0] || g.cfg.L != c[1] {
				continue
			}
			i := len(names)
			names = append(names, g.cfg.Estimator.Method)
			if err := addCurves(curves, g, i); err != nil {
				return nil, err
			}
			for k, s := range []meanSE{g.train, g.test} {
				sc, err := addErrPoint(final, float64(i)+0.15*float64(2*k-1), s, k)
				if err != nil {
					return nil, err
				}
				if i == 0 {
					final.Legend.Add([]string{"train", "test"}[k], sc)
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
			panels = append(panels, make([]*plot.Plot, min(perRow, len(d.configs))))
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
// each epoch averages the seeds that reached it.
func addCurves(p *plot.Plot, g *reportGroup, i int) error {
	var sums [2][]float64
	var counts []int
	for _, r := range g.runs {
		for e, rec := range r.curve {
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
			p.Legend.Add(g.cfg.Estimator.Method, l)
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
func addErrPoint(p *plot.Plot, x float64, s meanSE, k int) (*plotter.Scatter, error) {
	se := s.se
	if math.IsNaN(se) {
		se = 0
	}
	pt := errPoint{plotter.XYs{{X: x, Y: s.mean}}, plotter.YErrors{{Low: se, High: se}}}
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
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fi, err := os.Stat(*dir); err != nil || !fi.IsDir() {
		return usageErr(fs, "--dir=%s is not a directory", *dir)
	}
	if *out == "" {
		*out = *dir
	}
	if err := checkWritableDir(*out); err != nil {
		return usageErr(fs, "--out: %v", err)
	}
	d, err := readSweep(*dir)
	if err != nil {
		return err
	}
	var md, tab bytes.Buffer
	d.markdown(&md)
	if err := d.csv(&tab); err != nil {
		return err
	}
	files := map[string][]byte{reportMarkdownFile: md.Bytes(), reportCSVFile: tab.Bytes()}
	if *plots {
		pngs, err := d.plotFiles()
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
	fmt.Fprintf(stderr, "report: %d finished runs in %d settings, %d unfinished; wrote %d files to %s\n",
		d.finished, len(d.groups), len(d.excluded), len(files), *out)
	return nil
}
