package collector

import (
	"bytes"
	"errors"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/fromscratch/fromscratch/elfscan"
)

// A Package is an installed Debian package of a plan's root that owns
// files of the plan. WithPackageMetadata writes one status.d file per
// package name from these, and SBOMs list them: both read Plan.Packages
// (or the same function during collection), so they always agree.
type Package struct {
	Name         string
	Version      string
	Architecture string // of the paragraph: "all" for architecture-independent packages
	// Source and SourceVersion name the source package it was built
	// from: the Source field, else the package itself.
	Source        string
	SourceVersion string
	// Files are the image paths of the plan's files it owns, sorted.
	Files []string
	// Status is its paragraph of the root's /var/lib/dpkg/status, as
	// written there, ending with a newline.
	Status []byte

	id     string          // NAME or NAME:ARCH, as its info files are named
	listed map[string]bool // its list paths that are files of the plan
}

// Packages returns the Debian packages of the plan's root that own files
// of the plan (see WithPackageMetadata for what owning is), sorted by name
// and architecture; none for a root without a dpkg database. A package
// with no installed paragraph in the status file is left out.
func (p *Plan) Packages() ([]Package, error) {
	if p.Root == nil {
		return nil, nil
	}
	files := make([]*Entry, 0, len(p.Entries))
	for i := range p.Entries {
		files = append(files, &p.Entries[i])
	}
	if !hasDpkg(p.Root) {
		return nil, nil
	}
	db, err := readDpkgDB(p.Root)
	if err != nil {
		return nil, errors.New("collector: " + err.Error())
	}
	pkgs, err := dpkgPackages(db, files, func(string, ...any) {})
	if err != nil {
		return nil, errors.New("collector: " + err.Error())
	}
	return pkgs, nil
}

// dpkgPackages returns the packages of the database that own files among
// entries, sorted by name and architecture; warn is told what is left out.
func dpkgPackages(db *dpkgDB, entries []*Entry, warn func(string, ...any)) ([]Package, error) {
	owners, err := dpkgOwners(db, entries, warn)
	if err != nil || len(owners) == 0 {
		return nil, err
	}
	var pkgs []Package
	for _, o := range owners {
		para := db.find(o.name, o.arch)
		if para == nil {
			warn("%s owns %s but has no installed paragraph in %s", o.id(), o.owns[0], dpkgStatus)
			continue
		}
		pkgs = append(pkgs, Package{
			Name:          o.name,
			Version:       para.version,
			Architecture:  para.arch,
			Source:        para.source,
			SourceVersion: para.sourceVersion,
			Files:         o.owns,
			Status:        para.text,
			id:            o.id(),
			listed:        o.listed,
		})
	}
	return pkgs, nil
}

// hasDpkg reports whether root has a dpkg database.
func hasDpkg(root *elfscan.Root) bool {
	st, err := root.Stat(dpkgStatus)
	return err == nil && st.Mode().IsRegular()
}

// dpkgOwner is one installed instance of a package that owns files of
// the plan: NAME or NAME:ARCH as its info files are named.
type dpkgOwner struct {
	name, arch string
	owns       []string        // image paths of its files in the plan, sorted
	listed     map[string]bool // its list paths that are files of the plan
}

func (p *dpkgOwner) id() string {
	if p.arch == "" {
		return p.name
	}
	return p.name + ":" + p.arch
}

// dpkgOwners searches the database's package file lists for the
// packages that own files among entries, sorted by name and architecture.
func dpkgOwners(db *dpkgDB, entries []*Entry, warn func(string, ...any)) ([]*dpkgOwner, error) {
	// The image paths of the plan's files, by real path in the root.
	bySource := map[string][]string{}
	bases := map[string]bool{}
	var filter nameFilter // of bases: the lists have 100,000 lines
	for _, e := range entries {
		if e.Kind == File && e.Source != "" {
			bySource[e.Source] = append(bySource[e.Source], e.Path)
			for _, b := range []string{path.Base(e.Source), path.Base(e.Path)} { // a list may name a link to it
				bases[b] = true
				filter.add(b)
			}
		}
	}
	if err := db.readLists(); err != nil {
		return nil, err
	}
	if db.listDirErr != nil {
		warn("%s not read: %v: no package metadata added", dpkgInfo, db.listDirErr)
		return nil, nil
	}
	var pkgs []*dpkgOwner
	for _, id := range db.listIDs {
		var pkg *dpkgOwner
		for list := db.lists[id]; len(list) > 0; {
			line := list
			if i := bytes.IndexByte(list, '\n'); i >= 0 {
				line, list = list[:i], list[i+1:]
			} else {
				list = nil
			}
			// Only paths named like a planned file can be one: this
			// spares resolving the thousands of others.
			if len(line) == 0 || line[0] != '/' {
				continue
			}
			if base := line[bytes.LastIndexByte(line, '/')+1:]; len(base) == 0 || !filter.mayBytes(base) || !bases[string(base)] {
				continue
			}
			real, _, err := db.root.Resolve(string(line))
			if err != nil {
				continue
			}
			if imgs := bySource[real]; len(imgs) > 0 {
				if pkg == nil {
					pkg = &dpkgOwner{listed: map[string]bool{}}
					pkg.name, pkg.arch, _ = strings.Cut(id, ":")
				}
				pkg.listed[string(line)] = true
				pkg.owns = append(pkg.owns, imgs...)
			}
		}
		if pkg != nil {
			slices.Sort(pkg.owns)
			pkg.owns = slices.Compact(pkg.owns)
			pkgs = append(pkgs, pkg)
		}
	}
	sort.Slice(pkgs, func(i, j int) bool {
		if pkgs[i].name != pkgs[j].name {
			return pkgs[i].name < pkgs[j].name
		}
		return pkgs[i].arch < pkgs[j].arch
	})
	return pkgs, nil
}

// dpkgMd5sums returns the lines of the package's md5sums file ("MD5
// path" with the path relative to /) for the files of the plan it owns.
func dpkgMd5sums(root *elfscan.Root, pkg *Package) []byte {
	data, err := root.ReadFile(path.Join(dpkgInfo, pkg.id+".md5sums"), 64<<20)
	if err != nil {
		return nil
	}
	var out []byte
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		_, p, ok := strings.Cut(strings.TrimRight(string(line), "\n"), "  ")
		if ok && pkg.listed["/"+strings.TrimPrefix(p, "/")] {
			out = append(out, line...)
			if !bytes.HasSuffix(out, []byte("\n")) {
				out = append(out, '\n')
			}
		}
	}
	return out
}
