// Package errkind holds the categories of invalid input that every package
// of this module reports. An error returned for bad input wraps exactly one
// of them, so a caller can tell its kind with errors.Is whichever package
// returned it; the message itself names the function, the argument and the
// numbers.
package errkind

import "errors"

var (
	// Shape: a dimension is negative or zero where it must not be, or a
	// slice is too short for the shape it is used with.
	Shape = errors.New("bad shape")
	// NonFinite: an input holds NaN or ±Inf where the result would be
	// meaningless (a softmax row, a probability row, a loss or gradient).
	NonFinite = errors.New("non-finite value")
	// Temperature: a temperature is not finite and > 0.
	Temperature = errors.New("bad temperature")
	// Argument: any other invalid argument (a negative probability, a
	// uniform outside [0, 1), an unknown name, a value out of range).
	Argument = errors.New("bad argument")
)
