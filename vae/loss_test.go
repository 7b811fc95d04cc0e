package vae

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/discretegrad/reinmax/kernels"
	"github.com/stretchr/testify/require"
)

// klReference is the KL term of klLoss.uniform as one plain loop, one
// logarithm at a time.
func klReference(gp, q []float32, n, l, c int) float64 {
	inv := 1 / float64(n)
	var s float64
	for i, v := range q[:n*l*c] {
		u := []float32{v + klEps}
		kernels.NegLog(u)
		qv, lg := float64(v), -float64(u[0])
		s += qv * lg
		gp[i] = float32((lg + qv/(qv+klEps)) * inv)
	}
	return s*inv + float64(l)*math.Log(float64(c))
}

// TestKLLossAccuracy: against the KL term in float64 throughout (math.Log
// of q + 1e-10 in float64), the value is within 1e-6 relative, and every
// gradient element within 1.2e-7·(|log(q+1e-10)| + 1)/n absolute (the
// float32 logarithm's ulp: near q = 1/e, where log q + 1 cancels, that is
// all the gradient's relative accuracy, as in the reference's float32
// autograd) plus 4e-7 relative.
func TestKLLossAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n, l, c = 100, 8, 64
	q := make([]float32, n*l*c)
	for i := range q {
		q[i] = float32(math.Pow(rng.Float64(), 6)) // many small probabilities
		if i%13 == 0 {
			q[i] = 0
		}
	}
	var k klLoss
	gp := make([]float32, len(q))
	got := k.uniform(nil, gp, q, n, l, c)
	var want float64
	for i, v := range q {
		qv := float64(v)
		lg := math.Log(qv + klEps)
		want += qv * lg
		g := (lg + qv/(qv+klEps)) / n
		require.InDeltaf(t, g, float64(gp[i]), 1.2e-7*(math.Abs(lg)+1)/n+4e-7*math.Abs(g), "gp[%d] at q=%v", i, v)
	}
	want = want/n + l*math.Log(c)
	require.InEpsilon(t, want, got, 1e-6)
}

// TestKLLossThreads: the parallel KL term has the plain loop's bits, value
// and gradient, for batches of several sizes (one piece, uneven pieces) on
// 1 and 3 threads; gp = nil is allowed; uniform posteriors give KLD ≈ 0; and
// a reused klLoss allocates nothing.
func TestKLLossThreads(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range []struct{ n, l, c int }{{1, 1, 2}, {7, 4, 8}, {100, 8, 64}, {33, 30, 10}} {
		q := make([]float32, s.n*s.l*s.c)
		for i := range q {
			q[i] = float32(rng.Float64())
			if i%11 == 0 {
				q[i] = 0 // log(1e-10) on the guard
			}
		}
		wantGp := make([]float32, len(q))
		want := klReference(wantGp, q, s.n, s.l, s.c)
		for _, threads := range []int{1, 3} {
			ws := kernels.NewWorkspace(threads)
			var k klLoss
			gp := make([]float32, len(q))
			got := k.uniform(ws, gp, q, s.n, s.l, s.c)
			require.Equalf(t, math.Float64bits(want), math.Float64bits(got), "%+v threads=%d: KLD %v, want %v", s, threads, got, want)
			require.Equalf(t, wantGp, gp, "%+v threads=%d: gp", s, threads)
			require.Equal(t, math.Float64bits(want), math.Float64bits(k.uniform(ws, nil, q, s.n, s.l, s.c)))
			require.Zero(t, testing.AllocsPerRun(5, func() { k.uniform(ws, gp, q, s.n, s.l, s.c) }))
			ws.Close()
		}
	}
	var k klLoss
	q := make([]float32, 100*4*8)
	for i := range q {
		q[i] = 1.0 / 8
	}
	require.InDelta(t, 0, k.uniform(nil, nil, q, 100, 4, 8), 1e-6) // float32 log(1/8)
}
