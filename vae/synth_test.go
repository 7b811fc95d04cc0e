package vae

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// synthBytes makes n 28×28 grey images: each is one of ten fixed random
// "prototypes" (a few bright rectangles, like thick strokes; the same for
// every seed, so sets of different seeds share a distribution) with noise
// drawn from seed, with many exact 0s and some 255s, as in MNIST.
func synthBytes(n int, seed uint64) ([]byte, []uint8) {
	r := rand.New(rand.NewPCG(0, 99))
	var protos [10][ImagePixels]float64
	for k := range protos {
		for range 3 {
			r0, c0 := r.IntN(20), r.IntN(20)
			h, w := 3+r.IntN(8), 3+r.IntN(8)
			for i := r0; i < min(r0+h, ImageRows); i++ {
				for j := c0; j < min(c0+w, ImageCols); j++ {
					protos[k][i*ImageCols+j] = 1
				}
			}
		}
	}
	r = rand.New(rand.NewPCG(seed, 99))
	pix := make([]byte, n*ImagePixels)
	labels := make([]uint8, n)
	for i := range n {
		k := r.IntN(10)
		labels[i] = uint8(k)
		for j := range ImagePixels {
			v := protos[k][j]*(0.8+0.4*r.Float64()) + 0.1*r.NormFloat64()
			pix[i*ImagePixels+j] = byte(min(max(v, 0), 1) * 255)
		}
	}
	return pix, labels
}

// synthDataset is synthBytes as a Dataset (pixels / 255).
func synthDataset(t testing.TB, n int, seed uint64) *Dataset {
	t.Helper()
	raw, labels := synthBytes(n, seed)
	pix := make([]float32, len(raw))
	for i, b := range raw {
		pix[i] = float32(b) / 255
	}
	d, err := NewDataset(pix, labels)
	require.NoError(t, err)
	return d
}

// idxBytes encodes an idx file: magic, dims, payload, optionally gzipped.
func idxBytes(t testing.TB, magic uint32, dims []uint32, payload []byte, gz bool) []byte {
	t.Helper()
	var raw bytes.Buffer
	require.NoError(t, binary.Write(&raw, binary.BigEndian, append([]uint32{magic}, dims...)))
	raw.Write(payload)
	if !gz {
		return raw.Bytes()
	}
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	_, err := w.Write(raw.Bytes())
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return z.Bytes()
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, data, 0o644))
}
