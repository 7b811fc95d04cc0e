package vae

// LastBatch returns the training-set indices of the examples of the last
// Step and the one-hot sample D it drew for them (len(indices)·L·C values,
// row b·L + l holding latent l of example b), for cross-checks with other
// implementations: feeding the same batch and the same D to the PyTorch
// reference must reproduce the step. Both slices are views into the
// trainer's buffers, valid until the next call that changes its state;
// nil before the first Step.
func (t *Trainer) LastBatch() (indices []int32, d []float32) {
	if t.step == 0 || t.lastN == 0 {
		return nil, nil
	}
	spe := t.StepsPerEpoch()
	lo := ((t.step - 1) % spe) * t.cfg.Batch
	return t.perm[lo : lo+t.lastN], t.buf.d[:t.lastN*t.buf.lc]
}
