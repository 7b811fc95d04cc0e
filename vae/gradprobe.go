package vae

import (
	"fmt"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/kernels"
	"github.com/discretegrad/reinmax/nn"
)

// GradProbe measures a gradient estimator on one fixed batch, for the
// gradient-quality metrics of package diag. It encodes the batch once; each
// Sample then draws the estimator's gradient of the decoder loss
// Σ_b Σ_pixels BCE / n with respect to the encoder logits θ (the KL term
// excluded), and Exact computes the true gradient of its expectation
// Σ_b Σ_z Π_l q_bl(z_l)·BCE_b(z) / n by enumerating the C^L codes.
//
// The probe reads the model's parameters and overwrites the decoder's
// gradients in Params.Grad (scratch for the decoder backward pass); it must
// not run concurrently with training on the same model, nor with another
// probe of the same model (give each goroutine its own Model.Clone). It
// serves one goroutine at a time.
type GradProbe struct {
	pass
	x        []float32
	n        int
	exactEst *estimators.Estimator // lazily, for Exact
	exactF   *exactPath            // lazily, when the method is not exact
}

// NewGradProbe prepares a probe of the estimator est (defaults filled by
// WithDefaults) for the n images x (n×784) on model m, using workspace ws
// (nil means single-threaded). It keeps x without copying. Errors: n < 1,
// short x, an invalid estimator configuration, or the exact method with
// C^L > MaxExactCodes.
func NewGradProbe(m *Model, est estimators.Config, x []float32, n int, ws *kernels.Workspace) (*GradProbe, error) {
	const fn = "vae.NewGradProbe"
	if n < 1 || len(x) < n*ImagePixels {
		return nil, fmt.Errorf("%s: n=%d images with len(x)=%d, need n >= 1 and len(x) >= %d: %w",
			fn, n, len(x), n*ImagePixels, errkind.Shape)
	}
	cfg := Config{C: m.C, L: m.L, Batch: n, Estimator: est.WithDefaults(), Optimizer: nn.Adam, LR: 1, Threads: ws.Threads(),
		LeakyReLU: m.Act == nn.LeakyReLU}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	e, err := estimators.New(cfg.Estimator, n*m.L, m.C)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	p := &GradProbe{pass: newPass(cfg, m, e, ws), x: x[:n*ImagePixels], n: n}
	b := &p.buf
	if err := m.encode(ws, p.x, b.h1, b.h2, b.logits, n); err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	return p, nil
}

// Logits returns the batch's encoder logits θ, n·L·C values (row b·L + l
// holds latent l of example b). The slice is the probe's own: do not modify.
func (p *GradProbe) Logits() []float32 { return p.buf.logits[:p.n*p.buf.lc] }

// Sample draws the sample D and the estimator's noise from the streams
// (seed, stream) and writes the estimator's ∂(Σ BCE/n)/∂θ into grad
// (len n·L·C). It returns the sampled Σ BCE / n. Allocates nothing.
func (p *GradProbe) Sample(seed, stream uint64, grad []float32) (float64, error) {
	if len(grad) != p.n*p.buf.lc {
		return 0, fmt.Errorf("vae.GradProbe.Sample: len(grad)=%d, need n·L·C=%d: %w", len(grad), p.n*p.buf.lc, errkind.Shape)
	}
	p.cfg.Seed = seed
	st, err := p.pass.forward(p.x, p.n, stream, p.buf.dz, nil)
	if err == nil {
		err = p.pass.backward(p.x, p.n, stream, nil)
	}
	if err != nil {
		return 0, fmt.Errorf("vae.GradProbe.Sample: %w", err)
	}
	copy(grad, p.buf.dlog)
	return st.BCE, nil
}

// Exact writes the exact gradient ∂/∂θ of Σ_b Σ_z Π_l q_bl(z_l)·BCE_b(z)/n
// (the exact path; decoder losses held constant) into grad (len n·L·C).
// It decodes all C^L codes, so it needs C^L <= MaxExactCodes. Allocates
// only on its first call.
func (p *GradProbe) Exact(grad []float32) error {
	const fn = "vae.GradProbe.Exact"
	if len(grad) != p.n*p.buf.lc {
		return fmt.Errorf("%s: len(grad)=%d, need n·L·C=%d: %w", fn, len(grad), p.n*p.buf.lc, errkind.Shape)
	}
	if p.exactEst == nil {
		codes, ok := CodeCount(p.cfg.C, p.cfg.L)
		if !ok {
			return fmt.Errorf("%s: C^L=%d^%d (%d) exceeds %d codes: %w", fn, p.cfg.C, p.cfg.L, codes, MaxExactCodes, errkind.Argument)
		}
		e, err := estimators.New(estimators.DefaultConfig("exact"), p.n*p.cfg.L, p.cfg.C)
		if err != nil {
			return fmt.Errorf("%s: %w", fn, err)
		}
		p.exactEst = e
		p.exactF = p.exact
		if p.exactF == nil {
			p.exactF = newExactPath(p.cfg)
		}
	}
	b := &p.buf
	nlc := p.n * b.lc
	// The exact estimator's sample is irrelevant to its gradient; Forward
	// only loads the logits.
	if err := p.exactEst.Forward(p.ws, 0, 0, b.logits[:nlc], b.d[:nlc], b.pi[:nlc]); err != nil {
		return fmt.Errorf("%s: %w", fn, err)
	}
	f, err := p.exactF.codeLoss(p.model, p.ws, p.x, p.n)
	if err != nil {
		return fmt.Errorf("%s: %w", fn, err)
	}
	if err := p.exactEst.SetCodeLoss(f, p.cfg.L); err != nil {
		return fmt.Errorf("%s: %w", fn, err)
	}
	if err := p.exactEst.Backward(p.ws, 0, 0, nil, nil, grad); err != nil {
		return fmt.Errorf("%s: %w", fn, err)
	}
	return nil
}
