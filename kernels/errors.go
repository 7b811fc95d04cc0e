package kernels

import "errors"

// Sentinel errors. Every error the package returns wraps exactly one of them
// (test with errors.Is) and names the function, the argument and the numbers.
var (
	// ErrShape: a dimension is negative or zero where it must not be, or a
	// slice is too short for the shape it is used with.
	ErrShape = errors.New("bad shape")
	// ErrNonFinite: an input holds NaN or +Inf where the result would be
	// meaningless (a softmax row, a probability row), or a row has no
	// finite entry.
	ErrNonFinite = errors.New("non-finite value")
	// ErrTemperature: a softmax temperature is not finite and > 0.
	ErrTemperature = errors.New("bad temperature")
	// ErrArgument: any other invalid argument (a negative probability, a
	// uniform outside [0, 1), an unknown implementation name).
	ErrArgument = errors.New("bad argument")
)
