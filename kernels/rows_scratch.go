package kernels

import (
	"math"
	"sync"
)

// Row kernels (softmax, sampling) run over blocks of rows. The assembly sees
// whole vectors only, so when cols is not a multiple of the vector width the
// driver copies a block of rows into a padded buffer (pads -Inf for softmax,
// 0 for probabilities), runs the kernel there and copies the valid columns
// back. Every row is computed independently of its block and of the thread
// that runs it, so results never depend on the thread count or the block
// size.

const (
	// rowBlockFloats bounds one kernel call (about 4096 floats, a few
	// microseconds) and the padded buffers.
	rowBlockFloats = 4096
	// rowParallelGrain is the least work (in padded floats) worth handing to
	// another worker.
	rowParallelGrain = 16384
)

// rowScratch is the row-kernel part of a Workspace: the task handed to
// Workspace.Parallel and one slot of padded buffers per piece.
type rowScratch struct {
	task  rowTask
	slots []rowSlot
}

// rowSlot is the scratch of one piece of a row task. Buffers grow on first
// use and are reused.
type rowSlot struct {
	in, out []float32 // padded row blocks
	// The pads of in (columns [padCols, padP) of its first padRows rows)
	// hold padVal; refilled when the shape or the value changes.
	padCols, padP, padRows int
	padVal                 uint32 // bits of the pad value
	stats                  []float32
	u                      []float32
	idx                    []int32
	cdf                    []float32
	bad                    int // first failing row of this piece, -1 if none
}

// rowOp selects what a rowTask computes.
type rowOp uint8

const (
	opSoftmax       rowOp = iota // dst = softmax(src/tau), lse optional
	opSample                     // idx = inverse-CDF draw from p = src
	opSoftmaxSample              // dst = softmax(src), idx drawn from dst
)

// rowTask is one call of a row kernel, split into pieces of whole row
// groups; piece k uses slots[k].
type rowTask struct {
	im       *impl
	op       rowOp
	dst, src []float32
	idx      []int32
	u, lse   []float32
	rows     int
	cols     int
	p        int // cols rounded up to the implementation's width
	block    int // rows per kernel call (a multiple of w)
	per      int // rows per piece (a multiple of w)
	tau      float32
	invTau   float32
	slots    []rowSlot
}

// RunTask runs piece k: rows [k*per, min((k+1)*per, rows)).
func (t *rowTask) RunTask(k int) {
	s := &t.slots[k]
	s.bad = -1
	r1 := min((k+1)*t.per, t.rows)
	for a := k * t.per; a < r1; a += t.block {
		b := min(a+t.block, r1)
		switch t.op {
		case opSoftmax:
			t.softmaxBlock(s, a, b)
		case opSample:
			t.sampleBlock(s, a, b)
		case opSoftmaxSample:
			t.softmaxSampleBlock(s, a, b)
		}
		if s.bad >= 0 {
			return
		}
	}
}

// rowPool serves nil workspaces, so that they too allocate nothing in steady
// state.
var rowPool = sync.Pool{New: func() any { return new(rowScratch) }}

// rowRun splits t over the workspace's threads, runs it and returns the first
// failing row (-1 if none). The caller has filled im, op, the slices, rows,
// cols and tau/invTau.
func rowRun(ws *Workspace, t *rowTask, sc *rowScratch) int {
	w := t.im.w
	t.p = roundUp(t.cols, w)
	t.block = max(w, (rowBlockFloats/t.p)/w*w)
	n := min(ws.Threads(), max(1, t.rows*t.p/rowParallelGrain))
	t.per = roundUp((t.rows+n-1)/n, w)
	n = (t.rows + t.per - 1) / t.per
	if len(sc.slots) < n {
		sc.slots = append(sc.slots, make([]rowSlot, n-len(sc.slots))...)
	}
	t.slots = sc.slots[:n]
	for k := range t.slots {
		t.slots[k].grow(t)
	}
	if n == 1 {
		t.RunTask(0)
	} else {
		ws.Parallel(n, t)
	}
	bad := -1
	for k := range t.slots {
		if b := t.slots[k].bad; b >= 0 && (bad < 0 || b < bad) {
			bad = b
		}
	}
	return bad
}

// release drops the task's references to the caller's slices.
func (t *rowTask) release() {
	t.dst, t.src, t.idx, t.u, t.lse, t.slots = nil, nil, nil, nil, nil, nil
}

// scratchFor returns the row scratch of ws, or a pooled one for a nil ws;
// done must be called when the call is over.
func scratchFor(ws *Workspace) (sc *rowScratch, done func(*rowScratch)) {
	if ws != nil {
		return &ws.rows, releaseOwned
	}
	return rowPool.Get().(*rowScratch), releasePooled
}

func releaseOwned(sc *rowScratch) { sc.task.release() }

func releasePooled(sc *rowScratch) {
	sc.task.release()
	rowPool.Put(sc)
}

