// Package nn holds the small neural-network toolkit of the categorical VAE:
// affine layers with PyTorch's default initialisation, ReLU and leaky ReLU,
// the fused sigmoid + binary cross-entropy loss, and the Adam and RAdam
// optimisers, all on top of package kernels.
//
// Conventions:
//
//   - Matrices are row-major []float32 with explicit rows and columns; a batch
//     of rows examples of width n is a rows×n matrix.
//   - All parameters of a model live in one contiguous Params.Data slice and
//     all their gradients in one Params.Grad slice. Layers hold views
//     (Tensor.Data, Tensor.Grad) into them, so an optimiser updates a whole
//     model in one pass over two flat vectors, and a checkpoint is two copies.
//   - Outputs and scratch are owned by the caller and passed in; after the
//     first call nothing here allocates.
//   - Errors name the function, the argument and the numbers, and wrap the
//     error categories of package errkind (errkind.Shape, errkind.Argument,
//     errkind.NonFinite) for errors.Is.
//   - Work is split over threads only in fixed-size pieces of independent
//     outputs (rows of a loss, chunks of the parameter vector), so every
//     result is bitwise identical for any kernels.Workspace thread count.
package nn
