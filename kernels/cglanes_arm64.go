//go:build !purego && !noasm

package kernels

// cgLanesNEON computes what cgLanesGeneric computes (cglanes.go), four
// samples at a time, one per lane.
//
// Preconditions: C = len(w) >= 1, K >= 1, 0 <= i < C, len(e) >= K*C,
// len(g) >= C, len(acc) >= 8*C, len(x) >= 4*C, w[i] == 0,
// masks = &cgTailMasks.
//
//go:noescape
func cgLanesNEON(acc, x, e, w, g []float32, i, K int, z, invTau float32, masks *[8][8]int32, tau1 bool)
