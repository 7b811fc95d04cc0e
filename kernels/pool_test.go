package kernels

import (
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
