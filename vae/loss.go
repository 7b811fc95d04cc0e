package vae

import (
	"math"

	"github.com/discretegrad/reinmax/kernels"
)

// klEps is the guard inside the KL term's logarithm, log(q + 1e-10) (spec §4.3).
const klEps = 1e-10

// klPieceElems is about how many probabilities one parallel piece of the
// KL term takes: a float64 logarithm costs some 10-20 ns, so at 64×8 (51 200
// probabilities a batch) the term took most of a millisecond on one core.
const klPieceElems = 1024

// klLoss computes the KL term of a batch over a workspace's threads. Its
// buffer holds the per-probability terms q·log(q+1e-10), which are then
// summed on the caller in index order, so the result has the same bits for
// any thread count. Reused across batches, it allocates nothing.
type klLoss struct {
	terms []float64
	task  klTask
}

// uniform returns the KL divergence of the n examples' posteriors q
// (n·L rows of C probabilities) to the uniform prior, averaged over the
// examples as the reference computes it,
//
//	KLD = (1/n) Σ_{b,l,c} q log(q + 1e-10) + L·log C,
//
// and, when gp is not nil, writes gp = ∂KLD/∂q = (log(q+1e-10) + q/(q+1e-10))/n,
// the g_p that the estimator's Backward turns into J(π)g_p. The sum runs in
// float64 in index order, each product q·log(q+1e-10) rounded on its own.
func (k *klLoss) uniform(ws *kernels.Workspace, gp, q []float32, n, l, c int) float64 {
	q = q[:n*l*c]
	if cap(k.terms) < len(q) {
		k.terms = make([]float64, len(q))
	}
	terms := k.terms[:len(q)]
	inv := 1 / float64(n)
	pieces := (len(q) + klPieceElems - 1) / klPieceElems
	t := &k.task
	*t = klTask{gp: gp, q: q, terms: terms, inv: inv, pieces: pieces}
	ws.Parallel(pieces, t)
	*t = klTask{}
	var s float64
	for _, v := range terms {
		s += v
	}
	return s*inv + float64(l)*math.Log(float64(c))
}

// klTask computes the terms (and gp) of an equal share of the
// probabilities per piece.
type klTask struct {
	gp, q  []float32
	terms  []float64
	inv    float64
	pieces int
}

func (t *klTask) RunTask(i int) {
	lo, hi := i*len(t.q)/t.pieces, (i+1)*len(t.q)/t.pieces
	for j, v := range t.q[lo:hi] {
		qv := float64(v)
		lg := math.Log(qv + klEps)
		t.terms[lo+j] = float64(qv * lg)
		if t.gp != nil {
			t.gp[lo+j] = float32((lg + qv/(qv+klEps)) * t.inv)
		}
	}
}
