package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/testenv"
)

// fromscratch runs the command in-process and returns its output and
// exit status.
func fromscratch(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return o.String(), e.String(), code
}

// oneLineError checks the rule for bad input: exit 2, exactly one line on
// stderr, naming what was wrong.
func oneLineError(t *testing.T, stderr string, code int, want ...string) {
	t.Helper()
	if code != exitError {
		t.Errorf("exit %d, want %d; stderr: %s", code, exitError, stderr)
	}
	if strings.Count(strings.TrimRight(stderr, "\n"), "\n") != 0 || stderr == "" {
		t.Errorf("want one line on stderr, got %q", stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr %q does not say %q", stderr, w)
		}
	}
}

// emptyDir checks that a failed run left nothing in dir.
func emptyDir(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if len(names) > 0 {
		t.Errorf("a failed run left %v in %s", names, dir)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	notELF := filepath.Join(dir, "notelf")
	os.WriteFile(notELF, []byte("just text\n"), 0o755)
	truncated := filepath.Join(dir, "truncated")
	b, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(truncated, b[:100], 0o755)
	out := t.TempDir()

	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"not ELF", []string{"deps", notELF}, []string{notELF, "neither an ELF file nor a script"}},
		{"truncated", []string{"deps", truncated}, []string{truncated, "truncated"}},
		{"no such file", []string{"deps", "/no/such/prog"}, []string{"/no/such/prog", "no such file"}},
		{"rootfs not ELF", []string{"rootfs", "-o", filepath.Join(out, "r"), notELF}, []string{notELF}},
		{"image truncated", []string{"image", "--tarball", filepath.Join(out, "i.tar"), truncated}, []string{truncated}},
		{"bad flag", []string{"deps", "--no-such-flag", "/bin/true"}, []string{"--no-such-flag"}},
		{"no file", []string{"deps"}, []string{"no FILE"}},
		{"unknown command", []string{"frobnicate"}, []string{"frobnicate"}},
		{"rootfs without -o", []string{"rootfs", "/bin/true"}, []string{"-o DIR"}},
		{"image without output", []string{"image", "/bin/true"}, []string{"--oci-layout"}},
		{"bad loader", []string{"deps", "--loader", "bsd", "/bin/true"}, []string{"bsd"}},
		{"loader mode in a root", []string{"deps", "--resolver", "loader", "--root", dir, "/bin/true"}, []string{"--root"}},
		{"bad epoch", []string{"rootfs", "-o", filepath.Join(out, "r"), "--source-date-epoch", "yesterday", "/bin/true"}, []string{"yesterday"}},
		{"bad reference", []string{"image", "--push", "not a ref!!", "/bin/true"}, []string{"not a ref!!"}},
		{"bad platform", []string{"image", "--tarball", filepath.Join(out, "i.tar"), "--platform", "amd64", "/bin/true"}, []string{"amd64"}},
		{"bad root", []string{"deps", "--root", "/no/such/root", "/bin/true"}, []string{"/no/such/root"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := fromscratch(t, tc.args...)
			oneLineError(t, stderr, code, tc.want...)
		})
	}
	emptyDir(t, out)
}

func TestUnwritableOutput(t *testing.T) {
	testenv.NeedRoot(t)
	dir := t.TempDir()
	// A read-only filesystem stops root too, where file modes do not.
	ro := filepath.Join(dir, "ro")
	os.Mkdir(ro, 0o755)
	if err := mountReadOnly(t, ro); err != nil {
		testenv.Unavailable(t, "a read-only mount: %v", err)
	}
	for _, args := range [][]string{
		{"rootfs", "-o", filepath.Join(ro, "rootfs"), "/bin/true"},
		{"image", "--tarball", filepath.Join(ro, "img.tar"), "/bin/true"},
		{"image", "--oci-layout", filepath.Join(ro, "layout"), "/bin/true"},
	} {
		_, stderr, code := fromscratch(t, args...)
		oneLineError(t, stderr, code, ro)
	}
	emptyDir(t, ro)
}

func TestMissingLibrary(t *testing.T) {
	testenv.NeedCommand(t, "gcc")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "lib.c"), []byte("int f(void) { return 1; }\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.c"), []byte("int f(void); int main(void) { return f() - 1; }\n"), 0o644)
	testenv.CC(t, dir, "gcc", "-shared", "-fPIC", "-o", "libgone.so.1", "-Wl,-soname,libgone.so.1", "lib.c")
	testenv.CC(t, dir, "gcc", "-o", "app", "main.c", "-L.", "-l:libgone.so.1")
	app := filepath.Join(dir, "app")

	stdout, stderr, code := fromscratch(t, "deps", app)
	if code != exitMissing {
		t.Errorf("deps: exit %d, want %d", code, exitMissing)
	}
	if want := "libgone.so.1 (needed by " + app + "): not found"; !strings.Contains(stderr, want) {
		t.Errorf("deps stderr %q does not say %q", stderr, want)
	}
	if n := strings.Count(stderr, "libgone.so.1"); n != 1 {
		t.Errorf("deps stderr names libgone.so.1 %d times, want once: %q", n, stderr)
	}
	if !strings.Contains(stdout, "libc.so.6") {
		t.Errorf("deps printed nothing of what was found: %q", stdout)
	}

	out := t.TempDir()
	_, stderr, code = fromscratch(t, "rootfs", "-o", filepath.Join(out, "r"), app)
	if code != exitMissing || !strings.Contains(stderr, "libgone.so.1") || !strings.Contains(stderr, "nothing written") {
		t.Errorf("rootfs with a missing library: exit %d, stderr %q", code, stderr)
	}
	emptyDir(t, out)
	if _, stderr, code = fromscratch(t, "rootfs", "--allow-missing", "-o", filepath.Join(out, "r"), app); code != 0 {
		t.Errorf("rootfs --allow-missing: exit %d, %s", code, stderr)
	}
}

