package collector

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/fromscratch/fromscratch/elfscan"
)

// Every path is added where it is found: the file at its real path in the
// root, each symlink met on the way (a directory link such as /lib →
// usr/lib, a SONAME link such as libbpf.so.1 → libbpf.so.1.1.2) as a
// symlink at its own real place, with its target as written. So the image
// holds the same paths as the root, and any path that led to the file in
// the root leads to it in the image.

// addPath adds the regular file p (a path inside the root) and the
// symlinks that lead to it.
func (c *collection) addPath(p string, reason Reason, fileOnly bool) error {
	return c.addPathFound(p, reason, fileOnly, nil)
}

// addPathFound adds p, a file or, unless fileOnly, a directory tree. ELF
// files met are appended to elfs when it is not nil.
func (c *collection) addPathFound(p string, reason Reason, fileOnly bool, elfs *[]string) error {
	real, links, err := c.resolveOnce(p)
	if err != nil {
		return err
	}
	if c.isExcluded(p) || c.isExcluded(real) {
		return nil
	}
	for _, l := range links {
		if c.isExcluded(l.Path) {
			return nil
		}
	}
	st, err := c.lstatOnce(real)
	if err != nil {
		return err
	}
	switch {
	case st.Mode().IsRegular():
	case st.IsDir() && !fileOnly:
	case st.IsDir():
		return &fs.PathError{Op: "add", Path: p, Err: fmt.Errorf("is a directory (%s)", real)}
	default:
		return &fs.PathError{Op: "add", Path: p, Err: fmt.Errorf("not a regular file (%s is a %s)", real, typeName(st.Mode()))}
	}
	if err := c.addLinks(links, p, reason); err != nil {
		return err
	}
	if st.IsDir() {
		return c.addTree(real, real, real, reason, elfs)
	}
	return c.addFile(real, real, st, reason, elfs)
}

// addLinks adds the symlinks met on the way to p. A link that leads to a
// file shares p's reason; a directory link (/lib → usr/lib) keeps only the
// first reason it was met for, or every library would be listed on it.
func (c *collection) addLinks(links []elfscan.Link, p string, reason Reason) error {
	for _, l := range links {
		facts, ok := c.linkDir[l.Path]
		if !ok {
			// Asked once per link: every library under /lib goes
			// through the same /lib -> usr/lib.
			st, err := c.root.Stat(l.Path)
			facts.isDir = err == nil && st.IsDir()
			if st, err := c.root.Lstat(l.Path); err == nil {
				facts.uid, facts.gid = owner(st)
			}
			c.linkDir[l.Path] = facts
		}
		r, once := reason, false
		if facts.isDir {
			r, once = Reason{Rule: RuleLink, Requester: p}, true
		}
		e := &Entry{Path: l.Path, Kind: Symlink, Mode: fs.ModeSymlink | 0o777, Target: l.Target, Uid: facts.uid, Gid: facts.gid}
		if err := c.addEntry(e, r, once); err != nil {
			return err
		}
	}
	return nil
}

// linkFacts are what addLinks needs of a symlink of the root.
type linkFacts struct {
	isDir    bool // it leads to a directory
	uid, gid int
}

// addFile adds the regular file src of the root at dst.
func (c *collection) addFile(dst, src string, st fs.FileInfo, reason Reason, elfs *[]string) error {
	e := &Entry{Path: dst, Kind: File, Source: src, Mode: c.fileMode(dst, st.Mode()), Size: st.Size(), ModTime: st.ModTime()}
	e.Uid, e.Gid = owner(st)
	if elfs != nil && !c.isExcluded(dst) && c.isELF(src) {
		*elfs = append(*elfs, src)
	}
	return c.addEntry(e, reason, false)
}

