package kernels

// genericImpl holds the pure-Go twins of every assembly routine. It is
// compiled on every platform and is the reference the assembly is tested
// against. (PROVISIONAL: the kernels work fills in the fields.)
var genericImpl = &impl{name: "generic", w: 1}
