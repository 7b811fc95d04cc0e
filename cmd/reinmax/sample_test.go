package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/discretegrad/reinmax/vae"
)

// trainTinyCheckpoint trains a 2×2 model for one epoch on the data in
// dataDir and returns the checkpoint's path (the one .safetensors file in
// the run directory, so the test does not depend on its name).
func trainTinyCheckpoint(t *testing.T, dataDir, out string) string {
	t.Helper()
	code, _, stderr := run("train", "-data", dataDir, "-out", out, "-method", "st", "-C", "2", "-L", "2",
		"-batch", "10", "-epochs", "1", "-threads", "1", "-quiet")
	require.Equal(t, 0, code, stderr)
	ckpts, err := filepath.Glob(filepath.Join(out, "*.safetensors"))
	require.NoError(t, err)
	require.Len(t, ckpts, 1)
	return ckpts[0]
}

// TestSampleMoreThanTestImages: asking for more images per row than the test
// set holds is a usage error naming both numbers, not a slice-bounds panic.
func TestSampleMoreThanTestImages(t *testing.T) {
	data := synthMNIST(t, 20, 10)
	ckpt := trainTinyCheckpoint(t, data, filepath.Join(t.TempDir(), "run"))
	png := filepath.Join(t.TempDir(), "grid.png")

	code, stdout, stderr := run("sample", "-checkpoint", ckpt, "-data", data, "-n", "16", "-out", png)
	require.Equal(t, 2, code, stderr)
	first, _, _ := strings.Cut(stderr, "\n")
	require.Contains(t, first, "--n=16 is larger than the 10 test images in "+data)
	require.Contains(t, stderr, "run 'reinmax sample -h' for usage")
	require.Empty(t, stdout)
	require.NoFileExists(t, png)

	// Exactly the test set's size is fine.
	code, _, stderr = run("sample", "-checkpoint", ckpt, "-data", data, "-n", "10", "-out", png)
	require.Equal(t, 0, code, stderr)
	require.FileExists(t, png)
}

// FuzzSampleFlags runs sample with arbitrary -n and -seed on a tiny data set
// (10 test images) and checkpoint: it must never panic, exit 0 or 2, and
// write the PNG whenever it exits 0.
func FuzzSampleFlags(f *testing.F) {
	for _, n := range []int64{1, 10, 11, 16, 100, 101, 0, -1} {
		f.Add(n, uint64(n)*7)
	}
	f.Add(int64(1)<<40, ^uint64(0))
	root := f.TempDir()
	// Prepared on the first call: the shared helpers take a *testing.T,
	// and the files go under root so that they outlive that call.
	var once sync.Once
	var data, ckpt string
	f.Fuzz(func(t *testing.T, n int64, seed uint64) {
		once.Do(func() {
			data = filepath.Join(root, "data")
			require.NoError(t, os.Mkdir(data, 0o755))
			writeIDX(t, filepath.Join(data, vae.TrainImagesFile), 20, true, 1)
			writeIDX(t, filepath.Join(data, vae.TrainLabelsFile), 20, false, 2)
			writeIDX(t, filepath.Join(data, vae.TestImagesFile), 10, true, 3)
			writeIDX(t, filepath.Join(data, vae.TestLabelsFile), 10, false, 4)
			ckpt = trainTinyCheckpoint(t, data, filepath.Join(root, "run"))
		})
		if ckpt == "" {
			t.Skip("setup failed in an earlier call")
		}
		png := filepath.Join(root, "grid.png")
		require.NoError(t, os.RemoveAll(png))
		code, stdout, stderr := run("sample", "-checkpoint", ckpt, "-data", data,
			"-n", strconv.FormatInt(n, 10), "-seed", strconv.FormatUint(seed, 10), "-out", png)
		switch code {
		case 0:
			img, err := os.ReadFile(png)
			require.NoError(t, err, "exit 0 without the PNG")
			require.True(t, bytes.HasPrefix(img, []byte("\x89PNG")))
			require.Contains(t, stdout, png)
		case 2:
			require.Contains(t, stderr, "run 'reinmax sample -h' for usage")
			require.NoFileExists(t, png)
		default:
			t.Fatalf("-n=%d -seed=%d: exit %d: %s", n, seed, code, stderr)
		}
	})
}