// addTree adds the directory src of the root at dst with everything in it.
// Symlinks are kept as symlinks; one that leads to a file outside the
// tree (top) brings that file, one that leads to a directory outside it
// does not bring the directory (a link to "/" would bring the whole root):
// unless that directory is in the plan anyway, the link is dropped with a
// warning when the plan is finished.
func (c *collection) addTree(src, dst, top string, reason Reason, elfs *[]string) error {
	key := src + "\x00" + dst
	if c.trees[key] || c.isExcluded(dst) {
		return nil
	}
	c.trees[key] = true
	st, err := c.root.Lstat(src)
	if err != nil {
		return err
	}
	e := &Entry{Path: dst, Kind: Dir, Mode: fs.ModeDir | st.Mode().Perm() | st.Mode()&fs.ModeSticky}
	e.Uid, e.Gid = owner(st)
	if err := c.addEntry(e, reason, true); err != nil {
		return err
	}
	list, err := c.root.ReadDir(src)
	if err != nil {
		return err
	}
	for _, de := range list {
		s, d := path.Join(src, de.Name()), path.Join(dst, de.Name())
		if c.isExcluded(d) {
			continue
		}
		info, err := c.root.Lstat(s)
		if err != nil {
			c.warn(WarnNotAdded, s, "%s: %s skipped: %v", reason, s, err)
			continue
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := c.root.Readlink(s)
			if err != nil {
				c.warn(WarnNotAdded, s, "%s: %s skipped: %v", reason, s, err)
				continue
			}
			link := &Entry{Path: d, Kind: Symlink, Mode: fs.ModeSymlink | 0o777, Target: target}
			link.Uid, link.Gid = owner(info)
			if err := c.addEntry(link, reason, false); err != nil {
				return err
			}
			c.followTreeLink(s, target, top, reason)
		case info.IsDir():
			err = c.addTree(s, d, top, reason, elfs)
		case info.Mode().IsRegular():
			err = c.addFile(d, s, info, reason, elfs)
		default:
			c.warn(WarnNotAdded, s, "%s: %s skipped: a %s", reason, s, typeName(info.Mode()))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// followTreeLink brings the file that the link s (with the given target)
// of a tree leads to, when it is outside the tree.
func (c *collection) followTreeLink(s, target, top string, reason Reason) {
	real, _, err := c.root.Resolve(s)
	if err != nil || real == top || strings.HasPrefix(real, top+"/") {
		return // dangling (dropped later) or inside the tree
	}
	if st, err := c.root.Lstat(real); err != nil || !st.Mode().IsRegular() {
		return
	}
	// The target as the link names it, resolved in the link's directory
	// without lexical cleaning (".." after a link goes where the link
	// leads), so every link on the way is added too.
	via := target
	if !strings.HasPrefix(target, "/") {
		via = path.Dir(s) + "/" + target
	}
	if err := c.addPath(via, reason, true); err != nil {
		c.warn(WarnNotAdded, s, "%s: %s → %s: %v", reason, s, target, err)
	}
}

// addRelocated adds src of the root (a file or a tree) at another path of
// the image, dst. The directories leading to dst are taken from the root
// where it has them (so /lib/x under /lib → usr/lib lands in /usr/lib).
func (c *collection) addRelocated(src, dst string, reason Reason, elfs *[]string) error {
	real, _, err := c.root.Resolve(src)
	if err != nil {
		return err
	}
	st, err := c.root.Lstat(real)
	if err != nil {
		return err
	}
	if parent, links, err := c.root.Resolve(path.Dir(dst)); err == nil {
		if pst, err := c.root.Lstat(parent); err == nil && pst.IsDir() {
			if err := c.addLinks(links, dst, reason); err != nil {
				return err
			}
			dst = path.Join(parent, path.Base(dst))
		}
	}
	if c.isExcluded(dst) {
		return nil
	}
	switch {
	case st.IsDir():
		return c.addTree(real, dst, real, reason, elfs)
	case st.Mode().IsRegular():
		return c.addFile(dst, real, st, reason, elfs)
	}
	return &fs.PathError{Op: "add", Path: src, Err: fmt.Errorf("not a regular file (%s is a %s)", real, typeName(st.Mode()))}
}

// addGenerated adds a file made by the collector (passwd, group…).
func (c *collection) addGenerated(p string, data []byte, reason Reason) error {
	return c.addEntry(&Entry{Path: p, Kind: File, Data: data, Mode: 0o644, Size: int64(len(data))}, reason, false)
}

// addEntry puts e in the plan with reason, and its parent directories. A
// path already planned as something else keeps what it was, with a
// warning; the same thing planned again gains the reason (with once, only
// if it has none).
func (c *collection) addEntry(e *Entry, reason Reason, once bool) error {
	if c.isExcluded(e.Path) {
		return nil
	}
	if old := c.entries[e.Path]; old != nil {
		switch {
		case old.Kind == Dir && e.Kind == Dir:
			if c.implicit[e.Path] {
				old.Mode, old.Uid, old.Gid = e.Mode, e.Uid, e.Gid
				delete(c.implicit, e.Path)
			}
		case c.adding && old.Kind != e.Kind:
			// What the user adds wins over what is planned later, but it
			// may not change the type of what is planned already: a
			// directory turned into a file loses everything under it, a
			// program turned into a symlink is not the program.
			return fmt.Errorf("cannot add %s as %s: it is %s in the plan%s", e.Path, describeEntry(e), describeEntry(old), why(old))
		case !sameEntry(old, e):
			c.warn(WarnDropped, e.Path, "%s: planned as %s, also wanted as %s (%s): kept the first", e.Path, describeEntry(old), describeEntry(e), reason)
			return nil
		}
		once = once || c.inRules
		if reason != (Reason{}) && !(once && len(old.Reasons) > 0) && !slices.Contains(old.Reasons, reason) {
			old.Reasons = append(old.Reasons, reason)
		}
		return nil
	}
	if err := c.ensureParents(e.Path); err != nil {
		return err
	}
	if reason != (Reason{}) {
		e.Reasons = []Reason{reason}
	}
	c.entries[e.Path] = e
	return nil
}

// ensureParents adds the missing parent directories of p (mode 0755).
func (c *collection) ensureParents(p string) error {
	var missing []string
	for d := path.Dir(p); ; d = path.Dir(d) {
		if old := c.entries[d]; old != nil {
			if old.Kind != Dir {
				return fmt.Errorf("cannot plan %s: %s is %s in the plan%s", p, d, describeEntry(old), why(old))
			}
			break
		}
		if d == "/" {
			break
		}
		missing = append(missing, d)
	}
	for _, d := range missing {
		c.entries[d] = &Entry{Path: d, Kind: Dir, Mode: fs.ModeDir | 0o755}
		c.implicit[d] = true
	}
	return nil
}

func sameEntry(a, b *Entry) bool {
	return a.Kind == b.Kind && a.Source == b.Source && a.Target == b.Target && bytes.Equal(a.Data, b.Data)
}

func describeEntry(e *Entry) string {
	switch {
	case e.Kind == Symlink:
		return "a symlink to " + e.Target
	case e.Kind == File && e.Source != "":
		return "a copy of " + e.Source
	case e.Kind == File:
		return "a generated file"
	}
	return "a " + e.Kind.String()
}

// why is " (reasons)" of an entry, or "" when it has none (a parent
// directory).
func why(e *Entry) string {
	if len(e.Reasons) == 0 {
		return ""
	}
	return " (" + strings.Join(Texts(e.Reasons), "; ") + ")"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func typeName(m fs.FileMode) string {
	switch t := m.Type(); {
	case t&fs.ModeNamedPipe != 0:
		return "named pipe"
	case t&fs.ModeSocket != 0:
		return "socket"
	case t&fs.ModeCharDevice != 0:
		return "character device"
	case t&fs.ModeDevice != 0:
		return "device"
	case t&fs.ModeSymlink != 0:
		return "symlink"
	case t&fs.ModeDir != 0:
		return "directory"
	}
	return "file of another type"
}

// isELF reports whether the regular file p of the root starts with the
// ELF magic.
func (c *collection) isELF(p string) bool {
	f, err := c.root.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	_, err = io.ReadFull(f, magic[:])
	return err == nil && string(magic[:]) == "\x7fELF"
}

// linkHardlinks makes the planned files that are one inode in the root
// one file and hard links to it: the first path in sort order is the file.
func (c *collection) linkHardlinks() error {
	type inode struct{ dev, ino uint64 }
	copies := map[string]int{} // source → how many entries copy it
	for _, e := range c.entries {
		if e.Kind == File && e.Source != "" {
			copies[e.Source]++
		}
	}
	groups := map[inode][]string{}
	for p, e := range c.entries {
		if e.Kind != File || e.Source == "" {
			continue
		}
		st, err := c.root.Lstat(e.Source)
		if err != nil {
			return fmt.Errorf("%s: %w", e.Path, err)
		}
		// A file added at two paths is one file and a hard link, like a
		// real hard link.
		sys, ok := st.Sys().(*syscall.Stat_t)
		if !ok || sys.Nlink < 2 && copies[e.Source] < 2 {
			continue
		}
		k := inode{uint64(sys.Dev), uint64(sys.Ino)}
		groups[k] = append(groups[k], p)
	}
	for _, paths := range groups {
		if len(paths) < 2 {
			continue
		}
		sort.Strings(paths)
		for _, p := range paths[1:] {
			e := c.entries[p]
			e.Kind, e.Target, e.Source, e.Size = Hardlink, paths[0], "", 0
			e.Mode = c.entries[paths[0]].Mode
		}
	}
	return nil
}

// checkSymlinks drops the symlinks that do not lead to an entry of the
// plan, or that climb above the root (harmless inside the image, where
// ".." stops at "/", but outside it when the tree is read from the host),
// until every symlink left leads somewhere in the plan.
func (c *collection) checkSymlinks() {
	for {
		var drop []string
		for p, e := range c.entries {
			if e.Kind != Symlink {
				continue
			}
			if escapes(p, e.Target) {
				drop = append(drop, p)
				c.warn(WarnDropped, p, "dropped symlink %s → %s: it climbs above the root", p, e.Target)
				continue
			}
			if _, err := c.resolveInPlan(p); err != nil {
				drop = append(drop, p)
				c.warn(WarnDropped, p, "dropped symlink %s → %s: %v", p, e.Target, err)
			}
		}
		if len(drop) == 0 {
			return
		}
		for _, p := range drop {
			delete(c.entries, p)
		}
	}
}

// escapes reports whether a relative target, read lexically from the
// link's directory, climbs above "/".
func escapes(link, target string) bool {
	if strings.HasPrefix(target, "/") {
		return false
	}
	depth := strings.Count(path.Dir(link), "/")
	if path.Dir(link) == "/" {
		depth = 0
	}
	for _, part := range strings.Split(target, "/") {
		switch part {
		case "", ".":
		case "..":
			if depth == 0 {
				return true
			}
			depth--
		default:
			depth++
		}
	}
	return false
}

// resolveInPlan follows p through the plan's entries the way the kernel
// would inside the image (elfscan.Walk), and returns the entry it leads to.
func (c *collection) resolveInPlan(p string) (string, error) {
	var links []elfscan.Link
	return elfscan.Walk(p, true, &links, func(q string) (elfscan.Node, error) {
		e := c.entries[q]
		switch {
		case e == nil:
			return elfscan.Node{}, fmt.Errorf("%s is not in the plan", q)
		case e.Kind == Symlink:
			return elfscan.Node{Mode: fs.ModeSymlink, Target: e.Target}, nil
		case e.Kind == Dir:
			return elfscan.Node{Mode: fs.ModeDir}, nil
		}
		return elfscan.Node{}, nil
	})
}
