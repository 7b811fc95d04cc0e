package nn

import (
	"fmt"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/discretegrad/reinmax/kernels"
)

// Activation is an elementwise nonlinearity between layers.
type Activation int

const (
	// ReLU is max(x, 0).
	ReLU Activation = iota
	// LeakyReLU is x for x > 0 and LeakySlope·x otherwise (PyTorch's
	// default negative_slope).
	LeakyReLU
)

// LeakySlope is the negative slope of LeakyReLU, PyTorch's default 0.01.
const LeakySlope = 0.01

// String returns "relu" or "leaky_relu".
func (a Activation) String() string {
	switch a {
	case ReLU:
		return "relu"
	case LeakyReLU:
		return "leaky_relu"
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

// Forward sets y = a(x) elementwise over len(x) values; y may equal x, other
// overlaps are not allowed. len(y) must be >= len(x).
func (a Activation) Forward(y, x []float32) error {
	if len(y) < len(x) {
		return fmt.Errorf("nn.Activation(%v).Forward: len(y)=%d < len(x)=%d: %w", a, len(y), len(x), errkind.Shape)
	}
	switch a {
	case ReLU:
		kernels.Relu(y, x)
	case LeakyReLU:
		y = y[:len(x)]
		for i, v := range x {
			if v > 0 {
				y[i] = v
			} else {
				y[i] = LeakySlope * v
			}
		}
	default:
		return fmt.Errorf("nn.Activation.Forward: unknown activation %d: %w", int(a), errkind.Argument)
	}
	return nil
}

// Backward sets dx = ∂loss/∂x from dy = ∂loss/∂y and the forward output y
// (both slopes are positive, so y > 0 exactly where x > 0; at x = 0 the
// derivative is taken as the negative side's, like PyTorch). dx may equal
// dy. len(dx) and len(y) must be >= len(dy).
func (a Activation) Backward(dx, dy, y []float32) error {
	if len(dx) < len(dy) || len(y) < len(dy) {
		return fmt.Errorf("nn.Activation(%v).Backward: len(dx)=%d len(y)=%d, need >= len(dy)=%d: %w",
			a, len(dx), len(y), len(dy), errkind.Shape)
	}
	switch a {
	case ReLU:
		kernels.ReluBackward(dx, dy, y)
	case LeakyReLU:
		dx, y = dx[:len(dy)], y[:len(dy)]
		for i, v := range dy {
			if y[i] > 0 {
				dx[i] = v
			} else {
				dx[i] = LeakySlope * v
			}
		}
	default:
		return fmt.Errorf("nn.Activation.Backward: unknown activation %d: %w", int(a), errkind.Argument)
	}
	return nil
}
