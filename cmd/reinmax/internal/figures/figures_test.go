package figures

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"

	"github.com/discretegrad/reinmax/diag"
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/experiment"
	"github.com/discretegrad/reinmax/vae"
)

// The plot tests decode the PNGs and look at their pixels: each checks
// the defect it guards against (a blank one-epoch curve, half-epoch ticks,
// a legend over the data, a linear variance axis, clipped markers, a tiny
// unlabelled sample grid) and that the picture is not trivial.

func decodePNG(t *testing.T, b []byte) *image.RGBA {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	rgba := image.NewRGBA(img.Bounds())
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			rgba.Set(x, y, img.At(x, y))
		}
	}
	return rgba
}

// near reports whether c is within tol of want on every channel.
func near(c color.RGBA, want color.Color, tol int) bool {
	r, g, b, _ := want.RGBA()
	d := func(a uint8, b uint32) bool { return abs(int(a)-int(b>>8)) <= tol }
	return d(c.R, r) && d(c.G, g) && d(c.B, b)
}

func abs(v int) int { return max(v, -v) }

// tinted reports whether c is want drawn over white with coverage of at
// least a half, as anti-aliased edges of thin lines and rings are: each
// channel is 255 - a·(255 - want) for one a.
func tinted(c color.RGBA, want color.Color) bool {
	wr, wg, wb, _ := want.RGBA()
	var as []float64
	for i, w := range []uint32{wr >> 8, wg >> 8, wb >> 8} {
		got := []uint8{c.R, c.G, c.B}[i]
		if 255-w < 40 {
			// A channel near white says little about a, but stays light
			// (which tells red from grey).
			if 255-int(got) > int(255-w)+30 {
				return false
			}
			continue
		}
		as = append(as, (255-float64(got))/(255-float64(w)))
	}
	if len(as) == 0 {
		return false
	}
	lo, hi := as[0], as[0]
	for _, a := range as {
		lo, hi = min(lo, a), max(hi, a)
	}
	return lo >= 0.5 && hi <= 1.1 && hi-lo <= 0.2
}

// dataRect is roughly the data area of a plot drawn by plotPNG: inside the
// axes, left of the legend column.
func dataRect(img image.Image) image.Rectangle {
	b := img.Bounds()
	return image.Rect(b.Dx()*12/100, b.Dy()*8/100, b.Dx()*80/100, b.Dy()*90/100)
}

// count counts the pixels of r within tol of want.
func count(img *image.RGBA, r image.Rectangle, want color.Color, tol int) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if near(img.RGBAAt(x, y), want, tol) {
				n++
			}
		}
	}
	return n
}

// countTinted counts the pixels of r tinted by want.
func countTinted(img *image.RGBA, r image.Rectangle, want color.Color) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if tinted(img.RGBAAt(x, y), want) {
				n++
			}
		}
	}
	return n
}

// distinct counts the colours in r.
func distinct(img *image.RGBA, r image.Rectangle) int {
	seen := map[color.RGBA]bool{}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			seen[img.RGBAAt(x, y)] = true
		}
	}
	return len(seen)
}

// meanRow is the mean row of the pixels of r tinted by want (NaN if none).
func meanRow(img *image.RGBA, r image.Rectangle, want color.Color) float64 {
	sum, n := 0, 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if tinted(img.RGBAAt(x, y), want) {
				sum += y
				n++
			}
		}
	}
	return float64(sum) / float64(n)
}

// gridColumns returns the columns of the vertical grid lines: the x ticks.
// A grid line is a column of light grey at least a third of the image
// high, beside no dark column (the y axis, black, spreads over two
// columns, a light and a dark one).
func gridColumns(img *image.RGBA) []int {
	b := img.Bounds()
	grey := func(x int, lo, hi uint8) int {
		n := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			c := img.RGBAAt(x, y)
			if c.R == c.G && c.G == c.B && c.R >= lo && c.R <= hi {
				n++
			}
		}
		return n
	}
	long := b.Dy() / 3
	var cols []int
	for x := b.Min.X + 1; x < b.Max.X-1; x++ {
		if grey(x, 150, 240) > long && grey(x-1, 0, 149) < long && grey(x+1, 0, 149) < long &&
			(len(cols) == 0 || cols[len(cols)-1] < x-1) { // one line over two columns
			cols = append(cols, x)
		}
	}
	return cols
}

