package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/discretegrad/reinmax/internal/atomicfile"
)

// The summary at the top of BENCHMARKS.md is written by bench/summary.sh:
// it runs `reinmax bench -json`, bench/torch_step.py, bench/blas_sgemm.py
// and one `reinmax train` epoch per case into a directory, and then
// `reinmax bench -summary DIR` turns that directory into markdown with
// ReadSummaryDir and WriteSummary (and ReplaceSummary puts it between the
// markers of BENCHMARKS.md).

// Files of a summary directory (ReadSummaryDir).
const (
	SummaryGoGlob  = "reinmax*.json" // `reinmax bench -json` reports, read in name order
	SummaryTorch   = "torch.jsonl"   // bench/torch_step.py's JSON lines
	SummaryBLAS    = "blas.jsonl"    // bench/blas_sgemm.py's JSON lines
	SummaryEpochs  = "epochs.jsonl"  // EpochTime lines
	SummaryMachine = "machine.json"  // Machine
)

// The markers between which ReplaceSummary puts the summary.
const (
	SummaryBegin = "<!-- bench-summary:begin (bench/summary.sh writes everything up to the end marker) -->"
	SummaryEnd   = "<!-- bench-summary:end -->"
)

// TorchStep is one JSON line of bench/torch_step.py: the median time of a
// PyTorch training step for one configuration, method and thread count.
type TorchStep struct {
	Method    string  `json:"method"`
	C         int     `json:"C"`
	L         int     `json:"L"`
	Optimizer string  `json:"optimizer"`
	Threads   int     `json:"threads"`
	Warmup    int     `json:"warmup"`
	Steps     int     `json:"steps"`
	MedianMs  float64 `json:"median_ms"`
	P10Ms     float64 `json:"p10_ms"`
	P90Ms     float64 `json:"p90_ms"`
	// TestPassMs is one forward pass over the test set (10,000 images in
	// batches of 100, no gradients); 0 when not measured.
	TestPassMs float64 `json:"test_pass_ms"`
	// StepsPerEpoch is the training set's size over the batch (600).
	StepsPerEpoch int    `json:"steps_per_epoch"`
	Torch         string `json:"torch"`
	BLAS          string `json:"blas"`
	BLASCore      string `json:"blas_core"`
	BLASConfig    string `json:"blas_config"`
}

// BLASGemm is one JSON line of bench/blas_sgemm.py: numpy's float32
// matmul (OpenBLAS's SGEMM) at one of the VAE's products.
type BLASGemm struct {
	Product    string  `json:"product"` // "enc1.fwd", as in the sgemm case names
	M          int     `json:"m"`
	N          int     `json:"n"`
	K          int     `json:"k"`
	Threads    int     `json:"threads"`
	NsPerOp    float64 `json:"ns_per_op"`
	GFLOPS     float64 `json:"gflops"`
	Samples    int     `json:"samples"`
	MinTimeS   float64 `json:"min_time_s"`
	Numpy      string  `json:"numpy"`
	BLASCore   string  `json:"blas_core"`
	BLASConfig string  `json:"blas_config"`
}

// EpochTime is one line that bench/summary.sh writes per `reinmax train
// -epochs 1` run: the configuration, method and threads, and the run's
// epoch record (experiment.EpochRecord; the fields read here).
type EpochTime struct {
	C       int    `json:"C"`
	L       int    `json:"L"`
	Method  string `json:"method"`
	Threads int    `json:"threads"`
	Record  struct {
		Seconds      float64 `json:"seconds"`       // steps and test pass
		TrainSeconds float64 `json:"train_seconds"` // steps only
		Step         int     `json:"step"`
	} `json:"record"`
}

