package collector

import (
	"slices"

	"github.com/fromscratch/fromscratch/elfscan"
)

// An importIndex maps each imported symbol to the objects that import it,
// by their position in collection.order. The rules ask which objects
// import a few symbols, round after round, as objects come in; a scan
// of every object's imports per question cost more than the resolution.
type importIndex struct {
	by      map[string][]int
	indexed int // c.order[:indexed] are in by
}

// importIndex returns the collection's index, with every object of
// c.order in it.
func (c *collection) importIndex() *importIndex {
	x, _ := c.cache["importIndex"].(*importIndex)
	if x == nil {
		x = &importIndex{by: map[string][]int{}}
		c.cache["importIndex"] = x
	}
	for ; x.indexed < len(c.order); x.indexed++ {
		if f := c.order[x.indexed].File; f != nil {
			for _, s := range f.Imports {
				x.by[s] = append(x.by[s], x.indexed)
			}
		}
	}
	return x
}

// importersOf returns the objects that import any of syms, in the order
// first met.
func (c *collection) importersOf(syms []string) []*elfscan.Object {
	x := c.importIndex()
	var pos []int
	for _, s := range syms {
		pos = append(pos, x.by[s]...)
	}
	if len(syms) > 1 {
		slices.Sort(pos)
		pos = slices.Compact(pos)
	}
	out := make([]*elfscan.Object, 0, len(pos))
	for _, i := range pos {
		out = append(out, c.order[i])
	}
	return out
}
