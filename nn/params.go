package nn

import (
	"fmt"

	"github.com/discretegrad/reinmax/errkind"
)

// Tensor is one named parameter tensor of a model: a view into the flat
// Params vectors. Shape is row-major; a Linear weight is [out, in] and its
// bias [out], as in a PyTorch state_dict.
type Tensor struct {
	Name  string
	Shape []int
	// Off is the tensor's offset in Params.Data and Params.Grad.
	Off int
	// Data and Grad are the views Params.Data[Off:Off+n] and
	// Params.Grad[Off:Off+n], n the product of Shape. Nil before Params.Alloc.
	Data, Grad []float32
}

// Len is the number of elements of the tensor (the product of its shape).
func (t *Tensor) Len() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Params owns the parameters and gradients of a model, each in one
// contiguous slice. Tensors are declared first (NewTensor, usually through
// NewLinear), then Alloc allocates both slices once and binds every
// tensor's views. The zero value is ready to use.
type Params struct {
	// Data holds every parameter, tensors in declaration order. Nil before Alloc.
	Data []float32
	// Grad holds the gradients, laid out like Data. Nil before Alloc.
	Grad []float32

	tensors []*Tensor
	n       int
	fin     finiteTask
}

// NewTensor declares a tensor of the given shape (every dimension >= 1) and
// returns it; its Data and Grad views become valid at Alloc. Names must be
// unique. It is an error to declare tensors after Alloc.
func (p *Params) NewTensor(name string, shape ...int) (*Tensor, error) {
	if p.Data != nil {
		return nil, fmt.Errorf("nn.Params.NewTensor(%q): parameters already allocated: %w", name, errkind.Argument)
	}
	if len(shape) == 0 {
		return nil, fmt.Errorf("nn.Params.NewTensor(%q): empty shape: %w", name, errkind.Shape)
	}
	for _, d := range shape {
		if d < 1 {
			return nil, fmt.Errorf("nn.Params.NewTensor(%q): shape %v has a dimension < 1: %w", name, shape, errkind.Shape)
		}
	}
	for _, t := range p.tensors {
		if t.Name == name {
			return nil, fmt.Errorf("nn.Params.NewTensor: duplicate tensor name %q: %w", name, errkind.Argument)
		}
	}
	t := &Tensor{Name: name, Shape: append([]int(nil), shape...), Off: p.n}
	p.n += t.Len()
	p.tensors = append(p.tensors, t)
	return t, nil
}

// Alloc allocates Data and Grad (zeroed) for every declared tensor and binds
// their views. It is an error to call it twice or with no tensor declared.
func (p *Params) Alloc() error {
	if p.Data != nil {
		return fmt.Errorf("nn.Params.Alloc: already allocated: %w", errkind.Argument)
	}
	if p.n == 0 {
		return fmt.Errorf("nn.Params.Alloc: no tensor declared: %w", errkind.Shape)
	}
	p.Data = make([]float32, p.n)
	p.Grad = make([]float32, p.n)
	for _, t := range p.tensors {
		t.Data = p.Data[t.Off : t.Off+t.Len() : t.Off+t.Len()]
		t.Grad = p.Grad[t.Off : t.Off+t.Len() : t.Off+t.Len()]
	}
	return nil
}

// Len is the total number of parameters declared so far.
func (p *Params) Len() int { return p.n }

// Tensors returns the declared tensors in declaration order (the slice is
// shared; do not modify it).
func (p *Params) Tensors() []*Tensor { return p.tensors }

// Tensor returns the tensor with the given name, or nil.
func (p *Params) Tensor(name string) *Tensor {
	for _, t := range p.tensors {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// ZeroGrad sets every gradient to zero.
func (p *Params) ZeroGrad() { clear(p.Grad) }
