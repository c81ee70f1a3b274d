package collector

import (
	"bytes"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
)

// WithPackageMetadata makes vulnerability scanners see the Debian packages
// whose files are in the image, the way distroless images do: for every
// package of the root's dpkg database that owns a file of the plan, it
// adds /var/lib/dpkg/status.d/NAME, the package's paragraph of the root's
// /var/lib/dpkg/status as it is written there, and NAME.md5sums, the lines
// of the package's md5sums for the files in the image. Trivy, Syft and
// Grype read status.d (Trivy skips the .md5sums; Syft takes the files of a
// package from them). It also adds /etc/os-release and
// /etc/debian_version, which the scanners read to know the distribution
// (without it they match no Debian advisory), and base-files, which owns
// them, is listed like the others.
//
// A file belongs to a package when its real path in the root is the real
// path of a path of the package's /var/lib/dpkg/info/NAME[:ARCH].list,
// resolved in the root (a list says /lib/x86_64-linux-gnu/libc.so.6 where
// usrmerge put it at /usr/lib/...). Files of no package (the user's own
// program, generated files) bring nothing. A package installed for two
// architectures whose files are both in the image has both paragraphs in
// one file. A root without a dpkg database gets a warning and nothing.
func WithPackageMetadata() Option {
	return func(c *config) error {
		c.packages = true
		return nil
	}
}

const (
	dpkgStatus  = "/var/lib/dpkg/status"
	dpkgInfo    = "/var/lib/dpkg/info"
	dpkgStatusD = "/var/lib/dpkg/status.d"
)

// dpkgPackage is one installed instance of a package that owns files of
// the plan: NAME or NAME:ARCH as its info files are named.
type dpkgPackage struct {
	name, arch string
	owns       []string        // image paths of its files in the plan, sorted
	listed     map[string]bool // its list paths that are files of the plan
}

// addPackageMetadata is WithPackageMetadata.
func (c *collection) addPackageMetadata() error {
	if st, err := c.root.Stat(dpkgStatus); err != nil || !st.Mode().IsRegular() {
		c.warn("--package-metadata: the root has no dpkg database (%s): no package metadata added", dpkgStatus)
		return nil
	}
	for _, p := range []string{"/etc/os-release", "/etc/debian_version"} {
		if _, err := c.root.Stat(p); err != nil {
			continue
		}
		if err := c.addPath(p, Reason{Rule: RulePackageMetadata, Evidence: "scanners read the distribution from it"}, true); err != nil {
			return fmt.Errorf("--package-metadata: %w", err)
		}
	}
	pkgs, err := c.dpkgOwners()
	if err != nil {
		return fmt.Errorf("--package-metadata: %w", err)
	}
	if len(pkgs) == 0 {
		return nil
	}
	status, err := c.root.ReadFile(dpkgStatus, 256<<20)
	if err != nil {
		return fmt.Errorf("--package-metadata: %w", err)
	}
	paras := dpkgParagraphs(status)
	// One file per package name, the architectures in order.
	type out struct {
		stanzas, md5sums []byte
		owns             []string
	}
	files := map[string]*out{}
	var names []string
	for _, pkg := range pkgs {
		para := findParagraph(paras, pkg.name, pkg.arch)
		if para == nil {
			c.warn("--package-metadata: %s owns %s but has no installed paragraph in %s", pkg.id(), pkg.owns[0], dpkgStatus)
			continue
		}
		o := files[pkg.name]
		if o == nil {
			o = &out{}
			files[pkg.name] = o
			names = append(names, pkg.name)
		}
		if len(o.stanzas) > 0 {
			o.stanzas = append(o.stanzas, '\n')
		}
		o.stanzas = append(o.stanzas, para...)
		o.owns = append(o.owns, pkg.owns...)
		o.md5sums = append(o.md5sums, c.dpkgMd5sums(pkg)...)
	}
	sort.Strings(names)
	for _, name := range names {
		o := files[name]
		sort.Strings(o.owns)
		evidence := name + " owns " + o.owns[0]
		if n := len(o.owns) - 1; n > 0 {
			evidence += fmt.Sprintf(" and %d more", n)
		}
		reason := Reason{Rule: RulePackageMetadata, Requester: name, Evidence: evidence}
		if err := c.addGenerated(path.Join(dpkgStatusD, name), o.stanzas, reason); err != nil {
			return err
		}
		if len(o.md5sums) > 0 {
			if err := c.addGenerated(path.Join(dpkgStatusD, name+".md5sums"), o.md5sums, reason); err != nil {
				return err
			}
		}
	}
	return nil
}

// A listLine is one path of a package's file list.
type listLine struct{ id, path string }

