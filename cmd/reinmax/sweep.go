package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/experiment"
	"github.com/discretegrad/reinmax/internal/atomicfile"
	"github.com/discretegrad/reinmax/kernels"
	"github.com/discretegrad/reinmax/vae"
)

// manifestFile is the expanded grid, written atomically into the sweep
// directory before any run starts.
const manifestFile = "sweep.json"

// maxGridRuns bounds the expanded grid so a typo in a list cannot make a
// sweep allocate without end.
const maxGridRuns = 1 << 20

// sweepGrid is a sweep's grid: the JSON file of --grid (decoded with
// DisallowUnknownFields) and the flags, explicit flags overriding the file.
// The runs are methods × configs × every non-empty hyper-parameter list ×
// seeds. An empty list means one value: for lr, tau and optimizer the
// preset's (with Preset), else train's default.
type sweepGrid struct {
	Methods   []string  `json:"methods"`
	Configs   []string  `json:"configs"` // "CxL", e.g. "8x4" (C categories, L latents)
	Seeds     seedList  `json:"seeds"`   // [0, 1, 2] or "0-9,12"
	LR        []float64 `json:"lr,omitempty"`
	Tau       []float64 `json:"tau,omitempty"`
	Optimizer []string  `json:"optimizer,omitempty"`
	K         []int     `json:"K,omitempty"`
	Eta       []float64 `json:"eta,omitempty"`
	Tau2      []float64 `json:"tau2,omitempty"`
	Alpha     []float64 `json:"alpha,omitempty"`
	Noise     []string  `json:"noise,omitempty"`
	Gap       []float64 `json:"gap,omitempty"`
	Epochs    int       `json:"epochs"`
	Batch     int       `json:"batch"`
	Leaky     bool      `json:"leaky"`
	// Preset is nil when not given (true, and a missing table entry falls
	// back to train's defaults, as train does); given true, a missing entry
	// is an error.
	Preset *bool `json:"preset,omitempty"`
}

func defaultGrid() sweepGrid {
	return sweepGrid{Methods: []string{"reinmax-rao"}, Configs: []string{"8x4"}, Seeds: seedList{0},
		Epochs: 160, Batch: vae.DefaultBatch}
}

// seedList is a list of seeds; in JSON a list of numbers or a string in the
// flag's syntax ("0-9,12").
type seedList []uint64

// UnmarshalJSON accepts [0, 1, 2] and "0-2".
func (s *seedList) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		v, err := parseSeeds(str)
		*s = v
		return err
	}
	var v []uint64
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("seeds: want a list of non-negative integers or a string like \"0-9\": %v", err)
	}
	*s = v
	return nil
}

// parseSeeds reads "0-9,12,20-22".
func parseSeeds(s string) (seedList, error) {
	var out seedList
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(strings.TrimSpace(lo), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("seeds %q: %q is not a seed or a range like 0-9", s, part)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(strings.TrimSpace(hi), 10, 64); err != nil || b < a {
				return nil, fmt.Errorf("seeds %q: %q is not a range like 0-9", s, part)
			}
		}
		if b-a >= maxGridRuns {
			return nil, fmt.Errorf("seeds %q: range %q holds more than %d seeds", s, part, maxGridRuns)
		}
		for v := a; ; v++ {
			out = append(out, v)
			if v == b {
				break
			}
		}
	}
	return out, nil
}

// parseCxL reads "8x4" (or "8×4"): C categories, L latents.
func parseCxL(s string) (c, l int, err error) {
	s = strings.TrimSpace(s)
	cs, ls, ok := strings.Cut(strings.ToLower(strings.ReplaceAll(s, "×", "x")), "x")
	if ok {
		c, err = strconv.Atoi(cs)
		if err == nil {
			l, err = strconv.Atoi(ls)
		}
	}
	if !ok || err != nil {
		return 0, 0, fmt.Errorf("config %q is not CxL (C categories, L latents), e.g. 8x4", s)
	}
	return c, l, nil
}

