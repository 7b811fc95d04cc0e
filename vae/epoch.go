package vae

import (
	"context"
	"fmt"
	"time"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/internal/faultpoint"
)

// EpochStats is the per-epoch record of a training run.
type EpochStats struct {
	// Epoch is the 1-based number of the epoch just completed; Step the
	// global step count after it.
	Epoch, Step int
	// Train* average loss·n over the epoch's batches, computed while training.
	TrainLoss, TrainBCE, TrainKLD float64
	// Test* are Evaluate's results after the epoch; zero when the trainer
	// has no test set (HasTest false).
	TestLoss, TestBCE, TestKLD float64
	HasTest                    bool
	// TestOneCode is EvalStats.OneCode of the test pass.
	TestOneCode bool
	// Seconds is the wall time of the epoch including the test pass;
	// TrainSeconds excludes it.
	Seconds, TrainSeconds float64
}

// Record returns [train_loss, train_bce, train_kld, test_loss, test_bce,
// test_kld, seconds], the reference's per-epoch row.
func (s EpochStats) Record() [7]float64 {
	return [7]float64{s.TrainLoss, s.TrainBCE, s.TrainKLD, s.TestLoss, s.TestBCE, s.TestKLD, s.Seconds}
}

// EvalStats are losses averaged over the examples of a data set.
type EvalStats struct {
	Loss, BCE, KLD float64
	N              int
	// OneCode reports that every example had the same most probable code
	// (the argmax of π in each latent): with KLD at its maximum L·log C,
	// the sign of posterior collapse.
	OneCode bool
}

// TrainEpoch runs the remaining steps of the current epoch (all of them at
// an epoch boundary), calling progress (if not nil) after each step with the
// global step count and the step's loss, then evaluates on the test set.
// ctx is checked before every step; on cancellation it returns ctx's error
// (wrapped) with the trainer in a consistent state: Save then resumes the
// epoch where it stopped. Once the epoch's last step has started, the epoch
// is finished, test pass included, whatever ctx says. A step error (for example ErrNonFinite) is
// returned as is.
func (t *Trainer) TrainEpoch(ctx context.Context, progress func(step int, loss float64)) (EpochStats, error) {
	start := time.Now()
	end := (t.step/t.StepsPerEpoch() + 1) * t.StepsPerEpoch()
	for t.step < end {
		if err := ctx.Err(); err != nil {
			t.seconds += time.Since(start).Seconds()
			return EpochStats{}, fmt.Errorf("vae.Trainer.TrainEpoch: stopped before step %d: %w", t.step+1, err)
		}
		st, err := t.Step()
		if err != nil {
			t.seconds += time.Since(start).Seconds()
			return EpochStats{}, err
		}
		if progress != nil {
			progress(t.step, st.Loss)
		}
	}
	t.seconds += time.Since(start).Seconds()
	seen := float64(t.seen)
	s := EpochStats{
		Epoch: t.Epoch(), Step: t.step,
		TrainLoss: t.sumLoss / seen, TrainBCE: t.sumBCE / seen, TrainKLD: t.sumKLD / seen,
		TrainSeconds: t.seconds,
	}
	t.sumLoss, t.sumBCE, t.sumKLD, t.seen, t.seconds = 0, 0, 0, 0, 0
	evalStart := time.Now()
	faultpoint.At("test pass")
	if t.test != nil {
		ev, err := t.Evaluate()
		if err != nil {
			return EpochStats{}, err
		}
		s.TestLoss, s.TestBCE, s.TestKLD, s.HasTest, s.TestOneCode = ev.Loss, ev.BCE, ev.KLD, true, ev.OneCode
	}
	s.Seconds = s.TrainSeconds + time.Since(evalStart).Seconds()
	return s, nil
}

// Evaluate returns the test set's BCE + KLD averaged over its examples, with
// one sample per example from the estimator's forward, in
// batches of Config.Batch. Batch b draws from the stream
// (seed, 0x3<<60 | GlobalStep<<20 | b), so the result is a function of the
// training state. Allocates nothing.
func (t *Trainer) Evaluate() (EvalStats, error) {
	if t.test == nil {
		return EvalStats{}, fmt.Errorf("vae.Trainer.Evaluate: the trainer has no test set: %w", errkind.Argument)
	}
	return t.EvaluateDataset(t.test)
}

// EvaluateDataset is Evaluate on any data set (for example the training
// set). It does not change the trainer's state.
func (t *Trainer) EvaluateDataset(d *Dataset) (EvalStats, error) {
	t.lastN = 0 // the batch buffers are reused
	if d == nil || d.N < 1 || len(d.Pixels) < d.N*ImagePixels {
		return EvalStats{}, fmt.Errorf("vae.Trainer.EvaluateDataset: empty or malformed data set: %w", errkind.Shape)
	}
	var sumBCE, sumKLD float64
	oneCode := true
	for b, lo := 0, 0; lo < d.N; b, lo = b+1, lo+t.cfg.Batch {
		n := min(t.cfg.Batch, d.N-lo)
		x := d.Pixels[lo*ImagePixels : (lo+n)*ImagePixels]
		st, err := t.forward(x, n, evalStream(t.step, b), false)
		if err != nil {
			return EvalStats{}, fmt.Errorf("vae.Trainer.EvaluateDataset: batch %d: %w", b, err)
		}
		sumBCE += st.BCE * float64(n)
		sumKLD += st.KLD * float64(n)
		oneCode = oneCode && t.sameCodes(n, b == 0)
	}
	inv := 1 / float64(d.N)
	ev := EvalStats{BCE: sumBCE * inv, KLD: sumKLD * inv, N: d.N, OneCode: oneCode}
	ev.Loss = ev.BCE + ev.KLD
	return ev, nil
}

// sameCodes reports whether each of the n examples whose π the last
// forward left in buf.pi has the most probable code (the argmax in each
// latent) of the first example of the first batch, which it records when
// first is set.
func (t *Trainer) sameCodes(n int, first bool) bool {
	b, c := &t.buf, t.cfg.C
	for i := range n * t.cfg.L {
		row := b.pi[i*c : (i+1)*c]
		arg := int32(0)
		for k, p := range row {
			if p > row[arg] {
				arg = int32(k)
			}
		}
		l := i % t.cfg.L
		switch {
		case first && i < t.cfg.L:
			b.code[l] = arg
		case arg != b.code[l]:
			return false
		}
	}
	return true
}
