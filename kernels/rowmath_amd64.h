// Shared by the AVX2 and AVX-512 assembly files of this package: the names
// of the 8-lane constants in ·rowConsts (rows_amd64.go, whose table fixes
// each index), the vector exp and -log (expf.go's expf32 and negLogf32,
// operation for operation) in 8 and in 16 lanes, and the loads and 4×4
// transpose of an 8-row block. The 16-lane macros read lane 0 of a
// constant with an embedded {1to16} broadcast (.BCST).

#define K_CUTOFF ·rowConsts+0(SB)
#define K_LOG2E ·rowConsts+32(SB)
#define K_C1 ·rowConsts+64(SB)
#define K_C2 ·rowConsts+96(SB)
#define K_EP0 ·rowConsts+128(SB)
#define K_EP1 ·rowConsts+160(SB)
#define K_EP2 ·rowConsts+192(SB)
#define K_EP3 ·rowConsts+224(SB)
#define K_EP4 ·rowConsts+256(SB)
#define K_EP5 ·rowConsts+288(SB)
#define K_ONE ·rowConsts+320(SB)
#define K_NEGINF ·rowConsts+352(SB)
#define K_INF ·rowConsts+384(SB)
#define K_MANT ·rowConsts+416(SB)
#define K_HALF ·rowConsts+448(SB)
#define K_I126 ·rowConsts+480(SB)
#define K_SQRTHF ·rowConsts+512(SB)
#define K_LP0 ·rowConsts+544(SB)
#define K_LP1 ·rowConsts+576(SB)
#define K_LP2 ·rowConsts+608(SB)
#define K_LP3 ·rowConsts+640(SB)
#define K_LP4 ·rowConsts+672(SB)
#define K_LP5 ·rowConsts+704(SB)
#define K_LP6 ·rowConsts+736(SB)
#define K_LP7 ·rowConsts+768(SB)
#define K_LP8 ·rowConsts+800(SB)
#define K_2M24 ·rowConsts+832(SB)
#define K_SIGN ·rowConsts+864(SB)
#define K_MINNORM ·rowConsts+896(SB)
#define K_MAXF ·rowConsts+928(SB)

// The 1e-20 guard of the conditional Gumbel sampler (condgumbel_amd64.go).
#define K_CGEPS8 ·cgEps8+0(SB)

// The constants of the SigmoidBCE kernels (·elemConsts, sigmoidbce_amd64.go).
#define E_M100 ·elemConsts+0(SB)
#define E_NEGT ·elemConsts+32(SB)
#define E_1E12 ·elemConsts+64(SB)

// EXP replaces X by expf32(X) in every lane (expf.go), using K, R, P and M
// as scratch (X holds r after the reduction, R holds r*r):
//
//	M = X < cutoff (LT_OQ: false for NaN)
//	k = round-half-even(X*log2e); r = X - k*c1; r = r - k*c2
//	p = P0; p = p*r + Pi (i = 1..5); y = p*(r*r) + r; y = y + 1
//	X = M ? +0 : y*2^k
//
// y*2^k is formed by adding k<<23 to the bits of y: y is in [0.7, 1.5] and,
// above the cutoff, y*2^k is normal, so this equals the twin's product with
// the float (k+127)<<23 exactly. The mask is applied last, so the garbage
// that huge k give in lanes below the cutoff (and -Inf lanes) never escapes;
// NaN lanes stay NaN.
#define EXP(X, K, R, P, M) \
	VCMPPS       $0x11, K_CUTOFF, X, M; \
	VMULPS       K_LOG2E, X, K; \
	VROUNDPS     $0, K, K; \
	VFNMADD231PS K_C1, K, X; \
	VFNMADD231PS K_C2, K, X; \
	VMOVUPS      K_EP0, P; \
	VFMADD213PS  K_EP1, X, P; \
	VFMADD213PS  K_EP2, X, P; \
	VFMADD213PS  K_EP3, X, P; \
	VFMADD213PS  K_EP4, X, P; \
	VFMADD213PS  K_EP5, X, P; \
	VMULPS       X, X, R; \
	VFMADD213PS  X, R, P; \
	VADDPS       K_ONE, P, P; \
	VCVTPS2DQ    K, K; \
	VPSLLD       $23, K, K; \
	VPADDD       K, P, P; \
	VANDNPS      P, M, X

