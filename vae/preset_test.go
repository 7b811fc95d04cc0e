package vae

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/estimators"
)

func TestPresetForMatchesSpecTable(t *testing.T) {
	for _, tc := range []struct {
		method string
		c, l   int
		want   Preset
	}{
		{"st", 8, 4, Preset{1e-3, 1.3, "adam"}},
		{"reinmax", 8, 4, Preset{5e-4, 1.3, "adam"}},
		{"gs", 8, 4, Preset{3e-4, 0.5, "adam"}},
		{"reinmax-rao", 8, 4, Preset{5e-4, 1.0, "adam"}},   // selected setting, not the placeholder
		{"reinmax-rao-d", 8, 4, Preset{5e-4, 0.7, "adam"}}, // selected setting
		{"reinmax-rao", 4, 24, Preset{5e-4, 0.7, "radam"}},
		{"reinmax-cv", 16, 12, Preset{7e-4, 1.5, "radam"}}, // the reinmax column
		{"gr", 64, 8, Preset{7e-4, 2.0, "adam"}},
		{"st", 10, 30, Preset{7e-3, 1.4, "radam"}},
		{"reinmax-alpha", 32, 32, Preset{5e-4, 1.3, "radam"}},
	} {
		got, err := PresetFor(estimators.Method(tc.method), tc.c, tc.l)
		require.NoError(t, err, "%s %dx%d", tc.method, tc.c, tc.l)
		require.Equal(t, tc.want, got, "%s %dx%d", tc.method, tc.c, tc.l)
	}
}

func TestPresetForEveryEntryIsUsable(t *testing.T) {
	for k, ps := range presets {
		cfg := DefaultConfig()
		cfg.C, cfg.L = k.c, k.l
		cfg.Estimator = estimators.DefaultConfig(k.method)
		cfg.Estimator.Tau = ps.Tau
		cfg.LR, cfg.Optimizer = ps.LR, ps.Optimizer
		require.NoError(t, cfg.WithDefaults().Validate(), "%v", k)
	}
}

func TestPresetForUnknown(t *testing.T) {
	for _, tc := range []struct {
		method string
		c, l   int
	}{{"reinforce", 8, 4}, {"exact", 8, 4}, {"st", 5, 5}, {"reinmax-rao", 32, 32}, {"nope", 8, 4}} {
		_, err := PresetFor(estimators.Method(tc.method), tc.c, tc.l)
		require.Error(t, err)
		require.True(t, errors.Is(err, errkind.Argument))
		require.Contains(t, err.Error(), tc.method)
	}
}
