package kernels

// Packing helpers of the GEMM driver (gemm.go). Packing only moves floats
// (and multiplies them by alpha, one rounding per element whichever path
// does it), so the vectorised and the Go paths give bitwise identical
// panels; the choice between them changes no result.
//
// Two shapes of work cover every form of op(A) and op(B):
//   - transpose: w stored rows of a matrix become the k-major panel,
//     dst[p*w+i] = alpha*src[i*lds+p] (op(A) not transposed, op(B)
//     transposed), done in groups of 8 rows by transpose8;
//   - scatter: a stored row is already a run of w panel elements, spread
//     to consecutive panels, dst[q*step+i] = alpha*src[q*w+i] (op(A)
//     transposed, op(B) not transposed).

// transpose8 writes dst[p*ldd+r] = alpha*src[r*lds+p] for r < 8 and
// p < cols: the whole 8-column blocks with im's transpose8 (the vectorised
// one of the assembly tables on amd64, the Go twin elsewhere), the rest
// with the Go twin. Slicing src and dst to what the assembly touches makes
// a short buffer panic in Go, not fault in assembly.
func transpose8(im *impl, dst []float32, ldd int, src []float32, lds, cols int, alpha float32) {
	c8 := cols &^ 7
	if c8 > 0 {
		im.transpose8(dst[:(c8-1)*ldd+8], ldd, src[:7*lds+c8], lds, c8, alpha)
	}
	if c8 < cols {
		transpose8Generic(dst[c8*ldd:], ldd, src[c8:], lds, cols-c8, alpha)
	}
}

// transpose8Generic is the Go twin of transpose8AVX2 (the generic table's
// transpose8), for any cols: each step reads one float of every row and
// writes 8 contiguous floats of dst.
func transpose8Generic(dst []float32, ldd int, src []float32, lds, cols int, alpha float32) {
	if cols <= 0 {
		return
	}
	r0 := src[0*lds:][:cols]
	r1 := src[1*lds:][:len(r0)]
	r2 := src[2*lds:][:len(r0)]
	r3 := src[3*lds:][:len(r0)]
	r4 := src[4*lds:][:len(r0)]
	r5 := src[5*lds:][:len(r0)]
	r6 := src[6*lds:][:len(r0)]
	r7 := src[7*lds:][:len(r0)]
	for p := range r0 {
		d := (*[8]float32)(dst[p*ldd:])
		d[0], d[1], d[2], d[3] = alpha*r0[p], alpha*r1[p], alpha*r2[p], alpha*r3[p]
		d[4], d[5], d[6], d[7] = alpha*r4[p], alpha*r5[p], alpha*r6[p], alpha*r7[p]
	}
}

// transposePanel packs w >= 8 stored rows of cols floats (row stride lds)
// into a k-major panel of width w: dst[p*w+i] = alpha*src[i*lds+p]. It runs
// transpose8 over row groups 0-7, 8-15, ...; when w is not a multiple of 8
// the last group is rows w-8..w-1, overlapping the one before it and
// rewriting its shared elements with the same values.
func transposePanel(im *impl, dst []float32, w int, src []float32, lds, cols int, alpha float32) {
	for i0 := 0; ; i0 += 8 {
		g := min(i0, w-8)
		transpose8(im, dst[g:], w, src[g*lds:], lds, cols, alpha)
		if g == w-8 {
			return
		}
	}
}

// scatterGroups spreads n groups of w consecutive floats of src to dst,
// step floats apart, scaled by alpha: dst[q*step+i] = alpha*src[q*w+i].
// alpha = 1 (every product of the VAE) copies without multiplying: x*1 is x
// for every float, so the panels are the same.
func scatterGroups(dst []float32, step int, src []float32, n, w int, alpha float32) {
	switch {
	case n <= 0:
	case w == 6:
		scatter6(dst, step, src, n, alpha)
	case alpha == 1 && w == 16:
		scatter16(dst, step, src, n)
	case alpha == 1 && w == 20:
		scatter20(dst, step, src, n)
	case alpha == 1 && w%4 == 0:
		scatter4s(dst, step, src, n, w)
	default:
		for q := 0; q < n; q++ {
			s := src[q*w:][:w]
			d := dst[q*step:][:w]
			for i, v := range s {
				d[i] = alpha * v
			}
		}
	}
}

