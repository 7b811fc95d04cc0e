package kernels

import (
	"math"
	"testing"
)

// FuzzSigmoidBCE decodes logits and targets (any float32 bit patterns) and
// holds every implementation to the Go twin bit for bit (any NaN equal to
// any NaN); a NaN input must give a NaN loss.
func FuzzSigmoidBCE(f *testing.F) {
	f.Add([]byte{9, 0, 0, 0x80, 0x3f, 0, 0, 0x80, 0xff, 0x12, 0x34, 0x56, 0x78})
	f.Add([]byte{17, 0, 0, 0xc0, 0x7f, 0, 0, 0x80, 0x7f})                // NaN, +Inf
	f.Add([]byte{33, 0xff, 0xff, 0x7f, 0x7f, 0x01, 0, 0, 0, 0x18, 0xb1}) // MaxFloat32, subnormal
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 1 {
			return
		}
		n := int(data[0]) % 80
		z := fuzzFloats(data[1:], n)
		x := fuzzFloats(append(data[1:], data[0]), n)
		twin := make([]float32, n)
		want := sigmoidBCE(genericImpl, twin, z, x, 0.5)
		hasNaN := false
		for i := range z {
			hasNaN = hasNaN || z[i] != z[i] || x[i] != x[i]
		}
		if hasNaN && !math.IsNaN(want) {
			t.Fatalf("NaN input, loss %v", want)
		}
		for _, im := range impls {
			dz := make([]float32, n)
			got := sigmoidBCE(im, dz, z, x, 0.5)
			if !sameFloat64(got, want) {
				t.Fatalf("%s: loss %v, twin %v", im.name, got, want)
			}
			for i := range dz {
				if !sameFloat32(dz[i], twin[i]) {
					t.Fatalf("%s: dz[%d] = %v, twin %v (z=%v x=%v)", im.name, i, dz[i], twin[i], z[i], x[i])
				}
			}
		}
	})
}

// FuzzAdamStep decodes parameters, gradients and moments (any bit
// patterns; v made non-negative) and holds every implementation's Adam and
// RAdam to the twins bit for bit.
func FuzzAdamStep(f *testing.F) {
	f.Add([]byte{9, 3, 0, 0, 0x80, 0x3f, 0, 0, 0x80, 0xff, 0x12, 0x34, 0x56, 0x78})
	f.Add([]byte{40, 200, 0, 0, 0xc0, 0x7f, 0, 0, 0x80, 0x7f, 0x01, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		n := int(data[0]) % 70
		step := 1 + int(data[1])%20
		b1 := []float64{0.9, 0.3, 0.5, 0}[int(data[1]/20)%4]
		src := fuzzFloats(data[2:], 4*n)
		for i := 3 * n; i < 4*n; i++ {
			src[i] = float32(math.Abs(float64(src[i])))
		}
		for _, im := range impls {
			for _, radam := range []bool{false, true} {
				k := newAdamConsts(1e-3, b1, 0.999, 1e-8, step)
				fn, twin := im.adam, adamGeneric
				if radam {
					k = newRAdamConsts(1e-3, b1, 0.999, 1e-8, step)
					fn, twin = im.radam, radamGeneric
				}
				a := append([]float32(nil), src...)
				b := append([]float32(nil), src...)
				twin(a[:n], a[n:2*n], a[2*n:3*n], a[3*n:], k)
				optimStep(fn, twin, b[:n], b[n:2*n], b[2*n:3*n], b[3*n:], k)
				for i := range a {
					if !sameFloat32(a[i], b[i]) {
						t.Fatalf("%s radam=%v: element %d of p|g|m|v = %v, twin %v", im.name, radam, i, b[i], a[i])
					}
				}
			}
		}
	})
}

// FuzzAllFinite decodes float32 bit patterns and compares every
// implementation with a direct test of each value.
func FuzzAllFinite(f *testing.F) {
	f.Add([]byte{9, 0, 0, 0x80, 0x3f, 0, 0, 0x80, 0xff})
	f.Add([]byte{33, 0, 0, 0xc0, 0x7f})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 1 {
			return
		}
		x := fuzzFloats(data[1:], int(data[0]))
		want := true
		for _, v := range x {
			want = want && !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0)
		}
		for _, im := range impls {
			if got := allFinite(im, x); got != want {
				t.Fatalf("%s: %v, want %v", im.name, got, want)
			}
		}
	})
}

// FuzzLayerHelpers decodes a matrix, a bias and gradients (any bit
// patterns) and holds every implementation's AddBias, SumRows, Relu and
// ReluBackward to the twins bit for bit.
func FuzzLayerHelpers(f *testing.F) {
	f.Add([]byte{3, 9, 0, 0, 0x80, 0x3f, 0, 0, 0x80, 0xff, 0x12, 0x34, 0x56, 0x78})
	f.Add([]byte{2, 17, 0, 0, 0xc0, 0x7f, 0, 0, 0x80, 0x7f, 0, 0, 0, 0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		rows, cols := 1+int(data[0])%6, 1+int(data[1])%40
		src := fuzzFloats(data[2:], 2*rows*cols+cols)
		m, dy, bias := src[:rows*cols], src[rows*cols:2*rows*cols], src[2*rows*cols:]
		check := func(name string, want, got []float32) {
			for i := range want {
				if !sameFloat32(want[i], got[i]) {
					t.Fatalf("%s: element %d = %v, twin %v", name, i, got[i], want[i])
				}
			}
		}
		wantB := append([]float32(nil), m...)
		addBiasGeneric(wantB, rows, cols, bias)
		wantS := append([]float32(nil), bias...)
		sumRowsGeneric(wantS, m, rows, cols)
		wantR, wantD := make([]float32, len(m)), make([]float32, len(m))
		reluGeneric(wantR, m)
		reluBackwardGeneric(wantD, dy, m)
		for _, im := range impls {
			b := append([]float32(nil), m...)
			addBias(im, b, rows, cols, bias)
			check(im.name+" AddBias", wantB, b)
			s := append([]float32(nil), bias...)
			sumRows(im, s, m, rows, cols)
			check(im.name+" SumRows", wantS, s)
			r, d := make([]float32, len(m)), make([]float32, len(m))
			withImpl(im, func() { Relu(r, m); ReluBackward(d, dy, m) })
			check(im.name+" Relu", wantR, r)
			check(im.name+" ReluBackward", wantD, d)
		}
	})
}

// FuzzNegLog decodes floats (any bit patterns) and holds every
// implementation's NegLog to the Go twin bit for bit.
func FuzzNegLog(f *testing.F) {
	f.Add([]byte{17, 0, 0, 0x80, 0x3f, 0, 0, 0x80, 0x7f, 1, 0, 0, 0})
	f.Add([]byte{40, 0, 0, 0xc0, 0x7f, 0, 0, 0x20, 0x41})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 1 {
			return
		}
		x := fuzzFloats(data[1:], int(data[0]))
		want := append([]float32(nil), x...)
		negLogFloatsGeneric(want)
		for _, im := range impls {
			got := append([]float32(nil), x...)
			negLogFloats(im, got)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s: element %d (x=%v): %v, want %v", im.name, i, x[i], got[i], want[i])
				}
			}
		}
	})
}
