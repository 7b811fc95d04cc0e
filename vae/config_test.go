package vae

import (
	"encoding/json"
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

// TestConfigJSONKeys: config.json and checkpoints write lower-case keys and
// still read the field-name keys of older files.
func TestConfigJSONKeys(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Estimator.K, cfg.Estimator.Tau2 = 7, 0.5
	raw, err := json.Marshal(cfg)
	require.NoError(t, err)
	require.Contains(t, string(raw), `"estimator":{"method":"reinmax","tau":1,"k":7,"alpha":1,"eta":0.7,"tau2":0.5,"noise":"softmax","gap":1}`)
	old := `{"c":8,"l":4,"batch":100,"estimator":{"Method":"reinmax","Tau":1,"K":7,"Alpha":1,"Eta":0.7,"Tau2":0.5,` +
		`"Noise":"softmax","Gap":1},"optimizer":"adam","lr":0.0005,"seed":0,"threads":0,"leaky_relu":false}`
	var back Config
	require.NoError(t, json.Unmarshal([]byte(old), &back))
	require.Equal(t, cfg, back)
}