// sweepRun is one run of the grid.
type sweepRun struct {
	Name   string     `json:"name"`   // the run directory under the sweep directory, from the parameters
	Epochs int        `json:"epochs"` // the total to reach
	Config vae.Config `json:"config"` // canonical (experiment.Canonical), Threads 0
}

// fmtFloat is the shortest decimal that reads back as v.
func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// runName names a canonical configuration: method, CxL, lr, tau,
// optimizer, the parameters that differ from train's defaults, seed; e.g.
// reinmax-rao-8x4-lr0.0005-tau1-adam-seed0 or
// reinmax-cv-8x4-lr0.0005-tau1.3-adam-eta0.3-seed2. Distinct configurations
// get distinct names (each field is either omitted, meaning its default, or
// written exactly).
func runName(c vae.Config) string {
	e := c.Estimator
	var b strings.Builder
	fmt.Fprintf(&b, "%s-%dx%d-lr%s-tau%s-%s", e.Method, c.C, c.L, fmtFloat(c.LR), fmtFloat(e.Tau), c.Optimizer)
	for _, p := range extraParams(c) {
		b.WriteString("-" + p[0] + p[1])
	}
	fmt.Fprintf(&b, "-seed%d", c.Seed)
	return b.String()
}

// extraParams lists the parameters of a canonical c that differ from
// train's defaults, as (name, value) pairs in a fixed order.
func extraParams(c vae.Config) [][2]string {
	e, d := c.Estimator, estimators.DefaultConfig(c.Estimator.Method)
	var out [][2]string
	if e.K != d.K {
		out = append(out, [2]string{"K", strconv.Itoa(e.K)})
	}
	if e.Eta != d.Eta {
		out = append(out, [2]string{"eta", fmtFloat(e.Eta)})
	}
	if e.Tau2 != 0 {
		out = append(out, [2]string{"tau2", fmtFloat(e.Tau2)})
	}
	if e.Noise != d.Noise {
		out = append(out, [2]string{"noise", e.Noise})
	}
	if e.Alpha != d.Alpha {
		out = append(out, [2]string{"alpha", fmtFloat(e.Alpha)})
	}
	if e.Gap != d.Gap {
		out = append(out, [2]string{"gap", fmtFloat(e.Gap)})
	}
	if c.Batch != vae.DefaultBatch {
		out = append(out, [2]string{"batch", strconv.Itoa(c.Batch)})
	}
	if c.LeakyReLU {
		out = append(out, [2]string{"leaky", ""})
	}
	return out
}

// compareRuns is the grid's order: method, C, L, lr, tau, optimizer, the
// other parameters, and the seed last, so that shards (index mod n) share
// every setting's seeds out evenly.
func compareRuns(a, b vae.Config) int {
	ea, eb := a.Estimator, b.Estimator
	return cmp.Or(cmp.Compare(ea.Method, eb.Method), cmp.Compare(a.C, b.C), cmp.Compare(a.L, b.L),
		cmp.Compare(a.LR, b.LR), cmp.Compare(ea.Tau, eb.Tau), cmp.Compare(a.Optimizer, b.Optimizer),
		cmp.Compare(ea.K, eb.K), cmp.Compare(ea.Eta, eb.Eta), cmp.Compare(ea.Tau2, eb.Tau2),
		cmp.Compare(ea.Noise, eb.Noise), cmp.Compare(ea.Alpha, eb.Alpha), cmp.Compare(ea.Gap, eb.Gap),
		cmp.Compare(a.Batch, b.Batch), boolCompare(a.LeakyReLU, b.LeakyReLU), cmp.Compare(a.Seed, b.Seed))
}

func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}

// cross returns every configuration of cfgs combined with every value of
// vals (cfgs itself when vals is empty).
func cross[T any](cfgs []vae.Config, vals []T, set func(*vae.Config, T)) []vae.Config {
	if len(vals) == 0 {
		return cfgs
	}
	out := make([]vae.Config, 0, len(cfgs)*len(vals))
	for _, c := range cfgs {
		for _, v := range vals {
			set(&c, v)
			out = append(out, c)
		}
	}
	return out
}

