package experiment

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFile is the lock of a run directory or a sweep directory. It stays in
// the directory after the lock is released (removing it would race with a
// process about to lock it); it holds the process id of the last holder.
const LockFile = ".lock"

// ErrLocked is returned when another process holds a directory's lock.
var ErrLocked = errors.New("in use by another process")

// Lock is an exclusive advisory lock on a directory, held until Unlock or
// the process's exit (a killed process's lock is released by the kernel).
type Lock struct {
	f *os.File
}

// LockDir takes dir's lock without waiting: it returns an error wrapping
// ErrLocked, naming dir and the holder's process id, when another process
// (or another Lock in this process) holds it. dir must exist.
//
// The lock is flock(2) on dir/.lock. It protects processes on one machine,
// and processes on several machines that share dir over NFS when the
// NFS client emulates flock with NFS byte-range locks (Linux does) and the
// server's lock manager runs; on file systems without lock support LockDir
// fails rather than run unprotected.
func LockDir(dir string) (*Lock, error) {
	f, path, err := openLockFile(dir)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		holder := ""
		if raw, rerr := os.ReadFile(path); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(raw))); perr == nil {
				holder = fmt.Sprintf(" (pid %d)", pid)
			}
		}
		f.Close()
		if errors.Is(err, ErrLocked) {
			return nil, fmt.Errorf("%s is %w%s", dir, ErrLocked, holder)
		}
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	// The process id is informational: it names the holder in the error above.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Unlock releases the lock. It is safe to call more than once.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor releases the flock
	l.f = nil
	return err
}

// WaitLockDir is LockDir that waits for the holder to release the lock, for
// short critical sections such as merging a sweep's manifest.
func WaitLockDir(dir string) (*Lock, error) {
	f, _, err := openLockFile(dir)
	if err != nil {
		return nil, err
	}
	if err := waitLockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	return &Lock{f: f}, nil
}

// openLockFile opens (creating it if needed) dir's lock file.
func openLockFile(dir string) (*os.File, string, error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, "", fmt.Errorf("locking %s: %w", dir, err)
	}
	return f, path, nil
}
