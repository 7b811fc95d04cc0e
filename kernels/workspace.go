package kernels

import "runtime"

// Workspace holds reusable scratch (packed GEMM panels, edge tiles, padded
// row blocks) and a pool of persistent worker goroutines. Buffers grow on
// first use and are reused afterwards, so steady-state calls allocate
// nothing. The GEMM scratch is per worker: each packs the rows of A it
// multiplies (at most a 4 MiB chunk of A) and its blocks of B (at most
// three quarters of L2) into its own buffers.
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
	singles []*Workspace // see Singles
}

// MaxThreads is the most worker threads (goroutines, the caller's included)
// a Workspace runs. Each thread costs a goroutine and per-thread state, so an
// unbounded count from a user crashes with out of memory; commands and
// configurations that take a thread count refuse values above it.
const MaxThreads = 1024

// NewWorkspace returns a workspace whose parallel kernels use up to threads
// goroutines, the caller's included (threads < 1 means 1). For threads > 1 it
// starts threads-1 worker goroutines that live until Close (or until the
// workspace becomes unreachable).
//
// threads above MaxThreads is clamped to MaxThreads (a huge count gets
// MaxThreads workers rather than a crash); code passing a user's value
// should refuse it first with a clear error, since results do not depend on
// the thread count and the clamp would otherwise go unnoticed.
func NewWorkspace(threads int) *Workspace {
	threads = max(1, min(threads, MaxThreads))
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

// Singles returns n single-thread workspaces owned by ws, created on the
// first call that needs them and reused afterwards (so steady-state calls
// allocate nothing). They let independent kernel calls run as the pieces
// of one Parallel round of ws, piece i on the i-th workspace: with two
// threads, two products of the same size then each get a whole core
// instead of both being split. Call it on the goroutine that owns ws,
// before Parallel. A nil ws returns fresh ones.
func (ws *Workspace) Singles(n int) []*Workspace {
	if ws == nil {
		s := make([]*Workspace, n)
		for i := range s {
			s[i] = NewWorkspace(1)
		}
		return s
	}
	for len(ws.singles) < n {
		ws.singles = append(ws.singles, NewWorkspace(1))
	}
	return ws.singles[:n]
}

// Task is work split into independent pieces, run by Parallel.
type Task interface {
	// RunTask runs piece i. Pieces must write disjoint memory and must
	// not depend on each other's order or on which goroutine runs them.
	RunTask(i int)
}

// Parallel runs t.RunTask(i) for every i in [0, n) on the workspace's
// workers and the calling goroutine, and returns when all pieces are done.
// Each goroutine starts on its own contiguous share of the pieces (the
// caller on the first) and then helps with what is left of the others', so
// which goroutine runs a piece is unspecified (usually the same one from
// call to call); since pieces are independent the result cannot depend on
// it.
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
