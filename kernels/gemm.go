package kernels

import (
	"fmt"
	"slices"

	"github.com/klauspost/cpuid/v2"
)

// SGEMM driver: argument checks, packing, blocking, edge tiles and the
// parallel split over tiles of C. The micro-kernels (impl.gemm) see only
// packed panels and whole mr×nr tiles; the packing kernels (impl.gemmPack,
// gemmPackT) read B's stored rows for the first tile of a column panel and
// write the packed panel that the panel's other tiles use.
//
// Summation order. For every element of C the products are accumulated in
// k order inside k-blocks of the implementation's fixed kc (one register
// accumulator per element, a fused multiply-add per product in assembly),
// and the blocks are added to C in k order:
//
//	C = ((acc[0:kc] + beta*C) + acc[kc:2kc]) + ...
//
// Block sizes mc and nc (cache-derived), the packing chunks and the thread
// split only choose which tiles are computed where, never this order, so the
// result is bitwise identical for any thread count and any cache size.

// gemmGenericKC is the k-block of the Go twin. It equals the AVX2 one so the
// twin follows the same summation order as the assembly.
const gemmGenericKC = 256

// gemmPackBudget bounds, in floats, one chunk of A (4 MiB): products within
// it (all the VAE's) are one parallel round; larger ones are cut into
// chunks of whole row panels, a round each. A worker's packed copy of A
// holds at most one chunk.
const gemmPackBudget = 1 << 20

// gemmParallelFlops is the smallest product, in flops (2·m·n·k), that is
// split across a workspace's workers.
const gemmParallelFlops = 1 << 21

// gemmL2 is the L2 size in bytes used to size mc and nc: klauspost/cpuid's
// view of this CPU, with a fallback when it does not know. It only changes
// the blocking, never the numbers.
var gemmL2 = cacheBytes(cpuid.CPU.Cache.L2, 512<<10)

func cacheBytes(v, fallback int) int {
	if v < 64<<10 {
		return fallback
	}
	return v
}

// gemmBlocks returns, for products with k-blocks of kcb = min(kc, k)
// floats, the largest row count mc (a multiple of mr) whose packed A block
// of one k-block takes at most half of L2, and the column count nc of the
// B blocks packed next to a full A block (gemmBlockPanels). A compute piece
// holds at most mc rows; it packs B a block of columns at a time and runs
// its row panels over them, so its A block and the B block stay in L2
// while each kcb×nr B panel is reused from L1. Short k (the batch of a
// weight gradient) gives taller and wider blocks, so B is packed once per
// column block rather than once per row block too.
func gemmBlocks(im *impl, k int) (mc, nc int) {
	kcb := max(min(im.kc, k), 1)
	mc = max(gemmL2/2/(kcb*4)/im.mr, 4) * im.mr
	return mc, gemmBlockPanels(im, kcb, mc/im.mr) * im.nr
}

// gemmBlockPanels returns how many column panels of B a piece with
// rowPanels row panels packs at a time for k-blocks of kcb: as many as fit
// in what its A block leaves of three quarters of L2 (a quarter of L2 next
// to a full mc block), at least 2. A short A block (the batch rows of a
// forward product) lets a block of B span whole stored rows, which are
// read from memory as one sequential run when the weights are cold (the
// product dX = dY·W ran 25% slower from cold weights with half rows).
func gemmBlockPanels(im *impl, kcb, rowPanels int) int {
	kb := kcb * 4
	return max((gemmL2*3/4-rowPanels*im.mr*kb)/kb/im.nr, 2)
}

// GemmBlocking reports the active implementation's GEMM micro-tile (mr×nr),
// its fixed k-block kc, and the cache-derived row and column block sizes mc
// and nc used when k >= kc (shorter products use larger ones), for logging.
func GemmBlocking() (mr, nr, kc, mc, nc int) {
	im := current()
	mc, nc = gemmBlocks(im, im.kc)
	return im.mr, im.nr, im.kc, mc, nc
}