// yAxis returns the rows spanned by the y axis: the longest vertical run
// of dark grey in the left third of the image.
func yAxis(img *image.RGBA) (top, bottom int) {
	b := img.Bounds()
	best := 0
	for x := b.Min.X; x < b.Min.X+b.Dx()/3; x++ {
		run := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			c := img.RGBAAt(x, y)
			if c.R == c.G && c.G == c.B && c.R < 200 {
				run++
				if run > best {
					best, top, bottom = run, y-run+1, y
				}
			} else {
				run = 0
			}
		}
	}
	return top, bottom
}

// topMargin is the number of white rows above anything drawn.
func topMargin(img *image.RGBA) int {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.RGBAAt(x, y) != (color.RGBA{255, 255, 255, 255}) {
				return y - b.Min.Y
			}
		}
	}
	return b.Dy()
}

// region is an 8-connected set of pixels: its size and bounding box.
type region struct {
	n   int
	box image.Rectangle
}

// regions returns the 8-connected regions of pixels tinted by want,
// largest first.
func regions(img *image.RGBA, want color.Color) []region {
	b := img.Bounds()
	seen := map[image.Point]bool{}
	var out []region
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			p := image.Pt(x, y)
			if seen[p] || !tinted(img.RGBAAt(x, y), want) {
				continue
			}
			r, stack := region{box: image.Rectangle{Min: p, Max: p.Add(image.Pt(1, 1))}}, []image.Point{p}
			seen[p] = true
			for len(stack) > 0 {
				q := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				r.n++
				r.box = r.box.Union(image.Rectangle{Min: q, Max: q.Add(image.Pt(1, 1))})
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						q := q.Add(image.Pt(dx, dy))
						if q.In(b) && !seen[q] && tinted(img.RGBAAt(q.X, q.Y), want) {
							seen[q] = true
							stack = append(stack, q)
						}
					}
				}
			}
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b region) int { return b.n - a.n })
	return out
}

var (
	lossTrainColor = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	lossTestColor  = color.RGBA{R: 214, G: 39, B: 40, A: 255}
)

// TestLossPlotOneEpoch: one epoch is two single points, which lines alone
// do not draw; the markers must show, at one integer tick.
func TestLossPlotOneEpoch(t *testing.T) {
	b, err := LossCurve("one epoch", []experiment.EpochRecord{{Epoch: 1, TrainLoss: 200, TestLoss: 190}})
	require.NoError(t, err)
	img := decodePNG(t, b)
	require.InDelta(t, 600, img.Bounds().Dx(), 150)
	require.InDelta(t, 400, img.Bounds().Dy(), 100)
	data := dataRect(img)
	require.Greater(t, countTinted(img, data, lossTrainColor), 20, "train marker")
	require.Greater(t, countTinted(img, data, lossTestColor), 10, "test marker")
	require.Len(t, gridColumns(img), 1, "one tick, at epoch 1")
	require.GreaterOrEqual(t, topMargin(img), 5, "the title keeps off the edge")
}

// TestLossPlotLong: a long run draws both curves, with glyphs on at most
// maxMarkers points each, and a diverged (NaN) epoch is left out rather
// than failing the plot.
func TestLossPlotLong(t *testing.T) {
	var recs []experiment.EpochRecord
	for e := 1; e <= 160; e++ {
		recs = append(recs, experiment.EpochRecord{Epoch: e, TrainLoss: 100 + 100/float64(e), TestLoss: 105 + 100/float64(e)})
	}
	recs[80].TestLoss = math.NaN()
	b, err := LossCurve("long", recs)
	require.NoError(t, err)
	var xy plotter.XYs
	for _, r := range recs {
		xy = append(xy, plotter.XY{X: float64(r.Epoch), Y: r.TrainLoss})
	}
	_, pts, err := lineWithMarkers(xy, lossTrainColor, trainGlyph, false)
	require.NoError(t, err)
	require.LessOrEqual(t, len(pts.XYs), maxMarkers)
	require.GreaterOrEqual(t, len(pts.XYs), maxMarkers/2)
	require.Contains(t, pts.XYs, xy[len(xy)-1], "the last epoch has a marker")
	img := decodePNG(t, b)
	data := dataRect(img)
	require.Greater(t, countTinted(img, data, lossTrainColor), 300)
	require.Greater(t, countTinted(img, data, lossTestColor), 300)
	require.Greater(t, distinct(img, data), 20)
	cols := gridColumns(img)
	require.GreaterOrEqual(t, len(cols), 4)
	require.LessOrEqual(t, len(cols), 11)
}

