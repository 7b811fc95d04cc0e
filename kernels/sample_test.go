package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// sampleOracle is the canonical order of sample.go computed independently in
// float64 for integer-valued probabilities small enough that every partial
// sum is exact in float32 (so it must agree with every path exactly).
func sampleOracle(row []float32, u float32) int32 {
	var total float64
	last := int32(0)
	for j, v := range row {
		total += float64(v)
		if v > 0 {
			last = int32(j)
		}
	}
	t := float64(float32(float64(u) * total))
	var c float64
	for j, v := range row {
		c += float64(v)
		if c > t {
			return int32(j)
		}
	}
	return last
}

// sampleRowsFor makes rows×cols probability rows: random, with zeros at the
// start and end, one-hot, tiny and huge values, and integer rows.
func sampleRowsFor(rng *rand.Rand, rows, cols int) []float32 {
	p := make([]float32, rows*cols)
	for r := 0; r < rows; r++ {
		row := p[r*cols : (r+1)*cols]
		switch r % 6 {
		case 0:
			for j := range row {
				row[j] = rng.Float32()
			}
		case 1: // zeros at the start and at the end
			for j := range row {
				if j >= cols/3 && j < cols-cols/3 {
					row[j] = rng.Float32() + 0.01
				}
			}
			if cols < 3 {
				row[cols-1] = 1
			}
		case 2: // one-hot
			row[rng.IntN(cols)] = 1
		case 3: // sparse with scattered zeros
			for j := range row {
				if rng.IntN(3) == 0 {
					row[j] = rng.Float32() * 1e-3
				}
			}
			row[rng.IntN(cols)] = 1e-30
		case 4: // unnormalised, large
			for j := range row {
				row[j] = rng.Float32() * 1e30
			}
		case 5: // small integers (exact sums)
			for j := range row {
				row[j] = float32(rng.IntN(4))
			}
			row[rng.IntN(cols)] = 1
		}
	}
	return p
}

// sampleUniforms makes one uniform per row, including 0, the largest float32
// below 1, and values placed exactly on CDF boundaries.
func sampleUniforms(rng *rand.Rand, p []float32, rows, cols int) []float32 {
	u := make([]float32, rows)
	Uniforms(rng, u)
	for r := range u {
		switch r % 7 {
		case 0:
			u[r] = 0
		case 1:
			u[r] = math.Nextafter32(1, 0)
		case 2:
			// A boundary u·total = c_j exactly: total a power of two.
			row := p[r*cols : (r+1)*cols]
			var c, total float32
			for _, v := range row {
				total += v
			}
			k := rng.IntN(cols)
			for j := 0; j <= k; j++ {
				c += row[j]
			}
			if e := math.Log2(float64(total)); e == math.Trunc(e) && c < total {
				u[r] = c / total
			}
		}
	}
	return u
}

// TestSampleRows checks every path against the Go twin (identical indices),
// against the exact oracle on integer rows, with guard bands and unaligned
// offsets.
func TestSampleRows(t *testing.T) {
	rowImpls(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(51, 52))
		ws := NewWorkspace(1)
		defer ws.Close()
		for ci, cols := range softmaxCols() {
			for _, rows := range []int{1, 7, 8, 9, 61} {
				off := (ci + rows) % 8
				p := sampleRowsFor(rng, rows, cols)
				u := sampleUniforms(rng, p, rows, cols)
				pbuf, pv := guardedRows(rows*cols, off)
				copy(pv, p)
				ubuf, uv := guardedRows(rows, (off+1)%8)
				copy(uv, u)
				ibuf := make([]int32, rows+off+5)
				for i := range ibuf {
					ibuf[i] = -7
				}
				idx := ibuf[off : off+rows : off+rows]
				what := fmt.Sprintf("%s cols=%d rows=%d off=%d", im.name, cols, rows, off)
				require.NoError(t, sampleRows(im, ws, idx, pv, rows, cols, uv), what)
				requireGuards(t, pbuf, off, rows*cols, what+" p")
				requireGuards(t, ubuf, (off+1)%8, rows, what+" u")
				require.Equal(t, p, pv, what+": p modified")
				for i, v := range ibuf {
					if (i < off || i >= off+rows) && v != -7 {
						t.Fatalf("%s: idx guard %d overwritten with %d", what, i, v)
					}
				}
				twin := make([]int32, rows)
				require.NoError(t, sampleRows(genericImpl, nil, twin, p, rows, cols, u))
				require.Equal(t, twin, idx, what+": asm and twin differ")
				for r := 0; r < rows; r++ {
					row := p[r*cols : (r+1)*cols]
					k := idx[r]
					require.True(t, k >= 0 && int(k) < cols, "%s row %d: idx %d", what, r, k)
					require.Greater(t, row[k], float32(0), "%s row %d: zero-probability category %d drawn", what, r, k)
					if r%6 == 5 || r%6 == 2 {
						require.Equal(t, sampleOracle(row, u[r]), k, "%s row %d u=%v", what, r, u[r])
					}
				}
			}
		}
	})
}

