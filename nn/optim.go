package nn

import (
	"fmt"
	"math"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/kernels"
)

// Optimiser kinds accepted by NewOptimizer.
const (
	Adam  = "adam"
	RAdam = "radam"
)

// PyTorch's defaults for Adam and RAdam.
const (
	DefaultBeta1 = 0.9
	DefaultBeta2 = 0.999
	DefaultEps   = 1e-8
)

// optChunk is the fixed piece size of the parallel optimiser pass. The
// update is elementwise, so the split never changes a bit of the result.
const optChunk = 1 << 14

// Optimizer is Adam or RAdam with PyTorch semantics (torch.optim.Adam and
// torch.optim.RAdam, single-tensor path, no weight decay, no amsgrad;
// kernels.AdamStep and kernels.RAdamStep) over one flat parameter vector and its gradient (Params.Data and
// Params.Grad). Its state is M and V (the first and second moments, laid out
// like the parameters) and T, the number of steps taken; those three and the
// hyper-parameters are all a checkpoint needs.
type Optimizer struct {
	Kind                  string  // Adam or RAdam
	LR, Beta1, Beta2, Eps float64 // learning rate and PyTorch's betas and eps
	M, V                  []float32
	T                     int

	task optTask
}

// NewOptimizer returns an Adam or RAdam optimiser (kind Adam or RAdam) for n
// parameters with learning rate lr (finite, >= 0) and PyTorch's default
// betas (0.9, 0.999) and eps 1e-8. The moments start at zero and T at 0.
func NewOptimizer(kind string, lr float64, n int) (*Optimizer, error) {
	o := &Optimizer{Kind: kind, LR: lr, Beta1: DefaultBeta1, Beta2: DefaultBeta2, Eps: DefaultEps}
	if n < 1 {
		return nil, fmt.Errorf("nn.NewOptimizer: n=%d parameters, need >= 1: %w", n, errkind.Shape)
	}
	if err := o.validate("nn.NewOptimizer"); err != nil {
		return nil, err
	}
	o.M = make([]float32, n)
	o.V = make([]float32, n)
	return o, nil
}

func (o *Optimizer) validate(fn string) error {
	if o.Kind != Adam && o.Kind != RAdam {
		return fmt.Errorf("%s: kind=%q, want %q or %q: %w", fn, o.Kind, Adam, RAdam, errkind.Argument)
	}
	if !(o.LR >= 0) || math.IsInf(o.LR, 0) {
		return fmt.Errorf("%s: lr=%v must be finite and >= 0: %w", fn, o.LR, errkind.Argument)
	}
	if !(o.Beta1 >= 0 && o.Beta1 < 1) || !(o.Beta2 >= 0 && o.Beta2 < 1) {
		return fmt.Errorf("%s: betas=(%v, %v) must be in [0, 1): %w", fn, o.Beta1, o.Beta2, errkind.Argument)
	}
	if !(o.Eps >= 0) || math.IsInf(o.Eps, 0) {
		return fmt.Errorf("%s: eps=%v must be finite and >= 0: %w", fn, o.Eps, errkind.Argument)
	}
	return nil
}

// Reset zeroes the moments and the step count.
func (o *Optimizer) Reset() {
	clear(o.M)
	clear(o.V)
	o.T = 0
}

// Step applies one update to params given grads (both of len(o.M)) and
// increments T. The pass is split over ws's workers in fixed chunks.
// It checks lengths and hyper-parameters, not finiteness (see
// Params.GradFinite). Allocates nothing.
func (o *Optimizer) Step(ws *kernels.Workspace, params, grads []float32) error {
	if len(params) != len(o.M) || len(grads) != len(o.M) || len(o.V) != len(o.M) {
		return fmt.Errorf("nn.Optimizer.Step: len(params)=%d len(grads)=%d len(M)=%d len(V)=%d, all must be equal: %w",
			len(params), len(grads), len(o.M), len(o.V), errkind.Shape)
	}
	if err := o.validate("nn.Optimizer.Step"); err != nil {
		return err
	}
	o.T++
	t := &o.task
	*t = optTask{o: o, params: params, grads: grads}
	ws.Parallel((len(params)+optChunk-1)/optChunk, t)
	*t = optTask{}
	return nil
}

type optTask struct {
	o             *Optimizer
	params, grads []float32
}

// RunTask updates chunk i of the parameter vector.
func (t *optTask) RunTask(i int) {
	lo := i * optChunk
	hi := min(lo+optChunk, len(t.params))
	o := t.o
	p, g, m, v := t.params[lo:hi], t.grads[lo:hi], o.M[lo:hi], o.V[lo:hi]
	// Both kernels compute their per-step scalars from (lr, betas, eps, T)
	// alone, so every chunk applies exactly the same update rule.
	if o.Kind == RAdam {
		kernels.RAdamStep(p, g, m, v, o.LR, o.Beta1, o.Beta2, o.Eps, o.T)
		return
	}
	kernels.AdamStep(p, g, m, v, o.LR, o.Beta1, o.Beta2, o.Eps, o.T)
}
