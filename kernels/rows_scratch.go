package kernels

// rowScratch is the softmax/sampling part of a Workspace: padded row blocks
// per worker. PROVISIONAL: owned by softmax.go / sample.go.
type rowScratch struct{}
