package vae

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCodeCount: exact up to MaxExactCodes, and past it the count stops
// growing instead of overflowing (64^8 or 65536^65536 would wrap an int).
func TestCodeCount(t *testing.T) {
	for _, tc := range []struct {
		c, l, n int
		ok      bool
	}{{8, 4, 4096, true}, {2, 14, MaxExactCodes, true}, {2, 15, 2 * MaxExactCodes, false}, {10, 5, 100000, false}} {
		n, ok := CodeCount(tc.c, tc.l)
		require.Equal(t, tc.ok, ok, "%d^%d", tc.c, tc.l)
		require.Equal(t, tc.n, n, "%d^%d", tc.c, tc.l)
	}
	for _, s := range [][2]int{{64, 8}, {1 << 16, 1 << 16}} {
		n, ok := CodeCount(s[0], s[1])
		require.False(t, ok)
		require.Greater(t, n, MaxExactCodes)
		require.LessOrEqual(t, n, MaxExactCodes*s[0], "saturated after one factor past the bound")
	}
}
