package collector

import (
	"bytes"
	"debug/elf"
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
		for _, img := range pkg.owns {
			o := c.objects[img]
			if o == nil {
				continue
			}
			run := c.programELF[o.Path] || c.programELF[o.RealPath]
			for _, d := range c.namedDirs(o.RealPath, run, candidate) {
				if strings.HasPrefix(o.Path, d+"/") || strings.HasPrefix(o.RealPath, d+"/") {
					continue
				}
				if st, err := c.root.Lstat(d); err != nil || !st.IsDir() {
					continue
				}
				if !program && slices.Equal(listedBy[d], []string{pkg.id()}) && c.holdsELF(d, db.paths(pkg.id())) {
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

// namedDirs returns the paths among want that the file p names as
// strings: each NUL-terminated string that is a path, or a list of them
// separated by colons or blanks, absolute; a relative one with a slash
// (share/x) is taken from the prefix of a program (/usr for /usr/bin/git),
// as programs built relocatable find their data. Paths only: whether
// each is a directory is the caller's to find.
func (c *collection) namedDirs(p string, program bool, want map[string]bool) []string {
	prefix := ""
	if program && strings.HasSuffix(path.Dir(p), "/bin") {
		prefix = path.Dir(path.Dir(p))
	}
	var out []string
	seen := map[string]bool{}
	for _, data := range c.readOnlyData(p) {
		out = namedIn(data, prefix, want, seen, out)
	}
	slices.Sort(out)
	return out
}

// readOnlyData returns the contents of the file p's loadable segments
// that are not executable, where linkers that separate code (binutils
// since 2.31, lld) put constant strings (.rodata, and .data for tables of
// them): a fraction of a large library. Where no segment is read-only,
// strings share the code's: all loadable segments are returned. A file
// debug/elf cannot read is returned whole.
func (c *collection) readOnlyData(p string) [][]byte {
	if f, err := c.root.Open(p); err == nil {
		defer f.Close()
		if ef, err := elf.NewFile(f); err == nil {
			separate := slices.ContainsFunc(ef.Progs, func(prog *elf.Prog) bool {
				return prog.Type == elf.PT_LOAD && prog.Flags&(elf.PF_X|elf.PF_W) == 0
			})
			var out [][]byte
			for _, prog := range ef.Progs {
				if prog.Type != elf.PT_LOAD || separate && prog.Flags&elf.PF_X != 0 || prog.Filesz == 0 || prog.Filesz > 256<<20 {
					continue
				}
				b := make([]byte, prog.Filesz)
				if _, err := f.ReadAt(b, int64(prog.Off)); err != nil {
					out = nil
					break
				}
				out = append(out, b)
			}
			if out != nil {
				return out
			}
		}
	}
	data, err := c.root.ReadFile(p, 256<<20)
	if err != nil {
		return nil
	}
	return [][]byte{data}
}

// namedIn appends to out the paths of want that data names (namedDirs).
func namedIn(data []byte, prefix string, want, seen map[string]bool, out []string) []string {
	// Each string with a slash, once: from the NUL before its first
	// slash to the NUL after it.
	for off := 0; off < len(data); {
		i := bytes.IndexByte(data[off:], '/')
		if i < 0 {
			break
		}
		i += off
		start := off + bytes.LastIndexByte(data[off:i], 0) + 1
		end := bytes.IndexByte(data[i:], 0)
		if end < 0 {
			end = len(data) - i
		}
		end += i
		off = end + 1
		if end-start < 4 || end-start > 4096 {
			continue
		}
		for str := data[start:end]; len(str) > 0; {
			f := str
			if j := bytes.IndexAny(str, ": \t"); j >= 0 {
				f, str = str[:j], str[j+1:]
			} else {
				str = nil
			}
			if len(f) == 0 || bytes.IndexByte(f, '/') < 0 {
				continue
			}
			if f[0] == '/' {
				if want[string(f)] && !seen[string(f)] { // no copy unless found
					seen[string(f)] = true
					out = append(out, string(f))
				}
				continue
			}
			if prefix == "" || f[0] == '.' {
				continue
			}
			if s := path.Join(prefix, string(f)); want[s] && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}
