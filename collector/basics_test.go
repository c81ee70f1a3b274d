package collector_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// A static program shows no evidence for /tmp or users; WithTmp and
// WithUsers add them anyway, even with the rules off.
func TestTmpAndUsers(t *testing.T) {
	testenv.NeedCommand(t, "gcc")
	dir := t.TempDir()
	mkfile(t, dir, "hello.c", "int main(void) { return 0; }\n", 0o644)
	testenv.CC(t, dir, "gcc", "-static", "-o", "hello", "hello.c")
	hello := "/hello" // inside the root dir, so no /tmp is on its way
	root := collector.WithRoot(newRoot(t, dir))

	plan := collect(t, []string{hello}, root)
	if plan.Lookup("/tmp") != nil || plan.Lookup("/etc/passwd") != nil {
		t.Errorf("a static program got /tmp or /etc/passwd without asking: %v", listing(plan))
	}
	for _, opts := range [][]collector.Option{
		{root, collector.WithTmp(), collector.WithUsers()},
		{root, collector.WithTmp(), collector.WithUsers(), collector.WithNoAuto()},
	} {
		plan = collect(t, []string{hello}, opts...)
		tmp := mustEntry(t, plan, "/tmp")
		if tmp.Kind != collector.Dir || tmp.Mode != fs.ModeDir|fs.ModeSticky|0o777 {
			t.Errorf("/tmp is %v %v", tmp.Kind, tmp.Mode)
		}
		for _, p := range []string{"/etc/passwd", "/etc/group"} {
			if e := mustEntry(t, plan, p); !hasReason(e, "--users") {
				t.Errorf("%s reasons %q", p, e.Reasons)
			}
		}
	}
	// A passwd given with --add wins over the generated one.
	mkfile(t, dir, "passwd", "root:x:0:0::/:/x\napp:x:1000:1000::/:/x\n", 0o644)
	plan = collect(t, []string{hello}, root, collector.WithUsers(), collector.WithAdd("/passwd", "/etc/passwd"))
	if e := mustEntry(t, plan, "/etc/passwd"); e.Source == "" {
		t.Errorf("--add /etc/passwd was replaced by the generated one")
	}
	out := writeRootfs(t, collect(t, []string{hello}, root, collector.WithTmp()))
	if st, err := os.Stat(filepath.Join(out, "tmp")); err != nil || st.Mode() != fs.ModeDir|fs.ModeSticky|0o777 {
		t.Errorf("rootfs /tmp: %v %v", st.Mode(), err)
	}
}

// The dlopen warning names the user's objects, not the NSS module a rule
// added (libnss_systemd imports dlopen).
func TestDlopenWarningSkipsRuleModules(t *testing.T) {
	plan := collect(t, []string{"/usr/bin/id"})
	if plan.Lookup("/usr/lib/x86_64-linux-gnu/libnss_systemd.so.2") == nil {
		t.Skip("no libnss_systemd on this machine")
	}
	for _, w := range plan.WarningsOf(collector.WarnDlopen) {
		if strings.Contains(w.Text, "libnss_systemd") {
			t.Errorf("warning about a module the rules added: %s", w)
		}
	}
}
