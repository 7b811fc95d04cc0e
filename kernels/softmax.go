package kernels

import (
	"fmt"
	"math"
)

// SoftmaxRows computes dst[r,:] = softmax(src[r,:]/tau) for the rows×cols
// row-major matrices src and dst (rows >= 0, cols >= 1, len(src) and
// len(dst) >= rows*cols; only the first rows*cols elements are touched).
// dst may be the same slice as src (in place); any other overlap is not
// allowed. If lse is not nil (len(lse) >= rows) it receives, per row,
// log Σ_j exp(src[r,j]/tau).
//
// Each row is computed as e_j = exp((src[r,j] - max_r)·(1/tau)) and
// e_j·(1/Σe) (see doc.go for the summation order and the measured error), so
// logits of any finite magnitude are safe: entries far below the row maximum
// (e.g. differences of 1e30) simply give 0. -Inf entries give exactly 0. A
// row holding NaN or +Inf, or with no finite entry, is an error wrapping
// ErrNonFinite that names the first such row; dst is then unspecified. tau
// must be finite, > 0 and not so small that 1/tau overflows (ErrTemperature).
// Short slices and bad shapes wrap ErrShape. Rows are split over ws's
// threads; the result does not depend on the thread count. With a reused ws
// (or a nil one) the steady state allocates nothing.
func SoftmaxRows(ws *Workspace, dst, src []float32, rows, cols int, tau float32, lse []float32) error {
	return softmaxRows(current(), ws, dst, src, rows, cols, tau, lse)
}

func softmaxRows(im *impl, ws *Workspace, dst, src []float32, rows, cols int, tau float32, lse []float32) error {
	const fn = "SoftmaxRows"
	if err := checkRows(fn, rows, cols); err != nil {
		return err
	}
	invTau := 1 / tau
	if !(tau > 0) || math.IsInf(float64(tau), 0) || math.IsInf(float64(invTau), 0) {
		return fmt.Errorf("kernels.%s: tau=%v must be finite and > 0 with 1/tau finite: %w", fn, tau, ErrTemperature)
	}
	if err := checkLen(fn, "src", len(src), rows, cols); err != nil {
		return err
	}
	if err := checkLen(fn, "dst", len(dst), rows, cols); err != nil {
		return err
	}
	if lse != nil && len(lse) < rows {
		return fmt.Errorf("kernels.%s: len(lse)=%d < rows=%d: %w", fn, len(lse), rows, ErrShape)
	}
	if rows == 0 {
		return nil
	}
	sc, done := scratchFor(ws)
	defer done(sc)
	t := &sc.task
	*t = rowTask{im: im, op: opSoftmax, dst: dst, src: src, lse: lse, rows: rows, cols: cols, tau: tau, invTau: invTau}
	if r := rowRun(ws, t, sc); r >= 0 {
		return softmaxRowError(fn, dst, src, r, cols)
	}
	return nil
}

// softmaxBlock computes the softmax of rows [a, b) of t.src into t.dst,
// checks the rows and fills t.lse.
func (t *rowTask) softmaxBlock(s *rowSlot, a, b int) {
	n, cols, p := b-a, t.cols, t.p
	stats := s.stats[:2*n]
	src, dst := t.src[a*cols:b*cols], t.dst[a*cols:b*cols]
	if p == cols {
		t.im.softmax(dst, src, stats, s.cdf, cols, t.invTau)
	} else {
		in := s.padded(n, cols, p, float32(math.Inf(-1)))
		copyRows(in, p, src, cols, n, cols)
		out := s.out[:n*p]
		t.im.softmax(out, in, stats, s.cdf, p, t.invTau)
		copyRows(dst, cols, out, p, n, cols)
	}
	// A good row has a maximum term of exactly 1, so its sum is in
	// [1, cols]; a row with NaN, +Inf or no finite entry sums to NaN.
	for i := 0; i < n; i++ {
		if !(stats[2*i+1] >= 1) {
			s.bad = a + i
			return
		}
	}
	if t.lse != nil {
		tau := float64(t.tau)
		for i := 0; i < n; i++ {
			t.lse[a+i] = float32(float64(stats[2*i])/tau + math.Log(float64(stats[2*i+1])))
		}
	}
}

// softmaxRowError describes why row r failed. When dst aliases src the row
// has been overwritten and only the kind of failure can be reported.
func softmaxRowError(fn string, dst, src []float32, r, cols int) error {
	row := src[r*cols : (r+1)*cols]
	if &dst[0] != &src[0] {
		for j, v := range row {
			if v != v || math.IsInf(float64(v), 1) {
				return fmt.Errorf("kernels.%s: row %d: src[%d,%d] = %v: %w", fn, r, r, j, v, ErrNonFinite)
			}
		}
		return fmt.Errorf("kernels.%s: row %d has no finite entry (all %d are -Inf): %w", fn, r, cols, ErrNonFinite)
	}
	return fmt.Errorf("kernels.%s: row %d holds NaN or +Inf, or has no finite entry (computed in place, the row is overwritten): %w",
		fn, r, ErrNonFinite)
}

// checkRows checks a rows×cols shape (rows >= 0, cols >= 1, rows*cols fits
// in an int).
func checkRows(fn string, rows, cols int) error {
	if rows < 0 || cols < 1 || (rows > 0 && cols > math.MaxInt/rows) {
		return fmt.Errorf("kernels.%s: rows=%d cols=%d: need rows >= 0, cols >= 1: %w", fn, rows, cols, ErrShape)
	}
	return nil
}

// checkLen checks that a slice holds a rows×cols matrix.
func checkLen(fn, name string, n, rows, cols int) error {
	if n < rows*cols {
		return fmt.Errorf("kernels.%s: len(%s)=%d < rows*cols=%d (rows=%d cols=%d): %w",
			fn, name, n, rows*cols, rows, cols, ErrShape)
	}
	return nil
}

// softmaxRowsGeneric is the Go twin of the softmax kernel: for each of the
// len(stats)/2 rows of cols floats,
//
//	m = max_j src[j]
//	e_j = expf32((src[j] - m) * invTau); dst[j] = e_j
//	acc[j%8] += e_j                     (in order of j, from 0)
//	s = ((acc0+acc4) + (acc2+acc6)) + ((acc1+acc5) + (acc3+acc7))
//	dst[j] = e_j * (1/s); stats = m, s
//
// the order of the 8-lane vector accumulator and its reduction tree in the
// assembly. Pads (-Inf) add exact zeros, so the twin needs no padding.
// scratch is unused.
func softmaxRowsGeneric(dst, src, stats, _ []float32, cols int, invTau float32) {
	rows := len(stats) / 2
	for r := 0; r < rows; r++ {
		s := src[r*cols : (r+1)*cols]
		d := dst[r*cols : (r+1)*cols]
		m := s[0]
		for _, v := range s[1:] {
			m = max(m, v)
		}
		var acc [8]float32
		for j, v := range s {
			e := expf32((v - m) * invTau)
			d[j] = e
			acc[j&7] += e
		}
		sum := ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
		inv := 1 / sum
		for j := range d {
			d[j] *= inv
		}
		stats[2*r], stats[2*r+1] = m, sum
	}
}
