package vae

import (
	"math"

	"github.com/discretegrad/reinmax/kernels"
)

// klEps is the guard inside the KL term's logarithm, log(q + 1e-10), as in
// fidelity/reference.py.
const klEps = 1e-10

// klPieceElems is about how many probabilities one parallel piece of the
// KL term takes.
const klPieceElems = 1024

// klLoss computes the KL term of a batch over a workspace's threads. Its
// buffers hold the logarithms and the per-probability terms q·log(q+1e-10),
// which are then summed on the caller in index order, so the result has the
// same bits for any thread count. Reused across batches, it allocates
// nothing.
type klLoss struct {
	logs  []float32
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
// the g_p that the estimator's Backward turns into J(π)g_p.
//
// As in the reference, q + 1e-10 and its logarithm are float32: the
// logarithm is kernels.NegLog's (within 1 ulp, the same bits on every
// path). With a float64 math.Log per probability the term took 0.73 ms of
// a 64×8 batch on one core, now 0.19 ms. The rest runs in float64: each
// product q·log(q+1e-10) is exact there, and the sum runs in index order.
func (k *klLoss) uniform(ws *kernels.Workspace, gp, q []float32, n, l, c int) float64 {
	q = q[:n*l*c]
	if cap(k.terms) < len(q) {
		k.terms = make([]float64, len(q))
		k.logs = make([]float32, len(q))
	}
	terms, logs := k.terms[:len(q)], k.logs[:len(q)]
	inv := 1 / float64(n)
	pieces := (len(q) + klPieceElems - 1) / klPieceElems
	t := &k.task
	*t = klTask{gp: gp, q: q, logs: logs, terms: terms, inv: inv, pieces: pieces}
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
	gp, q, logs []float32
	terms       []float64
	inv         float64
	pieces      int
}

func (t *klTask) RunTask(i int) {
	lo, hi := i*len(t.q)/t.pieces, (i+1)*len(t.q)/t.pieces
	q, logs := t.q[lo:hi], t.logs[lo:hi]
	for j, v := range q {
		logs[j] = v + klEps
	}
	kernels.NegLog(logs)
	for j, v := range q {
		qv, lg := float64(v), -float64(logs[j])
		t.terms[lo+j] = qv * lg
		if t.gp != nil {
			t.gp[lo+j] = float32((lg + qv/(qv+klEps)) * t.inv)
		}
	}
}
