package nn

import "github.com/discretegrad/reinmax/kernels"

// finiteChunk is the fixed piece size of the finiteness scan. The answer is
// a boolean, so the split cannot change it; the size only bounds the work
// per piece.
const finiteChunk = 1 << 15

// finiteTask scans fixed chunks of x for NaN or ±Inf; bad[i] records chunk i.
// It lives inside Params so that handing it to Workspace.Parallel does not
// allocate.
type finiteTask struct {
	x   []float32
	bad []bool
}

// RunTask scans chunk i.
func (t *finiteTask) RunTask(i int) {
	lo := i * finiteChunk
	hi := min(lo+finiteChunk, len(t.x))
	t.bad[i] = !allFinite(t.x[lo:hi])
}

// allFinite reports whether x holds no NaN and no ±Inf (kernels.AllFinite:
// AVX2 where available).
func allFinite(x []float32) bool { return kernels.AllFinite(x) }

// GradFinite reports whether every gradient is finite (no NaN, no ±Inf).
// The scan is split over ws's workers in fixed chunks. It allocates only on
// its first call.
func (p *Params) GradFinite(ws *kernels.Workspace) bool { return p.fin.check(ws, p.Grad) }

// DataFinite reports whether every parameter is finite.
func (p *Params) DataFinite(ws *kernels.Workspace) bool { return p.fin.check(ws, p.Data) }

func (t *finiteTask) check(ws *kernels.Workspace, x []float32) bool {
	n := (len(x) + finiteChunk - 1) / finiteChunk
	if cap(t.bad) < n {
		t.bad = make([]bool, n)
	}
	t.x, t.bad = x, t.bad[:n]
	ws.Parallel(n, t)
	t.x = nil
	for _, b := range t.bad {
		if b {
			return false
		}
	}
	return true
}
