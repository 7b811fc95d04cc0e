package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/discretegrad/reinmax/diag"
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/experiment"
	"github.com/discretegrad/reinmax/internal/atomicfile"
	"github.com/discretegrad/reinmax/kernels"
	"github.com/discretegrad/reinmax/nn"
	"github.com/discretegrad/reinmax/vae"
)

// gradstatListFlag is a repeatable flag whose values may also be comma lists.
type gradstatListFlag []string

func (l *gradstatListFlag) String() string { return strings.Join(*l, ",") }

func (l *gradstatListFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// diagEstimatorFlags are the estimator parameters shared by gradstat and poly;
// each applies to the methods that use it.
type diagEstimatorFlags struct {
	methods                     string
	tau, alpha, eta, tau2, gap  float64
	k                           int
	noise                       string
	defaultMethods, allowedHelp string
}

func (f *diagEstimatorFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.methods, "methods", f.defaultMethods, "comma list of methods, or all ("+f.allowedHelp+")")
	fs.Float64Var(&f.tau, "tau", 1, "temperature of every estimator (> 0)")
	fs.IntVar(&f.k, "K", estimators.DefaultK, "gr, reinmax-rao(-d), reinmax-cv: conditional Gumbel samples (>= 1)")
	fs.Float64Var(&f.alpha, "alpha", estimators.DefaultAlpha, "reinmax-alpha: Runge-Kutta alpha (> 0; 1 is ReinMax)")
	fs.Float64Var(&f.eta, "eta", estimators.DefaultEta, "reinmax-cv: control-variate weight (>= 0)")
	fs.Float64Var(&f.tau2, "tau2", 0, "reinmax-cv: control-variate temperature (0: tau)")
	fs.StringVar(&f.noise, "noise", estimators.DefaultNoise, "reinmax-cv: control-variate noise, softmax or gumbel")
	fs.Float64Var(&f.gap, "gap", estimators.DefaultGap, "gst: gap (> 0)")
}

// configs parses --methods against allowed ("all" expands to allowed) and
// returns one validated estimator configuration per method, in the order
// given, without duplicates.
func (f *diagEstimatorFlags) configs(fs *flag.FlagSet, allowed []string) ([]estimators.Config, error) {
	var names []string
	for _, m := range strings.Split(f.methods, ",") {
		m = strings.TrimSpace(m)
		switch {
		case m == "":
		case m == "all":
			names = append(names, allowed...)
		case !slices.Contains(allowed, m):
			if slices.Contains(estimators.Methods(), m) {
				return nil, usageErr(fs, "--methods: %q is not available here (choose from %s)", m, strings.Join(allowed, ", "))
			}
			return nil, usageErr(fs, "--methods: unknown method %q (choose from %s)", m, strings.Join(allowed, ", "))
		default:
			names = append(names, m)
		}
	}
	if len(names) == 0 {
		return nil, usageErr(fs, "--methods is empty")
	}
	var cfgs []estimators.Config
	seen := map[string]bool{}
	for _, m := range names {
		if seen[m] {
			continue
		}
		seen[m] = true
		c := estimators.DefaultConfig(m)
		c.Tau, c.K, c.Alpha, c.Eta, c.Tau2, c.Noise, c.Gap = f.tau, f.k, f.alpha, f.eta, f.tau2, f.noise, f.gap
		if err := c.ValidateExplicit(); err != nil {
			return nil, usageErr(fs, "%v", err)
		}
		cfgs = append(cfgs, c.WithDefaults())
	}
	return cfgs, nil
}

// gradstatMaxSamples bounds --samples. The draws stream, so memory does not
// grow with S, but diag.Moments rounds S up to whole chunks in an int (near
// MaxInt that overflowed into no draw at all). 2^30 draws, hours to days per
// method, keeps that and the stream numbers far from overflowing, even in a
// 32-bit int.
const gradstatMaxSamples = 1 << 30

// gradstatMethods are the methods gradstat can measure: every estimator but
// exact, which is the reference itself.
func gradstatMethods() []string {
	return slices.DeleteFunc(estimators.Methods(), func(m string) bool { return m == "exact" })
}

// gradstatReport is gradstat's JSON output.
type gradstatReport struct {
	Examples int             `json:"examples"`
	Samples  int             `json:"samples"`
	Seed     uint64          `json:"seed"`
	Threads  int             `json:"threads"`
	Kernels  string          `json:"kernels"`
	Models   []gradstatModel `json:"models"`
	Seconds  float64         `json:"seconds"`
}

