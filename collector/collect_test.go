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

// miniRoot makes a small usrmerged root laid out as Debian's, with the
// host's glibc: /bin, /lib and /lib64 links into /usr, the interpreter
// link, libgreet.so.1.2.3 with its SONAME link, /usr/bin/greeter that
// needs it, and /usr/bin/greeter2, a hard link to greeter. It has no
// ld.so.cache: the loader searches the default directories.
func miniRoot(t testing.TB) string {
	t.Helper()
	dir, build := t.TempDir(), t.TempDir()
	mklink(t, dir, "bin", "usr/bin")
	mklink(t, dir, "lib", "usr/lib")
	mklink(t, dir, "lib64", "usr/lib64")
	libdir := filepath.Join(dir, "usr/lib/x86_64-linux-gnu")
	testenv.CopyFile(t, "/lib/x86_64-linux-gnu/libc.so.6", filepath.Join(libdir, "libc.so.6"))
	testenv.CopyFile(t, "/lib64/ld-linux-x86-64.so.2", filepath.Join(libdir, "ld-linux-x86-64.so.2"))
	mklink(t, dir, "usr/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
	testenv.BuildC(t, build, filepath.Join(libdir, "libgreet.so.1.2.3"), "../testdata/collector/greet.c",
		"-shared", "-fPIC", "-Wl,-soname,libgreet.so.1")
	mklink(t, dir, "usr/lib/x86_64-linux-gnu/libgreet.so.1", "libgreet.so.1.2.3")
	mklink(t, build, "libgreet.so", filepath.Join(libdir, "libgreet.so.1.2.3"))
	greeter := testenv.BuildC(t, build, filepath.Join(dir, "usr/bin/greeter"), "../testdata/collector/greeter.c",
		"-L", build, "-lgreet")
	if err := os.Link(greeter, filepath.Join(dir, "usr/bin/greeter2")); err != nil {
		t.Fatal(err)
	}
	testenv.CopyFile(t, "/usr/bin/env", filepath.Join(dir, "usr/bin/env"))
	return dir
}

// The files are where the loader opens them; the links on the way are
// links, in the image as in the root; a hard link stays one.
func TestFaithfulPaths(t *testing.T) {
	dir := miniRoot(t)
	plan := collect(t, []string{"/usr/bin/greeter", "/bin/greeter2"}, collector.WithRoot(newRoot(t, dir)))
	want := []string{
		"symlink /bin -> usr/bin",
		"symlink /lib -> usr/lib",
		"symlink /lib64 -> usr/lib64",
		"dir /usr",
		"dir /usr/bin",
		"file /usr/bin/greeter",
		"hardlink /usr/bin/greeter2 -> /usr/bin/greeter",
		"dir /usr/lib",
		"dir /usr/lib/x86_64-linux-gnu",
		"file /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
		"file /usr/lib/x86_64-linux-gnu/libc.so.6",
		"symlink /usr/lib/x86_64-linux-gnu/libgreet.so.1 -> libgreet.so.1.2.3",
		"file /usr/lib/x86_64-linux-gnu/libgreet.so.1.2.3",
		"dir /usr/lib64",
		"symlink /usr/lib64/ld-linux-x86-64.so.2 -> /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
	}
	if got := listing(plan); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := strings.Join(plan.Programs, " "); got != "/usr/bin/greeter /bin/greeter2" {
		t.Errorf("programs %q", got)
	}
	for p, reason := range map[string]string{
		"/usr/lib/x86_64-linux-gnu/libgreet.so.1":        "needed by /usr/bin/greeter (default)",
		"/usr/lib/x86_64-linux-gnu/libgreet.so.1.2.3":    "needed by /usr/bin/greeter (default)",
		"/usr/lib64/ld-linux-x86-64.so.2":                "interpreter of /usr/bin/greeter",
		"/usr/lib/x86_64-linux-gnu/libc.so.6":            "needed by /bin/greeter2",
		"/usr/bin/greeter":                               "program",
		"/lib64":                                         "on the way to /lib64/ld-linux-x86-64.so.2",
		"/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2": "interpreter of /bin/greeter2",
	} {
		if e := mustEntry(t, plan, p); !hasReason(e, reason) {
			t.Errorf("%s: reasons %q, want one with %q", p, e.Reasons, reason)
		}
	}
	for _, e := range plan.Entries {
		if e.Kind == collector.Dir && e.Mode != fs.ModeDir|0o755 {
			t.Errorf("%s: mode %v, want drwxr-xr-x", e.Path, e.Mode)
		}
	}

	rootfs := writeRootfs(t, plan)
	for _, prog := range []string{"/usr/bin/greeter", "/bin/greeter2"} {
		stdout, stderr, exit := testenv.RunChroot(t, rootfs, nil, "", prog, "rootfs")
		want := "hello, rootfs\nself: /usr/bin/" + filepath.Base(prog) + "\n"
		if string(stdout) != want || exit != 0 {
			t.Errorf("%s: exit %d, stdout %q (want %q), stderr %q", prog, exit, stdout, want, stderr)
		}
	}
	a, _ := os.Stat(filepath.Join(rootfs, "usr/bin/greeter"))
	b, _ := os.Stat(filepath.Join(rootfs, "usr/bin/greeter2"))
	if !os.SameFile(a, b) {
		t.Errorf("greeter and greeter2 are two files in the rootfs, want one with two names")
	}
}

// Excluded paths do not enter, and the links to them go too.
func TestExclude(t *testing.T) {
	dir := miniRoot(t)
	plan := collect(t, []string{"/usr/bin/greeter"}, collector.WithRoot(newRoot(t, dir)),
		collector.WithExclude("*/libgreet.so*"))
	for _, e := range plan.Entries {
		if strings.Contains(e.Path, "libgreet") {
			t.Errorf("%s is in the plan despite --exclude", e.Path)
		}
	}
	if got := strings.Join(plan.Excluded, "\n"); !strings.Contains(got, "/lib/x86_64-linux-gnu/libgreet.so.1 (*/libgreet.so*)") {
		t.Errorf("Excluded = %q", plan.Excluded)
	}
	if w, _ := warnedAbout(plan, collector.WarnExcluded, "/lib/x86_64-linux-gnu/libgreet.so.1"); w.String() != "/lib/x86_64-linux-gnu/libgreet.so.1 is excluded but the loader needs it (needed by /usr/bin/greeter (default)): /usr/bin/greeter will not start" {
		t.Errorf("no warning that the excluded libgreet is needed:\n%s", warningText(plan.Warnings))
	}
	if _, err := collector.Collect([]string{"/usr/bin/greeter"}, collector.WithExclude("[")); err == nil {
		t.Errorf("a bad pattern is accepted")
	}
}

// --add brings files and trees, the targets of links in them, and the
// closures of ELF files among them; SRC:DST relocates.
func TestAdd(t *testing.T) {
	dir := miniRoot(t)
	mkfile(t, dir, "etc/greeting", "hi\n", 0o644)
	mkfile(t, dir, "srv/app/data/a.txt", "a\n", 0o640)
	mklink(t, dir, "srv/app/data/greeting", "/etc/greeting") // a file outside the tree
	mklink(t, dir, "srv/app/data/self", ".")                 // inside
	mklink(t, dir, "srv/app/data/usr", "/usr")               // a directory outside: not expanded
	testenv.CopyFile(t, filepath.Join(dir, "usr/bin/greeter"), filepath.Join(dir, "srv/app/bin/run"))
	plan := collect(t, []string{"/usr/bin/env"}, collector.WithRoot(newRoot(t, dir)),
		collector.WithAdd("/srv/app", ""), collector.WithAdd("/etc/greeting", "/etc/motd"), collector.WithNoAuto())
	for _, p := range []string{"/srv/app/data/a.txt", "/srv/app/data/self", "/srv/app/bin/run", "/etc/greeting", "/etc/motd",
		"/usr/lib/x86_64-linux-gnu/libgreet.so.1.2.3"} {
		mustEntry(t, plan, p)
	}
	if e := mustEntry(t, plan, "/srv/app/data/a.txt"); e.Mode != 0o640 || !hasReason(e, "--add /srv/app") {
		t.Errorf("a.txt: mode %v reasons %q", e.Mode, e.Reasons)
	}
	if e := mustEntry(t, plan, "/etc/motd"); e.Kind != collector.Hardlink || e.Target != "/etc/greeting" {
		t.Errorf("/etc/motd is %s → %s, want a hard link to /etc/greeting (the same file added twice)", e.Kind, e.Target)
	}
	if e := mustEntry(t, plan, "/usr/lib/x86_64-linux-gnu/libgreet.so.1"); !hasReason(e, "needed by /srv/app/bin/run") {
		t.Errorf("libgreet.so.1 reasons %q", e.Reasons)
	}
	// /usr is in the plan (env is there), so the link to it stays.
	if plan.Lookup("/srv/app/data/usr") == nil {
		t.Errorf("link to /usr dropped though /usr is in the plan")
	}
	rootfs := writeRootfs(t, plan)
	stdout, _, exit := testenv.RunChroot(t, rootfs, nil, "", "/srv/app/bin/run")
	if exit != 0 || !strings.HasPrefix(string(stdout), "hello, world\n") {
		t.Errorf("added program: exit %d, stdout %q", exit, stdout)
	}
	// A link to a directory outside the tree that is not in the plan is
	// dropped, with a warning.
	mkfile(t, dir, "opt/other/x", "x\n", 0o644)
	mklink(t, dir, "srv/app/data/other", "/opt/other")
	plan = collect(t, []string{"/usr/bin/env"}, collector.WithRoot(newRoot(t, dir)), collector.WithAdd("/srv/app", ""), collector.WithNoAuto())
	if plan.Lookup("/srv/app/data/other") != nil {
		t.Errorf("link to /opt/other kept though it is not in the plan")
	}
	if w, _ := warnedAbout(plan, collector.WarnDropped, "/srv/app/data/other"); !strings.HasPrefix(w.Text, "dropped symlink /srv/app/data/other → /opt/other") {
		t.Errorf("no warning for the dropped link:\n%s", warningText(plan.Warnings))
	}
}

// A script brings its interpreter; #!/usr/bin/env NAME brings env and NAME
// found on the path.
func TestScripts(t *testing.T) {
	dir := miniRoot(t)
	mkfile(t, dir, "usr/local/bin/direct", "#!/usr/bin/greeter\n", 0o755)
	mkfile(t, dir, "usr/local/bin/viaenv", "#! /usr/bin/env greeter \n", 0o755)
	mkfile(t, dir, "usr/local/bin/nested", "#!/usr/local/bin/direct\n", 0o755)
	mkfile(t, dir, "usr/local/bin/split", "#!/usr/bin/env -S A=1 greeter -x\n", 0o755)
	for script, want := range map[string][]string{
		"/usr/local/bin/direct": {"/usr/bin/greeter", "/usr/lib/x86_64-linux-gnu/libgreet.so.1"},
		"/usr/local/bin/viaenv": {"/usr/bin/env", "/usr/bin/greeter", "/usr/lib/x86_64-linux-gnu/libgreet.so.1"},
		"/usr/local/bin/nested": {"/usr/local/bin/direct", "/usr/bin/greeter"},
		"/usr/local/bin/split":  {"/usr/bin/env", "/usr/bin/greeter"},
	} {
		plan := collect(t, []string{script}, collector.WithRoot(newRoot(t, dir)))
		for _, p := range append(want, script) {
			mustEntry(t, plan, p)
		}
		if e := mustEntry(t, plan, script); !hasReason(e, "a script run by") {
			t.Errorf("%s: reasons %q", script, e.Reasons)
		}
		if plan.Platform.Architecture != "amd64" {
			t.Errorf("%s: platform %s", script, plan.Platform)
		}
		rootfs := writeRootfs(t, plan)
		stdout, stderr, exit := testenv.RunChroot(t, rootfs, nil, "", script)
		if exit != 0 || !strings.HasPrefix(string(stdout), "hello, ") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", script, exit, stdout, stderr)
		}
	}
	mkfile(t, dir, "usr/local/bin/lost", "#!/usr/bin/env nosuch\n", 0o755)
	mkfile(t, dir, "usr/local/bin/text", "just text\n", 0o755)
	mkfile(t, dir, "usr/local/bin/loop", "#!/usr/local/bin/loop\n", 0o755)
	for _, p := range []string{"/usr/local/bin/lost", "/usr/local/bin/text", "/usr/local/bin/loop"} {
		if _, err := collector.Collect([]string{p}, collector.WithRoot(newRoot(t, dir))); err == nil {
			t.Errorf("%s: no error", p)
		} else {
			t.Logf("%s: %v", p, err)
		}
	}
}