// TestSampleRowsEdges covers cols = 1, one-hot rows, u = 0 and u just below
// 1 at the row's ends, and uniforms on every CDF boundary of a row.
func TestSampleRowsEdges(t *testing.T) {
	rowImpls(t, func(t *testing.T, im *impl) {
		one := math.Nextafter32(1, 0)
		// cols = 1.
		idx := make([]int32, 9)
		require.NoError(t, sampleRows(im, nil, idx, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}, 9, 1,
			[]float32{0, one, 0.5, 0, one, 0.5, 0, one, 0.5}))
		require.Equal(t, make([]int32, 9), idx)
		// Zeros at both ends: u = 0 draws the first positive category,
		// u just below 1 the last one.
		for _, cols := range []int{5, 8, 13} {
			rows := 2
			p := make([]float32, rows*cols)
			for r := 0; r < rows; r++ {
				p[r*cols+1], p[r*cols+cols-2] = 0.5, 0.25
			}
			idx := make([]int32, rows)
			require.NoError(t, sampleRows(im, nil, idx, p, rows, cols, []float32{0, one}))
			require.Equal(t, []int32{1, int32(cols - 2)}, idx, "cols=%d", cols)
		}
		// Every boundary of p = (1, 0, 2, 0, 0, 1)/4: u·total = c_j exactly
		// gives the next positive category (strict comparison).
		p := []float32{1, 0, 2, 0, 0, 1}
		us := []float32{0, 0.25 - 1e-7, 0.25, 0.5, 0.75 - 1e-7, 0.75, one}
		want := []int32{0, 0, 2, 2, 2, 5, 5}
		rows := len(us)
		pp := make([]float32, 0, rows*len(p))
		for range rows {
			pp = append(pp, p...)
		}
		idx = make([]int32, rows)
		require.NoError(t, sampleRows(im, nil, idx, pp, rows, len(p), us))
		require.Equal(t, want, idx)
		// A subnormal total: u·total rounds to the total, no partial sum
		// exceeds it, and the last positive category is taken.
		tiny := math.Float32frombits(1) // 2^-149
		for _, cols := range []int{4, 8, 11} {
			rows := 9
			p := make([]float32, rows*cols)
			u := make([]float32, rows)
			for r := 0; r < rows; r++ {
				p[r*cols], p[r*cols+2] = tiny, tiny
				u[r] = one
			}
			raw := make([]int32, rows)
			sampleRowsGeneric(raw, p, u, nil, cols)
			require.Equal(t, int32(sampleFallback), raw[0], "twin: fallback expected")
			idx := make([]int32, rows)
			require.NoError(t, sampleRows(im, nil, idx, p, rows, cols, u))
			for r := range idx {
				require.Equal(t, int32(2), idx[r], "cols=%d row %d", cols, r)
			}
		}
		// One-hot rows always give their hot index.
		for _, cols := range []int{1, 3, 8, 9, 64} {
			rows := 3 * cols
			p := make([]float32, rows*cols)
			u := make([]float32, rows)
			for r := 0; r < rows; r++ {
				p[r*cols+r%cols] = 1
				u[r] = []float32{0, 0.5, one}[r%3]
			}
			idx := make([]int32, rows)
			require.NoError(t, sampleRows(im, nil, idx, p, rows, cols, u))
			for r := range idx {
				require.Equal(t, int32(r%cols), idx[r], "cols=%d row %d", cols, r)
			}
		}
	})
}

