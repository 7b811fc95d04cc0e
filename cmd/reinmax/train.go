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
	"strings"
	"syscall"
	"time"

	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/vae"
)

// errInterrupted ends a run stopped by SIGINT/SIGTERM after its checkpoint
// was written (exit status 130).
var errInterrupted = errors.New("interrupted")

// trainFlags are train's flags; the model and estimator ones map onto
// vae.Config (configFromFlags).
type trainFlags struct {
	method, optimizer, noise, data, out string
	c, l, batch, k, threads, epochs     int
	tau, lr, eta, tau2, alpha, gap      float64
	seed                                uint64
	leaky, preset, resume, quiet        bool
}

func (f *trainFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.method, "method", "reinmax-rao", "estimator: "+strings.Join(estimators.Methods(), ", "))
	fs.IntVar(&f.c, "C", 8, "categories per latent (>= 2)")
	fs.IntVar(&f.l, "L", 4, "latents (>= 1)")
	fs.Float64Var(&f.tau, "tau", 1, "temperature (> 0); set by --preset unless given")
	fs.Float64Var(&f.lr, "lr", 5e-4, "learning rate (> 0); set by --preset unless given")
	fs.StringVar(&f.optimizer, "optimizer", "adam", "adam or radam; set by --preset unless given")
	fs.BoolVar(&f.preset, "preset", true, "take lr, tau and optimizer from the spec's table for (method, C, L); explicit flags win")
	fs.IntVar(&f.epochs, "epochs", 160, "epochs to train (>= 0); with --resume, the total to reach")
	fs.IntVar(&f.batch, "batch", vae.DefaultBatch, "examples per step (1..training set size)")
	fs.Uint64Var(&f.seed, "seed", 0, "seed of every random draw (weights, shuffling, estimator noise)")
	fs.IntVar(&f.threads, "threads", 0, "worker threads (0: GOMAXPROCS); results do not depend on it")
	fs.Float64Var(&f.eta, "eta", 0.7, "reinmax-cv: control-variate weight (>= 0)")
	fs.Float64Var(&f.tau2, "tau2", 0, "reinmax-cv: control-variate temperature (0: tau)")
	fs.IntVar(&f.k, "K", 100, "gr, reinmax-rao(-d), reinmax-cv: conditional Gumbel samples (>= 1)")
	fs.Float64Var(&f.alpha, "alpha", 1, "reinmax-alpha: Runge-Kutta alpha (> 0; 1 is ReinMax)")
	fs.StringVar(&f.noise, "noise", "softmax", "reinmax-cv: control-variate noise, softmax or gumbel")
	fs.Float64Var(&f.gap, "gap", 1, "gst: gap (> 0)")
	fs.BoolVar(&f.leaky, "leaky", false, "leaky ReLU (slope 0.01) instead of ReLU")
	fs.StringVar(&f.data, "data", "", "directory with the four MNIST idx .gz files (default: the GoMNIST module's copy)")
	fs.StringVar(&f.out, "out", "", "run directory (default runs/METHOD-CxL-seedS)")
	fs.BoolVar(&f.resume, "resume", false, "continue from the run directory's checkpoint (bitwise identical to not stopping)")
	fs.BoolVar(&f.quiet, "quiet", false, "no per-epoch JSON on stdout and no progress line")
}

// configFlags are the flags that are part of vae.Config (checked against the
// checkpoint on --resume).
var configFlags = []string{"method", "C", "L", "tau", "lr", "optimizer", "batch", "seed", "eta", "tau2", "K", "alpha", "noise", "gap", "leaky"}

// applyFlags sets the fields of cfg whose flags are in set.
func (f *trainFlags) applyFlags(cfg *vae.Config, set map[string]bool) {
	e := &cfg.Estimator
	apply := map[string]func(){
		"method": func() { e.Method = f.method }, "C": func() { cfg.C = f.c }, "L": func() { cfg.L = f.l },
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
		ps, err := vae.PresetFor(f.method, f.c, f.l)
		switch {
		case err == nil:
			if !set["lr"] {
				cfg.LR = ps.LR
			}
			if !set["tau"] {
				cfg.Estimator.Tau = ps.Tau
			}
			if !set["optimizer"] {
				cfg.Optimizer = ps.Optimizer
			}
		case set["preset"]:
			return cfg, usageErr(fs, "--preset: %v", err)
		}
	}
	if err := f.check(fs); err != nil {
		return cfg, err
	}
	if err := cfg.WithDefaults().Validate(); err != nil {
		return cfg, usageErr(fs, "%v", err)
	}
	return cfg, nil
}

