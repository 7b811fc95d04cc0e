package kernels

// PROVISIONAL: this file fixes the public API of the kernels package so that
// the other packages can be written against it. The bodies are plain,
// correct Go; the kernels work replaces them with the blocked, dispatched,
// assembly-backed implementations (and splits the file by idea) without
// changing any exported signature.

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// Sentinel errors; every returned error wraps one of them.
var (
	ErrShape       = errors.New("bad shape")
	ErrNonFinite   = errors.New("non-finite value")
	ErrTemperature = errors.New("bad temperature")
	ErrArgument    = errors.New("bad argument")
)

// Workspace holds reusable scratch (packed panels, padded blocks) and the
// worker pool. A Workspace serves one goroutine at a time. A nil *Workspace
// is valid everywhere and means a temporary single-threaded one.
type Workspace struct {
	threads int
	rows    rowScratch
}

// NewWorkspace returns a workspace whose parallel kernels use up to threads
// goroutines (threads < 1 means 1). Results never depend on threads.
func NewWorkspace(threads int) *Workspace {
	if threads < 1 {
		threads = 1
	}
	return &Workspace{threads: threads}
}

// Threads reports the number of worker goroutines (1 for a nil workspace).
func (ws *Workspace) Threads() int {
	if ws == nil {
		return 1
	}
	return ws.threads
}

// Close stops the workspace's workers. The workspace must not be used after.
func (ws *Workspace) Close() {}

// Task is work split into independent pieces, run by Parallel.
type Task interface {
	// RunTask runs piece i. Pieces must write disjoint memory.
	RunTask(i int)
}

// Parallel runs t.RunTask(i) for i in [0, n) on the workspace's workers and
// returns when all are done. Which goroutine runs a piece never matters for
// the result because pieces are independent. Allocates nothing.
func (ws *Workspace) Parallel(n int, t Task) {
	for i := 0; i < n; i++ {
		t.RunTask(i)
	}
}