// gradstatModel is the measurement of every method on one model.
type gradstatModel struct {
	// Checkpoint is the file measured; empty for a fresh model drawn from
	// InitSeed.
	Checkpoint string  `json:"checkpoint,omitempty"`
	InitSeed   *uint64 `json:"init_seed,omitempty"`
	// Epoch and Step come from the checkpoint's metadata (absent if missing).
	Epoch *int `json:"epoch,omitempty"`
	Step  *int `json:"step,omitempty"`
	// TrainedWith is the estimator the checkpoint was trained with.
	TrainedWith  string           `json:"trained_with,omitempty"`
	C            int              `json:"c"`
	L            int              `json:"l"`
	ExactSeconds float64          `json:"exact_seconds"`
	Results      []gradstatResult `json:"results"`
}

// gradstatResult is one method's metrics (or the error that stopped it).
type gradstatResult struct {
	Method    string            `json:"method"`
	Estimator estimators.Config `json:"estimator"`
	Metrics   *diag.Metrics     `json:"metrics,omitempty"`
	Error     string            `json:"error,omitempty"`
	Seconds   float64           `json:"seconds"`
}

// gradstatSource is one model to measure.
type gradstatSource struct {
	path string // "" for a fresh model
	cfg  vae.Config
}

func runGradstat(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("gradstat", "[--checkpoint FILE[,FILE...]]... [flags]", stderr)
	var ckpts gradstatListFlag
	fs.Var(&ckpts, "checkpoint", "checkpoint to measure (repeatable, or a comma list: a series over training); none: a fresh model")
	c := fs.Int("C", 8, "fresh model: categories per latent (>= 2)")
	l := fs.Int("L", 4, "fresh model: latents (>= 1); C^L must be <= 16384 for the exact gradient")
	leaky := fs.Bool("leaky", false, "fresh model: leaky ReLU instead of ReLU")
	seed := fs.Uint64("seed", 0, "seed of the estimator draws (and of a fresh model's weights)")
	examples := fs.Int("examples", vae.DefaultBatch, "the fixed batch: the first N training images")
	samples := fs.Int("samples", 1024, fmt.Sprintf("draws S of each estimator's gradient (1..%d)", gradstatMaxSamples))
	threads := fs.Int("threads", 0, fmt.Sprintf("worker threads (0..%d, 0: GOMAXPROCS); results do not depend on it", kernels.MaxThreads))
	data := fs.String("data", "", "directory with the four MNIST idx .gz files (default: the GoMNIST module's copy)")
	jsonOut := fs.String("json", "", "write the full results as JSON to this file")
	out := fs.String("out", "", "directory of the PNGs drawn for a series of checkpoints (default: beside --json, else the first checkpoint's)")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	ef := diagEstimatorFlags{defaultMethods: "st,gs,gr,gst,reinmax,reinmax-rao,reinmax-rao-d,reinmax-cv,reinforce",
		allowedHelp: strings.Join(gradstatMethods(), ", ")}
	ef.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	cfgs, err := ef.configs(fs, gradstatMethods())
	if err != nil {
		return err
	}
	switch {
	case *samples < 1 || *samples > gradstatMaxSamples:
		return usageErr(fs, "--samples=%d, need 1..%d", *samples, gradstatMaxSamples)
	case *examples < 1:
		return usageErr(fs, "--examples=%d must be >= 1", *examples)
	case *threads < 0 || *threads > kernels.MaxThreads:
		return usageErr(fs, "--threads=%d, need 0..%d (0: GOMAXPROCS)", *threads, kernels.MaxThreads)
	case len(ckpts) > 0 && (set["C"] || set["L"] || set["leaky"]):
		return usageErr(fs, "--C, --L and --leaky describe a fresh model; a checkpoint brings its own")
	}

	var sources []gradstatSource
	if len(ckpts) == 0 {
		cfg := vae.Config{C: *c, L: *l, Estimator: estimators.DefaultConfig("st"), LR: 1, Seed: *seed, LeakyReLU: *leaky}
		if err := cfg.WithDefaults().Validate(); err != nil {
			return usageErr(fs, "%v", err)
		}
		if !gradstatExactFeasible(cfg.C, cfg.L) {
			return usageErr(fs, "--C=%d --L=%d: the exact gradient enumerates C^L codes, at most %d", cfg.C, cfg.L, vae.MaxExactCodes)
		}
		sources = append(sources, gradstatSource{cfg: cfg})
	}
	for _, p := range ckpts {
		cfg, err := vae.CheckpointConfig(p)
		if err != nil {
			return fmt.Errorf("--checkpoint %s: %w", p, err)
		}
		if !gradstatExactFeasible(cfg.C, cfg.L) {
			return fmt.Errorf("--checkpoint %s: a %d×%d model has C^L codes > %d, too many for the exact gradient", p, cfg.C, cfg.L, vae.MaxExactCodes)
		}
		sources = append(sources, gradstatSource{path: p, cfg: cfg})
	}
	plotDir := *out
	if plotDir == "" && len(sources) > 1 {
		plotDir = filepath.Dir(ckpts[0])
		if *jsonOut != "" {
			plotDir = filepath.Dir(*jsonOut)
		}
	}
	if len(sources) > 1 {
		if err := checkWritableDir(plotDir); err != nil {
			return usageErr(fs, "--out: %v", err)
		}
	}

	mnist, err := loadMNIST(*data)
	if err != nil {
		return err
	}
	if *examples > mnist.Train.N {
		return usageErr(fs, "--examples=%d is more than the %d training images", *examples, mnist.Train.N)
	}
	x := mnist.Train.Pixels[:*examples*vae.ImagePixels]
	ws := newWorkspace(*threads)
	defer ws.Close()
	logf := func(format string, a ...any) {
		if !*quiet {
			fmt.Fprintf(stderr, format, a...)
		}
	}

	start := time.Now()
	rep := gradstatReport{Examples: *examples, Samples: *samples, Seed: *seed, Threads: ws.Threads(), Kernels: kernels.Active()}
	failed := 0
	for _, src := range sources {
		gm, err := gradstatMeasure(ws, src, cfgs, x, *examples, *samples, *seed, logf)
		if err != nil {
			return err
		}
		for _, r := range gm.Results {
			if r.Error != "" {
				failed++
			}
		}
		rep.Models = append(rep.Models, gm)
	}
	rep.Seconds = time.Since(start).Seconds()

	printGradstatTable(stdout, &rep)
	if *jsonOut != "" {
		if err := experiment.WriteJSON(*jsonOut, rep); err != nil {
			return err
		}
	}
	if len(sources) > 1 {
		files, err := writeGradstatPlots(plotDir, &rep)
		if err != nil {
			return err
		}
		logf("wrote %s\n", strings.Join(files, ", "))
	}
	if failed > 0 {
		return fmt.Errorf("%d measurement(s) failed; see the table", failed)
	}
	return nil
}