// testReport is a 2-run sweep of one epoch each. In final.png st's train
// point, one seed and no error bar, is the lowest; st's test point with
// its error bar reaches the highest.
func testReport() *experiment.Report {
	group := func(m estimators.Method, train, test experiment.MeanSE) *experiment.Group {
		cfg := vae.Config{C: 8, L: 4, Estimator: estimators.DefaultConfig(m)}
		run := &experiment.RunResult{Name: string(m), Config: cfg,
			Curve: []experiment.EpochRecord{{Epoch: 1, TrainLoss: train.Mean, TestLoss: test.Mean}}}
		return &experiment.Group{Config: cfg, Epochs: 1, Runs: []*experiment.RunResult{run}, Selected: true,
			Train: train, Test: test}
	}
	return &experiment.Report{
		Groups: []*experiment.Group{
			group(estimators.ST, experiment.MeanSE{N: 1, Mean: 100, SE: math.NaN()}, experiment.MeanSE{N: 2, Mean: 112, SE: 2}),
			group(estimators.ReinMax, experiment.MeanSE{N: 2, Mean: 104, SE: 2}, experiment.MeanSE{N: 2, Mean: 106, SE: 2}),
		},
		Finished: 3,
		Configs:  [][2]int{{8, 4}},
		Methods:  []estimators.Method{estimators.ST, estimators.ReinMax},
	}
}

func TestReportPlots(t *testing.T) {
	pngs, err := Report(testReport())
	require.NoError(t, err)
	require.Len(t, pngs, 2)

	curves := decodePNG(t, pngs["curves-8x4.png"])
	require.InDelta(t, 700, curves.Bounds().Dx(), 150)
	require.InDelta(t, 430, curves.Bounds().Dy(), 100)
	data := dataRect(curves)
	for i := range 2 {
		require.Greater(t, countTinted(curves, data, tab10(i)), 20, "method %d's markers", i)
	}
	require.Len(t, gridColumns(curves), 1, "one tick, at epoch 1")
	require.GreaterOrEqual(t, topMargin(curves), 5)

	final := decodePNG(t, pngs[FinalPlotFile])
	require.Greater(t, final.Bounds().Dx(), 300)
	require.Greater(t, final.Bounds().Dy(), 250)
	require.Greater(t, distinct(final, final.Bounds()), 30)
	// No marker or error bar is clipped at the ends of the y axis: the
	// lowest point, a train marker alone, is as large as the legend's
	// (the rightmost region), and the test points with their equal error
	// bars, the highest one included, are as tall as each other.
	rs := regions(final, plotutil.DarkColors[0])
	require.GreaterOrEqual(t, len(rs), 3, "train: two points and the legend's")
	legend, lowest := rs[0], rs[0]
	for _, r := range rs[:3] {
		if r.box.Min.X > legend.box.Min.X {
			legend = r
		}
		if r.box.Max.Y > lowest.box.Max.Y {
			lowest = r
		}
	}
	require.Greater(t, legend.box.Dy(), 5)
	require.InDelta(t, legend.box.Dy(), lowest.box.Dy(), 1, "lowest marker %v, legend's %v", lowest.box, legend.box)
	require.InDelta(t, legend.box.Dx(), lowest.box.Dx(), 1, "lowest marker %v, legend's %v", lowest.box, legend.box)
	rs = regions(final, plotutil.DarkColors[1])
	require.GreaterOrEqual(t, len(rs), 2, "test: two points with error bars")
	a, b := rs[0].box, rs[1].box
	require.Greater(t, b.Dy(), 20, "a marker with its bar")
	require.InDelta(t, a.Dy(), b.Dy(), 2, "test points %v and %v", a, b)
	// And they keep clear of the ends of the axis, where they would sit on
	// the frame and the neighbouring panel's edge.
	top, bottom := yAxis(final)
	require.Greater(t, bottom-top, 100, "the y axis")
	require.Less(t, lowest.box.Max.Y, bottom-2, "lowest marker %v, axis %d..%d", lowest.box, top, bottom)
	highest := min(a.Min.Y, b.Min.Y)
	require.Greater(t, highest, top+2, "highest error bar at %d, axis %d..%d", highest, top, bottom)
}

