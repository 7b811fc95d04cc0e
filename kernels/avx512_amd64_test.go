//go:build !purego && !noasm

package kernels

import (
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/cpu"
)

// bestAMD64 is the table the dispatcher must pick on this CPU, from x/sys/cpu
// (which honours GODEBUG=cpu.avx512f=off, cpu.avx2=off, ...).
func bestAMD64() string {
	switch {
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL:
		return "avx512"
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return "avx2"
	}
	return "generic"
}

// TestAVX512Selected checks that the best table the CPU supports is active
// at start-up and first in Available: "avx512" on AVX-512 machines. With
// KERNELS_REQUIRE naming avx2 (CI on AVX2 machines) "avx2 or better" must be
// active; naming avx512, "avx512" itself.
func TestAVX512Selected(t *testing.T) {
	want := bestAMD64()
	require.Equal(t, want, Available()[0])
	require.Equal(t, want, Active(), "start-up choice (tests restore what they Use)")
	for _, req := range strings.Split(os.Getenv("KERNELS_REQUIRE"), ",") {
		switch req {
		case "avx2":
			require.Contains(t, []string{"avx2", "avx512"}, Active(), "KERNELS_REQUIRE=avx2")
		case "avx512":
			require.Equal(t, "avx512", Active(), "KERNELS_REQUIRE=avx512")
		}
	}
	if want != "avx512" {
		t.Logf("no AVX-512F/VL (or disabled by GODEBUG): %q is active, the avx512 table is not tested", want)
	}
}

// TestAVX512GodebugOff runs this test binary again with
// GODEBUG=cpu.avx512f=off and checks there that "avx2" is chosen and
// "avx512" is not even available.
func TestAVX512GodebugOff(t *testing.T) {
	if os.Getenv("KERNELS_AVX512_CHILD") == "1" {
		require.False(t, cpu.X86.HasAVX512F, "GODEBUG=%s", os.Getenv("GODEBUG"))
		require.NotContains(t, Available(), "avx512")
		require.Equal(t, bestAMD64(), Active())
		if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
			require.Equal(t, "avx2", Active())
		}
		return
	}
	if !cpu.X86.HasAVX512F {
		t.Logf("no AVX-512F here: the child run would only repeat TestAVX512Selected")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAVX512GodebugOff$", "-test.count=1")
	cmd.Env = append(os.Environ(), "KERNELS_AVX512_CHILD=1", "GODEBUG=cpu.avx512f=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child: %s", out)
	require.Contains(t, string(out), "PASS")
}

