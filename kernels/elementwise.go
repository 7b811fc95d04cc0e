package kernels

import "fmt"

// Elementwise helpers of the layers. Allocation-free, single-threaded and
// deterministic; AddBias, SumRows, Relu and ReluBackward run on the active
// implementation's vector kernels where it has them (whole vectors; the Go
// twins below do the tails), which perform the twins' exact operations, so
// every implementation gives the same bits. Their
// signatures carry no error, so a slice shorter than the documented length
// is a programming error and panics with a message naming the function and
// the lengths (it never reads or writes out of bounds). Products that feed
// an addition are written float32(a*b) + c so no architecture fuses them:
// the results are the same on amd64 and arm64.

// lenPanic reports a slice shorter than the shape it is used with.
func lenPanic(fn, name string, got, need int) {
	panic(fmt.Sprintf("kernels.%s: len(%s)=%d, need %d", fn, name, got, need))
}

// Axpy computes y[i] += alpha*x[i] for i < len(x) (len(y) >= len(x)).
func Axpy(alpha float32, x, y []float32) {
	if len(y) < len(x) {
		lenPanic("Axpy", "y", len(y), len(x))
	}
	y = y[:len(x)]
	for i, v := range x {
		y[i] += float32(alpha * v)
	}
}

// Scale computes x[i] *= alpha.
func Scale(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}

// AddBias adds bias[j] to m[r*cols+j] for every row r < rows and column
// j < cols (len(m) >= rows*cols, len(bias) >= cols).
func AddBias(m []float32, rows, cols int, bias []float32) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if len(bias) < cols {
		lenPanic("AddBias", "bias", len(bias), cols)
	}
	if len(m) < rows*cols {
		lenPanic("AddBias", "m", len(m), rows*cols)
	}
	addBias(current(), m[:rows*cols], rows, cols, bias[:cols])
}

// addBias is AddBias on im (lengths checked): the table's kernel does the
// first cols&^7 columns of every row, the twin the rest.
func addBias(im *impl, m []float32, rows, cols int, bias []float32) {
	c8 := cols &^ 7
	if c8 > 0 {
		im.addBias(m, rows, cols, bias[:c8])
	}
	if c8 < cols {
		addBiasGeneric(m[c8:], rows, cols, bias[c8:])
	}
}

// addBiasGeneric is the Go twin of impl.addBias, for any len(bias) <= cols:
// m[r*cols+j] += bias[j] for r < rows, j < len(bias).
func addBiasGeneric(m []float32, rows, cols int, bias []float32) {
	for r := 0; r < rows; r++ {
		row := m[r*cols:][:len(bias)]
		for j, b := range bias {
			row[j] += b
		}
	}
}

// SumRows adds the column sums of the rows×cols matrix m (len >= rows*cols)
// into dst (len >= cols): dst[j] += m[0,j] + m[1,j] + ..., added in row
// order, one rounding per addition (the bias gradient).
func SumRows(dst, m []float32, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if len(dst) < cols {
		lenPanic("SumRows", "dst", len(dst), cols)
	}
	if len(m) < rows*cols {
		lenPanic("SumRows", "m", len(m), rows*cols)
	}
	sumRows(current(), dst[:cols], m[:rows*cols], rows, cols)
}

// sumRows is SumRows on im (lengths checked): the table's kernel sums the
// first cols&^7 columns, the twin the rest; each column's additions happen
// in row order either way.
func sumRows(im *impl, dst, m []float32, rows, cols int) {
	c8 := cols &^ 7
	if c8 > 0 {
		im.sumRows(dst[:c8], m, rows, cols)
	}
	if c8 < cols {
		sumRowsGeneric(dst[c8:], m[c8:], rows, cols)
	}
}

// sumRowsGeneric is the Go twin: dst[j] += m[r*cols+j] for r in order and
// j < len(dst).
func sumRowsGeneric(dst, m []float32, rows, cols int) {
	for r := 0; r < rows; r++ {
		row := m[r*cols:][:len(dst)]
		for j, v := range row {
			dst[j] += v
		}
	}
}

// Relu sets y[i] = max(x[i], 0) for i < len(x) (len(y) >= len(x); y may
// equal x). NaN stays NaN and -0 becomes +0 (Go's max).
func Relu(y, x []float32) {
	if len(y) < len(x) {
		lenPanic("Relu", "y", len(y), len(x))
	}
	y = y[:len(x)]
	n8 := len(x) &^ 7
	current().relu(y[:n8], x[:n8])
	reluGeneric(y[n8:], x[n8:])
}

func reluGeneric(y, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = max(v, 0)
	}
}

// ReluBackward sets dx[i] = dy[i] where y[i] > 0 and 0 elsewhere, for
// i < len(dy) (len(dx), len(y) >= len(dy); dx may equal dy).
func ReluBackward(dx, dy, y []float32) {
	if len(dx) < len(dy) {
		lenPanic("ReluBackward", "dx", len(dx), len(dy))
	}
	if len(y) < len(dy) {
		lenPanic("ReluBackward", "y", len(y), len(dy))
	}
	dx, y = dx[:len(dy)], y[:len(dy)]
	n8 := len(dy) &^ 7
	current().reluBackward(dx[:n8], dy[:n8], y[:n8])
	reluBackwardGeneric(dx[n8:], dy[n8:], y[n8:])
}

func reluBackwardGeneric(dx, dy, y []float32) {
	dx, y = dx[:len(dy)], y[:len(dy)]
	for i, v := range dy {
		if y[i] > 0 {
			dx[i] = v
		} else {
			dx[i] = 0
		}
	}
}