// TestSampleChiSquare draws 1e6 times from a fixed distribution with a fixed
// seed and requires the chi-square statistic below the 1e-4 critical value
// (deterministic, so it cannot flake; an off-by-one or a biased scan makes it
// explode). The zero-probability category must never be drawn.
func TestSampleChiSquare(t *testing.T) {
	rowImpls(t, func(t *testing.T, im *impl) {
		p := []float32{0.05, 0.2, 0, 0.1, 0.15, 0.3, 0.01, 0.09, 0.07, 0.03}
		cols := len(p)
		rows := 1000
		mat := make([]float32, rows*cols)
		for r := 0; r < rows; r++ {
			copy(mat[r*cols:], p)
		}
		rng := rand.New(rand.NewPCG(61, 62))
		u := make([]float32, rows)
		idx := make([]int32, rows)
		counts := make([]float64, cols)
		n := 1000000
		if testing.Short() {
			n = 200000
		}
		ws := NewWorkspace(2)
		defer ws.Close()
		for range n / rows {
			Uniforms(rng, u)
			require.NoError(t, sampleRows(im, ws, idx, mat, rows, cols, u))
			for _, k := range idx {
				counts[k]++
			}
		}
		require.Zero(t, counts[2], "zero-probability category drawn")
		var chi2 float64
		for j, q := range p {
			if q > 0 {
				e := float64(n) * float64(q)
				chi2 += (counts[j] - e) * (counts[j] - e) / e
			}
		}
		// 8 degrees of freedom: P(chi2 > 31.83) = 1e-4.
		t.Logf("%s: chi-square %.2f with 8 degrees of freedom", im.name, chi2)
		require.Less(t, chi2, 31.83)
	})
}

// TestSampleThreads requires identical indices for 1, 2, 3 and 8 workers.
func TestSampleThreads(t *testing.T) {
	rowImpls(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(71, 72))
		for _, cols := range []int{3, 8, 64} {
			rows := 5003
			p := sampleRowsFor(rng, rows, cols)
			u := sampleUniforms(rng, p, rows, cols)
			logits := softmaxRowsFor(rng, rows, cols)
			var want, wantF []int32
			var wantPi []float32
			for _, th := range []int{1, 2, 3, 8} {
				ws := NewWorkspace(th)
				idx := make([]int32, rows)
				require.NoError(t, sampleRows(im, ws, idx, p, rows, cols, u))
				idxF := make([]int32, rows)
				pi := make([]float32, rows*cols)
				require.NoError(t, softmaxSampleRows(im, ws, pi, idxF, logits, rows, cols, u))
				ws.Close()
				if want == nil {
					want, wantF, wantPi = idx, idxF, pi
					continue
				}
				require.Equal(t, want, idx, "cols=%d threads=%d", cols, th)
				require.Equal(t, wantF, idxF, "fused: cols=%d threads=%d", cols, th)
				require.Equal(t, wantPi, pi, "fused pi: cols=%d threads=%d", cols, th)
			}
		}
	})
}