func TestDepsListAndJSON(t *testing.T) {
	list, stderr, code := fromscratch(t, "deps", "--list", "/bin/sh", "/usr/bin/env")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if lines[0] != "/bin/sh" || !strings.HasPrefix(lines[1], "/lib64/ld-linux") {
		t.Errorf("--list must start with the file and its interpreter: %q", lines)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		if seen[l] {
			t.Errorf("--list printed %s twice", l)
		}
		seen[l] = true
	}
	if !seen["/usr/bin/env"] {
		t.Errorf("--list of two files lacks the second: %q", lines)
	}

	js, _, code := fromscratch(t, "deps", "--json", "/usr/bin/env")
	if code != 0 {
		t.Fatal(code)
	}
	var doc struct {
		Closures []struct {
			Root    string
			Objects []struct {
				Path     string
				Step     string
				NeededBy string `json:"needed_by"`
			}
		}
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatalf("--json: %v\n%s", err, js)
	}
	if len(doc.Closures) != 1 || doc.Closures[0].Root != "/usr/bin/env" || len(doc.Closures[0].Objects) < 3 {
		t.Errorf("--json: %+v", doc)
	}
}

func TestHelp(t *testing.T) {
	for _, c := range commands {
		stdout, _, code := fromscratch(t, c.name, "--help")
		if code != 0 || !strings.Contains(stdout, "Usage: fromscratch "+c.name) {
			t.Errorf("%s --help: exit %d, %q", c.name, code, stdout)
		}
	}
	if stdout, _, code := fromscratch(t, "--help"); code != 0 || !strings.Contains(stdout, "rootfs") {
		t.Errorf("--help: exit %d, %q", code, stdout)
	}
}

// --resolver=loader asks the real loader: for deps it is the answer, for
// rootfs a cross-check of the emulation; both agree on this machine's curl.
func TestHostLoader(t *testing.T) {
	emulated, _, code := fromscratch(t, "deps", "--list", "/usr/bin/curl")
	if code != 0 {
		t.Fatal(code)
	}
	host, stderr, code := fromscratch(t, "deps", "--list", "--resolver=loader", "/usr/bin/curl")
	if code != 0 || host != emulated {
		t.Errorf("deps --resolver=loader: exit %d %s\n%s\nwant\n%s", code, stderr, host, emulated)
	}
	if _, stderr, code := fromscratch(t, "rootfs", "--resolver=loader", "-o", filepath.Join(t.TempDir(), "r"), "/usr/bin/curl"); code != 0 {
		t.Errorf("rootfs --resolver=loader: exit %d %s", code, stderr)
	}
}

// deps shows what rootfs adds beyond the loader, with reasons: id looks
// users up, so passwd and the NSS configuration are needed at run time.
func TestDepsExtras(t *testing.T) {
	tree, stderr, code := fromscratch(t, "deps", "/usr/bin/id")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"needed at run time", "/etc/passwd (users", "getpwnam imported by /usr/bin/id", "/etc/nsswitch.conf"} {
		if !strings.Contains(tree, want) {
			t.Errorf("deps /usr/bin/id does not say %q:\n%s", want, tree)
		}
	}
	plan, _, code := fromscratch(t, "deps", "--plan", "/usr/bin/id")
	if code != 0 || !strings.Contains(plan, "file     0755 /usr/bin/id  (program)") || !strings.Contains(plan, "/etc/passwd") {
		t.Errorf("deps --plan: exit %d\n%s", code, plan)
	}
	noauto, _, _ := fromscratch(t, "deps", "--no-auto", "/usr/bin/id")
	if strings.Contains(noauto, "/etc/passwd") {
		t.Errorf("deps --no-auto still shows extras:\n%s", noauto)
	}
	js, _, _ := fromscratch(t, "deps", "--json", "/usr/bin/id")
	var doc struct{ Extras []struct{ Path string } }
	if err := json.Unmarshal([]byte(js), &doc); err != nil || len(doc.Extras) == 0 {
		t.Errorf("deps --json extras: %v %+v", err, doc)
	}
}

// A "#!" script is a program too: deps shows its interpreter's closure,
// and --list the interpreter's files, as rootfs would collect them.
func TestDepsScript(t *testing.T) {
	script := filepath.Join(t.TempDir(), "hello.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho hello\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tree, stderr, code := fromscratch(t, "deps", script)
	if code != 0 || !strings.HasPrefix(tree, "/bin/sh (dynamic)") || !strings.Contains(tree, script+" (program (a script run by /bin/sh))") {
		t.Errorf("deps of a script: exit %d %s\n%s", code, stderr, tree)
	}
	list, stderr, code := fromscratch(t, "deps", "--list", script)
	if code != 0 || !strings.HasPrefix(list, "/bin/sh\n/lib64/ld-linux-x86-64.so.2\n") {
		t.Errorf("deps --list of a script: exit %d %s\n%s", code, stderr, list)
	}
}
