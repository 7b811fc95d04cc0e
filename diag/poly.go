package diag

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/kernels"
)

// PolyConfig is one run of the polynomial-programming toy task
// (docs/estimators.md, "The polynomial toy task"): θ ∈ R^{Latents×2},
// initialised U(−0.01, 0.01), shared by Batch independent samples; z_l is
// the indicator of category 0 of latent l and
//
//	loss = mean_b Σ_l |z_l − Target|^P / Latents,
//
// minimised with Adam (PyTorch defaults apart from LR) for
// Epochs·StepsPerEpoch steps.
type PolyConfig struct {
	P             float64 `json:"p"`               // exponent, finite and > 0 (default 2; also studied: 1.5, 3)
	Target        float64 `json:"target"`          // strictly between 0 and 1 (default 0.45)
	Latents       int     `json:"latents"`         // L >= 1 (default 128)
	Batch         int     `json:"batch"`           // samples per step >= 1 (default 64)
	LR            float64 `json:"lr"`              // Adam learning rate, finite and > 0 (default 1e-3)
	StepsPerEpoch int     `json:"steps_per_epoch"` // >= 1, Epochs·StepsPerEpoch <= MaxPolySteps (default 200)
	Epochs        int     `json:"epochs"`          // 0..MaxPolyEpochs (default 40)
	Seed          uint64  `json:"seed"`            // seed of θ's initialisation and every estimator draw (default 1)
}

// DefaultPolyConfig returns the task's full setting: p = 2, target 0.45,
// 128 latents, batch 64, Adam lr 1e-3, 200 steps per epoch, 40 epochs, seed 1.
func DefaultPolyConfig() PolyConfig {
	return PolyConfig{P: 2, Target: 0.45, Latents: 128, Batch: 64, LR: 1e-3, StepsPerEpoch: 200, Epochs: 40, Seed: 1}
}

// Bounds of PolyConfig that Validate enforces. RunPoly preallocates one loss
// per epoch (MaxPolyEpochs of them take 8 MiB), NewPoly buffers of
// MaxPolyRows rows, and step t draws from stream t, which must stay below
// polyInitStream; each bound is far beyond any useful run.
const (
	MaxPolyEpochs = 1 << 20 // Epochs
	MaxPolySteps  = 1 << 30 // StepsPerEpoch and Epochs·StepsPerEpoch (fits a 32-bit int)
	MaxPolyRows   = 1 << 24 // Latents·Batch
)

// Validate returns an error naming the first invalid field and its value,
// wrapping errkind.Argument (errkind.Shape for sizes). Products are
// checked by division, so that no value of a field can overflow them.
func (c PolyConfig) Validate() error {
	bad := func(f string, v any, need string, sentinel error) error {
		return fmt.Errorf("diag.PolyConfig: %s=%v, need %s: %w", f, v, need, sentinel)
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case !(c.P > 0) || !finite(c.P):
		return bad("P", c.P, "finite and > 0", errkind.Argument)
	case !(c.Target > 0 && c.Target < 1):
		return bad("Target", c.Target, "0 < Target < 1", errkind.Argument)
	case !(c.LR > 0) || !finite(c.LR):
		return bad("LR", c.LR, "finite and > 0", errkind.Argument)
	case c.Latents < 1:
		return bad("Latents", c.Latents, ">= 1", errkind.Shape)
	case c.Batch < 1:
		return bad("Batch", c.Batch, ">= 1", errkind.Shape)
	case c.Latents > MaxPolyRows/c.Batch:
		// The factors, not their product, which may have overflowed.
		return bad("Latents·Batch", fmt.Sprintf("%d·%d", c.Latents, c.Batch), "<= 2^24 rows", errkind.Shape)
	case c.StepsPerEpoch < 1 || c.StepsPerEpoch > MaxPolySteps:
		return bad("StepsPerEpoch", c.StepsPerEpoch, "1..2^30", errkind.Shape)
	case c.Epochs < 0 || c.Epochs > MaxPolyEpochs:
		return bad("Epochs", c.Epochs, "0..2^20", errkind.Shape)
	case c.Epochs > 0 && c.StepsPerEpoch > MaxPolySteps/c.Epochs:
		return bad("Epochs·StepsPerEpoch", fmt.Sprintf("%d·%d", c.Epochs, c.StepsPerEpoch), "<= 2^30 steps", errkind.Shape)
	}
	return nil
}

// polyInitStream is the stream of θ's initialisation; the estimator draws of
// step t use stream t, which never reaches it.
const polyInitStream = 1 << 62

// Adam's defaults (PyTorch).
const (
	adamBeta1 = 0.9
	adamBeta2 = 0.999
	adamEps   = 1e-8
)

