package kernels

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// fuzzFloats decodes n float32 bit patterns from data (cycling, zero when
// empty). Every pattern is reachable: NaN payloads, ±Inf, ±0, subnormals.
func fuzzFloats(data []byte, n int) []float32 {
	x := make([]float32, n)
	if len(data) < 4 {
		return x
	}
	for i := range x {
		o := (4 * i) % (len(data) - 3)
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[o:]))
	}
	return x
}

// firstBadSoftmaxRow is the row SoftmaxRows must report: the first holding
// NaN or +Inf or having no finite entry; -1 if none.
func firstBadSoftmaxRow(src []float32, rows, cols int) int {
	for r := 0; r < rows; r++ {
		finite := false
		for _, v := range src[r*cols : (r+1)*cols] {
			if v != v || math.IsInf(float64(v), 1) {
				return r
			}
			finite = finite || !math.IsInf(float64(v), -1)
		}
		if !finite {
			return r
		}
	}
	return -1
}

func FuzzSoftmax(f *testing.F) {
	f.Add([]byte{3, 9, 2, 0, 0, 0x80, 0x3f, 0, 0, 0x80, 0xff, 0x12, 0x34, 0x56, 0x78})
	f.Add([]byte{0, 0, 0, 0, 0, 0xc0, 0x7f})                       // NaN
	f.Add([]byte{7, 16, 4, 0xff, 0xff, 0x7f, 0x7f, 0x01, 0, 0, 0}) // MaxFloat32, subnormal
	f.Add([]byte{2, 33, 1, 0, 0, 0x80, 0x7f, 0, 0, 0x80, 0xff})    // +Inf, -Inf
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 3 {
			return
		}
		rows, cols := 1+int(data[0])%9, 1+int(data[1])%40
		tau := []float32{1, 0.1, 0.5, 1.3, 10, 1e-3, 3e4}[int(data[2])%7]
		src := fuzzFloats(data[3:], rows*cols)
		bad := firstBadSoftmaxRow(src, rows, cols)
		twin := make([]float32, rows*cols)
		errTwin := softmaxRows(genericImpl, nil, twin, src, rows, cols, tau, nil)
		// The fused softmax + draw (tau = 1) must agree with the twin's
		// fused call: the same error, or the same indices (the
		// probabilities are bit-identical across paths by construction).
		u := make([]float32, rows)
		for i := range u {
			u[i] = float32((int(data[2])+7*i)%256) / 256 // some rows put u on 0
		}
		twinPi, twinIdx := make([]float32, rows*cols), make([]int32, rows)
		errFusedTwin := softmaxSampleRows(genericImpl, nil, twinPi, twinIdx, src, rows, cols, u)
		for _, im := range impls {
			pi, idx := make([]float32, rows*cols), make([]int32, rows)
			err := softmaxSampleRows(im, nil, pi, idx, src, rows, cols, u)
			if (err == nil) != (errFusedTwin == nil) || (err != nil && err.Error() != errFusedTwin.Error()) {
				t.Fatalf("%s: fused error %v, twin %v", im.name, err, errFusedTwin)
			}
			if (bad >= 0) != (err != nil) {
				t.Fatalf("%s: fused: bad row %d, err %v", im.name, bad, err)
			}
			if err == nil {
				for r, k := range idx {
					if k != twinIdx[r] || !(pi[r*cols+int(k)] > 0) {
						t.Fatalf("%s: fused row %d: idx %d, twin %d", im.name, r, k, twinIdx[r])
					}
				}
			}
		}
		for _, im := range impls {
			dst := make([]float32, rows*cols)
			err := softmaxRows(im, nil, dst, src, rows, cols, tau, nil)
			if bad >= 0 {
				if !errors.Is(err, ErrNonFinite) {
					t.Fatalf("%s: row %d is bad but err = %v", im.name, bad, err)
				}
				if errTwin == nil || err.Error() != errTwin.Error() {
					t.Fatalf("%s: error %v, twin %v", im.name, err, errTwin)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: unexpected error %v", im.name, err)
			}
			for r := 0; r < rows; r++ {
				var sum float64
				for j := 0; j < cols; j++ {
					i := r*cols + j
					v := dst[i]
					if !(v >= 0 && v <= 1) {
						t.Fatalf("%s: dst[%d,%d] = %v from %v", im.name, r, j, v, src[i])
					}
					if math.IsInf(float64(src[i]), -1) && v != 0 {
						t.Fatalf("%s: -Inf gave %v", im.name, v)
					}
					if d := ulpDiff(v, twin[i]); d > 2 {
						t.Fatalf("%s: dst[%d,%d] = %v, twin %v (%d ulp)", im.name, r, j, v, twin[i], d)
					}
					sum += float64(v)
				}
				if math.Abs(sum-1) > 1e-5 {
					t.Fatalf("%s: row %d sums to %v", im.name, r, sum)
				}
			}
		}
	})
}

func FuzzSample(f *testing.F) {
	f.Add([]byte{3, 9, 0, 0, 0x80, 0x3f, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x3e})
	f.Add([]byte{0, 0, 0, 0, 0xc0, 0x7f})
	f.Add([]byte{9, 7, 0, 0, 0x80, 0xbf, 0x01, 0, 0, 0, 0xff, 0xff, 0x7f, 0x7f})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		rows, cols := 1+int(data[0])%17, 1+int(data[1])%40
		vals := fuzzFloats(data[2:], rows*cols+rows)
		p, u := vals[:rows*cols], vals[rows*cols:]
		// Mostly valid uniforms and non-negative values, so that the
		// success path is explored too; raw patterns stay reachable.
		for i := range u {
			if i%2 == 0 {
				u[i] = float32(math.Abs(float64(u[i])) - math.Floor(math.Abs(float64(u[i]))))
				if u[i] >= 1 || u[i] != u[i] {
					u[i] = 0
				}
			}
		}
		for i := range p {
			if i%3 != 0 {
				p[i] = float32(math.Abs(float64(p[i])))
			}
		}
		want := make([]int32, rows)
		errTwin := sampleRows(genericImpl, nil, want, p, rows, cols, u)
		for _, im := range impls {
			idx := make([]int32, rows)
			err := sampleRows(im, nil, idx, p, rows, cols, u)
			if (err == nil) != (errTwin == nil) || (err != nil && err.Error() != errTwin.Error()) {
				t.Fatalf("%s: error %v, twin %v", im.name, err, errTwin)
			}
			if err != nil {
				if !errors.Is(err, ErrArgument) && !errors.Is(err, ErrNonFinite) {
					t.Fatalf("%s: error %v wraps no sentinel", im.name, err)
				}
				continue
			}
			for r, k := range idx {
				if k != want[r] {
					t.Fatalf("%s: row %d: idx %d, twin %d", im.name, r, k, want[r])
				}
				row := p[r*cols : (r+1)*cols]
				if k < 0 || int(k) >= cols || !(row[k] > 0) {
					t.Fatalf("%s: row %d: idx %d of %v", im.name, r, k, row)
				}
				for _, v := range row {
					if !(v >= 0) {
						t.Fatalf("%s: row %d holds %v but no error", im.name, r, v)
					}
				}
				if !(u[r] >= 0 && u[r] < 1) {
					t.Fatalf("%s: u[%d] = %v but no error", im.name, r, u[r])
				}
			}
		}
	})
}
