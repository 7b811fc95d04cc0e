package experiment

import (
	"encoding/json"

	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/vae"
)

// Canonical resets the estimator parameters that c's method does not read
// (K for gr, reinmax-rao, reinmax-rao-d and reinmax-cv; eta, tau2 and noise
// for reinmax-cv; alpha for reinmax-alpha; gap for gst) to their defaults,
// fills the zero "use the default" fields, writes tau2 = tau as 0 and
// clears Threads, so that two configurations that train identically compare
// equal.
func Canonical(c vae.Config) vae.Config {
	c = c.WithDefaults()
	c.Threads = 0
	e := &c.Estimator
	d := estimators.DefaultConfig(e.Method)
	switch e.Method {
	case "gr", "reinmax-rao", "reinmax-rao-d", "reinmax-cv":
	default:
		e.K = d.K
	}
	if e.Method != "reinmax-cv" {
		e.Eta, e.Tau2, e.Noise = d.Eta, e.Tau, d.Noise
	}
	if e.Tau2 == e.Tau {
		e.Tau2 = 0
	}
	if e.Method != "reinmax-alpha" {
		e.Alpha = d.Alpha
	}
	if e.Method != "gst" {
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