// Machine is what bench/summary.sh records about the machine and the
// conditions of the run, beyond the Go report's Environment.
type Machine struct {
	CPUModel  string `json:"cpu_model"`  // lscpu's "Model name"
	CPUFamily string `json:"cpu_family"` // /proc/cpuinfo's family and model
	CPUID     string `json:"cpu_model_id"`
	OS        string `json:"os"` // uname -sr
	// Load is /proc/loadavg's first three fields before the measurements.
	Load string `json:"load_before"`
	// Notes are lines about the conditions: what the script waited for
	// and what it paused.
	Notes []string `json:"notes"`
	// Command is the command that regenerates the summary.
	Command string `json:"command"`
	// Tree is the commit the binary was built from and Modified the
	// tracked files (documents aside) that differed from it.
	Tree     string   `json:"tree"`
	Modified []string `json:"modified"`
}

// SummaryInput is what WriteSummary renders.
type SummaryInput struct {
	Go      []Report
	Torch   []TorchStep
	BLAS    []BLASGemm
	Epochs  []EpochTime
	Machine Machine
}

// UpdateSummary renders the summary directory dir and puts it between the
// markers of the markdown file doc (ReplaceSummary), replacing the file
// atomically.
func UpdateSummary(doc, dir string) error {
	in, err := ReadSummaryDir(dir)
	if err != nil {
		return err
	}
	var md bytes.Buffer
	if err := WriteSummary(&md, in); err != nil {
		return err
	}
	old, err := os.ReadFile(doc)
	if err != nil {
		return err
	}
	out, err := ReplaceSummary(old, md.Bytes())
	if err != nil {
		return fmt.Errorf("%s: %w", doc, err)
	}
	return atomicfile.Write(doc, out)
}

// ReadSummaryDir reads the files of a summary directory (see the Summary*
// constants). At least one Go report is required; the other files may be
// missing, and their columns are then left empty.
func ReadSummaryDir(dir string) (SummaryInput, error) {
	var in SummaryInput
	paths, err := filepath.Glob(filepath.Join(dir, SummaryGoGlob))
	if err != nil {
		return in, err
	}
	if len(paths) == 0 {
		return in, fmt.Errorf("bench.ReadSummaryDir: no %s in %s (run bench/summary.sh)", SummaryGoGlob, dir)
	}
	slices.Sort(paths)
	for _, p := range paths {
		var r Report
		if err := readJSONFile(p, &r); err != nil {
			return in, err
		}
		in.Go = append(in.Go, r)
	}
	if err := readJSONLines(filepath.Join(dir, SummaryTorch), &in.Torch); err != nil {
		return in, err
	}
	if err := readJSONLines(filepath.Join(dir, SummaryBLAS), &in.BLAS); err != nil {
		return in, err
	}
	if err := readJSONLines(filepath.Join(dir, SummaryEpochs), &in.Epochs); err != nil {
		return in, err
	}
	if err := readJSONFile(filepath.Join(dir, SummaryMachine), &in.Machine); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return in, err
	}
	return in, nil
}

func readJSONFile(path string, v any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// readJSONLines appends every line of path that starts with '{' to *out
// (torch_step.py also prints a table); a missing file adds nothing.
func readJSONLines[T any](path string, out *[]T) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var v T
		if err := json.Unmarshal(line, &v); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
		*out = append(*out, v)
	}
	return sc.Err()
}

// ReplaceSummary returns doc with the text between SummaryBegin and
// SummaryEnd (the markers' lines kept) replaced by block.
func ReplaceSummary(doc, block []byte) ([]byte, error) {
	b := bytes.Index(doc, []byte(SummaryBegin))
	e := bytes.Index(doc, []byte(SummaryEnd))
	if b < 0 || e < 0 || e < b {
		return nil, fmt.Errorf("bench.ReplaceSummary: the document has no %q line followed by a %q line", SummaryBegin, SummaryEnd)
	}
	b += len(SummaryBegin)
	var out bytes.Buffer
	out.Write(doc[:b])
	out.WriteString("\n\n")
	out.Write(bytes.TrimSpace(block))
	out.WriteString("\n\n")
	out.Write(doc[e:])
	return out.Bytes(), nil
}

// goResult is a parsed train or sgemm case name with its result.
type goResult struct {
	config, method  string // train: "8x4", "reinmax"
	product, mnk    string // sgemm: "enc1.fwd", "100x512x784"
	impl            string
	threads         int
	nsPerOp, metric float64
	flopPerOp       float64
}