// expand checks the grid and returns its runs, canonical, without
// duplicates, in the grid's order (compareRuns). Errors name the field and
// the value (and the run for a configuration vae.Config refuses).
func (g *sweepGrid) expand() ([]sweepRun, error) {
	switch {
	case len(g.Methods) == 0:
		return nil, errors.New("methods: the list is empty")
	case len(g.Configs) == 0:
		return nil, errors.New("configs: the list is empty")
	case len(g.Seeds) == 0:
		return nil, errors.New("seeds: the list is empty")
	case g.Epochs < 0:
		return nil, fmt.Errorf("epochs=%d must be >= 0", g.Epochs)
	case g.Batch < 1:
		return nil, fmt.Errorf("batch=%d must be >= 1", g.Batch)
	}
	// Every value is checked with its run (ValidateExplicit below).
	size := 1.0
	for _, n := range []int{len(g.Methods), len(g.Configs), len(g.Seeds), len(g.LR), len(g.Tau), len(g.Optimizer),
		len(g.K), len(g.Eta), len(g.Tau2), len(g.Alpha), len(g.Noise), len(g.Gap)} {
		size *= float64(max(n, 1))
	}
	if size > maxGridRuns {
		return nil, fmt.Errorf("the grid holds %.0f runs, more than %d", size, maxGridRuns)
	}

	var cfgs []vae.Config
	for _, m := range g.Methods {
		for _, cl := range g.Configs {
			c, l, err := parseCxL(cl)
			if err != nil {
				return nil, err
			}
			cfg := vae.Config{C: c, L: l, Batch: g.Batch, Estimator: estimators.DefaultConfig(m), Optimizer: "adam", LR: 5e-4,
				LeakyReLU: g.Leaky}
			if g.Preset == nil || *g.Preset {
				ps, err := vae.PresetFor(m, c, l)
				switch {
				case err == nil:
					cfg.LR, cfg.Estimator.Tau, cfg.Optimizer = ps.LR, ps.Tau, ps.Optimizer
				case g.Preset != nil:
					return nil, fmt.Errorf("preset: %v", err)
				}
			}
			cfgs = append(cfgs, cfg)
		}
	}
	cfgs = cross(cfgs, g.LR, func(c *vae.Config, v float64) { c.LR = v })
	cfgs = cross(cfgs, g.Tau, func(c *vae.Config, v float64) { c.Estimator.Tau = v })
	cfgs = cross(cfgs, g.Optimizer, func(c *vae.Config, v string) { c.Optimizer = v })
	cfgs = cross(cfgs, g.K, func(c *vae.Config, v int) { c.Estimator.K = v })
	cfgs = cross(cfgs, g.Eta, func(c *vae.Config, v float64) { c.Estimator.Eta = v })
	cfgs = cross(cfgs, g.Tau2, func(c *vae.Config, v float64) { c.Estimator.Tau2 = v })
	cfgs = cross(cfgs, g.Alpha, func(c *vae.Config, v float64) { c.Estimator.Alpha = v })
	cfgs = cross(cfgs, g.Noise, func(c *vae.Config, v string) { c.Estimator.Noise = v })
	cfgs = cross(cfgs, g.Gap, func(c *vae.Config, v float64) { c.Estimator.Gap = v })
	cfgs = cross(cfgs, g.Seeds, func(c *vae.Config, v uint64) { c.Seed = v })

	seen := make(map[vae.Config]bool, len(cfgs))
	runs := make([]sweepRun, 0, len(cfgs))
	for _, c := range cfgs {
		if err := c.ValidateExplicit(); err != nil {
			return nil, fmt.Errorf("run %s: %v", runName(c), err)
		}
		c = experiment.Canonical(c)
		if seen[c] {
			continue
		}
		seen[c] = true
		runs = append(runs, sweepRun{Name: runName(c), Epochs: g.Epochs, Config: c})
	}
	slices.SortFunc(runs, func(a, b sweepRun) int { return compareRuns(a.Config, b.Config) })
	return runs, nil
}

