package vae

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/discretegrad/reinmax/nn"
	"github.com/stretchr/testify/require"
)

// oracle is a float64 re-implementation of the VAE's forward pass on a copy
// of a model's parameters, for finite-difference gradient checks.
type oracle struct {
	m  *Model
	th []float64
}

func newOracle(m *Model) *oracle {
	th := make([]float64, len(m.Params.Data))
	for i, v := range m.Params.Data {
		th[i] = float64(v)
	}
	return &oracle{m: m, th: th}
}

func (o *oracle) lin(l *nn.Linear, x []float64, rows int, act bool) []float64 {
	w := o.th[l.W.Off : l.W.Off+l.W.Len()]
	b := o.th[l.B.Off : l.B.Off+l.B.Len()]
	y := make([]float64, rows*l.Out)
	for r := range rows {
		xr := x[r*l.In : (r+1)*l.In]
		for j := range l.Out {
			s := b[j]
			wj := w[j*l.In : (j+1)*l.In]
			for i, xv := range xr {
				s += xv * wj[i]
			}
			if act && s <= 0 {
				s = 0 // ReLU (the tests use ReLU models)
			}
			y[r*l.Out+j] = s
		}
	}
	return y
}

func (o *oracle) encode(x []float64, n int) []float64 {
	m := o.m
	return o.lin(m.Enc3, o.lin(m.Enc2, o.lin(m.Enc1, x, n, true), n, true), n, false)
}

func (o *oracle) decode(z []float64, n int) []float64 {
	m := o.m
	return o.lin(m.Dec3, o.lin(m.Dec2, o.lin(m.Dec1, z, n, true), n, true), n, false)
}

// bceRows64 is Σ_pixels BCE per row, from the definition.
func bceRows64(zl, x []float64, n int) []float64 {
	out := make([]float64, n)
	for r := range n {
		for j := range ImagePixels {
			z, t := zl[r*ImagePixels+j], x[r*ImagePixels+j]
			p := 1 / (1 + math.Exp(-z))
			out[r] -= t*max(math.Log(p), -100) + (1-t)*max(math.Log(1-p), -100)
		}
	}
	return out
}

func softmax64(logits []float64, c int) []float64 {
	q := make([]float64, len(logits))
	for r := 0; r < len(logits); r += c {
		mx := math.Inf(-1)
		for _, v := range logits[r : r+c] {
			mx = max(mx, v)
		}
		s := 0.0
		for j := range c {
			q[r+j] = math.Exp(logits[r+j] - mx)
			s += q[r+j]
		}
		for j := range c {
			q[r+j] /= s
		}
	}
	return q
}

func kl64(q []float64, n, l, c int) float64 {
	s := 0.0
	for _, v := range q {
		s += v * math.Log(v+1e-10)
	}
	return s/float64(n) + float64(l)*math.Log(float64(c))
}

func f64(s []float32) []float64 {
	d := make([]float64, len(s))
	for i, v := range s {
		d[i] = float64(v)
	}
	return d
}

// fd is the central difference of f at x[i] with step h.
func fd(x []float64, i int, h float64, f func() float64) float64 {
	old := x[i]
	x[i] = old + h
	fp := f()
	x[i] = old - h
	fm := f()
	x[i] = old
	return (fp - fm) / (2 * h)
}

// checkParamGrads compares the analytic gradients of the given layers with
// central differences of obj over the oracle's parameters: a few random
// coordinates of every tensor, and two random directions through all of
// them at once.
func checkParamGrads(t *testing.T, o *oracle, grads []float32, layers []*nn.Linear, obj func() float64) {
	t.Helper()
	r := rand.New(rand.NewPCG(77, 1))
	const h = 1e-4
	for _, l := range layers {
		for _, ts := range []*nn.Tensor{l.W, l.B} {
			g := grads[ts.Off : ts.Off+ts.Len()]
			scale := 0.0
			for _, v := range g {
				scale = max(scale, math.Abs(float64(v)))
			}
			require.Positive(t, scale, "%s has an all-zero gradient", ts.Name)
			for range 6 {
				i := r.IntN(ts.Len())
				want := fd(o.th, ts.Off+i, h, obj)
				require.InDelta(t, want, float64(g[i]), 2e-3*scale+1e-6, "%s[%d]", ts.Name, i)
			}
			// And the largest entry, where a wrong factor shows most.
			best := 0
			for i, v := range g {
				if math.Abs(float64(v)) > math.Abs(float64(g[best])) {
					best = i
				}
			}
			want := fd(o.th, ts.Off+best, h, obj)
			require.InDelta(t, want, float64(g[best]), 2e-3*scale, "%s[%d] (largest)", ts.Name, best)
		}
	}
	for range 2 {
		v := make([]float64, len(o.th))
		var dot, norm float64
		for _, l := range layers {
			for _, ts := range []*nn.Tensor{l.W, l.B} {
				for i := ts.Off; i < ts.Off+ts.Len(); i++ {
					v[i] = r.NormFloat64()
					norm += v[i] * v[i]
				}
			}
		}
		norm = math.Sqrt(norm)
		for i := range v {
			v[i] /= norm
			dot += v[i] * float64(grads[i])
		}
		base := append([]float64(nil), o.th...)
		step := func(s float64) float64 {
			for i := range v {
				o.th[i] = base[i] + s*v[i]
			}
			return obj()
		}
		want := (step(h) - step(-h)) / (2 * h)
		copy(o.th, base)
		require.InDelta(t, want, dot, 2e-3*math.Abs(want)+1e-6, "directional derivative")
	}
}