// scatter6 spreads n groups of 6 consecutive floats of src to dst, step
// floats apart, scaled by alpha: dst[q*step+i] = alpha*src[q*6+i]. (A leaf
// function, so the loop keeps its few variables in registers.)
func scatter6(dst []float32, step int, src []float32, n int, alpha float32) {
	src = src[:6*n]
	if alpha == 1 {
		// A 4-float and a 2-float array copy: two moves per group.
		for q := 0; q < n; q++ {
			d := dst[q*step:][:6]
			*(*[4]float32)(d) = *(*[4]float32)(src[6*q:])
			*(*[2]float32)(d[4:]) = *(*[2]float32)(src[6*q+4:])
		}
		return
	}
	for q := 0; q < n; q++ {
		s := (*[6]float32)(src[6*q:])
		d := (*[6]float32)(dst[q*step:])
		d[0], d[1], d[2] = alpha*s[0], alpha*s[1], alpha*s[2]
		d[3], d[4], d[5] = alpha*s[3], alpha*s[4], alpha*s[5]
	}
}

// scatter16 spreads n groups of 16 consecutive floats of src to dst, step
// floats apart: dst[q*step+j] = src[q*16+j] (the panels of op(B) not
// transposed, nr = 16). Four-float array copies compile to one 16-byte move
// each, cheaper than a call to memmove.
func scatter16(dst []float32, step int, src []float32, n int) {
	src = src[:16*n]
	for q := 0; q < n; q++ {
		s := src[16*q:][:16]
		d := dst[q*step:][:16]
		*(*[4]float32)(d[0:]) = *(*[4]float32)(s[0:])
		*(*[4]float32)(d[4:]) = *(*[4]float32)(s[4:])
		*(*[4]float32)(d[8:]) = *(*[4]float32)(s[8:])
		*(*[4]float32)(d[12:]) = *(*[4]float32)(s[12:])
	}
}

// scatter20 spreads n groups of 20 consecutive floats of src to dst, step
// floats apart: dst[q*step+i] = src[q*20+i] (the panels of op(A)
// transposed, mr = 20). Five fixed moves per group run 2-3 times faster
// than scatter4s's loop over them.
func scatter20(dst []float32, step int, src []float32, n int) {
	src = src[:20*n]
	for q := 0; q < n; q++ {
		s := src[20*q:][:20]
		d := dst[q*step:][:20]
		*(*[4]float32)(d[0:]) = *(*[4]float32)(s[0:])
		*(*[4]float32)(d[4:]) = *(*[4]float32)(s[4:])
		*(*[4]float32)(d[8:]) = *(*[4]float32)(s[8:])
		*(*[4]float32)(d[12:]) = *(*[4]float32)(s[12:])
		*(*[4]float32)(d[16:]) = *(*[4]float32)(s[16:])
	}
}

// scatter4s spreads n groups of w consecutive floats of src to dst, step
// floats apart, for w a multiple of 4: dst[q*step+i] = src[q*w+i]. Four-
// float array copies compile to one 16-byte move each, cheaper than a call
// to memmove for these short runs.
func scatter4s(dst []float32, step int, src []float32, n, w int) {
	src = src[:w*n]
	for q := 0; q < n; q++ {
		s := src[w*q:][:w]
		d := dst[q*step:][:len(s)]
		for i := 0; i+4 <= len(s); i += 4 {
			*(*[4]float32)(d[i:]) = *(*[4]float32)(s[i:])
		}
	}
}

// packRows6 interleaves 6 rows of kcb floats (row stride lda) into dst,
// dst[p*6+i] = alpha*a[i*lda+p]: the transpose for the 6-row panels of the
// AVX2 table, too narrow for transpose8.
func packRows6(dst, a []float32, lda, kcb int, alpha float32) {
	r0 := a[0*lda:][:kcb]
	r1 := a[1*lda:][:len(r0)]
	r2 := a[2*lda:][:len(r0)]
	r3 := a[3*lda:][:len(r0)]
	r4 := a[4*lda:][:len(r0)]
	r5 := a[5*lda:][:len(r0)]
	dst = dst[:6*len(r0)]
	for p := range r0 {
		d := (*[6]float32)(dst[p*6:])
		d[0], d[1], d[2] = alpha*r0[p], alpha*r1[p], alpha*r2[p]
		d[3], d[4], d[5] = alpha*r3[p], alpha*r4[p], alpha*r5[p]
	}
}
