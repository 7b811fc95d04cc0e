//go:build !purego && !noasm

package kernels

// cgAvgJAVX2 computes what cgAvgJGeneric computes, eight categories per
// vector (lane l takes j ≡ l mod 8), with masked loads and stores for the
// last vector of a row when C%8 != 0.
//
// Preconditions: C = len(avg) >= 1, K >= 1, 0 <= i < C, len(e) >= K*C,
// len(w), len(g) >= C, w[i] == 0, tail = &cgTailMasks[C%8].
//
//go:noescape
func cgAvgJAVX2(avg, e, w, g []float32, i, K int, z float32, tail *[8]int32)

// avgJacAVX2 computes what avgJacGeneric computes, eight categories per
// vector, the last one of a row masked when C%8 != 0.
//
// Preconditions: C = len(avg) >= 1, K >= 1, len(p) >= K*C, len(g) >= C,
// tail = &cgTailMasks[C%8].
//
//go:noescape
func avgJacAVX2(avg, p, g []float32, K int, tail *[8]int32)

// cgLogitsAVX2 computes what cgLogitsGeneric computes, eight categories
// per vector, the last one of a row masked when C%8 != 0 (so any C >= 1).
//
// Preconditions: C = len(w) >= 1, K >= 1, 0 <= i < C, len(e) >= K*C,
// w[i] == 0, tail = &cgTailMasks[C%8].
//
//go:noescape
func cgLogitsAVX2(e, w []float32, i, K int, z float32, tail *[8]int32)

// cgEps8 holds cgEps in the 8 lanes of a vector, a memory operand of the
// conditional-Gumbel kernels (K_CGEPS8).
var cgEps8 = [8]float32{cgEps, cgEps, cgEps, cgEps, cgEps, cgEps, cgEps, cgEps}

// cgLogitsAVX512 is cgLogitsAVX2 (the impl.cgLogits contract) in 16 lanes;
// it masks a row's last C%16 categories itself and does not read tail.
//
//go:noescape
func cgLogitsAVX512(e, w []float32, i, K int, z float32, tail *[8]int32)
