package experiment

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/vae"
)

// ManifestFile is the expanded grid, written atomically into the sweep
// directory before any run starts.
const ManifestFile = "sweep.json"

// MaxGridRuns bounds the expanded grid so a typo in a list cannot make a
// sweep allocate without end.
const MaxGridRuns = 1 << 20

// Grid is a sweep's grid: the JSON file of --grid (decoded with
// DisallowUnknownFields) and the flags, explicit flags overriding the file.
// The runs are methods × configs × every non-empty hyper-parameter list ×
// seeds. An empty list means one value: for lr, tau and optimizer the
// preset's (with Preset), else train's default.
type Grid struct {
	Methods   []estimators.Method `json:"methods"`
	Configs   []string            `json:"configs"` // "CxL", e.g. "8x4" (C categories, L latents)
	Seeds     Seeds               `json:"seeds"`   // [0, 1, 2] or "0-9,12"
	LR        []float64           `json:"lr,omitempty"`
	Tau       []float64           `json:"tau,omitempty"`
	Optimizer []string            `json:"optimizer,omitempty"`
	K         []int               `json:"K,omitempty"`
	Eta       []float64           `json:"eta,omitempty"`
	Tau2      []float64           `json:"tau2,omitempty"`
	Alpha     []float64           `json:"alpha,omitempty"`
	Noise     []string            `json:"noise,omitempty"`
	Gap       []float64           `json:"gap,omitempty"`
	Epochs    int                 `json:"epochs"`
	Batch     int                 `json:"batch"`
	Leaky     bool                `json:"leaky"`
	// Preset is nil when not given (true, and a missing table entry falls
	// back to train's defaults, as train does); given true, a missing entry
	// is an error.
	Preset *bool `json:"preset,omitempty"`
}

func DefaultGrid() Grid {
	return Grid{Methods: []estimators.Method{estimators.ReinMaxRao}, Configs: []string{"8x4"}, Seeds: Seeds{0},
		Epochs: 160, Batch: vae.DefaultBatch}
}

// ReadGrid reads a grid from a JSON file: DefaultGrid with the fields the
// file gives (named as Grid's JSON keys; an unknown key is an error).
func ReadGrid(path string) (Grid, error) {
	g := DefaultGrid()
	raw, err := os.ReadFile(path)
	if err != nil {
		return g, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		return g, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}

// GridLists are the keys of Grid's list fields, which Set accepts.
var GridLists = []string{"methods", "configs", "seeds", "lr", "tau", "optimizer", "K", "eta", "tau2", "alpha", "noise", "gap"}

// Set replaces the list field of g with JSON key key (one of GridLists)
// by the values of a comma list: "5e-4,1e-3" for lr, "0-9,12" for seeds;
// an empty list clears the field (the preset or the default applies),
// except for seeds, which have no default: there it is an error.
func (g *Grid) Set(key, list string) error {
	var items []string
	for _, v := range strings.Split(list, ",") {
		if v = strings.TrimSpace(v); v != "" {
			items = append(items, v)
		}
	}
	floats := func(dst *[]float64) error {
		*dst = nil
		for _, v := range items {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return fmt.Errorf("%s: %q is not a number: %w", key, v, errkind.Argument)
			}
			*dst = append(*dst, x)
		}
		return nil
	}
	switch key {
	case "methods":
		g.Methods = nil
		for _, m := range items {
			g.Methods = append(g.Methods, estimators.Method(m))
		}
	case "configs":
		g.Configs = items
	case "optimizer":
		g.Optimizer = items
	case "noise":
		g.Noise = items
	case "seeds":
		seeds, err := ParseSeeds(list)
		if err != nil {
			return err
		}
		g.Seeds = seeds
	case "K":
		g.K = nil
		for _, v := range items {
			k, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("K: %q is not an integer: %w", v, errkind.Argument)
			}
			g.K = append(g.K, k)
		}
	case "lr":
		return floats(&g.LR)
	case "tau":
		return floats(&g.Tau)
	case "eta":
		return floats(&g.Eta)
	case "tau2":
		return floats(&g.Tau2)
	case "alpha":
		return floats(&g.Alpha)
	case "gap":
		return floats(&g.Gap)
	default:
		return fmt.Errorf("experiment.Grid.Set: %q is not a list field (%s): %w", key, strings.Join(GridLists, ", "), errkind.Argument)
	}
	return nil
}

