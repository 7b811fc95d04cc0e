package experiment

import (
	"bytes"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMeanSE(t *testing.T) {
	// Hand-checked: deviations -2, 0, 2 give the sample variance
	// (4 + 0 + 4) / 2 = 4, sd 2, se 2/√3.
	s := NewMeanSE([]float64{100, 102, 104})
	require.Equal(t, 3, s.N)
	require.Equal(t, 102.0, s.Mean)
	require.InDelta(t, 2/math.Sqrt(3), s.SE, 1e-12)
	require.Equal(t, "102.00 ± 1.15", s.String())
	s = NewMeanSE([]float64{90, 91}) // sd √0.5, se √0.5/√2 = 0.5
	require.InDelta(t, 0.5, s.SE, 1e-12)
	s = NewMeanSE([]float64{80})
	require.Equal(t, 80.0, s.Mean)
	require.True(t, math.IsNaN(s.SE), "no standard error from one seed")
	require.Equal(t, "80.00 ± –", s.String())
	require.True(t, math.IsNaN(NewMeanSE(nil).Mean))
}

func TestPrefixWriter(t *testing.T) {
	var buf bytes.Buffer
	lw := &lockedWriter{w: &buf}
	p := &prefixWriter{lw: lw, prefix: "[a] "}
	fmt.Fprint(p, "\ninterrupted at epoch 2\n")
	fmt.Fprint(p, "done: ")
	fmt.Fprint(p, "1 epoch\nnext\n\n")
	require.Equal(t, "[a] interrupted at epoch 2\n[a] done: 1 epoch\n[a] next\n", buf.String())
}