// parseShard reads "i/n" (0 <= i < n).
func parseShard(s string) (i, n int, err error) {
	is, ns, ok := strings.Cut(s, "/")
	if ok {
		if i, err = strconv.Atoi(is); err == nil {
			n, err = strconv.Atoi(ns)
		}
	}
	if !ok || err != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("--shard=%q must be i/n with 0 <= i < n", s)
	}
	return i, n, nil
}

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
	fs.StringVar(&f.methods, "methods", "reinmax-rao", "comma-separated estimators: "+strings.Join(estimators.Methods(), ", "))
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
	fs.BoolVar(&f.preset, "preset", true, "take lr, tau and optimizer from the spec's table for (method, C, L) unless listed")
	fs.StringVar(&f.data, "data", "", "directory with the four MNIST idx .gz files (default: the GoMNIST module's copy)")
	fs.StringVar(&f.out, "out", "sweep", "sweep directory: one run directory per run, and "+manifestFile)
	fs.IntVar(&f.parallel, "parallel", 0, "runs at once (0: one per core)")
	fs.IntVar(&f.threads, "threads", 0, "threads per run (0: cores / runs at once, at least 1); results do not depend on it")
	fs.StringVar(&f.shard, "shard", "0/1", "i/n: run only the runs whose index in the grid is i mod n")
	fs.BoolVar(&f.list, "list", false, "print this shard's runs (index in the grid, name) and exit")
}

