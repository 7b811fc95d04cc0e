package diag

import (
	"fmt"
	"slices"
	"time"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/kernels"
	"github.com/discretegrad/reinmax/vae"
)

// MaxGradStatSamples bounds GradStatConfig.Samples. The draws stream, so
// memory does not grow with S, but Moments rounds S up to whole chunks in an
// int (near MaxInt that overflowed into no draw at all). 2^30 draws, hours
// to days per method, keeps that and the stream numbers far from
// overflowing, even in a 32-bit int.
const MaxGradStatSamples = 1 << 30

// GradStatMethods are the methods GradStat can measure: every estimator but
// exact, which is the reference itself.
func GradStatMethods() []estimators.Method {
	return slices.DeleteFunc(estimators.Methods(), func(m estimators.Method) bool { return m == estimators.Exact })
}

// GradStatSource is one VAE whose estimator gradients GradStat measures: a
// checkpoint, or a fresh model as at step 0 of training. FreshSource and
// CheckpointSource check it before any data is read; the weights themselves
// are loaded only when GradStat reaches it, so that a long series of
// checkpoints never sits in memory at once.
type GradStatSource struct {
	path string     // "" for a fresh model
	cfg  vae.Config // the checkpoint's stored configuration, or the fresh model's
}

// FreshSource is a C×L model (leaky ReLU if leaky) with weights drawn from
// seed by vae.Model.Init, as vae.Trainer draws them. Errors: C or L out of
// vae.Config's bounds, or C^L above vae.MaxExactCodes (the exact gradient
// enumerates every code); they wrap errkind.Argument.
func FreshSource(c, l int, leaky bool, seed uint64) (GradStatSource, error) {
	const fn = "diag.FreshSource"
	// The estimator and LR are placeholders that let Validate check the shape.
	cfg := vae.Config{C: c, L: l, Estimator: estimators.DefaultConfig("st"), LR: 1, Seed: seed, LeakyReLU: leaky}
	if err := cfg.WithDefaults().Validate(); err != nil {
		return GradStatSource{}, fmt.Errorf("%s: %w", fn, err)
	}
	if err := checkExactCodes(c, l); err != nil {
		return GradStatSource{}, fmt.Errorf("%s: %w", fn, err)
	}
	return GradStatSource{cfg: cfg}, nil
}

// CheckpointSource is the model of a checkpoint written by vae.Trainer.Save,
// read and verified now (vae.ReadCheckpointInfo) so that a bad file of a
// series is refused before hours of measurement. Errors: the file's, or C^L
// above vae.MaxExactCodes (errkind.Argument).
func CheckpointSource(path string) (GradStatSource, error) {
	info, err := vae.ReadCheckpointInfo(path)
	if err != nil {
		return GradStatSource{}, fmt.Errorf("diag.CheckpointSource: %w", err)
	}
	if err := checkExactCodes(info.Config.C, info.Config.L); err != nil {
		return GradStatSource{}, fmt.Errorf("diag.CheckpointSource: %s: %w", path, err)
	}
	return GradStatSource{path: path, cfg: info.Config}, nil
}

// checkExactCodes refuses the models whose exact gradient cannot be
// enumerated.
func checkExactCodes(c, l int) error {
	if _, ok := vae.CodeCount(c, l); !ok {
		return fmt.Errorf("a %d×%d model has C^L codes > %d, too many for the exact gradient: %w",
			c, l, vae.MaxExactCodes, errkind.Argument)
	}
	return nil
}

// String names the source in progress lines and errors: the checkpoint's
// path, or the fresh model's shape and seed.
func (s GradStatSource) String() string {
	if s.path != "" {
		return s.path
	}
	return fmt.Sprintf("fresh %d×%d model (seed %d)", s.cfg.C, s.cfg.L, s.cfg.Seed)
}

// GradStatConfig is what GradStat measures on every model: S draws
// of each estimator's gradient of the decoder loss with respect to the
// encoder logits of one fixed batch, against the exact gradient.
type GradStatConfig struct {
	// Methods are the estimators, measured in this order (optional fields
	// filled by WithDefaults); GradStatMethods lists the allowed methods.
	Methods []estimators.Config
	// Data holds the fixed batch: its first Examples images.
	Data     *vae.Dataset
	Examples int
	// Samples is the number of draws S of each estimator, 1..MaxGradStatSamples.
	Samples int
	// Seed names the draws: draw j of every method and model uses stream j
	// of Seed, so methods are compared on the same randomness.
	Seed uint64
	// Progress, if set, is called after each method's measurement (for
	// progress lines; it does not change the result).
	Progress func(src GradStatSource, r GradStatResult)
}