// NEGLOG replaces X (positive normal in every lane) by negLogf32(X)
// (expf.go), using E, M, T, Z and Y as scratch:
//
//	e = (bits(X)>>23) - 126; m = bits(X)&0x7fffff | bits(0.5)   (X = m*2^e)
//	T = m < sqrt(1/2); e = e - (T & 1); x = (m - 1) + (T & m)
//	z = x*x; y = L0; y = y*x + Li (i = 1..8); y = (y*x)*z
//	y = e*c2 + y; y = y - z*0.5; r = x + y; r = e*c1 + r; X = -r
#define NEGLOG(X, E, M, T, Z, Y) \
	VPSRLD       $23, X, E; \
	VPSUBD       K_I126, E, E; \
	VCVTDQ2PS    E, E; \
	VANDPS       K_MANT, X, M; \
	VORPS        K_HALF, M, M; \
	VCMPPS       $0x11, K_SQRTHF, M, T; \
	VANDPS       K_ONE, T, Z; \
	VSUBPS       Z, E, E; \
	VANDPS       M, T, T; \
	VSUBPS       K_ONE, M, M; \
	VADDPS       T, M, M; \
	VMULPS       M, M, Z; \
	VMOVUPS      K_LP0, Y; \
	VFMADD213PS  K_LP1, M, Y; \
	VFMADD213PS  K_LP2, M, Y; \
	VFMADD213PS  K_LP3, M, Y; \
	VFMADD213PS  K_LP4, M, Y; \
	VFMADD213PS  K_LP5, M, Y; \
	VFMADD213PS  K_LP6, M, Y; \
	VFMADD213PS  K_LP7, M, Y; \
	VFMADD213PS  K_LP8, M, Y; \
	VMULPS       M, Y, Y; \
	VMULPS       Z, Y, Y; \
	VFMADD231PS  K_C2, E, Y; \
	VFNMADD231PS K_HALF, Z, Y; \
	VADDPS       Y, M, Y; \
	VFMADD231PS  K_C1, E, Y; \
	VXORPS       K_SIGN, Y, X

// CGNEGLOG replaces X by cgNegLog(X) (cglanes.go): NEGLOG for a positive
// normal lane, -Inf for +Inf (a masked category of the conditional Gumbel
// sampler), NaN for anything else; V and I hold the lane tests, E, M, T, Z
// and Y are NEGLOG's scratch.
#define CGNEGLOG(X, V, I, E, M, T, Z, Y) \
	VCMPPS    $0x1d, K_MINNORM, X, V; \
	VCMPPS    $0x12, K_MAXF, X, I; \
	VANDPS    I, V, V; \
	VCMPPS    $0x00, K_INF, X, I; \
	NEGLOG(X, E, M, T, Z, Y); \
	VMOVUPS   K_INF, E; \
	VSUBPS    K_INF, E, E; \
	VBLENDVPS I, K_NEGINF, E, E; \
	VBLENDVPS V, X, E, X

// EXP16 replaces X by expf32(X) in each of its 16 lanes, the operations of
// rows_amd64.s's EXP (and so of the twin), using K, R, P as scratch and
// the mask register M:
//
//	M = !(X < cutoff) (NLT_UQ: true for NaN, so NaN lanes keep their NaN)
//	k = round-half-even(X*log2e); r = X - k*c1; r = r - k*c2
//	p = P0; p = p*r + Pi (i = 1..5); y = p*(r*r) + r; y = y + 1
//	X = M ? y*2^k : +0
//
// VRNDSCALEPS $0 is VROUNDPS $0 (nearest even). VSCALEFPS forms y*2^k in
// one operation where EXP adds k<<23 to the bits of y: above the cutoff
// y*2^k is normal, so both give the exact product (and NaN stays NaN).
#define EXP16(X, K, R, P, M) \
	VCMPPS.BCST       $0x15, K_CUTOFF, X, M; \
	VMULPS.BCST       K_LOG2E, X, K; \
	VRNDSCALEPS       $0, K, K; \
	VFNMADD231PS.BCST K_C1, K, X; \
	VFNMADD231PS.BCST K_C2, K, X; \
	VBROADCASTSS      K_EP0, P; \
	VFMADD213PS.BCST  K_EP1, X, P; \
	VFMADD213PS.BCST  K_EP2, X, P; \
	VFMADD213PS.BCST  K_EP3, X, P; \
	VFMADD213PS.BCST  K_EP4, X, P; \
	VFMADD213PS.BCST  K_EP5, X, P; \
	VMULPS            X, X, R; \
	VFMADD213PS       X, R, P; \
	VADDPS.BCST       K_ONE, P, P; \
	VSCALEFPS         K, P, P; \
	VMOVAPS.Z         P, M, X