// grow makes the slot's buffers large enough for t.
func (s *rowSlot) grow(t *rowTask) {
	n := min(t.block, t.per) // rows of one kernel call (a multiple of w)
	if t.p != t.cols || t.op != opSoftmax {
		// Padded input and output blocks; sampling also pads the row
		// count of a block's tail to a multiple of w.
		if need := n * t.p; cap(s.in) < need {
			s.in = make([]float32, need)
			s.out = make([]float32, need)
			s.padRows = 0
		}
		s.in, s.out = s.in[:cap(s.in)], s.out[:cap(s.out)]
	}
	if cap(s.stats) < 2*n {
		s.stats = make([]float32, 2*n)
	}
	if t.op != opSoftmax && cap(s.u) < n {
		s.u = make([]float32, n)
		s.idx = make([]int32, n)
	}
	if need := t.im.w * t.p; cap(s.cdf) < need {
		s.cdf = make([]float32, need)
	}
}

// padded returns the first n rows of the padded input block for rows of cols
// floats stored with stride p, with columns [cols, p) of every row holding
// val. The pads are written once per shape and value: nothing else writes
// to in but copies of rows into columns [0, cols) of a block obtained here.
func (s *rowSlot) padded(n, cols, p int, val float32) []float32 {
	rows := len(s.in) / p
	vb := math.Float32bits(val)
	if s.padCols != cols || s.padP != p || s.padVal != vb || s.padRows < rows {
		for r := 0; r < rows; r++ {
			pad := s.in[r*p+cols : (r+1)*p]
			for j := range pad {
				pad[j] = val
			}
		}
		s.padCols, s.padP, s.padVal, s.padRows = cols, p, vb, rows
	}
	return s.in[:n*p]
}

// copyRows copies n rows of cols floats from src (stride sstride) to dst
// (stride dstride). Rows of up to 16 floats, the common case of categorical
// latents, are copied with straight-line chunks of 4, 2 and 1 floats, which
// compile to plain 16-, 8- and 4-byte moves: a runtime memmove call per row
// (what copy and larger array assignments become) or a loop over chunks
// would cost more than the kernel's work on the row. The short rows are
// dispatched by their count of whole 4-float chunks, once per call.
func copyRows(dst []float32, dstride int, src []float32, sstride, n, cols int) {
	switch {
	case cols < 1 || cols > 16:
		for i := 0; i < n; i++ {
			copy(dst[i*dstride:i*dstride+cols], src[i*sstride:i*sstride+cols])
		}
	case cols < 4:
		copyRows1to3(dst, dstride, src, sstride, n, cols)
	case cols < 8:
		copyRows4to7(dst, dstride, src, sstride, n, cols)
	case cols < 12:
		copyRows8to11(dst, dstride, src, sstride, n, cols)
	default:
		copyRows12to16(dst, dstride, src, sstride, n, cols)
	}
}

// copyRows1to3 is copyRows for rows of 1 to 3 floats: at most an 8- and a
// 4-byte move.
func copyRows1to3(dst []float32, dstride int, src []float32, sstride, n, cols int) {
	switch cols {
	case 1:
		for i := 0; i < n; i++ {
			d, s := dst[i*dstride:i*dstride+1], src[i*sstride:i*sstride+1]
			d[0] = s[0]
		}
	case 2:
		for i := 0; i < n; i++ {
			d, s := dst[i*dstride:i*dstride+2], src[i*sstride:i*sstride+2]
			*(*[2]float32)(d[0:2]) = [2]float32(s[0:2])
		}
	case 3:
		for i := 0; i < n; i++ {
			d, s := dst[i*dstride:i*dstride+3], src[i*sstride:i*sstride+3]
			*(*[2]float32)(d[0:2]) = [2]float32(s[0:2])
			d[2] = s[2]
		}
	}
}

// copyRows4to7 is copyRows for rows of 4 to 7 floats: one 16-byte move,
// then the rest in 8- and 4-byte ones.
func copyRows4to7(dst []float32, dstride int, src []float32, sstride, n, cols int) {
	switch cols {
	case 4:
		for i := 0; i < n; i++ {
			d, s := dst[i*dstride:i*dstride+4], src[i*sstride:i*sstride+4]
			*(*[4]float32)(d[0:4]) = [4]float32(s[0:4])
		}
	case 5:
		for i := 0; i < n; i++ {
			d, s := dst[i*dstride:i*dstride+5], src[i*sstride:i*sstride+5]
			*(*[4]float32)(d[0:4]) = [4]float32(s[0:4])
			d[4] = s[4]
		}
	case 6:
		for i := 0; i < n; i++ {
			d, s := dst[i*dstride:i*dstride+6], src[i*sstride:i*sstride+6]
			*(*[4]float32)(d[0:4]) = [4]float32(s[0:4])
			*(*[2]float32)(d[4:6]) = [2]float32(s[4:6])
		}
	case 7:
		for i := 0; i < n; i++ {
			d, s := dst[i*dstride:i*dstride+7], src[i*sstride:i*sstride+7]
			*(*[4]float32)(d[0:4]) = [4]float32(s[0:4])
			*(*[2]float32)(d[4:6]) = [2]float32(s[4:6])
			d[6] = s[6]
		}
	}
}

