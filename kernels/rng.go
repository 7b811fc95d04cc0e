package kernels

import (
	"math"
	"math/rand/v2"
)

// Random numbers. The package keeps no generator: callers own a
// *rand.Rand over a *rand.PCG and re-seed the PCG per stream with
// SeedStream. Everything below is part of the reproducibility contract:
// the same (seed, step, block) gives the same numbers on every machine,
// for every implementation (asm and Go agree bit for bit) and thread count.

// RowBlock is the number of rows that share one random stream. It is a
// constant of the reproducibility contract: streams depend on (seed, step,
// block) only, never on the thread count.
const RowBlock = 64

// SeedStream re-seeds pcg for the stream (seed, step, block), where block is
// usually a row index divided by RowBlock:
//
//	h  = splitmix64(splitmix64(splitmix64(seed) ^ step) ^ block)
//	pcg.Seed(h, splitmix64(h))
//
// splitmix64 is Steele, Lea and Flood's 64-bit finaliser (golden-ratio
// increment, then the 0xbf58476d1ce4e5b9 / 0x94d049bb133111eb xor-shift
// multiply chain). Chaining it over the three words makes every PCG state
// (both halves) depend on all of them, so nearby seeds, steps or blocks give
// unrelated streams.
func SeedStream(pcg *rand.PCG, seed, step, block uint64) {
	h := splitmix64(splitmix64(splitmix64(seed)^step) ^ block)
	pcg.Seed(h, splitmix64(h))
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Uniforms fills dst with uniforms k·2^-24, k uniform in [0, 2^24), so every
// value is in [0, 1) and exact in float32. Each r.Uint64() gives two values:
// its bits 63..40 go to dst[2i], bits 39..16 to dst[2i+1] (an odd last
// element uses the high bits of one more Uint64).
func Uniforms(r *rand.Rand, dst []float32) {
	n := len(dst) &^ 1
	for i := 0; i < n; i += 2 {
		x := r.Uint64()
		dst[i] = float32(x>>40) * 0x1p-24
		dst[i+1] = float32(x>>16&0xffffff) * 0x1p-24
	}
	if n < len(dst) {
		dst[n] = float32(r.Uint64()>>40) * 0x1p-24
	}
}

// Exponentials fills dst with Exp(1) draws E = -log(U), where U =
// max(k, 1/2)·2^-24 takes the 24-bit integers k of Uniforms (the same bits
// in the same order) and the logarithm is the float32 Cephes logf of expf.go
// (vectorised in assembly, bit-identical in Go). U lies in [2^-25, 1-2^-24],
// so E lies in [5.96e-8, 17.33]: never 0, never +Inf. The draws are discrete
// (24-bit resolution); P(E > x) = e^-x up to 2^-24.
func Exponentials(r *rand.Rand, dst []float32) {
	randomNegLog(current(), r, dst, 1)
}

// Gumbels fills dst with Gumbel(0,1) draws G = -log(E), E the Exp(1) draws
// of Exponentials (same bits, same logarithm applied twice). G lies in
// [-2.86, 16.64]: always finite.
func Gumbels(r *rand.Rand, dst []float32) {
	randomNegLog(current(), r, dst, 2)
}

// negLogChunk bounds one assembly call.
const negLogChunk = 2048

// randomNegLog writes the 24-bit integers of Uniforms into dst as float32
// bit patterns, then lets the kernel turn them into U and apply -log n
// times. Using dst itself as the integer buffer keeps the call free of
// scratch memory (and of allocations).
func randomNegLog(im *impl, r *rand.Rand, dst []float32, n int) {
	for len(dst) > 0 {
		c := dst[:min(len(dst), negLogChunk)]
		dst = dst[len(c):]
		m := len(c) &^ 1
		for i := 0; i < m; i += 2 {
			x := r.Uint64()
			c[i] = math.Float32frombits(uint32(x >> 40))
			c[i+1] = math.Float32frombits(uint32(x>>16) & 0xffffff)
		}
		if m < len(c) {
			c[m] = math.Float32frombits(uint32(r.Uint64() >> 40))
		}
		negLogInts(im, c, n)
	}
}

// negLogInts applies the negLog kernel to the whole vectors of c and its
// Go twin to the rest.
func negLogInts(im *impl, c []float32, n int) {
	v := len(c) / im.w * im.w
	if v > 0 {
		im.negLog(c[:v], n)
	}
	negLogGeneric(c[v:], n)
}

// negLogGeneric is the Go twin of the negLog kernel: each element of dst
// holds the bits of an integer k < 2^24; it becomes U = max(k, 1/2)·2^-24,
// then x -> negLogf32(x) is applied n times.
func negLogGeneric(dst []float32, n int) {
	for i, v := range dst {
		x := max(float32(math.Float32bits(v)), 0.5) * 0x1p-24
		for range n {
			x = negLogf32(x)
		}
		dst[i] = x
	}
}
