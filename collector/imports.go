package collector

import (
	"slices"

	"github.com/fromscratch/fromscratch/elfscan"
)

// An importIndex maps each imported symbol that a rule asked about to
// the objects that import it, by their position in collection.order. The
// rules ask which objects import a few symbols, round after round, as
// objects come in; a scan of every object's imports per question cost
// more than the resolution, and so did an index of every symbol (a
// thousand objects import a hundred thousand names).
type importIndex struct {
	by      map[string][]int // every symbol asked about, with its importers
	filter  nameFilter       // the symbols of by
	indexed int              // c.order[:indexed] are in by
}

// A nameFilter tells most names that are not in a set from those that
// may be, without hashing them: one bit per first byte and length.
type nameFilter [256]uint64

func (f *nameFilter) add(s string)      { f[s[0]] |= 1 << min(len(s), 63) }
func (f *nameFilter) may(s string) bool { return f[s[0]]&(1<<min(len(s), 63)) != 0 }

// mayBytes is may for a name as bytes.
func (f *nameFilter) mayBytes(b []byte) bool { return f[b[0]]&(1<<min(len(b), 63)) != 0 }

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
			if !x.filter.may(s) {
				continue
			}
			if objs, ok := x.by[s]; ok {
				x.by[s] = append(objs, x.indexed)
			}
		}
	}
	return x
}

// ask adds the symbols of syms not asked about before to the index.
func (c *collection) ask(x *importIndex, syms []string) {
	var fresh []string
	var filter nameFilter
	for _, s := range syms {
		if _, ok := x.by[s]; !ok && s != "" && !slices.Contains(fresh, s) {
			fresh = append(fresh, s)
			filter.add(s)
			x.filter.add(s)
			x.by[s] = nil
		}
	}
	if len(fresh) == 0 {
		return
	}
	for i := range x.indexed {
		for _, s := range c.imports(c.order[i]) {
			if filter.may(s) && slices.Contains(fresh, s) {
				x.by[s] = append(x.by[s], i)
			}
		}
	}
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
		c.warn(WarnUnread, o.Path, "%v: no rule sees what it imports", err)
	}
	return syms
}

// importersOf returns the objects that import any of syms, in the order
// first met.
func (c *collection) importersOf(syms []string) []*elfscan.Object {
	x := c.importIndex()
	c.ask(x, syms)
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
