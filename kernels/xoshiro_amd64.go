//go:build !purego && !noasm

package kernels

// xoshiro8AVX2 computes what xoshiro8Generic computes, one vector step of
// all eight lanes at a time, and stores the state back.
//
// Preconditions: len(dst)%8 == 0.
//
//go:noescape
func xoshiro8AVX2(s *[32]uint32, dst []float32)

// xoshiro8AVX512 computes what xoshiro8AVX2 (and xoshiro8Generic) computes,
// with VPROLD for the rotations.
//
// Preconditions: len(dst)%8 == 0.
//
//go:noescape
func xoshiro8AVX512(s *[32]uint32, dst []float32)
