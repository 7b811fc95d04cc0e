module github.com/discretegrad/reinmax/kernels/_asm

go 1.26.8

require (
	github.com/discretegrad/reinmax v0.0.0-00010101000000-000000000000
	github.com/mmcloughlin/avo v0.5.0
)

require (
	github.com/klauspost/cpuid/v2 v2.4.2 // indirect
	golang.org/x/mod v0.43.0 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/tools v0.53.0 // indirect
)

replace github.com/discretegrad/reinmax => ../..
