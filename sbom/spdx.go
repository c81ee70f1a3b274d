package sbom

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"
)

// noAssertion is SPDX's "nothing is said".
const noAssertion = "NOASSERTION"

// Creator is the tool named in the SBOMs' creation information.
const Creator = "fromscratch"

// encodeSPDX writes the SBOM as an SPDX 2.3 JSON document: the image is
// a package that the document DESCRIBES and that CONTAINS each Debian
// package and each file of no package; each Debian package CONTAINS its
// files, with their SHA-1 (which SPDX 2.3 requires) and SHA-256.
func (s *SBOM) encodeSPDX(w io.Writer) error {
	doc := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      s.name,
		DocumentNamespace: "https://github.com/fromscratch/fromscratch/spdx/" + strings.Trim(badRefChars.ReplaceAllString(s.name, "-"), "-") + "-" + s.id,
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: Creator}},
			Created:  s.created.Format("2006-01-02T15:04:05Z"),
		},
	}
	image := &spdx.Package{
		PackageName:             s.name,
		PackageSPDXIdentifier:   "Image",
		PackageDownloadLocation: noAssertion,
		PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared:  noAssertion,
		PackageCopyrightText:    noAssertion,
		PrimaryPackagePurpose:   "CONTAINER",
	}
	doc.Packages = append(doc.Packages, image)
	rel := func(a, b common.ElementID, kind string) {
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA: common.MakeDocElementID("", string(a)), RefB: common.MakeDocElementID("", string(b)), Relationship: kind,
		})
	}
	rel("DOCUMENT", image.PackageSPDXIdentifier, common.TypeRelationshipDescribe)

	fileID := func(i int) common.ElementID { return common.ElementID(fmt.Sprintf("File-%d", i)) }
	for i, f := range s.files {
		doc.Files = append(doc.Files, &spdx.File{
			FileName:           "." + f.path,
			FileSPDXIdentifier: fileID(i),
			Checksums: []common.Checksum{
				{Algorithm: common.SHA1, Value: f.sha1},
				{Algorithm: common.SHA256, Value: f.sha256},
			},
			LicenseConcluded:  noAssertion,
			FileCopyrightText: noAssertion,
		})
		if len(f.owners) == 0 {
			rel(image.PackageSPDXIdentifier, fileID(i), common.TypeRelationshipContains)
		}
	}
	refs := map[string]string{}
	for i := range s.packages {
		p := &s.packages[i]
		id := common.ElementID(fmt.Sprintf("Package-deb-%s-%d", strings.Trim(badRefChars.ReplaceAllString(p.Name, "-"), "-"), i))
		sp := &spdx.Package{
			PackageName:             p.Name,
			PackageSPDXIdentifier:   id,
			PackageVersion:          p.Version,
			PackageSupplier:         &common.Supplier{Supplier: noAssertion},
			PackageDownloadLocation: noAssertion,
			FilesAnalyzed:           true,
			PackageVerificationCode: s.verificationCode(p),
			PackageSourceInfo:       fmt.Sprintf("built from the Debian source package %s %s", p.Source, p.SourceVersion),
			PackageLicenseConcluded: noAssertion,
			PackageLicenseDeclared:  spdxLicense(p.licenses),
			PackageCopyrightText:    noAssertion,
			PackageExternalReferences: []*spdx.PackageExternalReference{{
				Category: common.CategoryPackageManager, RefType: common.TypePackageManagerPURL, Locator: s.purl(p),
			}},
		}
		maps.Copy(refs, p.refs)
		doc.Packages = append(doc.Packages, sp)
		rel(image.PackageSPDXIdentifier, id, common.TypeRelationshipContains)
		for _, f := range p.files {
			rel(id, fileID(f), common.TypeRelationshipContains)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(refs)) {
		doc.OtherLicenses = append(doc.OtherLicenses, &spdx.OtherLicense{
			LicenseIdentifier: id,
			LicenseName:       refs[id],
			ExtractedText:     "The licence named " + refs[id] + " in a Debian machine-readable copyright file (DEP-5); SPDX has no identifier for it.",
		})
	}
	if err := spdxjson.Write(doc, w, spdxjson.Indent(" ")); err != nil {
		return fmt.Errorf("sbom: %w", err)
	}
	return nil
}

// spdxLicense joins a package's licence expressions: all of them apply.
func spdxLicense(exprs []string) string {
	switch len(exprs) {
	case 0:
		return noAssertion
	case 1:
		return exprs[0]
	}
	parts := make([]string, len(exprs))
	for i, e := range exprs {
		parts[i] = e
		if strings.Contains(e, " ") {
			parts[i] = "(" + e + ")"
		}
	}
	return strings.Join(parts, " AND ")
}

// verificationCode is the package verification code of SPDX 2.3 §7.9:
// the SHA-1 of the sorted SHA-1s of its files, concatenated.
func (s *SBOM) verificationCode(p *pkg) *common.PackageVerificationCode {
	sums := make([]string, len(p.files))
	for i, f := range p.files {
		sums[i] = s.files[f].sha1
	}
	slices.Sort(sums)
	h := sha1.Sum([]byte(strings.Join(sums, "")))
	return &common.PackageVerificationCode{Value: hex.EncodeToString(h[:])}
}
