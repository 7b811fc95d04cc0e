package experiment

import (
	"encoding/json"

	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/vae"
)

// Canonical resets the estimator parameters that c's method does not read
// (estimators.Method.Params) to their defaults, fills the zero "use the
// default" fields, writes tau2 = tau as 0 and clears Threads, so that two
// configurations that train identically compare equal.
func Canonical(c vae.Config) vae.Config {
	c = c.WithDefaults()
	c.Threads = 0
	e := &c.Estimator
	d := estimators.DefaultConfig(e.Method)
	reads := e.Method.Reads
	if !reads(estimators.ParamK) {
		e.K = d.K
	}
	if !reads(estimators.ParamEta) {
		e.Eta = d.Eta
	}
	if !reads(estimators.ParamTau2) {
		e.Tau2 = e.Tau
	}
	if !reads(estimators.ParamNoise) {
		e.Noise = d.Noise
	}
	if e.Tau2 == e.Tau {
		e.Tau2 = 0
	}
	if !reads(estimators.ParamAlpha) {
		e.Alpha = d.Alpha
	}
	if !reads(estimators.ParamGap) {
		e.Gap = d.Gap
	}
	return c
}

// SameRun reports whether a and b train identically (whatever their
// Threads).
func SameRun(a, b vae.Config) bool { return Canonical(a) == Canonical(b) }

// describe is a configuration as one line of JSON, for error messages.
func describe(c vae.Config) string {
	raw, err := json.Marshal(Canonical(c))
	if err != nil {
		return err.Error()
	}
	return string(raw)
}