// Validate returns an error naming the first invalid field and its value,
// wrapping errkind.Argument (errkind.Shape for sizes) or the
// estimator configuration's own error.
func (c GradStatConfig) Validate() error {
	const fn = "diag.GradStatConfig"
	switch {
	case len(c.Methods) == 0:
		return fmt.Errorf("%s: no method: %w", fn, errkind.Argument)
	case c.Data == nil:
		return fmt.Errorf("%s: Data is nil: %w", fn, errkind.Argument)
	case c.Examples < 1 || c.Examples > c.Data.N:
		return fmt.Errorf("%s: Examples=%d, need 1..%d (the images of Data): %w", fn, c.Examples, c.Data.N, errkind.Shape)
	case c.Samples < 1 || c.Samples > MaxGradStatSamples:
		return fmt.Errorf("%s: Samples=%d, need 1..%d: %w", fn, c.Samples, MaxGradStatSamples, errkind.Shape)
	}
	allowed := GradStatMethods()
	for i, m := range c.Methods {
		if !slices.Contains(allowed, m.Method) {
			return fmt.Errorf("%s: Methods[%d]: method %q, want one of %v: %w", fn, i, m.Method, allowed, errkind.Argument)
		}
		if err := m.WithDefaults().Validate(); err != nil {
			return fmt.Errorf("%s: Methods[%d]: %w", fn, i, err)
		}
	}
	return nil
}

// GradStatReport is the measurement of every model (the JSON of reinmax
// gradstat).
type GradStatReport struct {
	Examples int    `json:"examples"`
	Samples  int    `json:"samples"`
	Seed     uint64 `json:"seed"`
	// Threads and Kernels describe the machine; the numbers do not depend
	// on them.
	Threads int             `json:"threads"`
	Kernels string          `json:"kernels"`
	Models  []GradStatModel `json:"models"`
	Seconds float64         `json:"seconds"`
}

// Failures counts the methods whose measurement failed, over every model.
func (r *GradStatReport) Failures() int {
	n := 0
	for _, gm := range r.Models {
		for _, res := range gm.Results {
			if res.Error != "" {
				n++
			}
		}
	}
	return n
}

// GradStatModel is the measurement of every method on one model.
type GradStatModel struct {
	// Checkpoint is the file measured; empty for a fresh model drawn from
	// InitSeed.
	Checkpoint string  `json:"checkpoint,omitempty"`
	InitSeed   *uint64 `json:"init_seed,omitempty"`
	// Epoch and Step come from the checkpoint's metadata.
	Epoch *int `json:"epoch,omitempty"`
	Step  *int `json:"step,omitempty"`
	// TrainedWith is the estimator the checkpoint was trained with.
	TrainedWith  estimators.Method `json:"trained_with,omitempty"`
	C            int               `json:"c"`
	L            int               `json:"l"`
	ExactSeconds float64           `json:"exact_seconds"`
	Results      []GradStatResult  `json:"results"`
}

// GradStatResult is one method's metrics, or the error that stopped its
// draws (a diverged estimator is a finding, not a reason to stop the rest).
type GradStatResult struct {
	Method    estimators.Method `json:"method"`
	Estimator estimators.Config `json:"estimator"`
	Metrics   *Metrics          `json:"metrics,omitempty"`
	Error     string            `json:"error,omitempty"`
	Seconds   float64           `json:"seconds"`
}

