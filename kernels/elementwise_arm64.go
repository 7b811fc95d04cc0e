//go:build !purego && !noasm

package kernels

// The NEON elementwise kernels (elementwise_arm64.s): the Adam and RAdam
// updates, the layer helpers and the finiteness check.

// adamNEON and radamNEON compute what adamGeneric and radamGeneric compute,
// four elements at a time. Preconditions: len(p)%4 == 0, len(g), len(m),
// len(v) >= len(p).
//
//go:noescape
func adamNEON(p, g, m, v []float32, k adamConsts)

//go:noescape
func radamNEON(p, g, m, v []float32, k adamConsts)

// The layer helpers and the finiteness check, eight floats per iteration
// (the impl contracts of elementwise.go and finite.go: whole groups of 8).
//
//go:noescape
func addBiasNEON(m []float32, rows, cols int, bias []float32)

//go:noescape
func sumRowsNEON(dst, m []float32, rows, cols int)

//go:noescape
func reluNEON(y, x []float32)

//go:noescape
func reluBackwardNEON(dx, dy, y []float32)

//go:noescape
func finiteNEON(x []float32) bool
