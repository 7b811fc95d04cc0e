// Command _asm writes the generated amd64 assembly of package kernels and
// its Go declarations from the descriptions in this directory (avo, a
// separate module so that the kernels do not depend on it):
//
//	go generate ./kernels/...
//
// runs it (kernels/gen.go). Each kernel is described once, in Go, for a
// vector ISA (vec); the output is checked in, and CI checks that running
// the generator again changes nothing.
package main

import (
	. "github.com/mmcloughlin/avo/build"
)

func main() {
	Package("github.com/discretegrad/reinmax/kernels")
	ConstraintExpr("!purego,!noasm")
	elementwise(avx2)
	Generate()
}
