//go:build !purego && !noasm

package kernels

// adamAVX512 and radamAVX512 are the AVX-512 table's optimiser kernels (the
// impl.adam contract: len(p)%8 == 0). The update is bound by the divider (a
// square root and a division per element): on the AMD machine it was
// measured on, a ZMM square root or division takes no longer than a YMM one
// (1.5× the AVX2 kernel's speed on cached data). Where a ZMM one takes
// twice as long (Intel's published tables), it gains nothing.
var (
	adamAVX512  = wholeVectors16(adam16AVX512, adamAVX2)
	radamAVX512 = wholeVectors16(radam16AVX512, radamAVX2)
)

// wholeVectors16 returns an optimiser kernel that gives wide, a 16-lane
// routine, the whole 16-float vectors and narrow, its 8-lane twin, a last
// 8. The update is elementwise, so the split changes no bit.
func wholeVectors16(wide, narrow func(p, g, m, v []float32, k adamConsts)) func(p, g, m, v []float32, k adamConsts) {
	return func(p, g, m, v []float32, k adamConsts) {
		n16 := len(p) &^ 15
		wide(p[:n16], g, m, v, k)
		if n16 < len(p) {
			narrow(p[n16:], g[n16:], m[n16:], v[n16:], k)
		}
	}
}
