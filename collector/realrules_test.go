package collector_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// utf8Text has 14 characters in 20 bytes.
const utf8Text = "héllo wörld ✓ ñ\n"

// wc imports setlocale: its plan has this machine's C.UTF-8 locale, and
// LANG=C.UTF-8 wc -m in the rootfs counts characters as on the host.
// Without the rule (WithNoAuto) it counts bytes: the test would fail
// without it.
func TestLocaleRule(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "wc", "unshare")
	host := exec.Command("/usr/bin/wc", "-m")
	host.Env = []string{"LANG=C.UTF-8"}
	host.Stdin = strings.NewReader(utf8Text)
	want, err := host.Output()
	if err != nil {
		t.Fatal(err)
	}
	plan := collect(t, []string{"/usr/bin/wc"})
	e := mustEntry(t, plan, "/usr/lib/locale/C.utf8/LC_CTYPE")
	if !hasReason(e, "locale C.UTF-8 (setlocale imported by /usr/bin/wc") {
		t.Errorf("LC_CTYPE reasons %q", e.Reasons)
	}
	// What setlocale reads besides: the alias file, gconv's configuration.
	for _, p := range []string{"/usr/share/locale/locale.alias", "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache"} {
		if _, err := os.Stat(p); err == nil {
			if e := mustEntry(t, plan, p); !hasReason(e, "locale C.UTF-8 (setlocale imported by /usr/bin/wc") {
				t.Errorf("%s reasons %q", p, e.Reasons)
			}
		}
	}
	run := func(plan *collector.Plan) string {
		stdout, stderr, code := testenv.RunChroot(t, writeRootfs(t, plan), []string{"LANG=C.UTF-8"}, utf8Text, "/usr/bin/wc", "-m")
		if code != 0 {
			t.Fatalf("wc -m in the rootfs: exit %d: %s", code, stderr)
		}
		return string(stdout)
	}
	if got := run(plan); got != string(want) {
		t.Errorf("LANG=C.UTF-8 wc -m in the rootfs: %q, on the host %q", got, want)
	}
	if got := run(collect(t, []string{"/usr/bin/wc"}, collector.WithNoAuto())); got == string(want) {
		t.Errorf("without the rule wc -m counts %q too: the test proves nothing", got)
	}

	// --locales finds a name as glibc does (its codeset normalized), and
	// refuses one the root lacks.
	plan = collect(t, []string{"/usr/bin/wc"}, collector.WithLocales("C.UTF-8"))
	if e := mustEntry(t, plan, "/usr/lib/locale/C.utf8/LC_CTYPE"); !hasReason(e, "locale C.UTF-8") {
		t.Errorf("reasons %q", e.Reasons)
	}
	if _, err := collector.Collect([]string{"/usr/bin/wc"}, collector.WithLocales("xx_YY.UTF-8")); err == nil || !strings.Contains(err.Error(), "locale xx_YY.UTF-8: not in the root") {
		t.Errorf("a locale the root lacks: %v", err)
	}
}

