// Package diag holds the research diagnostics of the estimator comparison,
// as computations that any program can import (no plotting; the only files
// it reads are the checkpoints it is asked to measure):
//
//   - Gradient quality (docs/estimators.md, "Gradient-quality metrics"):
//     Moments accumulates S draws of an estimator's gradient (count, sum and
//     sum of squares in float64) and compares their mean and spread with
//     the exact gradient: relative bias
//     with respect to the exact gradient and to the estimate, relative
//     standard deviation, cosine similarity, norms and the mean variance per
//     coordinate (Metrics). Moments.Draw takes the draws from any Sampler,
//     for example a vae.GradProbe. GradStat runs the whole measurement of
//     reinmax gradstat: for each model (a fresh one, or a checkpoint of a
//     series over training) the exact gradient on a fixed batch and the
//     metrics of every estimator, in a GradStatReport.
//   - The polynomial-programming toy task (docs/estimators.md, "The
//     polynomial toy task"): Poly trains θ ∈ R^{L×2} shared across a batch
//     of independent samples on mean_b Σ_l |z_l − 0.45|^p / L with Adam
//     and one estimator, or with the exact gradient J(π)F, and reports the
//     final loss (RunPoly).
//
// Everything is deterministic for a seed, whatever the thread count of the
// kernels.Workspace: draws come from kernels.SeedStream streams named by
// (seed, stream) and every reduction runs in a fixed order.
package diag
