package collector

import (
	"os"
	"os/user"
	"path"
	"strings"
)

// secretFiles are the well-known places of credentials, which a traced run
// may read (a program run as root looks a user up in /etc/shadow; any
// program that talks to a registry or a cloud reads its credentials) but
// which must not end up in an image. Patterns are WithExclude's: an
// absolute one matches a whole path or a directory above it, a relative
// one the end of a path at any depth; a path that also matches except is
// not a secret.
var secretFiles = []struct {
	pattern, except, what string
}{
	{"/etc/shadow", "", "password hashes"},
	{"/etc/shadow-", "", "password hashes"},
	{"/etc/gshadow", "", "password hashes"},
	{"/etc/gshadow-", "", "password hashes"},
	{"/etc/ssh/ssh_host_*_key", "", "an SSH host private key"},
	{"/etc/ssl/private", "", "TLS private keys"},
	{".docker/config.json", "", "registry credentials (docker)"},
	{"containers/auth.json", "", "registry credentials (podman, skopeo, buildah)"},
	{".aws", "", "AWS credentials"},
	{".config/gcloud", "", "Google Cloud credentials"},
	{".azure", "", "Azure credentials"},
	{".kube/config", "", "Kubernetes credentials"},
	{".ssh/id_*", "*.pub", "an SSH private key"},
	{".netrc", "", "login credentials (.netrc)"},
	{".pgpass", "", "PostgreSQL passwords"},
	{".git-credentials", "", "git credentials"},
	{".config/gh/hosts.yml", "", "GitHub tokens"},
	{".npmrc", "", "npm tokens"},
	{".pypirc", "", "PyPI credentials"},
	{".cargo/credentials*", "", "Cargo registry tokens"},
	{".gnupg/private-keys-v1.d", "", "GnuPG private keys"},
	{".gnupg/secring.gpg", "", "GnuPG private keys"},
}

// secretOf says what secret the clean absolute path p may hold, or "".
func secretOf(p string) string {
	for _, s := range secretFiles {
		if matchExclude(s.pattern, p) && (s.except == "" || !matchExclude(s.except, p)) {
			return s.what
		}
	}
	return ""
}

// invokingHomes are the home directories of the user running the
// collector: $HOME, and that of $SUDO_USER when run through sudo. "/" is
// nobody's home in this sense (daemons have it).
func invokingHomes() []string {
	var homes []string
	add := func(h string) {
		if h = path.Clean(h); path.IsAbs(h) && h != "/" {
			homes = append(homes, h)
		}
	}
	if h := os.Getenv("HOME"); h != "" {
		add(h)
	}
	if name := os.Getenv("SUDO_USER"); name != "" {
		if u, err := user.Lookup(name); err == nil {
			add(u.HomeDir)
		}
	}
	return homes
}

// privateReason says why a traced path must be left out, or "": a
// well-known credential file, or anything in an invoking user's home.
func privateReason(p string, homes []string) string {
	if what := secretOf(p); what != "" {
		return "it may hold " + what
	}
	for _, h := range homes {
		if p == h || strings.HasPrefix(p, h+"/") {
			return "it is in " + h + ", the home directory of the user running fromscratch"
		}
	}
	return ""
}
