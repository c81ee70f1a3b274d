package collector

import (
	"io/fs"
	"path"
	"strings"

	"github.com/fromscratch/fromscratch/elfscan"
)

// unwindFuncs make glibc dlopen libgcc_s.so.1 to unwind the stack: thread
// cancellation and exit run the cleanup handlers that way, and backtrace
// uses its unwinder.
var unwindFuncs = []string{"pthread_cancel", "pthread_exit", "thrd_exit", "backtrace"}

// ruleLibgcc: libgcc_s.so.1 when glibc will dlopen it or C++ exceptions
// need it. Evidence: glibc in a closure and an object importing
// pthread_cancel, pthread_exit, thrd_exit or backtrace; or any object
// importing __cxa_throw or _Unwind_* (then libgcc_s is usually needed
// already, by libstdc++). Added: libgcc_s.so.1 where the loader finds the
// programs' libraries, with its closure.
func ruleLibgcc(c *collection) error {
	if c.library("libgcc_s.so.1") != nil {
		return nil
	}
	var why Reason
	if c.glibc() != nil {
		if objs := c.importers(unwindFuncs...); len(objs) > 0 {
			why = Reason{Rule: RuleLibgcc, Requester: describe(objs), Evidence: "glibc loads it to unwind threads (" + evidence(objs, unwindFuncs) + ")"}
		}
	}
	if why == (Reason{}) {
		if objs, sym := c.unwindImporters(); len(objs) > 0 {
			why = Reason{Rule: RuleLibgcc, Requester: describe(objs), Evidence: "C++ exceptions (" + sym + " imported by " + describe(objs) + ")"}
		}
	}
	if why == (Reason{}) {
		return nil
	}
	found, err := c.addLibrary("libgcc_s.so.1", why)
	if err == nil && !found {
		c.warn(WarnMissingFile, "", "libgcc_s.so.1 is not in the root, but %s", why)
	}
	return err
}

// unwindImporters returns the objects importing __cxa_throw or _Unwind_*.
func (c *collection) unwindImporters() ([]*elfscan.Object, string) {
	var objs []*elfscan.Object
	sym := ""
	for _, o := range c.order {
		for _, s := range c.imports(o) {
			if s == "__cxa_throw" || strings.HasPrefix(s, "_Unwind_") {
				objs = append(objs, o)
				if sym == "" {
					sym = s
				}
				break
			}
		}
	}
	return objs, sym
}

// tlsLibraries are the TLS libraries that verify servers with the
// system's CA certificates.
var tlsLibraries = []string{"libssl.so*", "libgnutls.so*", "libnss3.so", "libmbedtls.so*", "libwolfssl.so*"}

// caBundles are where distributions keep their CA bundle, most common
// first: Debian, Ubuntu, Alpine, Arch; Fedora, RHEL; openSUSE.
var caBundles = []string{
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/ca-bundle.pem",
	"/etc/ssl/cert.pem",
}

// ruleCertificates: a TLS client verifies servers with the CA
// certificates of the system. Evidence: a TLS library in a closure.
// Added: the root's CA bundle at its path (its symlinks kept) and
// SSL_CERT_FILE naming it in Plan.Env; with OpenSSL's libcrypto, the
// openssl.cnf of its compiled-in OPENSSLDIR and the cert.pem there (which
// Debian links to the bundle), when the root has them, and its certs
// directory (the link to /etc/ssl/certs, or the directory alone). OpenSSL runs
// without openssl.cnf, but with it behaves as on the root (security level,
// providers).
func ruleCertificates(c *collection) error {
	tls := c.library(tlsLibraries...)
	if tls == nil {
		return nil
	}
	why := Reason{Rule: RuleCerts, Requester: objectName(tls), Evidence: objectName(tls) + " in the closure"}
	bundle := ""
	for _, p := range caBundles {
		if st, err := c.root.Stat(p); err == nil && st.Mode().IsRegular() {
			bundle = p
			break
		}
	}
	if bundle == "" {
		c.warn(WarnMissingFile, "", "%s is in the closure but the root has no CA bundle (install ca-certificates): TLS servers cannot be verified", objectName(tls))
	} else {
		if err := c.addPath(bundle, why, true); err != nil {
			return err
		}
		c.addEnv("SSL_CERT_FILE", bundle)
	}
	crypto := c.library("libcrypto.so*")
	if crypto == nil {
		return nil
	}
	dir := strings.TrimSuffix(strings.TrimPrefix(c.fileString(crypto.RealPath, `OPENSSLDIR: "`, `"`), `OPENSSLDIR: "`), `"`)
	if !strings.HasPrefix(dir, "/") {
		return nil
	}
	for _, f := range []struct {
		name string
		why  Reason
	}{
		{"openssl.cnf", Reason{Rule: RuleCerts, Requester: objectName(crypto), Evidence: "OpenSSL configuration, " + objectName(crypto) + " in the closure"}},
		{"cert.pem", why},
	} {
		p := path.Join(dir, f.name)
		if st, err := c.root.Stat(p); err == nil && st.Mode().IsRegular() {
			if err := c.addPath(p, f.why, true); err != nil {
				return err
			}
		}
	}
	// OPENSSLDIR/certs, where OpenSSL looks certificates up by hash
	// (openssl x509 stats it): Debian links it to /etc/ssl/certs, which
	// has the bundle. The link, or the directory, only: the bundle is
	// what the image verifies with.
	certs := path.Join(dir, "certs")
	why = Reason{Rule: RuleCerts, Requester: objectName(crypto), Evidence: "OpenSSL's certificate directory, " + objectName(crypto) + " in the closure"}
	st, err := c.root.Lstat(certs)
	switch {
	case err != nil:
	case st.Mode()&fs.ModeSymlink != 0:
		if target, err := c.root.Stat(certs); err != nil || !target.IsDir() {
			return nil
		}
		e := &Entry{Path: certs, Kind: Symlink, Mode: fs.ModeSymlink | 0o777}
		if e.Target, err = c.root.Readlink(certs); err != nil {
			return nil
		}
		e.Uid, e.Gid = owner(st)
		return c.addEntry(e, why, true)
	case st.IsDir():
		return c.addDir(certs, st, why)
	}
	return nil
}
