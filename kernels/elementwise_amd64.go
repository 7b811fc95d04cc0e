//go:build !purego && !noasm

package kernels

// adamAVX512 and radamAVX512 are the AVX-512 table's optimiser kernels (the
// impl.adam contract: len(p)%8 == 0): the 16-lane routine over whole
// 16-float vectors, the AVX2 one over a last 8. The update is elementwise,
// so the split changes no bit. Wider vectors pay because the update is
// bound by the divider (a square root and a division per element): on the
// AMD machine it was measured on, a ZMM square root or division takes no
// longer than a YMM one (1.5× the AVX2 kernel's speed on cached data).
// Where a ZMM one takes twice as long (Intel's published tables), it gains
// nothing.
func adamAVX512(p, g, m, v []float32, k adamConsts) {
	n16 := len(p) &^ 15
	adam16AVX512(p[:n16], g, m, v, k)
	if n16 < len(p) {
		adamAVX2(p[n16:], g[n16:], m[n16:], v[n16:], k)
	}
}

func radamAVX512(p, g, m, v []float32, k adamConsts) {
	n16 := len(p) &^ 15
	radam16AVX512(p[:n16], g, m, v, k)
	if n16 < len(p) {
		radamAVX2(p[n16:], g[n16:], m[n16:], v[n16:], k)
	}
}
