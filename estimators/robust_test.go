package estimators_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/kernels"
)

// roundTrip runs Forward and Backward for cfg on logits [rows, C] with
// random g and gp, returning the sample, π and the gradient.
func roundTrip(t *testing.T, ws *kernels.Workspace, cfg estimators.Config, logits []float32, C int, seed uint64) (d, pi, grad []float32) {
	t.Helper()
	rows := len(logits) / C
	est, err := estimators.New(cfg, rows, C)
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(seed, 99))
	g, gp := make([]float32, rows*C), make([]float32, rows*C)
	for i := range g {
		g[i] = float32(r.NormFloat64())
		gp[i] = float32(r.NormFloat64())
	}
	d, pi, grad = make([]float32, rows*C), make([]float32, rows*C), make([]float32, rows*C)
	require.NoError(t, est.Forward(ws, seed, 1, logits, d, pi), cfg.Method)
	setLosses(t, est, string(cfg.Method), rows, C, r)
	require.NoError(t, est.Backward(ws, seed, 1, g, gp, grad), cfg.Method)
	return d, pi, grad
}

// setLosses gives reinforce and exact (L = 1) random losses.
func setLosses(t testing.TB, est *estimators.Estimator, method string, rows, C int, r *rand.Rand) {
	switch method {
	case "reinforce":
		f := make([]float32, rows)
		for i := range f {
			f[i] = float32(r.NormFloat64())
		}
		require.NoError(t, est.SetRowLoss(f))
	case "exact":
		f := make([]float32, rows*C)
		for i := range f {
			f[i] = float32(r.NormFloat64())
		}
		require.NoError(t, est.SetCodeLoss(f, 1))
	}
}

// TestExtremeLogits: logits of ±1e4 and -Inf masks give finite gradients,
// zero at masked entries, rows summing to ~0, for every method and several
// temperatures; masked categories are never sampled.
func TestExtremeLogits(t *testing.T) {
	ninf := float32(math.Inf(-1))
	const C = 5
	rowsSpec := [][]float32{
		{1e4, -1e4, 0, 9999.5, -3},
		{-1e4, -1e4, -1e4, -1e4, -1e4 + 1},
		{0.5, ninf, 1.5, ninf, -0.25},
		{ninf, ninf, 1e4, ninf, -1e4},
		{ninf, 3, ninf, ninf, ninf},
		{30, -30, 28.5, 0, -30},
		{0, 0, 0, 0, 0},
	}
	var logits []float32
	for range 20 { // 140 rows: several samples of each
		for _, row := range rowsSpec {
			logits = append(logits, row...)
		}
	}
	for _, m := range estimators.Methods() {
		for _, tau := range []float64{0.3, 1, 2.5} {
			cfg := estimators.DefaultConfig(m)
			cfg.Tau, cfg.K = tau, 16
			for _, noise := range []string{"softmax", "gumbel"} {
				if noise == "gumbel" && m != "reinmax-cv" {
					continue
				}
				cfg.Noise = noise
				d, pi, grad := roundTrip(t, nil, cfg, logits, C, 5)
				for r := 0; r < len(logits)/C; r++ {
					var sum, scale float64
					for j := range C {
						i := r*C + j
						require.False(t, math.IsNaN(float64(grad[i])) || math.IsInf(float64(grad[i]), 0),
							"%s tau=%v row %d: grad %v", m, tau, r, grad[r*C:(r+1)*C])
						if logits[i] == ninf {
							require.Zero(t, grad[i], "%s tau=%v row %d masked j=%d", m, tau, r, j)
							require.Zero(t, pi[i])
							require.Zero(t, d[i], "masked category sampled")
						}
						sum += float64(grad[i])
						scale += math.Abs(float64(grad[i]))
					}
					require.InDelta(t, 0, sum, 1e-5*(1+scale), "%s tau=%v row %d: row sum (property 1)", m, tau, r)
				}
			}
		}
	}
}

