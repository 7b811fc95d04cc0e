package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/kernels"
	"github.com/discretegrad/reinmax/vae"
)

// MainMethods returns the estimators of the headline comparison, st first
// (the baseline of the ratios): st, reinmax, reinmax-rao, reinmax-cv, gr
// (a fresh slice).
func MainMethods() []estimators.Method {
	return []estimators.Method{estimators.ST, estimators.ReinMax, estimators.ReinMaxRao, estimators.ReinMaxCV, estimators.GR}
}

// EstimatorCases returns one case per method (estimators.Methods(), or
// MainMethods when o.Quick), configuration C×L (8×4 alone when o.Quick) and
// thread count, named "estimator/CxL/<method>/t<threads>": one Forward +
// Backward over the 100·L rows of C categories of a batch, with the
// estimator configuration of the training cases (TrainConfig: the
// presets' τ, K = 100), in rows/s, against st at the same
// configuration and threads. exact runs only where C^L <= vae.MaxExactCodes;
// reinforce and exact get their per-row and per-code losses each call, as
// in training. Logits, g and g_p are N(0, 1); each call draws from its own
// stream.
func EstimatorCases(o Options) ([]Case, error) {
	o, err := o.withDefaults("EstimatorCases")
	if err != nil {
		return nil, err
	}
	methods := estimators.Methods()
	if o.Quick {
		methods = MainMethods()
	}
	// st first, so that the baseline is measured before the others.
	methods = append([]estimators.Method{estimators.ST}, slices.DeleteFunc(methods, func(m estimators.Method) bool { return m == estimators.ST })...)
	var cs []Case
	for _, sh := range o.shapes() {
		codes, exactOK := vae.CodeCount(sh.C, sh.L)
		for _, m := range methods {
			if m == "exact" && !exactOK {
				continue
			}
			for _, t := range o.Threads {
				c := Case{
					Name:  fmt.Sprintf("%s/%s/%s/%s", GroupEstimator, sh, m, threadSuffix(t)),
					Group: GroupEstimator, Threads: t,
					Work: float64(Batch * sh.L), Unit: UnitRows,
					setup: estimatorSetup(m, sh, codes, t),
				}
				if m != "st" {
					c.Baseline = fmt.Sprintf("%s/%s/st/%s", GroupEstimator, sh, threadSuffix(t))
				}
				cs = append(cs, c)
			}
		}
	}
	return cs, nil
}

// estimatorSetup builds one batch of logits and upstream gradients and
// returns the timed Forward + Backward.
func estimatorSetup(method estimators.Method, sh Shape, codes, threads int) func() (func(int) error, func(), error) {
	return func() (func(int) error, func(), error) {
		rows, cols := Batch*sh.L, sh.C
		est, err := estimators.New(TrainConfig(method, sh, threads).Estimator, rows, cols)
		if err != nil {
			return nil, nil, err
		}
		r := rand.New(rand.NewPCG(5, 6))
		logits, g, gp := normals(r, rows*cols, 1), normals(r, rows*cols, 1), normals(r, rows*cols, 1)
		d, pi, grad := make([]float32, rows*cols), make([]float32, rows*cols), make([]float32, rows*cols)
		rowLoss := normals(r, rows, 1)
		var codeLoss []float32
		if method == "exact" {
			codeLoss = normals(r, Batch*codes, 1)
		}
		ws := kernels.NewWorkspace(threads)
		op := func(i int) error {
			if err := est.Forward(ws, 1, uint64(i), logits, d, pi); err != nil {
				return err
			}
			switch method {
			case "reinforce":
				if err := est.SetRowLoss(rowLoss); err != nil {
					return err
				}
			case "exact":
				if err := est.SetCodeLoss(codeLoss, sh.L); err != nil {
					return err
				}
			}
			return est.Backward(ws, 1, uint64(i), g, gp, grad)
		}
		return op, ws.Close, nil
	}
}
