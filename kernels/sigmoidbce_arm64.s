//go:build !purego && !noasm

#include "textflag.h"
#include "rowmath_arm64.h"

// The NEON sigmoid + binary cross-entropy of the "neon" table; the stub is in
// sigmoidbce_arm64.go. As in elementwise_arm64.s, every NEON float
// instruction is a WORD with its mnemonic in the comment (Go's arm64
// assembler has none), and R18, R27, R28 and R29 are never touched.

// ---------------------------------------------------------------------------
// Fused sigmoid + binary cross-entropy (sigmoidbce.go), four elements per
// iteration, bceElem's operations in its order. The exponential and the
// logarithm need the constant registers V15-V31 in turn, so each vector
// loads the exp constants (neonConsts), the log constants (neonLogConsts)
// and then the per-call constants of k, and keeps its values in V5-V9 and
// V14 across the loads; the float64 lane sums stay in V10-V13.
//
// func bceNEON(dz, z, x []float32, k *[6][4]uint32, acc *[8]float64)
//
// Per element (bceElem): na = -|z|; t = expf32(na); u = 1 + t;
// c = t - (u - 1); q = 1/u; l = c·q - negLogf32(u); near = -l;
// far = max(-100, na - l) (as -100 > x ? -100 : x); S = (u == 1 && z has
// no sign bit) || z <= -88.72...; if S, near = 0 and far = -100;
// lp, l1p = far, near where z has its sign bit, else near, far;
// e = x·lp + (1 - x)·l1p, added in float64 to acc[i%8] (lanes 0-3 for
// even vectors, 4-7 for odd ones); with dz, r = t·q,
// g = (sign ? r - x : (1 - x) - r)·(r·q·1e12 < 1 ? r·q·1e12 : 1), 0 if S,
// and dz = scale·g.
//
// Registers:
//	R0 dz (R9 its length: 0 for no gradient), R1 z, R2 x, R3 k, R4 acc,
//	R5 vectors left, R6 vector parity, R7 constant table pointer
//	V14 z; V5 t, V6 u, V7 c, V8 q, V9 l; V10-V13 acc lanes 0-1, 2-3, 4-5,
//	6-7 (float64); after the logarithm V15 -100, V16 1, V18 1e12, V19
//	-88.72..., V20 scale (k), V21-V29 scratch
TEXT ·bceNEON(SB), NOSPLIT, $0-88
	MOVD dz_base+0(FP), R0
	MOVD dz_len+8(FP), R9
	MOVD z_base+24(FP), R1
	MOVD z_len+32(FP), R5
	MOVD x_base+48(FP), R2
	MOVD k+72(FP), R3
	MOVD acc+80(FP), R4
	VLD1 (R4), [V10.D2, V11.D2, V12.D2, V13.D2]
	LSR  $2, R5, R5
	MOVD ZR, R6
	CBZ  R5, bce_done

