//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package experiment

import "os"

// lockFile does nothing where flock(2) is missing (Windows, Plan 9, wasm):
// there, nothing stops two processes from using one directory.
func lockFile(*os.File) error { return nil }

func waitLockFile(*os.File) error { return nil }
