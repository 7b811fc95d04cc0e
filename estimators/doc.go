// Package estimators implements gradient estimators for one-hot categorical
// samples. Each row of a [rows, cols] logit matrix θ is one categorical
// variable with π = softmax(θ); Forward draws a one-hot D per row and
// returns (D, π); Backward maps g = ∂Loss/∂D and g_p = ∂Loss/∂π to
// ∂Loss/∂θ. J(p)v = p⊙v − p(pᵀv) and center(x) = x − mean(x).
//
// docs/estimators.md, in the repository, gives each method's math as this
// package computes it, its parameters and defaults, and the paper it comes
// from; the sections named below are sections of that file.
//
// Methods (Config.Method):
//
//   - "st": straight-through (Bengio, Léonard & Courville 2013). D ~ Cat(π);
//     the backward treats D as p_τ = softmax(θ/τ): J(p_τ)g/τ + J(π)g_p.
//   - "gs": straight-through Gumbel-softmax (Jang, Gu & Poole 2017; Maddison,
//     Mnih & Teh 2017). D = onehot(argmax(θ + G)) with Gumbel noise G; the
//     backward differentiates y = softmax((θ + G)/τ): J(y)g/τ + J(π)g_p.
//   - "gr": Gumbel-Rao (Paulus, Maddison & Krause 2021). ST-GS
//     Rao-Blackwellised over the Gumbel noise given D: the Jacobian is
//     averaged over K conditional Gumbel samples of θ + G with argmax D.
//   - "gst": gapped straight-through (Fan et al. 2022). The softmax is taken
//     at gapped logits that put the sampled category at max θ and cap the
//     others at max θ − gap; its ST part is centred.
//   - "reinmax": ReinMax (Liu et al. 2023). A second-order (Heun) estimate,
//     center(2J(s)g + J(π)(g_p − g/2)) with s = (p_τ + D)/2; unbiased for
//     quadratic losses at τ = 1.
//   - "reinmax-alpha": the RK2 family ReinMax(α) of Wang & Bui (2026) as
//     their code computes it (section "reinmax-alpha"); α = 1 is ReinMax.
//     For linear losses at τ = 1 its expectation is (2 − 1/α) times the
//     exact gradient, so the midpoint (α = ½) and Ralston (α = ⅔) members
//     are degenerate.
//   - "reinmax-rao", "reinmax-rao-d": ReinMax-Rao (Wang & Bui 2026), ReinMax
//     with its Jacobian Rao-Blackwellised by K conditional Gumbel samples:
//     gumbel_ST (default) at the logits log((π + D)/2), or gumbel_D, which
//     averages J((π + softmax(θ̃/τ))/2) over conditional samples θ̃ of θ.
//   - "reinmax-cv": ReinMax-CV (Wang & Bui 2026), ReinMax at τ = 1 plus η
//     times a Gumbel-Rao-minus-Gumbel-softmax control variate at τ2; D =
//     onehot(argmax(θ + G)). As in the authors' code (section "reinmax-cv"),
//     its control variate does not have zero conditional mean, so it is
//     biased.
//   - "reinforce": the score function (Williams 1992), f(D)(D − π) +
//     J(π)g_p with f(D) given by SetRowLoss.
//   - "exact": the exact gradient of Σ_z Π_l q_l(z_l) f(z) by enumerating all
//     C^L codes (f given by SetCodeLoss), computed in float64.
//
// Numerics (section "Numerical details"). Everything but exact is computed
// in float32, matching the golden vectors of testdata/estimators.json within
// 1e-5 + 1e-4·|grad| of their float64 values. The conditional Gumbel
// sampler subtracts max φ before exponentiating, which its consumers'
// softmax does not notice (section "The conditional Gumbel sampler"). A -Inf
// logit is a masked category: probability 0, never sampled, and an exactly
// zero gradient; the final center of the ReinMax family then averages over
// the active categories only (the plain center when nothing is masked).
// In ReinMax-Rao and ReinMax-CV, s = (π + D)/2 is 0 where π underflows; log 0
// = -Inf is then treated as a masked category of the conditional sampler (it
// gets probability 0), so gradients stay finite for logits of ±1e4.
//
// Randomness and threads (section "Random streams and threads"). Forward
// draws the noise of row block b (kernels.RowBlock rows) from
// kernels.SeedStream(seed, stream, b), and Backward from a kernels.Xoshiro8
// (eight vectorised xoshiro128++ lanes, for the K·cols draws per row of the
// repeat methods) seeded with (seed, stream, b|1<<63); work is split over
// the same fixed blocks, so results are bitwise identical for any
// kernels.Workspace thread count. Across architectures only the kernels
// promise the same bits: Go compiles some of this package's
// float32 arithmetic into fused multiply-adds on arm64 (not on amd64), so
// arm64 results can differ from amd64 ones in the last bits. The K-repeat
// estimators work one batch row at a time, so that its K·cols values stay in
// cache: they draw the row's K·cols Exp(1) values (kernels.Xoshiro8) and
// reduce them to the row's average Jacobian product: for fewer than 32
// categories, kernels.CondGumbelAvgJTau at any temperature (a sample per
// vector lane); otherwise kernels.CondGumbelAvgJ at τ = 1 (no log, no exp),
// or kernels.CondGumbelLogits, one kernels.SoftmaxRows call over the K rows
// and kernels.AvgJacobian. reinmax-rao-d, which needs the probabilities
// themselves, always takes the last route.
//
// Testing hooks. BackwardWithNoise runs the same backward with every random
// quantity given (index, G, E), as the bwd_* functions of
// fidelity/reference.py (the PyTorch cross-check) do; the golden tests use
// it.
package estimators
