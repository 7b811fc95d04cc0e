// Package allocstest counts the heap allocations made by this module's
// code, for tests that require a steady state to allocate nothing.
//
// testing.AllocsPerRun reads runtime.MemStats.Mallocs, which counts every
// allocation in the process: the testing package's, the garbage
// collector's, and those the runtime makes for its own bookkeeping while
// running our goroutines. Which of those fall inside a measurement depends
// on scheduling and on when collections run, so a zero check on Mallocs
// fails now and then on a loaded machine. Count samples every allocation
// in the heap profile instead and keeps those made by this module's code.
package allocstest

import (
	"fmt"
	"runtime"
	"strings"
)

const module = "github.com/discretegrad/reinmax/"

// runtimeOwn are runtime functions that allocate for the runtime itself,
// whichever code called into them; an allocation under one of them is not
// counted.
var runtimeOwn = map[string]bool{
	// A goroutine that blocks (the worker pool's channels, a contended
	// lock) takes a sudog from its P's cache, which refills from a
	// central cache that every collection empties; only when both are
	// empty is one allocated.
	"runtime.acquireSudog": true,
	// An assertion to an interface type that misses its call site's
	// cache rebuilds the cache on a random one in 1024 misses
	// (runtime/iface.go), so when it grows is chance.
	"runtime.buildTypeAssertCache":      true,
	"runtime.buildInterfaceSwitchCache": true,
}

// Count runs f once to warm up, then runs more times, and returns the
// number of heap allocations made meanwhile by code of this module, on any
// goroutine, and a listing of their stacks (empty when there are none).
// Tests that use it must not run in parallel with others of the module.
func Count(runs int, f func()) (n int64, stacks string) {
	f()
	defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
	runtime.MemProfileRate = 1
	// runtime.GC publishes the profile of every allocation made before
	// it.
	runtime.GC()
	before := profile()
	for range runs {
		f()
	}
	runtime.GC()
	var b strings.Builder
	for stk, allocs := range profile() {
		if d := allocs - before[stk]; d > 0 && ours(stk[:]) {
			n += d
			fmt.Fprintf(&b, "%d allocation(s) at\n%s", d, format(stk[:]))
		}
	}
	return n, b.String()
}

// profile returns the allocations so far by stack.
func profile() map[[32]uintptr]int64 {
	n, _ := runtime.MemProfile(nil, true)
	for {
		rs := make([]runtime.MemProfileRecord, n+64)
		var ok bool
		if n, ok = runtime.MemProfile(rs, true); ok {
			m := make(map[[32]uintptr]int64, n)
			for _, r := range rs[:n] {
				m[r.Stack0] += r.AllocObjects
			}
			return m
		}
	}
}

// ours reports whether the allocation with call stack stk (innermost
// first) was made by this module's code: its innermost frame in the module
// is not this package's, and no frame inside that one is in runtimeOwn.
func ours(stk []uintptr) bool {
	frames := runtime.CallersFrames(trim(stk))
	for {
		f, more := frames.Next()
		switch {
		case runtimeOwn[f.Function]:
			return false
		case strings.HasPrefix(f.Function, module):
			return !strings.HasPrefix(f.Function, module+"internal/allocstest.")
		case !more:
			return false
		}
	}
}

func format(stk []uintptr) string {
	var b strings.Builder
	frames := runtime.CallersFrames(trim(stk))
	for {
		f, more := frames.Next()
		fmt.Fprintf(&b, "\t%s\n\t\t%s:%d\n", f.Function, f.File, f.Line)
		if !more {
			return b.String()
		}
	}
}

// trim drops the zero padding of a fixed-size profile stack.
func trim(stk []uintptr) []uintptr {
	for i, pc := range stk {
		if pc == 0 {
			return stk[:i]
		}
	}
	return stk
}