// TestInputErrors: bad shapes and values give errors naming the problem,
// never a panic.
func TestInputErrors(t *testing.T) {
	const C = 4
	est, err := estimators.New(estimators.DefaultConfig("reinmax-cv"), 3, C)
	require.NoError(t, err)
	logits := make([]float32, 3*C)
	d, pi, g, grad := make([]float32, 3*C), make([]float32, 3*C), make([]float32, 3*C), make([]float32, 3*C)

	err = est.Backward(nil, 1, 1, g, nil, grad)
	require.ErrorIs(t, err, errkind.Argument)
	require.Contains(t, err.Error(), "Forward first")

	err = est.Forward(nil, 1, 1, logits[:7], d, pi)
	require.ErrorIs(t, err, errkind.Shape)
	require.Contains(t, err.Error(), "len(logits)=7")

	err = est.Forward(nil, 1, 1, make([]float32, 4*C), make([]float32, 4*C), make([]float32, 4*C))
	require.ErrorIs(t, err, errkind.Shape)
	require.Contains(t, err.Error(), "maxRows=3")

	err = est.Forward(nil, 1, 1, logits, d[:5], pi)
	require.ErrorIs(t, err, errkind.Shape)
	require.Contains(t, err.Error(), "len(d)=5")

	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), 3e30} {
		l := make([]float32, 3*C)
		l[2*C+1] = bad
		err = est.Forward(nil, 1, 1, l, d, pi)
		require.ErrorIs(t, err, errkind.NonFinite, "%v", bad)
		require.Contains(t, err.Error(), "row 2")
		require.Nil(t, est.Index(), "no sample after a failed Forward")
	}
	allMasked := make([]float32, 3*C)
	for j := range C {
		allMasked[C+j] = float32(math.Inf(-1))
	}
	err = est.Forward(nil, 1, 1, allMasked, d, pi)
	require.ErrorIs(t, err, errkind.NonFinite)
	require.Contains(t, err.Error(), "row 1")

	require.NoError(t, est.Forward(nil, 1, 1, logits, d, pi))
	require.Len(t, est.Index(), 3)
	err = est.Backward(nil, 1, 1, g[:5], nil, grad)
	require.ErrorIs(t, err, errkind.Shape)
	require.Contains(t, err.Error(), "len(g)=5")
	err = est.Backward(nil, 1, 1, g, make([]float32, 2), grad)
	require.ErrorIs(t, err, errkind.Shape)
	err = est.Backward(nil, 1, 1, g, nil, grad[:3])
	require.ErrorIs(t, err, errkind.Shape)
	g[2*C+3] = float32(math.NaN())
	err = est.Backward(nil, 1, 1, g, nil, grad)
	require.ErrorIs(t, err, errkind.NonFinite)
	require.Contains(t, err.Error(), "g row 2")
	g[2*C+3] = 0
	gp := make([]float32, 3*C)
	gp[1] = float32(math.Inf(-1))
	err = est.Backward(nil, 1, 1, g, gp, grad)
	require.ErrorIs(t, err, errkind.NonFinite)
	require.Contains(t, err.Error(), "gp row 0")
	require.NoError(t, est.Backward(nil, 1, 1, nil, nil, grad), "nil g and gp mean 0")
	for _, v := range grad {
		require.Zero(t, v)
	}

	// BackwardWithNoise checks its noise.
	E := make([]float32, 3*100*C)
	for i := range E {
		E[i] = 1
	}
	G := make([]float32, 3*C)
	err = est.BackwardWithNoise(nil, logits, []int32{0, 4, 1}, G, E, g, nil, grad)
	require.ErrorIs(t, err, errkind.Argument)
	require.Contains(t, err.Error(), "index[1]=4")
	err = est.BackwardWithNoise(nil, logits, []int32{0, 1}, G, E, g, nil, grad)
	require.ErrorIs(t, err, errkind.Shape)
	err = est.BackwardWithNoise(nil, logits, []int32{0, 1, 2}, nil, E, g, nil, grad)
	require.ErrorIs(t, err, errkind.Shape)
	require.Contains(t, err.Error(), "len(G)=0")
	err = est.BackwardWithNoise(nil, logits, []int32{0, 1, 2}, G, E[:10], g, nil, grad)
	require.ErrorIs(t, err, errkind.Shape)
	require.Contains(t, err.Error(), "len(E)=10")
	E[C*100+2] = 0
	err = est.BackwardWithNoise(nil, logits, []int32{0, 1, 2}, G, E, g, nil, grad)
	require.ErrorIs(t, err, errkind.Argument)
	require.Contains(t, err.Error(), "E row 1")
	E[C*100+2] = 1
	require.NoError(t, est.BackwardWithNoise(nil, logits, []int32{0, 1, 2}, G, E, g, nil, grad))
	require.Equal(t, []int32{0, 1, 2}, est.Index())

	st, err := estimators.New(estimators.DefaultConfig("st"), 3, C)
	require.NoError(t, err)
	err = st.BackwardWithNoise(nil, logits, []int32{0, 1, 2}, G, nil, g, nil, grad)
	require.ErrorIs(t, err, errkind.Argument)
	require.Contains(t, err.Error(), "G given")

	// reinforce needs its row loss after each Forward.
	rf, err := estimators.New(estimators.DefaultConfig("reinforce"), 3, C)
	require.NoError(t, err)
	require.NoError(t, rf.Forward(nil, 1, 1, logits, d, pi))
	err = rf.Backward(nil, 1, 1, nil, nil, grad)
	require.ErrorIs(t, err, errkind.Argument)
	require.Contains(t, err.Error(), "SetRowLoss")
	require.ErrorIs(t, rf.SetRowLoss(make([]float32, 4)), errkind.Shape)
	require.ErrorIs(t, rf.SetRowLoss([]float32{1, float32(math.NaN()), 0}), errkind.NonFinite)
	require.NoError(t, rf.SetRowLoss([]float32{1, 2}))
	require.ErrorIs(t, rf.Backward(nil, 1, 1, nil, nil, grad), errkind.Argument, "2 losses for 3 rows")
	require.NoError(t, rf.SetRowLoss([]float32{1, 2, 3}))
	require.NoError(t, rf.Backward(nil, 1, 1, nil, nil, grad))
	require.NoError(t, rf.Forward(nil, 1, 2, logits, d, pi))
	require.ErrorIs(t, rf.Backward(nil, 1, 1, nil, nil, grad), errkind.Argument, "Forward invalidates the row loss")

	// Overflow of the result is an error, not Inf or NaN.
	big, err := estimators.New(estimators.Config{Method: "reinmax-alpha", Tau: 1, Alpha: 1e-36}, 1, C)
	require.NoError(t, err)
	require.NoError(t, big.Forward(nil, 1, 1, []float32{1, 0, 0, 0}, d[:C], pi[:C]))
	err = big.Backward(nil, 1, 1, []float32{3e3, -1e3, 2e3, 0}, nil, grad[:C])
	require.ErrorIs(t, err, errkind.NonFinite)
	require.Contains(t, err.Error(), "overflows float32")

	// Zero rows is a valid, empty call.
	require.NoError(t, st.Forward(nil, 1, 1, nil, nil, nil))
	require.Empty(t, st.Index())
	require.NoError(t, st.Backward(nil, 1, 1, nil, nil, nil))

	// A temperature so small that logits/tau overflow float32 is an error, not garbage.
	tiny, err := estimators.New(estimators.Config{Method: "st", Tau: 1e-36}, 1, C)
	require.NoError(t, err)
	require.NoError(t, tiny.Forward(nil, 1, 1, []float32{1e4, 0, 0, 0}, d[:C], pi[:C]))
	err = tiny.Backward(nil, 1, 1, g[:C], nil, grad[:C])
	require.ErrorIs(t, err, errkind.Temperature)
}

