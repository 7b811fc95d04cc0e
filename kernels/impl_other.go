//go:build purego || noasm || !(amd64 || arm64)

package kernels

// archTables: this build has no assembly (the purego or noasm tag, or an
// architecture without kernels), so generic is the only table.
func archTables() []archTable { return nil }
