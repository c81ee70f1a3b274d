package sbom

import (
	"strconv"
	"strings"

	"github.com/fromscratch/fromscratch/elfscan"
)

// distro is the distribution of the plan's root, from its os-release.
type distro struct {
	id, version, name string // ID, VERSION_ID, PRETTY_NAME
}

// readDistro reads /etc/os-release, else /usr/lib/os-release (see
// os-release(5)); a root with neither is Debian of unknown version.
func readDistro(root *elfscan.Root) distro {
	var d distro
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		data, err := root.ReadFile(p, 1<<20)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
			if !ok {
				continue
			}
			if u, err := strconv.Unquote(v); err == nil {
				v = u
			} else {
				v = strings.Trim(v, `"'`)
			}
			switch k {
			case "ID":
				d.id = v
			case "VERSION_ID":
				d.version = v
			case "PRETTY_NAME":
				d.name = v
			}
		}
		break
	}
	return d
}

// namespace is the purl namespace: the distribution's ID, debian by
// default.
func (d distro) namespace() string {
	if d.id == "" {
		return "debian"
	}
	return d.id
}

// qualifier is the purl's distro qualifier, ID-VERSION_ID ("debian-12"),
// or "" without a version (Debian testing has none).
func (d distro) qualifier() string {
	if d.version == "" {
		return ""
	}
	return d.namespace() + "-" + d.version
}
