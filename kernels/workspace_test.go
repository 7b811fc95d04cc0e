package kernels

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNewWorkspaceClampsThreads: thread counts outside 1..MaxThreads are
// clamped instead of allocating per-thread state for them (MaxInt64 used to
// panic in makeslice, 1e9 to run out of memory), and a clamped workspace
// still runs every piece exactly once.
func TestNewWorkspaceClampsThreads(t *testing.T) {
	for _, c := range []struct{ in, want int }{
		{math.MinInt, 1}, {-1, 1}, {0, 1}, {1, 1}, {2, 2},
		{MaxThreads, MaxThreads}, {MaxThreads + 1, MaxThreads},
		{1_000_000_000, MaxThreads}, {math.MaxInt, MaxThreads},
	} {
		ws := NewWorkspace(c.in)
		require.Equal(t, c.want, ws.Threads(), "NewWorkspace(%d)", c.in)
		if c.want > 1 {
			require.Len(t, ws.pool.workers, c.want-1, "NewWorkspace(%d)", c.in)
		}
		n := 3 * c.want
		task := &parallelCountTask{hits: make([]int32, n)}
		ws.Parallel(n, task)
		for i, h := range task.hits {
			require.Equal(t, int32(1), h, "NewWorkspace(%d): piece %d ran %d times", c.in, i, h)
		}
		ws.Close()
	}
}
