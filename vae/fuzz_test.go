package vae

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzReadImages feeds arbitrary bytes (plain and gzipped seeds) to the idx
// reader: it must return a Dataset that agrees with the header or an error
// naming the file, never panic or over-allocate.
func FuzzReadImages(f *testing.F) {
	pix, _ := synthBytes(3, 1)
	f.Add(idxBytes(f, 0x803, []uint32{3, 28, 28}, pix, true))
	f.Add(idxBytes(f, 0x803, []uint32{3, 28, 28}, pix, false))
	f.Add(idxBytes(f, 0x803, []uint32{3, 28, 28}, pix[:100], false))
	f.Add(idxBytes(f, 0x803, []uint32{1 << 30, 28, 28}, pix, false))
	f.Add(idxBytes(f, 0x801, []uint32{3}, []byte{1, 2, 3}, true))
	f.Add([]byte{0x1f, 0x8b, 0, 0})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "images.idx")
		require.NoError(t, os.WriteFile(path, data, 0o644))
		d, err := ReadImages(path)
		if err != nil {
			require.True(t, strings.Contains(err.Error(), "images.idx"), "error does not name the file: %v", err)
			return
		}
		require.Equal(t, d.N*ImagePixels, len(d.Pixels))
		for _, v := range d.Pixels {
			require.True(t, v >= 0 && v <= 1)
		}
	})
}

// FuzzCheckpoint corrupts a valid checkpoint: Load must either succeed on an
// unchanged file or refuse it, leaving the trainer's parameters untouched.
func FuzzCheckpoint(f *testing.F) {
	cfg := DefaultConfig()
	cfg.C, cfg.L, cfg.Batch, cfg.Threads = 2, 2, 4, 1
	cfg.Estimator.Method = "st"
	train := synthDataset(f, 8, 1)
	tr, err := NewTrainer(cfg, train, nil)
	require.NoError(f, err)
	f.Cleanup(tr.Close)
	dir := f.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	require.NoError(f, tr.Save(good))
	valid, err := os.ReadFile(good)
	require.NoError(f, err)
	f.Add(uint32(0), byte(0), uint32(0))
	f.Add(uint32(10), byte(0xff), uint32(0))
	f.Add(uint32(len(valid)/2), byte(1), uint32(0))
	f.Add(uint32(0), byte(0), uint32(len(valid)/3))
	before := append([]float32(nil), tr.model.Params.Data...)
	f.Fuzz(func(t *testing.T, at uint32, xor byte, cut uint32) {
		data := append([]byte(nil), valid...)
		data[int(at)%len(data)] ^= xor
		if cut > 0 {
			data = data[:len(data)-int(cut)%len(data)]
		}
		path := filepath.Join(dir, "fuzz.safetensors")
		require.NoError(t, os.WriteFile(path, data, 0o644))
		err := tr.Load(path)
		if xor == 0 && int(cut)%len(valid) == 0 {
			require.NoError(t, err)
		} else {
			require.Error(t, err, "a corrupted checkpoint was accepted")
		}
		require.Equal(t, before, tr.model.Params.Data)
	})
}
