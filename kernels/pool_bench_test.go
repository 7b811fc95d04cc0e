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

// lopsidedTask busy-waits d[i] for piece i and records when each piece
// started.
type lopsidedTask struct {
	d     []time.Duration
	start []time.Time
}

func (s *lopsidedTask) RunTask(i int) {
	s.start[i] = time.Now()
	for time.Since(s.start[i]) < s.d[i] {
	}
}

// BenchmarkPoolAfterLopsidedRound runs a round whose caller piece
// (spinFor + 100 µs) outlasts the worker's (10 µs) by more than spinFor,
// then a balanced round, and reports how late the worker starts the second
// round ("µs-late"). A worker that parked while the caller was still busy
// would start it only after a wake-up (about 60 µs on the development VM);
// one that keeps polling until the run ends starts it at once.
func BenchmarkPoolAfterLopsidedRound(b *testing.B) {
	ws := NewWorkspace(2)
	defer ws.Close()
	first := &lopsidedTask{d: []time.Duration{spinFor + 100*time.Microsecond, 10 * time.Microsecond}, start: make([]time.Time, 2)}
	second := &lopsidedTask{d: []time.Duration{50 * time.Microsecond, 50 * time.Microsecond}, start: make([]time.Time, 2)}
	var late time.Duration
	for b.Loop() {
		ws.Parallel(2, first)
		t := time.Now()
		ws.Parallel(2, second)
		late += second.start[1].Sub(t)
	}
	b.ReportMetric(late.Seconds()*1e6/float64(b.N), "µs-late")
}