// Sgemm computes C = alpha*op(A)*op(B) + beta*C with row-major storage, where
// op(X) is X or X^T (tA, tB), op(A) is m×k, op(B) is k×n and C is m×n with
// leading dimensions lda, ldb, ldc. beta = 0 never reads C. k = 0 gives
// C = beta*C. Work is split over tiles of C across ws's workers only, so the
// result is bitwise identical for any thread count.
func Sgemm(ws *Workspace, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) error {
	if m < 0 || n < 0 || k < 0 {
		return fmt.Errorf("kernels.Sgemm: negative dimension m=%d n=%d k=%d: %w", m, n, k, ErrShape)
	}
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	if err := checkMatrix("Sgemm", "a", len(a), ar, ac, lda); err != nil {
		return err
	}
	if err := checkMatrix("Sgemm", "b", len(b), br, bc, ldb); err != nil {
		return err
	}
	if err := checkMatrix("Sgemm", "c", len(c), m, n, ldc); err != nil {
		return err
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				var av, bv float32
				if tA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if tB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
	return nil
}

func checkMatrix(fn, name string, length, rows, cols, ld int) error {
	if ld < max(cols, 1) {
		return fmt.Errorf("kernels.%s: ld%s=%d < cols=%d: %w", fn, name, ld, cols, ErrShape)
	}
	if rows == 0 || cols == 0 {
		return nil
	}
	if need := (rows-1)*ld + cols; length < need {
		return fmt.Errorf("kernels.%s: len(%s)=%d, need %d for rows=%d cols=%d ld=%d: %w",
			fn, name, length, need, rows, cols, ld, ErrShape)
	}
	return nil
}

// SoftmaxRows computes dst[r,:] = softmax(src[r,:]/tau) for rows×cols
// row-major matrices (dst may equal src; no other overlap). If lse is not nil
// it receives, per row, log Σ_j exp(src[r,j]/tau). -Inf entries give exactly
// 0; a row with NaN or +Inf, or with no finite entry, is an error naming the
// row (ErrNonFinite). tau must be finite and > 0 (ErrTemperature).
func SoftmaxRows(ws *Workspace, dst, src []float32, rows, cols int, tau float32, lse []float32) error {
	if rows < 0 || cols < 1 {
		return fmt.Errorf("kernels.SoftmaxRows: rows=%d cols=%d: %w", rows, cols, ErrShape)
	}
	if !(tau > 0) || math.IsInf(float64(tau), 0) {
		return fmt.Errorf("kernels.SoftmaxRows: tau=%v must be finite and > 0: %w", tau, ErrTemperature)
	}
	if len(src) < rows*cols || len(dst) < rows*cols {
		return fmt.Errorf("kernels.SoftmaxRows: len(src)=%d len(dst)=%d, need %d: %w", len(src), len(dst), rows*cols, ErrShape)
	}
	if lse != nil && len(lse) < rows {
		return fmt.Errorf("kernels.SoftmaxRows: len(lse)=%d, need %d: %w", len(lse), rows, ErrShape)
	}
	inv := 1 / tau
	for r := 0; r < rows; r++ {
		s, d := src[r*cols:(r+1)*cols], dst[r*cols:(r+1)*cols]
		m := float32(math.Inf(-1))
		for _, v := range s {
			if v != v || math.IsInf(float64(v), 1) {
				return fmt.Errorf("kernels.SoftmaxRows: row %d holds %v: %w", r, v, ErrNonFinite)
			}
			m = max(m, v*inv)
		}
		if math.IsInf(float64(m), -1) {
			return fmt.Errorf("kernels.SoftmaxRows: row %d has no finite entry: %w", r, ErrNonFinite)
		}
		var sum float32
		for j, v := range s {
			e := float32(math.Exp(float64(v*inv - m)))
			d[j] = e
			sum += e
		}
		for j := range d {
			d[j] /= sum
		}
		if lse != nil {
			lse[r] = m + float32(math.Log(float64(sum)))
		}
	}
	return nil
}

// SampleRows draws idx[r] from the categorical distribution with
// (unnormalised, non-negative) probabilities p[r,:] given one uniform u[r] in
// [0,1): the first j with cdf[j] > u[r]*total, summing in a fixed order so
// every implementation returns identical indices for identical inputs.
func SampleRows(ws *Workspace, idx []int32, p []float32, rows, cols int, u []float32) error {
	if rows < 0 || cols < 1 || len(p) < rows*cols || len(u) < rows || len(idx) < rows {
		return fmt.Errorf("kernels.SampleRows: rows=%d cols=%d len(p)=%d len(u)=%d len(idx)=%d: %w",
			rows, cols, len(p), len(u), len(idx), ErrShape)
	}
	for r := 0; r < rows; r++ {
		row := p[r*cols : (r+1)*cols]
		var total float32
		for _, v := range row {
			total += v
		}
		t := u[r] * total
		var c float32
		pick := int32(-1)
		last := int32(cols - 1)
		for j, v := range row {
			if v > 0 {
				last = int32(j)
			}
			c += v
			if c > t && pick < 0 && v > 0 {
				pick = int32(j)
			}
		}
		if pick < 0 {
			pick = last
		}
		idx[r] = pick
	}
	return nil
}

// GumbelMaxRows sets idx[r] = argmax_j (logits[r,j] + g[r,j]) (first maximum).
func GumbelMaxRows(idx []int32, logits, g []float32, rows, cols int) error {
	if rows < 0 || cols < 1 || len(logits) < rows*cols || len(g) < rows*cols || len(idx) < rows {
		return fmt.Errorf("kernels.GumbelMaxRows: rows=%d cols=%d: %w", rows, cols, ErrShape)
	}
	for r := 0; r < rows; r++ {
		best, bi := float32(math.Inf(-1)), int32(0)
		for j := 0; j < cols; j++ {
			if v := logits[r*cols+j] + g[r*cols+j]; v > best {
				best, bi = v, int32(j)
			}
		}
		idx[r] = bi
	}
	return nil
}

// RowBlock is the number of rows that share one random stream. It is a
// constant of the reproducibility contract: streams depend on (seed, step,
// block) only, never on the thread count.
const RowBlock = 64

// SeedStream re-seeds pcg for the stream (seed, step, block) using a fixed
// splitmix64 mix; part of the reproducibility contract.
func SeedStream(pcg *rand.PCG, seed, step, block uint64) {
	pcg.Seed(seed, splitmix64(splitmix64(step)^block))
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Uniforms fills dst with uniforms in [0,1).
func Uniforms(r *rand.Rand, dst []float32) {
	for i := range dst {
		dst[i] = r.Float32()
	}
}

// Exponentials fills dst with Exp(1) draws (never 0 or +Inf).
func Exponentials(r *rand.Rand, dst []float32) {
	for i := range dst {
		dst[i] = float32(r.ExpFloat64())
	}
}

// Gumbels fills dst with Gumbel(0,1) draws, -log(E) with E ~ Exp(1).
func Gumbels(r *rand.Rand, dst []float32) {
	for i := range dst {
		dst[i] = float32(-math.Log(r.ExpFloat64()))
	}
}

// Axpy computes y += alpha*x (len(y) >= len(x)).
func Axpy(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

// Scale computes x *= alpha.
func Scale(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}

// AddBias adds bias[j] to every row of the rows×cols matrix m (ld = cols).
func AddBias(m []float32, rows, cols int, bias []float32) {
	bias = bias[:cols]
	for r := 0; r < rows; r++ {
		row := m[r*cols : (r+1)*cols]
		for j := range row {
			row[j] += bias[j]
		}
	}
}

// SumRows adds the column sums of the rows×cols matrix m into dst (len cols):
// the bias gradient. Rows are summed in order.
func SumRows(dst, m []float32, rows, cols int) {
	dst = dst[:cols]
	for r := 0; r < rows; r++ {
		row := m[r*cols : (r+1)*cols]
		for j := range row {
			dst[j] += row[j]
		}
	}
}

// Relu sets y = max(x, 0) (y may equal x).
func Relu(y, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = max(v, 0)
	}
}

// ReluBackward sets dx = dy where y > 0 and 0 elsewhere (dx may equal dy).
func ReluBackward(dx, dy, y []float32) {
	dx, y = dx[:len(dy)], y[:len(dy)]
	for i, v := range dy {
		if y[i] > 0 {
			dx[i] = v
		} else {
			dx[i] = 0
		}
	}
}

// SigmoidBCE computes, for logits z and targets x in [0,1], p = sigmoid(z),
// the loss Σ -[x·max(log p, -100) + (1-x)·max(log(1-p), -100)] (PyTorch's
// binary_cross_entropy on sigmoid outputs) and, if dz is not nil,
// dz = scale·∂loss/∂z. Returns the loss summed over all elements in float64.
func SigmoidBCE(dz, z, x []float32, scale float32) float64 {
	x = x[:len(z)]
	var sum float64
	for i, zi := range z {
		p := 1 / (1 + math.Exp(-float64(zi)))
		lp := max(math.Log(p), -100)
		l1p := max(math.Log1p(-p), -100)
		xi := float64(x[i])
		sum -= xi*lp + (1-xi)*l1p
		if dz != nil {
			dz[i] = scale * float32(p-xi)
		}
	}
	return sum
}

// AdamStep applies one Adam update (PyTorch semantics) to params with grads,
// moments m and v, at 1-based step t.
func AdamStep(params, grads, m, v []float32, lr, beta1, beta2, eps float64, t int) {
	bc1 := 1 - math.Pow(beta1, float64(t))
	bc2 := 1 - math.Pow(beta2, float64(t))
	stepSize := lr / bc1
	bc2s := math.Sqrt(bc2)
	for i, g := range grads[:len(params)] {
		m[i] = float32(beta1)*m[i] + float32(1-beta1)*g
		v[i] = float32(beta2)*v[i] + float32(1-beta2)*g*g
		denom := float32(math.Sqrt(float64(v[i])))/float32(bc2s) + float32(eps)
		params[i] -= float32(stepSize) * m[i] / denom
	}
}

// Active reports the active implementation ("avx2", "neon", "generic").
func Active() string { return current().name }

// Available lists the implementations this CPU supports, best first, generic last.
func Available() []string {
	names := make([]string, len(impls))
	for i, im := range impls {
		names[i] = im.name
	}
	return names
}

// Use makes the named implementation active process-wide and returns a
// function restoring the previous one. Not to be called while work is in flight.
func Use(name string) (restore func(), err error) {
	im, err := lookup(name)
	if err != nil {
		return nil, err
	}
	prev := active.Swap(im)
	return func() { active.Store(prev) }, nil
}
