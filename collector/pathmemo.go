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
	m, _ := c.cache["resolved"].(map[string]resolved)
	if m == nil {
		m = map[string]resolved{}
		c.cache["resolved"] = m
	}
	r, ok := m[p]
	if !ok {
		r.real, r.links, r.err = c.root.Resolve(p)
		m[p] = r
	}
	return r.real, r.links, r.err
}

// lstatOnce is c.root.Lstat(p), once per path.
func (c *collection) lstatOnce(p string) (fs.FileInfo, error) {
	m, _ := c.cache["lstat"].(map[string]statted)
	if m == nil {
		m = map[string]statted{}
		c.cache["lstat"] = m
	}
	s, ok := m[p]
	if !ok {
		s.st, s.err = c.root.Lstat(p)
		m[p] = s
	}
	return s.st, s.err
}
