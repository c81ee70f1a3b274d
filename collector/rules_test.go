package collector_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// The rules look at the host's real programs: Debian 12, glibc 2.36,
// nsswitch.conf naming systemd for passwd and group.

func TestRuleNSS(t *testing.T) {
	testenv.NeedCommand(t, "/usr/bin/id")
	plan := collect(t, []string{"/usr/bin/id"})
	conf := mustEntry(t, plan, "/etc/nsswitch.conf")
	if conf.Source != "/etc/nsswitch.conf" || !hasReason(conf, "imported by /usr/bin/id") {
		t.Errorf("nsswitch.conf: source %q reasons %q, want the root's, for id", conf.Source, conf.Reasons)
	}
	// systemd is named and not built in: its module and closure come.
	// files is built into glibc 2.36: no libnss_files.so.2.
	mod := mustEntry(t, plan, realPath(t, "/lib/x86_64-linux-gnu/libnss_systemd.so.2"))
	if !hasReason(mod, "NSS passwd: files systemd (") {
		t.Errorf("libnss_systemd reasons %q", mod.Reasons)
	}
	mustEntry(t, plan, realPath(t, "/lib/x86_64-linux-gnu/libcap.so.2"))
	for _, e := range plan.Entries {
		if strings.Contains(e.Path, "libnss_files") || strings.Contains(e.Path, "libnss_dns") {
			t.Errorf("%s planned though glibc 2.36 has files and dns built in", e.Path)
		}
	}
	passwd := mustEntry(t, plan, "/etc/passwd")
	if !strings.Contains(string(passwd.Data), "nonroot:x:65532:65532:") || passwd.Source != "" {
		t.Errorf("passwd %q from %q, want the generated one", passwd.Data, passwd.Source)
	}
	mustEntry(t, plan, "/etc/group")
	// An --add'ed passwd wins over the generated one.
	plan = collect(t, []string{"/usr/bin/id"}, collector.WithAdd("/etc/passwd", ""))
	if e := mustEntry(t, plan, "/etc/passwd"); e.Source != "/etc/passwd" {
		t.Errorf("--add /etc/passwd: planned %q from %q", e.Data, e.Source)
	}
	// --no-auto: the bare closure.
	plan = collect(t, []string{"/usr/bin/id"}, collector.WithNoAuto())
	for _, p := range []string{"/etc/nsswitch.conf", "/etc/passwd", "/etc/group"} {
		if plan.Lookup(p) != nil {
			t.Errorf("%s planned with --no-auto", p)
		}
	}
}

// In a root without nsswitch.conf the default one is written, and the
// generated users make user lookups work.
func TestRuleNSSDefault(t *testing.T) {
	dir := miniRoot(t)
	testenv.BuildC(t, t.TempDir(), filepath.Join(dir, "usr/bin/users"), "../testdata/collector/users.c")
	plan := collect(t, []string{"/usr/bin/users"}, collector.WithRoot(newRoot(t, dir)))
	conf := mustEntry(t, plan, "/etc/nsswitch.conf")
	if !strings.Contains(string(conf.Data), "passwd:    files\n") || !hasReason(conf, "the root has none") {
		t.Errorf("default nsswitch.conf %q, reasons %q", conf.Data, conf.Reasons)
	}
	rootfs := writeRootfs(t, plan)
	stdout, stderr, exit := testenv.RunChroot(t, rootfs, nil, "", "/usr/bin/users", "65532", "65534")
	if want := "0=root 0=root\n65532=nonroot 65534=nobody\n"; string(stdout) != want || exit != 0 {
		t.Errorf("users: exit %d, stdout %q (want %q), stderr %q", exit, stdout, want, stderr)
	}
}

// With a glibc older than 2.34 (a libc.so.6 without _nss_files_*), the
// files service is a module like any other.
func TestRuleNSSOldGlibc(t *testing.T) {
	dir := miniRoot(t)
	libdir := filepath.Join(dir, "usr/lib/x86_64-linux-gnu")
	build := t.TempDir()
	testenv.BuildC(t, build, filepath.Join(libdir, "libc.so.6"), "../testdata/collector/oldlibc.c",
		"-shared", "-fPIC", "-nostdlib", "-Wl,-soname,libc.so.6")
	for _, s := range []string{"files", "dns"} {
		testenv.BuildC(t, build, filepath.Join(libdir, "libnss_"+s+".so.2"), "../testdata/collector/oldlibc.c",
			"-shared", "-fPIC", "-nostdlib", "-Wl,-soname,libnss_"+s+".so.2")
	}
	mkfile(t, dir, "etc/nsswitch.conf", "passwd: files [NOTFOUND=return] nosuch\nhosts: dns\n", 0o644)
	testenv.BuildC(t, build, filepath.Join(dir, "usr/bin/users"), "../testdata/collector/users.c")
	plan := collect(t, []string{"/usr/bin/users"}, collector.WithRoot(newRoot(t, dir)))
	e := mustEntry(t, plan, "/usr/lib/x86_64-linux-gnu/libnss_files.so.2")
	if !hasReason(e, "NSS passwd: files nosuch (getpwuid imported by /usr/bin/users)") {
		t.Errorf("libnss_files reasons %q", e.Reasons)
	}
	if plan.Lookup("/usr/lib/x86_64-linux-gnu/libnss_dns.so.2") != nil {
		t.Errorf("libnss_dns planned though users looks no host up")
	}
	if plan.Lookup("/lib/x86_64-linux-gnu/libnss_nosuch.so.2") != nil {
		t.Errorf("a service the root lacks was planned")
	}
}

