package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/discretegrad/reinmax/diag"
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/experiment"
	"github.com/discretegrad/reinmax/kernels"
)

// polyReport is poly's JSON output.
type polyReport struct {
	Config  diag.PolyConfig `json:"config"`
	Threads int             `json:"threads"`
	Results []polyResult    `json:"results"`
	Seconds float64         `json:"seconds"`
}

type polyResult struct {
	diag.PolyResult
	Seconds float64 `json:"seconds"`
}

// The quick check that poly runs by default: an eighth of the full
// protocol's 40 × 200 steps (diag.DefaultPolyConfig), well under a minute on
// 2 cores for every method.
const polyQuickEpochs, polyQuickSteps = 10, 100

func runPoly(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("poly", "[flags]", stderr)
	def := diag.DefaultPolyConfig()
	cfg := def
	fs.Float64Var(&cfg.P, "p", def.P, "exponent p of the loss |z - target|^p (> 0; the paper uses 1.5, 2, 3)")
	fs.Float64Var(&cfg.Target, "target", def.Target, "target in (0, 1)")
	full := fs.Bool("full", false, fmt.Sprintf("the paper's protocol, %d epochs of %d steps (default: the quick check, %d of %d)",
		def.Epochs, def.StepsPerEpoch, polyQuickEpochs, polyQuickSteps))
	fs.IntVar(&cfg.Epochs, "epochs", polyQuickEpochs, fmt.Sprintf("epochs (0..%d; %d with --full)", diag.MaxPolyEpochs, def.Epochs))
	fs.IntVar(&cfg.StepsPerEpoch, "steps", polyQuickSteps, fmt.Sprintf("Adam steps per epoch (>= 1; epochs·steps <= %d; %d with --full)",
		diag.MaxPolySteps, def.StepsPerEpoch))
	fs.IntVar(&cfg.Latents, "latents", def.Latents, fmt.Sprintf("binary latents sharing the batch (>= 1; latents·batch <= %d)", diag.MaxPolyRows))
	fs.IntVar(&cfg.Batch, "batch", def.Batch, "independent samples per step (>= 1)")
	fs.Float64Var(&cfg.LR, "lr", def.LR, "Adam learning rate (> 0)")
	fs.Uint64Var(&cfg.Seed, "seed", def.Seed, "seed of the initialisation and of every draw")
	threads := fs.Int("threads", 0, fmt.Sprintf("worker threads (0..%d, 0: GOMAXPROCS); results do not depend on it", kernels.MaxThreads))
	jsonOut := fs.String("json", "", "write the results as JSON to this file")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	ef := diagEstimatorFlags{defaultMethods: "all", allowedHelp: strings.Join(estimators.MethodNames(), ", ")}
	ef.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *full {
		set := map[string]bool{}
		fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
		if !set["epochs"] {
			cfg.Epochs = def.Epochs
		}
		if !set["steps"] {
			cfg.StepsPerEpoch = def.StepsPerEpoch
		}
	}
	cfgs, err := ef.configs(fs, estimators.Methods())
	if err != nil {
		return err
	}
	if *threads < 0 || *threads > kernels.MaxThreads {
		return usageErr(fs, "--threads=%d, need 0..%d (0: GOMAXPROCS)", *threads, kernels.MaxThreads)
	}
	if err := cfg.Validate(); err != nil {
		return usageErr(fs, "%v", err)
	}
	ws := newWorkspace(*threads)
	defer ws.Close()

	start := time.Now()
	rep := polyReport{Config: cfg, Threads: ws.Threads()}
	for i, ec := range cfgs {
		if !*quiet {
			fmt.Fprintf(stderr, "poly [%d/%d] %s: %d steps...\n", i+1, len(cfgs), ec.Method, cfg.Epochs*cfg.StepsPerEpoch)
		}
		t := time.Now()
		res, err := diag.RunPoly(cfg, ec, ws)
		if err != nil {
			return fmt.Errorf("%s: %w", ec.Method, err)
		}
		rep.Results = append(rep.Results, polyResult{PolyResult: res, Seconds: time.Since(t).Seconds()})
		if !*quiet {
			fmt.Fprintf(stderr, "poly [%d/%d] %s: final loss %.5f in %.1fs\n", i+1, len(cfgs), ec.Method, res.Loss,
				time.Since(t).Seconds())
		}
	}
	rep.Seconds = time.Since(start).Seconds()

	fmt.Fprintf(stdout, "# polynomial toy task: p=%g target=%g, %d latents, batch %d, Adam lr %g, %d×%d steps, seed %d; minimum %.5f\n",
		cfg.P, cfg.Target, cfg.Latents, cfg.Batch, cfg.LR, cfg.Epochs, cfg.StepsPerEpoch, cfg.Seed, polyMinLoss(rep))
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "method\ttau\tfinal_loss\texpected_loss\tseconds\t")
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%s\t%g\t%.5f\t%.5f\t%.1f\t\n", r.Method, r.Estimator.Tau, r.Loss, r.ExpectedLoss, r.Seconds)
	}
	tw.Flush()
	if *jsonOut != "" {
		return experiment.WriteJSON(*jsonOut, rep)
	}
	return nil
}

// polyMinLoss is the task's minimal expected loss (the same for every method).
func polyMinLoss(rep polyReport) float64 {
	if len(rep.Results) == 0 {
		return 0
	}
	return rep.Results[0].MinLoss
}