// TestSoftmaxAVX512Paths calls the AVX-512 softmax routines directly on the
// shapes where they split work (two rows per vector for cols = 8 with an
// odd last row, a YMM half vector when cols%16 == 8), in place and not, and
// requires the twin's bits and untouched guard bands.
func TestSoftmaxAVX512Paths(t *testing.T) {
	if !slices.Contains(Available(), "avx512") {
		t.Logf("avx512 not available on this CPU/GODEBUG: nothing to test")
		return
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, cols := range []int{8, 16, 24, 32, 40, 64, 1000, 1024} {
		for _, rows := range []int{1, 2, 3, 7, 16, 17} {
			for _, inPlace := range []bool{false, true} {
				src := softmaxRowsFor(rng, rows, cols)
				src[len(src)/2] = float32(math.Inf(-1))
				sbuf, sv := guardedRows(rows*cols, rows%8)
				copy(sv, src)
				dbuf, dv, doff := sbuf, sv, rows%8
				if !inPlace {
					doff = (rows + 3) % 8
					dbuf, dv = guardedRows(rows*cols, doff)
				}
				twin := make([]float32, rows*cols)
				twinStats := make([]float32, 2*rows)
				softmaxRowsGeneric(twin, src, twinStats, nil, cols, 0.75)
				// The table entry, and the one-row-at-a-time kernel
				// itself where the entry sends short rows elsewhere.
				for _, direct := range []bool{false, true} {
					if direct && (cols < 16 || cols >= softmaxAVX512MinCols) {
						continue
					}
					copy(sv, src)
					stats := make([]float32, 2*rows)
					if direct {
						softmaxRowsAVX512(dv, sv, stats, cols, 0.75)
					} else {
						avx512Impl.softmax(dv, sv, stats, make([]float32, 8*cols), cols, 0.75)
					}
					for i := range twin {
						require.Equal(t, math.Float32bits(twin[i]), math.Float32bits(dv[i]),
							"cols=%d rows=%d inPlace=%v direct=%v element %d: %v vs twin %v",
							cols, rows, inPlace, direct, i, dv[i], twin[i])
					}
					require.Equal(t, twinStats, stats, "cols=%d rows=%d direct=%v stats", cols, rows, direct)
					requireGuards(t, dbuf, doff, rows*cols, "dst")
				}
			}
		}
	}
}

// TestSoftmaxAVX512BadRows checks that NaN, +Inf and all -Inf rows give a
// NaN sum in the AVX-512 kernels (the driver's error signal) without
// disturbing their neighbours.
func TestSoftmaxAVX512BadRows(t *testing.T) {
	if !slices.Contains(Available(), "avx512") {
		t.Logf("avx512 not available on this CPU/GODEBUG: nothing to test")
		return
	}
	inf := float32(math.Inf(1))
	for _, cols := range []int{8, 16, 24, 32, 40} {
		for _, bad := range []float32{float32(math.NaN()), inf, -inf} {
			rows := 4
			src := softmaxRowsFor(rand.New(rand.NewPCG(7, uint64(cols))), rows, cols)
			row := src[cols : 2*cols]
			if bad == -inf {
				for j := range row {
					row[j] = -inf
				}
			} else {
				row[cols-1] = bad
			}
			dst := make([]float32, len(src))
			stats := make([]float32, 2*rows)
			avx512Impl.softmax(dst, src, stats, make([]float32, 8*cols), cols, 1)
			require.True(t, math.IsNaN(float64(stats[3])), "cols=%d bad=%v: sum %v", cols, bad, stats[3])
			for _, r := range []int{0, 2, 3} {
				require.GreaterOrEqual(t, stats[2*r+1], float32(1), "cols=%d bad=%v row %d", cols, bad, r)
			}
		}
	}
}

// TestSgemmAVX512MatchesAVX2Bits checks that the avx512 and avx2 GEMMs give
// the same bits: both compute every element as one FMA chain in k order
// within k-blocks of the same kc, then acc + beta*C, so only the tiling
// differs. (Switching paths on an AVX-512 machine then changes no result.)
func TestSgemmAVX512MatchesAVX2Bits(t *testing.T) {
	if !slices.Contains(Available(), "avx512") {
		t.Logf("avx512 not available on this CPU/GODEBUG: nothing to compare")
		return
	}
	require.Equal(t, avx2Impl.kc, avx512Impl.kc, "the bitwise match needs the same k-block")
	rng := rand.New(rand.NewPCG(9, 10))
	shapes := [][3]int{{100, 512, 784}, {784, 512, 100}, {100, 784, 512}, {37, 45, 600}, {21, 17, 3}}
	for _, s := range shapes {
		for tr := 0; tr < 4; tr++ {
			tA, tB := tr&1 != 0, tr&2 != 0
			m, n, k := s[0], s[1], s[2]
			a := make([]float32, m*k)
			b := make([]float32, k*n)
			c0 := make([]float32, m*n)
			for _, x := range [][]float32{a, b, c0} {
				for i := range x {
					x[i] = 2*rng.Float32() - 1
				}
			}
			lda, ldb := k, n
			if tA {
				lda = m
			}
			if tB {
				ldb = k
			}
			var got [2][]float32
			for i, im := range []*impl{avx512Impl, avx2Impl} {
				got[i] = slices.Clone(c0)
				require.NoError(t, sgemm(im, nil, tA, tB, m, n, k, -0.5, a, lda, b, ldb, 0.5, got[i], n))
			}
			for i := range got[0] {
				if math.Float32bits(got[0][i]) != math.Float32bits(got[1][i]) {
					t.Fatalf("%v tA=%v tB=%v: C[%d] avx512 %v != avx2 %v", s, tA, tB, i, got[0][i], got[1][i])
				}
			}
		}
	}
}
