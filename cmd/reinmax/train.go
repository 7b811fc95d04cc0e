package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/discretegrad/reinmax/cmd/reinmax/internal/figures"
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/experiment"
	"github.com/discretegrad/reinmax/kernels"
	"github.com/discretegrad/reinmax/vae"
)

// errInterrupted ends a command stopped by SIGINT/SIGTERM after its
// checkpoints were written (exit status 130).
var errInterrupted = errors.New("interrupted")

// trainFlags are train's flags; the model and estimator ones map onto
// vae.Config (configFromFlags).
type trainFlags struct {
	method, optimizer, noise, data, out string
	c, l, batch, k, threads, epochs     int
	tau, lr, eta, tau2, alpha, gap      float64
	seed                                uint64
	leaky, preset, resume, overwrite    bool
	quiet, json                         bool
	keep                                string
	keepEvery                           int
}

func (f *trainFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.method, "method", "reinmax-rao", "estimator: "+strings.Join(estimators.MethodNames(), ", "))
	fs.IntVar(&f.c, "C", 8, "categories per latent (>= 2)")
	fs.IntVar(&f.l, "L", 4, "latents (>= 1)")
	fs.Float64Var(&f.tau, "tau", 1, "temperature (> 0); set by --preset unless given")
	fs.Float64Var(&f.lr, "lr", 5e-4, "learning rate (> 0); set by --preset unless given")
	fs.StringVar(&f.optimizer, "optimizer", "adam", "adam or radam; set by --preset unless given")
	fs.BoolVar(&f.preset, "preset", true, "take lr, tau and optimizer from the preset table (docs/estimators.md) for (method, C, L); explicit flags win")
	fs.IntVar(&f.epochs, "epochs", 160, "epochs to train (>= 0); with --resume, the total to reach")
	fs.IntVar(&f.batch, "batch", vae.DefaultBatch, "examples per step (1..training set size)")
	fs.Uint64Var(&f.seed, "seed", 0, "seed of every random draw (weights, shuffling, estimator noise)")
	fs.IntVar(&f.threads, "threads", 0, "worker threads (0: GOMAXPROCS); results do not depend on it")
	fs.Float64Var(&f.eta, "eta", estimators.DefaultEta, "reinmax-cv: control-variate weight (>= 0)")
	fs.Float64Var(&f.tau2, "tau2", 0, "reinmax-cv: control-variate temperature (0: tau)")
	fs.IntVar(&f.k, "K", estimators.DefaultK, "gr, reinmax-rao(-d), reinmax-cv: conditional Gumbel samples (>= 1)")
	fs.Float64Var(&f.alpha, "alpha", estimators.DefaultAlpha, "reinmax-alpha: Runge-Kutta alpha (> 0; 1 is ReinMax)")
	fs.StringVar(&f.noise, "noise", estimators.DefaultNoise, "reinmax-cv: control-variate noise, softmax or gumbel")
	fs.Float64Var(&f.gap, "gap", estimators.DefaultGap, "gst: gap (> 0)")
	fs.BoolVar(&f.leaky, "leaky", false, "leaky ReLU (slope 0.01) instead of ReLU")
	fs.StringVar(&f.data, "data", "", "directory with the four MNIST idx .gz files (default: the GoMNIST module's copy)")
	fs.StringVar(&f.out, "out", "", "run directory (default runs/METHOD-CxL-seedS)")
	fs.BoolVar(&f.resume, "resume", false, "continue the run in --out from its checkpoint (bitwise identical to not stopping)")
	fs.BoolVar(&f.overwrite, "overwrite", false, "replace the run that --out holds, all of its files")
	fs.BoolVar(&f.quiet, "quiet", false, "no per-epoch lines on stdout and no progress line")
	fs.BoolVar(&f.json, "json", false, "per-epoch lines on stdout as JSON (the metrics.jsonl records) even on a terminal; they are JSON whenever stdout is not a terminal")
	fs.StringVar(&f.keep, "keep", "", "epochs whose checkpoint is kept beside the rolling one, e.g. 1,5,10,20,30,50 (checkpoint-epochNNNN.safetensors)")
	fs.IntVar(&f.keepEvery, "keep-every", 0, "keep the checkpoint of every N-th epoch too (0: none)")
}

