package vae

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/kernels"
	"github.com/discretegrad/reinmax/nn"
)

// ErrNonFinite is returned (wrapped, with the epoch and step) when a
// training step produces a NaN or infinite loss or gradient. The step is not
// applied: parameters, optimiser state and counters are left as they were.
// It wraps errkind.NonFinite too.
var ErrNonFinite = fmt.Errorf("vae: non-finite loss or gradient: %w", errkind.NonFinite)

// Trainer trains one Model on one data set with one estimator and optimiser,
// following the training protocol of docs/estimators.md ("The categorical
// VAE"). All buffers are allocated by NewTrainer; Step allocates nothing. A
// Trainer serves one goroutine at a time; call Close when done.
//
// State: the global step (number of optimiser steps taken) fixes the epoch
// (step / StepsPerEpoch) and the batch within it, so the parameters, the
// optimiser moments, the step and the running sums of the current epoch are
// all a checkpoint holds (Save, Load).
type Trainer struct {
	pass // config, model, estimator, workspace, batch buffers

	opt   *nn.Optimizer
	train *Dataset
	test  *Dataset

	step int // optimiser steps taken

	// The permutation of the current epoch, recomputed from (seed, epoch).
	perm      []int32
	permEpoch int
	pcg       rand.PCG

	// Running sums of the current epoch: Σ loss·n, Σ bce·n, Σ kld·n, Σ n,
	// and the seconds spent training in it.
	sumLoss, sumBCE, sumKLD float64
	seen                    int
	seconds                 float64

	// lastN is the batch size of the last Step (LastBatch), 0 when the
	// batch buffers no longer hold it.
	lastN int
}

// StepStats are the batch-mean losses of one training step.
type StepStats struct {
	Loss, BCE, KLD float64 // BCE + KLD, Σ BCE / n, KLD to the uniform prior
	N              int     // examples in the batch
}

// NewTrainer validates cfg (after WithDefaults), builds the model with
// weights initialised from cfg.Seed, the estimator, the optimiser and every
// buffer. train must hold at least one image; test may be nil (then
// TrainEpoch reports no test loss and Evaluate fails).
func NewTrainer(cfg Config, train, test *Dataset) (*Trainer, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("vae.NewTrainer: %w", err)
	}
	if err := checkDataset("train", train); err != nil {
		return nil, err
	}
	if test != nil {
		if err := checkDataset("test", test); err != nil {
			return nil, err
		}
	}
	model, err := NewModel(cfg.C, cfg.L, cfg.Activation())
	if err != nil {
		return nil, fmt.Errorf("vae.NewTrainer: %w", err)
	}
	if err := model.Init(cfg.Seed); err != nil {
		return nil, fmt.Errorf("vae.NewTrainer: %w", err)
	}
	opt, err := nn.NewOptimizer(cfg.Optimizer, cfg.LR, model.Params.Len())
	if err != nil {
		return nil, fmt.Errorf("vae.NewTrainer: %w", err)
	}
	est, err := estimators.New(cfg.Estimator, cfg.Batch*cfg.L, cfg.C)
	if err != nil {
		return nil, fmt.Errorf("vae.NewTrainer: %w", err)
	}
	t := &Trainer{
		pass:  newPass(cfg, model, est, kernels.NewWorkspace(cfg.Threads)),
		opt:   opt,
		train: train, test: test,
		perm: make([]int32, train.N), permEpoch: -1,
	}
	return t, nil
}

func checkDataset(name string, d *Dataset) error {
	if d == nil || d.N < 1 || len(d.Pixels) != d.N*ImagePixels {
		n, p := 0, 0
		if d != nil {
			n, p = d.N, len(d.Pixels)
		}
		return fmt.Errorf("vae.NewTrainer: %s set: N=%d with %d pixels, need N >= 1 and N·%d pixels: %w",
			name, n, p, ImagePixels, errkind.Shape)
	}
	return nil
}

// Close releases the worker goroutines. The trainer must not be used after.
func (t *Trainer) Close() { t.ws.Close() }

// Config returns the configuration with defaults filled.
func (t *Trainer) Config() Config { return t.cfg }

// Model returns the model being trained (shared, not a copy).
func (t *Trainer) Model() *Model { return t.model }

// Optimizer returns the optimiser (shared, not a copy).
func (t *Trainer) Optimizer() *nn.Optimizer { return t.opt }

// Workspace returns the trainer's workspace, for Model helpers called
// between steps from the same goroutine.
func (t *Trainer) Workspace() *kernels.Workspace { return t.ws }

// GlobalStep is the number of optimiser steps taken.
func (t *Trainer) GlobalStep() int { return t.step }

