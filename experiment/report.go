package experiment

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/vae"
)

// RunResult is one run of a sweep directory as ReadReport reads it.
type RunResult struct {
	Name    string
	Config  vae.Config    // canonical (Canonical)
	Summary *Summary      // nil when the run is excluded
	Curve   []EpochRecord // the finished run's metrics.jsonl
	Done    int           // epochs finished (consecutive records in metrics.jsonl)
	Target  int           // epochs the manifest asks for, 0 when unknown
	Why     string        // why an excluded run is excluded
	// CollapsedEpoch is the epoch from which the finished run had
	// collapsed (Summary.CollapsedEpoch), 0 when it had not.
	CollapsedEpoch int
	// Recovered is the number of epochs a finished run that did not end
	// collapsed spent collapsed on the way, 0 when it never collapsed.
	// Such runs train normally afterwards but lose the epochs they spent
	// collapsed: in the 8×4 runs of this project's results, those
	// collapsed for 7 epochs or more ended 1.4 to 2.8 nats above the
	// seeds that never collapsed.
	Recovered int
}

// MeanSE is a sample's size, mean and standard error of the mean (sample
// standard deviation with n - 1, divided by √n; NaN when n < 2).
type MeanSE struct {
	N        int
	Mean, SE float64
}

// NewMeanSE summarises xs.
func NewMeanSE(xs []float64) MeanSE {
	s := MeanSE{N: len(xs), Mean: math.NaN(), SE: math.NaN()}
	if s.N == 0 {
		return s
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	s.Mean = sum / float64(s.N)
	if s.N > 1 {
		ss := 0.0
		for _, x := range xs {
			ss += (x - s.Mean) * (x - s.Mean)
		}
		s.SE = math.Sqrt(ss/float64(s.N-1)) / math.Sqrt(float64(s.N))
	}
	return s
}

// String is "mean ± se" with two decimals ("mean ± –" for one seed).
func (s MeanSE) String() string {
	if math.IsNaN(s.SE) {
		return fmt.Sprintf("%.2f ± –", s.Mean)
	}
	return fmt.Sprintf("%.2f ± %.2f", s.Mean, s.SE)
}

// Group is one setting: the finished runs that differ only in seed.
type Group struct {
	Config vae.Config // canonical, Seed 0
	Epochs int
	Runs   []*RunResult // by seed
	// Collapsed counts the runs that ended in posterior collapse; they are
	// left out of Train and Test unless ReportOptions.IncludeCollapsed.
	Collapsed int
	// Recovered counts the runs that collapsed early and left it
	// (RunResult.Recovered); they are kept in Train and Test unless
	// ReportOptions.ExcludeRecovered.
	Recovered   int
	Train, Test MeanSE // of the final epoch's losses over the runs
	// Selected marks the group with the lowest mean final train loss among
	// those of its method and C×L (the selection rule).
	Selected bool
	// Published is the published result of the group's method and C×L,
	// for a selected group when one was given; TrainZ and TestZ are the
	// differences (ours minus published) in units of the combined standard
	// error, NaN when either side has none.
	Published     *Published
	TrainZ, TestZ float64
}

// ReportOptions are ReadReport's choices.
type ReportOptions struct {
	// IncludeCollapsed keeps collapsed runs in the means.
	IncludeCollapsed bool
	// ExcludeRecovered leaves the runs that collapsed early and recovered
	// out of the means.
	ExcludeRecovered bool
	// Published, if not nil, are the results to compare with
	// (PublishedResults, ReadPublished); each selected setting is matched
	// by method and C×L.
	Published []Published
	// Methods, if not empty, keeps only the runs of these methods (for
	// example to leave a diverged method out of a plot's scale).
	Methods []estimators.Method
}

// Report is a sweep directory read and aggregated: the data behind the
// markdown and CSV renderings (Markdown, CSV) and the command's plots.
type Report struct {
	Options  ReportOptions
	Dir      string
	Groups   []*Group     // by config (configOrder), method (methodOrder), then CompareRuns
	Excluded []*RunResult // by name
	Finished int
	Configs  [][2]int            // C, L of the groups, in configOrder
	Methods  []estimators.Method // methods of the groups, in methodOrder
}

// methodOrder sorts methods as estimators.Methods lists them, unknown ones
// last by name.
func methodOrder(a, b estimators.Method) int {
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
// the order of the preset table (8×4, 4×24, 8×16, 16×12, 64×8, 10×30, 32×32).
func configOrder(a, b [2]int) int {
	bits := func(c [2]int) float64 { return float64(c[1]) * math.Log2(float64(c[0])) }
	return cmp.Or(cmp.Compare(math.Round(bits(a)*1e6), math.Round(bits(b)*1e6)), cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
}

// ReadReport reads every run directory under dir (a subdirectory holding
// config.json or summary.json, or named in the manifest) and groups the
// finished runs. A run is finished when its summary.json is readable and
// has the epochs the manifest asks for; the others are excluded with the
// reason.
func ReadReport(dir string, opts ReportOptions) (*Report, error) {
	runs, err := readRuns(dir)
	if err != nil {
		return nil, err
	}
	if len(opts.Methods) > 0 {
		runs = slices.DeleteFunc(runs, func(r *RunResult) bool {
			return !slices.Contains(opts.Methods, r.Config.Estimator.Method)
		})
	}
	d := &Report{Dir: dir, Options: opts}
	d.group(runs)
	d.summarise()
	return d, nil
}

// readRuns reads the runs of a sweep directory: its run directories, and
// the manifest's runs that have none yet ("not started (no run directory)").
func readRuns(dir string) ([]*RunResult, error) {
	man, err := ReadManifest(dir)
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
	seen := map[string]bool{}
	var runs []*RunResult
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		sub := filepath.Join(dir, e.Name())
		_, inManifest := target[e.Name()]
		if !inManifest && !exists(filepath.Join(sub, ConfigFile)) && !exists(filepath.Join(sub, SummaryFile)) {
			continue
		}
		seen[e.Name()] = true
		runs = append(runs, readRun(sub, e.Name(), target[e.Name()]))
	}
	if man != nil {
		for _, r := range man.Runs {
			if !seen[r.Name] {
				runs = append(runs, &RunResult{Name: r.Name, Config: Canonical(r.Config), Target: r.Epochs, Why: "not started (no run directory)"})
			}
		}
	}
	return runs, nil
}

// group sorts the finished runs into settings (configuration but seed, and
// epochs) and the others into Excluded, both in the report's order.
func (d *Report) group(runs []*RunResult) {
	type key struct {
		cfg    vae.Config
		epochs int
	}
	byKey := map[key]*Group{}
	for _, r := range runs {
		if r.Summary == nil {
			d.Excluded = append(d.Excluded, r)
			continue
		}
		d.Finished++
		c := r.Config
		c.Seed = 0
		k := key{c, r.Summary.Epochs}
		g := byKey[k]
		if g == nil {
			g = &Group{Config: c, Epochs: r.Summary.Epochs}
			byKey[k] = g
			d.Groups = append(d.Groups, g)
		}
		g.Runs = append(g.Runs, r)
	}
	slices.SortFunc(d.Excluded, func(a, b *RunResult) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(d.Groups, func(a, b *Group) int {
		return cmp.Or(configOrder([2]int{a.Config.C, a.Config.L}, [2]int{b.Config.C, b.Config.L}),
			methodOrder(a.Config.Estimator.Method, b.Config.Estimator.Method), CompareRuns(a.Config, b.Config),
			cmp.Compare(a.Epochs, b.Epochs))
	})
	for _, g := range d.Groups {
		slices.SortFunc(g.Runs, func(a, b *RunResult) int { return cmp.Compare(a.Config.Seed, b.Config.Seed) })
	}
}

// summarise computes each setting's statistics over its seeds (collapsed
// runs apart unless IncludeCollapsed), applies the selection rule (per
// method and C×L, the lowest mean final train loss) and compares the
// selected settings with the published results.
func (d *Report) summarise() {
	best := map[string]*Group{}
	for _, g := range d.Groups {
		var tr, te []float64
		for _, r := range g.Runs {
			if r.CollapsedEpoch > 0 {
				g.Collapsed++
				if !d.Options.IncludeCollapsed {
					continue
				}
			} else if r.Recovered > 0 {
				g.Recovered++
				if d.Options.ExcludeRecovered {
					continue
				}
			}
			tr = append(tr, r.Summary.Final.TrainLoss)
			te = append(te, r.Summary.Final.TestLoss)
		}
		g.Train, g.Test = NewMeanSE(tr), NewMeanSE(te)
		k := fmt.Sprintf("%s %dx%d", g.Config.Estimator.Method, g.Config.C, g.Config.L)
		if b := best[k]; b == nil || lessNaNLast(g.Train.Mean, b.Train.Mean) {
			best[k] = g
		}
		if cl := [2]int{g.Config.C, g.Config.L}; !slices.Contains(d.Configs, cl) {
			d.Configs = append(d.Configs, cl)
		}
		if !slices.Contains(d.Methods, g.Config.Estimator.Method) {
			d.Methods = append(d.Methods, g.Config.Estimator.Method)
		}
	}
	for _, g := range best {
		g.Selected = true
		g.TrainZ, g.TestZ = math.NaN(), math.NaN()
		if p := findPublished(d.Options.Published, g.Config.Estimator.Method, g.Config.C, g.Config.L); p != nil {
			g.Published = p
			g.TrainZ, g.TestZ = zScore(g.Train, p.Train), zScore(g.Test, p.Test)
		}
	}
	slices.SortFunc(d.Methods, methodOrder)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// readRun reads one run directory; a run that is not finished gets sum nil
// and the reason in why.
func readRun(dir, name string, target int) *RunResult {
	r := &RunResult{Name: name, Target: target}
	recs, err := ReadMetrics(dir)
	r.Done = len(recs)
	if err != nil {
		r.Why = err.Error()
	}
	if raw, err := os.ReadFile(filepath.Join(dir, "config.json")); err == nil {
		var cfg vae.Config
		if json.Unmarshal(raw, &cfg) == nil {
			r.Config = Canonical(cfg)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if errors.Is(err, os.ErrNotExist) {
		if r.Why == "" {
			r.Why = "no " + SummaryFile
		}
		return r
	}
	var sum Summary
	if err == nil {
		err = json.Unmarshal(raw, &sum)
	}
	switch {
	case err != nil:
		r.Why = fmt.Sprintf("%s: %v", SummaryFile, err)
		return r
	case sum.Epochs == 0:
		r.Why = "no epoch trained"
		return r
	case target > 0 && sum.Epochs < target:
		r.Done = sum.Epochs
		r.Why = fmt.Sprintf("finished %d epochs, the sweep now asks for %d", sum.Epochs, target)
		return r
	}
	r.Config, r.Summary, r.Done, r.Why = Canonical(sum.Config), &sum, sum.Epochs, ""
	r.Curve = sum.Curve
	if recs, err := ReadMetrics(dir); err == nil && len(recs) >= sum.Epochs {
		r.Curve = recs[:sum.Epochs]
	}
	r.CollapsedEpoch = CollapsedEpoch(r.Curve, r.Config.C, r.Config.L)
	if r.CollapsedEpoch == 0 {
		r.Recovered = CollapsedEpochs(r.Curve, r.Config.C, r.Config.L)
	}
	return r
}

// otherParams describes the parameters of a canonical configuration that
// differ from train's defaults ("K=20 eta=0.5"); empty when none do.
func otherParams(c vae.Config) string {
	var parts []string
	for _, p := range ExtraParams(c) {
		if p[1] == "" {
			parts = append(parts, p[0])
		} else {
			parts = append(parts, p[0]+"="+p[1])
		}
	}
	return strings.Join(parts, " ")
}

// markdown writes the paper-style tables.
func (d *Report) Markdown(w io.Writer) {
	fmt.Fprintf(w, "# Sweep report: %s\n\n", d.Dir)
	fmt.Fprintf(w, "%d finished runs in %d settings; %d runs unfinished (listed at the end and excluded).\n", d.Finished,
		len(d.Groups), len(d.Excluded))
	fmt.Fprintf(w, "Values: negative ELBO (nats) after the last epoch, mean ± standard error over seeds "+
		"(sample standard deviation / √n), n seeds in parentheses.\n")
	collapsed, recovered := 0, 0
	for _, g := range d.Groups {
		collapsed += g.Collapsed
		recovered += g.Recovered
	}
	inMeans := func(kept bool) string {
		if kept {
			return "kept in the means"
		}
		return "left out of the means"
	}
	if collapsed > 0 {
		fmt.Fprintf(w, "%d finished runs ended in posterior collapse (the encoder gives every test image the same "+
			"one-hot code); they are %s and counted beside n.\n", collapsed, inMeans(d.Options.IncludeCollapsed))
	}
	if recovered > 0 {
		fmt.Fprintf(w, "%d finished runs collapsed in their first epochs and recovered; they are %s and counted "+
			"beside n as recovered.\n", recovered, inMeans(!d.Options.ExcludeRecovered))
	}
	fmt.Fprintln(w)
	if len(d.Groups) > 0 {
		for _, part := range []struct {
			title string
			stat  func(*Group) MeanSE
		}{
			{"Final train negative ELBO", func(g *Group) MeanSE { return g.Train }},
			{"Final test negative ELBO", func(g *Group) MeanSE { return g.Test }},
		} {
			fmt.Fprintf(w, "## %s\n\n", part.title)
			fmt.Fprintf(w, "Per method and configuration, the setting with the lowest mean final train loss; "+
				"**bold**: the lowest mean per configuration.\n\n")
			d.pivot(w, part.stat)
			fmt.Fprintln(w)
		}
		if d.Options.Published != nil {
			d.againstPublished(w)
		}
		fmt.Fprintf(w, "## Every setting\n\n")
		fmt.Fprintf(w, "| method | C×L | lr | τ | optimizer | other | epochs | n | collapsed | recovered | train | test | selected |\n")
		fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, g := range d.Groups {
			sel := ""
			if g.Selected {
				sel = "✓"
			}
			fmt.Fprintf(w, "| %s | %d×%d | %s | %s | %s | %s | %d | %d | %d | %d | %s | %s | %s |\n", g.Config.Estimator.Method, g.Config.C,
				g.Config.L, fmtFloat(g.Config.LR), fmtFloat(g.Config.Estimator.Tau), g.Config.Optimizer, otherParams(g.Config), g.Epochs,
				g.Train.N, g.Collapsed, g.Recovered, g.Train, g.Test, sel)
		}
		fmt.Fprintln(w)
	}
	if len(d.Excluded) > 0 {
		fmt.Fprintf(w, "## Unfinished runs (excluded)\n\n| run | epochs done | of | why |\n|---|---|---|---|\n")
		for _, r := range d.Excluded {
			of := "?"
			if r.Target > 0 {
				of = strconv.Itoa(r.Target)
			}
			fmt.Fprintf(w, "| %s | %d | %s | %s |\n", r.Name, r.Done, of, r.Why)
		}
		fmt.Fprintln(w)
	}
}

// againstPublished writes each selected setting beside the published
// result of its method and C×L.
func (d *Report) againstPublished(w io.Writer) {
	fmt.Fprintf(w, "## Against the published results\n\n")
	fmt.Fprintf(w, "Δ: ours − published; z: Δ / √(se_ours² + se_published²), – with one seed of ours; **bold** where |z| > 3; "+
		"Δ/s.d.: Δ over the published seed-to-seed standard deviation (se_published·√n_published), defined with one seed of ours too. "+
		"n: our seeds (collapsed and recovered runs beside it), the published seeds after the slash.\n\n")
	fmt.Fprintf(w, "| method | C×L | n | train (ours) | train (published) | Δ | z | Δ/s.d. | test (ours) | test (published) | Δ | z | Δ/s.d. |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	z := func(v float64) string {
		switch {
		case math.IsNaN(v):
			return "–"
		case math.Abs(v) > 3:
			return fmt.Sprintf("**%+.1f**", v)
		}
		return fmt.Sprintf("%+.1f", v)
	}
	for _, g := range d.Groups {
		if !g.Selected {
			continue
		}
		p := g.Published
		n := strconv.Itoa(g.Train.N)
		if note := g.runNotes(); note != "" {
			n += " (" + note + ")"
		}
		if p == nil {
			fmt.Fprintf(w, "| %s | %d×%d | %s | %s | none published | – | – | – | %s | none published | – | – | – |\n",
				g.Config.Estimator.Method, g.Config.C, g.Config.L, n, g.Train, g.Test)
			continue
		}
		sd := func(a, b MeanSE) string {
			if v := spreadScore(a, b); !math.IsNaN(v) {
				return fmt.Sprintf("%+.1f", v)
			}
			return "–"
		}
		fmt.Fprintf(w, "| %s | %d×%d | %s / %d | %s | %s | %+.2f | %s | %s | %s | %s | %+.2f | %s | %s |\n", g.Config.Estimator.Method,
			g.Config.C, g.Config.L, n, p.Seeds, g.Train, p.Train, g.Train.Mean-p.Train.Mean, z(g.TrainZ), sd(g.Train, p.Train),
			g.Test, p.Test, g.Test.Mean-p.Test.Mean, z(g.TestZ), sd(g.Test, p.Test))
	}
	fmt.Fprintln(w)
}

// runNotes says how many of the group's runs collapsed or recovered from a
// collapse ("1 collapsed, 2 recovered"), empty when none did.
func (g *Group) runNotes() string {
	var notes []string
	if g.Collapsed > 0 {
		notes = append(notes, fmt.Sprintf("%d collapsed", g.Collapsed))
	}
	if g.Recovered > 0 {
		notes = append(notes, fmt.Sprintf("%d recovered", g.Recovered))
	}
	return strings.Join(notes, ", ")
}

// pivot writes one table: methods down, configurations across, the
// selected setting's statistic in each cell.
func (d *Report) pivot(w io.Writer, stat func(*Group) MeanSE) {
	fmt.Fprintf(w, "| method |")
	for _, c := range d.Configs {
		fmt.Fprintf(w, " %d×%d |", c[0], c[1])
	}
	fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("---|", len(d.Configs)))
	best := make([]float64, len(d.Configs))
	for i, c := range d.Configs {
		best[i] = math.Inf(1)
		for _, g := range d.Groups {
			if g.Selected && g.Config.C == c[0] && g.Config.L == c[1] {
				best[i] = min(best[i], stat(g).Mean)
			}
		}
	}
	for _, m := range d.Methods {
		fmt.Fprintf(w, "| %s |", m)
		for i, c := range d.Configs {
			cell := "–"
			for _, g := range d.Groups {
				if g.Selected && g.Config.Estimator.Method == m && g.Config.C == c[0] && g.Config.L == c[1] {
					s := stat(g)
					n := strconv.Itoa(s.N)
					if note := g.runNotes(); note != "" {
						n += ", " + note
					}
					cell = fmt.Sprintf("%s (%s)", s, n)
					if s.Mean == best[i] {
						cell = fmt.Sprintf("**%s** (%s)", s, n)
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
func (d *Report) CSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"method", "C", "L", "lr", "tau", "optimizer", "K", "eta", "tau2", "noise", "alpha", "gap", "batch",
		"leaky_relu", "epochs", "n", "seeds", "train_mean", "train_se", "test_mean", "test_se", "selected", "collapsed",
		"published_train_mean", "published_train_se", "published_test_mean", "published_test_se", "train_z", "test_z",
		"train_d_sd", "test_d_sd", "recovered"})
	num := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return fmtFloat(v)
	}
	for _, g := range d.Groups {
		c := g.Config
		e := c.Estimator.WithDefaults()
		seeds := make([]string, len(g.Runs))
		for i, r := range g.Runs {
			seeds[i] = strconv.FormatUint(r.Config.Seed, 10)
		}
		row := []string{string(e.Method), strconv.Itoa(c.C), strconv.Itoa(c.L), fmtFloat(c.LR), fmtFloat(e.Tau), c.Optimizer,
			strconv.Itoa(e.K), fmtFloat(e.Eta), fmtFloat(e.Tau2), e.Noise, fmtFloat(e.Alpha), fmtFloat(e.Gap),
			strconv.Itoa(c.Batch), strconv.FormatBool(c.LeakyReLU), strconv.Itoa(g.Epochs), strconv.Itoa(g.Train.N),
			strings.Join(seeds, " "), num(g.Train.Mean), num(g.Train.SE), num(g.Test.Mean), num(g.Test.SE),
			strconv.FormatBool(g.Selected), strconv.Itoa(g.Collapsed)}
		pub := []string{"", "", "", "", "", "", "", ""}
		if p := g.Published; p != nil {
			pub = []string{num(p.Train.Mean), num(p.Train.SE), num(p.Test.Mean), num(p.Test.SE), num(g.TrainZ), num(g.TestZ),
				num(spreadScore(g.Train, p.Train)), num(spreadScore(g.Test, p.Test))}
		}
		cw.Write(append(append(row, pub...), strconv.Itoa(g.Recovered)))
	}
	cw.Flush()
	return cw.Error()
}