// keepEpochs parses --keep: a comma list of epochs >= 1.
func (f *trainFlags) keepEpochs(fs *flag.FlagSet) ([]int, error) {
	var out []int
	for _, v := range strings.Split(f.keep, ",") {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		e, err := strconv.Atoi(v)
		if err != nil || e < 1 {
			return nil, usageErr(fs, "--keep: %q is not an epoch >= 1", v)
		}
		out = append(out, e)
	}
	return out, nil
}

// configFlags are the flags that are part of vae.Config (checked against the
// checkpoint on --resume).
var configFlags = []string{"method", "C", "L", "tau", "lr", "optimizer", "batch", "seed", "eta", "tau2", "K", "alpha", "noise", "gap", "leaky"}

// applyFlags sets the fields of cfg whose flags are in set.
func (f *trainFlags) applyFlags(cfg *vae.Config, set map[string]bool) {
	e := &cfg.Estimator
	apply := map[string]func(){
		"method": func() { e.Method = estimators.Method(f.method) }, "C": func() { cfg.C = f.c }, "L": func() { cfg.L = f.l },
		"tau": func() { e.Tau = f.tau }, "lr": func() { cfg.LR = f.lr }, "optimizer": func() { cfg.Optimizer = f.optimizer },
		"batch": func() { cfg.Batch = f.batch }, "seed": func() { cfg.Seed = f.seed }, "eta": func() { e.Eta = f.eta },
		"tau2": func() { e.Tau2 = f.tau2 }, "K": func() { e.K = f.k }, "alpha": func() { e.Alpha = f.alpha },
		"noise": func() { e.Noise = f.noise }, "gap": func() { e.Gap = f.gap }, "leaky": func() { cfg.LeakyReLU = f.leaky },
	}
	for _, name := range configFlags {
		if set[name] {
			apply[name]()
		}
	}
}

// config builds the run's configuration from every flag, with the preset
// filling lr, tau and optimizer where they were not given.
func (f *trainFlags) config(fs *flag.FlagSet, set map[string]bool) (vae.Config, error) {
	all := make(map[string]bool, len(configFlags))
	for _, name := range configFlags {
		all[name] = true
	}
	cfg := vae.Config{}
	f.applyFlags(&cfg, all)
	cfg.Threads = f.threads
	if f.preset {
		if err := cfg.ApplyPreset(set["preset"]); err != nil {
			return cfg, usageErr(fs, "--preset: %v", err)
		}
		f.applyFlags(&cfg, map[string]bool{"lr": set["lr"], "tau": set["tau"], "optimizer": set["optimizer"]})
	}
	if err := f.check(fs); err != nil {
		return cfg, err
	}
	if err := cfg.ValidateExplicit(); err != nil {
		return cfg, usageErr(fs, "%v", err)
	}
	return cfg, nil
}

// check rejects the flags that are not part of vae.Config.
func (f *trainFlags) check(fs *flag.FlagSet) error {
	switch {
	case f.epochs < 0:
		return usageErr(fs, "--epochs=%d must be >= 0", f.epochs)
	case f.threads < 0 || f.threads > kernels.MaxThreads:
		return usageErr(fs, "--threads=%d must be in 0..%d", f.threads, kernels.MaxThreads)
	case f.resume && f.overwrite:
		return usageErr(fs, "--resume and --overwrite exclude each other")
	case f.keepEvery < 0:
		return usageErr(fs, "--keep-every=%d must be >= 0", f.keepEvery)
	}
	return nil
}

