package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

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
	var names []estimators.Method
	choose := joinMethods(allowed)
	for _, s := range strings.Split(f.methods, ",") {
		m := estimators.Method(strings.TrimSpace(s))
		switch {
		case m == "":
		case m == "all":
			names = append(names, allowed...)
		case !slices.Contains(allowed, m):
			if m.Valid() {
				return nil, usageErr(fs, "--methods: %q is not available here (choose from %s)", m, choose)
			}
			return nil, usageErr(fs, "--methods: unknown method %q (choose from %s)", m, choose)
		default:
			names = append(names, m)
		}
	}
	if len(names) == 0 {
		return nil, usageErr(fs, "--methods is empty")
	}
	var cfgs []estimators.Config
	seen := map[estimators.Method]bool{}
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

func runGradstat(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("gradstat", "[--checkpoint FILE[,FILE...]]... [flags]", stderr)
	var ckpts gradstatListFlag
	fs.Var(&ckpts, "checkpoint", "checkpoint to measure (repeatable, or a comma list: a series over training); none: a fresh model")
	c := fs.Int("C", 8, "fresh model: categories per latent (>= 2)")
	l := fs.Int("L", 4, "fresh model: latents (>= 1); C^L must be <= 16384 for the exact gradient")
	leaky := fs.Bool("leaky", false, "fresh model: leaky ReLU instead of ReLU")
	seed := fs.Uint64("seed", 0, "seed of the estimator draws (and of a fresh model's weights)")
	examples := fs.Int("examples", vae.DefaultBatch, "the fixed batch: the first N training images")
	samples := fs.Int("samples", 1024, fmt.Sprintf("draws S of each estimator's gradient (1..%d)", diag.MaxGradStatSamples))
	threads := fs.Int("threads", 0, fmt.Sprintf("worker threads (0..%d, 0: GOMAXPROCS); results do not depend on it", kernels.MaxThreads))
	data := fs.String("data", "", "directory with the four MNIST idx .gz files (default: the GoMNIST module's copy)")
	jsonOut := fs.String("json", "", "write the full results as JSON to this file")
	out := fs.String("out", "", "directory of the PNGs drawn for a series of checkpoints (default: beside --json, else the first checkpoint's)")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	var merge gradstatListFlag
	fs.Var(&merge, "merge", "instead of measuring, read these --json reports (one per training run, each over its checkpoints), "+
		"print each method's mean cosine per epoch beside the published one, and with --out draw it in cosine-over-training.png")
	ef := diagEstimatorFlags{defaultMethods: "st,gs,gr,gst,reinmax,reinmax-rao,reinmax-rao-d,reinmax-cv,reinforce",
		allowedHelp: joinMethods(diag.GradStatMethods())}
	ef.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if len(merge) > 0 {
		png := ""
		if *out != "" {
			png = filepath.Join(*out, "cosine-over-training.png")
		}
		return mergeGradstat(merge, png, stdout)
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	cfgs, err := ef.configs(fs, diag.GradStatMethods())
	if err != nil {
		return err
	}
	switch {
	case *samples < 1 || *samples > diag.MaxGradStatSamples:
		return usageErr(fs, "--samples=%d, need 1..%d", *samples, diag.MaxGradStatSamples)
	case *examples < 1:
		return usageErr(fs, "--examples=%d must be >= 1", *examples)
	case *threads < 0 || *threads > kernels.MaxThreads:
		return usageErr(fs, "--threads=%d, need 0..%d (0: GOMAXPROCS)", *threads, kernels.MaxThreads)
	case len(ckpts) > 0 && (set["C"] || set["L"] || set["leaky"]):
		return usageErr(fs, "--C, --L and --leaky describe a fresh model; a checkpoint brings its own")
	}

	var sources []diag.GradStatSource
	if len(ckpts) == 0 {
		src, err := diag.FreshSource(*c, *l, *leaky, *seed)
		if err != nil {
			return usageErr(fs, "--C=%d --L=%d: %v", *c, *l, err)
		}
		sources = append(sources, src)
	}
	for _, p := range ckpts {
		src, err := diag.CheckpointSource(p)
		if err != nil {
			return fmt.Errorf("--checkpoint: %w", err)
		}
		sources = append(sources, src)
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
	ws := newWorkspace(*threads)
	defer ws.Close()
	logf := func(format string, a ...any) {
		if !*quiet {
			fmt.Fprintf(stderr, format, a...)
		}
	}
	progress := func(src diag.GradStatSource, r diag.GradStatResult) {
		if r.Error != "" {
			logf("gradstat %s: %s failed: %s\n", src, r.Method, r.Error)
		} else {
			logf("gradstat %s: %s: %d draws in %.1fs\n", src, r.Method, *samples, r.Seconds)
		}
	}
	rep, err := diag.GradStat(diag.GradStatConfig{Methods: cfgs, Data: mnist.Train, Examples: *examples, Samples: *samples,
		Seed: *seed, Progress: progress}, sources, ws)
	if err != nil {
		return err
	}

	printGradstatTable(stdout, &rep)
	if *jsonOut != "" {
		if err := experiment.WriteJSON(*jsonOut, rep); err != nil {
			return err
		}
	}
	if len(sources) > 1 {
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

// printGradstatTable writes one table per model: a row per method.
func printGradstatTable(w io.Writer, rep *diag.GradStatReport) {
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

func gradstatLabel(gm *diag.GradStatModel) string {
	if gm.Checkpoint == "" {
		return fmt.Sprintf("fresh %d×%d model, init seed %d", gm.C, gm.L, *gm.InitSeed)
	}
	s := fmt.Sprintf("%s (%d×%d, trained with %s", gm.Checkpoint, gm.C, gm.L, gm.TrainedWith)
	if gm.Epoch != nil {
		s += fmt.Sprintf(", epoch %d, step %d", *gm.Epoch, *gm.Step)
	}
	return s + ")"
}

// joinMethods is "a, b, c".
func joinMethods(ms []estimators.Method) string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = string(m)
	}
	return strings.Join(names, ", ")
}
