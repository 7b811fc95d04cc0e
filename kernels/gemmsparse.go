package kernels

import (
	"fmt"
	"math"
)

// Sparse products: SgemmSparse and the step lists its micro-kernel
// (impl.gemmIdx) runs over. The driver (gemm.go) lists the steps of each
// packed panel of the sparse operand and runs every tile but a panel's
// packing one over its list.

// Sparsity names the operand of SgemmSparse that holds many exact zeros.
type Sparsity int

const (
	// Dense: neither operand is expected to hold many zeros (Sgemm).
	Dense Sparsity = iota
	// SparseA: op(A) holds many zeros, such as a batch of images.
	SparseA
	// SparseB: op(B) holds many zeros.
	SparseB
)

// SgemmSparse is Sgemm for products where one operand, named by sp, holds
// many exact zeros (±0): the first layer of a network on MNIST, whose
// pixels are 81% zeros, in its forward product (SparseA) and its weight
// gradient dW = dYᵀ·X (SparseB). Per micro-tile and k-block it lists the k
// steps where the sparse operand's packed panel holds a nonzero and skips
// the others, whose products would each add ±0 to an accumulator; a tile's
// steps are the union over its rows (SparseA) or columns (SparseB), so the
// saving is the fraction of k steps that are zero across a whole tile.
// A tile whose other panel holds an Inf or NaN runs every step, so that
// 0·Inf still gives NaN.
//
// The result is bitwise Sgemm's for any thread count, with one exception:
// an element that comes out zero may have the other sign. Adding a zero
// product turns an accumulator's -0 into +0, which a skipped product does
// not, and an accumulator is -0 only after products below float32's
// normal range (2^-126) rounded to -0; the VAE's never do. Every table has
// the step-list kernel (AVX-512, AVX2, NEON and the Go twin). An sp other
// than Dense, SparseA and SparseB is an error wrapping ErrArgument.
func SgemmSparse(ws *Workspace, sp Sparsity, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) error {
	if sp < Dense || sp > SparseB {
		return fmt.Errorf("kernels.SgemmSparse: sparsity %d is not Dense, SparseA or SparseB: %w", sp, ErrArgument)
	}
	return sgemmSparse(current(), ws, sp, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// scanA prepares the np panels of A that worker w has just packed: their
// step lists for SparseA, whether each is finite for SparseB (a tile
// whose A panel is not runs every step of B's list, so 0·Inf gives NaN).
func (g *gemmScratch) scanA(w *gemmWorker, np int) {
	r := &g.run
	im := r.im
	mr, kc := im.mr, im.kc
	switch r.sparse {
	case SparseA:
		w.bits = grow(w.bits, kc*mr/32+2)
		w.steps = grow(w.steps, np*r.k)
		w.stepsLen = grow(w.stepsLen, np*ceilDiv(r.k, kc))
		for pc := 0; pc < r.k; pc += kc {
			kcb := min(kc, r.k-pc)
			listSteps(im, w.bits, w.steps[pc*np:], w.stepsLen[pc/kc*np:], w.pa[pc*np*mr:], np, kcb, mr)
		}
	case SparseB:
		w.paFinite = grow(w.paFinite, np*ceilDiv(r.k, kc))
		for pc := 0; pc < r.k; pc += kc {
			kcb := min(kc, r.k-pc)
			for q := range np {
				w.paFinite[pc/kc*np+q] = allFinite(im, w.pa[pc*np*mr+q*kcb*mr:][:kcb*mr])
			}
		}
	}
}

// stepsPay is the largest fraction of a k-block's steps, in eighths, for
// which a step list replaces the plain kernel.
const stepsPay = 7

// listSteps writes, for each of the n packed panels of kcb steps of width
// (<= 32) floats in pk (one after the other), the steps that hold a value
// other than ±0 to steps[q*kcb:], in order, and their count to
// stepsLen[q]; -1 when more than stepsPay eighths of the steps are listed
// (the plain kernel then runs them all). bits is scratch of at least
// kcb*width/32 + 2 words.
func listSteps(im *impl, bits []uint32, steps, stepsLen []int32, pk []float32, n, kcb, width int) {
	mask := uint64(1)<<width - 1
	for q := range n {
		nw := nonzeroBits(im, bits, pk[q*kcb*width:][:kcb*width])
		bits[nw] = 0 // a step's two words may reach one past the end
		list := steps[q*kcb:][:kcb]
		cnt := 0
		for p := range kcb {
			lo := p * width
			nz := (uint64(bits[lo>>5]) | uint64(bits[lo>>5+1])<<32) >> (lo & 31) & mask
			// Branch-free: whether a step is listed follows the data
			// and would mispredict.
			list[cnt] = int32(p)         // overwritten unless listed
			cnt += int((nz | -nz) >> 63) // 1 when a value is not ±0
		}
		if cnt*8 > kcb*stepsPay {
			cnt = -1
		}
		stepsLen[q] = int32(cnt)
	}
}

// nonzeroBits sets bit i%32 of bits[i/32] when x[i] is not ±0 (NaN
// included), for every i < len(x), and returns the number of words
// written, ⌈len(x)/32⌉.
func nonzeroBits(im *impl, bits []uint32, x []float32) int {
	n := len(x) &^ 31
	if n > 0 {
		im.nonzero(x[:n], bits[:n/32])
	}
	nonzeroBitsGeneric(x[n:], bits[n/32:])
	return (len(x) + 31) / 32
}

// nonzeroBitsGeneric is the Go twin of impl.nonzero (the generic table's
// nonzero), for any len(x): it writes the first ⌈len(x)/32⌉ words of bits.
func nonzeroBitsGeneric(x []float32, bits []uint32) {
	nw := (len(x) + 31) / 32
	for w := range nw {
		var word uint32
		for i, v := range x[w*32 : min(w*32+32, len(x))] {
			b := math.Float32bits(v) << 1 // drop the sign: ±0 -> 0
			word |= (b | -b) >> 31 << i
		}
		bits[w] = word
	}
}