func TestRuleGconv(t *testing.T) {
	testenv.NeedCommand(t, "/usr/bin/iconv")
	gconv := realPath(t, "/usr/lib/x86_64-linux-gnu/gconv")
	plan := collect(t, []string{"/usr/bin/iconv"})
	for _, name := range []string{"gconv-modules", "gconv-modules.cache", "CP1252.so", "ISO8859-15.so", "UTF-16.so", "UTF-7.so"} {
		e := mustEntry(t, plan, gconv+"/"+name)
		if !hasReason(e, "iconv_open imported by /usr/bin/iconv") {
			t.Errorf("%s: reasons %q", name, e.Reasons)
		}
	}
	if plan.Lookup(gconv+"/EUC-JP.so") != nil {
		t.Errorf("EUC-JP.so planned by default")
	}
	// A chosen set: EUC-JP's module needs libJIS.so beside it.
	plan = collect(t, []string{"/usr/bin/iconv"}, collector.WithCharsets("eucjp", "UTF-8"))
	mustEntry(t, plan, gconv+"/EUC-JP.so")
	if e := mustEntry(t, plan, gconv+"/libJIS.so"); !hasReason(e, "needed by "+gconv+"/EUC-JP.so") {
		t.Errorf("libJIS.so reasons %q", e.Reasons)
	}
	if plan.Lookup(gconv+"/CP1252.so") != nil {
		t.Errorf("CP1252.so planned though not chosen")
	}
	// None: the built-in conversions only, and a warning for a name
	// that has no module.
	plan = collect(t, []string{"/usr/bin/iconv"}, collector.WithCharsets("NO-SUCH-SET"))
	for _, e := range plan.Entries {
		if strings.HasSuffix(e.Path, ".so") && strings.HasPrefix(e.Path, gconv) {
			t.Errorf("%s planned with no charset chosen", e.Path)
		}
	}
	if !strings.Contains(warningText(plan.WarningsOf(collector.WarnMissingFile)), "NO-SUCH-SET") {
		t.Errorf("no warning for an unknown charset:\n%s", warningText(plan.Warnings))
	}
}

// pthread_cancel makes glibc dlopen libgcc_s.so.1: without it the program
// aborts; the rule adds it.
func TestRuleLibgcc(t *testing.T) {
	dir := t.TempDir()
	prog := testenv.BuildC(t, dir, "cancel", "../testdata/collector/cancel.c", "-pthread")
	plan := collect(t, []string{prog})
	e := mustEntry(t, plan, realPath(t, "/lib/x86_64-linux-gnu/libgcc_s.so.1"))
	if !hasReason(e, "pthread_cancel imported by "+prog) {
		t.Errorf("libgcc_s reasons %q", e.Reasons)
	}
	stdout, stderr, exit := testenv.RunChroot(t, writeRootfs(t, plan), nil, "", prog)
	if string(stdout) != "cancelled: yes\n" || exit != 0 {
		t.Errorf("with the rule: exit %d, stdout %q, stderr %q", exit, stdout, stderr)
	}
	bare := collect(t, []string{prog}, collector.WithNoAuto())
	stdout, stderr, exit = testenv.RunChroot(t, writeRootfs(t, bare), nil, "", prog)
	if exit == 0 || !strings.Contains(string(stderr), "libgcc_s.so.1") {
		t.Errorf("without libgcc_s: exit %d, stdout %q, stderr %q; want glibc's abort", exit, stdout, stderr)
	}
	t.Logf("without the rule: exit %d, %s", exit, strings.TrimSpace(string(stderr)))
}