// StepsPerEpoch is ⌈train.N / Batch⌉; the last batch of an epoch may be
// smaller than Batch.
func (t *Trainer) StepsPerEpoch() int { return (t.train.N + t.cfg.Batch - 1) / t.cfg.Batch }

// Epoch is the number of completed epochs.
func (t *Trainer) Epoch() int { return t.step / t.StepsPerEpoch() }

// batchOf returns the 0-based epoch and the [lo, hi) range of the current
// epoch's permutation used by the next step.
func (t *Trainer) batchOf() (epoch, lo, hi int) {
	spe := t.StepsPerEpoch()
	epoch = t.step / spe
	lo = (t.step % spe) * t.cfg.Batch
	return epoch, lo, min(lo+t.cfg.Batch, t.train.N)
}

// Step takes one optimiser step on the next batch of the current epoch and
// returns its batch-mean losses. Estimator noise comes from the stream of
// the global step (see the package documentation). A NaN or infinite loss
// or gradient returns an error wrapping ErrNonFinite that names the epoch
// and step, with nothing applied. Allocates nothing.
func (t *Trainer) Step() (StepStats, error) {
	epoch, lo, hi := t.batchOf()
	if t.permEpoch != epoch {
		shuffle(&t.pcg, t.perm, t.cfg.Seed, epoch)
		t.permEpoch = epoch
	}
	n := hi - lo
	x := t.buf.x[:n*ImagePixels]
	for i, j := range t.perm[lo:hi] {
		copy(x[i*ImagePixels:(i+1)*ImagePixels], t.train.Image(int(j)))
	}
	st, err := t.forward(x, n, uint64(t.step), true)
	if err == nil {
		err = t.backward(x, n, uint64(t.step))
	}
	if err == nil && (!isFinite(st.Loss) || !t.model.Params.GradFinite(t.ws)) {
		err = fmt.Errorf("loss %v (bce %v, kld %v): %w", st.Loss, st.BCE, st.KLD, ErrNonFinite)
	}
	if err != nil {
		if errors.Is(err, errkind.NonFinite) && !errors.Is(err, ErrNonFinite) {
			err = fmt.Errorf("%w: %w", ErrNonFinite, err)
		}
		return StepStats{}, fmt.Errorf("vae.Trainer.Step: epoch %d, step %d (batch %d of %d): %w",
			epoch+1, t.step+1, t.step%t.StepsPerEpoch()+1, t.StepsPerEpoch(), err)
	}
	if err := t.opt.Step(t.ws, t.model.Params.Data, t.model.Params.Grad); err != nil {
		return StepStats{}, fmt.Errorf("vae.Trainer.Step: %w", err)
	}
	t.step++
	fn := float64(n)
	t.sumLoss += st.Loss * fn
	t.sumBCE += st.BCE * fn
	t.sumKLD += st.KLD * fn
	t.seen += n
	t.lastN = n
	return st, nil
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// forward encodes the batch x (n images) and runs pass.forward with the
// estimator's sample from stream; with grad it leaves ∂loss/∂(decoder
// logits) in dz and ∂KLD/∂π in gp for backward.
func (t *Trainer) forward(x []float32, n int, stream uint64, grad bool) (StepStats, error) {
	b := &t.buf
	if err := t.model.encode(t.ws, x, b.h1, b.h2, b.logits, n); err != nil {
		return StepStats{}, err
	}
	if grad {
		return t.pass.forward(x, n, stream, b.dz, b.gp)
	}
	return t.pass.forward(x, n, stream, nil, nil)
}

// backward propagates the gradients left by forward through the decoder,
// the estimator (with the KL gradient gp) and the encoder into Params.Grad.
func (t *Trainer) backward(x []float32, n int, stream uint64) error {
	b, m, ws := &t.buf, t.model, t.ws
	if err := t.pass.backward(x, n, stream, b.gp[:n*b.lc]); err != nil {
		return err
	}
	if err := m.Enc3.Backward(ws, b.dh2, b.dlog, b.h2, n); err != nil {
		return err
	}
	if err := m.Act.Backward(b.dh2[:n*Hidden2], b.dh2[:n*Hidden2], b.h2); err != nil {
		return err
	}
	if err := m.Enc2.Backward(ws, b.dh1, b.dh2, b.h1, n); err != nil {
		return err
	}
	if err := m.Act.Backward(b.dh1[:n*Hidden1], b.dh1[:n*Hidden1], b.h1); err != nil {
		return err
	}
	return m.Enc1.Backward(ws, nil, b.dh1, x, n)
}
