package kernels

// finiteBlock bounds one assembly call of AllFinite (style guide 7.4); a
// multiple of 8.
const finiteBlock = 1 << 16

// AllFinite reports whether x holds no NaN and no ±Inf. It is the guard
// before an optimiser step (a non-finite gradient would poison the
// moments); single-threaded, allocation-free, read-only.
func AllFinite(x []float32) bool { return allFinite(current(), x) }

func allFinite(im *impl, x []float32) bool {
	n8 := len(x) &^ 7
	for lo := 0; lo < n8; lo += finiteBlock {
		if !im.finite(x[lo:min(lo+finiteBlock, n8)]) {
			return false
		}
	}
	return finiteGeneric(x[n8:])
}

// finiteGeneric is the Go twin of impl.finite: v - v is +0 for every
// finite v and NaN otherwise, and NaN survives the sums; four accumulators
// keep the loop free of a long dependency chain.
func finiteGeneric(x []float32) bool {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] - x[i]
		s1 += x[i+1] - x[i+1]
		s2 += x[i+2] - x[i+2]
		s3 += x[i+3] - x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] - x[i]
	}
	return s0+s1+s2+s3 == 0
}
