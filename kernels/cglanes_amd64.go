//go:build !purego && !noasm

package kernels

// cgLanesAVX2 computes what cgLanesGeneric computes, eight samples at a
// time, one per lane (cglanes_amd64.s).
//
// Preconditions: C = len(w) >= 1, K >= 1, 0 <= i < C, len(e) >= K*C,
// len(g) >= C, len(acc), len(x) >= 8*C, w[i] == 0, masks = &cgTailMasks.
//
//go:noescape
func cgLanesAVX2(acc, x, e, w, g []float32, i, K int, z, invTau float32, masks *[8][8]int32, tau1 bool)

// cgLaneIota holds the lane numbers, which times C are the gather offsets.
var cgLaneIota = [8]int32{0, 1, 2, 3, 4, 5, 6, 7}