// TestSoftmaxSampleRows checks that the fused call equals SoftmaxRows then
// SampleRows bit for bit, for every path, and matches the Go twin.
func TestSoftmaxSampleRows(t *testing.T) {
	rowImpls(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(81, 82))
		ws := NewWorkspace(1)
		defer ws.Close()
		for ci, cols := range softmaxCols() {
			for _, rows := range []int{1, 8, 13, 100} {
				logits := softmaxRowsFor(rng, rows, cols)
				u := make([]float32, rows)
				Uniforms(rng, u)
				u[0] = math.Nextafter32(1, 0)
				off := (ci + rows) % 8
				buf, pi := guardedRows(rows*cols, off)
				idx := make([]int32, rows)
				what := fmt.Sprintf("%s cols=%d rows=%d", im.name, cols, rows)
				inPlace := ci%4 == 0
				src := logits
				if inPlace {
					copy(pi, logits)
					src = pi
				}
				require.NoError(t, softmaxSampleRows(im, ws, pi, idx, src, rows, cols, u), what)
				requireGuards(t, buf, off, rows*cols, what)
				pi2 := make([]float32, rows*cols)
				require.NoError(t, softmaxRows(im, nil, pi2, logits, rows, cols, 1, nil))
				require.Equal(t, pi2, []float32(pi), what+": pi")
				idx2 := make([]int32, rows)
				require.NoError(t, sampleRows(im, nil, idx2, pi2, rows, cols, u))
				require.Equal(t, idx2, idx, what+": idx")
				twinPi := make([]float32, rows*cols)
				twinIdx := make([]int32, rows)
				require.NoError(t, softmaxSampleRows(genericImpl, nil, twinPi, twinIdx, logits, rows, cols, u))
				require.Equal(t, twinIdx, idx, what+": twin idx")
				for i := range twinPi {
					require.LessOrEqual(t, ulpDiff(twinPi[i], pi[i]), int64(2), what)
				}
			}
		}
	})
}

// TestSampleErrors checks the argument errors and the per-row errors.
func TestSampleErrors(t *testing.T) {
	rowImpls(t, func(t *testing.T, im *impl) {
		nan, inf := float32(math.NaN()), float32(math.Inf(1))
		for _, c := range []struct{ idx, p, u, rows, cols int }{
			{1, 3, 2, 2, 2}, {2, 4, 1, 2, 2}, {1, 4, 2, 2, 2}, {2, 4, 2, -1, 2}, {2, 4, 2, 2, 0},
		} {
			idx := make([]int32, c.idx)
			for i := range idx {
				idx[i] = 99
			}
			err := sampleRows(im, nil, idx, make([]float32, c.p), c.rows, c.cols, make([]float32, c.u))
			require.ErrorIs(t, err, ErrShape, "%+v", c)
			require.Contains(t, err.Error(), "SampleRows")
			for _, v := range idx {
				require.Equal(t, int32(99), v, "idx written before the shape check")
			}
			err = softmaxSampleRows(im, nil, make([]float32, c.p), idx, make([]float32, c.p), c.rows, c.cols,
				make([]float32, c.u))
			require.ErrorIs(t, err, ErrShape, "fused %+v", c)
		}
		for _, cols := range []int{1, 6, 8, 17} {
			rows := 21
			for _, bad := range []struct {
				p, u     float32
				pos      int
				sentinel error
				msg      string
			}{
				{nan, 0.5, 0, ErrNonFinite, "NaN"},
				{-1, 0.5, cols - 1, ErrArgument, "negative"},
				{inf, 0.5, 0, ErrNonFinite, "+Inf"},
				{0, 0.5, -1, ErrArgument, "no positive"},
				{1, 1, 0, ErrArgument, "outside [0, 1)"},
				{1, -0.25, 0, ErrArgument, "outside [0, 1)"},
				{1, nan, 0, ErrArgument, "outside [0, 1)"},
			} {
				p := make([]float32, rows*cols)
				u := make([]float32, rows)
				for i := range p {
					p[i] = 1
				}
				for i := range u {
					u[i] = 0.5
				}
				row := 17
				if bad.pos < 0 {
					for j := range cols {
						p[row*cols+j] = 0
					}
				} else {
					p[row*cols+bad.pos] = bad.p
				}
				u[row] = bad.u
				err := sampleRows(im, nil, make([]int32, rows), p, rows, cols, u)
				what := fmt.Sprintf("cols=%d p=%v u=%v", cols, bad.p, bad.u)
				require.ErrorIs(t, err, bad.sentinel, what)
				require.Contains(t, err.Error(), "17", what)
				require.Contains(t, err.Error(), bad.msg, what)
			}
			// Finite entries whose sum overflows.
			p := make([]float32, rows*cols)
			for i := range p {
				p[i] = 3e38
			}
			if cols > 1 {
				err := sampleRows(im, nil, make([]int32, rows), p, rows, cols, make([]float32, rows))
				require.ErrorIs(t, err, ErrNonFinite)
				require.Contains(t, err.Error(), "row 0")
			}
			// The fused call reports a bad uniform and a bad logits row.
			logits := make([]float32, rows*cols)
			u := make([]float32, rows)
			u[5] = 1
			err := softmaxSampleRows(im, nil, make([]float32, rows*cols), make([]int32, rows), logits, rows, cols, u)
			require.ErrorIs(t, err, ErrArgument)
			require.Contains(t, err.Error(), "u[5]")
			u[5] = 0
			logits[9*cols] = nan
			err = softmaxSampleRows(im, nil, make([]float32, rows*cols), make([]int32, rows), logits, rows, cols, u)
			require.ErrorIs(t, err, ErrNonFinite)
			require.Contains(t, err.Error(), "row 9")
		}
	})
}

