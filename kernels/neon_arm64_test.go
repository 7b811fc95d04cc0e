//go:build !purego && !noasm

package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/cpu"
)

// The NEON table against its exact specification: the shared tests compare
// every path with the twin within a few ulp; here the NEON kernels must
// match it bit for bit (softmax), index for index (sampling) and FMA for FMA
// (GEMM), since they perform the same float32 operations in the same order.

// TestNEONActive requires the NEON table to be registered and active
// wherever the CPU (or qemu) reports ASIMD.
func TestNEONActive(t *testing.T) {
	if !cpu.ARM64.HasASIMD {
		t.Log("no ASIMD on this CPU (or GODEBUG=cpu.asimd=off): only generic is tested")
		require.Equal(t, "generic", Active())
		return
	}
	require.Equal(t, "neon", Active())
	require.Equal(t, []string{"neon", "generic"}, Available())
	require.Equal(t, 4, neonImpl.w)
	mr, nr, kc, _, _ := GemmBlocking()
	require.Equal(t, [3]int{8, 8, 256}, [3]int{mr, nr, kc})
}

// neonRow fills a row of n floats with one of several patterns: random
// logits, equal values, one dominant value, ±88, huge differences, -Inf
// entries, all -Inf but one, and (bad rows) NaN, +Inf or only -Inf.
func neonRow(rng *rand.Rand, row []float32, kind int) {
	inf := float32(math.Inf(1))
	for j := range row {
		row[j] = float32(rng.NormFloat64() * 3)
	}
	n := len(row)
	switch kind {
	case 1:
		for j := range row {
			row[j] = 0.25
		}
	case 2:
		row[rng.IntN(n)] = 60
	case 3:
		for j := range row {
			row[j] = 88
			if j%2 == 1 {
				row[j] = -88
			}
		}
	case 4:
		row[rng.IntN(n)] = 1e30
		row[rng.IntN(n)] = -1e30
	case 5:
		row[rng.IntN(n)] = -inf
	case 6:
		for j := range row {
			row[j] = -inf
		}
		row[rng.IntN(n)] = -3
	case 7:
		row[rng.IntN(n)] = float32(math.NaN())
	case 8:
		row[rng.IntN(n)] = inf
	case 9:
		for j := range row {
			row[j] = -inf
		}
	case 10:
		for j := range row {
			row[j] *= 1e-3 // differences near the rounding of exp's argument
		}
	}
}

func TestNEONSoftmaxBitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, cols := range []int{4, 8, 12, 16, 20, 64, 100, 1000} {
		for _, invTau := range []float32{1, 2.5, 0.3, 1e-3} {
			rows := 33
			src := make([]float32, rows*cols)
			for r := 0; r < rows; r++ {
				neonRow(rng, src[r*cols:(r+1)*cols], r%11)
			}
			got, want := make([]float32, len(src)), make([]float32, len(src))
			gs, ws := make([]float32, 2*rows), make([]float32, 2*rows)
			neonImpl.softmax(got, src, gs, nil, cols, invTau)
			softmaxRowsGeneric(want, src, ws, nil, cols, invTau)
			for r := 0; r < rows; r++ {
				if !(ws[2*r+1] >= 1) {
					// A bad row: both must flag it (the sum is NaN).
					require.Falsef(t, gs[2*r+1] >= 1, "cols=%d row %d: sum %v, twin %v", cols, r, gs[2*r+1], ws[2*r+1])
					continue
				}
				require.Equalf(t, math.Float32bits(ws[2*r]), math.Float32bits(gs[2*r]), "cols=%d invTau=%v row %d max", cols, invTau, r)
				require.Equalf(t, math.Float32bits(ws[2*r+1]), math.Float32bits(gs[2*r+1]), "cols=%d invTau=%v row %d sum", cols, invTau, r)
				for j := r * cols; j < (r+1)*cols; j++ {
					if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
						t.Fatalf("cols=%d invTau=%v row %d col %d: neon %v, twin %v", cols, invTau, r, j-r*cols, got[j], want[j])
					}
				}
			}
			// In place gives the same bits.
			inPlace := append([]float32(nil), src...)
			neonImpl.softmax(inPlace, inPlace, gs, nil, cols, invTau)
			for r := 0; r < rows; r++ {
				if ws[2*r+1] >= 1 {
					for j := r * cols; j < (r+1)*cols; j++ {
						require.Equal(t, math.Float32bits(got[j]), math.Float32bits(inPlace[j]), "in place, cols=%d", cols)
					}
				}
			}
		}
	}
}

