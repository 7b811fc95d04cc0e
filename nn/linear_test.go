package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/kernels"
	"github.com/stretchr/testify/require"
)

// linear64 is the float64 oracle y = x·Wᵀ + b.
func linear64(w, b, x []float64, rows, in, out int) []float64 {
	y := make([]float64, rows*out)
	for r := 0; r < rows; r++ {
		for o := 0; o < out; o++ {
			s := b[o]
			for i := 0; i < in; i++ {
				s += x[r*in+i] * w[o*in+i]
			}
			y[r*out+o] = s
		}
	}
	return y
}

func newTestLinear(t *testing.T, in, out int, seed uint64) (*Params, *Linear) {
	t.Helper()
	var p Params
	l, err := NewLinear(&p, "fc", in, out)
	require.NoError(t, err)
	require.NoError(t, p.Alloc())
	require.NoError(t, l.Init(rand.New(rand.NewPCG(seed, 1))))
	return &p, l
}

func TestLinearGradient(t *testing.T) {
	const rows, in, out = 5, 7, 6
	r := rand.New(rand.NewPCG(1, 2))
	_, l := newTestLinear(t, in, out, 3)
	x := randSlice(r, rows*in, -2, 2)
	R := to64(randSlice(r, rows*out, -1, 1))
	// loss = Σ R⊙y + ½Σ y², so dy = R + y: not linear in the parameters.
	loss := func(y []float64) float64 {
		s := 0.0
		for i, v := range y {
			s += R[i]*v + 0.5*v*v
		}
		return s
	}
	ws := kernels.NewWorkspace(1)
	defer ws.Close()
	y := make([]float32, rows*out)
	require.NoError(t, l.Forward(ws, y, x, rows))
	want := linear64(to64(l.W.Data), to64(l.B.Data), to64(x), rows, in, out)
	for i := range y {
		require.InDelta(t, want[i], float64(y[i]), 1e-5*(1+math.Abs(want[i])))
	}
	dy := make([]float32, rows*out)
	for i := range dy {
		dy[i] = float32(R[i]) + y[i]
	}
	dx := make([]float32, rows*in)
	require.NoError(t, l.Backward(ws, dx, dy, x, rows))

	w64, b64, x64 := to64(l.W.Data), to64(l.B.Data), to64(x)
	requireGradClose(t, "dW", l.W.Grad, numGrad(w64, func(w []float64) float64 {
		return loss(linear64(w, b64, x64, rows, in, out))
	}), 1e-5)
	requireGradClose(t, "db", l.B.Grad, numGrad(b64, func(b []float64) float64 {
		return loss(linear64(w64, b, x64, rows, in, out))
	}), 1e-5)
	requireGradClose(t, "dx", dx, numGrad(x64, func(x []float64) float64 {
		return loss(linear64(w64, b64, x, rows, in, out))
	}), 1e-5)

	// dx = nil skips the input gradient and leaves the parameter gradients alone.
	dw := append([]float32(nil), l.W.Grad...)
	require.NoError(t, l.Backward(ws, nil, dy, x, rows))
	require.Equal(t, dw, l.W.Grad)
	// Backward overwrites: a second call gives the same gradients, not twice them.
	require.NoError(t, l.Backward(ws, dx, dy, x, rows))
	require.Equal(t, dw, l.W.Grad)
}

