package kernels

import (
	"fmt"
	"math"
)

// The canonical sampling order. For a row p[0..cols) and a uniform u in
// [0, 1), every implementation computes, in float32 with one rounding per
// operation and no multiply-add:
//
//	c_j   = c_{j-1} + p_j          (c_{-1} = 0, strictly in order of j)
//	total = c_{cols-1}
//	t     = u · total
//	idx   = the first j with c_j > t, or, if rounding leaves none, the last
//	        j with p_j > 0 (for u <= 1-2^-24, u·total rounds below total
//	        unless the total is subnormal, so this is a corner case)
//
// The additions are monotone (p_j >= 0), so c_j > t >= c_{j-1} implies
// p_j > 0: a zero-probability category can never be drawn. Padding with zero
// columns changes nothing. The assembly keeps one row per vector lane and
// performs exactly these additions, so asm and Go return identical indices
// for identical inputs.

// SampleRows draws, for each row r of the rows×cols row-major matrix p of
// non-negative, not necessarily normalised probabilities, the category
// idx[r] by inverse CDF with the uniform u[r] in [0, 1) (see the canonical
// order above). len(p) >= rows*cols, len(u) >= rows and len(idx) >= rows
// (ErrShape). A row with a negative or NaN entry, an infinite or zero total,
// or a uniform outside [0, 1) is an error (ErrArgument, or ErrNonFinite for
// NaN/Inf) naming the first such row; idx is then unspecified. Rows are split
// over ws's threads; the result does not depend on the thread count. With a
// reused ws (or a nil one) the steady state allocates nothing.
func SampleRows(ws *Workspace, idx []int32, p []float32, rows, cols int, u []float32) error {
	return sampleRows(current(), ws, idx, p, rows, cols, u)
}

func sampleRows(im *impl, ws *Workspace, idx []int32, p []float32, rows, cols int, u []float32) error {
	const fn = "SampleRows"
	if err := checkSampleArgs(fn, "p", len(idx), len(p), len(u), rows, cols); err != nil {
		return err
	}
	if rows == 0 {
		return nil
	}
	sc, done := scratchFor(ws)
	defer done(sc)
	t := &sc.task
	*t = rowTask{im: im, op: opSample, src: p, idx: idx, u: u, rows: rows, cols: cols}
	if r := rowRun(ws, t, sc); r >= 0 {
		return sampleRowError(fn, "p", p, u, r, cols)
	}
	return nil
}

// SoftmaxSampleRows is SoftmaxRows (tau = 1, no lse) followed by SampleRows
// on its output, in one pass over the data: pi[r,:] = softmax(logits[r,:])
// and idx[r] ~ Cat(pi[r,:]) drawn with u[r] in [0, 1). The indices are those
// SampleRows(pi, u) returns. pi may be the same slice as logits. Shapes and
// errors are those of SoftmaxRows and SampleRows (a bad logits row wraps
// ErrNonFinite, a bad uniform ErrArgument). With a reused ws (or a nil one)
// the steady state allocates nothing.
func SoftmaxSampleRows(ws *Workspace, pi []float32, idx []int32, logits []float32, rows, cols int, u []float32) error {
	return softmaxSampleRows(current(), ws, pi, idx, logits, rows, cols, u)
}

func softmaxSampleRows(im *impl, ws *Workspace, pi []float32, idx []int32, logits []float32, rows, cols int, u []float32) error {
	const fn = "SoftmaxSampleRows"
	if err := checkSampleArgs(fn, "logits", len(idx), len(logits), len(u), rows, cols); err != nil {
		return err
	}
	if err := checkLen(fn, "pi", len(pi), rows, cols); err != nil {
		return err
	}
	if rows == 0 {
		return nil
	}
	sc, done := scratchFor(ws)
	defer done(sc)
	t := &sc.task
	*t = rowTask{im: im, op: opSoftmaxSample, dst: pi, src: logits, idx: idx, u: u, rows: rows, cols: cols,
		tau: 1, invTau: 1}
	if r := rowRun(ws, t, sc); r >= 0 {
		// Rows before r passed the softmax check, but a block whose
		// softmax failed was not sampled, so a bad uniform may precede r.
		for i, v := range u[:r+1] {
			if !(v >= 0 && v < 1) {
				return fmt.Errorf("kernels.%s: u[%d] = %v is outside [0, 1): %w", fn, i, v, ErrArgument)
			}
		}
		return softmaxRowError(fn, pi, logits, r, cols)
	}
	return nil
}

