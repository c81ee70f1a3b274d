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
