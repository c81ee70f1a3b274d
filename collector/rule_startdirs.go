package collector

import (
	"path"
	"regexp"
	"strings"

	"github.com/fromscratch/fromscratch/elfscan"
	"github.com/fromscratch/fromscratch/internal/arch"
)

// startDirs are the directories interpreters look at as they start, by
// the file name of the program or library (a glob; "{name}" in a
// directory stands for that name, "{triplet}" for the multiarch triplet
// of its architecture): Python's site directories, which
// site.py adds to sys.path when they exist; Tcl's package path
// (tcl_pkgPath, compiled into libtcl), which it normalizes, following
// each directory on the way.
var startDirs = []struct {
	file string
	dirs []string
	run  string // a glob of the files in them that it runs as it starts
}{
	{"python3.*", []string{"/usr/local/lib/{name}/dist-packages", "/usr/lib/python3/dist-packages", "/usr/lib/{name}/dist-packages"}, "*.pth"},
	{"libtcl8.*.so", []string{"/usr/local/lib/tcltk", "/usr/local/share/tcltk", "/usr/lib/tcltk/{triplet}", "/usr/lib/tcltk", "/usr/share/tcltk"}, ""},
}

// pthImport finds the modules that the "import" lines of a Python .pth
// file import: site.py runs those lines as it starts
// (setuptools' distutils-precedence.pth imports _distutils_hack).
var pthImport = regexp.MustCompile(`\bimport\s+([A-Za-z_]\w*)|__import__\(\s*['"]([A-Za-z_]\w*)`)

// ruleStartDirs: an interpreter looks at the directories of startDirs as
// it starts, and carries on the same way whether they are empty or not
// there; but what is in them is other packages' (Python's dist-packages
// hold every python3-* package of the root). Evidence: the program or
// library in a closure. Added: each directory the root has, empty, with
// its mode and owner; for one it lacks, the nearest directory above it
// that it has, so that a lookup stops at the same place as in the root.
// Of their contents only what the interpreter runs as it starts: Python's
// .pth files, and the modules of the same directory that their import
// lines import. The rest comes with --add, or --trace.
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
				if strings.Contains(d, "{triplet}") {
					if o.File == nil {
						continue
					}
					abi, ok := arch.Lookup(o.File.Machine, o.File.Class, o.File.Data, o.File.EFlags)
					if !ok || abi.Triplet == "" {
						continue
					}
					d = strings.ReplaceAll(d, "{triplet}", abi.Triplet)
				}
				for top := d; d != "/"; d = path.Dir(d) {
					if st, err := c.root.Lstat(d); err == nil {
						if st.IsDir() {
							if err := c.addDir(d, st, why); err != nil {
								return err
							}
							if d == top && s.run != "" {
								if err := c.addStartFiles(d, s.run, o); err != nil {
									return err
								}
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

// addStartFiles adds the files of the directory d matching the glob run,
// which the object o runs as it starts, and the modules of d that their
// import lines name (pthImport), with what is in them.
func (c *collection) addStartFiles(d, run string, o *elfscan.Object) error {
	des, err := c.root.ReadDir(d)
	if err != nil {
		return nil
	}
	for _, de := range des {
		if ok, _ := path.Match(run, de.Name()); !ok || !de.Type().IsRegular() {
			continue
		}
		p := path.Join(d, de.Name())
		why := Reason{Rule: RuleStartDirs, Requester: objectName(o), Evidence: "run by " + objectName(o) + " as it starts"}
		if err := c.addPath(p, why, true); err != nil {
			return err
		}
		data, err := c.root.ReadFile(p, 1<<20)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if !strings.HasPrefix(line, "import ") && !strings.HasPrefix(line, "import\t") {
				continue // site.py runs only these lines
			}
			for _, m := range pthImport.FindAllStringSubmatch(line, -1) {
				mod := m[1] + m[2]
				imported := Reason{Rule: RuleStartDirs, Requester: p, Evidence: "imported by " + p + " as " + objectName(o) + " starts"}
				for _, q := range []string{path.Join(d, mod), path.Join(d, mod+".py")} {
					if st, err := c.root.Stat(q); err == nil && (st.IsDir() || st.Mode().IsRegular()) {
						if err := c.addPath(q, imported, false); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	return nil
}