// TestGumbelMaxRows checks the argmax (first maximum) and the errors.
func TestGumbelMaxRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(91, 92))
	for _, cols := range []int{1, 2, 8, 33} {
		rows := 50
		logits := make([]float32, rows*cols)
		g := make([]float32, rows*cols)
		for i := range logits {
			logits[i] = float32(rng.NormFloat64())
		}
		Gumbels(rng, g)
		if cols > 1 {
			logits[3*cols] = float32(math.Inf(-1))
		}
		idx := make([]int32, rows)
		require.NoError(t, GumbelMaxRows(idx, logits, g, rows, cols))
		for r := 0; r < rows; r++ {
			best := int32(-1)
			var bv float32
			for j := 0; j < cols; j++ {
				if v := logits[r*cols+j] + g[r*cols+j]; best < 0 || v > bv {
					best, bv = int32(j), v
				}
			}
			require.Equal(t, best, idx[r], "cols=%d row %d", cols, r)
		}
	}
	// Ties: the first maximum wins.
	idx := make([]int32, 1)
	require.NoError(t, GumbelMaxRows(idx, []float32{1, 3, 2, 3}, []float32{0, 0, 1, 0}, 1, 4))
	require.Equal(t, int32(1), idx[0])
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	for _, bad := range [][]float32{{0, nan}, {inf, 0}, {-inf, -inf}} {
		err := GumbelMaxRows(make([]int32, 2), []float32{0, 1, bad[0], bad[1]}, make([]float32, 4), 2, 2)
		require.ErrorIs(t, err, ErrNonFinite, "%v", bad)
		require.Contains(t, err.Error(), "row 1")
	}
	require.ErrorIs(t, GumbelMaxRows(make([]int32, 1), make([]float32, 4), make([]float32, 3), 2, 2), ErrShape)
	require.ErrorIs(t, GumbelMaxRows(make([]int32, 1), make([]float32, 4), make([]float32, 4), 2, 2), ErrShape)
	require.ErrorIs(t, GumbelMaxRows(nil, nil, nil, 1, 0), ErrShape)
}

// TestSampleAllocs requires zero allocations per call in steady state.
func TestSampleAllocs(t *testing.T) {
	// Not parallel: AllocsPerRun counts the allocations of the whole process.
	for _, im := range impls {
		for _, cols := range []int{5, 8, 64} {
			rows := 3001
			rng := rand.New(rand.NewPCG(3, uint64(cols)))
			p := sampleRowsFor(rng, rows, cols)
			u := make([]float32, rows)
			Uniforms(rng, u)
			idx := make([]int32, rows)
			pi := make([]float32, rows*cols)
			for _, ws := range rowAllocWorkspaces() {
				a := testing.AllocsPerRun(20, func() {
					if err := sampleRows(im, ws, idx, p, rows, cols, u); err != nil {
						panic(err)
					}
					if err := softmaxSampleRows(im, ws, pi, idx, p, rows, cols, u); err != nil {
						panic(err)
					}
				})
				require.Zero(t, a, "%s cols=%d threads=%d nil=%v", im.name, cols, ws.Threads(), ws == nil)
				ws.Close()
			}
		}
		g := make([]float32, 800)
		idx := make([]int32, 100)
		require.Zero(t, testing.AllocsPerRun(20, func() {
			if err := GumbelMaxRows(idx, g, g, 100, 8); err != nil {
				panic(err)
			}
		}))
	}
}