func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", "[flags]", stderr)
	var f trainFlags
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	cfg, err := f.config(fs, set)
	if err != nil {
		return err
	}
	keep, err := f.keepEpochs(fs)
	if err != nil {
		return err
	}
	if f.out == "" {
		f.out = filepath.Join("runs", fmt.Sprintf("%s-%dx%d-seed%d", cfg.Estimator.Method, cfg.C, cfg.L, cfg.Seed))
	}
	// Everything is checked before anything is created; Train checks the
	// run directory again under its lock.
	mode := experiment.Start
	switch st, err := experiment.Inspect(f.out); {
	case err != nil:
		return usageErr(fs, "--out: %v", err)
	case f.resume:
		if st.Checkpoint == nil {
			return usageErr(fs, "--resume: %s holds no checkpoint to resume from; start the run without --resume", f.out)
		}
		if err := st.Check(); err != nil {
			return fmt.Errorf("--resume: %s holds files that disagree (%v); start the run again with --overwrite", f.out, err)
		}
		if cfg, err = resumeConfig(fs, &f, set, st.Checkpoint.Config); err != nil {
			return err
		}
		mode = experiment.Resume
	case f.overwrite:
		mode = experiment.Overwrite
	case !st.Empty():
		return usageErr(fs, "%s already holds a run: continue it with --resume, replace it with --overwrite, or choose another --out", f.out)
	}
	data, err := loadMNISTFlag(fs, f.data)
	if err != nil {
		return err
	}
	if cfg.Batch > data.Train.N {
		return usageErr(fs, "--batch=%d is larger than the %d training images", cfg.Batch, data.Train.N)
	}
	if err := checkWritableDir(f.out); err != nil {
		return usageErr(fs, "--out: %v", err)
	}
	ctx, stop := interruptContext(stderr)
	defer stop()
	return trainRun(ctx, experiment.Options{Dir: f.out, Config: cfg, Epochs: f.epochs, Mode: mode, Data: data, Log: stderr,
		Keep: keep, KeepEvery: f.keepEvery}, epochPrinter(stdout, f.quiet, f.json), f.quiet, stdout, stderr)
}

// trainRun trains one run whose options have been checked, passing each
// epoch's record to onEpoch and drawing a progress line on a terminal
// (unless quiet); cancelling ctx makes it write a checkpoint and return
// errInterrupted.
func trainRun(ctx context.Context, o experiment.Options, onEpoch func(experiment.EpochRecord), quiet bool, stdout, stderr io.Writer) error {
	batch := o.Config.WithDefaults().Batch
	progress, clearProgress := progressPrinter(stderr, quiet, (o.Data.Train.N+batch-1)/batch, o.Epochs)
	o.Progress = progress
	o.LossPlot = lossPlot
	o.OnEpoch = func(rec experiment.EpochRecord) {
		clearProgress()
		onEpoch(rec)
	}
	sum, err := experiment.Train(ctx, o)
	clearProgress()
	switch {
	case errors.Is(err, experiment.ErrInterrupted):
		fmt.Fprintf(stderr, "%v; continue with: reinmax train -out %s -resume\n", err, o.Dir)
		return errInterrupted
	case err != nil:
		return err
	}
	fmt.Fprintf(stderr, "done: %d epochs, final test loss %.4f, %.1f steps/s; outputs in %s\n",
		sum.Epochs, sum.Final.TestLoss, sum.StepsPerSecond, o.Dir)
	return nil
}

// epochPrinter returns what train prints per epoch on stdout: nothing when
// quiet, a table row on a terminal, else (or with asJSON) the record as a
// JSON line, as in metrics.jsonl.
func epochPrinter(stdout io.Writer, quiet, asJSON bool) func(experiment.EpochRecord) {
	switch {
	case quiet:
		return func(experiment.EpochRecord) {}
	case asJSON || !isTerminal(stdout):
		return func(rec experiment.EpochRecord) {
			if line, err := json.Marshal(rec); err == nil {
				fmt.Fprintf(stdout, "%s\n", line)
			}
		}
	}
	return epochTable(stdout)
}