// check rejects the values that vae.Config would read as "use the default".
func (f *trainFlags) check(fs *flag.FlagSet) error {
	switch {
	case f.epochs < 0:
		return usageErr(fs, "--epochs=%d must be >= 0", f.epochs)
	case f.batch < 1:
		return usageErr(fs, "--batch=%d must be >= 1", f.batch)
	case f.k < 1:
		return usageErr(fs, "--K=%d must be >= 1", f.k)
	case f.threads < 0:
		return usageErr(fs, "--threads=%d must be >= 0", f.threads)
	case f.tau2 < 0:
		return usageErr(fs, "--tau2=%v must be >= 0 (0 means tau)", f.tau2)
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
	if f.out == "" {
		f.out = filepath.Join("runs", fmt.Sprintf("%s-%dx%d-seed%d", cfg.Estimator.Method, cfg.C, cfg.L, cfg.Seed))
	}
	ckpt := filepath.Join(f.out, checkpointFile)
	resuming := false
	if f.resume {
		if _, err := os.Stat(ckpt); err == nil {
			if cfg, err = resumeConfig(fs, &f, set, ckpt); err != nil {
				return err
			}
			resuming = true
		} else if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("--resume: %w", err)
		}
	}
	if err := checkWritableDir(f.out); err != nil {
		return usageErr(fs, "--out: %v", err)
	}

	data, err := loadMNIST(f.data)
	if err != nil {
		return err
	}
	if cfg.Batch > data.Train.N {
		return usageErr(fs, "--batch=%d is larger than the %d training images", cfg.Batch, data.Train.N)
	}
	ctx, stop := interruptContext(stderr)
	defer stop()
	return trainRun(ctx, trainOptions{cfg: cfg, epochs: f.epochs, out: f.out, data: data, resume: resuming, quiet: f.quiet},
		stdout, stderr)
}

// trainOptions is one training run for trainRun.
type trainOptions struct {
	cfg    vae.Config // checked, and equal to the checkpoint's when resume is set
	epochs int        // the total to reach
	out    string     // the run directory, writable
	data   *vae.MNIST // read only, so concurrent runs may share it
	resume bool       // continue from out's checkpoint
	quiet  bool       // no per-epoch JSON on stdout and no progress line
}

// trainRun trains one run whose flags have been checked, writing the run
// directory; cancelling ctx makes it finish the current step, write a
// checkpoint and return errInterrupted. sweep runs several at once.
func trainRun(ctx context.Context, f trainOptions, stdout, stderr io.Writer) error {
	cfg, ckpt := f.cfg, filepath.Join(f.out, checkpointFile)
	t, err := vae.NewTrainer(cfg, f.data.Train, f.data.Test)
	if err != nil {
		return err
	}
	defer t.Close()
	var recs []epochRecord
	if f.resume {
		if err := t.Load(ckpt); err != nil {
			return fmt.Errorf("--resume: %w", err)
		}
		if recs, err = readMetrics(f.out, t.Epoch()); err != nil {
			return fmt.Errorf("--resume: %w", err)
		}
		fmt.Fprintf(stderr, "resuming %s at epoch %d, step %d\n", f.out, t.Epoch(), t.GlobalStep())
	}
	if err := writeJSON(filepath.Join(f.out, "config.json"), t.Config()); err != nil {
		return err
	}

	progress, clearProgress := progressPrinter(stderr, f.quiet, t.StepsPerEpoch(), f.epochs)
	for t.Epoch() < f.epochs {
		st, err := t.TrainEpoch(ctx, progress)
		if ctx.Err() != nil {
			if serr := t.Save(ckpt); serr != nil {
				return fmt.Errorf("interrupted, and the checkpoint could not be written: %w", serr)
			}
			fmt.Fprintf(stderr, "\ninterrupted at epoch %d, step %d; checkpoint %s written; continue with --resume\n",
				t.Epoch()+1, t.GlobalStep(), ckpt)
			return errInterrupted
		}
		if err != nil {
			// The last good checkpoint is left as it is.
			return err
		}
		rec := recordOf(st)
		recs = append(recs, rec)
		if err := writeMetrics(f.out, recs); err != nil {
			return err
		}
		if err := t.Save(ckpt); err != nil {
			return err
		}
		if !f.quiet {
			clearProgress()
			line, err := json.Marshal(rec)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s\n", line)
		}
	}
	sum := summarize(t.Config(), recs)
	if err := writeJSON(filepath.Join(f.out, summaryFile), sum); err != nil {
		return err
	}
	if len(recs) > 0 {
		title := fmt.Sprintf("%s %d×%d seed %d", cfg.Estimator.Method, cfg.C, cfg.L, cfg.Seed)
		img, err := lossCurvePNG(title, recs)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(filepath.Join(f.out, lossPlotFile), img); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "done: %d epochs, final test loss %.4f, %.1f steps/s; outputs in %s\n",
		len(recs), sum.Final.TestLoss, sum.StepsPerSecond, f.out)
	return nil
}

// resumeConfig returns the checkpoint's configuration, with --threads from
// the command line; explicitly given config flags must agree with it.
func resumeConfig(fs *flag.FlagSet, f *trainFlags, set map[string]bool, ckpt string) (vae.Config, error) {
	cfg, err := vae.CheckpointConfig(ckpt)
	if err != nil {
		return cfg, fmt.Errorf("--resume: %w", err)
	}
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
			fmt.Fprintln(stderr, "\nsignal received: finishing the current step and writing a checkpoint (signal again to exit now)")
			cancel()
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
	f, ok := stderr.(*os.File)
	if quiet || !ok {
		return nil, func() {}
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return nil, func() {}
	}
	var last time.Time
	start, startStep := time.Now(), -1
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
		fmt.Fprintf(f, "\repoch %d/%d  step %d/%d  loss %8.3f  %6.1f steps/s ",
			(step-1)/stepsPerEpoch+1, epochs, (step-1)%stepsPerEpoch+1, stepsPerEpoch, loss, rate)
	}, func() { fmt.Fprint(f, "\r\033[K") }
}