// testGradstatReport measures st, gs and reinforce on checkpoints of
// epochs 1 and 2; the variances span three decades.
func testGradstatReport(vars [3][2]float64) *diag.GradStatReport {
	methods := []estimators.Method{estimators.ST, estimators.GS, estimators.Reinforce}
	rep := &diag.GradStatReport{Examples: 20, Samples: 64}
	for i := range 2 {
		epoch, step := i+1, 600*(i+1)
		gm := diag.GradStatModel{Checkpoint: "e.safetensors", Epoch: &epoch, Step: &step, C: 8, L: 4}
		for mi, m := range methods {
			v := float64(mi + 1)
			gm.Results = append(gm.Results, diag.GradStatResult{Method: m, Metrics: &diag.Metrics{
				RelBiasExact: 0.5 * v, RelBiasEstimate: 0.4*v + 0.1*float64(i), RelStd: v + float64(i), Cosine: 1 - 0.2*v,
				MeanNorm: 0.05 * v * float64(i+1), ExactNorm: 0.07, MeanVar: vars[mi][i]}})
		}
		rep.Models = append(rep.Models, gm)
	}
	return rep
}

func TestGradstatPlots(t *testing.T) {
	files, err := GradStatSeries(testGradstatReport([3][2]float64{{0.001, 0.002}, {0.01, 0.02}, {1, 2}}))
	require.NoError(t, err)
	require.Len(t, files, len(gradstatPlotMetrics))
	colours := []color.Color{tab10(0), tab10(1), tab10(2)}
	for name, raw := range files {
		img := decodePNG(t, raw)
		require.InDelta(t, 750, img.Bounds().Dx(), 150, name)
		require.InDelta(t, 430, img.Bounds().Dy(), 100, name)
		data := dataRect(img)
		require.Greater(t, distinct(img, data), 30, name)
		for mi, c := range colours {
			require.Greater(t, countTinted(img, data, c), 50, "%s: method %d's line", name, mi)
		}
		// Ticks at the two epochs, not at 1, 1.5 and 2.
		cols := gridColumns(img)
		require.Len(t, cols, 2, name)
		// The legend is beside the data, right of the last epoch's markers,
		// not over the lines.
		beyond := image.Rect(cols[len(cols)-1]+12, 0, img.Bounds().Dx(), img.Bounds().Dy())
		for mi, c := range colours {
			require.Greater(t, countTinted(img, beyond, c), 10, "%s: method %d's legend entry", name, mi)
		}
		require.GreaterOrEqual(t, topMargin(img), 5, name)
		if strings.Contains(name, "mean_var") {
			// On a log axis st (0.001) and gs (0.01) are a third of the
			// axis apart; on a linear one, next to 1 and 2, they overlap.
			d := meanRow(img, data, colours[0]) - meanRow(img, data, colours[1])
			require.Greater(t, d, 40.0, "%s: st below gs by a decade", name)
		}
	}

	// A variance of zero cannot go on a log axis: linear, not a panic; nor
	// can one value alone.
	_, err = GradStatSeries(testGradstatReport([3][2]float64{{0, 0.002}, {0.01, 0.02}, {1, 2}}))
	require.NoError(t, err)
	_, err = GradStatSeries(testGradstatReport([3][2]float64{{1, 1}, {1, 1}, {1, 1}}))
	require.NoError(t, err)
}

