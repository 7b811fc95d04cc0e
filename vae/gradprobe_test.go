package vae

import (
	"math"
	"testing"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/nn"
	"github.com/stretchr/testify/require"
)

func TestGradProbeExact(t *testing.T) {
	const n = 3
	cfg := smallConfig("st")
	cfg.C, cfg.L = 3, 2
	tr := newTestTrainer(t, cfg, n, 0)
	m := tr.Model()
	x := tr.train.Pixels[:n*ImagePixels]
	params := append([]float32(nil), m.Params.Data...)
	p, err := NewGradProbe(m, estimators.DefaultConfig("st"), x, n, tr.Workspace())
	require.NoError(t, err)
	lc := m.L * m.C
	exact := make([]float32, n*lc)
	require.NoError(t, p.Exact(exact))

	// Oracle: Σ_b Σ_z q(z)·BCE_b(z)/n as a function of the logits, in float64.
	o := newOracle(m)
	x64 := f64(x)
	codes := 9
	z := make([]float64, codes*lc)
	for code := range codes {
		z[code*lc+code/3] = 1
		z[code*lc+3+code%3] = 1
	}
	zl := o.decode(z, codes)
	theta := f64(p.Logits())
	obj := func() float64 {
		q := softmax64(theta, m.C)
		s := 0.0
		for e := range n {
			xe := x64[e*ImagePixels : (e+1)*ImagePixels]
			for code := range codes {
				f := bceRows64(zl[code*ImagePixels:(code+1)*ImagePixels], xe, 1)[0]
				s += q[e*lc+code/3] * q[e*lc+3+code%3] * f
			}
		}
		return s / n
	}
	scale := 0.0
	for _, v := range exact {
		scale = max(scale, math.Abs(float64(v)))
	}
	require.Positive(t, scale)
	for i := range theta {
		require.InDelta(t, fd(theta, i, 1e-4, obj), float64(exact[i]), 1e-3*scale, "θ[%d]", i)
	}
	// The exact method drawn through Sample is the same gradient.
	pe, err := NewGradProbe(m, estimators.DefaultConfig("exact"), x, n, tr.Workspace())
	require.NoError(t, err)
	g := make([]float32, n*lc)
	_, err = pe.Sample(1, 2, g)
	require.NoError(t, err)
	for i := range g {
		require.InDelta(t, exact[i], g[i], 1e-6*scale)
	}
	requireSameBits(t, params, m.Params.Data)
}

func TestGradProbeSample(t *testing.T) {
	const n = 4
	tr := newTestTrainer(t, smallConfig("st"), n, 0)
	m := tr.Model()
	x := tr.train.Pixels[:n*ImagePixels]
	lc := m.L * m.C
	p, err := NewGradProbe(m, estimators.DefaultConfig("reinforce"), x, n, tr.Workspace())
	require.NoError(t, err)
	logits := append([]float32(nil), p.Logits()...)
	g1, g2 := make([]float32, n*lc), make([]float32, n*lc)
	bce, err := p.Sample(3, 4, g1)
	require.NoError(t, err)
	// REINFORCE without the KL term: f_b/n·(D − π) per row.
	b := &p.buf
	var sum float64
	for e := range n {
		sum += b.rowLoss[e]
		for r := e * m.L * m.C; r < (e+1)*lc; r++ {
			want := b.rowLoss[e] / n * (float64(b.d[r]) - float64(b.pi[r]))
			require.InDelta(t, want, float64(g1[r]), 1e-5*math.Abs(b.rowLoss[e]/n))
		}
	}
	require.InDelta(t, sum/n, bce, 1e-9*bce)
	_, err = p.Sample(3, 4, g2)
	require.NoError(t, err)
	require.Equal(t, g1, g2, "same streams, same draw")
	require.Equal(t, logits, p.Logits(), "the logits are fixed")
	require.Zero(t, testing.AllocsPerRun(5, func() { _, _ = p.Sample(3, 5, g2) }))

	_, err = p.Sample(3, 4, g2[:3])
	require.ErrorIs(t, err, errkind.Shape)
	require.ErrorIs(t, p.Exact(g2[:1]), errkind.Shape)
	_, err = NewGradProbe(m, estimators.DefaultConfig("st"), x, 5, nil)
	require.ErrorIs(t, err, errkind.Shape)
	_, err = NewGradProbe(m, estimators.Config{Method: "bogus", Tau: 1}, x, n, nil)
	require.Error(t, err)
	big, err := NewModel(8, 5, nn.ReLU)
	require.NoError(t, err)
	pb, err := NewGradProbe(big, estimators.DefaultConfig("st"), x, 1, nil)
	require.NoError(t, err)
	require.ErrorIs(t, pb.Exact(make([]float32, 40)), errkind.Argument)
}

// Probes on clones of one model run concurrently (the race detector checks
// they share nothing mutable) and draw what a probe on the original draws.
func TestGradProbeOnClonesConcurrently(t *testing.T) {
	const n = 4
	tr := newTestTrainer(t, smallConfig("st"), n, 0)
	m := tr.Model()
	x := tr.train.Pixels[:n*ImagePixels]
	lc := m.L * m.C
	est := estimators.DefaultConfig("reinmax-rao")
	ref, err := NewGradProbe(m, est, x, n, nil)
	require.NoError(t, err)
	want := make([][]float32, 2)
	for s := range want {
		want[s] = make([]float32, n*lc)
		_, err := ref.Sample(9, uint64(s), want[s])
		require.NoError(t, err)
	}
	got := make([][]float32, 2)
	errs := make([]error, 2)
	done := make(chan int)
	for s := range got {
		c, err := m.Clone()
		require.NoError(t, err)
		require.Equal(t, m.Params.Data, c.Params.Data)
		require.NotSame(t, &m.Params.Data[0], &c.Params.Data[0])
		p, err := NewGradProbe(c, est, x, n, nil)
		require.NoError(t, err)
		got[s] = make([]float32, n*lc)
		go func() {
			for range 3 {
				_, errs[s] = p.Sample(9, uint64(s), got[s])
			}
			done <- s
		}()
	}
	<-done
	<-done
	for s := range got {
		require.NoError(t, errs[s])
		require.Equal(t, want[s], got[s], "stream %d", s)
	}
}