func TestLinearInit(t *testing.T) {
	const in, out = 400, 300
	_, l := newTestLinear(t, in, out, 9)
	bound := 1 / math.Sqrt(in)
	var sum, sq float64
	for _, v := range l.W.Data {
		require.LessOrEqual(t, math.Abs(float64(v)), bound)
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	n := float64(len(l.W.Data))
	// U(-b, b): mean 0, variance b²/3. 120 000 draws give a few-permille accuracy.
	require.InDelta(t, 0, sum/n, 0.01*bound)
	require.InDelta(t, bound*bound/3, sq/n, 0.02*bound*bound/3)
	for _, v := range l.B.Data {
		require.LessOrEqual(t, math.Abs(float64(v)), bound)
	}
	// Same generator state, same parameters; another seed, others.
	_, l2 := newTestLinear(t, in, out, 9)
	require.Equal(t, l.W.Data, l2.W.Data)
	require.Equal(t, l.B.Data, l2.B.Data)
	_, l3 := newTestLinear(t, in, out, 10)
	require.NotEqual(t, l.W.Data, l3.W.Data)
}

func TestLinearErrors(t *testing.T) {
	var p Params
	_, err := NewLinear(&p, "bad", 0, 3)
	require.ErrorIs(t, err, errkind.Shape)
	l, err := NewLinear(&p, "fc", 4, 3)
	require.NoError(t, err)
	require.Equal(t, "fc.weight", l.W.Name)
	require.Equal(t, []int{3, 4}, l.W.Shape)
	require.Equal(t, "fc.bias", l.B.Name)
	require.ErrorIs(t, l.Init(rand.New(rand.NewPCG(1, 1))), errkind.Argument)
	require.ErrorIs(t, l.Forward(nil, make([]float32, 6), make([]float32, 8), 2), errkind.Argument)
	require.NoError(t, p.Alloc())
	err = l.Forward(nil, make([]float32, 6), make([]float32, 7), 2)
	require.ErrorIs(t, err, errkind.Shape)
	require.ErrorContains(t, err, "len(x)=7, need 8")
	require.ErrorIs(t, l.Forward(nil, make([]float32, 5), make([]float32, 8), 2), errkind.Shape)
	require.ErrorIs(t, l.Forward(nil, nil, nil, -1), errkind.Shape)
	require.ErrorIs(t, l.Backward(nil, make([]float32, 7), make([]float32, 6), make([]float32, 8), 2), errkind.Shape)
	require.ErrorIs(t, l.Backward(nil, nil, make([]float32, 5), make([]float32, 8), 2), errkind.Shape)
	require.NoError(t, l.Forward(nil, nil, nil, 0))
	require.NoError(t, l.Backward(nil, nil, nil, nil, 0))
}

// linearRun is what one Forward and Backward of a layer produce.
type linearRun struct{ y, dx, dw, db []float32 }

// runLinear runs l.Forward and l.Backward (with dx) on ws and returns
// copies of the results.
func runLinear(t *testing.T, l *Linear, ws *kernels.Workspace, x, dy []float32, rows int) linearRun {
	t.Helper()
	y := make([]float32, rows*l.Out)
	dx := make([]float32, rows*l.In)
	require.NoError(t, l.Forward(ws, y, x, rows))
	require.NoError(t, l.Backward(ws, dx, dy, x, rows))
	return linearRun{y, dx, append([]float32(nil), l.W.Grad...), append([]float32(nil), l.B.Grad...)}
}

func TestLinearThreadsAndAllocs(t *testing.T) {
	// 2 threads run dW and dx as a pair of single-thread products, 3 split
	// each product: all must give the bits of 1 thread.
	const rows, in, out = 37, 50, 29
	r := rand.New(rand.NewPCG(4, 4))
	x := randSlice(r, rows*in, -1, 1)
	dy := randSlice(r, rows*out, -1, 1)
	var runs [3]linearRun
	for k, threads := range []int{1, 2, 3} {
		_, l := newTestLinear(t, in, out, 5)
		ws := kernels.NewWorkspace(threads)
		runs[k] = runLinear(t, l, ws, x, dy, rows)
		y, dx := make([]float32, rows*out), make([]float32, rows*in)
		allocs := testing.AllocsPerRun(10, func() {
			_ = l.Forward(ws, y, x, rows)
			_ = l.Backward(ws, dx, dy, x, rows)
		})
		require.Zero(t, allocs, "%d threads", threads)
		ws.Close()
	}
	for k := 1; k < 3; k++ {
		require.Equal(t, runs[0], runs[k])
	}
}

// TestLinearSparseInput checks that SparseInput changes no bit of the
// output and the gradients, on image-like inputs (each row zero outside a
// band of columns, and zero at half the columns inside it) and on dense
// ones, on one and two threads.
func TestLinearSparseInput(t *testing.T) {
	const rows, in, out = 45, 300, 70
	r := rand.New(rand.NewPCG(6, 6))
	image := make([]float32, rows*in)
	for i := range rows {
		lo := r.IntN(in / 2)
		for j := lo; j < lo+in/3; j++ {
			if r.IntN(2) == 0 {
				image[i*in+j] = r.Float32()
			}
		}
	}
	dy := randSlice(r, rows*out, -1, 1)
	for _, x := range [][]float32{image, randSlice(r, rows*in, -1, 1)} {
		for _, threads := range []int{1, 2} {
			var runs [2]linearRun
			for k, sparse := range []bool{false, true} {
				_, l := newTestLinear(t, in, out, 7)
				l.SparseInput = sparse
				ws := kernels.NewWorkspace(threads)
				runs[k] = runLinear(t, l, ws, x, dy, rows)
				ws.Close()
			}
			require.Equal(t, runs[0], runs[1], "threads=%d", threads)
		}
	}
}