// gradstatExactFeasible reports whether C^L <= vae.MaxExactCodes.
func gradstatExactFeasible(c, l int) bool {
	n := 1
	for range l {
		if n *= c; n > vae.MaxExactCodes {
			return false
		}
	}
	return true
}

// gradstatMeasure builds the model of src, computes the exact gradient on x and
// measures every estimator of cfgs with S draws each (streams 0..S-1 of
// seed). A method whose draws or metrics fail keeps its error in its result;
// errors that concern the model itself are returned.
func gradstatMeasure(ws *kernels.Workspace, src gradstatSource, cfgs []estimators.Config, x []float32, n, samples int,
	seed uint64, logf func(string, ...any)) (gradstatModel, error) {
	cfg := src.cfg.WithDefaults()
	gm := gradstatModel{Checkpoint: src.path, C: cfg.C, L: cfg.L}
	act := nn.ReLU
	if cfg.LeakyReLU {
		act = nn.LeakyReLU
	}
	m, err := vae.NewModel(cfg.C, cfg.L, act)
	if err != nil {
		return gm, err
	}
	name := src.path
	if src.path == "" {
		name = fmt.Sprintf("fresh %d×%d model (seed %d)", cfg.C, cfg.L, cfg.Seed)
		s := cfg.Seed
		gm.InitSeed = &s
		err = m.Init(cfg.Seed)
	} else {
		gm.TrainedWith = cfg.Estimator.Method
		if epoch, step, ok := gradstatProgress(src.path); ok {
			gm.Epoch, gm.Step = &epoch, &step
		}
		err = m.LoadWeights(src.path)
	}
	if err != nil {
		return gm, err
	}

	moments, err := diag.NewMoments(n * cfg.L * cfg.C)
	if err != nil {
		return gm, err
	}
	exact := make([]float32, moments.Len())
	t0 := time.Now()
	// The draws run one probe per thread, each single-threaded: at batch
	// 100 that scales better than threading each product, and the result
	// does not depend on the split (diag.Moments.DrawParallel).
	probes := make([]diag.Sampler, ws.Threads())
	models := make([]*vae.Model, len(probes)) // probes write decoder gradients: one model each
	for j := range models {
		if models[j], err = m.Clone(); err != nil {
			return gm, err
		}
	}
	for i, ec := range cfgs {
		if i == 0 {
			// The exact gradient depends on the model and the batch only.
			probe, err := vae.NewGradProbe(m, ec, x, n, ws)
			if err != nil {
				return gm, err
			}
			if err := probe.Exact(exact); err != nil {
				return gm, fmt.Errorf("%s: exact gradient: %w", name, err)
			}
			gm.ExactSeconds = time.Since(t0).Seconds()
		}
		for j := range probes {
			p, err := vae.NewGradProbe(models[j], ec, x, n, nil)
			if err != nil {
				return gm, err
			}
			probes[j] = p
		}
		t := time.Now()
		moments.Reset()
		res := gradstatResult{Method: ec.Method, Estimator: ec}
		err = moments.DrawParallel(probes, seed, 0, samples)
		if err == nil {
			var met diag.Metrics
			if met, err = moments.Metrics(exact, n); err == nil {
				res.Metrics = &met
			}
		}
		if err != nil {
			res.Error = err.Error()
		}
		res.Seconds = time.Since(t).Seconds()
		gm.Results = append(gm.Results, res)
		if err != nil {
			logf("gradstat %s: %s failed: %v\n", name, ec.Method, err)
		} else {
			logf("gradstat %s: %s: %d draws in %.1fs\n", name, ec.Method, samples, res.Seconds)
		}
	}
	return gm, nil
}

