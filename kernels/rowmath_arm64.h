// Shared by the NEON assembly files of this package: the exp and -log of
// expf.go (expf32 and negLogf32) on the four lanes of a vector, operation for
// operation, as single dependency chains. The operand order of the WORD
// instructions is in the comments of rows_arm64.s, where the two-chain
// forms (negLogRowsNEON, softmaxRowsNEON) spell every instruction out.

// LOGCONSTS loads neonLogConsts (NEGLOG4's constants) into V15-V31 through
// the pointer register R; EXPCONSTS loads neonConsts (EXP4's) into V20-V31.
// The two banks overlap, so a kernel that needs both reloads one.
#define LOGCONSTS(R) \
	MOVD   $·neonLogConsts(SB), R; \
	VLD1.P 64(R), [V15.S4, V16.S4, V17.S4, V18.S4]; \
	VLD1.P 64(R), [V19.S4, V20.S4, V21.S4, V22.S4]; \
	VLD1.P 64(R), [V23.S4, V24.S4, V25.S4, V26.S4]; \
	VLD1.P 64(R), [V27.S4, V28.S4, V29.S4, V30.S4]; \
	VLD1   (R), [V31.S4]

#define EXPCONSTS(R) \
	MOVD   $·neonConsts(SB), R; \
	VLD1.P 64(R), [V20.S4, V21.S4, V22.S4, V23.S4]; \
	VLD1.P 64(R), [V24.S4, V25.S4, V26.S4, V27.S4]; \
	VLD1   (R), [V28.S4, V29.S4, V30.S4, V31.S4]

// NEGLOG4 replaces V0 (a positive normal float in every lane) by
// negLogf32(V0), using V1-V4 as scratch and the constants of neonLogConsts
// in V15-V31:
//
//	e = float32(exponent - 126) (V1); m = the mantissa in [1/2, 1) (V2)
//	m < √½ (V3): e = e - 1, x = (m - 1) + m; else x = (m - 1) + 0
//	z = x·x (V4); y = L0; y = fma(y, x, Li), i = 1..8
//	y = (y·x)·z; y = fma(e, c2, y); y = fma(-z, 1/2, y)
//	V0 = -fma(e, c1, x + y)
#define NEGLOG4 \
	VUSHR $23, V0.S4, V1.S4; \
	VSUB V17.S4, V1.S4, V1.S4; \
	WORD $0x4e21d821; \
	VAND V18.B16, V0.B16, V2.B16; \
	VORR V15.B16, V2.B16, V2.B16; \
	WORD $0x6ea2e663; \
	VAND V31.B16, V3.B16, V4.B16; \
	WORD $0x4ea4d421; \
	VAND V2.B16, V3.B16, V3.B16; \
	WORD $0x4ebfd440; \
	WORD $0x4e23d400; \
	WORD $0x6e20dc04; \
	VORR V21.B16, V21.B16, V2.B16; \
	VFMLA V20.S4, V0.S4, V2.S4; \
	VORR V22.B16, V22.B16, V3.B16; \
	VFMLA V2.S4, V0.S4, V3.S4; \
	VORR V23.B16, V23.B16, V2.B16; \
	VFMLA V3.S4, V0.S4, V2.S4; \
	VORR V24.B16, V24.B16, V3.B16; \
	VFMLA V2.S4, V0.S4, V3.S4; \
	VORR V25.B16, V25.B16, V2.B16; \
	VFMLA V3.S4, V0.S4, V2.S4; \
	VORR V26.B16, V26.B16, V3.B16; \
	VFMLA V2.S4, V0.S4, V3.S4; \
	VORR V27.B16, V27.B16, V2.B16; \
	VFMLA V3.S4, V0.S4, V2.S4; \
	VORR V28.B16, V28.B16, V3.B16; \
	VFMLA V2.S4, V0.S4, V3.S4; \
	WORD $0x6e20dc63; \
	WORD $0x6e24dc63; \
	VFMLA V30.S4, V1.S4, V3.S4; \
	VFMLS V15.S4, V4.S4, V3.S4; \
	WORD $0x4e23d400; \
	VFMLA V29.S4, V1.S4, V0.S4; \
	WORD $0x6ea0f800

// EXP4 puts expf32(V0) in V2, using V1, V3 and V4 as scratch and the
// constants of neonConsts in V20-V31 (V0 is kept):
//
//	k = round-half-even(x·log2e) (V1); r = fma(-k, c1, x); r = fma(-k, c2, r)
//	p = P0; p = fma(p, r, Pi), i = 1..5; y = fma(p, r·r, r) + 1
//	y = y·float32((k+127)<<23); 0 where x < cutoff (not for NaN)
#define EXP4 \
	WORD $0x6e35dc01; \
	WORD $0x4e218821; \
	VORR V0.B16, V0.B16, V2.B16; \
	VFMLS V22.S4, V1.S4, V2.S4; \
	VFMLS V23.S4, V1.S4, V2.S4; \
	VORR V25.B16, V25.B16, V3.B16; \
	VFMLA V24.S4, V2.S4, V3.S4; \
	VORR V26.B16, V26.B16, V4.B16; \
	VFMLA V3.S4, V2.S4, V4.S4; \
	VORR V27.B16, V27.B16, V3.B16; \
	VFMLA V4.S4, V2.S4, V3.S4; \
	VORR V28.B16, V28.B16, V4.B16; \
	VFMLA V3.S4, V2.S4, V4.S4; \
	VORR V29.B16, V29.B16, V3.B16; \
	VFMLA V4.S4, V2.S4, V3.S4; \
	WORD $0x6e22dc44; \
	VFMLA V3.S4, V4.S4, V2.S4; \
	WORD $0x4e3ed442; \
	WORD $0x4ea1b821; \
	VADD V31.S4, V1.S4, V1.S4; \
	VSHL $23, V1.S4, V1.S4; \
	WORD $0x6e21dc42; \
	WORD $0x6ea0e681; \
	WORD $0x4e611c42

// CGNEGLOG4 puts cgNegLog(V0) in V6: negLogf32 where V0 is a positive
// normal float, -Inf where it is +Inf (a masked category), NaN (Inf - Inf)
// otherwise. V7 and V8 hold the lane tests, V11-V14 the constants 2^-126,
// MaxFloat32, +Inf and -Inf of neonCGConsts; NEGLOG4's registers as there.
//
//	valid = a >= 2^-126 && MaxFloat32 >= a (fcmge: false for NaN)
//	inf = a == +Inf; special = inf ? -Inf : NaN; V6 = valid ? -log a : special
#define CGNEGLOG4 \
	WORD $0x6e2be406; \
	WORD $0x6e20e587; \
	VAND V7.B16, V6.B16, V6.B16; \
	WORD $0x4e2de408; \
	NEGLOG4; \
	WORD $0x4eadd5a7; \
	WORD $0x6e671dc8; \
	WORD $0x6e681c06
