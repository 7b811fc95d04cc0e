package experiment

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/estimators"
)

func TestGridSet(t *testing.T) {
	g := DefaultGrid()
	require.NoError(t, g.Set("methods", "st, reinmax-cv"))
	require.NoError(t, g.Set("seeds", "0-2,7"))
	require.NoError(t, g.Set("lr", "5e-4,1e-3"))
	require.NoError(t, g.Set("K", "20,100"))
	require.NoError(t, g.Set("noise", "softmax"))
	require.Equal(t, []estimators.Method{estimators.ST, estimators.ReinMaxCV}, g.Methods)
	require.Equal(t, Seeds{0, 1, 2, 7}, g.Seeds)
	require.Equal(t, []float64{5e-4, 1e-3}, g.LR)
	require.Equal(t, []int{20, 100}, g.K)
	require.Equal(t, []string{"softmax"}, g.Noise)
	require.NoError(t, g.Set("lr", ""))
	require.Nil(t, g.LR, "an empty list clears the field")

	require.ErrorIs(t, g.Set("lr", "5e-4,fast"), errkind.Argument)
	require.ErrorContains(t, g.Set("K", "1.5"), `"1.5" is not an integer`)
	require.ErrorIs(t, g.Set("epochs", "3"), errkind.Argument, "not a list field")
	require.Error(t, g.Set("seeds", "5-3"))
	for _, key := range GridLists {
		if key == "seeds" {
			require.Error(t, g.Set(key, ""), "a run needs a seed")
			continue
		}
		require.NoError(t, g.Set(key, ""), key)
	}
}

func TestReadGrid(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	require.NoError(t, os.WriteFile(good, []byte(`{"methods": ["gr"], "seeds": "3-4", "epochs": 7}`), 0o644))
	g, err := ReadGrid(good)
	require.NoError(t, err)
	require.Equal(t, []estimators.Method{estimators.GR}, g.Methods)
	require.Equal(t, Seeds{3, 4}, g.Seeds)
	require.Equal(t, 7, g.Epochs)
	require.Equal(t, DefaultGrid().Configs, g.Configs, "fields the file leaves out keep their defaults")

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"method": ["gr"]}`), 0o644))
	_, err = ReadGrid(bad)
	require.ErrorContains(t, err, "method")
	_, err = ReadGrid(filepath.Join(dir, "missing.json"))
	require.Error(t, err)
}
