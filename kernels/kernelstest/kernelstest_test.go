package kernelstest_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/kernels"
	"github.com/discretegrad/reinmax/kernels/kernelstest"
)

func TestForEachImpl(t *testing.T) {
	before := kernels.Active()
	var seen []string
	kernelstest.ForEachImpl(t, func(t *testing.T) {
		seen = append(seen, kernels.Active())
	})
	require.Equal(t, kernels.Available(), seen)
	require.Equal(t, before, kernels.Active(), "the active implementation is restored")
}
