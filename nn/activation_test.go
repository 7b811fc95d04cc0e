package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/stretchr/testify/require"
)

func act64(a Activation, x float64) float64 {
	if x > 0 {
		return x
	}
	if a == LeakyReLU {
		return LeakySlope * x
	}
	return 0
}

func TestActivationGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, a := range []Activation{ReLU, LeakyReLU} {
		t.Run(a.String(), func(t *testing.T) {
			// Values kept away from the kink at 0, where the FD is meaningless.
			x := randSlice(r, 64, 0.05, 2)
			for i := range x {
				if i%2 == 0 {
					x[i] = -x[i]
				}
			}
			R := to64(randSlice(r, len(x), -1, 1))
			y := make([]float32, len(x))
			require.NoError(t, a.Forward(y, x))
			for i := range x {
				require.InDelta(t, act64(a, float64(x[i])), float64(y[i]), 1e-7)
			}
			// loss = Σ R⊙y + ½Σy², dy = R + y.
			dy := make([]float32, len(x))
			for i := range dy {
				dy[i] = float32(R[i]) + y[i]
			}
			dx := make([]float32, len(x))
			require.NoError(t, a.Backward(dx, dy, y))
			requireGradClose(t, "dx", dx, numGrad(to64(x), func(x []float64) float64 {
				s := 0.0
				for i, v := range x {
					yi := act64(a, v)
					s += R[i]*yi + 0.5*yi*yi
				}
				return s
			}), 1e-6)
			// In place.
			require.NoError(t, a.Forward(x, x))
			require.Equal(t, y, x)
			require.NoError(t, a.Backward(dy, dy, y))
			require.Equal(t, dx, dy)
		})
	}
}

func TestActivationErrors(t *testing.T) {
	require.ErrorIs(t, ReLU.Forward(make([]float32, 2), make([]float32, 3)), errkind.Shape)
	require.ErrorIs(t, LeakyReLU.Backward(make([]float32, 3), make([]float32, 3), make([]float32, 2)), errkind.Shape)
	require.ErrorIs(t, Activation(9).Forward(nil, nil), errkind.Argument)
	require.ErrorIs(t, Activation(9).Backward(nil, nil, nil), errkind.Argument)
	require.Equal(t, "Activation(9)", Activation(9).String())
	require.Equal(t, "leaky_relu", LeakyReLU.String())
}