// dpkgListIndex reads every file list of the root's dpkg database once
// per collection and indexes its paths by base name: the rules and the
// package metadata ask it for owners several times.
func (c *collection) dpkgListIndex() (map[string][]listLine, error) {
	if v, ok := c.cache["dpkg:lists"]; ok {
		return v.(map[string][]listLine), nil
	}
	infos, err := c.root.ReadDir(dpkgInfo)
	if err != nil {
		return nil, err
	}
	index := map[string][]listLine{}
	for _, d := range infos {
		id, ok := strings.CutSuffix(d.Name(), ".list")
		if !ok || !d.Type().IsRegular() {
			continue
		}
		list, err := c.root.ReadFile(path.Join(dpkgInfo, d.Name()), 64<<20)
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(string(list), "\n") {
			if strings.HasPrefix(line, "/") {
				b := path.Base(line)
				index[b] = append(index[b], listLine{id: id, path: line})
			}
		}
	}
	c.cache["dpkg:lists"] = index
	return index, nil
}

func (p *dpkgPackage) id() string {
	if p.arch == "" {
		return p.name
	}
	return p.name + ":" + p.arch
}

// dpkgOwners reads the root's package file lists and returns the packages
// that own files of the plan, sorted by name and architecture.
func (c *collection) dpkgOwners() ([]*dpkgPackage, error) {
	// The image paths of the plan's files, by real path in the root.
	bySource := map[string][]string{}
	for p, e := range c.entries {
		if e.Kind == File && e.Source != "" {
			bySource[e.Source] = append(bySource[e.Source], p)
		}
	}
	return c.dpkgOwnersOf(bySource, "--package-metadata", "no package metadata added")
}

// dpkgOwnersOf returns the packages that own the files of bySource (real
// paths in the root, each with its image paths), sorted by name and
// architecture; what and nothing name the caller in a warning.
func (c *collection) dpkgOwnersOf(bySource map[string][]string, what, nothing string) ([]*dpkgPackage, error) {
	bases := map[string]bool{}
	for src, imgs := range bySource {
		bases[path.Base(src)] = true
		for _, p := range imgs {
			bases[path.Base(p)] = true // a list may name a link to it
		}
	}
	index, err := c.dpkgListIndex()
	if err != nil {
		c.warn("%s: %s not read: %v: %s", what, dpkgInfo, err, nothing)
		return nil, nil
	}
	byID := map[string]*dpkgPackage{}
	var pkgs []*dpkgPackage
	for base := range bases {
		// Only paths named like a planned file can be one: this spares
		// resolving the thousands of others.
		for _, l := range index[base] {
			real, _, err := c.root.Resolve(l.path)
			if err != nil {
				continue
			}
			imgs := bySource[real]
			if len(imgs) == 0 {
				continue
			}
			pkg := byID[l.id]
			if pkg == nil {
				pkg = &dpkgPackage{listed: map[string]bool{}}
				pkg.name, pkg.arch, _ = strings.Cut(l.id, ":")
				byID[l.id] = pkg
				pkgs = append(pkgs, pkg)
			}
			pkg.listed[l.path] = true
			pkg.owns = append(pkg.owns, imgs...)
		}
	}
	for _, pkg := range pkgs {
		slices.Sort(pkg.owns)
		pkg.owns = slices.Compact(pkg.owns)
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
func (c *collection) dpkgMd5sums(pkg *dpkgPackage) []byte {
	data, err := c.root.ReadFile(path.Join(dpkgInfo, pkg.id()+".md5sums"), 64<<20)
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

// dpkgParagraphs splits a dpkg status file into its paragraphs, each as
// written, ending with its newline.
func dpkgParagraphs(data []byte) [][]byte {
	var paras [][]byte
	var cur []byte
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			if len(cur) > 0 {
				paras = append(paras, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, line...)
		if !bytes.HasSuffix(cur, []byte("\n")) {
			cur = append(cur, '\n')
		}
	}
	if len(cur) > 0 {
		paras = append(paras, cur)
	}
	return paras
}

// dpkgField returns the value of a field of a paragraph (first line only).
func dpkgField(para []byte, name string) string {
	for _, line := range strings.Split(string(para), "\n") {
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// findParagraph returns the paragraph of the installed package name (of
// arch, unless arch is empty: a package installed for one architecture
// has info files without it).
func findParagraph(paras [][]byte, name, arch string) []byte {
	for _, p := range paras {
		if dpkgField(p, "Package") != name || (arch != "" && dpkgField(p, "Architecture") != arch) {
			continue
		}
		st := strings.Fields(dpkgField(p, "Status"))
		if len(st) > 0 && (st[len(st)-1] == "not-installed" || st[len(st)-1] == "config-files") {
			continue
		}
		return p
	}
	return nil
}
