//go:build !purego && !noasm

package kernels

// xoshiro8NEON computes what xoshiro8Generic computes, one step of all
// eight lanes at a time, and stores the state back. Precondition:
// len(dst)%8 == 0.
//
//go:noescape
func xoshiro8NEON(s *[32]uint32, dst []float32)
