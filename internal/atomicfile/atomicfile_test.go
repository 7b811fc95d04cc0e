package atomicfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.json")
	require.NoError(t, Write(p, []byte("one")))
	require.NoError(t, Write(p, []byte("two")))
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, "two", string(b))
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, ents, 1, "no temporary file left behind")
	require.ErrorContains(t, Write(filepath.Join(dir, "missing", "f"), nil), filepath.Join(dir, "missing", "f"))
}

// TestWriteMode: every file gets Mode, whatever umask allows beyond it and
// whatever mode the file it replaces had.
func TestWriteMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "checkpoint.safetensors")
	require.NoError(t, os.WriteFile(p, nil, 0o600))
	require.NoError(t, Write(p, []byte("x")))
	fi, err := os.Stat(p)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(Mode), fi.Mode().Perm())
}

func TestIsTemp(t *testing.T) {
	for name, want := range map[string]bool{
		".metrics.jsonl.tmp-123":         true,
		".checkpoint.safetensors.tmp-99": true,
		".config.json.tmp4567":           true, // the earlier command's pattern
		"metrics.jsonl.tmp-123":          false,
		".metrics.jsonl":                 false,
		".tmp-123":                       false,
		".x.tmp-":                        false,
		".x.tmp-12a":                     false,
		".lock":                          false,
	} {
		require.Equal(t, want, IsTemp(name), name)
	}
}

// TestRemoveStale removes what a killed Write leaves, and nothing else.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	keep := []string{"metrics.jsonl", ".lock", "notes.tmp-1", ".hidden"}
	stale := []string{".metrics.jsonl.tmp-123", ".checkpoint.safetensors.tmp-4", ".config.json.tmp77"}
	for _, n := range append(keep, stale...) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644))
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, ".sub.tmp-5"), 0o755))
	removed, err := RemoveStale(dir)
	require.NoError(t, err)
	require.ElementsMatch(t, stale, removed)
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var left []string
	for _, e := range ents {
		left = append(left, e.Name())
	}
	require.ElementsMatch(t, append(keep, ".sub.tmp-5"), left)
}
