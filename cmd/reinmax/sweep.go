package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/experiment"
	"github.com/discretegrad/reinmax/kernels"
	"github.com/discretegrad/reinmax/vae"
)

// sweepFlags are sweep's flags.
type sweepFlags struct {
	grid, out, data, shard                      string
	methods, configs, seeds, lr, tau, optimizer string
	k, eta, tau2, alpha, noise, gap             string
	epochs, batch, parallel, threads            int
	leaky, preset, list                         bool
}

func (f *sweepFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.grid, "grid", "", "JSON file with the grid (fields as the flags; explicit flags override it)")
	fs.StringVar(&f.methods, "methods", "reinmax-rao", "comma-separated estimators: "+strings.Join(estimators.MethodNames(), ", "))
	fs.StringVar(&f.configs, "configs", "8x4", "comma-separated CxL configurations (C categories, L latents), e.g. 8x4,4x24")
	fs.StringVar(&f.seeds, "seeds", "0", "seeds, e.g. 0-9 or 0,3,5-7")
	fs.StringVar(&f.lr, "lr", "", "comma-separated learning rates (empty: preset, else 5e-4)")
	fs.StringVar(&f.tau, "tau", "", "comma-separated temperatures (empty: preset, else 1)")
	fs.StringVar(&f.optimizer, "optimizer", "", "comma-separated optimizers, adam or radam (empty: preset, else adam)")
	fs.StringVar(&f.k, "K", "", "comma-separated conditional Gumbel sample counts for gr, reinmax-rao(-d), reinmax-cv (empty: 100)")
	fs.StringVar(&f.eta, "eta", "", "comma-separated reinmax-cv weights (empty: 0.7)")
	fs.StringVar(&f.tau2, "tau2", "", "comma-separated reinmax-cv control-variate temperatures (empty or 0: tau)")
	fs.StringVar(&f.alpha, "alpha", "", "comma-separated reinmax-alpha alphas (empty: 1)")
	fs.StringVar(&f.noise, "noise", "", "comma-separated reinmax-cv noise modes, softmax or gumbel (empty: softmax)")
	fs.StringVar(&f.gap, "gap", "", "comma-separated gst gaps (empty: 1)")
	fs.IntVar(&f.epochs, "epochs", 160, "epochs of every run (>= 0); raising it later extends finished runs")
	fs.IntVar(&f.batch, "batch", vae.DefaultBatch, "examples per step (1..training set size)")
	fs.BoolVar(&f.leaky, "leaky", false, "leaky ReLU (slope 0.01) instead of ReLU")
	fs.BoolVar(&f.preset, "preset", true, "take lr, tau and optimizer from the preset table (docs/estimators.md) for (method, C, L) unless listed")
	fs.StringVar(&f.data, "data", "", "directory with the four MNIST idx .gz files (default: the GoMNIST module's copy)")
	fs.StringVar(&f.out, "out", "sweep", "sweep directory: one run directory per run, and "+experiment.ManifestFile)
	fs.IntVar(&f.parallel, "parallel", 0, "runs at once (0: one per core)")
	fs.IntVar(&f.threads, "threads", 0, "threads per run (0: cores / runs at once, at least 1); results do not depend on it")
	fs.StringVar(&f.shard, "shard", "0/1", "i/n: run only the runs whose index in the grid is i mod n")
	fs.BoolVar(&f.list, "list", false, "print this shard's runs (index in the grid, name) and exit")
}

// buildGrid reads --grid when given and applies the explicit flags.
func (f *sweepFlags) buildGrid(set map[string]bool) (experiment.Grid, error) {
	g := experiment.DefaultGrid()
	if f.grid != "" {
		var err error
		if g, err = experiment.ReadGrid(f.grid); err != nil {
			return g, fmt.Errorf("--grid: %w", err)
		}
	}
	lists := map[string]string{"methods": f.methods, "configs": f.configs, "seeds": f.seeds, "lr": f.lr, "tau": f.tau,
		"optimizer": f.optimizer, "K": f.k, "eta": f.eta, "tau2": f.tau2, "alpha": f.alpha, "noise": f.noise, "gap": f.gap}
	for _, key := range experiment.GridLists {
		if set[key] {
			if err := g.Set(key, lists[key]); err != nil {
				return g, fmt.Errorf("--%w", err)
			}
		}
	}
	if set["epochs"] {
		g.Epochs = f.epochs
	}
	if set["batch"] {
		g.Batch = f.batch
	}
	if set["leaky"] {
		g.Leaky = f.leaky
	}
	if set["preset"] {
		g.Preset = &f.preset
	}
	return g, nil
}

func runSweep(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sweep", "[flags]", stderr)
	var f sweepFlags
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	g, err := f.buildGrid(set)
	if err != nil {
		return usageErr(fs, "%v", err)
	}
	runs, err := g.Expand()
	if err != nil {
		return usageErr(fs, "%v", err)
	}
	shard, shards, err := experiment.ParseShard(f.shard)
	if err != nil {
		return usageErr(fs, "%v", err)
	}
	switch {
	case f.parallel < 0:
		return usageErr(fs, "--parallel=%d must be >= 0", f.parallel)
	case f.threads < 0 || f.threads > kernels.MaxThreads:
		return usageErr(fs, "--threads=%d must be in 0..%d", f.threads, kernels.MaxThreads)
	}
	mine := experiment.ShardIndices(len(runs), shard, shards)
	if f.list {
		for _, i := range mine {
			fmt.Fprintf(stdout, "%d\t%s\n", i, runs[i].Name)
		}
		return nil
	}
	data, err := loadMNISTFlag(fs, f.data)
	if err != nil {
		return err
	}
	if g.Batch > data.Train.N {
		return usageErr(fs, "--batch=%d is larger than the %d training images", g.Batch, data.Train.N)
	}
	if err := checkWritableDir(f.out); err != nil {
		return usageErr(fs, "--out: %v", err)
	}
	cores := runtime.GOMAXPROCS(0)
	parallel := f.parallel
	if parallel == 0 {
		parallel = cores
	}
	parallel = max(1, min(parallel, len(mine)))
	threads := f.threads
	if threads == 0 {
		threads = max(1, cores/parallel)
	}
	log := experiment.SyncWriter(stderr)
	ctx, stop := interruptContext(log)
	defer stop()
	fmt.Fprintf(log, "sweep: %d runs in the grid, %d in shard %d/%d; %d at once with %d threads each; outputs in %s\n",
		len(runs), len(mine), shard, shards, parallel, threads, f.out)
	res, err := experiment.Sweep(ctx, experiment.SweepOptions{Dir: f.out, Grid: g, Shard: shard, Shards: shards,
		Parallel: parallel, Threads: threads, Data: data, Log: log, LossPlot: lossPlot})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sweep: shard %d/%d: %d runs: %d trained, %d already finished, %d held by another process, %d failed, %d not started\n",
		shard, shards, len(mine), len(res.Trained), len(res.Finished), len(res.Held), len(res.Failed), len(res.NotStarted))
	switch {
	case len(res.Failed) > 0:
		return fmt.Errorf("%d of %d runs failed: %s", len(res.Failed), len(mine), strings.Join(res.Failed, ", "))
	case ctx.Err() != nil:
		fmt.Fprintf(log, "sweep interrupted: %d runs not finished; rerun the same command to continue\n",
			len(res.Interrupted)+len(res.NotStarted))
		return errInterrupted
	}
	return nil
}
