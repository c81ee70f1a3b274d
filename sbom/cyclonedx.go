package sbom

import (
	"fmt"
	"io"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// encodeCycloneDX writes the SBOM as a CycloneDX 1.5 JSON BOM: the image
// is the metadata's component (a container); the components are the
// distribution (operating-system, from os-release), each Debian package
// (a library with its purl, licences and source package as properties)
// holding its files as nested file components, and each file of no
// package as a file component of its own. A file two packages own is
// nested in the first only: a bom-ref is unique.
func (s *SBOM) encodeCycloneDX(w io.Writer) error {
	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + uuid(s.id)
	bom.Metadata = &cdx.Metadata{
		Timestamp: s.created.Format("2006-01-02T15:04:05Z"),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, Name: Creator,
		}}},
		Component: &cdx.Component{Type: cdx.ComponentTypeContainer, Name: s.name, BOMRef: "image"},
	}
	var comps []cdx.Component
	if s.distro.id != "" {
		comps = append(comps, cdx.Component{
			Type: cdx.ComponentTypeOS, BOMRef: "os", Name: s.distro.id, Version: s.distro.version,
			Description: s.distro.name,
		})
	}
	nested := make([]bool, len(s.files))
	for i := range s.packages {
		p := &s.packages[i]
		c := cdx.Component{
			Type:       cdx.ComponentTypeLibrary,
			BOMRef:     s.purl(p),
			Name:       p.Name,
			Version:    p.Version,
			PackageURL: s.purl(p),
			Licenses:   cdxLicenses(p),
			Properties: &[]cdx.Property{
				{Name: "fromscratch:deb:architecture", Value: p.Architecture},
				{Name: "fromscratch:deb:source", Value: p.Source},
				{Name: "fromscratch:deb:source-version", Value: p.SourceVersion},
			},
		}
		var files []cdx.Component
		for _, f := range p.files {
			if !nested[f] {
				nested[f] = true
				files = append(files, s.cdxFile(f))
			}
		}
		if len(files) > 0 {
			c.Components = &files
		}
		comps = append(comps, c)
	}
	for i := range s.files {
		if !nested[i] {
			comps = append(comps, s.cdxFile(i))
		}
	}
	bom.Components = &comps
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_5); err != nil {
		return fmt.Errorf("sbom: %w", err)
	}
	return nil
}

func (s *SBOM) cdxFile(i int) cdx.Component {
	f := &s.files[i]
	return cdx.Component{
		Type:   cdx.ComponentTypeFile,
		BOMRef: "file:" + f.path,
		Name:   f.path,
		Hashes: &[]cdx.Hash{
			{Algorithm: cdx.HashAlgoSHA1, Value: f.sha1},
			{Algorithm: cdx.HashAlgoSHA256, Value: f.sha256},
		},
	}
}

// cdxLicenses are a package's licences: one entry per licence when each
// field is a single one (by SPDX id, or by its Debian name for a
// LicenseRef), else one SPDX expression of all of them.
func cdxLicenses(p *pkg) *cdx.Licenses {
	if len(p.licenses) == 0 {
		return nil
	}
	var ls cdx.Licenses
	for _, e := range p.licenses {
		if strings.Contains(e, " ") {
			return &cdx.Licenses{{Expression: spdxLicense(p.licenses)}}
		}
		if name, ok := p.refs[e]; ok {
			ls = append(ls, cdx.LicenseChoice{License: &cdx.License{Name: name}})
		} else {
			ls = append(ls, cdx.LicenseChoice{License: &cdx.License{ID: e}})
		}
	}
	return &ls
}

// uuid formats the first 16 bytes of a hex digest as an RFC 4122 UUID
// (version 5 and variant bits set, as a name-based UUID has them).
func uuid(hexDigest string) string {
	b := []byte(hexDigest[:32])
	b[12] = '5'                                                    // version
	b[16] = "89ab"[strings.IndexByte("0123456789abcdef", b[16])%4] // variant 10xx
	return string(b[0:8]) + "-" + string(b[8:12]) + "-" + string(b[12:16]) + "-" + string(b[16:20]) + "-" + string(b[20:32])
}