// Seeds is a list of seeds; in JSON a list of numbers or a string in the
// flag's syntax ("0-9,12").
type Seeds []uint64

// UnmarshalJSON accepts [0, 1, 2] and "0-2".
func (s *Seeds) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		v, err := ParseSeeds(str)
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

// ParseSeeds reads "0-9,12,20-22".
func ParseSeeds(s string) (Seeds, error) {
	var out Seeds
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
		if b-a >= MaxGridRuns {
			return nil, fmt.Errorf("seeds %q: range %q holds more than %d seeds", s, part, MaxGridRuns)
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

// ParseCxL reads "8x4" (or "8×4"): C categories, L latents.
func ParseCxL(s string) (c, l int, err error) {
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

// Run is one run of the grid.
type Run struct {
	Name   string     `json:"name"`   // the run directory under the sweep directory, from the parameters
	Epochs int        `json:"epochs"` // the total to reach
	Config vae.Config `json:"config"` // canonical (Canonical), Threads 0
}

// fmtFloat is the shortest decimal that reads back as v.
func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// RunName names a canonical configuration: method, CxL, lr, tau,
// optimizer, the parameters that differ from train's defaults, seed; e.g.
// reinmax-rao-8x4-lr0.0005-tau1-adam-seed0 or
// reinmax-cv-8x4-lr0.0005-tau1.3-adam-eta0.3-seed2. Distinct configurations
// get distinct names (each field is either omitted, meaning its default, or
// written exactly).
func RunName(c vae.Config) string {
	e := c.Estimator
	var b strings.Builder
	fmt.Fprintf(&b, "%s-%dx%d-lr%s-tau%s-%s", e.Method, c.C, c.L, fmtFloat(c.LR), fmtFloat(e.Tau), c.Optimizer)
	for _, p := range ExtraParams(c) {
		b.WriteString("-" + p[0] + p[1])
	}
	fmt.Fprintf(&b, "-seed%d", c.Seed)
	return b.String()
}

// ExtraParams lists the parameters of a canonical c that differ from
// train's defaults, as (name, value) pairs in a fixed order.
func ExtraParams(c vae.Config) [][2]string {
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

// CompareRuns is the grid's order: method, C, L, lr, tau, optimizer, the
// other parameters, and the seed last, so that shards (index mod n) share
// every setting's seeds out evenly.
func CompareRuns(a, b vae.Config) int {
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

// Expand checks the grid and returns its runs, canonical, without
// duplicates, in the grid's order (CompareRuns). Errors name the field and
// the value (and the run for a configuration vae.Config refuses).
func (g *Grid) Expand() ([]Run, error) {
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
	if size > MaxGridRuns {
		return nil, fmt.Errorf("the grid holds %.0f runs, more than %d", size, MaxGridRuns)
	}

	var cfgs []vae.Config
	for _, m := range g.Methods {
		for _, cl := range g.Configs {
			c, l, err := ParseCxL(cl)
			if err != nil {
				return nil, err
			}
			cfg := vae.Config{C: c, L: l, Batch: g.Batch, Estimator: estimators.DefaultConfig(m), Optimizer: "adam", LR: 5e-4,
				LeakyReLU: g.Leaky}
			if g.Preset == nil || *g.Preset {
				// The lists below override the preset.
				if err := cfg.ApplyPreset(g.Preset != nil); err != nil {
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
	runs := make([]Run, 0, len(cfgs))
	for _, c := range cfgs {
		if err := c.ValidateExplicit(); err != nil {
			return nil, fmt.Errorf("run %s: %v", RunName(c), err)
		}
		c = Canonical(c)
		if seen[c] {
			continue
		}
		seen[c] = true
		runs = append(runs, Run{Name: RunName(c), Epochs: g.Epochs, Config: c})
	}
	slices.SortFunc(runs, func(a, b Run) int { return CompareRuns(a.Config, b.Config) })
	return runs, nil
}

// ShardIndices returns the indices in 0..n-1 that are shard mod shards,
// in order: the runs of one shard of a grid of n runs.
func ShardIndices(n, shard, shards int) []int {
	var out []int
	for i := shard; i < n && shards > 0; i += shards {
		out = append(out, i)
	}
	return out
}

// ParseShard reads "i/n" (0 <= i < n).
func ParseShard(s string) (i, n int, err error) {
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
