package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/kernels"
)

// Linear is an affine layer y = x·Wᵀ + b, PyTorch's nn.Linear. The weight W
// is stored row-major [Out, In] and the bias b is [Out], as in a PyTorch
// state_dict, so weights move between the two without transposing. The
// tensors are named name+".weight" and name+".bias".
type Linear struct {
	Name    string
	In, Out int
	W, B    *Tensor
	// SparseInput says that the inputs x hold many exact zeros (images:
	// MNIST's pixels are 81% zeros). Forward and the weight gradient then
	// skip the products of zeros with kernels.SgemmSparse, with the same
	// bits as without (up to the sign of a zero result, see there).
	SparseInput bool
	back        backwardPair // Backward's two-thread task, kept to avoid allocating
}

// inputSparsity returns the sparsity of x as operand op(A) (Forward) or
// op(B) (the weight gradient) of a product.
func (l *Linear) inputSparsity(asB bool) kernels.Sparsity {
	switch {
	case !l.SparseInput:
		return kernels.Dense
	case asB:
		return kernels.SparseB
	}
	return kernels.SparseA
}

// NewLinear declares the weight and bias of an in→out layer in p (before
// p.Alloc). in and out must be >= 1.
func NewLinear(p *Params, name string, in, out int) (*Linear, error) {
	if in < 1 || out < 1 {
		return nil, fmt.Errorf("nn.NewLinear(%q): in=%d out=%d, both must be >= 1: %w", name, in, out, errkind.Shape)
	}
	w, err := p.NewTensor(name+".weight", out, in)
	if err != nil {
		return nil, err
	}
	b, err := p.NewTensor(name+".bias", out)
	if err != nil {
		return nil, err
	}
	return &Linear{Name: name, In: in, Out: out, W: w, B: b}, nil
}

// Init draws the layer's parameters with PyTorch's default initialisation:
// weights Kaiming-uniform with a = √5, which is U(−1/√in, 1/√in), then the
// bias from U(−1/√in, 1/√in). Draws are r.Float64() mapped to (2u−1)·bound,
// weights first in row-major order, then the bias. The parameters must be
// allocated.
func (l *Linear) Init(r *rand.Rand) error {
	if l.W.Data == nil {
		return fmt.Errorf("nn.Linear.Init(%q): parameters not allocated (call Params.Alloc): %w", l.Name, errkind.Argument)
	}
	// kaiming_uniform_(a=√5): gain = √(2/(1+a²)) = √(1/3), bound = √3·gain/√fan_in = 1/√fan_in.
	bound := 1 / math.Sqrt(float64(l.In))
	for i := range l.W.Data {
		l.W.Data[i] = float32((2*r.Float64() - 1) * bound)
	}
	for i := range l.B.Data {
		l.B.Data[i] = float32((2*r.Float64() - 1) * bound)
	}
	return nil
}

// Forward computes y = x·Wᵀ + b for rows examples: x is rows×In, y is
// rows×Out (both row-major, contiguous). y must not overlap x.
func (l *Linear) Forward(ws *kernels.Workspace, y, x []float32, rows int) error {
	if err := l.check("Forward", rows, "x", len(x), l.In, "y", len(y), l.Out); err != nil {
		return err
	}
	if rows == 0 {
		return nil
	}
	if err := kernels.SgemmSparse(ws, l.inputSparsity(false), false, true, rows, l.Out, l.In, 1, x, l.In, l.W.Data, l.In, 0, y, l.Out); err != nil {
		return fmt.Errorf("nn.Linear.Forward(%q): %w", l.Name, err)
	}
	kernels.AddBias(y, rows, l.Out, l.B.Data)
	return nil
}