// TestForwardSample: D is one-hot at Index, π is the softmax, and the
// empirical law of D is Cat(π) for both forward kinds (property 20).
func TestForwardSample(t *testing.T) {
	theta := []float32{0.8, -0.4, 0.2, -1.0}
	const rows, C = 20000, 4
	logits := make([]float32, rows*C)
	for r := range rows {
		copy(logits[r*C:], theta)
	}
	want := softmax64(theta)
	for _, m := range []string{"st", "gs", "reinmax-cv"} {
		est, err := estimators.New(estimators.DefaultConfig(estimators.Method(m)), rows, C)
		require.NoError(t, err)
		d, pi := make([]float32, rows*C), make([]float32, rows*C)
		require.NoError(t, est.Forward(nil, 7, 3, logits, d, pi))
		counts := make([]float64, C)
		for r, i := range est.Index() {
			var s float32
			for j := range C {
				s += d[r*C+j]
			}
			require.Equal(t, float32(1), s)
			require.Equal(t, float32(1), d[r*C+int(i)])
			counts[i]++
		}
		for j := range C {
			require.InDelta(t, want[j], float64(pi[j]), 1e-6)
			p := counts[j] / rows
			require.InDelta(t, want[j], p, 5*math.Sqrt(want[j]*(1-want[j])/rows), "%s category %d", m, j)
		}
	}
}

// TestLoadLogitsBlocks: the logits are loaded and checked per row block,
// so the checks must see every block: a too-large logit in a late block is
// reported with its row, and the largest |θ| (which guards θ/τ against
// overflow) comes from whichever block holds it, -Inf masks aside.
func TestLoadLogitsBlocks(t *testing.T) {
	const C, rows = 4, 3*kernels.RowBlock + 5
	d, pi := make([]float32, rows*C), make([]float32, rows*C)
	for _, threads := range []int{1, 2} {
		ws := kernels.NewWorkspace(threads)
		est, err := estimators.New(estimators.Config{Method: "st", Tau: 1e-35}, rows, C)
		require.NoError(t, err)
		l := make([]float32, rows*C)
		for i := range l {
			l[i] = float32(i%5) - 2
		}
		l[7] = float32(math.Inf(-1))
		l[(rows-2)*C+3] = 3e30
		err = est.Forward(ws, 1, 1, l, d, pi)
		require.ErrorIs(t, err, errkind.NonFinite)
		require.Contains(t, err.Error(), fmt.Sprintf("row %d", rows-2))

		// |θ| ≤ 2 everywhere but one logit of 1e4 in the third block: with
		// τ = 1e-35, θ/τ overflows only through that one.
		l[(rows-2)*C+3] = 0
		g := make([]float32, rows*C)
		require.NoError(t, est.Forward(ws, 1, 1, l, d, pi))
		require.NoError(t, est.Backward(ws, 1, 1, g, nil, make([]float32, rows*C)), "|θ|/τ = 2e35 fits")
		l[(2*kernels.RowBlock+9)*C+1] = -1e4
		require.NoError(t, est.Forward(ws, 1, 1, l, d, pi))
		require.ErrorIs(t, est.Backward(ws, 1, 1, g, nil, make([]float32, rows*C)), errkind.Temperature)
		ws.Close()
	}
}
