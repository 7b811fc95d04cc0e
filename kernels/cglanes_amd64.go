//go:build !purego && !noasm

package kernels

// cgLanesAVX2 is the table's cgLanes: the twin's loop, eight samples at a
// time, one per lane.
func cgLanesAVX2(acc, x, e, w, g []float32, i, K int, z, invTau float32, masks *[8][8]int32, tau1 bool) {
	if tau1 {
		cgLanes1AVX2(acc, x, e, w, g, i, K, z, masks)
	} else {
		cgLanesTauAVX2(acc, x, e, w, g, i, K, z, invTau, masks)
	}
}

// cgLanes1AVX2 computes what cgLanesGeneric computes with tau1 set; the
// samples of a group of eight are gathered column by column (lane l reads
// sample 8q+l), the lanes past K of the last group are masked off.
//
// Preconditions: C = len(w) >= 1, K >= 1, 0 <= i < C, len(e) >= K*C,
// len(g) >= C, len(acc), len(x) >= 8*C, w[i] == 0, masks = &cgTailMasks.
//
//go:noescape
func cgLanes1AVX2(acc, x, e, w, g []float32, i, K int, z float32, masks *[8][8]int32)

// cgLanesTauAVX2 computes what cgLanesGeneric computes with tau1 unset.
// Preconditions as for cgLanes1AVX2.
//
//go:noescape
func cgLanesTauAVX2(acc, x, e, w, g []float32, i, K int, z, invTau float32, masks *[8][8]int32)

// cgLaneIota holds the lane numbers, which times C are the gather offsets.
var cgLaneIota = [8]int32{0, 1, 2, 3, 4, 5, 6, 7}