// gradstatProgress reads the epoch and step from the metadata of a
// checkpoint written by vae.Trainer.Save (a safetensors file: 8-byte
// little-endian header length, then a JSON header whose "__metadata__" maps
// names to strings). The file has already been verified by
// vae.CheckpointConfig; ok is false when either entry is missing.
func gradstatProgress(path string) (epoch, step int, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	var n uint64
	if binary.Read(f, binary.LittleEndian, &n) != nil || n > 1<<26 {
		return 0, 0, false
	}
	head := make([]byte, n)
	if _, err := io.ReadFull(f, head); err != nil {
		return 0, 0, false
	}
	var h struct {
		Meta map[string]string `json:"__metadata__"`
	}
	if json.Unmarshal(head, &h) != nil {
		return 0, 0, false
	}
	epoch, err1 := strconv.Atoi(h.Meta["epoch"])
	step, err2 := strconv.Atoi(h.Meta["step"])
	return epoch, step, err1 == nil && err2 == nil
}

// printGradstatTable writes one table per model: a row per method.
func printGradstatTable(w io.Writer, rep *gradstatReport) {
	for i, gm := range rep.Models {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "# %s: %d examples, S=%d draws, exact gradient in %.1fs\n", gradstatLabel(&gm), rep.Examples, rep.Samples, gm.ExactSeconds)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "method\ttau\trel_bias\trel_bias_est\trel_std\tcos\tnorm\texact_norm\tmean_var\tseconds\t")
		for _, r := range gm.Results {
			if r.Metrics == nil {
				fmt.Fprintf(tw, "%s\t%g\terror: %s\t\t\t\t\t\t\t%.1f\t\n", r.Method, r.Estimator.Tau, r.Error, r.Seconds)
				continue
			}
			m := r.Metrics
			fmt.Fprintf(tw, "%s\t%g\t%.4f\t%.4f\t%.4f\t%.4f\t%.4g\t%.4g\t%.4g\t%.1f\t\n", r.Method, r.Estimator.Tau,
				m.RelBiasExact, m.RelBiasEstimate, m.RelStd, m.Cosine, m.MeanNorm, m.ExactNorm, m.MeanVar, r.Seconds)
		}
		tw.Flush()
	}
}