func TestRuleCertificates(t *testing.T) {
	testenv.NeedCommand(t, "/usr/bin/curl", "/usr/bin/openssl")
	plan := collect(t, []string{"/usr/bin/openssl"})
	e := mustEntry(t, plan, "/etc/ssl/certs/ca-certificates.crt")
	if !hasReason(e, "CA certificates (libssl.so.3 in the closure)") {
		t.Errorf("bundle reasons %q", e.Reasons)
	}
	if strings.Join(plan.Env, " ") != "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" {
		t.Errorf("env %q", plan.Env)
	}
	if e := mustEntry(t, plan, "/usr/lib/ssl/openssl.cnf"); e.Kind != collector.Symlink || e.Target != "/etc/ssl/openssl.cnf" {
		t.Errorf("openssl.cnf is %s → %s", e.Kind, e.Target)
	}
	mustEntry(t, plan, "/etc/ssl/openssl.cnf")
	// A program without TLS gets no certificates.
	plan = collect(t, []string{"/usr/bin/gzip"})
	if plan.Lookup("/etc/ssl/certs/ca-certificates.crt") != nil || len(plan.Env) > 0 {
		t.Errorf("gzip got certificates")
	}
}

func TestRuleTmpAndDlopenWarning(t *testing.T) {
	testenv.NeedCommand(t, "/usr/bin/sort", "/usr/bin/perl")
	plan := collect(t, []string{"/usr/bin/sort"})
	e := mustEntry(t, plan, "/tmp")
	if e.Mode != fs.ModeDir|fs.ModeSticky|0o777 || !hasReason(e, "imported by /usr/bin/sort") {
		t.Errorf("/tmp: mode %v, reasons %q", e.Mode, e.Reasons)
	}
	plan = collect(t, []string{"/usr/bin/perl"})
	w := warningText(plan.WarningsOf(collector.WarnDlopen))
	if !strings.Contains(w, "/usr/bin/perl") || !strings.Contains(w, "WithDlopen") {
		t.Errorf("warnings:\n%s\nwant a dlopen one naming perl and WithDlopen", warningText(plan.Warnings))
	}
}

// --dlopen NAME finds the library where the loader finds the programs'.
func TestDlopen(t *testing.T) {
	dir := miniRoot(t)
	testenv.BuildC(t, t.TempDir(), filepath.Join(dir, "usr/lib/x86_64-linux-gnu/libplugin.so"), "../testdata/collector/greet.c", "-shared", "-fPIC")
	plan := collect(t, []string{"/usr/bin/env"}, collector.WithRoot(newRoot(t, dir)), collector.WithDlopen("libplugin.so", "/usr/lib/x86_64-linux-gnu/libgreet.so.1"))
	if e := mustEntry(t, plan, "/usr/lib/x86_64-linux-gnu/libplugin.so"); !hasReason(e, "--dlopen libplugin.so") {
		t.Errorf("libplugin.so reasons %q", e.Reasons)
	}
	mustEntry(t, plan, "/usr/lib/x86_64-linux-gnu/libgreet.so.1.2.3")
	if _, err := collector.Collect([]string{"/usr/bin/env"}, collector.WithRoot(newRoot(t, dir)), collector.WithDlopen("libnosuch.so")); err == nil {
		t.Errorf("--dlopen of a missing library: no error")
	}

	// A library only ld.so.cache knows about.
	testenv.NeedCommand(t, "ldconfig")
	testenv.BuildC(t, t.TempDir(), filepath.Join(dir, "opt/plugins/libplugin2.so.1"), "../testdata/collector/greet.c",
		"-shared", "-fPIC", "-Wl,-soname,libplugin2.so.1")
	mkfile(t, dir, "etc/ld.so.conf", "/opt/plugins\n", 0o644)
	if out, err := exec.Command("ldconfig", "-r", dir).CombinedOutput(); err != nil {
		t.Fatalf("ldconfig -r: %v\n%s", err, out)
	}
	plan = collect(t, []string{"/usr/bin/env"}, collector.WithRoot(newRoot(t, dir)), collector.WithDlopen("libplugin2.so.1"))
	mustEntry(t, plan, "/opt/plugins/libplugin2.so.1")
}

func TestTZData(t *testing.T) {
	if _, err := os.Stat("/usr/share/zoneinfo/Europe/Paris"); err != nil {
		testenv.Unavailable(t, "tzdata: %v", err)
	}
	plan := collect(t, []string{"/usr/bin/date"}, collector.WithTZData())
	mustEntry(t, plan, "/usr/share/zoneinfo/Europe/Paris")
	if e := mustEntry(t, plan, "/etc/localtime"); e.Kind != collector.Symlink {
		t.Errorf("/etc/localtime is a %s", e.Kind)
	}
	if plan := collect(t, []string{"/usr/bin/date"}); plan.Lookup("/usr/share/zoneinfo") != nil {
		t.Errorf("zoneinfo planned without WithTZData")
	}
}
