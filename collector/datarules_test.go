package collector_test

import (
	"os"
	"testing"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// dataRuleTests are what the rules add for real programs of this machine
// that the check found them looking for (TestCheckRealPrograms): each
// path with a part of its reason. A path the root lacks is skipped.
var dataRuleTests = []struct {
	prog, path, reason string
	absent             []string // paths the rule must not add with it
}{
	{prog: "/usr/bin/curl", path: "/etc/host.conf", reason: "resolver configuration (getaddrinfo imported by"},
	// openssl x509 stats OPENSSLDIR/certs, Debian's link to /etc/ssl/certs.
	{prog: "/usr/bin/openssl", path: "/usr/lib/ssl/certs", reason: "OpenSSL's certificate directory, libcrypto.so.3 in the closure"},
	// Directories that programs and libraries name, with what their
	// packages list there: vim-common's part of /usr/share/vim, not
	// vim-runtime's; git's exec-path and templates; libsasl2's plugins
	// (libsasl2-modules-db, and libsasl2-modules, which it recommends), not libcrypto's engines or libc's gconv
	// modules (loaded by name: not a library's data); libtcl's init.tcl;
	// perl-base's modules; not PostgreSQL's pgxs, which psql names.
	{prog: "/usr/bin/vim.tiny", path: "/usr/share/vim/vim90/debian.vim", reason: "/usr/share/vim, named in /usr/bin/vim.tiny: files of vim-tiny, vim-common (of the same source as vim-tiny)",
		absent: []string{"/usr/share/vim/vim90/syntax/c.vim"}},
	{prog: "/usr/bin/git", path: "/usr/lib/git-core/git-remote-http", reason: "/usr/lib/git-core, named in /usr/bin/git: files of git"},
	{prog: "/usr/bin/git", path: "/usr/share/git-core/templates/description", reason: "/usr/share/git-core/templates, named in /usr/bin/git: files of git"},
	{prog: "/usr/bin/curl", path: "/usr/lib/x86_64-linux-gnu/sasl2/libsasldb.so.2", reason: "libsasl2-modules-db (of the same source as libsasl2-2",
		absent: []string{"/usr/lib/x86_64-linux-gnu/engines-3/afalg.so", "/usr/lib/x86_64-linux-gnu/gconv/EBCDIC-AT-DE.so"}},
	{prog: "/usr/bin/tclsh8.6", path: "/usr/share/tcltk/tcl8.6/init.tcl", reason: "/usr/share/tcltk, named in libtcl8.6.so: files of libtcl8.6"},
	{prog: "/usr/bin/curl", path: "/usr/lib/x86_64-linux-gnu/sasl2/libplain.so", reason: "files of libsasl2-modules (of the same source as libsasl2-2"},
	{prog: "/usr/bin/perl", path: "/usr/lib/x86_64-linux-gnu/perl-base/POSIX.pm", reason: "named in /usr/bin/perl: files of perl-base"},
	{prog: "/usr/lib/postgresql/15/bin/psql", path: "/usr/share/postgresql/15/psqlrc.sample", reason: "named in /usr/lib/postgresql/15/bin/psql",
		absent: []string{"/usr/lib/postgresql/15/lib/pgxs/src/Makefile.global"}},
	// Python's site directories, with the .pth files it runs and what
	// they import, and Tcl's package path, empty.
	{prog: "/usr/bin/python3", path: "/usr/lib/python3/dist-packages", reason: "looked at by /usr/bin/python3 as it starts",
		absent: []string{"/usr/lib/python3/dist-packages/yaml/__init__.py"}},
	{prog: "/usr/bin/python3", path: "/usr/lib/python3/dist-packages/distutils-precedence.pth", reason: "run by /usr/bin/python3 as it starts"},
	{prog: "/usr/bin/python3", path: "/usr/lib/python3/dist-packages/_distutils_hack/__init__.py", reason: "imported by /usr/lib/python3/dist-packages/distutils-precedence.pth as /usr/bin/python3 starts"},
	{prog: "/usr/bin/tclsh8.6", path: "/usr/lib/tcltk", reason: "looked at by libtcl8.6.so as it starts",
		absent: []string{"/usr/lib/tcltk/x86_64-linux-gnu/tk8.6/pkgIndex.tcl"}},
	// zsh stats its user's home; nothing in it comes along.
	{prog: "/usr/bin/zsh", path: "/root", reason: "home of user root (0)", absent: []string{"/root/.bashrc", "/root/.profile"}},
}

func TestDataRules(t *testing.T) {
	if _, err := os.Stat("/var/lib/dpkg/status"); err != nil {
		testenv.Unavailable(t, "no dpkg database: %v", err)
	}
	for _, tt := range dataRuleTests {
		t.Run(tt.prog+" "+tt.path, func(t *testing.T) {
			testenv.NeedCommand(t, tt.prog)
			if _, err := os.Lstat(tt.path); err != nil {
				t.Skipf("the root has no %s", tt.path)
			}
			plan := collect(t, []string{tt.prog})
			if e := mustEntry(t, plan, tt.path); !hasReason(e, tt.reason) {
				t.Errorf("%s: reasons %q, want %q", tt.path, collector.Texts(e.Reasons), tt.reason)
			}
			for _, p := range tt.absent {
				if plan.Lookup(p) != nil {
					t.Errorf("%s is in the plan", p)
				}
			}
			if plan := collect(t, []string{tt.prog}, collector.WithNoAuto()); plan.Lookup(tt.path) != nil {
				t.Errorf("%s without the rules", tt.path)
			}
		})
	}
}
