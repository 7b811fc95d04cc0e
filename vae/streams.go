package vae

import (
	"math/bits"
	"math/rand/v2"

	"github.com/discretegrad/reinmax/kernels"
)

// Random streams. Every random draw of training comes from a PCG re-seeded
// with kernels.SeedStream(pcg, Config.Seed, stream, block); the stream ids
// below are part of the reproducibility contract. Since they are pure
// functions of (seed, global step, epoch), a checkpoint needs only the seed
// and the step to resume bit for bit. The top four bits name the purpose:
//
//	0x0<<60 | s                    training step s (0-based global step): the
//	                               estimator's Forward and Backward (which
//	                               separate their row blocks internally)
//	0x1<<60                        weight initialisation (block 0)
//	0x2<<60 | e                    the shuffle of epoch e (0-based, block 0)
//	0x3<<60 | s<<20 | b            evaluation batch b after s training steps
//
// Model.Reconstruct and Model.Sample take their stream from the caller.
const (
	streamInit    = 0x1 << 60
	streamShuffle = 0x2 << 60
	streamEval    = 0x3 << 60
	streamMask    = 1<<60 - 1
)

// evalStream is the stream of evaluation batch b after step training steps.
func evalStream(step, b int) uint64 {
	return streamEval | (uint64(step)<<20|uint64(b))&streamMask
}

// shuffle fills perm with a uniformly random permutation of 0..len(perm)-1
// for epoch e: Fisher–Yates from the end, each index drawn by Lemire's
// unbiased multiply-shift on pcg.Uint64(), so the permutation is a function
// of (seed, epoch) alone and does not depend on math/rand's helpers.
func shuffle(pcg *rand.PCG, perm []int32, seed uint64, epoch int) {
	kernels.SeedStream(pcg, seed, streamShuffle|uint64(epoch)&streamMask, 0)
	for i := range perm {
		perm[i] = int32(i)
	}
	for i := len(perm) - 1; i > 0; i-- {
		j := uniformBelow(pcg, uint64(i+1))
		perm[i], perm[j] = perm[j], perm[i]
	}
}

// uniformBelow returns a uniform integer in [0, n), n >= 1 (Lemire 2019).
func uniformBelow(pcg *rand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(pcg.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(pcg.Uint64(), n)
		}
	}
	return hi
}