// buildGrid decodes --grid when given and applies the explicit flags.
func (f *sweepFlags) buildGrid(set map[string]bool) (sweepGrid, error) {
	g := defaultGrid()
	if f.grid != "" {
		raw, err := os.ReadFile(f.grid)
		if err != nil {
			return g, fmt.Errorf("--grid: %w", err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&g); err != nil {
			return g, fmt.Errorf("--grid %s: %w", f.grid, err)
		}
	}
	strs := func(s string) []string {
		var out []string
		for _, v := range strings.Split(s, ",") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
		return out
	}
	floats := func(name, s string, dst *[]float64) error {
		*dst = nil
		for _, v := range strs(s) {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return fmt.Errorf("--%s: %q is not a number", name, v)
			}
			*dst = append(*dst, x)
		}
		return nil
	}
	apply := map[string]func() error{
		"methods":   func() error { g.Methods = strs(f.methods); return nil },
		"configs":   func() error { g.Configs = strs(f.configs); return nil },
		"seeds":     func() (err error) { g.Seeds, err = parseSeeds(f.seeds); return err },
		"lr":        func() error { return floats("lr", f.lr, &g.LR) },
		"tau":       func() error { return floats("tau", f.tau, &g.Tau) },
		"optimizer": func() error { g.Optimizer = strs(f.optimizer); return nil },
		"eta":       func() error { return floats("eta", f.eta, &g.Eta) },
		"tau2":      func() error { return floats("tau2", f.tau2, &g.Tau2) },
		"alpha":     func() error { return floats("alpha", f.alpha, &g.Alpha) },
		"noise":     func() error { g.Noise = strs(f.noise); return nil },
		"gap":       func() error { return floats("gap", f.gap, &g.Gap) },
		"K": func() error {
			g.K = nil
			for _, v := range strs(f.k) {
				k, err := strconv.Atoi(v)
				if err != nil {
					return fmt.Errorf("--K: %q is not an integer", v)
				}
				g.K = append(g.K, k)
			}
			return nil
		},
		"epochs": func() error { g.Epochs = f.epochs; return nil },
		"batch":  func() error { g.Batch = f.batch; return nil },
		"leaky":  func() error { g.Leaky = f.leaky; return nil },
		"preset": func() error { g.Preset = &f.preset; return nil },
	}
	for _, name := range slices.Sorted(maps.Keys(apply)) {
		if set[name] {
			if err := apply[name](); err != nil {
				return g, err
			}
		}
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
	runs, err := g.expand()
	if err != nil {
		return usageErr(fs, "%v", err)
	}
	shard, shards, err := parseShard(f.shard)
	if err != nil {
		return usageErr(fs, "%v", err)
	}
	switch {
	case f.parallel < 0:
		return usageErr(fs, "--parallel=%d must be >= 0", f.parallel)
	case f.threads < 0 || f.threads > kernels.MaxThreads:
		return usageErr(fs, "--threads=%d must be in 0..%d", f.threads, kernels.MaxThreads)
	}
	var mine []int // indices into runs of this shard's runs
	for i := shard; i < len(runs); i += shards {
		mine = append(mine, i)
	}
	if f.list {
		for _, i := range mine {
			fmt.Fprintf(stdout, "%d\t%s\n", i, runs[i].Name)
		}
		return nil
	}
	if err := checkWritableDir(f.out); err != nil {
		return usageErr(fs, "--out: %v", err)
	}
	data, err := loadMNIST(f.data)
	if err != nil {
		return err
	}
	if g.Batch > data.Train.N {
		return usageErr(fs, "--batch=%d is larger than the %d training images", g.Batch, data.Train.N)
	}
	if err := writeManifest(f.out, g, runs); err != nil {
		return err
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
	log := &lockedWriter{w: stderr}
	ctx, stop := interruptContext(log)
	defer stop()
	s := &sweeper{out: f.out, data: data, threads: threads, log: log, total: len(runs)}
	fmt.Fprintf(log, "sweep: %d runs in the grid, %d in shard %d/%d; %d at once with %d threads each; outputs in %s\n",
		len(runs), len(mine), shard, shards, parallel, threads, f.out)
	res := s.execute(ctx, runs, mine, parallel)
	fmt.Fprintf(stdout, "sweep: shard %d/%d: %d runs: %d trained, %d already finished, %d held by another process, %d failed, %d not started\n",
		shard, shards, len(mine), len(res.trained), len(res.skipped), len(res.held), len(res.failed), len(res.notStarted))
	switch {
	case len(res.failed) > 0:
		return fmt.Errorf("%d of %d runs failed: %s", len(res.failed), len(mine), strings.Join(res.failed, ", "))
	case ctx.Err() != nil:
		fmt.Fprintf(log, "sweep interrupted: %d runs not finished; rerun the same command to continue\n",
			len(res.interrupted)+len(res.notStarted))
		return errInterrupted
	}
	return nil
}

// sweepManifest is sweep.json: the grid of the latest invocation and every
// run any invocation on this directory has planned (union by name, in the
// grid's order), so report can list the runs not started yet.
type sweepManifest struct {
	Grid sweepGrid  `json:"grid"`
	Runs []sweepRun `json:"runs"`
}

// writeManifest merges runs into dir's manifest and writes it atomically,
// under dir's lock, so that concurrent sweeps never lose each other's runs.
func writeManifest(dir string, g sweepGrid, runs []sweepRun) error {
	lock, err := experiment.WaitLockDir(dir)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	if _, err := atomicfile.RemoveStale(dir); err != nil {
		return err
	}
	m := sweepManifest{Grid: g, Runs: slices.Clone(runs)}
	old, err := readManifest(dir)
	if err != nil {
		return err
	}
	if old != nil {
		have := make(map[string]bool, len(runs))
		for _, r := range runs {
			have[r.Name] = true
		}
		for _, r := range old.Runs {
			if !have[r.Name] {
				m.Runs = append(m.Runs, r)
			}
		}
		slices.SortFunc(m.Runs, func(a, b sweepRun) int { return compareRuns(a.Config, b.Config) })
	}
	return experiment.WriteJSON(filepath.Join(dir, manifestFile), m)
}

// readManifest returns dir's manifest, or nil when there is none.
func readManifest(dir string) (*sweepManifest, error) {
	path := filepath.Join(dir, manifestFile)
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m sweepManifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return &m, nil
}

// sweeper runs the runs of one shard.
type sweeper struct {
	out     string
	data    *vae.MNIST
	threads int
	log     *lockedWriter
	total   int // runs in the grid, for the log lines
}

// sweepResult lists the names of the runs by outcome.
type sweepResult struct {
	trained, skipped, held, failed, interrupted, notStarted []string
}

// execute runs runs[i] for i in mine on parallel workers, in order, and
// starts no new run once ctx is cancelled.
func (s *sweeper) execute(ctx context.Context, runs []sweepRun, mine []int, parallel int) sweepResult {
	outcomes := make([]runOutcome, len(mine))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for j := range jobs {
				if ctx.Err() != nil {
					outcomes[j] = outcomeNotStarted
					continue
				}
				outcomes[j] = s.runOne(ctx, mine[j], runs[mine[j]])
			}
		})
	}
