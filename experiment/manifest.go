package experiment

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/discretegrad/reinmax/internal/atomicfile"
)

// Manifest is sweep.json: the grid of the latest invocation and every
// run any invocation on this directory has planned (union by name, in the
// grid's order), so report can list the runs not started yet.
type Manifest struct {
	Grid Grid  `json:"grid"`
	Runs []Run `json:"runs"`
}

// WriteManifest merges runs into dir's manifest and writes it atomically,
// under dir's lock, so that concurrent sweeps never lose each other's runs.
func WriteManifest(dir string, g Grid, runs []Run) error {
	lock, err := WaitLockDir(dir)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	if _, err := atomicfile.RemoveStale(dir); err != nil {
		return err
	}
	m := Manifest{Grid: g, Runs: slices.Clone(runs)}
	old, err := ReadManifest(dir)
	if err != nil {
		return err
	}
	if old != nil {
		have := make(map[string]bool, len(runs))
		for _, r := range runs {
			have[r.Name] = true
		}
		for _, r := range old.Runs {
			if !have[r.Name] {
				m.Runs = append(m.Runs, r)
			}
		}
		slices.SortFunc(m.Runs, func(a, b Run) int { return CompareRuns(a.Config, b.Config) })
	}
	return WriteJSON(filepath.Join(dir, ManifestFile), m)
}

// ReadManifest returns dir's manifest, or nil when there is none.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return &m, nil
}
