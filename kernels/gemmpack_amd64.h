// Shared by the GEMM packing kernels of avx512_amd64.s and kernels_amd64.s
// (func(kc int, a, b []float32, ldb int, pb, c []float32, ldc int, beta
// float32), B not transposed).

// PACKARGS loads the arguments: CX kc, SI a, R10 b, DI pb, DX c; R8 = ldc
// and R11 = ldb in bytes, R12 = 2·ldb, R13 = 3·ldb, R14 = 4·ldb.
#define PACKARGS \
	MOVQ kc+0(FP), CX; \
	MOVQ a_base+8(FP), SI; \
	MOVQ b_base+32(FP), R10; \
	MOVQ ldb+56(FP), R11; \
	MOVQ pb_base+64(FP), DI; \
	MOVQ c_base+88(FP), DX; \
	MOVQ ldc+112(FP), R8; \
	SHLQ $2, R8; \
	SHLQ $2, R11; \
	LEAQ (R11)(R11*1), R12; \
	LEAQ (R12)(R11*1), R13; \
	LEAQ (R11*4), R14
