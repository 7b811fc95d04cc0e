//go:build !purego && !noasm

package kernels

// The lane-per-sample conditional-Gumbel kernels' assembly and declarations
// are generated (cglanes_amd64.s, cglanes_stubs_amd64.go; kernels/_asm).

// cgLaneIota holds the lane numbers, which times C are the gather offsets.
var cgLaneIota = [8]int32{0, 1, 2, 3, 4, 5, 6, 7}

// cgLanes512 is the table's cgLanes: the AVX-512 kernel at τ ≠ 1, where
// the -log and exp of every element dominate and it is 1.3-1.4× faster on
// Zen 4, and the AVX2 kernel at τ = 1, where the AVX-512 one is no faster
// (slower at C = 4, whose last group of 100 samples fills 4 of 16 lanes).
// Both give the twin's bits.
func cgLanes512(acc, x, e, w, g []float32, i, K int, z, invTau float32, masks *[8][8]int32, tau1 bool) {
	if tau1 {
		cgLanesAVX2(acc, x, e, w, g, i, K, z, invTau, masks, tau1)
		return
	}
	cgLanesAVX512(acc, x, e, w, g, i, K, z, invTau)
}

// cgLaneIota16 holds the lane numbers, which times C are the gather offsets.
var cgLaneIota16 = [16]int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
