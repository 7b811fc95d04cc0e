package vae

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
)

// Checkpoints and weight files use the safetensors layout, readable from
// Python (safetensors.torch.load_file): an 8-byte little-endian header
// length, a JSON header mapping each tensor name to its dtype, shape and
// [begin, end) byte offsets into the data section, plus a "__metadata__"
// map of strings; then the raw little-endian float32 data. The header is
// padded with spaces to a multiple of 8 bytes.
//
// Integrity: metadata key checksumKey holds the hex SHA-256 of the whole
// file computed with that value replaced by 64 '0' characters; Save writes
// it, and readers refuse a file whose checksum does not match.

const (
	checksumKey    = "checksum_sha256"
	maxHeaderBytes = 64 << 20
)

var checksumZero = bytes.Repeat([]byte{'0'}, 2*sha256.Size)

// ErrCheckpoint marks a checkpoint or weight file that is corrupt,
// truncated, of another format or incompatible with the trainer.
var ErrCheckpoint = errors.New("bad checkpoint")

// stTensor is one tensor to write or one read: name, shape and values.
type stTensor struct {
	Name  string
	Shape []int
	Data  []float32
}

type stEntry struct {
	Dtype   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

// encodeSafetensors lays out tensors (in the given order) and metadata, and
// when sum is set, embeds the checksum.
func encodeSafetensors(tensors []stTensor, meta map[string]string, sum bool) ([]byte, error) {
	header := map[string]any{}
	var off int64
	for _, t := range tensors {
		n := 1
		for _, d := range t.Shape {
			n *= d
		}
		if n != len(t.Data) {
			return nil, fmt.Errorf("tensor %q: shape %v holds %d values, have %d", t.Name, t.Shape, n, len(t.Data))
		}
		if _, dup := header[t.Name]; dup || t.Name == "__metadata__" {
			return nil, fmt.Errorf("duplicate or reserved tensor name %q", t.Name)
		}
		header[t.Name] = stEntry{Dtype: "F32", Shape: t.Shape, Offsets: [2]int64{off, off + 4*int64(n)}}
		off += 4 * int64(n)
	}
	m := map[string]string{}
	for k, v := range meta {
		m[k] = v
	}
	if sum {
		m[checksumKey] = string(checksumZero)
	}
	header["__metadata__"] = m
	hj, err := json.Marshal(header)
	if err != nil {
		return nil, err
	}
	for len(hj)%8 != 0 {
		hj = append(hj, ' ')
	}
	buf := make([]byte, 8+len(hj)+int(off))
	binary.LittleEndian.PutUint64(buf, uint64(len(hj)))
	copy(buf[8:], hj)
	p := buf[8+len(hj):]
	for _, t := range tensors {
		for _, v := range t.Data {
			binary.LittleEndian.PutUint32(p, math.Float32bits(v))
			p = p[4:]
		}
	}
	if sum {
		at := checksumAt(buf[8 : 8+len(hj)])
		h := sha256.Sum256(buf)
		hex.Encode(buf[8+at:8+at+len(checksumZero)], h[:])
	}
	return buf, nil
}

// checksumAt finds the checksum value's offset inside the header bytes.
func checksumAt(header []byte) int {
	key := []byte(`"` + checksumKey + `":"`)
	i := bytes.Index(header, key)
	if i < 0 {
		return -1
	}
	return i + len(key)
}

// decodeSafetensors parses a safetensors file of float32 tensors. When
// needSum is set the checksum must be present; when present it must match.
// Every structural problem is an error wrapping ErrCheckpoint.
func decodeSafetensors(buf []byte, needSum bool) (map[string]stTensor, map[string]string, error) {
	if len(buf) < 8 {
		return nil, nil, badCheckpoint("truncated: %d bytes, too short for the 8-byte header length", len(buf))
	}
	hl := binary.LittleEndian.Uint64(buf)
	if hl > maxHeaderBytes || hl > uint64(len(buf)-8) {
		return nil, nil, badCheckpoint("header length %d does not fit the %d-byte file (truncated or not a safetensors file)", hl, len(buf))
	}
	hj := buf[8 : 8+hl]
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hj, &raw); err != nil {
		return nil, nil, badCheckpoint("header is not valid JSON: %v", err)
	}
	meta := map[string]string{}
	if m, ok := raw["__metadata__"]; ok {
		if err := json.Unmarshal(m, &meta); err != nil {
			return nil, nil, badCheckpoint("__metadata__ is not a map of strings: %v", err)
		}
		delete(raw, "__metadata__")
	}
	if err := verifyChecksum(buf, hj, meta, needSum); err != nil {
		return nil, nil, err
	}
	data := buf[8+hl:]
	spans := make([]stSpan, 0, len(raw))
	out := make(map[string]stTensor, len(raw))
	for name, r := range raw {
		t, sp, err := decodeTensor(name, r, data)
		if err != nil {
			return nil, nil, err
		}
		out[name] = t
		spans = append(spans, sp)
	}
	if err := checkTiling(spans, int64(len(data))); err != nil {
		return nil, nil, err
	}
	return out, meta, nil
}

