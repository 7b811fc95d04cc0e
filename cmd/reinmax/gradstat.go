package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/discretegrad/reinmax/cmd/reinmax/internal/figures"
	"github.com/discretegrad/reinmax/diag"
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/experiment"
	"github.com/discretegrad/reinmax/kernels"
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
func (f *diagEstimatorFlags) configs(fs *flag.FlagSet, allowed []estimators.Method) ([]estimators.Config, error) {
	names, err := estimators.ParseMethods(f.methods, allowed)
	if err != nil {
		return nil, usageErr(fs, "--methods: %v", err)
	}
	var cfgs []estimators.Config
	for _, m := range names {
		c := estimators.DefaultConfig(m)
		c.Tau, c.K, c.Alpha, c.Eta, c.Tau2, c.Noise, c.Gap = f.tau, f.k, f.alpha, f.eta, f.tau2, f.noise, f.gap
		if err := c.ValidateExplicit(); err != nil {
			return nil, usageErr(fs, "%v", err)
		}
		cfgs = append(cfgs, c.WithDefaults())
	}
	return cfgs, nil
}

// gradstatFlags are gradstat's flags.
type gradstatFlags struct {
	ckpts, merge            gradstatListFlag
	c, l, examples, samples int
	threads                 int
	leaky, quiet            bool
	seed                    uint64
	data, jsonOut, out      string
	est                     diagEstimatorFlags
}

func (f *gradstatFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.ckpts, "checkpoint", "checkpoint to measure (repeatable, or a comma list: a series over training); none: a fresh model")
	fs.IntVar(&f.c, "C", 8, "fresh model: categories per latent (>= 2)")
	fs.IntVar(&f.l, "L", 4, "fresh model: latents (>= 1); C^L must be <= 16384 for the exact gradient")
	fs.BoolVar(&f.leaky, "leaky", false, "fresh model: leaky ReLU instead of ReLU")
	fs.Uint64Var(&f.seed, "seed", 0, "seed of the estimator draws (and of a fresh model's weights)")
	fs.IntVar(&f.examples, "examples", vae.DefaultBatch, "the fixed batch: the first N training images")
	fs.IntVar(&f.samples, "samples", 1024, fmt.Sprintf("draws S of each estimator's gradient (1..%d)", diag.MaxGradStatSamples))
	fs.IntVar(&f.threads, "threads", 0, fmt.Sprintf("worker threads (0..%d, 0: GOMAXPROCS); results do not depend on it", kernels.MaxThreads))
	fs.StringVar(&f.data, "data", "", "directory with the four MNIST idx .gz files (default: the GoMNIST module's copy)")
	fs.StringVar(&f.jsonOut, "json", "", "write the full results as JSON to this file")
	fs.StringVar(&f.out, "out", "", "directory of the PNGs drawn for a series of checkpoints (default: beside --json, else the first checkpoint's)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress lines on stderr")
	fs.Var(&f.merge, "merge", "instead of measuring, read these --json reports (one per training run, each over its checkpoints), "+
		"print each method's mean cosine per epoch beside the published one, and with --out draw it in cosine-over-training.png")
	f.est = diagEstimatorFlags{defaultMethods: "st,gs,gr,gst,reinmax,reinmax-rao,reinmax-rao-d,reinmax-cv,reinforce",
		allowedHelp: estimators.JoinMethods(diag.GradStatMethods())}
	f.est.register(fs)
}

// sources checks the flags that describe what to measure and returns the
// models, and the directory of a series' plots ("" for one model).
func (f *gradstatFlags) sources(fs *flag.FlagSet) ([]diag.GradStatSource, string, error) {
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	switch {
	case f.samples < 1 || f.samples > diag.MaxGradStatSamples:
		return nil, "", usageErr(fs, "--samples=%d, need 1..%d", f.samples, diag.MaxGradStatSamples)
	case f.examples < 1:
		return nil, "", usageErr(fs, "--examples=%d must be >= 1", f.examples)
	case f.threads < 0 || f.threads > kernels.MaxThreads:
		return nil, "", usageErr(fs, "--threads=%d, need 0..%d (0: GOMAXPROCS)", f.threads, kernels.MaxThreads)
	case len(f.ckpts) > 0 && (set["C"] || set["L"] || set["leaky"]):
		return nil, "", usageErr(fs, "--C, --L and --leaky describe a fresh model; a checkpoint brings its own")
	case len(f.ckpts) == 0:
		src, err := diag.FreshSource(f.c, f.l, f.leaky, f.seed)
		if err != nil {
			return nil, "", usageErr(fs, "--C=%d --L=%d: %v", f.c, f.l, err)
		}
		return []diag.GradStatSource{src}, "", nil
	}
	var sources []diag.GradStatSource
	for _, p := range f.ckpts {
		src, err := diag.CheckpointSource(p)
		if err != nil {
			return nil, "", fmt.Errorf("--checkpoint: %w", err)
		}
		sources = append(sources, src)
	}
	if len(sources) == 1 {
		return sources, "", nil
	}
	plotDir := f.out
	switch {
	case plotDir != "":
	case f.jsonOut != "":
		plotDir = filepath.Dir(f.jsonOut)
	default:
		plotDir = filepath.Dir(f.ckpts[0])
	}
	if err := checkWritableDir(plotDir); err != nil {
		return nil, "", usageErr(fs, "--out: %v", err)
	}
	return sources, plotDir, nil
}

func runGradstat(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("gradstat", "[--checkpoint FILE[,FILE...]]... [flags]", stderr)
	var f gradstatFlags
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if len(f.merge) > 0 {
		png := ""
		if f.out != "" {
			png = filepath.Join(f.out, "cosine-over-training.png")
		}
		return mergeGradstat(f.merge, png, stdout)
	}
	cfgs, err := f.est.configs(fs, diag.GradStatMethods())
	if err != nil {
		return err
	}
	sources, plotDir, err := f.sources(fs)
	if err != nil {
		return err
	}
	mnist, err := loadMNIST(f.data)
	if err != nil {
		return err
	}
	if f.examples > mnist.Train.N {
		return usageErr(fs, "--examples=%d is more than the %d training images", f.examples, mnist.Train.N)
	}
	ws := newWorkspace(f.threads)
	defer ws.Close()
	logf := func(format string, a ...any) {
		if !f.quiet {
			fmt.Fprintf(stderr, format, a...)
		}
	}
	progress := func(src diag.GradStatSource, r diag.GradStatResult) {
		if r.Error != "" {
			logf("gradstat %s: %s failed: %s\n", src, r.Method, r.Error)
		} else {
			logf("gradstat %s: %s: %d draws in %.1fs\n", src, r.Method, f.samples, r.Seconds)
		}
	}
	rep, err := diag.GradStat(diag.GradStatConfig{Methods: cfgs, Data: mnist.Train, Examples: f.examples, Samples: f.samples,
		Seed: f.seed, Progress: progress}, sources, ws)
	if err != nil {
		return err
	}
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	if f.jsonOut != "" {
		if err := experiment.WriteJSON(f.jsonOut, rep); err != nil {
			return err
		}
	}
	if plotDir != "" {
		pngs, err := figures.GradStatSeries(&rep)
		if err != nil {
			return err
		}
		files, err := writeFiles(plotDir, pngs)
		if err != nil {
			return err
		}
		logf("wrote %s in %s\n", strings.Join(files, ", "), plotDir)
	}
	if n := rep.Failures(); n > 0 {
		return fmt.Errorf("%d measurement(s) failed; see the table", n)
	}
	return nil
}
