package estimators_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/kernels"
)

// TestGolden checks every golden case: |got − grad64| <= 1e-5 + 1e-4·|grad64|
// elementwise (the float32 tolerance of golden/README.md), on one and two
// threads.
func TestGolden(t *testing.T) {
	gf := loadGolden(t)
	require.Len(t, gf.Cases, 73)
	abs, rel := gf.Meta.Tolerance.Abs, gf.Meta.Tolerance.Rel
	require.Equal(t, 1e-5, abs)
	require.Equal(t, 1e-4, rel)
	ws2 := kernels.NewWorkspace(2)
	defer ws2.Close()
	seen := map[string]bool{}
	worst := 0.0
	for i := range gf.Cases {
		c := &gf.Cases[i]
		seen[c.Estimator] = true
		want := flat64(c.Grad64)
		got := runGolden(t, c, nil)
		require.Len(t, got, len(want))
		for j, w := range want {
			d := math.Abs(float64(got[j]) - w)
			bound := abs + rel*math.Abs(w)
			worst = max(worst, d/bound)
			require.LessOrEqualf(t, d, bound, "%s: element [%d][%d] got %v want %v", c.ID, j/c.C, j%c.C, got[j], w)
		}
		got2 := runGolden(t, c, ws2)
		require.Equal(t, got, got2, "%s: threads 1 vs 2", c.ID)
	}
	for _, m := range []string{"st", "gs", "gr", "gst", "reinmax", "reinmax-alpha", "reinmax-rao", "reinmax-rao-d", "reinmax-cv", "reinforce"} {
		require.True(t, seen[m], "no golden case for %s", m)
	}
	t.Logf("largest error: %.3g of the tolerance", worst)
}
