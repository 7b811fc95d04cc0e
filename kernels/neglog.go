package kernels

import "math"

// NegLog replaces every x[i] by -log(x[i]) in float32. Positive normal
// values use the vectorised Cephes logarithm of the random draws (expf.go,
// within 1 ulp, the same bits on every path); the rest follow math.Log:
// 0 gives +Inf, +Inf gives -Inf, subnormals their exact logarithm, and
// negative values and NaN give NaN. It is total, so it needs no error and
// allocates nothing.
func NegLog(x []float32) {
	negLogFloats(current(), x)
}

func negLogFloats(im *impl, x []float32) {
	for len(x) >= im.w {
		done := im.negLogF(x[:len(x)/im.w*im.w])
		x = x[done:]
		// The kernel stops at a vector holding a special value: the twin
		// takes that vector, then the kernel resumes.
		n := min(im.w, len(x))
		negLogFloatsGeneric(x[:n])
		x = x[n:]
	}
	negLogFloatsGeneric(x)
}

// negLogNormalsGeneric is the Go twin of the negLogF kernels (the generic
// table's negLogF): negLogf32 of the positive normal values and -Inf for
// +Inf, from the start up to the first other value, which it leaves
// untouched; it returns the number of elements done.
func negLogNormalsGeneric(x []float32) int {
	for i, v := range x {
		switch {
		case v >= 0x1p-126 && v <= math.MaxFloat32:
			x[i] = negLogf32(v)
		case v > math.MaxFloat32:
			x[i] = float32(math.Inf(-1))
		default:
			return i
		}
	}
	return len(x)
}

// negLogFloatsGeneric is NegLog's scalar path, for every value: the twin
// of negLogNormalsGeneric where that applies, math.Log's results for the
// rest.
func negLogFloatsGeneric(x []float32) {
	for i, v := range x {
		if v >= 0x1p-126 && v <= math.MaxFloat32 {
			x[i] = negLogf32(v)
		} else {
			x[i] = float32(-math.Log(float64(v)))
		}
	}
}