feed:
	for j := range mine {
		select {
		case jobs <- j:
		case <-ctx.Done():
			for k := j; k < len(mine); k++ {
				outcomes[k] = outcomeNotStarted
			}
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	var res sweepResult
	for j, o := range outcomes {
		name := runs[mine[j]].Name
		switch o {
		case outcomeTrained:
			res.trained = append(res.trained, name)
		case outcomeSkipped:
			res.skipped = append(res.skipped, name)
		case outcomeHeld:
			res.held = append(res.held, name)
		case outcomeFailed:
			res.failed = append(res.failed, name)
		case outcomeInterrupted:
			res.interrupted = append(res.interrupted, name)
		default:
			res.notStarted = append(res.notStarted, name)
		}
	}
	return res
}

type runOutcome int

const (
	outcomeNotStarted runOutcome = iota
	outcomeTrained
	outcomeSkipped
	outcomeFailed
	outcomeInterrupted
	outcomeHeld // another process holds the run directory
)

// runOne trains one run: skipped when it has finished its epochs or when
// another process holds its directory, resumed from its checkpoint when it
// has one, started afresh otherwise (experiment.Continue). Errors are
// logged; the sweep goes on.
func (s *sweeper) runOne(ctx context.Context, index int, r sweepRun) runOutcome {
	dir := filepath.Join(s.out, r.Name)
	tag := fmt.Sprintf("[%d/%d] %s", index+1, s.total, r.Name)
	cfg := r.Config
	cfg.Threads = s.threads
	start := time.Now()
	o := experiment.Options{Dir: dir, Config: cfg, Epochs: r.Epochs, Mode: experiment.Continue, Data: s.data,
		Log: &prefixWriter{lw: s.log, prefix: tag + ": "}}
	err := trainRun(ctx, o, true, io.Discard, &prefixWriter{lw: s.log, prefix: tag + ": "})
	switch {
	case errors.Is(err, experiment.ErrFinished):
		return outcomeSkipped
	case errors.Is(err, experiment.ErrLocked):
		fmt.Fprintf(s.log, "%s: skipped: %v\n", tag, err)
		return outcomeHeld
	case errors.Is(err, errInterrupted):
		return outcomeInterrupted
	case err != nil:
		fmt.Fprintf(s.log, "%s: failed after %s: %v\n", tag, time.Since(start).Round(time.Second), err)
		return outcomeFailed
	}
	return outcomeTrained
}

// lockedWriter serialises the writes of concurrent runs to one stream.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// prefixWriter writes each non-empty line with a run's prefix, so the
// messages of runs working side by side stay apart.
type prefixWriter struct {
	lw      *lockedWriter
	prefix  string
	midLine bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.lw.mu.Lock()
	defer p.lw.mu.Unlock()
	var buf bytes.Buffer
	for rest := b; len(rest) > 0; {
		line, after, nl := bytes.Cut(rest, []byte{'\n'})
		rest = after
		if len(line) > 0 && !p.midLine {
			buf.WriteString(p.prefix)
		}
		buf.Write(line)
		switch {
		case nl && (len(line) > 0 || p.midLine):
			buf.WriteByte('\n')
			p.midLine = false
		case !nl:
			p.midLine = len(line) > 0 || p.midLine
		}
	}
	if _, err := p.lw.w.Write(buf.Bytes()); err != nil {
		return 0, err
	}
	return len(b), nil
}
