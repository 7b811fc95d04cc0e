package estimators_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/kernels"
)

// TestExactGolden checks SetCodeLoss + Backward against the golden
// enumeration cases (first latent most significant).
func TestExactGolden(t *testing.T) {
	gf := loadGolden(t)
	for _, id := range []string{"enum/L2C3", "enum/L3C2"} {
		ex := gf.expect(t, id)
		L, C := ex.L, ex.C
		est, err := estimators.New(estimators.Config{Method: "exact", Tau: 1}, L, C)
		require.NoError(t, err)
		theta := flat32(ex.Theta)
		d, pi, grad := make([]float32, L*C), make([]float32, L*C), make([]float32, L*C)
		require.NoError(t, est.Forward(nil, 1, 2, theta, d, pi))
		f := make([]float32, len(ex.Fcode))
		for i, v := range ex.Fcode {
			f[i] = float32(v)
		}
		require.NoError(t, est.SetCodeLoss(f, L))
		require.NoError(t, est.Backward(nil, 1, 2, nil, nil, grad))
		want := flat64(ex.Exact)
		for i, w := range want {
			require.InDelta(t, w, float64(grad[i]), 1e-6+1e-6*math.Abs(w), "%s [%d]", id, i)
		}
		require.InDelta(t, ex.Value, exactValue(theta64(theta), f, L, C, 1), 1e-6, id)
	}
}

func theta64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// exactValue is Σ_b Σ_z Π_l q_bl(z_l) f_b(z) computed directly in float64.
func exactValue(theta []float64, f []float32, L, C, B int) float64 {
	codes := len(f) / B
	var total float64
	for b := range B {
		q := make([][]float64, L)
		for l := range L {
			row := theta[(b*L+l)*C : (b*L+l+1)*C]
			m := math.Inf(-1)
			for _, v := range row {
				m = max(m, v)
			}
			q[l] = make([]float64, C)
			var z float64
			for j, v := range row {
				q[l][j] = math.Exp(v - m)
				z += q[l][j]
			}
			for j := range q[l] {
				q[l][j] /= z
			}
		}
		for code := range codes {
			p, rest := 1.0, code
			for l := L - 1; l >= 0; l-- {
				p *= q[l][rest%C]
				rest /= C
			}
			total += p * float64(f[b*codes+code])
		}
	}
	return total
}

// piDot is Σ π·gp, whose gradient is J(π)gp.
func piDot(theta []float64, gp []float32, C int) float64 {
	var s float64
	for r := 0; r < len(theta)/C; r++ {
		row := theta[r*C : (r+1)*C]
		m := math.Inf(-1)
		for _, v := range row {
			m = max(m, v)
		}
		var z, a float64
		for j, v := range row {
			e := math.Exp(v - m)
			z += e
			a += e * float64(gp[r*C+j])
		}
		s += a / z
	}
	return s
}

// TestExactFiniteDifferences compares exact's gradient (with g_p) with
// central finite differences of the enumerated objective, including a
// masked (-Inf) category, over several examples and two thread counts.
func TestExactFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const B, L, C = 5, 3, 3
	codes := C * C * C
	theta := make([]float32, B*L*C)
	gp := make([]float32, B*L*C)
	for i := range theta {
		theta[i] = float32(1.3 * r.NormFloat64())
		gp[i] = float32(r.NormFloat64())
	}
	theta[4] = float32(math.Inf(-1))
	f := make([]float32, B*codes)
	for i := range f {
		f[i] = float32(3 * r.NormFloat64())
	}
	ws2 := kernels.NewWorkspace(2)
	defer ws2.Close()
	var first []float32
	for _, ws := range []*kernels.Workspace{nil, ws2} {
		est, err := estimators.New(estimators.Config{Method: "exact", Tau: 1}, B*L, C)
		require.NoError(t, err)
		d, pi, grad := make([]float32, B*L*C), make([]float32, B*L*C), make([]float32, B*L*C)
		require.NoError(t, est.Forward(ws, 9, 1, theta, d, pi))
		err = est.Backward(ws, 9, 1, nil, gp, grad)
		require.ErrorIs(t, err, errkind.Argument, "Backward before SetCodeLoss")
		require.NoError(t, est.SetCodeLoss(f, L))
		require.NoError(t, est.Backward(ws, 9, 1, nil, gp, grad))
		if first == nil {
			first = append([]float32(nil), grad...)
		} else {
			require.Equal(t, first, grad, "threads 1 vs 2")
		}
	}
	th := theta64(theta)
	obj := func(x []float64) float64 { return exactValue(x, f, L, C, B) + piDot(x, gp, C) }
	const h = 1e-5
	for i := range th {
		if math.IsInf(th[i], -1) {
			require.Zero(t, first[i], "masked category gets zero gradient")
			continue
		}
		x := append([]float64(nil), th...)
		x[i] = th[i] + h
		up := obj(x)
		x[i] = th[i] - h
		fd := (up - obj(x)) / (2 * h)
		require.InDelta(t, fd, float64(first[i]), 1e-6+1e-5*math.Abs(fd), "element %d", i)
	}
}

// TestExactErrors covers SetCodeLoss misuse.
func TestExactErrors(t *testing.T) {
	est, err := estimators.New(estimators.Config{Method: "exact", Tau: 1}, 8, 3)
	require.NoError(t, err)
	require.ErrorIs(t, est.SetCodeLoss(make([]float32, 9), 0), errkind.Shape)
	require.ErrorIs(t, est.SetCodeLoss(make([]float32, 10), 2), errkind.Shape)
	require.ErrorIs(t, est.SetCodeLoss(make([]float32, 27*3), 3), errkind.Shape) // 9 rows > 8
	require.ErrorIs(t, est.SetCodeLoss(make([]float32, 1<<21), 40), errkind.Shape)
	bad := make([]float32, 9)
	bad[3] = float32(math.NaN())
	require.ErrorIs(t, est.SetCodeLoss(bad, 2), errkind.NonFinite)
	theta := make([]float32, 3*3)
	d, pi, grad := make([]float32, 9), make([]float32, 9), make([]float32, 9)
	require.NoError(t, est.Forward(nil, 1, 1, theta, d, pi))
	require.NoError(t, est.SetCodeLoss(make([]float32, 2*9), 2)) // 4 rows, sample has 3
	err = est.Backward(nil, 1, 1, nil, nil, grad)
	require.ErrorIs(t, err, errkind.Shape)
	require.Contains(t, err.Error(), "B*L")
	st, err := estimators.New(estimators.DefaultConfig("st"), 4, 3)
	require.NoError(t, err)
	require.True(t, errors.Is(st.SetCodeLoss(make([]float32, 9), 2), errkind.Argument))
	require.True(t, errors.Is(st.SetRowLoss(make([]float32, 2)), errkind.Argument))
}
