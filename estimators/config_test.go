package estimators_test

import (
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/estimators"
)

// TestMethodParams: which parameters each method reads, the one table that
// run names, sweeps and reports rely on.
func TestMethodParams(t *testing.T) {
	P := func(ps ...estimators.Param) []estimators.Param { return ps }
	for m, want := range map[estimators.Method][]estimators.Param{
		estimators.ST: nil, estimators.GS: nil, estimators.ReinMax: nil, estimators.Reinforce: nil, estimators.Exact: nil,
		estimators.GR: P(estimators.ParamK), estimators.ReinMaxRao: P(estimators.ParamK), estimators.ReinMaxRaoD: P(estimators.ParamK),
		estimators.ReinMaxCV:    P(estimators.ParamK, estimators.ParamEta, estimators.ParamTau2, estimators.ParamNoise),
		estimators.ReinMaxAlpha: P(estimators.ParamAlpha), estimators.GST: P(estimators.ParamGap),
		"magic": nil,
	} {
		require.Equal(t, want, m.Params(), m)
		for _, p := range []estimators.Param{estimators.ParamK, estimators.ParamEta, estimators.ParamTau2,
			estimators.ParamNoise, estimators.ParamAlpha, estimators.ParamGap} {
			require.Equal(t, slices.Contains(want, p), m.Reads(p), "%s %s", m, p)
		}
	}
}

func TestMethodsAndDefaults(t *testing.T) {
	want := []string{"st", "gs", "gr", "gst", "reinmax", "reinmax-alpha", "reinmax-rao", "reinmax-rao-d", "reinmax-cv", "reinforce", "exact"}
	require.Equal(t, want, estimators.MethodNames())
	ms := estimators.Methods()
	require.Len(t, ms, len(want))
	for i, m := range ms {
		require.Equal(t, want[i], string(m))
		require.True(t, m.Valid(), m)
	}
	ms[0] = "changed"
	require.Equal(t, estimators.ST, estimators.Methods()[0], "Methods returns a fresh slice")
	require.False(t, estimators.Method("magic").Valid())
	for _, m := range want {
		c := estimators.DefaultConfig(estimators.Method(m))
		require.NoError(t, c.Validate(), m)
		require.Equal(t, estimators.Config{Method: estimators.Method(m), Tau: 1, K: 100, Alpha: 1, Eta: 0.7, Noise: "softmax", Gap: 1}, c)
		est, err := estimators.New(c, 3, 4)
		require.NoError(t, err)
		c.Tau2 = 1 // resolved by WithDefaults
		require.Equal(t, c, est.Config())
	}
	// Tau2 follows a Tau changed after DefaultConfig.
	c0 := estimators.DefaultConfig("reinmax-cv")
	c0.Tau = 0.5
	require.Equal(t, 0.5, c0.WithDefaults().Tau2)
	// WithDefaults leaves Method, Tau and Eta alone (Eta = 0 is meaningful) and ties Tau2 to Tau.
	c := estimators.Config{Method: "reinmax-cv", Tau: 0.5}.WithDefaults()
	require.Equal(t, estimators.Config{Method: "reinmax-cv", Tau: 0.5, K: 100, Alpha: 1, Eta: 0, Tau2: 0.5, Noise: "softmax", Gap: 1}, c)
	est, err := estimators.New(estimators.Config{Method: "reinmax-cv", Tau: 2, Tau2: 0.3, K: 7, Noise: "gumbel"}, 2, 3)
	require.NoError(t, err)
	require.Equal(t, estimators.Config{Method: "reinmax-cv", Tau: 2, K: 7, Alpha: 1, Eta: 0, Tau2: 0.3, Noise: "gumbel", Gap: 1}, est.Config())
}