// NEGLOG16 is NEGLOG in the 16 lanes of a ZMM register, with the same
// values at every step (X is a positive normal float in every lane):
// VGETMANTPS gives m = (X's mantissa)/2 in [1/2, 1), the bits NEGLOG
// builds with an and and an or, and VGETEXPPS the exponent e - 1; the mask
// register KM stands in for NEGLOG's lane mask T (m < sqrt(1/2)), so
// e - (T & 1) becomes (e - 1) + 1 and a masked - 1, and x = (m - 1) +
// (T & m) a masked + m (in an unmasked lane NEGLOG adds +0: neither e nor
// m - 1 is ever -0). x is kept in T; E, M, Z and Y are scratch too.
#define NEGLOG16(X, E, M, T, Z, Y, KM) \
	VGETMANTPS        $2, X, M; \
	VGETEXPPS         X, E; \
	VCMPPS.BCST       $0x11, K_SQRTHF, M, KM; \
	VADDPS.BCST       K_ONE, E, E; \
	VSUBPS.BCST       K_ONE, E, KM, E; \
	VSUBPS.BCST       K_ONE, M, T; \
	VADDPS            M, T, KM, T; \
	VMULPS            T, T, Z; \
	VBROADCASTSS      K_LP0, Y; \
	VFMADD213PS.BCST  K_LP1, T, Y; \
	VFMADD213PS.BCST  K_LP2, T, Y; \
	VFMADD213PS.BCST  K_LP3, T, Y; \
	VFMADD213PS.BCST  K_LP4, T, Y; \
	VFMADD213PS.BCST  K_LP5, T, Y; \
	VFMADD213PS.BCST  K_LP6, T, Y; \
	VFMADD213PS.BCST  K_LP7, T, Y; \
	VFMADD213PS.BCST  K_LP8, T, Y; \
	VMULPS            T, Y, Y; \
	VMULPS            Z, Y, Y; \
	VFMADD231PS.BCST  K_C2, E, Y; \
	VFNMADD231PS.BCST K_HALF, Z, Y; \
	VADDPS            Y, T, Y; \
	VFMADD231PS.BCST  K_C1, E, Y; \
	VPXORD.BCST       K_SIGN, Y, X

// CGNEGLOG16 is CGNEGLOG in 16 lanes: NEGLOG16 for a positive normal lane,
// -Inf for +Inf, NaN (the default NaN of Inf - Inf, as in CGNEGLOG) for
// anything else. The mask registers KV and KI hold the lane tests and KM is
// NEGLOG16's; E, M, T, Z and Y are scratch.
#define CGNEGLOG16(X, KV, KI, KM, E, M, T, Z, Y) \
	VCMPPS.BCST  $0x1d, K_MINNORM, X, KV; \
	VCMPPS.BCST  $0x12, K_MAXF, X, KI; \
	KANDW        KI, KV, KV; \
	VCMPPS.BCST  $0x00, K_INF, X, KI; \
	NEGLOG16(X, E, M, T, Z, Y, KM); \
	VBROADCASTSS K_INF, E; \
	VSUBPS.BCST  K_INF, E, E; \
	VBROADCASTSS K_NEGINF, KI, E; \
	VMOVAPS      X, KV, E; \
	VMOVAPS      E, X

// TRANSPOSE4 turns A, B, C, D, each holding 4 consecutive floats of rows
// (i, i+4) for i = 0..3 in its (low, high) half, into the four columns,
// lane l = row l, using T0-T3 as scratch: within each 128-bit half it is
// the classic 4x4 transpose.
#define TRANSPOSE4(A, B, C, D, T0, T1, T2, T3) \
	VUNPCKLPS B, A, T0; \
	VUNPCKHPS B, A, T1; \
	VUNPCKLPS D, C, T2; \
	VUNPCKHPS D, C, T3; \
	VSHUFPS   $0x44, T2, T0, A; \
	VSHUFPS   $0xee, T2, T0, B; \
	VSHUFPS   $0x44, T3, T1, C; \
	VSHUFPS   $0xee, T3, T1, D

// LOAD4 loads 4 floats at off of rows 0..3 (at LO + k·S) and of rows 4..7
// (at HI + k·S) into Y0-Y3, row k in the low half and row k+4 in the high
// half, the input of TRANSPOSE4; S3 = 3·S.
#define LOAD4(off, LO, HI, S, S3) \
	VMOVUPS     off(LO), X0; \
	VINSERTF128 $1, off(HI), Y0, Y0; \
	VMOVUPS     off(LO)(S*1), X1; \
	VINSERTF128 $1, off(HI)(S*1), Y1, Y1; \
	VMOVUPS     off(LO)(S*2), X2; \
	VINSERTF128 $1, off(HI)(S*2), Y2, Y2; \
	VMOVUPS     off(LO)(S3*1), X3; \
	VINSERTF128 $1, off(HI)(S3*1), Y3, Y3
