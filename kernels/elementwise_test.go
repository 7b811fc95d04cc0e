package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func randSlice(rng *rand.Rand, n int, scale float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * scale)
	}
	return x
}

// TestElementwiseBasics checks Axpy, Scale, AddBias, SumRows, Relu and
// ReluBackward against float64 references (one rounding per operation, so
// they must agree to the float32 rounding of the reference).
func TestElementwiseBasics(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 8, 9, 100, 1001} {
		x, y := randSlice(rng, n, 1), randSlice(rng, n+3, 1)
		y0 := append([]float32(nil), y...)
		Axpy(-0.75, x, y)
		for i := range x {
			require.Equal(t, float32(float64(y0[i])+float64(float32(-0.75*float64(x[i])))), y[i])
		}
		require.Equal(t, y0[n:], y[n:], "Axpy wrote past len(x)")

		s := append([]float32(nil), x...)
		Scale(3, s)
		for i := range s {
			require.Equal(t, float32(3*float64(x[i])), s[i])
		}

		r := append([]float32(nil), x...)
		Relu(r, r)
		for i := range r {
			require.Equal(t, float32(math.Max(float64(x[i]), 0)), r[i])
		}
		dy := randSlice(rng, n, 1)
		dx := make([]float32, n)
		ReluBackward(dx, dy, r)
		for i := range dx {
			if x[i] > 0 {
				require.Equal(t, dy[i], dx[i])
			} else {
				require.Zero(t, dx[i])
			}
		}
		ReluBackward(dy, dy, r) // in place
		require.Equal(t, dx, dy)
	}
	require.True(t, math.IsNaN(float64(func() float32 { y := []float32{0}; Relu(y, []float32{float32(math.NaN())}); return y[0] }())))

	for _, shape := range [][2]int{{1, 1}, {3, 5}, {100, 32}, {7, 9}} {
		rows, cols := shape[0], shape[1]
		m := randSlice(rng, rows*cols, 1)
		bias := randSlice(rng, cols, 1)
		mb := append([]float32(nil), m...)
		AddBias(mb, rows, cols, bias)
		for i := range mb {
			require.Equal(t, m[i]+bias[i%cols], mb[i])
		}
		dst := randSlice(rng, cols, 1)
		want := make([]float32, cols)
		for j := range want {
			s := dst[j]
			for r := 0; r < rows; r++ {
				s += m[r*cols+j]
			}
			want[j] = s
		}
		SumRows(dst, m, rows, cols)
		require.Equal(t, want, dst)
	}
	// Short slices panic with a message naming the function.
	require.PanicsWithValue(t, "kernels.Axpy: len(y)=2, need 3", func() { Axpy(1, make([]float32, 3), make([]float32, 2)) })
	require.Panics(t, func() { AddBias(make([]float32, 5), 2, 3, make([]float32, 3)) })
	require.Panics(t, func() { SumRows(make([]float32, 2), make([]float32, 6), 2, 3) })
	require.Panics(t, func() { Relu(make([]float32, 1), make([]float32, 2)) })
	require.Panics(t, func() { ReluBackward(make([]float32, 2), make([]float32, 2), make([]float32, 1)) })
}

// withImpl runs f with im active (Relu and ReluBackward have no internal
// *impl form) and restores the previous table.
func withImpl(im *impl, f func()) {
	prev := active.Swap(im)
	defer active.Store(prev)
	f()
}

// TestLayerHelpersImplsMatchTwin holds every implementation's AddBias,
// SumRows, Relu and ReluBackward to the Go twins bit for bit: lengths 0..67
// and large, column counts around the vector width, unaligned sub-slices,
// special values (±0, ±Inf, NaN, subnormals), in place, and guard values
// around every output.
func TestLayerHelpersImplsMatchTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, math.MaxFloat32}
	fill := func(n int) []float32 {
		x := randSlice(rng, n, 1)
		for i := range x {
			if rng.IntN(6) == 0 {
				x[i] = special[rng.IntN(len(special))]
			}
		}
		return x
	}
	const guard = 0x7fc0beef
	guarded := func(n, off int) (buf, x []float32) {
		buf = make([]float32, n+16)
		for i := range buf {
			buf[i] = math.Float32frombits(guard)
		}
		return buf, buf[off : off+n]
	}
	checkGuards := func(name string, buf []float32, off, n int) {
		for i := range buf {
			if i < off || i >= off+n {
				require.Equal(t, uint32(guard), math.Float32bits(buf[i]), "%s: guard %d overwritten", name, i)
			}
		}
	}
	same := func(name string, want, got []float32) {
		for i := range want {
			require.True(t, sameFloat32(want[i], got[i]), "%s: element %d = %v, twin %v", name, i, got[i], want[i])
		}
	}
	var lengths []int
	for n := 0; n <= 67; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 1000, 100*784+5)
	for _, im := range impls {
		for _, n := range lengths {
			off := n % 8
			x := fill(n + 5)[3 : 3+n]
			buf, y := guarded(n, off)
			withImpl(im, func() { Relu(y, x) })
			want := make([]float32, n)
			reluGeneric(want, x)
			same(im.name+" Relu", want, y)
			checkGuards(im.name+" Relu", buf, off, n)
			for i, v := range y {
				require.False(t, math.Signbit(float64(v)) && v == 0, "%s Relu: -0 at %d", im.name, i)
			}
			xc := append([]float32(nil), x...)
			withImpl(im, func() { Relu(xc, xc) })
			same(im.name+" Relu in place", want, xc)

			dy := fill(n + 1)[1:]
			buf, dx := guarded(n, (off+3)%8)
			withImpl(im, func() { ReluBackward(dx, dy, x) })
			reluBackwardGeneric(want, dy, x)
			same(im.name+" ReluBackward", want, dx)
			checkGuards(im.name+" ReluBackward", buf, (off+3)%8, n)
			withImpl(im, func() { ReluBackward(dy, dy, x) })
			same(im.name+" ReluBackward in place", want, dy)
		}
		for _, cols := range []int{1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 63, 64, 65, 256, 300, 784} {
			for _, rows := range []int{1, 2, 3, 17, 100} {
				off := (rows + cols) % 8
				mbuf, m := guarded(rows*cols, off)
				copy(m, fill(rows*cols))
				bias := fill(cols + 2)[1 : cols+1]
				twin := append([]float32(nil), m...)
				addBiasGeneric(twin, rows, cols, bias)
				addBias(im, m, rows, cols, bias)
				same(im.name+" AddBias", twin, m)
				checkGuards(im.name+" AddBias", mbuf, off, rows*cols)

				dbuf, dst := guarded(cols, (off+5)%8)
				copy(dst, fill(cols))
				dtwin := append([]float32(nil), dst...)
				sumRowsGeneric(dtwin, m, rows, cols)
				sumRows(im, dst, m, rows, cols)
				same(im.name+" SumRows", dtwin, dst)
				checkGuards(im.name+" SumRows", dbuf, (off+5)%8, cols)
			}
		}
	}
	m, bias := make([]float32, 100*300), make([]float32, 300)
	require.Zero(t, testing.AllocsPerRun(10, func() {
		AddBias(m, 100, 300, bias)
		SumRows(bias, m, 100, 300)
		Relu(m, m)
		ReluBackward(m, m, m)
	}))
}
