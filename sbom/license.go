package sbom

import (
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/fromscratch/fromscratch/elfscan"
)

// readLicenses reads the License fields of the root's
// /usr/share/doc/NAME/copyright if it is in the machine-readable format
// of DEP-5 (its first paragraph has a Format: field naming
// copyright-format or dep5), and returns each distinct field as an SPDX
// expression, sorted, with the LicenseRef- ids used for names SPDX does
// not know (each with the Debian name it stands for). Anything else
// gives no licence: the SBOM says NOASSERTION rather than guess.
func readLicenses(root *elfscan.Root, name string) ([]string, map[string]string) {
	if root == nil {
		return nil, nil
	}
	data, err := root.ReadFile(path.Join("/usr/share/doc", name, "copyright"), 8<<20)
	if err != nil {
		return nil, nil
	}
	paras := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n\n")
	format := strings.ToLower(field(paras[0], "Format"))
	if !strings.Contains(format, "copyright-format") && !strings.Contains(format, "dep5") {
		return nil, nil
	}
	seen := map[string]bool{}
	var exprs []string
	refs := map[string]string{}
	for _, p := range paras {
		v := field(p, "License")
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		e := expression(v, refs)
		if !slices.Contains(exprs, e) {
			exprs = append(exprs, e)
		}
	}
	slices.Sort(exprs)
	return exprs, refs
}

// field is the first line of a field of a paragraph.
func field(para, name string) string {
	for _, line := range strings.Split(para, "\n") {
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// expression turns a DEP-5 License field ("GPL-2+ or Artistic-1.0") into
// an SPDX expression ("GPL-2.0-or-later OR Artistic-1.0"). A field that
// is not names joined by "and" and "or" (an exception: "GPL-2+ with
// OpenSSL exception") becomes one LicenseRef.
func expression(v string, refs map[string]string) string {
	words := strings.Fields(v)
	var out []string
	for i, w := range words {
		op := strings.ToLower(w)
		isOp := op == "and" || op == "or"
		if isOp != (i%2 == 1) || (isOp && i == len(words)-1) || strings.ContainsAny(w, ",()") || op == "with" {
			return licenseRef(v, refs)
		}
		if isOp {
			out = append(out, strings.ToUpper(op))
		} else {
			out = append(out, spdxID(w, refs))
		}
	}
	if len(out) == 0 {
		return licenseRef(v, refs)
	}
	return strings.Join(out, " ")
}

// spdxNames maps the DEP-5 short names that differ from their SPDX ids;
// names already SPDX ids (Apache-2.0, ISC, Zlib, MPL-2.0…) are in
// spdxSame. The GNU licences are spdxGNU's.
var spdxNames = map[string]string{
	"expat":    "MIT",
	"artistic": "Artistic-1.0",
	"perl":     "Artistic-1.0-Perl",
	"psf-2":    "PSF-2.0",
	"python":   "Python-2.0",
	"cc0":      "CC0-1.0",
}

// spdxSame are SPDX ids that Debian writes as they are (any case).
var spdxSame = []string{
	"Apache-2.0", "Apache-1.1", "Apache-1.0", "Artistic-1.0", "Artistic-2.0", "ISC", "MIT",
	"MPL-1.1", "MPL-2.0", "CC0-1.0", "CC-BY-3.0", "CC-BY-4.0", "CC-BY-SA-3.0", "CC-BY-SA-4.0",
	"Zlib", "BSD-2-Clause", "BSD-3-Clause", "Unicode-DFS-2016", "OpenSSL", "PostgreSQL",
	"BSL-1.0", "0BSD", "Unlicense", "WTFPL", "blessing", "ICU", "NTP", "HPND", "Libpng",
	"libtiff", "FTL", "EPL-1.0", "EPL-2.0", "CDDL-1.0", "OFL-1.1", "Sleepycat", "bzip2-1.0.6",
	"BSD-4-Clause-UC", "BSD-1-Clause", "FSFUL", "FSFULLR", "FSFAP", "OLDAP-2.8", "MIT-CMU", "X11", "curl",
}

// spdxGNU matches the GNU licence names of DEP-5: GPL-2, GPL-2+,
// LGPL-2.1+, GFDL-1.3…
var spdxGNU = regexp.MustCompile(`^(A?GPL|LGPL|GFDL)-([0-9](?:\.[0-9])?)(\+?)$`)

// spdxID is the SPDX id of a DEP-5 licence short name, or a LicenseRef
// for one SPDX does not have.
func spdxID(name string, refs map[string]string) string {
	if id, ok := spdxNames[strings.ToLower(name)]; ok {
		return id
	}
	for _, id := range spdxSame {
		if strings.EqualFold(name, id) {
			return id
		}
	}
	if m := spdxGNU.FindStringSubmatch(name); m != nil {
		ver := m[2]
		if !strings.Contains(ver, ".") {
			ver += ".0"
		}
		switch m[1] + "-" + ver {
		case "GPL-1.0", "GPL-2.0", "GPL-3.0", "LGPL-2.0", "LGPL-2.1", "LGPL-3.0", "AGPL-1.0", "AGPL-3.0", "GFDL-1.1", "GFDL-1.2", "GFDL-1.3":
			if m[3] == "+" {
				return m[1] + "-" + ver + "-or-later"
			}
			return m[1] + "-" + ver + "-only"
		}
	}
	return licenseRef(name, refs)
}

// licenseRef returns the LicenseRef- id of a name SPDX does not know,
// and records it in refs.
func licenseRef(name string, refs map[string]string) string {
	id := "LicenseRef-" + strings.Trim(badRefChars.ReplaceAllString(name, "-"), "-")
	refs[id] = name
	return id
}

// badRefChars are the characters an SPDX LicenseRef id cannot hold.
var badRefChars = regexp.MustCompile(`[^A-Za-z0-9.-]+`)