// Backward takes dy = ∂loss/∂y (rows×Out) and the forward input x
// (rows×In). It overwrites the gradients W.Grad = dyᵀ·x and B.Grad = column
// sums of dy (it does not accumulate), and, when dx is not nil, writes
// dx = dy·W (rows×In). dx must not overlap dy or x. rows = 0 gives zero
// gradients.
func (l *Linear) Backward(ws *kernels.Workspace, dx, dy, x []float32, rows int) error {
	if err := l.check("Backward", rows, "x", len(x), l.In, "dy", len(dy), l.Out); err != nil {
		return err
	}
	if dx != nil && len(dx) < rows*l.In {
		return fmt.Errorf("nn.Linear.Backward(%q): len(dx)=%d, need %d for rows=%d in=%d: %w",
			l.Name, len(dx), rows*l.In, rows, l.In, errkind.Shape)
	}
	if dx != nil && rows > 0 && ws.Threads() == 2 {
		// dW and dx cost the same flops and are independent: on two
		// threads each gets a whole core (one Parallel round, each product
		// single-threaded) instead of both being split. Same bits: Sgemm's
		// result never depends on its thread count.
		t := &l.back
		*t = backwardPair{l: l, ws: ws.Singles(2), dx: dx, dy: dy, x: x, rows: rows}
		ws.Parallel(2, t)
		errs := t.errs
		*t = backwardPair{}
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	}
	if err := l.gradW(ws, dy, x, rows); err != nil {
		return err
	}
	if dx != nil && rows > 0 {
		return l.gradX(ws, dx, dy, rows)
	}
	return nil
}

// gradW sets W.Grad and B.Grad from dy and x.
func (l *Linear) gradW(ws *kernels.Workspace, dy, x []float32, rows int) error {
	// dW[o,i] = Σ_r dy[r,o]·x[r,i]: the batch is the reduction dimension, so
	// Sgemm splits over dW's tiles and the result is thread-count independent.
	if err := kernels.SgemmSparse(ws, l.inputSparsity(true), true, false, l.Out, l.In, rows, 1, dy, l.Out, x, l.In, 0, l.W.Grad, l.In); err != nil {
		return fmt.Errorf("nn.Linear.Backward(%q): dW: %w", l.Name, err)
	}
	clear(l.B.Grad)
	kernels.SumRows(l.B.Grad, dy, rows, l.Out)
	return nil
}

// gradX sets dx = dy·W.
func (l *Linear) gradX(ws *kernels.Workspace, dx, dy []float32, rows int) error {
	if err := kernels.Sgemm(ws, false, false, rows, l.In, l.Out, 1, dy, l.Out, l.W.Data, l.In, 0, dx, l.In); err != nil {
		return fmt.Errorf("nn.Linear.Backward(%q): dx: %w", l.Name, err)
	}
	return nil
}

// backwardPair runs gradW (piece 0) and gradX (piece 1) of one Backward
// as a Task, each on its own single-thread workspace.
type backwardPair struct {
	l         *Linear
	ws        []*kernels.Workspace
	dx, dy, x []float32
	rows      int
	errs      [2]error
}

func (t *backwardPair) RunTask(i int) {
	if i == 0 {
		t.errs[0] = t.l.gradW(t.ws[0], t.dy, t.x, t.rows)
	} else {
		t.errs[1] = t.l.gradX(t.ws[1], t.dx, t.dy, t.rows)
	}
}

func (l *Linear) check(fn string, rows int, inName string, inLen, inCols int, outName string, outLen, outCols int) error {
	if l.W.Data == nil {
		return fmt.Errorf("nn.Linear.%s(%q): parameters not allocated (call Params.Alloc): %w", fn, l.Name, errkind.Argument)
	}
	if rows < 0 {
		return fmt.Errorf("nn.Linear.%s(%q): rows=%d < 0: %w", fn, l.Name, rows, errkind.Shape)
	}
	if inLen < rows*inCols {
		return fmt.Errorf("nn.Linear.%s(%q): len(%s)=%d, need %d for rows=%d cols=%d: %w",
			fn, l.Name, inName, inLen, rows*inCols, rows, inCols, errkind.Shape)
	}
	if outLen < rows*outCols {
		return fmt.Errorf("nn.Linear.%s(%q): len(%s)=%d, need %d for rows=%d cols=%d: %w",
			fn, l.Name, outName, outLen, rows*outCols, rows, outCols, errkind.Shape)
	}
	return nil
}