// Poly is one optimisation of the toy task with one gradient method: an
// estimator of package estimators applied to the Batch·Latents rows, or
// "exact", the true gradient J(π)F per latent with F = (|1 − t|^p,
// |t|^p)/Latents (reinforce_exact in fidelity/reference.py's terms). All
// buffers are allocated by NewPoly; Step allocates nothing after its first
// call. A Poly serves one goroutine at a time.
type Poly struct {
	cfg   PolyConfig
	ecfg  estimators.Config
	est   *estimators.Estimator
	ws    *kernels.Workspace
	exact bool
	step  int

	theta, grad, m, v []float32 // L×2 parameters, their gradient and Adam moments
	gsum              []float64 // L×2 batch sum of the row gradients
	logits, d, pi     []float32 // rows×2, rows = Batch·Latents (row b·L + l)
	g, rowGrad        []float32 // rows×2: ∂loss/∂D and the estimator's ∂loss/∂θ_row
	rowF              []float32 // rows: reinforce's f(D)
	f0, f1            float64   // |1 − t|^p / L and |t|^p / L: the loss of z = 1 and z = 0
}

// NewPoly prepares a run of cfg with the estimator est (defaults filled by
// WithDefaults; Method "exact" means the exact gradient) on workspace ws
// (nil: single-threaded), with θ drawn from cfg.Seed. Errors: an invalid cfg
// or estimator configuration.
func NewPoly(cfg PolyConfig, est estimators.Config, ws *kernels.Workspace) (*Poly, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("diag.NewPoly: %w", err)
	}
	est = est.WithDefaults()
	rows := cfg.Batch * cfg.Latents
	// The exact method's estimator only draws the reported sample (D ~ Cat(π)).
	e, err := estimators.New(est, rows, 2)
	if err != nil {
		return nil, fmt.Errorf("diag.NewPoly: %w", err)
	}
	f := func(n int) []float32 { return make([]float32, n) }
	l2 := 2 * cfg.Latents
	p := &Poly{
		cfg: cfg, ecfg: est, est: e, ws: ws, exact: est.Method == "exact",
		theta: f(l2), grad: f(l2), m: f(l2), v: f(l2), gsum: make([]float64, l2),
		logits: f(2 * rows), d: f(2 * rows), pi: f(2 * rows), g: f(2 * rows), rowGrad: f(2 * rows), rowF: f(rows),
		f0: math.Pow(1-cfg.Target, cfg.P) / float64(cfg.Latents),
		f1: math.Pow(cfg.Target, cfg.P) / float64(cfg.Latents),
	}
	var pcg rand.PCG
	kernels.SeedStream(&pcg, cfg.Seed, polyInitStream, 0)
	r := rand.New(&pcg)
	for i := range p.theta {
		p.theta[i] = float32((2*r.Float64() - 1) * 0.01)
	}
	return p, nil
}

// Theta returns θ (Latents×2, row l = latent l). The slice is the run's own:
// read it between steps, do not modify it.
func (p *Poly) Theta() []float32 { return p.theta }

// Steps is the number of optimiser steps taken.
func (p *Poly) Steps() int { return p.step }

// ExpectedLoss is the loss's expectation over z at the current θ,
// Σ_l (π_l0·|1 − t|^p + π_l1·|t|^p) / L, in float64.
func (p *Poly) ExpectedLoss() float64 {
	var s float64
	for l := range p.cfg.Latents {
		a, b := float64(p.theta[2*l]), float64(p.theta[2*l+1])
		pi0 := 1 / (1 + math.Exp(b-a))
		s += pi0*p.f0 + (1-pi0)*p.f1
	}
	return s
}

// MinLoss is the smallest expected loss, min(|1 − t|^p, |t|^p), reached as
// every latent becomes deterministic on the better category.
func (p *Poly) MinLoss() float64 { return math.Min(p.f0, p.f1) * float64(p.cfg.Latents) }

// Step takes one Adam step: it draws the batch's sample from the stream
// (Seed, step), computes the method's gradient of the batch-mean loss with
// respect to θ and applies it. It returns the sampled loss of the batch
// (before the update). Errors come from the estimator (for example a
// non-finite gradient); θ is then unchanged.
func (p *Poly) Step() (float64, error) {
	loss, err := p.gradient(uint64(p.step))
	if err != nil {
		return 0, fmt.Errorf("diag.Poly.Step %d: %w", p.step, err)
	}
	p.step++
	kernels.AdamStep(p.theta, p.grad, p.m, p.v, p.cfg.LR, adamBeta1, adamBeta2, adamEps, p.step)
	return loss, nil
}

