package image

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
)

// The checks a registry reference passes before go-containerregistry
// parses it. name accepts what the distribution grammar does not ("a/../b",
// "a//b", a tag ".."), which then fails far away with a registry error, and
// its errors repeat the reference, password included. Every error here
// names the reference with its credentials taken out.

// digestSep starts the digest of a reference; name only knows sha256.
const digestSep = "@sha256:"

// The patterns of the grammar, compiled when first used: a process that
// builds no image (fromscratch deps) does not pay for them at start.
var (
	// pathComponent is a repository path component of the distribution
	// grammar (distribution/reference): lowercase letters and digits,
	// separated by one ".", "_", "__" or any number of "-".
	pathComponent = lazyRegexp(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
	// hostComponent is a component of a registry's domain name.
	hostComponent = lazyRegexp(`^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$`)
	// tagPattern is a tag: a word character, then up to 127 more of
	// them, "." and "-".
	tagPattern = lazyRegexp(`^\w[\w.-]{0,127}$`)
	// digestHex is the hex of a sha256 digest.
	digestHex = lazyRegexp(`^[0-9a-f]{64}$`)
)

// lazyRegexp compiles expr on first use.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// redact returns ref without the credentials of a "USER:PASSWORD@HOST/…"
// reference, replaced by "***", and whether there were any.
func redact(ref string) (string, bool) {
	rest, digest := ref, ""
	if i := strings.LastIndex(ref, digestSep); i >= 0 {
		rest, digest = ref[:i], ref[i:]
	}
	i := strings.LastIndexByte(rest, '@')
	if i < 0 {
		return ref, false
	}
	scheme := ""
	if j := strings.Index(rest[:i], "://"); j >= 0 {
		scheme = rest[:j+3]
	}
	return scheme + "***" + rest[i:] + digest, true
}

// checkReference refuses a registry reference that holds credentials or a
// scheme, or is not written canonically: a repository path with "..", ".",
// an empty component, an uppercase letter…, a registry host that is not a
// host name, a tag that does not start with a letter, digit or "_". The
// error does not repeat the reference: the caller names it, redacted.
func checkReference(ref string) error {
	fail := fmt.Errorf
	if _, secret := redact(ref); secret {
		return errors.New("credentials in a reference are never used nor shown: put them in the docker config " +
			"(docker login; ~/.docker/config.json or $DOCKER_CONFIG/config.json), or from Go give " +
			"an authn.Keychain with remote.WithAuthFromKeychain")
	}
	if i := strings.Index(ref, "://"); i >= 0 {
		return fail("a registry reference has no scheme: write %q; a loopback registry is reached over plain HTTP, "+
			"another one only from Go, with name.Insecure", ref[i+3:])
	}
	rest := ref
	if i := strings.LastIndex(rest, digestSep); i >= 0 {
		if d := rest[i+len(digestSep):]; !digestHex().MatchString(d) {
			return fail("digest sha256:%q is not 64 lowercase hexadecimal digits", d)
		}
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, ':'); i > strings.LastIndexByte(rest, '/') {
		tag := rest[i+1:]
		if !tagPattern().MatchString(tag) {
			return fail("tag %q is not a tag (a letter, digit or _, then up to 127 of those, . and -)", tag)
		}
		rest = rest[:i]
	}
	parts := strings.Split(rest, "/")
	// The first component is the registry when it looks like a host, as
	// for name and docker.
	if len(parts) > 1 && (strings.ContainsAny(parts[0], ".:") || parts[0] == "localhost") {
		if err := checkHost(parts[0]); err != nil {
			return fail("registry %q: %v", parts[0], err)
		}
		parts = parts[1:]
	}
	if repo := strings.Join(parts, "/"); len(repo) > 255 {
		return fail("repository path is %d characters, over 255", len(repo))
	}
	for _, p := range parts {
		if !pathComponent().MatchString(p) {
			return fail("repository path component %q is not canonical (lowercase letters and digits, "+
				"separated by one of . _ __ or dashes; components separated by one /)", p)
		}
	}
	return nil
}

// checkHost checks a registry as HOST[:PORT], HOST a domain name, an IPv4
// address or a bracketed IPv6 one.
func checkHost(registry string) error {
	host, port := registry, ""
	if strings.HasPrefix(registry, "[") {
		i := strings.IndexByte(registry, ']')
		if i < 0 || net.ParseIP(registry[1:i]) == nil {
			return errors.New("not a bracketed IPv6 address")
		}
		after := registry[i+1:]
		if after != "" && (after[0] != ':' || len(after) == 1) {
			return errors.New("not [IPv6] or [IPv6]:PORT")
		}
		host, port = "", strings.TrimPrefix(after, ":")
	} else if i := strings.LastIndexByte(registry, ':'); i >= 0 {
		host, port = registry[:i], registry[i+1:]
		if port == "" {
			return errors.New("empty port")
		}
	}
	for _, c := range port {
		if c < '0' || c > '9' {
			return fmt.Errorf("port %q is not a number", port)
		}
	}
	if host == "" {
		return nil
	}
	for _, c := range strings.Split(host, ".") {
		if !hostComponent().MatchString(c) {
			return fmt.Errorf("host name component %q is not a name (letters, digits and inner dashes)", c)
		}
	}
	return nil
}

// parseReference parses a registry reference after checkReference; one on
// a loopback host (localhost, 127.0.0.0/8, ::1) is marked insecure, to be
// reached over plain HTTP as docker does.
func parseReference(ref string) (name.Reference, error) {
	if err := checkReference(ref); err != nil {
		return nil, err
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, err
	}
	if isLoopback(r.Context().RegistryStr()) {
		return name.ParseReference(ref, name.Insecure)
	}
	return r, nil
}

func isLoopback(registry string) bool {
	host := registry
	if h, _, err := net.SplitHostPort(registry); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
