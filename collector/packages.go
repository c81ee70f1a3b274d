package collector

import (
	"bytes"
	"fmt"
	"path"
	"sort"
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

// addPackageMetadata is WithPackageMetadata.
func (c *collection) addPackageMetadata() error {
	if st, err := c.root.Stat(dpkgStatus); err != nil || !st.Mode().IsRegular() {
		c.warn(WarnPackages, dpkgStatus, "WithPackageMetadata: the root has no dpkg database (%s): no package metadata added", dpkgStatus)
		return nil
	}
	for _, p := range []string{"/etc/os-release", "/etc/debian_version"} {
		if _, err := c.root.Stat(p); err != nil {
			continue
		}
		if err := c.addPath(p, Reason{Rule: RulePackageMetadata, Evidence: "scanners read the distribution from it"}, true); err != nil {
			return fmt.Errorf("WithPackageMetadata: %w", err)
		}
	}
	entries := make([]*Entry, 0, len(c.entries))
	for _, e := range c.entries {
		entries = append(entries, e)
	}
	db, err := c.dpkgDatabase()
	if err != nil {
		return fmt.Errorf("WithPackageMetadata: %w", err)
	}
	pkgs, err := dpkgPackages(db, entries, func(format string, args ...any) {
		c.warn(WarnPackages, "", "WithPackageMetadata: "+format, args...)
	})
	if err != nil {
		return fmt.Errorf("WithPackageMetadata: %w", err)
	}
	// One file per package name, the architectures in order.
	type out struct {
		stanzas, md5sums []byte
		owns             []string
	}
	files := map[string]*out{}
	var names []string
	for i := range pkgs {
		pkg := &pkgs[i]
		o := files[pkg.Name]
		if o == nil {
			o = &out{}
			files[pkg.Name] = o
			names = append(names, pkg.Name)
		}
		if len(o.stanzas) > 0 {
			o.stanzas = append(o.stanzas, '\n')
		}
		o.stanzas = append(o.stanzas, pkg.Status...)
		o.owns = append(o.owns, pkg.Files...)
		o.md5sums = append(o.md5sums, dpkgMd5sums(c.root, pkg)...)
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