// gradient draws the batch's sample from the stream (Seed, stream), writes
// the method's gradient of the batch-mean loss into p.grad and returns the
// sampled loss.
func (p *Poly) gradient(stream uint64) (float64, error) {
	cfg := p.cfg
	L, rows := cfg.Latents, cfg.Batch*cfg.Latents
	for b := range cfg.Batch {
		copy(p.logits[2*b*L:2*(b+1)*L], p.theta)
	}
	seed := cfg.Seed
	if err := p.est.Forward(p.ws, seed, stream, p.logits, p.d, p.pi); err != nil {
		return 0, err
	}
	// Per row: f(D) = |D_0 − t|^p / L and g = (p·|D_0 − t|^(p−1)·sign(D_0 − t) / L, 0).
	t, pw, invL := cfg.Target, cfg.P, 1/float64(L)
	fz1, fz0 := p.f0, p.f1 // loss of z = 1 and z = 0
	gz1 := float32(pw * math.Pow(1-t, pw-1) * invL)
	gz0 := float32(-pw * math.Pow(t, pw-1) * invL)
	var loss float64
	for r := range rows {
		if p.d[2*r] == 1 {
			loss += fz1
			p.rowF[r], p.g[2*r] = float32(fz1), gz1
		} else {
			loss += fz0
			p.rowF[r], p.g[2*r] = float32(fz0), gz0
		}
		p.g[2*r+1] = 0
	}
	loss /= float64(cfg.Batch)
	if p.exact {
		p.exactGrad()
	} else {
		if p.ecfg.Method == "reinforce" {
			if err := p.est.SetRowLoss(p.rowF); err != nil {
				return 0, err
			}
		}
		if err := p.est.Backward(p.ws, seed, stream, p.g, nil, p.rowGrad); err != nil {
			return 0, err
		}
		// θ is shared by the batch: its gradient is the batch mean of the
		// row gradients, summed in batch order (deterministic).
		clear(p.gsum)
		for b := range cfg.Batch {
			for i, v := range p.rowGrad[2*b*L : 2*(b+1)*L] {
				p.gsum[i] += float64(v)
			}
		}
		inv := 1 / float64(cfg.Batch)
		for i, s := range p.gsum {
			p.grad[i] = float32(s * inv)
		}
	}
	return loss, nil
}

// exactGrad writes J(π_l)F into grad for every latent, F = (f0, f1), with
// π_l = softmax(θ_l) in float64 (the batch mean of identical rows).
func (p *Poly) exactGrad() {
	for l := range p.cfg.Latents {
		a, b := float64(p.theta[2*l]), float64(p.theta[2*l+1])
		pi0 := 1 / (1 + math.Exp(b-a))
		pi1 := 1 - pi0
		// J(π)F = π⊙F − π(πᵀF); for two categories its entries are ±π0π1(f0 − f1).
		d := pi0 * pi1 * (p.f0 - p.f1)
		p.grad[2*l], p.grad[2*l+1] = float32(d), float32(-d)
	}
}

// PolyResult is the outcome of RunPoly for one method.
type PolyResult struct {
	Method    estimators.Method `json:"method"`
	Estimator estimators.Config `json:"estimator"`
	// Loss is the sampled loss of the last step, the value the reference logs.
	Loss float64 `json:"loss"`
	// ExpectedLoss is the loss's expectation at the final θ; MinLoss its minimum.
	ExpectedLoss float64 `json:"expected_loss"`
	MinLoss      float64 `json:"min_loss"`
	// EpochLoss holds the sampled loss of the last step of each epoch.
	EpochLoss []float64 `json:"epoch_loss"`
	Steps     int       `json:"steps"`
}

// RunPoly runs cfg from scratch with the method of est ("exact" or any
// estimator; see NewPoly) and returns the final losses. It is deterministic
// for cfg.Seed whatever ws's thread count. Errors as for NewPoly and Step.
func RunPoly(cfg PolyConfig, est estimators.Config, ws *kernels.Workspace) (PolyResult, error) {
	p, err := NewPoly(cfg, est, ws)
	if err != nil {
		return PolyResult{}, err
	}
	res := PolyResult{Method: p.ecfg.Method, Estimator: p.ecfg, MinLoss: p.MinLoss(), EpochLoss: make([]float64, 0, cfg.Epochs)}
	for range cfg.Epochs {
		for range cfg.StepsPerEpoch {
			if res.Loss, err = p.Step(); err != nil {
				return res, err
			}
		}
		res.EpochLoss = append(res.EpochLoss, res.Loss)
	}
	res.ExpectedLoss = p.ExpectedLoss()
	res.Steps = p.Steps()
	return res, nil
}