func TestValidateErrors(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	ok := estimators.DefaultConfig("reinmax-cv")
	cases := []struct {
		mod      func(c *estimators.Config)
		sentinel error
		mention  string
	}{
		{func(c *estimators.Config) { c.Method = "reinmax2" }, errkind.Argument, `Method "reinmax2"`},
		{func(c *estimators.Config) { c.Method = "" }, errkind.Argument, "Method"},
		{func(c *estimators.Config) { c.Tau = 0 }, errkind.Temperature, "Tau=0"},
		{func(c *estimators.Config) { c.Tau = -1 }, errkind.Temperature, "Tau=-1"},
		{func(c *estimators.Config) { c.Tau = nan }, errkind.Temperature, "Tau=NaN"},
		{func(c *estimators.Config) { c.Tau = inf }, errkind.Temperature, "Tau=+Inf"},
		{func(c *estimators.Config) { c.Tau = 1e-50 }, errkind.Temperature, "Tau=1e-50"},
		{func(c *estimators.Config) { c.Tau2 = -0.5 }, errkind.Temperature, "Tau2=-0.5"},
		{func(c *estimators.Config) { c.K = -3 }, errkind.Argument, "K=-3"},
		{func(c *estimators.Config) { c.Alpha = -0.5 }, errkind.Argument, "Alpha=-0.5"},
		{func(c *estimators.Config) { c.Alpha = nan }, errkind.Argument, "Alpha=NaN"},
		{func(c *estimators.Config) { c.Alpha = 1e-40 }, errkind.Argument, "1/(2*Alpha)"},
		{func(c *estimators.Config) { c.Eta = -0.1 }, errkind.Argument, "Eta=-0.1"},
		{func(c *estimators.Config) { c.Eta = inf }, errkind.Argument, "Eta=+Inf"},
		{func(c *estimators.Config) { c.Noise = "gaussian" }, errkind.Argument, `Noise="gaussian"`},
		{func(c *estimators.Config) { c.Gap = -1 }, errkind.Argument, "Gap=-1"},
	}
	for _, tc := range cases {
		c := ok
		tc.mod(&c)
		err := c.Validate()
		require.ErrorIs(t, err, tc.sentinel, tc.mention)
		require.Contains(t, err.Error(), tc.mention)
		_, err = estimators.New(c, 4, 4)
		require.ErrorIs(t, err, tc.sentinel, tc.mention)
		require.Contains(t, err.Error(), "estimators.New")
	}
	// Zero optional fields are fine through New (it applies WithDefaults).
	_, err := estimators.New(estimators.Config{Method: "gr", Tau: 0.5}, 4, 4)
	require.NoError(t, err)
	// Sizes.
	_, err = estimators.New(ok, 0, 4)
	require.ErrorIs(t, err, errkind.Shape)
	require.Contains(t, err.Error(), "maxRows=0")
	_, err = estimators.New(ok, 4, 1)
	require.ErrorIs(t, err, errkind.Shape)
	require.Contains(t, err.Error(), "cols=1")
	big := ok
	big.K = 1 << 20
	_, err = estimators.New(big, 1<<10, 1<<10)
	require.ErrorIs(t, err, errkind.Shape)
}

func TestParseMethods(t *testing.T) {
	allowed := []estimators.Method{estimators.ST, estimators.GS, estimators.ReinMax}
	ms, err := estimators.ParseMethods(" reinmax, st ,reinmax,", allowed)
	require.NoError(t, err)
	require.Equal(t, []estimators.Method{estimators.ReinMax, estimators.ST}, ms, "order given, each once")
	ms, err = estimators.ParseMethods("gs,all", allowed)
	require.NoError(t, err)
	require.Equal(t, []estimators.Method{estimators.GS, estimators.ST, estimators.ReinMax}, ms)

	_, err = estimators.ParseMethods("st,nope", allowed)
	require.ErrorIs(t, err, errkind.Argument)
	require.ErrorContains(t, err, `unknown method "nope" (choose from st, gs, reinmax)`)
	_, err = estimators.ParseMethods("exact", allowed)
	require.ErrorContains(t, err, `"exact" is not available here`)
	_, err = estimators.ParseMethods(" , ", allowed)
	require.ErrorIs(t, err, errkind.Argument)
}
