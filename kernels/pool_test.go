package kernels

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPoolSpinAndPark alternates back-to-back runs (the workers are still
// spinning when the next task comes) with pauses longer than spinFor (the
// workers have parked and must be woken), on pools of several sizes, and
// requires every piece of every run to run exactly once; then it closes
// the pool both while its workers spin and while they are parked.
func TestPoolSpinAndPark(t *testing.T) {
	for _, th := range []int{2, 3, 5} {
		for _, pause := range []time.Duration{0, 3 * spinFor} {
			ws := NewWorkspace(th)
			for round := range 200 {
				n := 1 + round%11
				task := &parallelCountTask{hits: make([]int32, n)}
				ws.Parallel(n, task)
				for i, h := range task.hits {
					require.Equalf(t, int32(1), h, "threads=%d pause=%v round %d: piece %d ran %d times", th, pause, round, i, h)
				}
				if pause > 0 && round%10 == 0 {
					time.Sleep(pause)
				}
			}
			if pause > 0 {
				time.Sleep(pause) // parked
			}
			done := make(chan struct{})
			go func() { ws.Close(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("threads=%d pause=%v: Close did not return", th, pause)
			}
		}
	}
}

// TestSingles: a workspace's single-thread sub-workspaces are created once
// and reused (no allocation afterwards), and a nil workspace gets fresh ones.
func TestSingles(t *testing.T) {
	ws := NewWorkspace(2)
	defer ws.Close()
	a := ws.Singles(2)
	require.Len(t, a, 2)
	require.NotSame(t, a[0], a[1])
	for _, s := range a {
		require.Equal(t, 1, s.Threads())
	}
	b := ws.Singles(3)
	require.Same(t, a[0], b[0])
	require.Same(t, a[1], b[1])
	require.Zero(t, testing.AllocsPerRun(10, func() { _ = ws.Singles(3) }))
	var none *Workspace
	c := none.Singles(2)
	require.Len(t, c, 2)
	require.Equal(t, 1, c[1].Threads())
}

// poolOwnerTask records which goroutine ran each piece; every piece takes
// about a millisecond, so that both goroutines of a run are busy at once.
type poolOwnerTask struct{ owner []int32 }

func (t *poolOwnerTask) RunTask(i int) { t.runOn(i, 0) }
func (t *poolOwnerTask) runOn(i, worker int) {
	t.owner[i] = int32(worker)
	time.Sleep(time.Millisecond)
}

// TestPoolShares checks that the pool deals contiguous shares: with two
// goroutines and four pieces, the caller starts with pieces 0 and 1 and the
// worker with 2 and 3 (a single shared counter would alternate 0, 1, 2, 3
// between them). A worker that is descheduled lets the caller take its
// pieces, which is correct but not the dealt order, so one run out of ten
// in the dealt order is enough.
func TestPoolShares(t *testing.T) {
	ws := NewWorkspace(2)
	defer ws.Close()
	var last []int32
	for range 10 {
		task := &poolOwnerTask{owner: make([]int32, 4)}
		ws.Parallel(4, task)
		if last = task.owner; slices.Equal(last, []int32{0, 0, 1, 1}) {
			return
		}
	}
	t.Fatalf("no run in ten dealt pieces 0-1 to the caller and 2-3 to the worker; last run: %v", last)
}
