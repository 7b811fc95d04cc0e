package kernels

import (
	"math"
	"math/bits"
)

// Xoshiro8 is the bulk generator of the repeat estimators' noise, which
// draws K·C exponentials per row (5.1 million per training step at 64×8):
// eight xoshiro128++ generators (Blackman and Vigna, "Scrambled linear
// pseudorandom number generators", ACM TOMS 2021) side by side, one per
// 32-bit lane of an AVX2 register, so one vector step gives eight draws.
// A PCG step needs 128-bit multiplies; this needs shifts, adds and xors.
// On the AVX2 path it makes a 24-bit value in 0.2 ns against about 1.5 ns
// for the PCG and its unpacking, so an Exp(1) draw takes 0.78 ns instead
// of 2.1 (docs/benchmarks-journal.md, "K = 100 estimators, part 2").
//
// Output order: a call that fills n values advances every lane
// ceil(n/8) steps; value i of the call is the top 24 bits of lane i%8's
// output at its step i/8 (the values a short last step would give past n
// are dropped). So the draws depend on the seed and on the lengths of the
// calls only, and the assembly and the Go twin give the same bits.
//
// The zero value is not seeded (every lane would repeat zeros): call Seed
// first. A Xoshiro8 is not safe for concurrent use; give each row block
// its own.
type Xoshiro8 struct {
	s [32]uint32 // word j of lane l at s[8*j+l]: one vector per word
}

// xoshiroLanes is the number of interleaved generators.
const xoshiroLanes = 8

// Seed starts the stream (seed, step, block), hashed as in SeedStream:
// h = splitmix64(splitmix64(splitmix64(seed) ^ step) ^ block). The 128-bit
// states of the eight lanes are the next 16 outputs of a SplitMix64
// generator started at h (low half first), the seeding Blackman and Vigna
// recommend; a lane that came out all zero (probability 2^-128) gets 1.
func (x *Xoshiro8) Seed(seed, step, block uint64) {
	h := splitmix64(splitmix64(splitmix64(seed)^step) ^ block)
	for i := range len(x.s) / 2 {
		v := splitmix64(h + uint64(i)*0x9e3779b97f4a7c15)
		x.s[2*i], x.s[2*i+1] = uint32(v), uint32(v>>32)
	}
	for l := range xoshiroLanes {
		if x.s[l]|x.s[8+l]|x.s[16+l]|x.s[24+l] == 0 {
			x.s[l] = 1
		}
	}
}

// Uniforms fills dst with uniforms k·2^-24, k the 24-bit draws, so every
// value is in [0, 1) and exact in float32 (as the package Uniforms).
func (x *Xoshiro8) Uniforms(dst []float32) {
	x.bits(current(), dst)
	for i, v := range dst {
		dst[i] = float32(math.Float32bits(v)) * 0x1p-24
	}
}

// Exponentials fills dst with Exp(1) draws -log(max(k, 1/2)·2^-24): the
// transform of the package Exponentials, so the values lie in
// [5.96e-8, 17.33], never 0 or +Inf.
func (x *Xoshiro8) Exponentials(dst []float32) {
	x.negLog(current(), dst, 1)
}

// Gumbels fills dst with Gumbel(0,1) draws -log(E), E the exponentials
// above: finite, in [-2.86, 16.64].
func (x *Xoshiro8) Gumbels(dst []float32) {
	x.negLog(current(), dst, 2)
}

// negLog draws chunk by chunk, so the integers the generator writes are
// still in L1 when the logarithm reads them.
func (x *Xoshiro8) negLog(im *impl, dst []float32, n int) {
	for len(dst) > 0 {
		c := dst[:min(len(dst), negLogChunk)] // a multiple of 8: only the last chunk has a short step
		dst = dst[len(c):]
		x.bits(im, c)
		negLogInts(im, c, n)
	}
}

// bits writes the 24-bit draws into dst as float32 bit patterns, the
// input format of the negLog kernels.
func (x *Xoshiro8) bits(im *impl, dst []float32) {
	whole := len(dst) &^ (xoshiroLanes - 1)
	if whole > 0 {
		im.xoshiro(&x.s, dst[:whole])
	}
	if whole < len(dst) {
		var last [xoshiroLanes]float32
		xoshiro8Generic(&x.s, last[:])
		copy(dst[whole:], last[:])
	}
}

// xoshiro8Generic is the Go twin of the xoshiro kernels: len(dst)/8 steps
// of every lane, dst[8*t+l] = bits(lane l's output at step t >> 8).
// len(dst)%8 == 0. Lane by lane, so a lane's state stays in registers.
func xoshiro8Generic(s *[32]uint32, dst []float32) {
	steps := len(dst) / xoshiroLanes
	for l := range xoshiroLanes {
		s0, s1, s2, s3 := s[l], s[8+l], s[16+l], s[24+l]
		for t := range steps {
			var r uint32
			r, s0, s1, s2, s3 = xoshiro128pp(s0, s1, s2, s3)
			dst[t*xoshiroLanes+l] = math.Float32frombits(r >> 8)
		}
		s[l], s[8+l], s[16+l], s[24+l] = s0, s1, s2, s3
	}
}

// xoshiro128pp is one step of xoshiro128++ 1.0 (the authors' reference C,
// xoshiro128plusplus.c): the output and the next state.
func xoshiro128pp(s0, s1, s2, s3 uint32) (r, n0, n1, n2, n3 uint32) {
	r = bits.RotateLeft32(s0+s3, 7) + s0
	t := s1 << 9
	s2 ^= s0
	s3 ^= s1
	s1 ^= s2
	s0 ^= s3
	s2 ^= t
	s3 = bits.RotateLeft32(s3, 11)
	return r, s0, s1, s2, s3
}
