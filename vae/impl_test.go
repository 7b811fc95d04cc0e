package vae

import (
	"testing"

	"github.com/discretegrad/reinmax/kernels"
	"github.com/discretegrad/reinmax/kernels/kernelstest"
	"github.com/stretchr/testify/require"
)

// TestKernelPaths: one training step and an evaluation on every kernel
// implementation this CPU has (kernelstest.ForEachImpl) give losses within
// float rounding of the generic path's.
func TestKernelPaths(t *testing.T) {
	type result struct {
		step StepStats
		eval EvalStats
	}
	got := map[string]result{}
	kernelstest.ForEachImpl(t, func(t *testing.T) {
		tr := newTestTrainer(t, smallConfig("reinmax-cv"), 16, 8)
		st, err := tr.Step()
		require.NoError(t, err)
		ev, err := tr.Evaluate()
		require.NoError(t, err)
		got[kernels.Active()] = result{st, ev}
	})
	base, ok := got["generic"]
	require.True(t, ok, "generic path missing from %v", kernels.Available())
	require.Len(t, got, len(kernels.Available()))
	if len(got) == 1 {
		t.Logf("only the generic kernels are available here")
	}
	for name, r := range got {
		require.InDelta(t, base.step.Loss, r.step.Loss, 1e-4*base.step.Loss, name)
		require.InDelta(t, base.step.KLD, r.step.KLD, 1e-4, name)
		require.InDelta(t, base.eval.Loss, r.eval.Loss, 1e-4*base.eval.Loss, name)
	}
}
