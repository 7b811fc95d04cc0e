// Package kernels holds the numerical inner loops of the estimators and the
// VAE: single-precision GEMM (Sgemm, and SgemmSparse for an operand of
// mostly zeros), row softmax (SoftmaxRows), categorical sampling
// (SampleRows, SoftmaxSampleRows, GumbelMaxRows), reproducible random
// streams (SeedStream, Uniforms, Exponentials, Gumbels, and the vectorised
// bulk generator Xoshiro8), a vectorised float32 -log (NegLog), the
// conditional-Gumbel kernels of the Rao-Blackwellised estimators
// (CondGumbelLogits, the fused Jacobian averages CondGumbelAvgJ and
// CondGumbelAvgJTau, and AvgJacobian) and the elementwise helpers of the
// layers and optimisers (Axpy, Scale, AddBias, SumRows, Relu, ReluBackward,
// SigmoidBCE, AdamStep, RAdamStep, AllFinite).
//
// # Data and shapes
//
// Every matrix is float32, row-major: element (r, c) of a rows×cols matrix
// is x[r*ld + c], with ld = cols unless a leading-dimension argument says
// otherwise (only Sgemm takes them). Only the first rows*cols elements (or
// the elements of the ld layout) are read or written; slices may be longer.
// No function assumes any alignment.
//
// # Aliasing
//
// SoftmaxRows and SoftmaxSampleRows may work in place (dst, or pi, the same
// slice as the input); Relu and ReluBackward may too (y = x, dx = dy). Any
// other overlap between an input and an output, or between two outputs, is
// not allowed. Sgemm's C must not overlap A or B.
//
// # Errors
//
// Functions that can fail return an error wrapping exactly one of ErrShape,
// ErrNonFinite, ErrTemperature or ErrArgument (test with errors.Is); the
// message names the function, the argument and the numbers, and for
// row-wise failures the first failing row. Shape errors are found before
// any work is done, so outputs are untouched; after a row error the outputs
// are unspecified. The elementwise helpers have no error result: a slice
// shorter than their documented length panics with a message naming the
// function and the lengths. No function reads or writes out of bounds.
//
// # Workspaces, threads, determinism
//
// A Workspace holds reusable scratch and a pool of workers; with a reused
// workspace (or a nil one, which means one thread and pooled scratch) the
// steady state allocates nothing. Work is split over output rows (softmax,
// sampling) or output tiles (Sgemm) only, never over a reduction, and every
// row or tile is computed the same way wherever it runs, so results are
// bitwise identical for any number of threads. The package keeps no random
// generator: callers own *rand.Rand values over *rand.PCG sources and
// re-seed them per (seed, step, block) with SeedStream, or Xoshiro8 values
// seeded per (seed, step, block) with their Seed method.
//
// # Implementations
//
// Each inner loop exists as a pure-Go twin (always compiled, the reference)
// and as assembly (on amd64 generated from the descriptions in _asm, on
// arm64 hand-written):
//   - AVX2+FMA on amd64: everything, the loss, optimiser and layer helpers,
//     NegLog, Xoshiro8 and the conditional-Gumbel kernels included;
//   - AVX-512 (F, VL) where the CPU has it: SGEMM, the row softmax, the
//     log-heavy kernels (the −log of the random draws, the
//     conditional-Gumbel logits, CondGumbelAvgJTau at τ ≠ 1, SigmoidBCE)
//     and the Adam and RAdam updates; the rest of this "avx512" table is
//     the AVX2 routines, and both give the same bits;
//   - NEON on arm64: GEMM, softmax, sampling, the random draws and Xoshiro8,
//     the conditional-Gumbel kernels (CondGumbelAvgJ and AvgJacobian for C
//     a multiple of 8), SigmoidBCE, the Adam and RAdam updates, the layer
//     helpers and AllFinite.
//
// The best implementation the CPU supports is chosen once at start-up with
// golang.org/x/sys/cpu (Active reports it, Available lists them); force the
// twins with -tags purego (or noasm), with GODEBUG=cpu.avx2=off (step down
// to AVX2 with GODEBUG=cpu.avx512f=off), or with Use("generic"). The
// assembly never sees ragged ends: rows whose length is not a multiple of 8
// floats are copied into padded workspace blocks (pads -Inf for softmax, 0
// for probabilities), which changes no result; the conditional-Gumbel row
// kernels instead mask the last vector of a row (VMASKMOVPS, or a mask
// register in AVX-512), and CondGumbelAvgJTau puts one sample in each lane.
//
// # Softmax: algorithm and measured accuracy
//
// SoftmaxRows computes, per row, m = max_j x_j, e_j = exp((x_j - m)·(1/tau))
// and p_j = e_j·(1/Σe), with the lane accumulators and reduction tree of an
// 8-wide vector (softmax.go). exp is Cephes expf with FMA (expf.go): k =
// round-half-even(x·log2 e), a Cody–Waite reduction with ln 2 = 0.693359375 -
// 2.12194440e-4, the degree-5 Cephes polynomial in Horner form, scaling by
// 2^k in the exponent bits, and exactly 0 below x = -87.3 (which covers -Inf
// and keeps every result normal). Measured on this package's tests:
//
//   - exp: at most 0.99 ulp from math.Exp over a strided sweep of all float32
//     in [-87.3, 0] (TestExpf32Ulp).
//   - softmax vs a float64 softmax(x/tau), logits N(0, 4²), tau in {0.1,
//     0.5, 1, 1.3, 10}, rows of 2 to 1024: maximum relative error 8.7e-7 for
//     probabilities above 1e-3, 1.6e-6 above 1e-7, 7.2e-6 above 1e-30 (the
//     error grows with |x - m|/tau through the float32 rounding of the scaled
//     logit); rows sum to 1 within 1e-6; the tests also hold every path to
//     rtol 2e-6 + atol 1e-7 on rows with ±88, ±1e4 and 1e30 differences
//     (TestSoftmaxMeasuredError, TestSoftmaxRows).
//   - assembly vs Go twin: bit-identical (0 ulp measured). The assembly
//     performs the twin's operations in the twin's order, and the twin
//     emulates each FMA exactly (fma32 rounds once, resolving the rare
//     double-rounding case of a float64 computation), so the two agree bit
//     for bit; the tests allow 2 ulp.
//
// # Sampling
//
// SampleRows draws by inverse CDF with partial sums added strictly in column
// order in float32 and the first j with c_j > u·total (sample.go), so a
// zero-probability category is never drawn and every implementation returns
// the same index for the same inputs. SoftmaxSampleRows fuses the softmax and
// the draw; since its probabilities are bit-identical across
// implementations, so are its indices.
//
// # Random numbers
//
// SeedStream's mixing, the 24-bit uniforms (two per Uint64) and the float32
// logarithm of Exponentials and Gumbels are part of the reproducibility
// contract (rng.go): the same stream gives the same numbers on every machine
// and implementation (the logarithm is within 0.82 ulp of math.Log,
// TestNegLogf32). Exponential draws are never 0 or +Inf. NegLog applies the
// same logarithm to any float32 slice (the conditional-Gumbel logits of the
// estimators); 0, ±Inf, subnormals, negative values and NaN get math.Log's
// answer.
//
// Xoshiro8 is for bulk noise (the K·C exponentials per row of the repeat
// estimators): eight xoshiro128++ generators, one per AVX2 lane, give
// 24-bit draws about seven times faster than a PCG (docs/benchmarks-journal.md), with the
// same transforms to uniforms, exponentials and Gumbels. Its output order
// and seeding are part of the contract too (xoshiro.go).
//
// # Loss and optimisers
//
// SigmoidBCE follows PyTorch's binary_cross_entropy on sigmoid outputs,
// including the clamp of the logs at -100 where PyTorch's float32 p
// saturates, in float32 with the exp and log above and per-lane float64
// loss sums in a fixed order (sigmoidbce.go); AdamStep and RAdamStep follow
// torch.optim.Adam and RAdam in one fused pass (adam.go); AllFinite is the
// vectorised finiteness check the trainer runs before applying a step
// (finite.go).
package kernels