// WriteSummary writes the markdown summary of in: the machine and
// conditions, the training step per configuration × method at each thread
// count beside PyTorch's, the epoch, and SGEMM per product beside gonum
// and OpenBLAS. It returns an error only when in has no Go results or w
// fails.
func WriteSummary(w io.Writer, in SummaryInput) error {
	var train, sgemm []goResult
	var env Environment
	var before, after []CoreCheck
	var runs, timing []string
	for _, rep := range in.Go {
		if env.GoVersion == "" {
			env = rep.Environment
		}
		if s := rep.Environment.Started; s != "" && s < env.Started {
			env.Started = s // the earliest run's start (RFC 3339, UTC)
		}
		before = append(before, rep.CoresBefore)
		after = append(after, rep.CoresAfter)
		var groups []string
		for _, r := range rep.Results {
			if !slices.Contains(groups, r.Group) {
				groups = append(groups, r.Group)
			}
		}
		runs = append(runs, strings.Join(groups, " and "))
		if n := len(rep.Results); n > 0 {
			timing = append(timing, fmt.Sprintf("median of %d samples of ≥ %v", rep.Results[0].Samples,
				time.Duration(rep.Options.MinTimeNs)))
		}
		for _, r := range rep.Results {
			parts := strings.Split(r.Name, "/")
			th, err := strconv.Atoi(strings.TrimPrefix(parts[len(parts)-1], "t"))
			if err != nil {
				continue
			}
			switch {
			case r.Group == GroupTrain && len(parts) == 4:
				train = append(train, goResult{config: parts[1], method: parts[2], threads: th, nsPerOp: r.NsPerOp})
			case r.Group == GroupSgemm && len(parts) == 5:
				sgemm = append(sgemm, goResult{product: parts[1], mnk: parts[2], impl: parts[3], threads: th,
					nsPerOp: r.NsPerOp, metric: r.Metric, flopPerOp: r.Metric * r.NsPerOp})
			}
		}
	}
	if len(train)+len(sgemm) == 0 {
		return errors.New("bench.WriteSummary: no train or sgemm results in the Go reports")
	}
	var buf bytes.Buffer
	writeMachine(&buf, in, env, runs, before, after)
	if len(train) > 0 {
		writeTrain(&buf, in, train, timing)
	}
	if len(sgemm) > 0 {
		writeSgemm(&buf, in, env, sgemm, timing)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func writeMachine(w *bytes.Buffer, in SummaryInput, env Environment, runs []string, before, after []CoreCheck) {
	m := in.Machine
	fmt.Fprintf(w, "## Summary\n\n")
	if m.Command != "" {
		fmt.Fprintf(w, "Regenerate with `%s`.\n\n", m.Command)
	}
	busy := false
	for _, c := range append(slices.Clone(before), after...) {
		busy = busy || (c.Solo > 0 && c.Slowest() < 0.8)
	}
	if busy {
		fmt.Fprintf(w, "**The machine was busy during these measurements** (see the core check): other processes took "+
			"part of the cores, which slows the two-thread figures most, since each step waits for both threads. "+
			"Compare figures only within this run, and rerun on a quiet machine for absolute numbers.\n\n")
	}
	cpu := env.CPU
	if m.CPUModel != "" && m.CPUModel != cpu {
		cpu = m.CPUModel + " (" + env.CPU + ")"
	}
	if m.CPUFamily != "" {
		cpu += ", family " + m.CPUFamily
		if m.CPUID != "" {
			cpu += " model " + m.CPUID
		}
	}
	fmt.Fprintf(w, "- **Machine**: %s, %d logical cores", cpu, env.NumCPU)
	if m.OS != "" {
		fmt.Fprintf(w, ", %s", m.OS)
	}
	fmt.Fprintf(w, "; SIMD %s.\n", env.Features)
	rev := env.Revision
	switch {
	case m.Tree != "" && len(m.Modified) > 0:
		rev = fmt.Sprintf("%s with uncommitted changes to %s", m.Tree, strings.Join(m.Modified, ", "))
	case m.Tree != "":
		rev = m.Tree
	case rev == "":
		rev = "unknown"
	}
	fmt.Fprintf(w, "- **reinmax**: built from %s; %s %s/%s, kernels path `%s` (available: %s).\n",
		rev, env.GoVersion, env.GOOS, env.GOARCH, env.Kernels, strings.Join(env.Available, ", "))
	var peers []string
	if len(in.Torch) > 0 {
		t := in.Torch[0]
		peers = append(peers, fmt.Sprintf("PyTorch %s (%s)", t.Torch, blasName(t.BLAS, t.BLASConfig, t.BLASCore)))
	}
	if len(in.BLAS) > 0 {
		b := in.BLAS[0]
		peers = append(peers, fmt.Sprintf("numpy %s (%s)", b.Numpy, blasName("", b.BLASConfig, b.BLASCore)))
	}
	if len(peers) > 0 {
		fmt.Fprintf(w, "- **Peers**: %s.\n", strings.Join(peers, "; "))
	}
	fmt.Fprintf(w, "- **When**: %s", dateOf(env.Started))
	if m.Load != "" {
		fmt.Fprintf(w, "; load average before: %s", m.Load)
	}
	fmt.Fprintf(w, ".\n")
	if cc := coreChecks(runs, before, after); cc != "" {
		fmt.Fprintf(w, "- **Core check** (a cache-resident SGEMM, GFLOP/s: one core alone, then all at once; a core under 80%% of the solo figure means a busy machine): %s.\n", cc)
	}
	for _, n := range m.Notes {
		fmt.Fprintf(w, "- %s\n", n)
	}
	fmt.Fprintln(w)
}

// blasName names a BLAS library from its path, its openblas_get_config()
// ("OpenBLAS 0.3.21 DYNAMIC_ARCH …") and its core name.
func blasName(path, config, core string) string {
	name := "BLAS unknown"
	switch {
	case config != "":
		f := strings.Fields(config)
		name = strings.Join(f[:min(2, len(f))], " ")
	case path != "":
		name = path
	}
	if core != "" {
		name += ", " + core + " kernels"
	}
	return name
}

// dateOf shortens an RFC 3339 time to "2006-01-02 15:04 UTC".
func dateOf(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// coreChecks describes the core checks before and after each Go run,
// naming the runs when there are several.
func coreChecks(runs []string, before, after []CoreCheck) string {
	one := func(c CoreCheck) string {
		if c.Solo <= 0 {
			return ""
		}
		t := make([]string, len(c.Together))
		for i, g := range c.Together {
			t[i] = fmt.Sprintf("%.0f", g)
		}
		s := fmt.Sprintf("%.0f alone, %s at once", c.Solo, strings.Join(t, " and "))
		if c.Slowest() < 0.8 {
			s += fmt.Sprintf(" (**busy**: %.0f%%)", 100*c.Slowest())
		}
		return s
	}
	var parts []string
	for i := range before {
		b, a := one(before[i]), one(after[i])
		if b == "" && a == "" {
			continue
		}
		p := fmt.Sprintf("before %s; after %s", b, a)
		if len(before) > 1 && runs[i] != "" {
			p = runs[i] + " run: " + p
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// methodOrder sorts methods as MainMethods, others after them by name.
func methodOrder(a, b string) int {
	ia, ib := len(MainMethods()), len(MainMethods())
	for i, m := range MainMethods() {
		if string(m) == a {
			ia = i
		}
		if string(m) == b {
			ib = i
		}
	}
	if ia != ib {
		return ia - ib
	}
	return strings.Compare(a, b)
}

func threadsOf[T any](xs []T, th func(T) int) []int {
	var ts []int
	for _, x := range xs {
		if t := th(x); !slices.Contains(ts, t) {
			ts = append(ts, t)
		}
	}
	slices.Sort(ts)
	return ts
}

func threadsLabel(t int) string {
	if t == 1 {
		return "1 thread"
	}
	return fmt.Sprintf("%d threads", t)
}

// configLabel turns "8x4" into "8×4".
func configLabel(c string) string { return strings.Replace(c, "x", "×", 1) }

func fmtMs(v float64) string {
	switch {
	case v <= 0 || math.IsNaN(v):
		return "–"
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func fmtRatio(v float64) string {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return fmt.Sprintf("%.2f×", v)
}

func fmtGFLOPS(v float64) string {
	switch {
	case v <= 0 || math.IsNaN(v):
		return "–"
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

type trainKey struct {
	config, method string
	threads        int
}

// trainData are the training measurements of a summary, by (configuration,
// method, threads), with the configurations, methods and thread counts in
// the order they are shown.
type trainData struct {
	goMs                      map[trainKey]float64
	torch                     map[trainKey]TorchStep
	epoch                     map[trainKey]EpochTime
	configs, methods, timings []string
	threads                   []int
}

func newTrainData(in SummaryInput, train []goResult, timing []string) *trainData {
	d := &trainData{goMs: map[trainKey]float64{}, torch: map[trainKey]TorchStep{}, epoch: map[trainKey]EpochTime{},
		timings: slices.Compact(slices.Clone(timing))}
	for _, r := range train {
		d.goMs[trainKey{r.config, r.method, r.threads}] = r.nsPerOp / 1e6
		if !slices.Contains(d.configs, r.config) {
			d.configs = append(d.configs, r.config)
		}
		if !slices.Contains(d.methods, r.method) {
			d.methods = append(d.methods, r.method)
		}
	}
	slices.SortStableFunc(d.methods, methodOrder)
	d.threads = threadsOf(train, func(r goResult) int { return r.threads })
	for _, t := range in.Torch {
		d.torch[trainKey{fmt.Sprintf("%dx%d", t.C, t.L), t.Method, t.Threads}] = t
	}
	for _, e := range in.Epochs {
		d.epoch[trainKey{fmt.Sprintf("%dx%d", e.C, e.L), e.Method, e.Threads}] = e
	}
	return d
}

// table writes a markdown table: a row per measured (configuration,
// method), after the two label columns one column per thread count for each
// of groups, each cell from cell(key of that row and thread count, group).
func (d *trainData) table(w *bytes.Buffer, groups []string, cell func(k trainKey, group int) string) {
	fmt.Fprintf(w, "| C×L | method |")
	for _, g := range groups {
		for _, t := range d.threads {
			fmt.Fprintf(w, " %s, %s |", g, threadsLabel(t))
		}
	}
	fmt.Fprintf(w, "\n|---|---|%s\n", strings.Repeat("---:|", len(groups)*len(d.threads)))
	for _, c := range d.configs {
		for _, m := range d.methods {
			if !hasAny(d.goMs, c, m, d.threads) {
				continue
			}
			fmt.Fprintf(w, "| %s | %s |", configLabel(c), m)
			for gi := range groups {
				for _, t := range d.threads {
					fmt.Fprintf(w, " %s |", cell(trainKey{c, m, t}, gi))
				}
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintln(w)
}

func writeTrain(w *bytes.Buffer, in SummaryInput, train []goResult, timing []string) {
	d := newTrainData(in, train, timing)
	writeStepTable(w, in, d)
	if len(in.Epochs) > 0 || len(in.Torch) > 0 {
		writeEpochTable(w, in, d)
	}
}

// writeStepTable writes the training step beside PyTorch's.
func writeStepTable(w *bytes.Buffer, in SummaryInput, d *trainData) {
	cl := make([]string, len(d.configs))
	for i, c := range d.configs {
		cl[i] = configLabel(c)
	}
	fmt.Fprintf(w, "### Training step (ms)\n\n")
	fmt.Fprintf(w, "One `vae.Trainer.Step` on MNIST at batch 100 (forward, estimator, backward, optimiser), with the "+
		"preset of docs/estimators.md for each configuration and method (`bench.TrainConfig`), against the same step in "+
		"PyTorch (`bench/torch_step.py`: the reference network, loss, estimator and optimiser). Configurations %s; "+
		"methods %s. Go: `reinmax bench`, %s. ",
		strings.Join(cl, " and "), strings.Join(d.methods, ", "), strings.Join(d.timings, "; "))
	if len(in.Torch) > 0 {
		t := in.Torch[0]
		fmt.Fprintf(w, "PyTorch: median of %d steps timed one by one after %d warm-up steps, one process per thread count. ", t.Steps, t.Warmup)
	}
	fmt.Fprintf(w, "PyTorch ÷ Go above 1 means Go is faster.\n\n")
	d.table(w, []string{"Go", "PyTorch", "PyTorch ÷ Go"}, func(k trainKey, group int) string {
		g, p := d.goMs[k], d.torch[k].MedianMs
		switch group {
		case 0:
			return fmtMs(g)
		case 1:
			return fmtMs(p)
		}
		r := 0.0
		if g > 0 {
			r = p / g
		}
		return fmtRatio(r)
	})
}

// writeEpochTable writes the epoch, measured in Go and estimated for
// PyTorch from its step and test pass.
func writeEpochTable(w *bytes.Buffer, in SummaryInput, d *trainData) {
	spe := 0
	for _, t := range in.Torch {
		spe = max(spe, t.StepsPerEpoch)
	}
	for _, e := range in.Epochs {
		spe = max(spe, e.Record.Step)
	}
	fmt.Fprintf(w, "### Epoch (s)\n\n")
	fmt.Fprintf(w, "One epoch is %d steps and a pass over the 10,000 test images. Go: measured, one `reinmax train -epochs 1` "+
		"per cell (the epoch record's seconds, steps and test pass; the steps alone in parentheses). PyTorch: estimated as "+
		"%d × its median step above plus one test pass (a forward over the test set without gradients) timed in the same process.\n\n", spe, spe)
	d.table(w, []string{"Go", "PyTorch (est.)"}, func(k trainKey, group int) string {
		if group == 0 {
			e, ok := d.epoch[k]
			if !ok || e.Record.Seconds <= 0 {
				return "–"
			}
			return fmt.Sprintf("%.1f (%.1f)", e.Record.Seconds, e.Record.TrainSeconds)
		}
		p, ok := d.torch[k]
		if !ok || p.MedianMs <= 0 || p.StepsPerEpoch <= 0 {
			return "–"
		}
		return fmt.Sprintf("%.1f", (float64(p.StepsPerEpoch)*p.MedianMs+p.TestPassMs)/1e3)
	})
}

func hasAny(ms map[trainKey]float64, c, m string, threads []int) bool {
	for _, t := range threads {
		if ms[trainKey{c, m, t}] > 0 {
			return true
		}
	}
	return false
}

const implOpenBLAS = "openblas"

func writeSgemm(w *bytes.Buffer, in SummaryInput, env Environment, sgemm []goResult, timing []string) {
	gf := map[sgemmKey]float64{}
	ns := map[sgemmKey]float64{}
	flop := map[string]float64{}
	mnk := map[string]string{}
	var products, impls []string
	for _, r := range sgemm {
		k := sgemmKey{r.product, r.impl, r.threads}
		gf[k], ns[k] = r.metric, r.nsPerOp
		flop[r.product], mnk[r.product] = r.flopPerOp, r.mnk
		if !slices.Contains(products, r.product) {
			products = append(products, r.product)
		}
		if !slices.Contains(impls, r.impl) {
			impls = append(impls, r.impl)
		}
	}
	for _, b := range in.BLAS {
		k := sgemmKey{b.Product, implOpenBLAS, b.Threads}
		gf[k], ns[k] = b.GFLOPS, b.NsPerOp
	}
	threads := threadsOf(sgemm, func(r goResult) int { return r.threads })
	impls, active := sgemmColumns(impls, env.Kernels, len(in.BLAS) > 0)
	label := func(impl string) string {
		switch impl {
		case implOpenBLAS:
			return "OpenBLAS (numpy)"
		case env.Kernels:
			return impl + " (active)"
		}
		return impl
	}

	fmt.Fprintf(w, "### SGEMM at the VAE's shapes (GFLOP/s)\n\n")
	fmt.Fprintf(w, "The products of an 8×4 training step at batch 100 as `nn.Linear` issues them (W stored [out, in]: "+
		"forward y = x·Wᵀ, dW = dyᵀ·x, dx = dy·W), β = 0, uniform operands. reinmax: `kernels.Sgemm` on each path "+
		"(`reinmax bench`, %s); gonum: `blas32.Gemm` at GOMAXPROCS = threads", strings.Join(slices.Compact(slices.Clone(timing)), "; "))
	if len(in.BLAS) > 0 {
		b := in.BLAS[0]
		fmt.Fprintf(w, "; OpenBLAS: numpy's float32 matmul into a preallocated output on the same stored layouts "+
			"(`bench/blas_sgemm.py`, median of %d samples of ≥ %v, OPENBLAS_NUM_THREADS = threads)", b.Samples,
			time.Duration(b.MinTimeS*float64(time.Second)))
	}
	fmt.Fprintf(w, ". The last rows are all the products of one step together (their FLOPs over the sum of their times).\n\n")
	fmt.Fprintf(w, "| product | m×n×k | threads |")
	for _, im := range impls {
		fmt.Fprintf(w, " %s |", label(im))
	}
	peers := []string{ImplGonum}
	if len(in.BLAS) > 0 {
		peers = append(peers, implOpenBLAS)
	}
	for _, p := range peers {
		fmt.Fprintf(w, " %s ÷ %s |", active, map[string]string{ImplGonum: "gonum", implOpenBLAS: "OpenBLAS"}[p])
	}
	fmt.Fprintf(w, "\n|---|---|:-:|%s\n", strings.Repeat("---:|", len(impls)+len(peers)))
	ratio := func(a, b float64) string {
		if a <= 0 || b <= 0 {
			return "–"
		}
		return fmtRatio(a / b)
	}
	for _, p := range products {
		for _, t := range threads {
			fmt.Fprintf(w, "| %s | %s | %d |", p, mnk[p], t)
			for _, im := range impls {
				fmt.Fprintf(w, " %s |", fmtGFLOPS(gf[sgemmKey{p, im, t}]))
			}
			for _, q := range peers {
				fmt.Fprintf(w, " %s |", ratio(gf[sgemmKey{p, active, t}], gf[sgemmKey{p, q, t}]))
			}
			fmt.Fprintln(w)
		}
	}
	for _, t := range threads {
		total := map[string]float64{}
		for _, im := range impls {
			total[im] = stepGFLOPS(ns, flop, products, im, t)
		}
		fmt.Fprintf(w, "| **all %d products** | | %d |", len(products), t)
		for _, im := range impls {
			fmt.Fprintf(w, " **%s** |", fmtGFLOPS(total[im]))
		}
		for _, q := range peers {
			fmt.Fprintf(w, " %s |", ratio(total[active], total[q]))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

// sgemmKey is one SGEMM measurement: a product on a path at a thread count.
type sgemmKey struct {
	product, impl string
	threads       int
}

// sgemmColumns orders the SGEMM table's paths: the active one, the other
// assembly paths, generic, gonum, then OpenBLAS when measured; it returns
// them and the path the ratios are of (the active one if it was measured).
func sgemmColumns(impls []string, activePath string, withBLAS bool) ([]string, string) {
	rank := func(impl string) int {
		switch impl {
		case activePath:
			return 0
		case "generic":
			return 2
		case ImplGonum:
			return 3
		}
		return 1
	}
	impls = slices.Clone(impls)
	slices.SortStableFunc(impls, func(a, b string) int { return rank(a) - rank(b) })
	if withBLAS {
		impls = append(impls, implOpenBLAS)
	}
	active := activePath
	if !slices.Contains(impls, active) {
		active = impls[0]
	}
	return impls, active
}

// stepGFLOPS is the rate of all of a step's products on one path at t
// threads together (their FLOPs over the sum of their times); 0 if any was
// not measured.
func stepGFLOPS(ns map[sgemmKey]float64, flop map[string]float64, products []string, impl string, t int) float64 {
	var f, d float64
	for _, p := range products {
		v := ns[sgemmKey{p, impl, t}]
		if v <= 0 {
			return 0
		}
		f += flop[p]
		d += v
	}
	if d <= 0 {
		return 0
	}
	return f / d
}
