package nn

import (
	"errors"
	"math"
	"testing"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/kernels"
	"github.com/stretchr/testify/require"
)

func TestParamsLayout(t *testing.T) {
	var p Params
	a, err := p.NewTensor("a", 2, 3)
	require.NoError(t, err)
	b, err := p.NewTensor("b", 4)
	require.NoError(t, err)
	require.Equal(t, 10, p.Len())
	require.Nil(t, a.Data)
	require.NoError(t, p.Alloc())
	require.Len(t, p.Data, 10)
	require.Len(t, p.Grad, 10)
	require.Equal(t, 0, a.Off)
	require.Equal(t, 6, b.Off)
	// Views alias the flat vectors, and cannot be appended into a neighbour.
	a.Data[5] = 7
	b.Grad[0] = 3
	require.Equal(t, float32(7), p.Data[5])
	require.Equal(t, float32(3), p.Grad[6])
	require.Equal(t, 6, cap(a.Data))
	require.Same(t, b, p.Tensor("b"))
	require.Nil(t, p.Tensor("c"))
	require.Equal(t, []*Tensor{a, b}, p.Tensors())
	p.ZeroGrad()
	require.Zero(t, b.Grad[0])
}

func TestParamsErrors(t *testing.T) {
	var p Params
	_, err := p.NewTensor("x")
	require.ErrorIs(t, err, errkind.Shape)
	_, err = p.NewTensor("x", 3, 0)
	require.ErrorIs(t, err, errkind.Shape)
	require.ErrorContains(t, err, `"x"`)
	require.ErrorIs(t, p.Alloc(), errkind.Shape)
	_, err = p.NewTensor("x", 3)
	require.NoError(t, err)
	_, err = p.NewTensor("x", 3)
	require.ErrorIs(t, err, errkind.Argument)
	require.NoError(t, p.Alloc())
	require.ErrorIs(t, p.Alloc(), errkind.Argument)
	_, err = p.NewTensor("y", 3)
	require.ErrorIs(t, err, errkind.Argument)
}

func TestFinite(t *testing.T) {
	var p Params
	_, err := p.NewTensor("w", 3*finiteChunk+5)
	require.NoError(t, err)
	require.NoError(t, p.Alloc())
	for _, threads := range []int{1, 2} {
		ws := kernels.NewWorkspace(threads)
		require.True(t, p.GradFinite(ws))
		require.True(t, p.DataFinite(ws))
		for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
			for _, at := range []int{0, finiteChunk - 1, 2*finiteChunk + 1, len(p.Grad) - 1} {
				p.Grad[at] = bad
				require.False(t, p.GradFinite(ws), "value %v at %d", bad, at)
				p.Grad[at] = 0
			}
		}
		p.Data[len(p.Data)-1] = float32(math.NaN())
		require.False(t, p.DataFinite(ws))
		p.Data[len(p.Data)-1] = math.MaxFloat32
		require.True(t, p.DataFinite(ws))
		ws.Close()
	}
	require.True(t, allFinite(nil))
	require.False(t, allFinite([]float32{1, 2, 3, 4, 5, float32(math.Inf(1))}))
	require.Zero(t, testing.AllocsPerRun(20, func() { _ = p.GradFinite(nil) }))
	require.False(t, errors.Is(nil, errkind.Shape))
}
