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
	pkgs, err := dpkgPackages(p.Root, files, func(string, ...any) {})
	if err != nil {
		return nil, errors.New("collector: " + err.Error())
	}
	return pkgs, nil
}

// dpkgPackages returns the packages of root that own files among entries,
// sorted by name and architecture; warn is told what is left out.
func dpkgPackages(root *elfscan.Root, entries []*Entry, warn func(string, ...any)) ([]Package, error) {
	if st, err := root.Stat(dpkgStatus); err != nil || !st.Mode().IsRegular() {
		return nil, nil
	}
	owners, err := dpkgOwners(root, entries, warn)
	if err != nil || len(owners) == 0 {
		return nil, err
	}
	status, err := root.ReadFile(dpkgStatus, 256<<20)
	if err != nil {
		return nil, err
	}
	paras := dpkgParagraphs(status)
	var pkgs []Package
	for _, o := range owners {
		para := findParagraph(paras, o.name, o.arch)
		if para == nil {
			warn("%s owns %s but has no installed paragraph in %s", o.id(), o.owns[0], dpkgStatus)
			continue
		}
		pkg := Package{
			Name:         o.name,
			Version:      dpkgField(para, "Version"),
			Architecture: dpkgField(para, "Architecture"),
			Files:        o.owns,
			Status:       para,
			id:           o.id(),
			listed:       o.listed,
		}
		pkg.Source, pkg.SourceVersion = pkg.Name, pkg.Version
		if src := dpkgField(para, "Source"); src != "" {
			name, ver, _ := strings.Cut(src, " ")
			pkg.Source = name
			if ver = strings.Trim(strings.TrimSpace(ver), "()"); ver != "" {
				pkg.SourceVersion = ver
			}
		}
		pkgs = append(pkgs, pkg)
	}
	return pkgs, nil
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

// dpkgOwners reads the root's package file lists and returns the packages
// that own files among entries, sorted by name and architecture.
func dpkgOwners(root *elfscan.Root, entries []*Entry, warn func(string, ...any)) ([]*dpkgOwner, error) {
	lists, err := readDpkgLists(root, warn)
	if err != nil || lists == nil {
		return nil, err
	}
	return lists.owners(root, entries), nil
}

// dpkgLists are the root's package file lists (/var/lib/dpkg/info/*.list),
// read once: a collection asks who owns its files in every round of its
// rules, and reading the hundreds of lists each time cost more than the
// rest of the plan.
type dpkgLists struct {
	ids  []string          // NAME or NAME:ARCH, in directory order
	data map[string]string // by id: its list, as written
}

// readDpkgLists reads the root's package lists; nil, with a warning,
// where the root has no dpkg info directory.
func readDpkgLists(root *elfscan.Root, warn func(string, ...any)) (*dpkgLists, error) {
	infos, err := root.ReadDir(dpkgInfo)
	if err != nil {
		warn("%s not read: %v: no package metadata added", dpkgInfo, err)
		return nil, nil
	}
	l := &dpkgLists{data: map[string]string{}}
	for _, d := range infos {
		id, ok := strings.CutSuffix(d.Name(), ".list")
		if !ok || !d.Type().IsRegular() {
			continue
		}
		data, err := root.ReadFile(path.Join(dpkgInfo, d.Name()), 64<<20)
		if err != nil {
			return nil, err
		}
		l.ids = append(l.ids, id)
		l.data[id] = string(data)
	}
	return l, nil
}

// paths returns the package's list, one absolute path each.
func (l *dpkgLists) paths(id string) []string {
	var out []string
	for rest := l.data[id]; rest != ""; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		if strings.HasPrefix(line, "/") {
			out = append(out, line)
		}
	}
	return out
}

// owners returns the packages that own files among entries, sorted by
// name and architecture.
func (l *dpkgLists) owners(root *elfscan.Root, entries []*Entry) []*dpkgOwner {
	// The image paths of the plan's files, by real path in the root.
	bySource := map[string][]string{}
	bases := map[string]bool{}
	for _, e := range entries {
		if e.Kind == File && e.Source != "" {
			bySource[e.Source] = append(bySource[e.Source], e.Path)
			bases[path.Base(e.Source)] = true
			bases[path.Base(e.Path)] = true // a list may name a link to it
		}
	}
	var pkgs []*dpkgOwner
	for _, id := range l.ids {
		pkg := &dpkgOwner{listed: map[string]bool{}}
		pkg.name, pkg.arch, _ = strings.Cut(id, ":")
		for rest := l.data[id]; rest != ""; {
			var line string
			line, rest, _ = strings.Cut(rest, "\n")
			// Only paths named like a planned file can be one: this
			// spares resolving the thousands of others.
			if !strings.HasPrefix(line, "/") || !bases[path.Base(line)] {
				continue
			}
			real, _, err := root.Resolve(line)
			if err != nil {
				continue
			}
			if imgs := bySource[real]; len(imgs) > 0 {
				pkg.listed[line] = true
				pkg.owns = append(pkg.owns, imgs...)
			}
		}
		if len(pkg.owns) > 0 {
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
	return pkgs
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
