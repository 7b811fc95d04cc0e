// Package bench measures the module's hot paths at the shapes the categorical
// VAE really uses, on the machine it runs on: SGEMM at every layer of the
// 8×4 network (forward y = x·Wᵀ, dW = dyᵀ·x, dx = dy·W at batch 100) for
// every kernels implementation and for gonum's pure-Go BLAS, the first
// layer's products on MNIST images with and without skipping their zeros
// (SgemmSparse), the row softmax and fused softmax+sampling at the
// estimators' shapes, the K = 100 estimators' Exp(1) draws from both
// generators, one Forward+Backward of every estimator, and whole
// vae.Trainer steps on MNIST.
//
// Each measurement is a Case: a name such as
// "train/8x4/reinmax-rao/t2", a group, an implementation, a thread count, the
// work of one operation (FLOP, rows or steps) and a set-up function that
// builds its operands. The same cases serve two drivers:
//
//   - Run (and the Kernels, Estimators, TrainSteps shortcuts) times each case
//     with a warm-up and calibration phase followed by the median of a few
//     samples, for the `reinmax bench` command and other programs;
//   - Case.Benchmark runs it under testing.B, for `go test -bench` (see
//     bench_test.go).
//
// Results carry time per operation, a rate (GFLOP/s, rows/s, draws/s or
// steps/s), allocations per operation, the spread of the samples and, where a
// case names a baseline (gonum for SGEMM, the PCG stream for Xoshiro8, st for
// estimators and training steps), the time relative to it.
//
// The summary at the top of BENCHMARKS.md comes from bench/summary.sh, which
// writes `reinmax bench -json` reports and the PyTorch and numpy peers'
// JSON lines (bench/torch_step.py, bench/blas_sgemm.py) into a directory;
// ReadSummaryDir, WriteSummary and ReplaceSummary (`reinmax bench -summary
// DIR -update BENCHMARKS.md`) turn it into markdown.
//
// Timings are as good as the machine is quiet: on a shared machine run few
// cases (Options.Filter) and compare only numbers taken in one session.
// CheckCores tells a busy machine from a quiet one (`reinmax bench` runs it
// before and after the cases and prints both).
// Cases switch kernels implementations with kernels.Use and set GOMAXPROCS for
// gonum, both process-wide, so nothing else may run kernels concurrently with
// Run or with a case's benchmark.
package bench
