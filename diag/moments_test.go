package diag

import (
	"errors"
	"math"
	"testing"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/stretchr/testify/require"
)

func TestMomentsHandComputed(t *testing.T) {
	m, err := NewMoments(2)
	require.NoError(t, err)
	// Draws (1, -2), (3, -2), (5, 4): mean (3, 0), population variance (8/3, 8).
	for _, g := range [][]float32{{1, -2}, {3, -2}, {5, 4}} {
		require.NoError(t, m.Add(g))
	}
	require.Equal(t, 3, m.Count())
	require.Equal(t, 2, m.Len())
	mean, std := make([]float64, 2), make([]float64, 2)
	require.NoError(t, m.Mean(mean))
	require.NoError(t, m.Std(std))
	require.InDeltaSlice(t, []float64{3, 0}, mean, 1e-15)
	require.InDeltaSlice(t, []float64{math.Sqrt(8.0 / 3), math.Sqrt(8)}, std, 1e-15)

	m.Reset()
	require.Zero(t, m.Count())
	require.ErrorIs(t, m.Mean(mean), errkind.Argument)
	require.NoError(t, m.Add([]float32{7, 7}))
	require.NoError(t, m.Std(std))
	require.Equal(t, []float64{0, 0}, std, "a single draw has no spread")
}

func TestMomentsErrors(t *testing.T) {
	_, err := NewMoments(0)
	require.ErrorIs(t, err, errkind.Shape)
	m, err := NewMoments(3)
	require.NoError(t, err)
	require.ErrorIs(t, m.Add([]float32{1, 2}), errkind.Shape)
	require.NoError(t, m.Add([]float32{1, 2, 3}))
	err = m.Add([]float32{1, float32(math.NaN()), 3})
	require.ErrorIs(t, err, errkind.NonFinite)
	require.Contains(t, err.Error(), "g[1]")
	require.ErrorIs(t, m.Add([]float32{float32(math.Inf(-1)), 0, 0}), errkind.NonFinite)
	require.Equal(t, 1, m.Count(), "a rejected draw is not counted")
	mean := make([]float64, 3)
	require.NoError(t, m.Mean(mean))
	require.Equal(t, []float64{1, 2, 3}, mean, "a rejected draw leaves the sums untouched")
	require.ErrorIs(t, m.Mean(make([]float64, 2)), errkind.Shape)
	require.ErrorIs(t, m.Std(make([]float64, 4)), errkind.Shape)
}

// seqSampler returns grad[i] = stream + i, or an error at stream failAt.
type seqSampler struct {
	calls  []uint64
	failAt uint64
}

var errFake = errors.New("fake failure")

func (s *seqSampler) Sample(seed, stream uint64, grad []float32) (float64, error) {
	s.calls = append(s.calls, seed<<32|stream)
	if stream == s.failAt {
		return 0, errFake
	}
	for i := range grad {
		grad[i] = float32(stream) + float32(i)
	}
	return 0, nil
}

func TestDrawUsesDistinctStreams(t *testing.T) {
	m, err := NewMoments(2)
	require.NoError(t, err)
	s := &seqSampler{failAt: math.MaxUint64}
	require.NoError(t, m.Draw(s, 7, 10, 4))
	require.Equal(t, []uint64{7<<32 | 10, 7<<32 | 11, 7<<32 | 12, 7<<32 | 13}, s.calls)
	mean := make([]float64, 2)
	require.NoError(t, m.Mean(mean))
	require.Equal(t, []float64{11.5, 12.5}, mean)

	require.ErrorIs(t, m.Draw(s, 7, 0, 0), errkind.Argument)
	m.Reset()
	s = &seqSampler{failAt: 2}
	err = m.Draw(s, 1, 0, 5)
	require.ErrorIs(t, err, errFake)
	require.Contains(t, err.Error(), "stream 2")
	require.Equal(t, 2, m.Count(), "draws before the failure stay accumulated")
}

func TestMomentsAllocateNothing(t *testing.T) {
	m, err := NewMoments(64)
	require.NoError(t, err)
	g := make([]float32, 64)
	exact := make([]float32, 64)
	for i := range g {
		g[i], exact[i] = float32(i+1), float32(i+2)
	}
	s := &constSampler{g: g}
	require.NoError(t, m.Draw(s, 0, 0, 2))
	allocs := testing.AllocsPerRun(20, func() {
		_ = m.Add(g)
		_ = m.Draw(s, 0, 0, 3)
		_, _ = m.Metrics(exact, 4)
		m.Reset()
		_ = m.Add(g)
	})
	require.Zero(t, allocs)
}

// constSampler always returns g.
type constSampler struct{ g []float32 }

func (s *constSampler) Sample(_, _ uint64, grad []float32) (float64, error) {
	copy(grad, s.g)
	return 0, nil
}

// hashSampler returns a pseudo-random gradient that depends only on
// (seed, stream), and fails at stream failAt; it is safe for one goroutine.
type hashSampler struct{ failAt uint64 }

func (s hashSampler) Sample(seed, stream uint64, grad []float32) (float64, error) {
	if stream == s.failAt {
		return 0, errFake
	}
	x := seed*0x9e3779b97f4a7c15 ^ stream*0xbf58476d1ce4e5b9
	for i := range grad {
		x ^= x >> 31
		x *= 0x94d049bb133111eb
		grad[i] = float32(x>>40)/float32(1<<24)*2 - 1
	}
	return 0, nil
}

func TestDrawParallelIsBitwiseDraw(t *testing.T) {
	const size, samples = 5, 101 // not a multiple of the chunk
	ref, err := NewMoments(size)
	require.NoError(t, err)
	require.NoError(t, ref.Draw(hashSampler{math.MaxUint64}, 3, 7, samples))
	want := make([]float64, size)
	require.NoError(t, ref.Std(want))
	for _, workers := range []int{1, 2, 3, 8} {
		m, err := NewMoments(size)
		require.NoError(t, err)
		ss := make([]Sampler, workers)
		for i := range ss {
			ss[i] = hashSampler{math.MaxUint64}
		}
		require.NoError(t, m.DrawParallel(ss, 3, 7, samples))
		require.Equal(t, samples, m.Count())
		require.Equal(t, ref.sum, m.sum, "%d samplers: sums", workers)
		require.Equal(t, ref.sq, m.sq, "%d samplers: squares", workers)

		// A failure keeps exactly the draws before it, whatever the split.
		m.Reset()
		for i := range ss {
			ss[i] = hashSampler{failAt: 7 + 40}
		}
		err = m.DrawParallel(ss, 3, 7, samples)
		require.ErrorIs(t, err, errFake)
		require.Contains(t, err.Error(), "stream 47")
		require.Equal(t, 40, m.Count(), "%d samplers", workers)
	}
	m, err := NewMoments(size)
	require.NoError(t, err)
	require.ErrorIs(t, m.DrawParallel(nil, 0, 0, 4), errkind.Argument)
}