bce_loop:
	VLD1.P 16(R1), [V14.S4]
	EXPCONSTS(R7)
	// t = expf32(-|z|)
	WORD $0x4ea0f9c0 // fabs v0.4s, v14.4s
	WORD $0x6ea0f800 // fneg v0.4s, v0.4s
	EXP4
	VORR V2.B16, V2.B16, V5.B16
	// u = 1 + t; c = t - (u - 1); q = 1/u
	WORD $0x4e3ed4a6 // fadd v6.4s, v5.4s, v30.4s
	WORD $0x4ebed4c7 // fsub v7.4s, v6.4s, v30.4s
	WORD $0x4ea7d4a7 // fsub v7.4s, v5.4s, v7.4s
	WORD $0x6e26ffc8 // fdiv v8.4s, v30.4s, v6.4s
	// l = c·q - negLogf32(u)
	LOGCONSTS(R7)
	VORR   V6.B16, V6.B16, V0.B16
	NEGLOG4
	WORD $0x6e28dce9 // fmul v9.4s, v7.4s, v8.4s
	WORD $0x4ea0d529 // fsub v9.4s, v9.4s, v0.4s
	// the per-call constants: -100, 1, (sign), 1e12, -88.72..., scale
	VLD1 (R3), [V15.S4, V16.S4, V17.S4, V18.S4]
	ADD  $64, R3, R7
	VLD1 (R7), [V19.S4, V20.S4]
	// V1 = the sign of z in every bit; near = -l; far = max(-100, na - l)
	WORD $0x4f2105c1 // sshr v1.4s, v14.4s, #31
	WORD $0x4ea0f9c0 // fabs v0.4s, v14.4s
	WORD $0x6ea0f800 // fneg v0.4s, v0.4s
	WORD $0x6ea0f922 // fneg v2.4s, v9.4s
	WORD $0x4ea9d403 // fsub v3.4s, v0.4s, v9.4s
	WORD $0x6ea3e5e4 // fcmgt v4.4s, v15.4s, v3.4s
	WORD $0x6e631de4 // bsl v4.16b, v15.16b, v3.16b
	// S = (u == 1 && no sign) || -88.72... >= z
	WORD $0x4e30e4c3 // fcmeq v3.4s, v6.4s, v16.4s
	WORD $0x4e611c63 // bic v3.16b, v3.16b, v1.16b
	WORD $0x6e2ee675 // fcmge v21.4s, v19.4s, v14.4s
	WORD $0x4eb51c63 // orr v3.16b, v3.16b, v21.16b
	// S: far = -100, near = 0; lp, l1p by the sign
	VORR V3.B16, V3.B16, V21.B16
	WORD $0x6e641df5 // bsl v21.16b, v15.16b, v4.16b
	WORD $0x4e631c42 // bic v2.16b, v2.16b, v3.16b
	VORR V1.B16, V1.B16, V22.B16
	WORD $0x6e621eb6 // bsl v22.16b, v21.16b, v2.16b
	VORR V1.B16, V1.B16, V23.B16
	WORD $0x6e751c57 // bsl v23.16b, v2.16b, v21.16b
	// e = x·lp + (1 - x)·l1p, into the float64 lanes
	VLD1.P 16(R2), [V24.S4]
	WORD $0x4eb8d619 // fsub v25.4s, v16.4s, v24.4s
	WORD $0x6e36df1a // fmul v26.4s, v24.4s, v22.4s
	WORD $0x6e37df3b // fmul v27.4s, v25.4s, v23.4s
	WORD $0x4e3bd75a // fadd v26.4s, v26.4s, v27.4s
	WORD $0x0e617b5b // fcvtl v27.2d, v26.2s
	WORD $0x4e617b5c // fcvtl2 v28.2d, v26.4s
	TBNZ $0, R6, bce_odd
	WORD $0x4e7bd54a // fadd v10.2d, v10.2d, v27.2d
	WORD $0x4e7cd56b // fadd v11.2d, v11.2d, v28.2d
	B    bce_grad

bce_odd:
	WORD $0x4e7bd58c // fadd v12.2d, v12.2d, v27.2d
	WORD $0x4e7cd5ad // fadd v13.2d, v13.2d, v28.2d

bce_grad:
	CBZ R9, bce_next
	// r = t·q; g = sign ? r - x : (1 - x) - r
	WORD $0x6e28dcbb // fmul v27.4s, v5.4s, v8.4s
	WORD $0x4eb8d77c // fsub v28.4s, v27.4s, v24.4s
	WORD $0x4ebbd73d // fsub v29.4s, v25.4s, v27.4s
	VORR V1.B16, V1.B16, V0.B16
	WORD $0x6e7d1f80 // bsl v0.16b, v28.16b, v29.16b
	// f = r·q·1e12, 1 unless f < 1; g = g·f, 0 where S; dz = scale·g
	WORD $0x6e28df7c // fmul v28.4s, v27.4s, v8.4s
	WORD $0x6e32df9c // fmul v28.4s, v28.4s, v18.4s
	WORD $0x6ebce61d // fcmgt v29.4s, v16.4s, v28.4s
	WORD $0x6e701f9d // bsl v29.16b, v28.16b, v16.16b
	WORD $0x6e3ddc00 // fmul v0.4s, v0.4s, v29.4s
	WORD $0x4e631c00 // bic v0.16b, v0.16b, v3.16b
	WORD $0x6e20de80 // fmul v0.4s, v20.4s, v0.4s
	VST1.P [V0.S4], 16(R0)

bce_next:
	EOR  $1, R6, R6
	SUBS $1, R5, R5
	BNE  bce_loop

bce_done:
	VST1 [V10.D2, V11.D2, V12.D2, V13.D2], (R4)
	RET