// Sgemm computes C = alpha*op(A)*op(B) + beta*C with row-major storage, where
// op(X) is X or X^T (tA, tB), op(A) is m×k, op(B) is k×n and C is m×n; lda,
// ldb and ldc are the leading dimensions (row strides) of A, B and C as
// stored, so A is m×k (k×m if tA) with lda >= its column count, and so on.
// Elements between rows (the slack of a leading dimension) are never read or
// written.
//
// beta = 0 never reads C (NaN there is overwritten). alpha = 0 or k = 0 gives
// C = beta*C without reading A or B. C must not overlap A or B.
//
// Errors wrap ErrShape: a negative dimension, a leading dimension smaller
// than the row it holds, or a slice too short for the shape; they are
// returned before anything is written.
//
// Work is split across ws's workers over tiles of C only (never over k), so
// the result is bitwise identical for any thread count; see the summation
// order at the top of gemm.go. A nil ws runs single-threaded with temporary
// scratch; with a reused ws the steady state allocates nothing.
func Sgemm(ws *Workspace, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) error {
	return sgemm(current(), ws, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemm is Sgemm on a given implementation (tests call every one).
func sgemm(im *impl, ws *Workspace, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) error {
	return sgemmNamed("Sgemm", im, ws, Dense, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmSparse is SgemmSparse on a given implementation.
func sgemmSparse(im *impl, ws *Workspace, sp Sparsity, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) error {
	return sgemmNamed("SgemmSparse", im, ws, sp, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmNamed runs either; fn names the exported function in errors.
func sgemmNamed(fn string, im *impl, ws *Workspace, sp Sparsity, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) error {
	if m < 0 || n < 0 || k < 0 {
		return fmt.Errorf("kernels.%s: negative dimension m=%d n=%d k=%d: %w", fn, m, n, k, ErrShape)
	}
	ar, ac, an := m, k, "a (m×k)"
	if tA {
		ar, ac, an = k, m, "a (k×m, tA)"
	}
	br, bc, bn := k, n, "b (k×n)"
	if tB {
		br, bc, bn = n, k, "b (n×k, tB)"
	}
	if err := checkMatrix(fn, an, "lda", len(a), ar, ac, lda); err != nil {
		return err
	}
	if err := checkMatrix(fn, bn, "ldb", len(b), br, bc, ldb); err != nil {
		return err
	}
	if err := checkMatrix(fn, "c (m×n)", "ldc", len(c), m, n, ldc); err != nil {
		return err
	}
	if m == 0 || n == 0 {
		return nil
	}
	if k == 0 || alpha == 0 {
		scaleMatrix(beta, c, m, n, ldc)
		return nil
	}
	if ws == nil {
		ws = NewWorkspace(1)
	}
	g := &ws.gemm
	g.run = gemmRun{im: im, ws: ws, sparse: sp, tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha,
		a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc}
	g.drive()
	g.run = gemmRun{} // drop the caller's slices
	return nil
}

// checkMatrix checks that a rows×cols matrix with leading dimension ld fits
// in length floats.
func checkMatrix(fn, name, ldName string, length, rows, cols, ld int) error {
	if ld < max(cols, 1) {
		return fmt.Errorf("kernels.%s: %s: %s=%d < max(1, cols=%d): %w", fn, name, ldName, ld, cols, ErrShape)
	}
	if rows == 0 || cols == 0 {
		return nil
	}
	if need := (rows-1)*ld + cols; length < need {
		return fmt.Errorf("kernels.%s: %s: len=%d, need %d for rows=%d cols=%d %s=%d: %w",
			fn, name, length, need, rows, cols, ldName, ld, ErrShape)
	}
	return nil
}

// scaleMatrix sets C = beta*C; beta = 0 writes zeros without reading C.
func scaleMatrix(beta float32, c []float32, m, n, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// gemmRun holds the arguments of the Sgemm call in progress.
type gemmRun struct {
	im            *impl
	ws            *Workspace
	sparse        Sparsity
	tA, tB        bool
	m, n, k       int
	alpha, beta   float32
	a, b, c       []float32
	lda, ldb, ldc int
}

// gemmScratch is the GEMM part of a Workspace: per-worker packed A and B
// and edge tiles, and the task handed to Parallel (kept here so that
// passing it as a Task allocates nothing).
type gemmScratch struct {
	run     gemmRun
	workers []gemmWorker

	// Current chunk: rows [ic, ic+rp*mr) ∩ [0, m), all columns.
	ic, rp, cp int
	gr, gc     int    // compute grid: gr row groups × gc column groups
	ncp        int    // column panels per packed B block
	round      uint64 // numbers the chunks, so a worker knows when its A is stale

	compute gemmComputeTask
}

// gemmWorker is the scratch of one worker goroutine. Each worker packs the
// rows of A its pieces need into its own pa rather than all of them
// sharing one copy: a copy written by one core and read by another is a
// cache miss on every line for the reader, which on two cores made the
// VAE's products 1.1–1.6× slower than packing A twice.
type gemmWorker struct {
	pa    []float32 // packed row group of A: k-blocks, each of its panels kcb×mr
	paFor uint64    // round in which pa was packed (0: never)
	paRow int       // first row panel of pa's group in that round's chunk
	pb    []float32 // packed B block: up to ncp panels of kcb×nr
	tile  []float32 // one mr×nr edge tile

	// Step lists of SgemmSparse (see listSteps): of pa's panels, each
	// k-block's panels after the previous block's (SparseA), or of pb's
	// panels (SparseB).
	steps    []int32
	stepsLen []int32
	bits     []uint32 // listSteps' scratch
	paFinite []bool   // SparseB: whether each of pa's panels is finite
}

type gemmComputeTask struct{ g *gemmScratch }

func (t *gemmComputeTask) RunTask(i int)       { t.g.computePiece(i, 0) }
func (t *gemmComputeTask) runOn(i, worker int) { t.g.computePiece(i, worker) }

func grow[T float32 | int32 | uint32 | bool](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// drive runs the blocked product. Per chunk of row panels (all of A for
// products within gemmPackBudget), one parallel round computes the chunk's
// tiles in a grid of pieces. A worker packs the rows of A of a piece's row
// group when it does not hold them yet, and the B blocks a piece needs right
// before using them, both into its own scratch, so packed A and B stay in
// the L2 of the core that uses them.
func (g *gemmScratch) drive() {
	r := &g.run
	im, ws := r.im, r.ws
	mr, nr := im.mr, im.nr
	threads := ws.Threads()
	// Waking a parked worker takes microseconds (longer on a busy
	// machine), so products under about 20 µs of work stay on the caller.
	if 2*float64(r.m)*float64(r.n)*float64(r.k) < gemmParallelFlops {
		threads = 1
	}
	mc, _ := gemmBlocks(im, r.k)
	kcb := min(im.kc, r.k)
	rpAll := ceilDiv(r.m, mr)
	rpChunk := max(gemmPackBudget/(r.k*mr), 1)
	g.cp = ceilDiv(r.n, nr)
	g.compute.g = g
	if len(g.workers) < threads {
		g.workers = make([]gemmWorker, threads)
	}
	for ip := 0; ip < rpAll; ip += rpChunk {
		g.ic, g.rp = ip*mr, min(rpChunk, rpAll-ip)
		g.round++
		// A piece packs a stripe of every stored row of B when B is not
		// transposed, and narrow stripes read memory slowly: at most 2
		// pieces a thread there (in-process A/B on two threads: dX = dY·W
		// 3-7% faster than with 4), 4 otherwise. (Tables with gemmPack
		// read B panel by panel inside the kernel; 2 and 4 measured the
		// same for them.)
		perThread := 4
		if !r.tB {
			perThread = 2
		}
		g.gr, g.gc = gemmGrid(g.rp, g.cp, threads, perThread, max(mc/mr, 1), mr, nr)
		// B blocks of equal width, no wider than a piece.
		cols := ceilDiv(g.cp, g.gc)
		g.ncp = ceilDiv(cols, ceilDiv(cols, gemmBlockPanels(im, kcb, ceilDiv(g.rp, g.gr))))
		// Size every worker's scratch for any piece here, on the caller:
		// which worker runs a piece depends on scheduling (a late
		// worker's share goes to the others), so growing it in
		// computePiece allocated whenever a worker first ran a larger
		// piece, at random in steady state.
		for w := range g.workers[:threads] {
			g.workers[w].reserve(g, ceilDiv(g.rp, g.gr))
		}
		ws.maybeParallel(threads, g.gr*g.gc, &g.compute)
	}
}

// reserve grows w's buffers to hold any piece of the current chunk (at
// most np row panels): packed A and B, the edge tile and SgemmSparse's step
// lists, so that computePiece and scanA only reslice them.
func (w *gemmWorker) reserve(g *gemmScratch, np int) {
	r := &g.run
	mr, nr, kc := r.im.mr, r.im.nr, r.im.kc
	kcb := min(kc, r.k)
	w.pa = grow(w.pa, np*mr*r.k)
	w.pb = grow(w.pb, g.ncp*kcb*nr)
	w.tile = grow(w.tile, mr*nr)
	switch r.sparse {
	case SparseA:
		w.bits = grow(w.bits, kc*mr/32+2)
		w.steps = grow(w.steps, np*r.k)
		w.stepsLen = grow(w.stepsLen, np*ceilDiv(r.k, kc))
	case SparseB:
		w.bits = grow(w.bits, kc*nr/32+2)
		w.steps = grow(w.steps, g.ncp*kcb)
		w.stepsLen = grow(w.stepsLen, g.ncp)
		w.paFinite = grow(w.paFinite, np*ceilDiv(r.k, kc))
	}
}

// maybeParallel runs the pieces inline when threads is 1.
func (ws *Workspace) maybeParallel(threads, n int, t Task) {
	if threads == 1 {
		runInline(n, t)
		return
	}
	ws.Parallel(n, t)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// gemmGrid splits rp row panels × cp column panels of mr×nr tiles into
// gr×gc pieces for threads workers, numbered row group by row group;
// pieces never hold more than mcp row panels (the A block of a piece stays
// in L2). The cost of a piece, per k step, is its tiles' FMAs (mr·nr/16
// cycles per tile at two 8-wide FMAs a cycle) plus packing its columns of
// B, plus packing its rows of A when its worker does not hold them yet
// (about a cycle per float each). The pool deals each thread a contiguous
// share of the pieces, so a thread packs the A rows of each row group its
// share meets, once. A parked worker joins late (waking one takes 50-100
// µs on a virtual machine, as long as a whole GEMM of the VAE) and the
// others then take its pieces, so the estimated makespan is that of greedy
// list scheduling, total/threads + (1 - 1/threads)·largest: it charges the
// duplicated packing, and it favours several smaller pieces over one per
// thread, so that a worker that arrives late still leaves an equal share
// of what is left instead of a whole piece. Among grids of at most
// perThread·threads pieces the cheapest wins, then the one with fewer
// pieces. Any grid gives the same numbers.
func gemmGrid(rp, cp, threads, perThread, mcp, mr, nr int) (gr, gc int) {
	gr0 := ceilDiv(rp, mcp)
	if threads <= 1 {
		return gr0, 1
	}
	limit := max(perThread*threads, gr0)
	best := -1
	for r := gr0; r <= min(rp, limit); r++ {
		for c := 1; c <= cp && r*c <= limit; c++ {
			n := r * c
			shares := min(threads, n)
			total, largest := 0, 0
			for s := range shares {
				held := -1 // row group whose A the thread holds
				for i := s * n / shares; i < (s+1)*n/shares; i++ {
					gi, gj := i/c, i%c
					rows := (gi+1)*rp/r - gi*rp/r
					cols := (gj+1)*cp/c - gj*cp/c
					piece := rows*cols*mr*nr/16 + cols*nr
					if gi != held {
						piece += rows * mr
						held = gi
					}
					total += piece
					largest = max(largest, piece)
				}
			}
			cost := total + (threads-1)*largest // threads × the estimate
			if best < 0 || cost < best || (cost == best && r*c < gr*gc) {
				best, gr, gc = cost, r, c
			}
		}
	}
	return gr, gc
}

// packAPanels packs row panels [q0, q1) of the chunk of op(A) into pa,
// every k-block, scaled by alpha, rows past m as zeros. With np = q1-q0,
// the k-block at offset pc holds panel q at pa[pc*np*mr + (q-q0)*kcb*mr],
// element (p, i) at [p*mr + i].
//
// Whichever way A is stored, memory is read in long sequential runs: a
// stored row of A (tA) is spread over all the panels of the range, a panel
// (not tA) interleaves mr sequential streams.
func (g *gemmScratch) packAPanels(pa []float32, q0, q1 int) {
	r := &g.run
	mr, kc, alpha := r.im.mr, r.im.kc, r.alpha
	i0 := g.ic + q0*mr         // first row of the range
	i1 := min(g.ic+q1*mr, r.m) // end of its valid rows
	full := q0 + (i1-i0)/mr    // panels [q0, full) have mr valid rows
	for pc := 0; pc < r.k; pc += kc {
		kcb := min(kc, r.k-pc)
		blk := pa[pc*(q1-q0)*mr:][:(q1-q0)*kcb*mr]
		if full < q1 {
			clear(blk[(full-q0)*kcb*mr:][:kcb*mr])
		}
		if r.tA {
			// op(A)[i][p] = a[p*lda+i]: a stored row is mr-float runs
			// of consecutive panels.
			for p := 0; p < kcb; p++ {
				src := r.a[(pc+p)*r.lda+i0 : (pc+p)*r.lda+i1]
				scatterGroups(blk[p*mr:], kcb*mr, src, full-q0, mr, alpha)
				if full < q1 {
					s := src[(full-q0)*mr:]
					d := blk[(full-q0)*kcb*mr+p*mr:][:len(s)]
					for i, v := range s {
						d[i] = alpha * v
					}
				}
			}
			continue
		}
		// op(A)[i][p] = a[i*lda+p]: a stored row becomes a strided
		// column of its panel.
		for q := q0; q < q1; q++ {
			dst := blk[(q-q0)*kcb*mr:][:kcb*mr]
			row := g.ic + q*mr
			if q < full {
				switch {
				case mr >= 8:
					transposePanel(r.im, dst, mr, r.a[row*r.lda+pc:], r.lda, kcb, alpha)
					continue
				case mr == 6:
					packRows6(dst, r.a[row*r.lda+pc:], r.lda, kcb, alpha)
					continue
				}
			}
			for i := 0; i < min(mr, r.m-row); i++ {
				src := r.a[(row+i)*r.lda+pc:][:kcb]
				for p, v := range src {
					dst[p*mr+i] = alpha * v
				}
			}
		}
	}
}

// packB packs column panels [q0, q1) of op(B) for the k-block [pc, pc+kcb)
// into dst, columns past n as zeros: panel q at dst[(q-q0)*kcb*nr], element
// (p, j) at [p*nr + j]. A stored row of B (not tB) is read as one
// sequential run spread over the panels; a stored column (tB) is a strided
// column of its panel, nr sequential streams.
func (g *gemmScratch) packB(dst []float32, pc, kcb, q0, q1 int) {
	r := &g.run
	nr := r.im.nr
	j0 := q0 * nr
	j1 := min(q1*nr, r.n)
	full := q0 + (j1-j0)/nr
	dst = dst[:(q1-q0)*kcb*nr]
	if full < q1 {
		clear(dst[(full-q0)*kcb*nr:])
	}
	if !r.tB {
		// op(B)[p][j] = b[p*ldb+j]. Each stored row is read as one
		// sequential run spread over the panels: when B is cold (the
		// weights in dX = dY·W) this streams from memory faster than
		// filling the panels one by one from 16-float pieces of every
		// row (measured in the training step: 0.3 vs 0.5 ms).
		for p := 0; p < kcb; p++ {
			src := r.b[(pc+p)*r.ldb+j0 : (pc+p)*r.ldb+j1]
			scatterGroups(dst[p*nr:], kcb*nr, src, full-q0, nr, 1)
			if full < q1 {
				copy(dst[(full-q0)*kcb*nr+p*nr:], src[(full-q0)*nr:])
			}
		}
		return
	}
	// op(B)[p][j] = b[j*ldb+p].
	for q := q0; q < q1; q++ {
		d := dst[(q-q0)*kcb*nr:][:kcb*nr]
		col := q * nr
		if q < full && nr >= 8 {
			transposePanel(r.im, d, nr, r.b[col*r.ldb+pc:], r.ldb, kcb, 1)
			continue
		}
		for j := 0; j < min(nr, r.n-col); j++ {
			src := r.b[(col+j)*r.ldb+pc:][:kcb]
			for p, v := range src {
				d[p*nr+j] = v
			}
		}
	}
}

// gemmPiece is what the parts of computePiece share: the piece's panels,
// its worker, and the k-block it is at with that block's settings.
type gemmPiece struct {
	w        *gemmWorker
	ip0, ip1 int // row panels of the chunk
	jp0, jp1 int // column panels
	np       int // ip1 - ip0

	// The current k-block [pc, pc+kcb), the kb-th (setKBlock).
	pc, kcb, kb int
	beta        float32   // r.beta in the first k-block, 1 after it
	pa          []float32 // its packed A: row panel ip at [(ip-ip0)*kcb*mr:]
	listedA     bool      // SparseA: some row panel has a step list
	fused       bool      // a B panel is packed by its first tile's kernel
	prefetch    bool      // B panel by panel, the first tile prefetching the next
	firstFull   bool      // the piece's first row panel has mr valid rows
}

// computePiece computes the tiles of piece i of the gr×gc grid over the
// chunk on worker's scratch: pack the piece's rows of A unless the worker
// already holds them (from its previous piece), then for each k-block and
// each block of ncp column panels, pack that block of B (or, with
// gemmPack, each panel in its first tile) and run every row panel of the
// piece over each of its panels. The piece's A block stays in L2, the
// packed B block in L2 and the current B panel in L1. For SgemmSparse the
// tiles other than a panel's packing tile run over their step lists
// (gemmsparse.go).
func (g *gemmScratch) computePiece(i, worker int) {
	r := &g.run
	gi, gj := i/g.gc, i%g.gc
	pk := gemmPiece{
		w:   &g.workers[worker],
		ip0: gi * g.rp / g.gr, ip1: (gi + 1) * g.rp / g.gr,
		jp0: gj * g.cp / g.gc, jp1: (gj + 1) * g.cp / g.gc,
	}
	pk.np = pk.ip1 - pk.ip0
	g.holdA(&pk)
	// SparseB: the step lists of a B block (reserve sized them for the
	// round, so this only reslices).
	if r.sparse == SparseB {
		w, kc := pk.w, r.im.kc
		w.bits = grow(w.bits, kc*r.im.nr/32+2)
		w.steps = grow(w.steps, g.ncp*min(kc, r.k))
		w.stepsLen = grow(w.stepsLen, g.ncp)
	}
	for pc := 0; pc < r.k; pc += r.im.kc {
		g.setKBlock(&pk, pc)
		g.computeKBlock(&pk)
	}
}

// holdA packs the piece's rows of A (and scans them for SgemmSparse)
// unless its worker already holds them from its previous piece, so the
// pieces of one row group that a worker runs pack A once.
func (g *gemmScratch) holdA(pk *gemmPiece) {
	r := &g.run
	w := pk.w
	if w.paFor == g.round && w.paRow == pk.ip0 {
		return
	}
	w.pa = grow(w.pa, pk.np*r.im.mr*r.k)
	g.packAPanels(w.pa, pk.ip0, pk.ip1)
	w.paFor, w.paRow = g.round, pk.ip0
	if r.sparse != Dense {
		g.scanA(w, pk.np)
	}
}

// setKBlock moves pk to the k-block at pc and decides, once for all its
// panels, how the block's panels of B are packed.
func (g *gemmScratch) setKBlock(pk *gemmPiece, pc int) {
	r := &g.run
	im := r.im
	mr, kc := im.mr, im.kc
	kcb := min(kc, r.k-pc)
	pk.pc, pk.kcb, pk.kb = pc, kcb, pc/kc
	pk.beta = r.beta
	if pc > 0 {
		pk.beta = 1
	}
	pk.pa = pk.w.pa[pc*pk.np*mr:]
	// SparseA: whether a row panel of this k-block has a step list;
	// without one no B panel needs its finite check.
	pk.listedA = r.sparse == SparseA &&
		slices.ContainsFunc(pk.w.stepsLen[pk.kb*pk.np:][:pk.np], func(n int32) bool { return n >= 0 })
	// With gemmPack (gemmPackT when B is transposed), a panel of B
	// is packed by the kernel of its first tile, which reads B's
	// stored rows in the FMA loop's spare load slots (when panel and
	// tile are full; else packB packs the panel alone). A separate
	// pass over B was memory-bound: dX = dY·W ran 6-17% faster on
	// one thread and 10-39% on two without it (in-process A/B,
	// AVX-512 and AVX2), the forward Y = X·Wᵀ 5-7% faster on one.
	pk.fused = im.gemmPack != nil && !r.tB || im.gemmPackT != nil && r.tB && kcb%4 == 0
	pk.firstFull = g.ic+(pk.ip0+1)*mr <= r.m
	// With gemmPF instead (AVX2, whose 16 registers leave none for a
	// transpose), a transposed B is packed panel by panel, and the
	// first tile of each panel prefetches the next panel's stored rows
	// into L2: the forward products ran 3-5% faster on one thread
	// (in-process A/B in the training step; no change on two).
	pk.prefetch = !pk.fused && r.tB && im.gemmPF != nil
}

// computeKBlock runs the piece's tiles over the current k-block a block of
// ncp column panels at a time, so that the packed B block stays in L2
// while the piece's row panels pass over it.
func (g *gemmScratch) computeKBlock(pk *gemmPiece) {
	r := &g.run
	w := pk.w
	for jb := pk.jp0; jb < pk.jp1; jb += g.ncp {
		jb1 := min(jb+g.ncp, pk.jp1)
		if !pk.fused && !pk.prefetch {
			g.packB(w.pb, pk.pc, pk.kcb, jb, jb1)
			if r.sparse == SparseB {
				listSteps(r.im, w.bits, w.steps, w.stepsLen, w.pb, jb1-jb, pk.kcb, r.im.nr)
			}
		}
		g.computePanels(pk, jb, jb1)
	}
}

// computePanels runs every row panel of the piece over column panels
// [jb, jb1) of B (the packed block, or each packed here) for the current
// k-block: first a panel's packing tile where it has one (the piece's first
// tile of the panel, whose kernel packs the panel, fused, or prefetches the
// next panel's rows), then its other tiles, over a step list where
// SgemmSparse gives them one; an edge tile, which sticks out of C, runs on
// scratch. On the dense path it calls nothing per panel or tile but kernels
// (and packB for a panel packed alone): a Go helper called per panel or per
// edge tile cost the small products (10-20 µs) 0.4-1% in an in-process A/B.
func (g *gemmScratch) computePanels(pk *gemmPiece, jb, jb1 int) {
	r := &g.run
	im, w := r.im, pk.w
	mr, nr := im.mr, im.nr
	pc, kcb, beta, pa := pk.pc, pk.kcb, pk.beta, pk.pa
	ip0, np := pk.ip0, pk.np
	c, ldc := r.c, r.ldc
	for jp := jb; jp < jb1; jp++ {
		q := jp - jb
		bp := w.pb[q*kcb*nr:][:kcb*nr]
		j := jp * nr
		nn := min(nr, r.n-j)
		ip := ip0
		switch {
		case pk.prefetch:
			g.packB(bp, pc, kcb, jp, jp+1)
			if nxt := j + nr; jp+1 < pk.jp1 && nxt+nr <= r.n && pk.firstFull {
				im.gemmPF(kcb, pa[:kcb*mr], bp, c[(g.ic+ip*mr)*ldc+j:][:(mr-1)*ldc+nr], ldc, beta,
					r.b[nxt*r.ldb+pc:][:(nr-1)*r.ldb+kcb], r.ldb)
				ip++
			}
		case pk.fused && (nn < nr || !pk.firstFull): // edge: packB packs it alone
			g.packB(bp, pc, kcb, jp, jp+1)
		case pk.fused:
			ct := c[(g.ic+ip*mr)*ldc+j:][:(mr-1)*ldc+nr]
			if r.tB {
				im.gemmPackT(kcb, pa[:kcb*mr], r.b[j*r.ldb+pc:][:(nr-1)*r.ldb+kcb], r.ldb, bp, ct, ldc, beta)
			} else {
				im.gemmPack(kcb, pa[:kcb*mr], r.b[pc*r.ldb+j:][:(kcb-1)*r.ldb+nr], r.ldb, bp, ct, ldc, beta)
			}
			ip++
		}
		steps, bFinite := []int32(nil), true // B panel's step list (nil: all steps)
		if r.sparse != Dense {
			steps, bFinite = g.panelSteps(pk, bp, q)
		}
		for ; ip < pk.ip1; ip++ {
			ap := pa[(ip-ip0)*kcb*mr:][:kcb*mr]
			ts := steps // this tile's step list, nil: all steps
			switch r.sparse {
			case SparseA:
				if cnt := w.stepsLen[pk.kb*np+ip-ip0]; cnt >= 0 && bFinite {
					ts = w.steps[pc*np+(ip-ip0)*kcb:][:cnt]
				}
			case SparseB:
				if !w.paFinite[pk.kb*np+ip-ip0] {
					ts = nil
				}
			}
			row := g.ic + ip*mr
			mm := min(mr, r.m-row)
			if mm == mr && nn == nr {
				ct := c[row*ldc+j:][:(mr-1)*ldc+nr]
				if ts != nil {
					im.gemmIdx(ts, ap, bp, ct, ldc, beta)
				} else {
					im.gemm(kcb, ap, bp, ct, ldc, beta)
				}
				continue
			}
			// Edge tile: C outside the matrix is never touched.
			tile := w.tile[:mr*nr]
			if beta != 0 {
				for ii := 0; ii < mm; ii++ {
					copy(tile[ii*nr:ii*nr+nn], c[(row+ii)*ldc+j:][:nn])
				}
			}
			if ts != nil {
				im.gemmIdx(ts, ap, bp, tile, nr, beta)
			} else {
				im.gemm(kcb, ap, bp, tile, nr, beta)
			}
			for ii := 0; ii < mm; ii++ {
				copy(c[(row+ii)*ldc+j:][:nn], tile[ii*nr:ii*nr+nn])
			}
		}
	}
}

// panelSteps returns, for SgemmSparse, what the panel's tiles other than its
// packing one run over: SparseB the B panel's step list (nil: all steps),
// SparseA whether the B panel is finite, without which the tiles ignore A's
// step lists (0·Inf must stay NaN).
func (g *gemmScratch) panelSteps(pk *gemmPiece, bp []float32, q int) (steps []int32, bFinite bool) {
	r := &g.run
	switch r.sparse {
	case SparseA:
		return nil, pk.listedA && allFinite(r.im, bp)
	case SparseB:
		w, kcb := pk.w, pk.kcb
		if pk.fused || pk.prefetch {
			listSteps(r.im, w.bits, w.steps[q*kcb:], w.stepsLen[q:], bp, 1, kcb, r.im.nr)
		}
		if cnt := w.stepsLen[q]; cnt >= 0 {
			steps = w.steps[q*kcb:][:cnt]
		}
	}
	return steps, true
}

// Shape of the Go twin micro-kernel: 4×4 keeps the 16 accumulators, 4 values
// of A and 4 of B in registers on arm64 (32 FP registers); on amd64 the
// compiler spills a few, which costs less than a smaller tile's extra loads.
const (
	gemmGenericMR = 4
	gemmGenericNR = 4
)

// gemmGeneric is the Go twin of the assembly micro-kernels, a 4×4 tile:
//
//	for i := 0; i < 4; i++ {
//		for j := 0; j < 4; j++ {
//			var s float32
//			for p := 0; p < kc; p++ {
//				s += a[p*4+i] * b[p*4+j]
//			}
//			if beta == 0 {
//				c[i*ldc+j] = s // C is not read
//			} else {
//				c[i*ldc+j] = s + beta*c[i*ldc+j]
//			}
//		}
//	}
//
// Same summation order as the assembly (one accumulator per element, k in
// order). The compiler may fuse s += a*b into an FMA where the architecture
// has one (arm64 does, amd64 does not at GOAMD64=v1); either way the result
// is within the tests' k-scaled bound of the assembly's.
func gemmGeneric(kc int, a, b, c []float32, ldc int, beta float32) {
	gemm4x4Generic(nil, kc, a[:4*kc], b[:4*kc], c, ldc, beta)
}

// gemmIdxGeneric is gemmGeneric over the k steps p = idx[0], idx[1], ...
// only (the generic table's gemmIdx, and the twin of the assembly ones).
func gemmIdxGeneric(idx []int32, a, b, c []float32, ldc int, beta float32) {
	gemm4x4Generic(idx, len(idx), a, b, c, ldc, beta)
}

// gemm4x4Generic runs the 4×4 tile over steps p = t for t < n when idx is
// nil, else p = idx[t].
func gemm4x4Generic(idx []int32, n int, a, b, c []float32, ldc int, beta float32) {
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	var c20, c21, c22, c23 float32
	var c30, c31, c32, c33 float32
	for t := 0; t < n; t++ {
		p := t
		if idx != nil {
			p = int(idx[t])
		}
		av := (*[4]float32)(a[4*p:])
		bv := (*[4]float32)(b[4*p:])
		b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
		a0 := av[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := av[1]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a2 := av[2]
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		a3 := av[3]
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	gemmStoreRow4(c[0*ldc:], c00, c01, c02, c03, beta)
	gemmStoreRow4(c[1*ldc:], c10, c11, c12, c13, beta)
	gemmStoreRow4(c[2*ldc:], c20, c21, c22, c23, beta)
	gemmStoreRow4(c[3*ldc:], c30, c31, c32, c33, beta)
}

// gemmStoreRow4 writes one tile row: c = s, or c = s + beta*c (the product
// rounded on its own, as the assembly does).
func gemmStoreRow4(c []float32, s0, s1, s2, s3, beta float32) {
	r := (*[4]float32)(c)
	if beta == 0 {
		r[0], r[1], r[2], r[3] = s0, s1, s2, s3
		return
	}
	r[0] = s0 + float32(beta*r[0])
	r[1] = s1 + float32(beta*r[1])
	r[2] = s2 + float32(beta*r[2])
	r[3] = s3 + float32(beta*r[3])
}