func TestIntegerTicks(t *testing.T) {
	labels := func(lo, hi float64) []string {
		var out []string
		for _, tk := range (integerTicks{}).Ticks(lo, hi) {
			require.Equal(t, math.Round(tk.Value), tk.Value)
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return out
	}
	require.Equal(t, []string{"1"}, labels(0.5, 1.5))
	require.Equal(t, []string{"1", "2"}, labels(0.96, 2.04))
	require.Equal(t, []string{"20", "40", "60", "80", "100", "120", "140", "160"}, labels(0.5, 160.5))
	require.Empty(t, labels(0.2, 0.8))
}

func TestLogTicks(t *testing.T) {
	labels := func(lo, hi float64) []string {
		var out []string
		for _, tk := range (logTicks{}).Ticks(lo, hi) {
			require.True(t, tk.Value >= lo && tk.Value <= hi, "%g in [%g, %g]", tk.Value, lo, hi)
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return out
	}
	require.Equal(t, []string{"0.001", "0.01", "0.1"}, labels(0.0005, 0.9))
	require.Equal(t, []string{"2", "5", "10"}, labels(1.6, 17.6))
	require.Equal(t, []string{"0.05", "0.1", "0.2", "0.5"}, labels(0.038, 0.65))
	require.GreaterOrEqual(t, len(labels(0.61, 0.69)), 2, "linear ticks inside a narrow range")
	require.Equal(t, []string{"0.5"}, labels(0.5, 0.5))
	require.Empty(t, labels(-1, 1))
}

// TestSampleGrid: the images are scaled up and each block is labelled.
func TestSampleGrid(t *testing.T) {
	const perRow = 2
	blocks := make([][]float32, 3)
	for i := range blocks {
		blocks[i] = make([]float32, perRow*vae.ImagePixels)
		for j := range blocks[i] {
			blocks[i][j] = 0.5 // grey 128: told apart from the white ground and the dark text
		}
	}
	b, err := SampleGrid(blocks, perRow)
	require.NoError(t, err)
	img := decodePNG(t, b)
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	require.GreaterOrEqual(t, w, perRow*3*vae.ImageRows, "images at least 3× wide")
	require.GreaterOrEqual(t, h, 3*3*vae.ImageRows, "images at least 3× high")
	require.Less(t, w, 1000)
	require.Less(t, h, 600)

	grey := color.Gray{Y: 128}
	// Every pixel of every image 3×3 (and a few of the labels' anti-aliasing).
	require.InDelta(t, 3*perRow*9*vae.ImagePixels, count(img, img.Bounds(), grey, 0), 100)
	// Rows of grey: one band per block; the label is left of the images,
	// within the band.
	firstCol := w
	var bands [][2]int
	for y := range h {
		n := 0
		for x := range w {
			if near(img.RGBAAt(x, y), grey, 0) {
				n++
				firstCol = min(firstCol, x)
			}
		}
		if n > 0 {
			if len(bands) == 0 || bands[len(bands)-1][1] < y-1 {
				bands = append(bands, [2]int{y, y})
			}
			bands[len(bands)-1][1] = y
		}
	}
	require.Len(t, bands, 3)
	for i, band := range bands {
		text := count(img, image.Rect(0, band[0], firstCol, band[1]+1), color.Black, 100)
		require.Greater(t, text, 30, "label of block %d (%s)", i, sampleGridLabels[i])
	}
}

func TestGradstatSeriesX(t *testing.T) {
	one, two := 1, 2
	xs, label := seriesX([]diag.GradStatModel{{Epoch: &two, Step: &one}, {Epoch: &two, Step: &two}})
	require.Equal(t, "step", label, "repeated epochs fall back to steps")
	require.Equal(t, []float64{1, 2}, xs)
	xs, label = seriesX([]diag.GradStatModel{{}, {Epoch: &one, Step: &one}})
	require.Equal(t, "checkpoint (order given)", label)
	require.Equal(t, []float64{1, 2}, xs)
}

// TestReportPlotsPublished: with published results, final.png draws them
// beside ours (grey crosses with their error bars).
func TestReportPlotsPublished(t *testing.T) {
	rep := testReport()
	without, err := Report(rep)
	require.NoError(t, err)
	rep.Groups[1].Published = &experiment.Published{Method: estimators.ReinMax, C: 8, L: 4, Seeds: 10,
		Train: experiment.MeanSE{N: 10, Mean: 103, SE: 1}, Test: experiment.MeanSE{N: 10, Mean: 105, SE: 1}}
	with, err := Report(rep)
	require.NoError(t, err)
	a, b := decodePNG(t, without[FinalPlotFile]), decodePNG(t, with[FinalPlotFile])
	// Antialiased edges of the axes and markers are grey too: count what
	// the published points add.
	extra := count(b, dataRect(b), publishedColor, 8) - count(a, dataRect(a), publishedColor, 8)
	require.Greater(t, extra, 40, "the published points and bars")
}