// TestDecoderAndKLGradients: with the sample D fixed, the decoder's
// parameter gradients and ∂loss/∂D are those of Σ BCE/n, and g_p handed to
// the estimator is ∂KLD/∂π.
func TestDecoderAndKLGradients(t *testing.T) {
	const n = 5
	tr := newTestTrainer(t, smallConfig("st"), n, 0)
	x := tr.train.Pixels[:n*ImagePixels]
	st, err := tr.forward(x, n, 3, true)
	require.NoError(t, err)
	require.NoError(t, tr.backward(x, n, 3))
	b, m := &tr.buf, tr.model
	lc := m.L * m.C
	o := newOracle(m)
	x64 := f64(x)
	d := f64(b.d[:n*lc])
	obj := func() float64 {
		s := 0.0
		for _, v := range bceRows64(o.decode(d, n), x64, n) {
			s += v
		}
		return s / n
	}
	require.InDelta(t, obj(), st.BCE, 1e-5*st.BCE)
	checkParamGrads(t, o, m.Params.Grad, []*nn.Linear{m.Dec1, m.Dec2, m.Dec3}, obj)
	// ∂(Σ BCE/n)/∂D, the g the estimator receives.
	for i := range d {
		require.InDelta(t, fd(d, i, 1e-4, obj), float64(b.dD[i]), 1e-4, "dD[%d]", i)
	}
	// KLD and its gradient with respect to π.
	q := f64(b.pi[:n*lc])
	require.InDelta(t, kl64(q, n, m.L, m.C), st.KLD, 1e-6)
	for i := range q {
		want := fd(q, i, 1e-7, func() float64 { return kl64(q, n, m.L, m.C) })
		require.InDelta(t, want, float64(b.gp[i]), 1e-5*math.Abs(want)+1e-7, "gp[%d]", i)
	}
}

// TestExactEncoderGradient: with the exact estimator the encoder gradient is
// the true gradient of Σ_b Σ_z Π_l q_bl(z_l)·BCE_b(z)/n + KLD (exact path),
// which the float64 oracle computes by enumeration.
func TestExactEncoderGradient(t *testing.T) {
	const n = 4
	cfg := smallConfig("exact")
	cfg.C, cfg.L = 3, 2
	tr := newTestTrainer(t, cfg, n, 0)
	x := tr.train.Pixels[:n*ImagePixels]
	_, err := tr.forward(x, n, 5, true)
	require.NoError(t, err)
	require.NoError(t, tr.backward(x, n, 5))
	m := tr.model
	c, l := m.C, m.L
	codes := 9
	o := newOracle(m)
	x64 := f64(x)
	// All codes, first latent most significant.
	z := make([]float64, codes*l*c)
	for code := range codes {
		z[code*l*c+0*c+code/c] = 1
		z[code*l*c+1*c+code%c] = 1
	}
	// The decoder is held constant (no gradient through BCE_b(z)): its
	// losses are computed once.
	zl := o.decode(z, codes)
	lz := make([]float64, n*codes)
	for code := range codes {
		xs := make([]float64, 0, n*ImagePixels)
		zs := make([]float64, 0, n*ImagePixels)
		for e := range n {
			xs = append(xs, x64[e*ImagePixels:(e+1)*ImagePixels]...)
			zs = append(zs, zl[code*ImagePixels:(code+1)*ImagePixels]...)
		}
		for e, v := range bceRows64(zs, xs, n) {
			lz[e*codes+code] = v
		}
	}
	obj := func() float64 {
		q := softmax64(o.encode(x64, n), c)
		s := 0.0
		for e := range n {
			for code := range codes {
				s += q[e*l*c+code/c] * q[e*l*c+c+code%c] * lz[e*codes+code]
			}
		}
		return s/n + kl64(q, n, l, c)
	}
	checkParamGrads(t, o, m.Params.Grad, []*nn.Linear{m.Enc1, m.Enc2, m.Enc3}, obj)
	// The code losses handed to the estimator are BCE_b(code)/n.
	for i, v := range lz {
		require.InDelta(t, v/n, float64(tr.exact.f[i]), 1e-5*v/n, "f[%d]", i)
	}
}

// TestReinforceSurrogate: the encoder-logit gradient of the reinforce path is
// f_b/n·(D − π) + J(π)g_p per row (REINFORCE path), with f_b the example's
// summed BCE.
func TestReinforceSurrogate(t *testing.T) {
	const n = 6
	tr := newTestTrainer(t, smallConfig("reinforce"), n, 0)
	x := tr.train.Pixels[:n*ImagePixels]
	_, err := tr.forward(x, n, 9, true)
	require.NoError(t, err)
	require.NoError(t, tr.backward(x, n, 9))
	b := &tr.buf
	c, l := tr.cfg.C, tr.cfg.L
	zl := newOracle(tr.model).decode(f64(b.d[:n*l*c]), n)
	fb := bceRows64(zl, f64(x), n)
	for e := range n {
		require.InDelta(t, fb[e], b.rowLoss[e], 1e-5*fb[e])
		for li := range l {
			r := (e*l + li) * c
			var pg float64
			for j := range c {
				pg += float64(b.pi[r+j]) * float64(b.gp[r+j])
			}
			for j := range c {
				pi, gp := float64(b.pi[r+j]), float64(b.gp[r+j])
				want := fb[e]/n*(float64(b.d[r+j])-pi) + pi*gp - pi*pg
				require.InDelta(t, want, float64(b.dlog[r+j]), 1e-4*math.Abs(fb[e]/n)+1e-6, "row %d cat %d", e*l+li, j)
			}
		}
	}
}
