package estimators

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/discretegrad/reinmax/errkind"
)

// Config selects and parameterises one estimator. Zero values of optional
// fields mean "default" (see WithDefaults); Eta is the exception: 0 is a
// legal value, so WithDefaults never touches it and DefaultConfig sets 0.7.
//
// Its JSON keys are lower case, like the rest of a run's files; JSON written
// with the field names (older versions) reads the same, since encoding/json
// matches keys without regard to case.
type Config struct {
	Method Method  `json:"method"` // one of Methods()
	Tau    float64 `json:"tau"`    // temperature, finite and > 0 (required; DefaultConfig sets 1)
	K      int     `json:"k"`      // conditional-Gumbel repeats for gr, reinmax-rao, reinmax-rao-d, reinmax-cv; 0 => 100; must be >= 1
	Alpha  float64 `json:"alpha"`  // reinmax-alpha; 0 => 1; must be finite and > 0
	Eta    float64 `json:"eta"`    // reinmax-cv weight; finite and >= 0; 0 is legal (ReinMax at tau 1); DefaultConfig sets 0.7
	Tau2   float64 `json:"tau2"`   // reinmax-cv temperature of the control variate; 0 => Tau
	Noise  string  `json:"noise"`  // reinmax-cv: "softmax" (default, "" => softmax) or "gumbel"
	Gap    float64 `json:"gap"`    // gst; 0 => 1.0; must be finite and > 0
}

// Defaults of the optional fields (docs/estimators.md, "Parameters and
// defaults").
const (
	DefaultK     = 100
	DefaultAlpha = 1.0
	DefaultEta   = 0.7
	DefaultGap   = 1.0
	DefaultNoise = NoiseSoftmax
)

// ReinMax-CV noise modes (docs/estimators.md, "reinmax-cv"): the vector
// added to log s in the GS term is the soft Gumbel-softmax sample
// (NoiseSoftmax, what the authors' code computes) or the raw forward Gumbel
// noise (NoiseGumbel).
const (
	NoiseSoftmax = "softmax"
	NoiseGumbel  = "gumbel"
)

// method is the internal, switchable form of Config.Method.
type method int

const (
	mST method = iota
	mGS
	mGR
	mGST
	mReinMax
	mReinMaxAlpha
	mReinMaxRao
	mReinMaxRaoD
	mReinMaxCV
	mReinforce
	mExact
)

// Method names an estimator; its text form (JSON, flags, run names) is the
// name itself.
type Method string

// The estimators (see the package documentation for each one's math).
const (
	ST           Method = "st"            // straight-through
	GS           Method = "gs"            // straight-through Gumbel-softmax
	GR           Method = "gr"            // Gumbel-Rao
	GST          Method = "gst"           // gapped straight-through
	ReinMax      Method = "reinmax"       // ReinMax (Heun's method)
	ReinMaxAlpha Method = "reinmax-alpha" // the Runge-Kutta family ReinMax(α)
	ReinMaxRao   Method = "reinmax-rao"   // Rao-Blackwellised ReinMax
	ReinMaxRaoD  Method = "reinmax-rao-d" // ReinMax-Rao with the conditional sample as D
	ReinMaxCV    Method = "reinmax-cv"    // ReinMax with a Gumbel-softmax control variate
	Reinforce    Method = "reinforce"     // REINFORCE (score function)
	Exact        Method = "exact"         // the exact gradient by enumeration
)

var methodNames = [...]Method{
	mST:           ST,
	mGS:           GS,
	mGR:           GR,
	mGST:          GST,
	mReinMax:      ReinMax,
	mReinMaxAlpha: ReinMaxAlpha,
	mReinMaxRao:   ReinMaxRao,
	mReinMaxRaoD:  ReinMaxRaoD,
	mReinMaxCV:    ReinMaxCV,
	mReinforce:    Reinforce,
	mExact:        Exact,
}

// Methods returns every method in a stable order (a fresh slice).
func Methods() []Method {
	out := make([]Method, len(methodNames))
	copy(out, methodNames[:])
	return out
}

// MethodNames is Methods as strings, for flag help and messages.
func MethodNames() []string {
	out := make([]string, len(methodNames))
	for i, m := range methodNames {
		out[i] = string(m)
	}
	return out
}

