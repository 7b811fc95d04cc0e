package vae

import (
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/kernels"
	"github.com/discretegrad/reinmax/nn"
)

// buffers are the activations and gradients of one batch (B rows).
type buffers struct {
	x              []float32 // B×784 input batch
	h1, h2         []float32 // encoder hidden activations, B×512, B×256
	logits, d, pi  []float32 // B×LC encoder logits, one-hot sample, softmax
	g1, g2, zl     []float32 // decoder hidden activations and output logits
	dz, dg2, dg1   []float32 // decoder gradients
	dD, gp, dlog   []float32 // B×LC: ∂/∂D, ∂/∂π, ∂/∂logits
	dh2, dh1       []float32 // encoder gradients
	rowLoss        []float64 // per-example BCE
	rowF           []float32 // reinforce's per-row f(D), B×L
	code           []int32   // L: the first example's most probable code, for EvalStats.OneCode
	lc, batchLimit int
}

func newBuffers(b, lc, l int) buffers {
	f := func(n int) []float32 { return make([]float32, n) }
	return buffers{
		x: f(b * ImagePixels), h1: f(b * Hidden1), h2: f(b * Hidden2),
		logits: f(b * lc), d: f(b * lc), pi: f(b * lc),
		g1: f(b * Hidden2), g2: f(b * Hidden1), zl: f(b * ImagePixels),
		dz: f(b * ImagePixels), dg2: f(b * Hidden1), dg1: f(b * Hidden2),
		dD: f(b * lc), gp: f(b * lc), dlog: f(b * lc),
		dh2: f(b * Hidden2), dh1: f(b * Hidden1),
		rowLoss: make([]float64, b), rowF: f(b * l), code: make([]int32, l),
		lc: lc, batchLimit: b,
	}
}

// pass is the batch machinery shared by Trainer and GradProbe: from the
// encoder logits in buf.logits it draws the estimator's sample, decodes it,
// computes the losses and propagates the gradients back to the logits.
type pass struct {
	cfg   Config
	model *Model
	est   *estimators.Estimator
	ws    *kernels.Workspace
	buf   buffers
	bce   nn.BCE
	kl    klLoss
	exact *exactPath // nil unless the method is exact
}

func newPass(cfg Config, m *Model, est *estimators.Estimator, ws *kernels.Workspace) pass {
	p := pass{cfg: cfg, model: m, est: est, ws: ws, buf: newBuffers(cfg.Batch, cfg.L*cfg.C, cfg.L)}
	if cfg.Estimator.Method == "exact" {
		p.exact = newExactPath(cfg)
	}
	return p
}

// forward draws D from the logits in buf.logits (stream), decodes it and
// returns the losses of the n images x. When dz is not nil it receives
// ∂(Σ BCE/n)/∂(decoder logits); when gp is not nil, ∂KLD/∂π.
func (p *pass) forward(x []float32, n int, stream uint64, dz, gp []float32) (StepStats, error) {
	b, m := &p.buf, p.model
	nlc := n * b.lc
	if err := p.est.Forward(p.ws, p.cfg.Seed, stream, b.logits[:nlc], b.d[:nlc], b.pi[:nlc]); err != nil {
		return StepStats{}, err
	}
	if err := m.decode(p.ws, b.d, b.g1, b.g2, b.zl, n); err != nil {
		return StepStats{}, err
	}
	// Σ_b Σ_pixels BCE; dz = (1/n)·∂/∂z, the gradient of the batch mean.
	sum, err := p.bce.Loss(p.ws, dz, b.zl, x, n, ImagePixels, float32(1/float64(n)), b.rowLoss)
	if err != nil {
		return StepStats{}, err
	}
	st := StepStats{BCE: sum / float64(n), KLD: p.kl.uniform(p.ws, gp, b.pi, n, p.cfg.L, p.cfg.C), N: n}
	st.Loss = st.BCE + st.KLD
	return st, nil
}

// backward takes dz from forward through the decoder (writing the decoder's
// parameter gradients and g = ∂loss/∂D), gives reinforce its row losses or
// exact its code losses, and runs the estimator's Backward with g and gp
// (nil: no KL term) into buf.dlog = ∂loss/∂logits.
func (p *pass) backward(x []float32, n int, stream uint64, gp []float32) error {
	b, m, ws := &p.buf, p.model, p.ws
	nlc := n * b.lc
	if err := m.Dec3.Backward(ws, b.dg2, b.dz, b.g2, n); err != nil {
		return err
	}
	if err := m.Act.Backward(b.dg2[:n*Hidden1], b.dg2[:n*Hidden1], b.g2); err != nil {
		return err
	}
	if err := m.Dec2.Backward(ws, b.dg1, b.dg2, b.g1, n); err != nil {
		return err
	}
	if err := m.Act.Backward(b.dg1[:n*Hidden2], b.dg1[:n*Hidden2], b.g1); err != nil {
		return err
	}
	if err := m.Dec1.Backward(ws, b.dD, b.dg1, b.d, n); err != nil {
		return err
	}
	switch p.cfg.Estimator.Method {
	case "reinforce":
		// Surrogate S = Σ_b sg(f_b)·Σ_l log q_bl(z_l) / n, so
		// every row of example b gets f_b/n; the decoder keeps its ordinary
		// gradient from Σ_b f_b / n (already in the decoder grads).
		l := p.cfg.L
		inv := 1 / float64(n)
		for e := range n {
			f := float32(b.rowLoss[e] * inv)
			for r := e * l; r < (e+1)*l; r++ {
				b.rowF[r] = f
			}
		}
		if err := p.est.SetRowLoss(b.rowF[:n*l]); err != nil {
			return err
		}
	case "exact":
		f, err := p.exact.codeLoss(p.model, ws, x, n)
		if err != nil {
			return err
		}
		if err := p.est.SetCodeLoss(f, p.cfg.L); err != nil {
			return err
		}
	}
	return p.est.Backward(ws, p.cfg.Seed, stream, b.dD[:nlc], gp, b.dlog[:nlc])
}
