//go:build tools

package main

// The generator loads package kernels for its types (build.Package); this
// import keeps the module and its dependencies in go.mod and go.sum.
import _ "github.com/discretegrad/reinmax/kernels"
