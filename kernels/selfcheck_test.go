package kernels

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSelfCheck(t *testing.T) {
	for _, name := range Available() {
		require.NoError(t, SelfCheck(name, 30, 3), name)
	}
	require.ErrorIs(t, SelfCheck("no-such-isa", 1, 1), ErrArgument)
	require.ErrorIs(t, SelfCheck("generic", 0, 1), ErrArgument)
}

// TestSelfCheckCatchesAWrongKernel registers a table whose GEMM
// micro-kernel drops the last k step and checks that SelfCheck reports it.
func TestSelfCheckCatchesAWrongKernel(t *testing.T) {
	broken := *genericImpl
	broken.name = "broken"
	broken.gemm = func(kc int, a, b, c []float32, ldc int, beta float32) {
		genericImpl.gemm(max(kc-1, 0), a, b, c, ldc, beta)
	}
	impls = append(impls, &broken)
	defer func() { impls = impls[:len(impls)-1] }()
	err := SelfCheck("broken", 50, 1)
	require.Error(t, err)
	require.Contains(t, err.Error(), "Sgemm")
}
