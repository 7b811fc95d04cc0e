// Shared by the AVX2 and AVX-512 GEMM kernels of gemm_amd64.s: the
// argument loads of the packing kernels (func(kc int, a, b []float32, ldb
// int, pb, c []float32, ldc int, beta float32), B not transposed) and of
// the step-list kernels (func(idx []int32, a, b, c []float32, ldc int,
// beta float32)).

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

// IDXARGS loads the arguments: R9 idx, CX len(idx), R10 a, R11 b, DX c;
// R8 = ldc in bytes.
#define IDXARGS \
	MOVQ idx_base+0(FP), R9; \
	MOVQ idx_len+8(FP), CX; \
	MOVQ a_base+24(FP), R10; \
	MOVQ b_base+48(FP), R11; \
	MOVQ c_base+72(FP), DX; \
	MOVQ ldc+96(FP), R8; \
	SHLQ $2, R8
