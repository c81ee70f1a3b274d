package collector

import (
	"io/fs"

	"github.com/fromscratch/fromscratch/elfscan"
)

// The root does not change while a plan is made, and the same paths come
// again and again (libc.so.6 in every program's closure, each with its
// reason): each is resolved and stat'ed once.

type resolved struct {
	real  string
	links []elfscan.Link
	err   error
}

type statted struct {
	st  fs.FileInfo
	err error
}

// resolveOnce is c.root.Resolve(p), once per path.
func (c *collection) resolveOnce(p string) (string, []elfscan.Link, error) {
	r := once(c, "resolved", p, func() (r resolved) {
		r.real, r.links, r.err = c.root.Resolve(p)
		return r
	})
	return r.real, r.links, r.err
}

// lstatOnce is c.root.Lstat(p), once per path.
func (c *collection) lstatOnce(p string) (fs.FileInfo, error) {
	s := once(c, "lstat", p, func() (s statted) {
		s.st, s.err = c.root.Lstat(p)
		return s
	})
	return s.st, s.err
}

// once returns what compute gives for p, asked once per path in the
// collection's cache under name.
func once[V any](c *collection, name, p string, compute func() V) V {
	m, _ := c.cache[name].(map[string]V)
	if m == nil {
		m = map[string]V{}
		c.cache[name] = m
	}
	v, ok := m[p]
	if !ok {
		v = compute()
		m[p] = v
	}
	return v
}