// copyRows8to11 is copyRows for rows of 8 to 11 floats: two 16-byte moves,
// then the rest in 8- and 4-byte ones.
func copyRows8to11(dst []float32, dstride int, src []float32, sstride, n, cols int) {
	switch cols {
	case 8:
		for i := 0; i < n; i++ {
			d, s := dst[i*dstride:i*dstride+8], src[i*sstride:i*sstride+8]
			*(*[4]float32)(d[0:4]) = [4]float32(s[0:4])
			*(*[4]float32)(d[4:8]) = [4]float32(s[4:8])
		}
	case 9:
		for i := 0; i < n; i++ {
			d, s := dst[i*dstride:i*dstride+9], src[i*sstride:i*sstride+9]
			*(*[4]float32)(d[0:4]) = [4]float32(s[0:4])
			*(*[4]float32)(d[4:8]) = [4]float32(s[4:8])
			d[8] = s[8]
		}
	case 10:
		for i := 0; i < n; i++ {
			d, s := dst[i*dstride:i*dstride+10], src[i*sstride:i*sstride+10]
			*(*[4]float32)(d[0:4]) = [4]float32(s[0:4])
			*(*[4]float32)(d[4:8]) = [4]float32(s[4:8])
			*(*[2]float32)(d[8:10]) = [2]float32(s[8:10])
		}
	case 11:
		for i := 0; i < n; i++ {
			d, s := dst[i*dstride:i*dstride+11], src[i*sstride:i*sstride+11]
			*(*[4]float32)(d[0:4]) = [4]float32(s[0:4])
			*(*[4]float32)(d[4:8]) = [4]float32(s[4:8])
			*(*[2]float32)(d[8:10]) = [2]float32(s[8:10])
			d[10] = s[10]
		}
	}
}

// copyRows12to16 is copyRows for rows of 12 to 16 floats: three 16-byte
// moves, then the rest in 16-, 8- and 4-byte ones.
func copyRows12to16(dst []float32, dstride int, src []float32, sstride, n, cols int) {
	switch cols {
	case 12:
		for i := 0; i < n; i++ {
			d, s := dst[i*dstride:i*dstride+12], src[i*sstride:i*sstride+12]
			*(*[4]float32)(d[0:4]) = [4]float32(s[0:4])
			*(*[4]float32)(d[4:8]) = [4]float32(s[4:8])
			*(*[4]float32)(d[8:12]) = [4]float32(s[8:12])
		}
	case 13:
		for i := 0; i < n; i++ {
			d, s := dst[i*dstride:i*dstride+13], src[i*sstride:i*sstride+13]
			*(*[4]float32)(d[0:4]) = [4]float32(s[0:4])
			*(*[4]float32)(d[4:8]) = [4]float32(s[4:8])
			*(*[4]float32)(d[8:12]) = [4]float32(s[8:12])
			d[12] = s[12]
		}
	case 14:
		for i := 0; i < n; i++ {
			d, s := dst[i*dstride:i*dstride+14], src[i*sstride:i*sstride+14]
			*(*[4]float32)(d[0:4]) = [4]float32(s[0:4])
			*(*[4]float32)(d[4:8]) = [4]float32(s[4:8])
			*(*[4]float32)(d[8:12]) = [4]float32(s[8:12])
			*(*[2]float32)(d[12:14]) = [2]float32(s[12:14])
		}
	case 15:
		for i := 0; i < n; i++ {
			d, s := dst[i*dstride:i*dstride+15], src[i*sstride:i*sstride+15]
			*(*[4]float32)(d[0:4]) = [4]float32(s[0:4])
			*(*[4]float32)(d[4:8]) = [4]float32(s[4:8])
			*(*[4]float32)(d[8:12]) = [4]float32(s[8:12])
			*(*[2]float32)(d[12:14]) = [2]float32(s[12:14])
			d[14] = s[14]
		}
	case 16:
		for i := 0; i < n; i++ {
			d, s := dst[i*dstride:i*dstride+16], src[i*sstride:i*sstride+16]
			*(*[4]float32)(d[0:4]) = [4]float32(s[0:4])
			*(*[4]float32)(d[4:8]) = [4]float32(s[4:8])
			*(*[4]float32)(d[8:12]) = [4]float32(s[8:12])
			*(*[4]float32)(d[12:16]) = [4]float32(s[12:16])
		}
	}
}

func roundUp(n, w int) int { return (n + w - 1) / w * w }