func checkSampleArgs(fn, pname string, nidx, np, nu, rows, cols int) error {
	if err := checkRows(fn, rows, cols); err != nil {
		return err
	}
	if err := checkLen(fn, pname, np, rows, cols); err != nil {
		return err
	}
	if nu < rows || nidx < rows {
		return fmt.Errorf("kernels.%s: len(u)=%d len(idx)=%d, need rows=%d: %w", fn, nu, nidx, rows, ErrShape)
	}
	return nil
}

// sampleBlock draws rows [a, b) of t.src (stride cols) into t.idx: whole
// groups of w rows in place when cols needs no padding, the rest (or
// everything) through a padded block completed to w rows.
func (t *rowTask) sampleBlock(s *rowSlot, a, b int) {
	n, cols, p, w := b-a, t.cols, t.p, t.im.w
	prob, u, idx := t.src, t.u[a:b], t.idx[a:b]
	switch {
	case p == cols:
		m := n / w * w
		if m > 0 {
			t.im.sample(idx[:m], prob[a*cols:(a+m)*cols], u[:m], s.cdf, cols)
		}
		if m < n {
			// The last rows of the block, completed to w rows. They go
			// to out, which is free here: in keeps its pads.
			in := s.out[:w*p]
			copyRows(in, p, prob[(a+m)*cols:b*cols], cols, n-m, cols)
			t.samplePadded(s, in, u[m:], idx[m:])
		}
	default:
		nn := roundUp(n, w)
		in := s.padded(nn, cols, p, 0)
		copyRows(in, p, prob[a*cols:b*cols], cols, n, cols)
		t.samplePadded(s, in, u, idx)
	}
	for i, k := range idx {
		if k < 0 {
			if k == sampleFallback {
				idx[i] = lastPositive(prob[(a+i)*cols : (a+i+1)*cols])
				continue
			}
			s.bad = a + i
			return
		}
	}
}

// sampleFallback is what a sampling kernel returns for a row where rounding
// leaves no j with c_j > t; the driver then takes the last positive
// category (rare, so it is left to Go).
const sampleFallback = -2

// lastPositive returns the last j with row[j] > 0 (the row is valid, so
// there is one).
func lastPositive(row []float32) int32 {
	for j := len(row) - 1; j > 0; j-- {
		if row[j] > 0 {
			return int32(j)
		}
	}
	return 0
}

// softmaxSampleBlock runs the fused kernel on rows [a, b): the whole
// groups of w rows in place when cols needs no padding, the rest (or
// everything) through the padded block, completed to w rows.
func (t *rowTask) softmaxSampleBlock(s *rowSlot, a, b int) {
	n, cols, p, w := b-a, t.cols, t.p, t.im.w
	stats := s.stats[:2*n]
	m := 0
	if p == cols {
		m = n / w * w
		if m > 0 {
			t.im.softmaxSample(t.dst[a*cols:(a+m)*cols], t.src[a*cols:(a+m)*cols], stats[:2*m], s.cdf,
				t.idx[a:a+m], t.u[a:a+m], cols)
		}
	}
	if m < n {
		k := n - m
		nn := roundUp(k, w)
		in := s.padded(nn, cols, p, float32(math.Inf(-1)))
		copyRows(in, p, t.src[(a+m)*cols:b*cols], cols, k, cols)
		out, uu, ii := s.out[:nn*p], s.u[:nn], s.idx[:nn]
		copy(uu, t.u[a+m:b])
		t.im.softmaxSample(out, in, s.stats[2*m:2*(m+nn)], s.cdf, ii, uu, p)
		copyRows(t.dst[(a+m)*cols:], cols, out, p, k, cols)
		copy(t.idx[a+m:b], ii[:k])
	}
	for i := 0; i < n; i++ {
		if !(stats[2*i+1] >= 1) {
			s.bad = a + i
			return
		}
	}
	idx := t.idx[a:b]
	for i, k := range idx {
		if k < 0 {
			if k == sampleFallback {
				idx[i] = lastPositive(t.dst[(a+i)*cols : (a+i+1)*cols])
				continue
			}
			s.bad = a + i // a bad uniform
			return
		}
	}
}

// softmaxSampleGeneric is the Go twin of the fused kernel: the two twins in
// sequence.
func softmaxSampleGeneric(dst, src, stats, scratch []float32, idx []int32, u []float32, cols int) {
	softmaxRowsGeneric(dst, src, stats, scratch, cols, 1)
	sampleRowsGeneric(idx, dst, u, scratch, cols)
}