// epochTable prints records as the rows of a table under a header.
func epochTable(w io.Writer) func(experiment.EpochRecord) {
	header := false
	return func(rec experiment.EpochRecord) {
		if !header {
			fmt.Fprintf(w, "%6s  %10s  %10s  %8s  %8s\n", "epoch", "train loss", "test loss", "test KL", "seconds")
			header = true
		}
		note := ""
		if c := rec.Collapsed; c != nil && *c {
			note = "  collapsed"
		}
		fmt.Fprintf(w, "%6d  %10.3f  %10.3f  %8.3f  %8.1f%s\n", rec.Epoch, rec.TrainLoss, rec.TestLoss, rec.TestKLD,
			rec.Seconds, note)
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// lossPlot draws a run's loss.png.
func lossPlot(cfg vae.Config, recs []experiment.EpochRecord) ([]byte, error) {
	return figures.LossCurve(fmt.Sprintf("%s %d×%d seed %d", cfg.Estimator.Method, cfg.C, cfg.L, cfg.Seed), recs)
}

// resumeConfig returns the checkpoint's configuration cfg, with --threads
// from the command line; explicitly given config flags must agree with it.
func resumeConfig(fs *flag.FlagSet, f *trainFlags, set map[string]bool, cfg vae.Config) (vae.Config, error) {
	want := cfg
	f.applyFlags(&want, set)
	want.Threads = cfg.Threads
	if want != cfg {
		var given []string
		for _, name := range configFlags {
			if set[name] {
				given = append(given, "--"+name)
			}
		}
		return cfg, usageErr(fs, "--resume: flags %s disagree with the checkpoint's configuration %+v", strings.Join(given, " "), cfg)
	}
	cfg.Threads = f.threads
	return cfg, nil
}

// loadMNISTFlag is loadMNIST for a command's --data flag: a directory that
// does not exist is a usage error.
func loadMNISTFlag(fs *flag.FlagSet, dir string) (*vae.MNIST, error) {
	if dir != "" {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, usageErr(fs, "--data: %s is not a directory", dir)
		}
	}
	return loadMNIST(dir)
}

// loadMNIST reads MNIST from dir, or from the GoMNIST module when dir is "".
func loadMNIST(dir string) (*vae.MNIST, error) {
	if dir == "" {
		d, err := vae.FindMNIST()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	return vae.LoadMNIST(dir)
}

// onFirstSignal, set only by tests, runs once the first signal has
// cancelled the context.
var onFirstSignal func()

// interruptContext is cancelled by the first SIGINT or SIGTERM, so the
// current step finishes and a checkpoint is written; a second signal exits
// at once (every file is written atomically, so nothing is torn).
func interruptContext(stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
			fmt.Fprintln(stderr, "\nsignal received: stopping after the current step and writing a checkpoint (signal again to exit now)")
			cancel()
			if onFirstSignal != nil {
				onFirstSignal()
			}
		case <-done:
			return
		}
		select {
		case <-sig:
			fmt.Fprintln(stderr, "second signal: exiting now")
			os.Exit(130)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sig)
		close(done)
		cancel()
	}
}

// progressPrinter returns TrainEpoch's progress callback, a status line on
// stderr redrawn at most 10 times a second, and a function that erases it;
// both do nothing unless stderr is a terminal.
func progressPrinter(stderr io.Writer, quiet bool, stepsPerEpoch, epochs int) (func(int, float64), func()) {
	if quiet || !isTerminal(stderr) {
		return nil, func() {}
	}
	var last time.Time
	start, startStep := time.Now(), -1
	total := epochs * stepsPerEpoch
	return func(step int, loss float64) {
		if startStep < 0 {
			startStep = step - 1
		}
		now := time.Now()
		if now.Sub(last) < 100*time.Millisecond {
			return
		}
		last = now
		rate := float64(step-startStep) / now.Sub(start).Seconds()
		eta := time.Duration(float64(total-step) / rate * float64(time.Second)).Round(time.Second)
		fmt.Fprintf(stderr, "\repoch %d/%d  step %d/%d  loss %8.3f  %6.1f steps/s  ETA %s ",
			(step-1)/stepsPerEpoch+1, epochs, (step-1)%stepsPerEpoch+1, stepsPerEpoch, loss, rate, eta)
	}, func() { fmt.Fprint(stderr, "\r\033[K") }
}
