package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// spinFor is how long an idle worker keeps polling for the next task
// after the last run has ended before it parks, and how long the caller
// polls for the workers to finish before it blocks. Waking a parked
// goroutine costs 50–200 µs on a VM, as much as a whole VAE matrix
// product, while the gaps between two Parallel calls in a training step
// are a few µs to about 60 µs (the small products and the estimator run on
// the caller); a short spin hides the wake-up and bounds the CPU an idle
// pool burns. In-process A/B on the 8×4 step, two threads: 200 µs was
// 1–6% faster than 50 µs, 500 µs no faster than 200.
const spinFor = 200 * time.Microsecond

// Worker states.
const (
	workerParked   int32 = iota // blocked on its wake channel
	workerSpinning              // polling its state for a task
	workerAssigned              // given the current task, not yet done
)

// pool is a set of persistent workers. One run at a time: the caller
// publishes the task, hands it to up to len(workers) workers (a spinning
// worker sees its state change; a parked one is woken through its
// channel), runs pieces itself, then waits until every assigned worker has
// finished (polling briefly, then on the done channel). Nothing here
// allocates per call.
//
// Pieces are dealt in contiguous shares, one per goroutine of the run (the
// caller's first): each goroutine takes pieces from its own share and, once
// that is empty, from the others'. So a run of the same shape puts the
// same pieces on the same core every time (a GEMM's tiles of C, the
// optimiser's chunks of the parameters stay in that core's cache), and a
// worker that is late (parked, or descheduled) still leaves its share to
// the others.
type pool struct {
	busy    atomic.Bool // a run is in progress (guards against reentry)
	closed  atomic.Bool // close was called
	workers []poolWorker
	pending atomic.Int32  // assigned workers still running the current task
	done    chan struct{} // one token per run, sent by the last worker
	exited  sync.WaitGroup
	mu      sync.Mutex // serialises close with run

	task         Task
	participants int         // goroutines of the current run, the caller's included
	shares       []poolShare // one per goroutine of the current run
}

// poolShare is one goroutine's contiguous range of the current run's
// pieces: next is the next unclaimed piece, end the end of the range.
type poolShare struct {
	next atomic.Int64
	end  int64
	_    [48]byte // keep shares of different goroutines off one cache line
}

type poolWorker struct {
	state atomic.Int32
	wake  chan struct{} // buffered 1; closed by close
	_     [48]byte      // keep states of different workers off one cache line
}

func newPool(workers int) *pool {
	p := &pool{workers: make([]poolWorker, workers), done: make(chan struct{}, 1),
		shares: make([]poolShare, workers+1)}
	p.exited.Add(workers)
	for i := range p.workers {
		w := &p.workers[i]
		w.wake = make(chan struct{}, 1)
		w.state.Store(workerSpinning)
		go p.worker(w, i+1)
	}
	return p
}

// worker runs pieces as worker id (the caller of run is worker 0).
func (p *pool) worker(w *poolWorker, id int) {
	defer p.exited.Done()
	for {
		// A worker that finished its pieces while the caller still runs
		// the last ones keeps polling until that run ends, and spinFor
		// after: parking then would make it miss the next run's start.
		if !spinUntil(func() bool { return w.state.Load() == workerAssigned }, &p.busy) &&
			w.state.CompareAndSwap(workerSpinning, workerParked) {
			if _, ok := <-w.wake; !ok {
				return
			}
		}
		// Assigned: seen while spinning, or the CAS to parked lost to the
		// caller's assignment, or woken by the caller.
		p.drain(id)
		w.state.Store(workerSpinning)
		if p.pending.Add(-1) == 0 {
			p.done <- struct{}{}
		}
	}
}

// spinUntil polls cond for up to spinFor, not counting the time during
// which hold (when not nil) is true, yielding the processor between polls;
// it reports whether cond became true.
func spinUntil(cond func() bool, hold *atomic.Bool) bool {
	start := time.Now()
	for i := 0; ; i++ {
		if cond() {
			return true
		}
		if i&15 == 15 {
			if hold != nil && hold.Load() {
				start = time.Now()
			} else if time.Since(start) > spinFor {
				return false
			}
		}
		runtime.Gosched()
	}
}

// drain runs the pieces of share id, then whatever is left of the others'
// shares, in order from the next one, until every piece has been claimed.
func (p *pool) drain(id int) {
	wt, _ := p.task.(workerTask)
	shares := p.shares[:p.participants]
	for k := range shares {
		s := &shares[(id+k)%len(shares)]
		for {
			i := s.next.Add(1) - 1
			if i >= s.end {
				break
			}
			if wt != nil {
				wt.runOn(int(i), id)
			} else {
				p.task.RunTask(int(i))
			}
		}
	}
}

// run executes the task on the pool; it reports false (having run nothing)
// when the pool is closed or already busy, so the caller runs it inline.
func (p *pool) run(n int, t Task) bool {
	if !p.busy.CompareAndSwap(false, true) {
		return false
	}
	defer p.busy.Store(false)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Load() {
		return false
	}
	w := min(len(p.workers), n-1)
	p.task, p.participants = t, w+1
	for id := range p.shares[:w+1] {
		s := &p.shares[id]
		s.next.Store(int64(id * n / (w + 1)))
		s.end = int64((id + 1) * n / (w + 1))
	}
	p.pending.Store(int32(w))
	for i := range p.workers[:w] {
		wk := &p.workers[i]
		if !wk.state.CompareAndSwap(workerSpinning, workerAssigned) {
			// Parked (every worker is spinning or parked between runs).
			wk.state.Store(workerAssigned)
			wk.wake <- struct{}{}
		}
	}
	p.drain(0)
	if w > 0 {
		spinUntil(func() bool { return p.pending.Load() == 0 }, nil)
		<-p.done // the last worker always sends exactly one token
	}
	p.task = nil
	return true
}

func (p *pool) close() {
	p.mu.Lock()
	if !p.closed.Swap(true) {
		for i := range p.workers {
			close(p.workers[i].wake)
		}
	}
	p.mu.Unlock()
	p.exited.Wait()
}
