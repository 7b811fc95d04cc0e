//go:build !purego && !noasm

#include "textflag.h"

// NEON xoshiro steps (xoshiro.go) of the "neon" table, integer operations
// only; the stub is in xoshiro_arm64.go.

// ---------------------------------------------------------------------------
// Xoshiro8 (xoshiro.go): one step of the eight xoshiro128++ lanes per
// iteration, lanes 0-3 in the first vector of each state word and 4-7 in
// the second, integer operations only.
//
// func xoshiro8NEON(s *[32]uint32, dst []float32)
//
// XSTEP4 advances the four lanes of S0..S3 (state words s0..s3) and leaves
// their outputs >> 8 in R, using T as scratch:
//
//	r = rotl(s0+s3, 7) + s0; t = s1 << 9
//	s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11)
#define XSTEP4(S0, S1, S2, S3, R, T) \
	VADD  S3.S4, S0.S4, R.S4; \
	VSHL  $7, R.S4, T.S4; \
	VUSHR $25, R.S4, R.S4; \
	VORR  T.B16, R.B16, R.B16; \
	VADD  S0.S4, R.S4, R.S4; \
	VUSHR $8, R.S4, R.S4; \
	VSHL  $9, S1.S4, T.S4; \
	VEOR  S0.B16, S2.B16, S2.B16; \
	VEOR  S1.B16, S3.B16, S3.B16; \
	VEOR  S2.B16, S1.B16, S1.B16; \
	VEOR  S3.B16, S0.B16, S0.B16; \
	VEOR  T.B16, S2.B16, S2.B16; \
	VSHL  $11, S3.S4, T.S4; \
	VUSHR $21, S3.S4, S3.S4; \
	VORR  T.B16, S3.B16, S3.B16

// Registers: R0 s, R1 dst, R2 steps left; V0-V7 the state (s0 lanes 0-3,
// 4-7 in V0, V1; s1 in V2, V3; s2 in V4, V5; s3 in V6, V7), V8, V9 the
// outputs, V10, V11 scratch.
TEXT ·xoshiro8NEON(SB), NOSPLIT, $0-32
	MOVD s+0(FP), R0
	MOVD dst_base+8(FP), R1
	MOVD dst_len+16(FP), R2
	LSR  $3, R2, R2
	CBZ  R2, xo_done
	VLD1 (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	ADD  $64, R0, R3
	VLD1 (R3), [V4.S4, V5.S4, V6.S4, V7.S4]

xo_loop:
	XSTEP4(V0, V2, V4, V6, V8, V10)
	XSTEP4(V1, V3, V5, V7, V9, V11)
	VST1.P [V8.S4, V9.S4], 32(R1)
	SUBS   $1, R2, R2
	BNE    xo_loop

	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R0)
	VST1 [V4.S4, V5.S4, V6.S4, V7.S4], (R3)

xo_done:
	RET
