//go:build !purego && !noasm

#include "textflag.h"

// The xoshiro steps of xoshiro.go, AVX2 and AVX-512 (VL); the stubs are in
// xoshiro_amd64.go.

// func xoshiro8AVX2(s *[32]uint32, dst []float32)
//
// Registers: AX s, DI dst, CX steps left; Y0-Y3 the state words s0..s3 of
// the eight lanes, Y4-Y6 scratch. One step, as xoshiro128pp:
//
//	r = rotl(s0+s3, 7) + s0; t = s1 << 9
//	s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11)
//	store r >> 8
TEXT ·xoshiro8AVX2(SB), NOSPLIT, $0-32
	MOVQ s+0(FP), AX
	MOVQ dst_base+8(FP), DI
	MOVQ dst_len+16(FP), CX
	SHRQ $3, CX
	JZ   xo_done
	VMOVDQU 0(AX), Y0
	VMOVDQU 32(AX), Y1
	VMOVDQU 64(AX), Y2
	VMOVDQU 96(AX), Y3

xo_loop:
	VPADDD  Y0, Y3, Y4 // s0 + s3
	VPSLLD  $7, Y4, Y5
	VPSRLD  $25, Y4, Y4
	VPOR    Y5, Y4, Y4 // rotl 7
	VPADDD  Y0, Y4, Y4 // r
	VPSRLD  $8, Y4, Y4
	VMOVDQU Y4, (DI)
	VPSLLD  $9, Y1, Y5 // t
	VPXOR   Y0, Y2, Y2 // s2 ^= s0
	VPXOR   Y1, Y3, Y3 // s3 ^= s1
	VPXOR   Y2, Y1, Y1 // s1 ^= s2
	VPXOR   Y3, Y0, Y0 // s0 ^= s3
	VPXOR   Y5, Y2, Y2 // s2 ^= t
	VPSLLD  $11, Y3, Y6
	VPSRLD  $21, Y3, Y3
	VPOR    Y6, Y3, Y3 // rotl 11
	ADDQ    $32, DI
	DECQ    CX
	JNZ     xo_loop

	VMOVDQU Y0, 0(AX)
	VMOVDQU Y1, 32(AX)
	VMOVDQU Y2, 64(AX)
	VMOVDQU Y3, 96(AX)
	VZEROUPPER

xo_done:
	RET

// ---------------------------------------------------------------------------
// func xoshiro8AVX512(s *[32]uint32, dst []float32)
//
// xoshiro8AVX2 (above) with the two rotations as one VPROLD each
// (AVX-512 VL, on YMM registers) instead of two shifts and an or: the same
// eight lanes, the same bits. Registers: AX s, DI dst, CX steps left; Y0-Y3
// the state words s0..s3, Y4, Y5 scratch.
TEXT ·xoshiro8AVX512(SB), NOSPLIT, $0-32
	MOVQ s+0(FP), AX
	MOVQ dst_base+8(FP), DI
	MOVQ dst_len+16(FP), CX
	SHRQ $3, CX
	JZ   x5_done
	VMOVDQU 0(AX), Y0
	VMOVDQU 32(AX), Y1
	VMOVDQU 64(AX), Y2
	VMOVDQU 96(AX), Y3

x5_loop:
	VPADDD  Y0, Y3, Y4 // s0 + s3
	VPROLD  $7, Y4, Y4 // rotl 7
	VPADDD  Y0, Y4, Y4 // r
	VPSRLD  $8, Y4, Y4
	VMOVDQU Y4, (DI)
	VPSLLD  $9, Y1, Y5 // t
	VPXOR   Y0, Y2, Y2 // s2 ^= s0
	VPXOR   Y1, Y3, Y3 // s3 ^= s1
	VPXOR   Y2, Y1, Y1 // s1 ^= s2
	VPXOR   Y3, Y0, Y0 // s0 ^= s3
	VPXOR   Y5, Y2, Y2 // s2 ^= t
	VPROLD  $11, Y3, Y3 // rotl 11
	ADDQ    $32, DI
	DECQ    CX
	JNZ     x5_loop

	VMOVDQU Y0, 0(AX)
	VMOVDQU Y1, 32(AX)
	VMOVDQU Y2, 64(AX)
	VMOVDQU Y3, 96(AX)
	VZEROUPPER

x5_done:
	RET
