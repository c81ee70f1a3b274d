package collector

import (
	"github.com/fromscratch/fromscratch/elfscan"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// rulePackageData: a program or library finds its own data, helpers and
// plugins in directories compiled into it: vim its runtime directory
// /usr/share/vim, git its exec-path /usr/lib/git-core and, relative to its
// prefix, share/git-core/templates, perl its modules in perl-base's
// directory, libtcl its init.tcl in /usr/share/tcltk, libsasl2 the
// plugins it dlopens from /usr/lib/x86_64-linux-gnu/sasl2. Evidence: the
// object names the directory as a string (a path, or one directory of a
// search path "a:b" or "a b"; a relative one such as share/x is taken
// from the prefix of a program in a bin directory), and the directory is
// in the list of the object's Debian package or of a package of the same
// source that it depends on (vim-tiny's vim-common; for a library, one
// it depends on or recommends that has no programs: libsasl2-2's
// libsasl2-modules-db and libsasl2-modules). A library's own
// directory that holds ELF files is left out: those are modules loaded by
// name as configured (libc's gconv modules, OpenSSL's engines, Kerberos's
// plugins), not data it needs whole. Added:
// what those packages list in the directory (their files, with the
// closures of ELF files among them, and directories), minus
// packageDataSkip; not other packages' files there (vim-runtime's 40 MB),
// nor the loader's directories, those base-files makes or those above the
// object itself. On where the root has a dpkg database.
func rulePackageData(c *collection) error {
	// Where the closures' objects are: the loader's directories, never
	// a program's data.
	libDirs := map[string]bool{}
	for _, o := range c.order {
		libDirs[path.Dir(o.Path)], libDirs[path.Dir(o.RealPath)] = true, true
	}
	pkgs, db, err := c.newOwners("package-data")
	if err != nil {
		return err
	}
	// The objects are read in parallel, then what they name is added
	// in order.
	var scans []*namedScan
	for _, pkg := range pkgs {
		// The packages whose data the objects may name: their own, and
		// those of the same source it depends on.
		program := c.ownsProgram(pkg)
		ids, why := []string{pkg.id()}, map[string]string{pkg.id(): pkg.id()}
		fields := []string{"Pre-Depends", "Depends"}
		if !program {
			// libsasl2-2 recommends its plugins (libsasl2-modules).
			fields = append(fields, "Recommends")
		}
		for _, dep := range db.sameSourceDepends(db.find(pkg.name, pkg.arch), fields...) {
			id := db.listID(dep, "")
			if !program && listsPrograms(db.paths(id)) {
				continue // a library's tools and daemons: not its data
			}
			ids = append(ids, id)
			why[id] = dep + " (of the same source as " + pkg.id() + ")"
		}
		listedBy := map[string][]string{}
		for _, id := range ids {
			for _, p := range db.paths(id) {
				listedBy[p] = append(listedBy[p], id)
			}
		}
		// The directories they list that may be data: not the loader's,
		// nor base-files', nor documentation.
		candidate := map[string]bool{}
		for p := range listedBy {
			if !db.skeleton[p] && !libDirs[p] && !packageDataSkipped(p) {
				candidate[p] = true // or a file: Lstat tells
			}
		}
		if len(candidate) == 0 {
			continue
		}
		// What an object may be found to name, known before it is
		// read: the candidates that are directories, not above it,
		// and not a library's own modules. An object that can name
		// none is not read (most libraries: their package lists no
		// directory but those above them and the documentation's).
		dirs := c.packageDirs(candidate, listedBy, db)
		if len(dirs) == 0 {
			continue
		}
		ownModules := map[string]bool{}
		modules := func(d string) bool {
			v, ok := ownModules[d]
			if !ok {
				v = !program && slices.Equal(listedBy[d], []string{pkg.id()}) && c.holdsELF(d, db.paths(pkg.id()))
				ownModules[d] = v
			}
			return v
		}
		for _, img := range pkg.owns {
			o := c.objects[img]
			if o == nil {
				continue
			}
			var named []string
			for _, d := range dirs {
				if !strings.HasPrefix(o.Path, d+"/") && !strings.HasPrefix(o.RealPath, d+"/") && !modules(d) {
					named = append(named, d)
				}
			}
			if len(named) == 0 {
				continue
			}
			run := c.programELF[o.Path] || c.programELF[o.RealPath]
			scans = append(scans, &namedScan{path: o.RealPath, program: run, want: candidate, sought: named, apply: func(found []string) error {
				return c.addNamedDirs(o, found, listedBy, why, modules, db)
			}})
		}
	}
	c.scanNamed(scans)
	for _, s := range scans {
		if err := s.apply(s.found); err != nil {
			return err
		}
	}
	return nil
}

// addNamedDirs adds the directories found named in the object o
// (rulePackageData).
func (c *collection) addNamedDirs(o *elfscan.Object, found []string, listedBy map[string][]string, why map[string]string, modules func(string) bool, db *dpkgDB) error {
	for _, d := range found {
		if strings.HasPrefix(o.Path, d+"/") || strings.HasPrefix(o.RealPath, d+"/") {
			continue
		}
		if !c.isDir(d) || modules(d) {
			continue
		}
		var from []string
		for _, id := range listedBy[d] {
			from = append(from, why[id])
		}
		reason := Reason{Rule: RulePackageData, Requester: objectName(o),
			Evidence: d + ", named in " + objectName(o) + ": files of " + strings.Join(from, ", ")}
		if err := c.addPackageDir(d, listedBy[d], db, reason); err != nil {
			return err
		}
	}
	return nil
}

// holdsELF reports whether an ELF file of the list is in the directory d.
func (c *collection) holdsELF(d string, list []string) bool {
	for _, p := range list {
		if strings.HasPrefix(p, d+"/") {
			if st, err := c.root.Lstat(p); err == nil && st.Mode().IsRegular() && c.isELF(p) {
				return true
			}
		}
	}
	return false
}

// packageDataSkip are the directories, by name wherever they are, that
// rulePackageData leaves out besides conffileSkip: translations (a
// program runs in C.UTF-8 unless --locales says otherwise), man pages
// kept beside a program's data (PostgreSQL's), and PostgreSQL's
// extension build system (pgxs, in the library directory its programs
// name).
var packageDataSkip = []string{"locale", "man", "doc", "pgxs"}

func packageDataSkipped(p string) bool {
	if conffileSkipped(p) {
		return true
	}
	for _, s := range packageDataSkip {
		if path.Base(p) == s || strings.Contains(p, "/"+s+"/") {
			return true
		}
	}
	return false
}

// addPackageDir adds the directory d and what the packages ids list in
// it (rulePackageData).
func (c *collection) addPackageDir(d string, ids []string, db *dpkgDB, reason Reason) error {
	key := "package-data:dir:" + d
	if c.cache[key] != nil {
		return nil
	}
	c.cache[key] = true
	var paths []string
	for _, id := range ids {
		for _, p := range db.paths(id) {
			if p == d || strings.HasPrefix(p, d+"/") {
				paths = append(paths, p)
			}
		}
	}
	slices.Sort(paths)
	paths = slices.Compact(paths)
	var elfs []string
	for _, p := range paths {
		if packageDataSkipped(p) || c.isExcluded(p) {
			continue
		}
		st, err := c.root.Lstat(p)
		switch {
		case err != nil:
			continue // removed by the admin
		case st.IsDir():
			err = c.addDir(p, st, reason)
		case st.Mode()&fs.ModeSymlink != 0:
			// A link to a directory is only the link: its target's
			// files are listed on their own where they are the
			// package's.
			if t, serr := c.root.Stat(p); serr == nil && t.IsDir() {
				target, rerr := c.root.Readlink(p)
				if rerr != nil {
					continue
				}
				e := &Entry{Path: p, Kind: Symlink, Mode: fs.ModeSymlink | 0o777, Target: target}
				e.Uid, e.Gid = owner(st)
				err = c.addEntry(e, reason, true)
			} else if serr == nil && t.Mode().IsRegular() {
				err = c.addPathFound(p, reason, true, &elfs)
			}
		case st.Mode().IsRegular():
			err = c.addPathFound(p, reason, true, &elfs)
		}
		if err != nil {
			return err
		}
	}
	for _, e := range elfs {
		// What the rule brings is not evidence of more (git's
		// helpers name git's directories again).
		c.cache["package-data:object:"+e] = true
	}
	return c.resolveAdded(elfs, reason)
}

// packageDirs returns, sorted, the candidates that are directories in
// the root. A path of a list is a file or a directory: one with paths
// listed under it is a directory, and so is none of those the listing
// packages' md5sums name (their regular files); only the others are
// looked at.
func (c *collection) packageDirs(candidate map[string]bool, listedBy map[string][]string, db *dpkgDB) []string {
	parents := map[string]bool{}
	for p := range listedBy {
		parents[path.Dir(p)] = true
	}
	var out []string
	for p := range candidate {
		if !parents[p] && !slices.ContainsFunc(listedBy[p], func(id string) bool { return !db.regularFiles(id)[p] }) {
			continue // a regular file of every package listing it
		}
		if c.isDir(p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// isDir reports whether the root has a directory (not a link to one) at
// p, asked of the root once.
func (c *collection) isDir(p string) bool {
	key := "package-data:isdir:" + p
	if v, ok := c.cache[key]; ok {
		return v.(bool)
	}
	st, err := c.root.Lstat(p)
	v := err == nil && st.IsDir()
	c.cache[key] = v
	return v
}
