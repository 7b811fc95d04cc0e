// Package atomicfile replaces files atomically: every file this module
// writes goes through Write, so a reader, a crash or a kill sees either the
// old file or the complete new one, never a torn write, and every file gets
// the same mode.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/discretegrad/reinmax/internal/faultpoint"
)

// Mode is the permission of every file written by Write (before the umask).
const Mode = 0o644

// tempMarker separates a target's name from the random suffix of its
// temporary file: ".NAME.tmp-123456".
const tempMarker = ".tmp-"

// Write writes data to a temporary file in path's directory, syncs and
// closes it, renames it over path and syncs the directory. On error the
// temporary file is removed and the error names path. A process killed in
// the middle leaves a temporary file that RemoveStale recognises.
func Write(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+tempMarker+"*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("writing %s: %w", path, err)
		}
	}()
	if err = f.Chmod(Mode); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	faultpoint.At("write " + base)
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	faultpoint.At("wrote " + base)
	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable. It is best effort: some file
// systems refuse to sync a directory, and the rename itself succeeded.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// IsTemp reports whether name (a base name) is one of Write's temporary
// files: ".NAME.tmp-DIGITS". Names from earlier versions of this module
// (".NAME.tmpDIGITS") are recognised too.
func IsTemp(name string) bool {
	if !strings.HasPrefix(name, ".") {
		return false
	}
	i := strings.LastIndex(name, ".tmp")
	if i < 2 {
		return false
	}
	digits := strings.TrimPrefix(name[i+len(".tmp"):], "-")
	if digits == "" {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// RemoveStale removes the temporary files that a killed Write left in dir
// and returns their names. Call it only while no other process can be
// writing in dir (for example under the directory's lock).
func RemoveStale(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() || !IsTemp(e.Name()) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, e.Name())
	}
	return removed, errors.Join(errs...)
}