// ExampleSampleRows draws one category per row by inverse CDF: u = 0.6 falls
// in the third category of (0.2, 0.3, 0.5) (cumulative 0.2, 0.5, 1.0); the
// zero-probability category of the second row can never be drawn.
func ExampleSampleRows() {
	p := []float32{
		0.2, 0.3, 0.5,
		0, 2, 2, // unnormalised is fine
	}
	idx := make([]int32, 2)
	if err := SampleRows(nil, idx, p, 2, 3, []float32{0.6, 0}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(idx)
	// Output: [2 1]
}

// TestRowScratchReuse runs a sequence of calls of different kinds and shapes
// through one workspace (and through the pooled scratch of a nil one) and
// requires each to equal the same call on a fresh workspace: padded blocks
// must never leak stale pads or rows from one call into the next.
func TestRowScratchReuse(t *testing.T) {
	rowImpls(t, func(t *testing.T, im *impl) {
		rng := rand.New(rand.NewPCG(101, 102))
		shared := NewWorkspace(1)
		defer shared.Close()
		shapes := [][2]int{{13, 5}, {13, 8}, {13, 5}, {3, 16}, {9, 10}, {13, 5}, {17, 8}, {9, 10}, {5, 3}, {13, 5}}
		for step := range 3 * len(shapes) {
			rows, cols := shapes[step%len(shapes)][0], shapes[step%len(shapes)][1]
			logits := softmaxRowsFor(rng, rows, cols)
			p := sampleRowsFor(rng, rows, cols)
			for i := range p {
				if i%cols == cols-1 {
					p[i] = 0 // a zero last column: a stale pad would show
				}
			}
			for r := 0; r < rows; r++ {
				p[r*cols] = 0.5
			}
			u := make([]float32, rows)
			Uniforms(rng, u)
			for _, ws := range []*Workspace{shared, nil} {
				kind := step % 3
				got, want := make([]float32, rows*cols), make([]float32, rows*cols)
				gi, wi := make([]int32, rows), make([]int32, rows)
				fresh := NewWorkspace(1)
				switch kind {
				case 0:
					require.NoError(t, softmaxRows(im, ws, got, logits, rows, cols, 0.8, nil))
					require.NoError(t, softmaxRows(im, fresh, want, logits, rows, cols, 0.8, nil))
				case 1:
					require.NoError(t, sampleRows(im, ws, gi, p, rows, cols, u))
					require.NoError(t, sampleRows(im, fresh, wi, p, rows, cols, u))
				case 2:
					require.NoError(t, softmaxSampleRows(im, ws, got, gi, logits, rows, cols, u))
					require.NoError(t, softmaxSampleRows(im, fresh, want, wi, logits, rows, cols, u))
				}
				fresh.Close()
				require.Equal(t, want, got, "step %d kind %d rows=%d cols=%d", step, kind, rows, cols)
				require.Equal(t, wi, gi, "step %d kind %d rows=%d cols=%d", step, kind, rows, cols)
			}
		}
	})
}

// TestSoftmaxSampleBoundaries puts the uniforms exactly on the CDF of the
// fused call: equal logits over a power-of-two number of categories give
// p = 1/C exactly, the partial sums are (j+1)/C exactly, and u = k/C must
// draw k (the comparison is strict), in whole groups and in the tail.
func TestSoftmaxSampleBoundaries(t *testing.T) {
	rowImpls(t, func(t *testing.T, im *impl) {
		for _, cols := range []int{2, 4, 8, 16, 32, 64} {
			rows := 8*cols + 3
			logits := make([]float32, rows*cols)
			u := make([]float32, rows)
			for r := 0; r < rows; r++ {
				for j := 0; j < cols; j++ {
					logits[r*cols+j] = float32(r%5) - 2
				}
				u[r] = float32(r%cols) / float32(cols)
			}
			pi := make([]float32, rows*cols)
			idx := make([]int32, rows)
			require.NoError(t, softmaxSampleRows(im, nil, pi, idx, logits, rows, cols, u))
			for r := range idx {
				require.Equal(t, int32(r%cols), idx[r], "cols=%d row %d", cols, r)
				require.Equal(t, 1/float32(cols), pi[r*cols], "cols=%d row %d", cols, r)
			}
		}
	})
}