// nginx's package configuration comes with its program: nginx-common's
// conffiles (it depends on it, same source), its directories with their
// owners (/var/log/nginx is root:adm), the site its maintainer script
// enabled; not its init script, logrotate or ufw files. redis-server's
// directories are its service user's: owners are kept, in the directory
// tree and in the layer's tar headers, and the image's passwd and group
// name them. WithNoConffiles adds none of it.
func TestConffilesAndOwners(t *testing.T) {
	testenv.NeedRoot(t)
	for _, p := range []string{"/usr/sbin/nginx", "/usr/bin/redis-server", "/var/lib/dpkg/status"} {
		if _, err := os.Stat(p); err != nil {
			testenv.Unavailable(t, "%s (.ci/packages: nginx-light, redis-server): %v", p, err)
		}
	}
	plan := collect(t, []string{"/usr/sbin/nginx"})
	for p, r := range map[string]string{
		"/etc/nginx/nginx.conf":              "configuration of nginx-common (a dependency of nginx, of the same source; nginx owns /usr/sbin/nginx)",
		"/etc/nginx/mime.types":              "configuration of nginx-common",
		"/etc/nginx/sites-enabled/default":   "enabled in the root: configuration of nginx-common",
		"/etc/nginx/sites-available/default": "configuration of nginx-common",
		"/var/lib/nginx":                     "directory of nginx-common",
		"/var/log/nginx":                     "directory of nginx-common",
	} {
		if e := mustEntry(t, plan, p); !hasReason(e, r) {
			t.Errorf("%s: reasons %q, want %q", p, e.Reasons, r)
		}
	}
	for _, p := range []string{"/etc/init.d/nginx", "/etc/logrotate.d/nginx", "/etc/ufw/applications.d/nginx", "/etc/default/nginx", "/usr/share/doc/nginx-common"} {
		if plan.Lookup(p) != nil {
			t.Errorf("%s planned", p)
		}
	}
	var adm syscall.Stat_t
	if err := syscall.Stat("/var/log/nginx", &adm); err != nil {
		t.Fatal(err)
	}
	if e := mustEntry(t, plan, "/var/log/nginx"); e.Uid != int(adm.Uid) || e.Gid != int(adm.Gid) {
		t.Errorf("/var/log/nginx owner %d:%d, the root's %d:%d", e.Uid, e.Gid, adm.Uid, adm.Gid)
	}
	if plan := collect(t, []string{"/usr/sbin/nginx"}, collector.WithNoConffiles()); plan.Lookup("/etc/nginx/nginx.conf") != nil || plan.Lookup("/var/lib/nginx") != nil {
		t.Errorf("WithNoConffiles: nginx's configuration planned")
	}

	plan = collect(t, []string{"/usr/bin/redis-server"}, collector.WithUserNames("www-data"))
	var st syscall.Stat_t
	if err := syscall.Stat("/var/lib/redis", &st); err != nil {
		t.Fatal(err)
	}
	e := mustEntry(t, plan, "/var/lib/redis")
	if !hasReason(e, "home of user redis") {
		t.Errorf("/var/lib/redis reasons %q", e.Reasons)
	}
	if e.Uid == 0 || e.Uid != int(st.Uid) || e.Gid != int(st.Gid) {
		t.Fatalf("/var/lib/redis owner %d:%d, the root's %d:%d", e.Uid, e.Gid, st.Uid, st.Gid)
	}
	passwd := string(mustEntry(t, plan, "/etc/passwd").Data)
	group := string(mustEntry(t, plan, "/etc/group").Data)
	for _, want := range []string{"\nredis:x:", "\nwww-data:x:33:33:", "\nnonroot:x:65532:"} {
		if !strings.Contains(passwd, want) {
			t.Errorf("passwd has no %q:\n%s", want, passwd)
		}
	}
	for _, want := range []string{"\nredis:x:", "\nwww-data:x:33:"} {
		if !strings.Contains(group, want) {
			t.Errorf("group has no %q:\n%s", want, group)
		}
	}
	if e := mustEntry(t, plan, "/etc/passwd"); !hasReason(e, "user redis (") || !hasReason(e, "owner of /etc/redis") && !hasReason(e, "owner of /var/lib/redis") || !hasReason(e, "user www-data (33) of the root's /etc/passwd: asked for by name") {
		t.Errorf("passwd reasons %q", e.Reasons)
	}
	out := writeRootfs(t, plan)
	var got syscall.Stat_t
	if err := syscall.Lstat(filepath.Join(out, "var/lib/redis"), &got); err != nil {
		t.Fatal(err)
	}
	if got.Uid != st.Uid || got.Gid != st.Gid || got.Mode&0o7777 != st.Mode&0o7777 {
		t.Errorf("rootfs /var/lib/redis: %d:%d %o, the root's %d:%d %o", got.Uid, got.Gid, got.Mode&0o7777, st.Uid, st.Gid, st.Mode&0o7777)
	}
	if _, err := collector.Collect([]string{"/usr/bin/redis-server"}, collector.WithUserNames("nosuchuser")); err == nil || !strings.Contains(err.Error(), "user nosuchuser is not in the root's /etc/passwd") {
		t.Errorf("an unknown user name: %v", err)
	}
}

// With WithNoAuto, what is named explicitly still comes: the locale and
// the user asked for, and nothing the rules would add on evidence.
func TestNamedWithoutRules(t *testing.T) {
	if _, err := os.Stat("/usr/lib/locale/C.utf8"); err != nil {
		testenv.Unavailable(t, "the C.UTF-8 locale: %v", err)
	}
	plan := collect(t, []string{"/usr/bin/wc"}, collector.WithNoAuto(), collector.WithLocales("C.UTF-8"), collector.WithUserNames("daemon"))
	if e := mustEntry(t, plan, "/usr/lib/locale/C.utf8/LC_CTYPE"); !hasReason(e, "locale C.UTF-8 (--locales)") {
		t.Errorf("LC_CTYPE reasons %q", e.Reasons)
	}
	if passwd := string(mustEntry(t, plan, "/etc/passwd").Data); !strings.Contains(passwd, "\ndaemon:x:1:1:") {
		t.Errorf("passwd:\n%s", passwd)
	}
	if plan.Lookup("/usr/share/locale/locale.alias") != nil {
		t.Errorf("WithNoAuto: the locales rule ran")
	}
}
