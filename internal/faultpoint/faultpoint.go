// Package faultpoint names the moments of the run-directory protocol at
// which the fault-injection tests stop a process (a signal, or SIGKILL), so
// that every phase of a run is tested deterministically rather than by
// timing. In a normal program Hook is nil and At does nothing.
package faultpoint

// Hook, set only by tests before any work starts, is called with the name
// of each point the program reaches.
var Hook func(name string)

// At reports reaching the point name to Hook, if set.
func At(name string) {
	if h := Hook; h != nil {
		h(name)
	}
}
