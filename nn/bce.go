package nn

import (
	"fmt"
	"math"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/kernels"
)

// bceRows is the fixed number of rows per parallel piece of BCE.Loss. Each
// row's loss is computed by one piece and the total is summed in row order,
// so neither the thread count nor this constant changes any result bit.
const bceRows = 4

// BCE is the fused sigmoid + binary cross-entropy loss of the decoder,
// PyTorch's binary_cross_entropy(sigmoid(z), x) with its logs clamped at
// −100 (kernels.SigmoidBCE). It keeps a per-row scratch buffer and the
// parallel task, so reuse one BCE per goroutine; the zero value is ready.
type BCE struct {
	rowBuf []float64
	task   bceTask
}

type bceTask struct {
	dz, z, x []float32
	cols     int
	scale    float32
	rowLoss  []float64
}

// RunTask computes the losses of the rows of piece i.
func (t *bceTask) RunTask(i int) {
	r0 := i * bceRows
	r1 := min(r0+bceRows, len(t.rowLoss))
	for r := r0; r < r1; r++ {
		lo, hi := r*t.cols, (r+1)*t.cols
		var dz []float32
		if t.dz != nil {
			dz = t.dz[lo:hi]
		}
		t.rowLoss[r] = kernels.SigmoidBCE(dz, t.z[lo:hi], t.x[lo:hi], t.scale)
	}
}

// Loss computes, for decoder logits z and targets x in [0, 1] (both
// rows×cols), the per-row losses
//
//	rowLoss[r] = Σ_c −[x·max(log p, −100) + (1−x)·max(log(1−p), −100)],  p = sigmoid(z[r,c])
//
// and returns their sum in row order. When dz is not nil it receives
// dz = scale·∂(Σ rowLoss)/∂z = scale·(p − x), rows×cols (dz may equal z).
// rowLoss may be nil; when given it needs len >= rows. Rows are split over
// ws's workers. Allocates only when a larger batch than before needs a
// bigger scratch buffer (rowLoss nil).
func (b *BCE) Loss(ws *kernels.Workspace, dz, z, x []float32, rows, cols int, scale float32, rowLoss []float64) (float64, error) {
	n := rows * cols
	switch {
	case rows < 0 || cols < 1:
		return 0, fmt.Errorf("nn.BCE.Loss: rows=%d cols=%d: %w", rows, cols, errkind.Shape)
	case len(z) < n || len(x) < n:
		return 0, fmt.Errorf("nn.BCE.Loss: len(z)=%d len(x)=%d, need %d for rows=%d cols=%d: %w",
			len(z), len(x), n, rows, cols, errkind.Shape)
	case dz != nil && len(dz) < n:
		return 0, fmt.Errorf("nn.BCE.Loss: len(dz)=%d, need %d for rows=%d cols=%d: %w", len(dz), n, rows, cols, errkind.Shape)
	case rowLoss != nil && len(rowLoss) < rows:
		return 0, fmt.Errorf("nn.BCE.Loss: len(rowLoss)=%d, need %d: %w", len(rowLoss), rows, errkind.Shape)
	case math.IsNaN(float64(scale)) || math.IsInf(float64(scale), 0):
		return 0, fmt.Errorf("nn.BCE.Loss: scale=%v: %w", scale, errkind.NonFinite)
	}
	if rowLoss == nil {
		if cap(b.rowBuf) < rows {
			b.rowBuf = make([]float64, rows)
		}
		rowLoss = b.rowBuf
	}
	rowLoss = rowLoss[:rows]
	t := &b.task
	t.z, t.x, t.cols, t.scale, t.rowLoss = z[:n], x[:n], cols, scale, rowLoss
	t.dz = nil
	if dz != nil {
		t.dz = dz[:n]
	}
	ws.Parallel((rows+bceRows-1)/bceRows, t)
	*t = bceTask{}
	var sum float64
	for _, v := range rowLoss {
		sum += v
	}
	return sum, nil
}

// SigmoidLogs returns the clamped logs of p = sigmoid(z) that the binary
// cross-entropy uses, lp = max(log p, −100) and l1p = max(log(1−p), −100),
// with the semantics of kernels.SigmoidBCE (the same saturation points;
// the kernel works in float32, this in float64, so they agree within the
// kernel's 4e-7 relative error): stable log-sigmoid
// forms in float64, except where PyTorch's float32 p saturates — when
// 1 + e^−z rounds to 1 in float32 (z >= 24·ln 2 ≈ 16.64), p = 1 and
// l1p = −100; when e^−z overflows float32 (z < −88.72), p = 0 and lp = −100.
// So the BCE of a target x, −(x·lp + (1−x)·l1p), matches the kernel's, and the
// exact estimator's code losses agree with the sampled loss.
func SigmoidLogs(z float32) (lp, l1p float64) {
	zf := float64(z)
	a := math.Abs(zf)
	t := math.Exp(-a) // e^−|z| in (0, 1]
	l := math.Log1p(t)
	if zf >= 0 {
		lp, l1p = -l, -a-l
		if float32(1)+float32(t) == 1 { // PyTorch's p is exactly 1
			return 0, -100
		}
	} else {
		lp, l1p = -a-l, -l
		if math.IsInf(float64(float32(1/t)), 1) { // e^−z overflows: p = 0
			return -100, 0
		}
	}
	return max(lp, -100), max(l1p, -100)
}
