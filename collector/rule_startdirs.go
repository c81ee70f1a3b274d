package collector

import (
	"path"
	"strings"
)

// startDirs are the directories interpreters look at as they start, by
// the file name of the program or library (a glob; "{name}" in a
// directory stands for that name): Python's site directories, which
// site.py adds to sys.path when they exist; Tcl's package path
// (tcl_pkgPath, compiled into libtcl), which it normalizes, following
// each directory on the way.
var startDirs = []struct {
	file string
	dirs []string
}{
	{"python3.*", []string{"/usr/local/lib/{name}/dist-packages", "/usr/lib/python3/dist-packages", "/usr/lib/{name}/dist-packages"}},
	{"libtcl8.*.so", []string{"/usr/local/lib/tcltk", "/usr/local/share/tcltk", "/usr/lib/tcltk/x86_64-linux-gnu", "/usr/lib/tcltk", "/usr/share/tcltk"}},
}

// ruleStartDirs: an interpreter looks at the directories of startDirs as
// it starts, and carries on the same way whether they are empty or not
// there; but what is in them is other packages' (Python's dist-packages
// hold every python3-* package of the root). Evidence: the program or
// library in a closure. Added: each directory the root has, empty, with
// its mode and owner; for one it lacks, the nearest directory above it
// that it has, so that a lookup stops at the same place as in the root.
// Their contents come with --add, or --trace.
func ruleStartDirs(c *collection) error {
	for _, o := range c.order {
		for _, s := range startDirs {
			name := path.Base(o.RealPath) // python3 is a link to python3.11
			if ok, _ := path.Match(s.file, name); !ok {
				continue
			}
			why := Reason{Rule: RuleStartDirs, Requester: objectName(o), Evidence: "looked at by " + objectName(o) + " as it starts"}
			for _, d := range s.dirs {
				d = strings.ReplaceAll(d, "{name}", name)
				for ; d != "/"; d = path.Dir(d) {
					if st, err := c.root.Lstat(d); err == nil {
						if st.IsDir() {
							if err := c.addDir(d, st, why); err != nil {
								return err
							}
						}
						break
					}
				}
			}
		}
	}
	return nil
}
