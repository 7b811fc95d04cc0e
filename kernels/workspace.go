package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Workspace holds reusable scratch (packed GEMM panels, edge tiles, padded
// row blocks) and a pool of persistent worker goroutines. Buffers grow on
// first use and are reused afterwards, so steady-state calls allocate
// nothing.
//
// A Workspace serves one goroutine at a time: do not call kernels with the
// same workspace concurrently, nor from inside a Task run by its Parallel
// (use another workspace, or nil, there). A nil *Workspace is valid
// everywhere and means a temporary single-threaded one (each call may then
// allocate its scratch). Results never depend on the number of threads.
type Workspace struct {
	threads int
	pool    *pool // nil when threads == 1
	gemm    gemmScratch
	rows    rowScratch
}

// NewWorkspace returns a workspace whose parallel kernels use up to threads
// goroutines, the caller's included (threads < 1 means 1). For threads > 1 it
// starts threads-1 worker goroutines that live until Close (or until the
// workspace becomes unreachable).
func NewWorkspace(threads int) *Workspace {
	if threads < 1 {
		threads = 1
	}
	ws := &Workspace{threads: threads}
	if threads > 1 {
		ws.pool = newPool(threads - 1)
		// The workers reference the pool, not the workspace, so a
		// forgotten Close still lets the workspace be collected; the
		// cleanup then stops the workers.
		runtime.AddCleanup(ws, (*pool).close, ws.pool)
	}
	return ws
}

// Threads reports the number of goroutines the workspace's parallel kernels
// use, the caller's included (1 for a nil workspace).
func (ws *Workspace) Threads() int {
	if ws == nil {
		return 1
	}
	return ws.threads
}

// Close stops the workspace's workers and waits for them to exit. It is
// idempotent and valid on nil. After Close, Parallel runs every piece on the
// calling goroutine; the workspace should not be used for more work.
func (ws *Workspace) Close() {
	if ws == nil || ws.pool == nil {
		return
	}
	ws.pool.close()
}

// Task is work split into independent pieces, run by Parallel.
type Task interface {
	// RunTask runs piece i. Pieces must write disjoint memory and must
	// not depend on each other's order or on which goroutine runs them.
	RunTask(i int)
}

// Parallel runs t.RunTask(i) for every i in [0, n) on the workspace's
// workers and the calling goroutine, and returns when all pieces are done.
// Pieces are handed out dynamically, so which goroutine runs a piece is
// unspecified; since pieces are independent the result cannot depend on it.
// A nil workspace, a single thread, n <= 1, a closed workspace or a call
// made while another Parallel of the same workspace is running (a Task that
// calls Parallel) all run the pieces in order on the calling goroutine.
//
// Parallel allocates nothing as long as converting t to Task does not: pass
// a pointer to a struct that outlives the call (for example one kept next to
// the workspace), not a value or a pointer to a fresh local.
func (ws *Workspace) Parallel(n int, t Task) {
	if n <= 0 {
		return
	}
	if ws == nil || ws.pool == nil || n == 1 || !ws.pool.run(n, t) {
		runInline(n, t)
	}
}

// workerTask is a Task whose pieces also learn which goroutine runs them:
// worker is in [0, Threads()) and no two pieces run at once with the same
// worker, so pieces can use per-worker scratch (the GEMM's packed B blocks).
type workerTask interface {
	Task
	runOn(i, worker int)
}

// runInline runs all pieces on the calling goroutine (worker 0).
func runInline(n int, t Task) {
	if wt, ok := t.(workerTask); ok {
		for i := 0; i < n; i++ {
			wt.runOn(i, 0)
		}
		return
	}
	for i := 0; i < n; i++ {
		t.RunTask(i)
	}
}

// pool is a set of persistent workers. One Parallel call at a time: the
// caller publishes the task, wakes up to len(wake) workers through their
// channels, takes pieces itself from the shared atomic counter, then waits on
// the WaitGroup. Nothing here allocates per call.
type pool struct {
	busy   atomic.Bool     // a run is in progress (guards against reentry)
	closed atomic.Bool     // close was called
	wake   []chan struct{} // one per worker, buffered 1
	done   sync.WaitGroup  // workers still running the current task
	exited sync.WaitGroup  // workers not yet exited
	mu     sync.Mutex      // serialises close with run

	task Task
	n    int64
	next atomic.Int64
}

func newPool(workers int) *pool {
	p := &pool{wake: make([]chan struct{}, workers)}
	p.exited.Add(workers)
	for i := range p.wake {
		p.wake[i] = make(chan struct{}, 1)
		go p.worker(p.wake[i], i+1)
	}
	return p
}

// worker runs pieces as worker id (the caller of run is worker 0).
func (p *pool) worker(wake chan struct{}, id int) {
	defer p.exited.Done()
	for range wake {
		p.drain(id)
		p.done.Done()
	}
}

// drain runs pieces until the counter passes n.
func (p *pool) drain(id int) {
	wt, _ := p.task.(workerTask)
	for {
		i := p.next.Add(1) - 1
		if i >= p.n {
			return
		}
		if wt != nil {
			wt.runOn(int(i), id)
		} else {
			p.task.RunTask(int(i))
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
	p.task, p.n = t, int64(n)
	p.next.Store(0)
	w := min(len(p.wake), n-1)
	p.done.Add(w)
	for _, c := range p.wake[:w] {
		c <- struct{}{}
	}
	p.drain(0)
	p.done.Wait()
	p.task = nil
	return true
}

func (p *pool) close() {
	p.mu.Lock()
	if !p.closed.Swap(true) {
		for _, c := range p.wake {
			close(c)
		}
	}
	p.mu.Unlock()
	p.exited.Wait()
}