// GradStat measures every source in order with cfg: it computes the exact
// gradient of the batch on the model and draws each method's gradient
// cfg.Samples times (streams 0..S-1 of cfg.Seed). The draws run one probe
// per thread of ws (nil: one), and the numbers are bitwise the same whatever
// the thread count (Moments.DrawParallel).
//
// A method whose draws or metrics fail keeps its error in its result and the
// others go on (GradStatReport.Failures counts them). Other errors (an
// invalid cfg, a checkpoint that no longer loads, the exact gradient) stop
// the measurement; the report then holds the models finished before.
func GradStat(cfg GradStatConfig, sources []GradStatSource, ws *kernels.Workspace) (GradStatReport, error) {
	start := time.Now()
	rep := GradStatReport{Examples: cfg.Examples, Samples: cfg.Samples, Seed: cfg.Seed, Threads: ws.Threads(), Kernels: kernels.Active()}
	if err := cfg.Validate(); err != nil {
		return rep, fmt.Errorf("diag.GradStat: %w", err)
	}
	if len(sources) == 0 {
		return rep, fmt.Errorf("diag.GradStat: no model to measure: %w", errkind.Argument)
	}
	x := cfg.Data.Pixels[:cfg.Examples*vae.ImagePixels]
	for _, src := range sources {
		gm, err := gradStatModel(ws, src, &cfg, x)
		if err != nil {
			return rep, fmt.Errorf("diag.GradStat: %w", err)
		}
		rep.Models = append(rep.Models, gm)
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// loadModel builds the source's model and the part of its report that
// describes it.
func (s GradStatSource) loadModel() (*vae.Model, GradStatModel, error) {
	if s.path != "" {
		m, info, err := vae.LoadModel(s.path)
		if err != nil {
			return nil, GradStatModel{}, err
		}
		cfg := info.Config
		return m, GradStatModel{Checkpoint: s.path, Epoch: &info.Epoch, Step: &info.Step,
			TrainedWith: cfg.Estimator.Method, C: cfg.C, L: cfg.L}, nil
	}
	cfg := s.cfg
	gm := GradStatModel{InitSeed: &cfg.Seed, C: cfg.C, L: cfg.L}
	m, err := vae.NewModel(cfg.C, cfg.L, cfg.Activation())
	if err == nil {
		err = m.Init(cfg.Seed)
	}
	if err != nil {
		return nil, gm, fmt.Errorf("%s: %w", s, err)
	}
	return m, gm, nil
}

// gradStatModel measures every method of cfg on the model of src with the
// images x.
func gradStatModel(ws *kernels.Workspace, src GradStatSource, cfg *GradStatConfig, x []float32) (GradStatModel, error) {
	m, gm, err := src.loadModel()
	if err != nil {
		return gm, err
	}
	n := cfg.Examples
	moments, err := NewMoments(n * gm.L * gm.C)
	if err != nil {
		return gm, fmt.Errorf("%s: %w", src, err)
	}
	exact := make([]float32, moments.Len())
	t0 := time.Now()
	// The draws run one probe per thread, each single-threaded: at batch
	// 100 that scales better than threading each product, and the result
	// does not depend on the split (Moments.DrawParallel).
	probes := make([]Sampler, ws.Threads())
	models := make([]*vae.Model, len(probes)) // probes write decoder gradients: one model each
	for j := range models {
		if models[j], err = m.Clone(); err != nil {
			return gm, fmt.Errorf("%s: %w", src, err)
		}
	}
	for i, ec := range cfg.Methods {
		ec = ec.WithDefaults()
		if i == 0 {
			// The exact gradient depends on the model and the batch only.
			probe, err := vae.NewGradProbe(m, ec, x, n, ws)
			if err != nil {
				return gm, fmt.Errorf("%s: %w", src, err)
			}
			if err := probe.Exact(exact); err != nil {
				return gm, fmt.Errorf("%s: exact gradient: %w", src, err)
			}
			gm.ExactSeconds = time.Since(t0).Seconds()
		}
		for j := range probes {
			p, err := vae.NewGradProbe(models[j], ec, x, n, nil)
			if err != nil {
				return gm, fmt.Errorf("%s: %w", src, err)
			}
			probes[j] = p
		}
		t := time.Now()
		moments.Reset()
		res := GradStatResult{Method: ec.Method, Estimator: ec}
		err = moments.DrawParallel(probes, cfg.Seed, 0, cfg.Samples)
		if err == nil {
			var met Metrics
			if met, err = moments.Metrics(exact, n); err == nil {
				res.Metrics = &met
			}
		}
		if err != nil {
			res.Error = err.Error()
		}
		res.Seconds = time.Since(t).Seconds()
		gm.Results = append(gm.Results, res)
		if cfg.Progress != nil {
			cfg.Progress(src, res)
		}
	}
	return gm, nil
}
