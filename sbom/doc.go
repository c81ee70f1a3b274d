// Package sbom describes an image's contents as a software bill of
// materials: SPDX 2.3 JSON and CycloneDX 1.5 JSON, the formats that
// scanners (Syft, Grype, Trivy) and registries read.
//
// New reads a collector.Plan once — every file's SHA-1 and SHA-256, the
// Debian packages that own them (collector.Plan.Packages, the same data
// collector.WithPackageMetadata writes, so the two agree), their licences
// where /usr/share/doc/PKG/copyright is machine-readable (DEP-5), the
// distribution from the root's os-release — and Encode writes it in
// either format. Files that belong to no package (the program built in a
// stage, the generated /etc/passwd) are listed as their own components.
//
// The output depends only on the plan and the options: the creation time
// is WithTime's (SOURCE_DATE_EPOCH), identifiers are derived from the
// content, and everything is sorted, so the same inputs give the same
// bytes. image.WithSBOM attaches the result to an image.
package sbom
