package kernels

import (
	"testing"
	"time"
)

// spinTask busy-waits d per piece: a stand-in for a matrix product.
type spinTask struct{ d time.Duration }

func (s *spinTask) RunTask(i int) {
	t := time.Now()
	for time.Since(t) < s.d {
	}
}

// BenchmarkPoolRound times one 2-piece Parallel round plus a 5 µs serial gap;
// the ideal is d + 5 µs. It measures the cost of handing work to a worker.
func BenchmarkPoolRound(b *testing.B) {
	for _, d := range []time.Duration{10 * time.Microsecond, 50 * time.Microsecond, 200 * time.Microsecond} {
		b.Run(d.String(), func(b *testing.B) {
			ws := NewWorkspace(2)
			defer ws.Close()
			task := &spinTask{d}
			for b.Loop() {
				ws.Parallel(2, task)
				// a short serial gap, like elementwise work between products
				t := time.Now()
				for time.Since(t) < 5*time.Microsecond {
				}
			}
		})
	}
}
