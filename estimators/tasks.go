package estimators

import "github.com/discretegrad/reinmax/kernels"

// phase selects what blockTask does; every phase works on whole row blocks
// of kernels.RowBlock rows (exact: blocks of examples), so pieces write
// disjoint memory and the random streams are tied to blocks, not threads.
type phase int

const (
	phaseLoad         phase = iota // θ = logits, largest |θ| (loadLogits)
	phaseForwardNoise              // uniforms or Gumbel noise of the forward
	phaseSumNoise                  // soft = θ + G (gs, reinmax-cv softmax mode)
	phaseGapped                    // soft = gapped logits θ̂ (gst)
	phaseGrad                      // grad rows from everything above
	phaseExact                     // exact enumeration, per block of examples
)

// blockTask adapts the Estimator to kernels.Task without allocating: the
// Estimator owns one and passes its address to Workspace.Parallel.
type blockTask struct {
	e     *Estimator
	phase phase
}

// RunTask runs the current phase on block b.
func (t *blockTask) RunTask(b int) {
	e := t.e
	switch t.phase {
	case phaseLoad:
		e.loadBlock(b)
	case phaseForwardNoise:
		e.forwardNoiseBlock(b)
	case phaseSumNoise:
		lo, hi := blockRange(b, e.rows)
		c := e.cols
		for i := lo * c; i < hi*c; i++ {
			e.soft[i] = e.theta[i] + e.gum[i]
		}
	case phaseGapped:
		e.gappedBlock(b)
	case phaseGrad:
		e.gradBlock(b)
	case phaseExact:
		e.exactBlock(b)
	}
}

// forwardNoiseBlock draws the forward noise of block b from the stream
// (seed, stream, b): one uniform per row, or cols Gumbels per row (row-major).
func (e *Estimator) forwardNoiseBlock(b int) {
	lo, hi := blockRange(b, e.rows)
	kernels.SeedStream(e.pcgs[b], e.seed, e.stream, uint64(b))
	if e.m.gumbelForward() {
		kernels.Gumbels(e.rngs[b], e.gum[lo*e.cols:hi*e.cols])
	} else {
		kernels.Uniforms(e.rngs[b], e.u[lo:hi])
	}
}
