package sbom

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/fromscratch/fromscratch/collector"
)

// Format is an SBOM format.
type Format int

const (
	// SPDX is SPDX 2.3 JSON.
	SPDX Format = iota
	// CycloneDX is CycloneDX 1.5 JSON.
	CycloneDX
)

// formats is the one table of the formats' names and media types.
var formats = [...]struct{ name, mediaType string }{
	SPDX:      {"spdx", "application/spdx+json"},
	CycloneDX: {"cyclonedx", "application/vnd.cyclonedx+json"},
}

// String is the format's name as ParseFormat reads it.
func (f Format) String() string {
	if f < 0 || int(f) >= len(formats) {
		return fmt.Sprintf("Format(%d)", int(f))
	}
	return formats[f].name
}

// MediaType is the format's IANA media type, which an OCI referrer of the
// SBOM has as its artifact type.
func (f Format) MediaType() string { return formats[f].mediaType }

// ParseFormat returns the format named name: "spdx" or "cyclonedx".
func ParseFormat(name string) (Format, error) {
	for f, x := range formats {
		if strings.EqualFold(name, x.name) {
			return Format(f), nil
		}
	}
	return 0, fmt.Errorf("sbom: unknown format %q: want spdx or cyclonedx", name)
}

// An Option configures New.
type Option func(*options)

type options struct {
	name    string
	created time.Time
}

// WithName sets the name of the described image (the document's and the
// top component's): an image reference or a directory. The default is
// the base name of the plan's first program.
func WithName(name string) Option {
	return func(o *options) { o.name = name }
}

// WithTime sets the SBOM's creation time, truncated to the second: the
// image's time (SOURCE_DATE_EPOCH), so that the SBOM is reproducible. The
// default is the Unix epoch.
func WithTime(t time.Time) Option {
	return func(o *options) { o.created = time.Unix(t.Unix(), 0).UTC() }
}

// An SBOM is what New read of a plan, ready to Encode in any format.
type SBOM struct {
	name     string
	created  time.Time
	distro   distro
	packages []pkg
	files    []file // sorted by path
	id       string // hex SHA-256 of the content: the source of unique identifiers
}

// pkg is a Debian package with its licences.
type pkg struct {
	collector.Package
	// licenses are the License fields of its DEP-5 copyright file as
	// SPDX expressions (one per distinct field), sorted; refs are the
	// LicenseRef- ids they use, with the Debian name each stands for.
	licenses []string
	refs     map[string]string
	files    []int // indexes in SBOM.files
}

// file is a regular file of the image.
type file struct {
	path         string
	sha1, sha256 string // hex
	owners       []int  // indexes in SBOM.packages
}

// New reads the plan: the content of every file (File and Hardlink
// entries), the Debian packages of its root that own them, their
// copyright files and the root's os-release.
func New(plan *collector.Plan, opts ...Option) (*SBOM, error) {
	o := options{created: time.Unix(0, 0).UTC()}
	for _, opt := range opts {
		opt(&o)
	}
	if err := plan.Check(); err != nil {
		return nil, fmt.Errorf("sbom: %w", err)
	}
	s := &SBOM{name: o.name, created: o.created}
	if s.name == "" {
		s.name = "fromscratch"
		if len(plan.Programs) > 0 {
			s.name = path.Base(plan.Programs[0])
		}
	}
	pkgs, err := plan.Packages()
	if err != nil {
		return nil, fmt.Errorf("sbom: %w", err)
	}
	if plan.Root != nil {
		s.distro = readDistro(plan.Root)
	}
	owners := map[string][]int{}
	for i, p := range pkgs {
		lic, refs := readLicenses(plan.Root, p.Name)
		s.packages = append(s.packages, pkg{Package: p, licenses: lic, refs: refs})
		for _, f := range p.Files {
			owners[f] = append(owners[f], i)
		}
	}
	hashes := map[string]file{} // by image path, for hard links
	for i := range plan.Entries {
		e := &plan.Entries[i]
		var f file
		switch e.Kind {
		case collector.File:
			if f, err = hashFile(plan, e); err != nil {
				return nil, err
			}
			hashes[e.Path] = f
		case collector.Hardlink:
			f = hashes[e.Target] // Check: the target comes first
		default:
			continue
		}
		f.path, f.owners = e.Path, owners[e.Path]
		for _, o := range f.owners {
			s.packages[o].files = append(s.packages[o].files, len(s.files))
		}
		s.files = append(s.files, f)
	}
	s.id = s.digest()
	return s, nil
}

func hashFile(plan *collector.Plan, e *collector.Entry) (file, error) {
	r, err := plan.Open(e)
	if err != nil {
		return file{}, fmt.Errorf("sbom: %s: %w", e.Path, err)
	}
	defer r.Close()
	h1, h256 := sha1.New(), sha256.New()
	if _, err := io.Copy(io.MultiWriter(h1, h256), r); err != nil {
		return file{}, fmt.Errorf("sbom: %s: %w", e.Path, err)
	}
	return file{sha1: hex.EncodeToString(h1.Sum(nil)), sha256: hex.EncodeToString(h256.Sum(nil))}, nil
}

// digest hashes everything the SBOM says: the identifiers made from it
// (SPDX namespace, CycloneDX serial number) change with the content and
// only with it.
func (s *SBOM) digest() string {
	h := sha256.New()
	fmt.Fprintf(h, "%q %d %q %q\n", s.name, s.created.Unix(), s.distro.id, s.distro.version)
	for _, p := range s.packages {
		fmt.Fprintf(h, "p %q %q %q %q\n", p.Name, p.Version, p.Architecture, p.licenses)
	}
	for _, f := range s.files {
		fmt.Fprintf(h, "f %q %s %v\n", f.path, f.sha256, f.owners)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Encode writes the SBOM in format f to w.
func (s *SBOM) Encode(w io.Writer, f Format) error {
	switch f {
	case SPDX:
		return s.encodeSPDX(w)
	case CycloneDX:
		return s.encodeCycloneDX(w)
	}
	return fmt.Errorf("sbom: unknown format %d", int(f))
}

// Packages are the Debian packages the SBOM lists, as the plan gave them.
func (s *SBOM) Packages() []collector.Package {
	out := make([]collector.Package, len(s.packages))
	for i, p := range s.packages {
		out[i] = p.Package
	}
	return out
}

// purl is the package URL of a Debian package, as Syft and Trivy write
// it: pkg:deb/debian/NAME@VERSION?arch=ARCH&distro=debian-12.
func (s *SBOM) purl(p *pkg) string {
	var q []string
	if p.Architecture != "" {
		q = append(q, "arch="+url.QueryEscape(p.Architecture))
	}
	if d := s.distro.qualifier(); d != "" {
		q = append(q, "distro="+url.QueryEscape(d))
	}
	slices.Sort(q) // the purl spec orders qualifiers by key
	u := "pkg:deb/" + s.distro.namespace() + "/" + url.PathEscape(p.Name) + "@" + url.PathEscape(p.Version)
	if len(q) > 0 {
		u += "?" + strings.Join(q, "&")
	}
	return u
}
