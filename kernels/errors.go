package kernels

import "github.com/discretegrad/reinmax/errkind"

// The kernels' error categories are the module's (package errkind): every
// error the package returns wraps exactly one of them (test with errors.Is)
// and names the function, the argument and the numbers. These names are
// the same values, kept for callers that test against kernels.Err….
var (
	ErrShape       = errkind.Shape
	ErrNonFinite   = errkind.NonFinite
	ErrTemperature = errkind.Temperature
	ErrArgument    = errkind.Argument
)
