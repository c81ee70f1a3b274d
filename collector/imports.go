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
		for _, s := range c.imports(c.order[x.indexed]) {
			x.by[s] = append(x.by[s], x.indexed)
		}
	}
	return x
}

// imports returns the symbols o imports. The resolver read them with the
// file, unless it could not: a file that cannot be read again is warned
// about and imports nothing.
func (c *collection) imports(o *elfscan.Object) []string {
	if o.File == nil {
		return nil
	}
	syms, err := o.File.Imports()
	if err != nil {
		c.warn("%v: no rule sees what it imports", err)
	}
	return syms
}

// importersOf returns the objects that import any of syms, in the order
// first met.
func (c *collection) importersOf(syms []string) []*elfscan.Object {
	if c.cfg.noAuto {
		// One question (warnDlopen): a scan costs less than the index.
		var out []*elfscan.Object
		for _, o := range c.order {
			if imports := c.imports(o); slices.ContainsFunc(syms, func(s string) bool { return slices.Contains(imports, s) }) {
				out = append(out, o)
			}
		}
		return out
	}
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
