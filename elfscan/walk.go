package elfscan

import (
	"io/fs"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// A Node is what Walk needs to know of a path: its type, and a symlink's
// target as written.
type Node struct {
	Mode   fs.FileMode
	Target string
}

// Walk resolves the clean absolute path p as the kernel does, in a tree
// that lookup describes: a Root's directory, or the entries of a plan.
// lookup is asked about paths with no symlink before their last
// component. followLast says whether a symlink in the last component is
// followed. Every link followed is appended to links, whose length also
// bounds the walk (ErrLoop past 40, as Linux). A non-directory before the
// last component is unix.ENOTDIR; lookup's errors are returned as they are.
func Walk(p string, followLast bool, links *[]Link, lookup func(string) (Node, error)) (string, error) {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	cur := "/"
	for i, name := range parts {
		switch name {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := cur + "/" + name // path.Join, for a clean cur and a plain name
		if cur == "/" {
			next = "/" + name
		}
		last := i == len(parts)-1
		n, err := lookup(next)
		if err != nil {
			return "", err
		}
		if n.Mode&fs.ModeSymlink == 0 || (last && !followLast) {
			if !last && !n.Mode.IsDir() {
				return "", unix.ENOTDIR
			}
			cur = next
			continue
		}
		if len(*links) >= maxLinks {
			return "", ErrLoop
		}
		*links = append(*links, Link{Path: next, Target: n.Target})
		// Joined without lexical cleaning: "dir/.." must go up from where
		// dir really leads, as the kernel does.
		base := n.Target
		if !strings.HasPrefix(base, "/") {
			base = cur + "/" + base
		}
		// The target is walked by the same code, so ".." in it stops at
		// the root and an absolute target starts again at the root.
		resolved, err := Walk(base, true, links, lookup)
		if err != nil {
			return "", err
		}
		rest := strings.Join(parts[i+1:], "/")
		if rest == "" {
			return resolved, nil
		}
		return Walk(resolved+"/"+rest, followLast, links, lookup)
	}
	return cur, nil
}