// samplePadded samples the len(in)/t.p rows of in (a multiple of w, at least
// len(idx)) and copies the first len(idx) indices out. The extra rows hold
// stale data; their results are dropped.
func (t *rowTask) samplePadded(s *rowSlot, in, u []float32, idx []int32) {
	nn := len(in) / t.p
	uu, ii := s.u[:nn], s.idx[:nn]
	copy(uu, u)
	t.im.sample(ii, in, uu, s.cdf, t.p)
	copy(idx, ii[:len(idx)])
}

// sampleRowError describes why row r of a sampling call failed.
func sampleRowError(fn, pname string, p, u []float32, r, cols int) error {
	if v := u[r]; !(v >= 0 && v < 1) {
		return fmt.Errorf("kernels.%s: u[%d] = %v is outside [0, 1): %w", fn, r, v, ErrArgument)
	}
	row := p[r*cols : (r+1)*cols]
	for j, v := range row {
		if v != v {
			return fmt.Errorf("kernels.%s: %s[%d,%d] = NaN: %w", fn, pname, r, j, ErrNonFinite)
		}
		if v < 0 {
			return fmt.Errorf("kernels.%s: %s[%d,%d] = %v is negative: %w", fn, pname, r, j, v, ErrArgument)
		}
	}
	var total float32
	for _, v := range row {
		total += v
	}
	if math.IsInf(float64(total), 1) {
		return fmt.Errorf("kernels.%s: row %d of %s sums to +Inf: %w", fn, r, pname, ErrNonFinite)
	}
	return fmt.Errorf("kernels.%s: row %d of %s has no positive entry: %w", fn, r, pname, ErrArgument)
}

// sampleRowsGeneric is the Go twin of the sampling kernel: for the len(idx)
// rows of cols floats of p, the first j with c_j > t in the canonical order
// above, sampleFallback (-2) if there is none, and -1 for a row with a
// negative or NaN entry, a total that is not finite and > 0, or a uniform
// outside [0, 1). cdf is unused (the assembly keeps the partial sums there).
func sampleRowsGeneric(idx []int32, p, u, _ []float32, cols int) {
	inf := float32(math.Inf(1))
	for r := range idx {
		row := p[r*cols : (r+1)*cols]
		ur := u[r]
		bad := !(ur >= 0) || !(ur < 1)
		var c float32
		for _, v := range row {
			bad = bad || !(v >= 0)
			c += v
		}
		if bad || !(c > 0) || !(c < inf) {
			idx[r] = -1
			continue
		}
		t := ur * c
		k := int32(sampleFallback)
		c = 0
		for j, v := range row {
			c += v
			if c > t {
				k = int32(j)
				break
			}
		}
		idx[r] = k
	}
}

// GumbelMaxRows sets idx[r] = argmax_j (logits[r,j] + g[r,j]) for the
// rows×cols row-major matrices logits and g (the first maximum wins; the sum
// is rounded to float32). len(logits), len(g) >= rows*cols and len(idx) >=
// rows (ErrShape). A row where some sum is NaN or +Inf, or where every sum is
// -Inf, is an error wrapping ErrNonFinite naming the first such row.
func GumbelMaxRows(idx []int32, logits, g []float32, rows, cols int) error {
	const fn = "GumbelMaxRows"
	if err := checkRows(fn, rows, cols); err != nil {
		return err
	}
	if err := checkLen(fn, "logits", len(logits), rows, cols); err != nil {
		return err
	}
	if err := checkLen(fn, "g", len(g), rows, cols); err != nil {
		return err
	}
	if len(idx) < rows {
		return fmt.Errorf("kernels.%s: len(idx)=%d < rows=%d: %w", fn, len(idx), rows, ErrShape)
	}
	inf := float32(math.Inf(1))
	for r := 0; r < rows; r++ {
		lr := logits[r*cols : (r+1)*cols]
		gr := g[r*cols : (r+1)*cols]
		gr = gr[:len(lr)]
		best, bi := float32(math.Inf(-1)), int32(-1)
		ok := true
		for j, v := range lr {
			s := v + gr[j]
			if s > best {
				best, bi = s, int32(j)
			}
			// NaN fails both comparisons; +Inf fails the second.
			ok = ok && s == s && s < inf
		}
		if !ok || bi < 0 {
			return fmt.Errorf("kernels.%s: row %d: logits+g holds NaN or +Inf, or no entry above -Inf: %w",
				fn, r, ErrNonFinite)
		}
		idx[r] = bi
	}
	return nil
}