func gradstatLabel(gm *gradstatModel) string {
	if gm.Checkpoint == "" {
		return fmt.Sprintf("fresh %d×%d model, init seed %d", gm.C, gm.L, *gm.InitSeed)
	}
	s := fmt.Sprintf("%s (%d×%d, trained with %s", gm.Checkpoint, gm.C, gm.L, gm.TrainedWith)
	if gm.Epoch != nil {
		s += fmt.Sprintf(", epoch %d, step %d", *gm.Epoch, *gm.Step)
	}
	return s + ")"
}

// gradstatPlotMetrics are the metrics drawn over a checkpoint series.
var gradstatPlotMetrics = []struct {
	file, label string
	value       func(*diag.Metrics) float64
}{
	{"rel_bias_exact", "relative bias (w.r.t. exact)", func(m *diag.Metrics) float64 { return m.RelBiasExact }},
	{"rel_bias_approx", "relative bias (w.r.t. estimate)", func(m *diag.Metrics) float64 { return m.RelBiasEstimate }},
	{"rel_std", "relative standard deviation", func(m *diag.Metrics) float64 { return m.RelStd }},
	{"cos", "cosine similarity with exact", func(m *diag.Metrics) float64 { return m.Cosine }},
	{"mean_grad_norm", "mean gradient norm per example", func(m *diag.Metrics) float64 { return m.MeanNorm }},
	{"mean_var", "mean variance per coordinate", func(m *diag.Metrics) float64 { return m.MeanVar }},
}

// gradstatSeriesX returns the x value of each model of a series and its label: the
// checkpoint epochs when every model has a distinct one, else the steps when
// distinct, else the position in the order given.
func gradstatSeriesX(models []gradstatModel) ([]float64, string) {
	for _, axis := range []struct {
		name string
		get  func(*gradstatModel) *int
	}{{"epoch", func(g *gradstatModel) *int { return g.Epoch }}, {"step", func(g *gradstatModel) *int { return g.Step }}} {
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

// writeGradstatPlots draws one PNG per metric over the series, a line per
// method, into dir and returns the files written.
func writeGradstatPlots(dir string, rep *gradstatReport) ([]string, error) {
	xs, xlabel := gradstatSeriesX(rep.Models)
	var methods []string
	for _, gm := range rep.Models {
		for _, r := range gm.Results {
			if !slices.Contains(methods, r.Method) {
				methods = append(methods, r.Method)
			}
		}
	}
	var files []string
	for _, pm := range gradstatPlotMetrics {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("%s, S=%d, %d examples", pm.label, rep.Samples, rep.Examples)
		p.X.Label.Text = xlabel
		p.Y.Label.Text = pm.file
		for mi, method := range methods {
			var xy plotter.XYs
			for i, gm := range rep.Models {
				for _, r := range gm.Results {
					if r.Method == method && r.Metrics != nil {
						if v := pm.value(r.Metrics); !math.IsNaN(v) && !math.IsInf(v, 0) {
							xy = append(xy, plotter.XY{X: xs[i], Y: v})
						}
					}
				}
			}
			if len(xy) == 0 {
				continue
			}
			line, points, err := plotter.NewLinePoints(xy)
			if err != nil {
				return files, fmt.Errorf("gradstat plot %s: %w", pm.file, err)
			}
			col := gradstatColor(mi)
			line.Color, points.Color = col, col
			line.Width = vg.Points(1.5)
			p.Add(line, points)
			p.Legend.Add(method, line, points)
		}
		p.Legend.Top = true
		p.Add(plotter.NewGrid())
		wt, err := p.WriterTo(7*vg.Inch, 4.5*vg.Inch, "png")
		if err != nil {
			return files, fmt.Errorf("gradstat plot %s: %w", pm.file, err)
		}
		var buf bytes.Buffer
		if _, err := wt.WriteTo(&buf); err != nil {
			return files, fmt.Errorf("gradstat plot %s: %w", pm.file, err)
		}
		path := filepath.Join(dir, "gradstat-"+pm.file+".png")
		if err := atomicfile.Write(path, buf.Bytes()); err != nil {
			return files, err
		}
		files = append(files, path)
	}
	return files, nil
}

// gradstatColor is the i-th colour of matplotlib's tab10 cycle.
func gradstatColor(i int) color.Color {
	tab10 := []uint32{0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf}
	c := tab10[i%len(tab10)]
	return color.RGBA{R: uint8(c >> 16), G: uint8(c >> 8), B: uint8(c), A: 255}
}