// badCheckpoint is an ErrCheckpoint error with the message given.
func badCheckpoint(format string, a ...any) error {
	return fmt.Errorf(format+": %w", append(a, ErrCheckpoint)...)
}

// verifyChecksum checks the file's checksum (meta[checksumKey], the SHA-256
// of the file with that field zeroed; hj is the header within buf), or
// that there is none when needSum is false.
func verifyChecksum(buf, hj []byte, meta map[string]string, needSum bool) error {
	want, ok := meta[checksumKey]
	if !ok {
		if needSum {
			return badCheckpoint("no %s in the metadata (not a checkpoint written by this package)", checksumKey)
		}
		return nil
	}
	at := checksumAt(hj)
	if at < 0 || at+len(checksumZero) > len(hj) || string(hj[at:at+len(checksumZero)]) != want {
		return badCheckpoint("checksum field is malformed")
	}
	cp := bytes.Clone(buf)
	copy(cp[8+at:], checksumZero)
	h := sha256.Sum256(cp)
	if got := hex.EncodeToString(h[:]); got != want {
		return badCheckpoint("checksum mismatch: the file says %s, its content hashes to %s (corrupt or modified)", want, got)
	}
	return nil
}

// stSpan is the byte range [lo, hi) of a tensor in the data section.
type stSpan struct {
	name   string
	lo, hi int64
}

// decodeTensor decodes the header entry r of tensor name and its values
// from the data section.
func decodeTensor(name string, r json.RawMessage, data []byte) (stTensor, stSpan, error) {
	var e stEntry
	if err := json.Unmarshal(r, &e); err != nil {
		return stTensor{}, stSpan{}, badCheckpoint("tensor %q: bad header entry: %v", name, err)
	}
	if e.Dtype != "F32" {
		return stTensor{}, stSpan{}, badCheckpoint("tensor %q: dtype %q, only F32 is supported", name, e.Dtype)
	}
	n := int64(1)
	for _, d := range e.Shape {
		if d < 0 || int64(d) > 1<<31 {
			return stTensor{}, stSpan{}, badCheckpoint("tensor %q: bad shape %v", name, e.Shape)
		}
		n *= int64(d)
	}
	lo, hi := e.Offsets[0], e.Offsets[1]
	if lo < 0 || hi < lo || hi > int64(len(data)) || hi-lo != 4*n {
		return stTensor{}, stSpan{}, badCheckpoint("tensor %q: offsets [%d, %d) do not hold shape %v in a %d-byte data section (truncated?)",
			name, lo, hi, e.Shape, len(data))
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[lo+4*int64(i):]))
	}
	return stTensor{Name: name, Shape: e.Shape, Data: v}, stSpan{name, lo, hi}, nil
}

// checkTiling checks that the tensors tile the data section of size bytes
// exactly, as the format requires.
func checkTiling(spans []stSpan, size int64) error {
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	var at int64
	for _, s := range spans {
		if s.lo != at {
			return badCheckpoint("tensor %q starts at byte %d, expected %d (overlap or gap)", s.name, s.lo, at)
		}
		at = s.hi
	}
	if at != size {
		return badCheckpoint("tensors cover %d bytes of a %d-byte data section", at, size)
	}
	return nil
}