// ParseMethods parses a comma list of methods ("st,reinmax", or "all" for
// every method of allowed, in its order), keeping allowed's members only,
// in the order given, each once. An unknown name, a method outside allowed
// and an empty list are errors wrapping errkind.Argument.
func ParseMethods(list string, allowed []Method) ([]Method, error) {
	var out []Method
	add := func(m Method) {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	for _, s := range strings.Split(list, ",") {
		m := Method(strings.TrimSpace(s))
		switch {
		case m == "":
		case m == "all":
			for _, a := range allowed {
				add(a)
			}
		case !slices.Contains(allowed, m):
			format := "unknown method %q (choose from %s): %w"
			if m.Valid() {
				format = "%q is not available here (choose from %s): %w"
			}
			return nil, fmt.Errorf(format, m, JoinMethods(allowed), errkind.Argument)
		default:
			add(m)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no method in %q (choose from %s): %w", list, JoinMethods(allowed), errkind.Argument)
	}
	return out, nil
}

// JoinMethods is "a, b, c".
func JoinMethods(ms []Method) string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = string(m)
	}
	return strings.Join(names, ", ")
}

// Valid reports whether m is one of Methods().
func (m Method) Valid() bool {
	_, ok := parseMethod(m)
	return ok
}

// Param names an estimator parameter of Config beyond Method and Tau.
type Param string

// The parameters, by their flag names.
const (
	ParamK     Param = "K"     // Config.K
	ParamEta   Param = "eta"   // Config.Eta
	ParamTau2  Param = "tau2"  // Config.Tau2
	ParamNoise Param = "noise" // Config.Noise
	ParamAlpha Param = "alpha" // Config.Alpha
	ParamGap   Param = "gap"   // Config.Gap
)

// Params lists the parameters that m reads, in a fixed order; none for an
// unknown method. The others do not change its numbers.
func (m Method) Params() []Param {
	pm, ok := parseMethod(m)
	switch {
	case !ok:
		return nil
	case pm == mReinMaxCV:
		return []Param{ParamK, ParamEta, ParamTau2, ParamNoise}
	case pm.repeats():
		return []Param{ParamK}
	case pm == mReinMaxAlpha:
		return []Param{ParamAlpha}
	case pm == mGST:
		return []Param{ParamGap}
	}
	return nil
}

// Reads reports whether m reads the parameter p.
func (m Method) Reads(p Param) bool { return slices.Contains(m.Params(), p) }

func parseMethod(name Method) (method, bool) {
	for i, n := range methodNames {
		if n == name {
			return method(i), true
		}
	}
	return 0, false
}

// repeats reports whether the method draws K conditional-Gumbel repeats.
func (m method) repeats() bool {
	return m == mGR || m == mReinMaxRao || m == mReinMaxRaoD || m == mReinMaxCV
}

// gumbelForward reports whether the forward is D = onehot(argmax(θ + G))
// (gs, reinmax-cv) rather than an inverse-CDF draw from Cat(π).
func (m method) gumbelForward() bool { return m == mGS || m == mReinMaxCV }

// DefaultConfig returns the configuration of method with every default
// filled: Tau = 1, K = 100, Alpha = 1, Eta = 0.7, Noise = "softmax",
// Gap = 1. Tau2 stays 0, which means "equal to Tau" (ReinMax-CV's default), so
// that changing Tau afterwards moves Tau2 with it; WithDefaults resolves it.
// An unknown method is kept as given; Validate reports it.
func DefaultConfig(method Method) Config {
	return Config{Method: method, Tau: 1, K: DefaultK, Alpha: DefaultAlpha, Eta: DefaultEta, Noise: DefaultNoise, Gap: DefaultGap}
}

// WithDefaults returns c with zero optional fields replaced by their
// defaults: K 0 => 100, Alpha 0 => 1, Tau2 0 => Tau, Noise "" => "softmax",
// Gap 0 => 1. Method, Tau and Eta are never changed (Eta = 0 is a legal
// ReinMax-CV weight, not "unset"). Negative or invalid values are kept for
// Validate to report.
func (c Config) WithDefaults() Config {
	if c.K == 0 {
		c.K = DefaultK
	}
	if c.Alpha == 0 {
		c.Alpha = DefaultAlpha
	}
	if c.Tau2 == 0 {
		c.Tau2 = c.Tau
	}
	if c.Noise == "" {
		c.Noise = DefaultNoise
	}
	if c.Gap == 0 {
		c.Gap = DefaultGap
	}
	return c
}

