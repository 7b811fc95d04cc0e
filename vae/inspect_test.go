package vae

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLastBatch(t *testing.T) {
	cfg := DefaultConfig()
	cfg.C, cfg.L, cfg.Batch, cfg.Threads = 3, 2, 4, 1
	train := synthDataset(t, 10, 1)
	tr, err := NewTrainer(cfg, train, train)
	require.NoError(t, err)
	defer tr.Close()
	idx, d := tr.LastBatch()
	require.Nil(t, idx)
	require.Nil(t, d)
	seen := map[int32]bool{}
	for step := range 3 { // batches of 4, 4 and the short last one of 2
		_, err := tr.Step()
		require.NoError(t, err)
		idx, d = tr.LastBatch()
		want := []int{4, 4, 2}[step]
		require.Len(t, idx, want)
		require.Len(t, d, want*cfg.L*cfg.C)
		for _, i := range idx {
			require.False(t, seen[i], "example %d twice in one epoch", i)
			seen[i] = true
		}
		for r := 0; r < want*cfg.L; r++ {
			var sum float32
			for _, v := range d[r*cfg.C : (r+1)*cfg.C] {
				require.True(t, v == 0 || v == 1)
				sum += v
			}
			require.Equal(t, float32(1), sum, "row %d is not one-hot", r)
		}
	}
	require.Len(t, seen, 10)
	_, err = tr.Evaluate()
	require.NoError(t, err)
	idx, _ = tr.LastBatch()
	require.Nil(t, idx, "Evaluate reuses the batch buffers")
}