// neonProbs fills rows of probabilities with zeros at the ends, one-hot rows,
// tiny and huge entries and (bad rows) a negative entry, NaN, +Inf, a zero
// total or a total that overflows; uniforms include 0, the largest float32
// below 1, values landing exactly on a partial sum, and bad ones.
func neonProbs(rng *rand.Rand, p, u []float32, rows, cols int) {
	for r := 0; r < rows; r++ {
		row := p[r*cols : (r+1)*cols]
		for j := range row {
			row[j] = rng.Float32()
			if rng.IntN(4) == 0 {
				row[j] = 0
			}
		}
		u[r] = rng.Float32()
		switch r % 16 {
		case 1:
			row[0], row[len(row)-1] = 0, 0
			u[r] = 0
		case 2:
			clear(row)
			row[rng.IntN(cols)] = 3
			u[r] = math.Nextafter32(1, 0)
		case 3:
			// u·total lands exactly on a partial sum: integers.
			var c float32
			for j := range row {
				row[j] = float32(rng.IntN(3))
				c += row[j]
			}
			row[0]++
			c++
			u[r] = float32(rng.IntN(int(c))) / c
		case 4:
			row[rng.IntN(cols)] = -1e-30
		case 5:
			row[rng.IntN(cols)] = float32(math.NaN())
		case 6:
			row[rng.IntN(cols)] = float32(math.Inf(1))
		case 7:
			clear(row)
		case 8:
			for j := range row {
				row[j] = 3e38
			}
		case 9:
			u[r] = 1
		case 10:
			u[r] = -0.25
		case 11:
			u[r] = float32(math.NaN())
		case 12:
			for j := range row {
				row[j] = 1e-45 * float32(j%3) // subnormal totals
			}
			row[cols-1] = 1e-45
			u[r] = math.Nextafter32(1, 0)
		case 13:
			u[r] = math.Nextafter32(1, 0)
		}
	}
}

func TestNEONSampleExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, cols := range []int{4, 8, 12, 16, 64, 100, 1000} {
		for rep := 0; rep < 4; rep++ {
			rows := 64
			p, u := make([]float32, rows*cols), make([]float32, rows)
			neonProbs(rng, p, u, rows, cols)
			got, want := make([]int32, rows), make([]int32, rows)
			cdf := make([]float32, 4*cols)
			neonImpl.sample(got, p, u, cdf, cols)
			sampleRowsGeneric(want, p, u, nil, cols)
			require.Equalf(t, want, got, "cols=%d rep=%d: raw kernel indices (-1 bad, -2 fallback)", cols, rep)
		}
	}
}

func TestNEONSoftmaxSampleExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, cols := range []int{4, 8, 12, 64, 1000} {
		rows := 44
		src, u := make([]float32, rows*cols), make([]float32, rows)
		for r := 0; r < rows; r++ {
			neonRow(rng, src[r*cols:(r+1)*cols], r%7) // good rows only
			u[r] = rng.Float32()
		}
		u[3], u[5] = 0, math.Nextafter32(1, 0)
		gp, wp := make([]float32, len(src)), make([]float32, len(src))
		gs, ws := make([]float32, 2*rows), make([]float32, 2*rows)
		gi, wi := make([]int32, rows), make([]int32, rows)
		cdf := make([]float32, 4*cols)
		neonImpl.softmaxSample(gp, src, gs, cdf, gi, u, cols)
		softmaxSampleGeneric(wp, src, ws, cdf, wi, u, cols)
		require.Equal(t, wi, gi, "cols=%d", cols)
		for i := range wp {
			require.Equal(t, math.Float32bits(wp[i]), math.Float32bits(gp[i]), "cols=%d element %d", cols, i)
		}
	}
}

// TestNEONGemmFMA checks the micro-kernel against its specification
// computed with math.FMA: one fused multiply-add per product in k order,
// then C = s or s + float32(beta*C), bit for bit.
func TestNEONGemmFMA(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, kc := range []int{0, 1, 2, 3, 16, 255, 256} {
		for _, beta := range []float32{0, 1, -0.75, float32(math.NaN())} {
			a, b := make([]float32, 8*kc), make([]float32, 8*kc)
			for i := range a {
				a[i] = float32(rng.NormFloat64())
				b[i] = float32(rng.NormFloat64())
			}
			ldc := 11
			c := make([]float32, 7*ldc+8)
			for i := range c {
				c[i] = float32(rng.NormFloat64())
			}
			c0 := append([]float32(nil), c...)
			neonImpl.gemm(kc, a, b, c, ldc, beta)
			for i := 0; i < 8; i++ {
				for j := 0; j < ldc && i*ldc+j < len(c); j++ {
					k := i*ldc + j
					if j >= 8 {
						require.Equal(t, math.Float32bits(c0[k]), math.Float32bits(c[k]), "slack C[%d][%d] changed", i, j)
						continue
					}
					var s float32
					for p := 0; p < kc; p++ {
						s = float32(math.FMA(float64(a[p*8+i]), float64(b[p*8+j]), float64(s)))
					}
					if beta != 0 {
						s += float32(beta * c0[k])
					}
					if s != s {
						require.True(t, c[k] != c[k], "kc=%d beta=%v C[%d][%d]=%v, want NaN", kc, beta, i, j, c[k])
						continue
					}
					require.Equalf(t, math.Float32bits(s), math.Float32bits(c[k]), "kc=%d beta=%v C[%d][%d]: %v, want %v",
						kc, beta, i, j, c[k], s)
				}
			}
		}
	}
}

// TestNEONNegLogExact compares the -log kernel with its twin bit for bit on
// 24-bit integers (0, 1 and 2^24-1 included), for n = 0..3 applications.
func TestNEONNegLogExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, size := range []int{4, 8, 12, 2048} {
		for n := 0; n <= 3; n++ {
			got := make([]float32, size)
			for i := range got {
				got[i] = math.Float32frombits(rng.Uint32() >> 8)
			}
			got[0], got[1], got[2] = 0, math.Float32frombits(1), math.Float32frombits(1<<24-1)
			want := append([]float32(nil), got...)
			neonImpl.negLog(got, n)
			negLogGeneric(want, n)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("size=%d n=%d element %d: neon %v, twin %v", size, n, i, got[i], want[i])
				}
			}
		}
	}
}