// Validate checks every field of c.WithDefaults() (whatever the method; zero
// optional fields are therefore valid) and returns an error naming the
// field and its value: unknown Method (errkind.Argument), Tau or Tau2
// not finite and > 0 (errkind.Temperature), K < 1, Alpha or Gap not
// finite and > 0, Eta not finite and >= 0, an unknown Noise mode, or a value
// outside float32 range (errkind.Argument).
func (c Config) Validate() error {
	c = c.WithDefaults()
	if _, ok := parseMethod(c.Method); !ok {
		return fmt.Errorf("estimators.Config.Validate: unknown Method %q (want one of %s): %w",
			c.Method, strings.Join(MethodNames(), ", "), errkind.Argument)
	}
	if !positiveFinite(c.Tau) {
		return fmt.Errorf("estimators.Config.Validate: Tau=%v must be finite and > 0: %w", c.Tau, errkind.Temperature)
	}
	if !positiveFinite(c.Tau2) {
		return fmt.Errorf("estimators.Config.Validate: Tau2=%v must be finite and > 0 (0 means Tau): %w",
			c.Tau2, errkind.Temperature)
	}
	if c.K < 1 {
		return fmt.Errorf("estimators.Config.Validate: K=%d must be >= 1 (0 means %d): %w",
			c.K, DefaultK, errkind.Argument)
	}
	if !positiveFinite(c.Alpha) {
		return fmt.Errorf("estimators.Config.Validate: Alpha=%v must be finite and > 0: %w", c.Alpha, errkind.Argument)
	}
	if !(c.Eta >= 0) || math.IsInf(c.Eta, 0) {
		return fmt.Errorf("estimators.Config.Validate: Eta=%v must be finite and >= 0: %w", c.Eta, errkind.Argument)
	}
	if c.Noise != NoiseSoftmax && c.Noise != NoiseGumbel {
		return fmt.Errorf("estimators.Config.Validate: Noise=%q must be %q or %q: %w",
			c.Noise, NoiseSoftmax, NoiseGumbel, errkind.Argument)
	}
	if !positiveFinite(c.Gap) {
		return fmt.Errorf("estimators.Config.Validate: Gap=%v must be finite and > 0: %w", c.Gap, errkind.Argument)
	}
	// The float32 computation needs the parameters representable in float32.
	for _, f := range [...]struct {
		name     string
		v        float64
		sentinel error
	}{
		{"Tau", c.Tau, errkind.Temperature}, {"Tau2", c.Tau2, errkind.Temperature},
		{"Alpha", c.Alpha, errkind.Argument}, {"1/(2*Alpha)", 1 / (2 * c.Alpha), errkind.Argument},
		{"Eta", c.Eta, errkind.Argument}, {"Gap", c.Gap, errkind.Argument},
	} {
		if v32 := float32(f.v); math.IsInf(float64(v32), 0) || (f.v > 0 && v32 == 0) {
			return fmt.Errorf("estimators.Config.Validate: %s=%v is outside float32 range: %w", f.name, f.v, f.sentinel)
		}
	}
	return nil
}

// ValidateExplicit is Validate for a configuration whose fields were all
// given by a user (a command line, a grid file): a zero that WithDefaults
// would replace (K, Alpha, Gap, Noise) is refused rather than read as "the
// default", since whoever wrote 0 did not ask for the default. Tau2 = 0
// keeps its documented meaning, "equal to Tau", and Eta = 0 is a legal
// weight.
func (c Config) ValidateExplicit() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("estimators.Config: "+format+": %w", append(a, errkind.Argument)...)
	}
	switch {
	case c.K == 0:
		return bad("K=0 must be >= 1")
	case c.Alpha == 0:
		return bad("Alpha=0 must be > 0")
	case c.Gap == 0:
		return bad("Gap=0 must be > 0")
	case c.Noise == "":
		return bad("Noise is empty, want %q or %q", NoiseSoftmax, NoiseGumbel)
	}
	return c.Validate()
}

// positiveFinite reports v > 0 and finite (false for NaN).
func positiveFinite(v float64) bool { return v > 0 && !math.IsInf(v, 0) }
