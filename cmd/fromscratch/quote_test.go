package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fromscratch/fromscratch/internal/testenv"
)

// hostileNames are file names that, printed raw, would forge a plan line,
// drive the terminal, or lose their bytes.
var hostileNames = []string{
	"/srv/a\nfile     0644 shadow",
	"/srv/\x1b[31mred",
	"/srv/caf\xe9",
	"/srv/\x1b[2Jsuid",
}

// safeText fails unless s is UTF-8 without control characters but
// newlines.
func safeText(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s is not UTF-8: %q", what, s)
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' || r == 0x7f {
			t.Errorf("%s holds the control character %q: %q", what, r, s)
			return
		}
	}
}

// Names with newlines, escape sequences or bytes that are not UTF-8 are
// quoted (strconv.Quote form, only when needed) in every text output of
// deps — the tree, --list, --plan, warnings, errors — and --json keeps
// them lossless (Python's surrogateescape gives the bytes back).
func TestHostileNamesQuoted(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"/usr/bin/true", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"} {
		testenv.CopyFile(t, f, filepath.Join(root, f))
	}
	evilProg := "/usr/bin/evil\x1b]0;title\x07"
	testenv.CopyFile(t, "/usr/bin/true", filepath.Join(root, evilProg))
	if err := os.MkdirAll(filepath.Join(root, "srv"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range hostileNames {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(n, "suid") {
			mode = 0o755 | os.ModeSetuid
		}
		if err := os.WriteFile(filepath.Join(root, n), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(root, n), mode); err != nil {
			t.Fatal(err)
		}
	}
	base := []string{"--root", root, "--no-auto", "--add", "/srv"}

	stdout, stderr, code := fromscratch(t, append([]string{"deps", "--plan"}, append(base, "/usr/bin/true")...)...)
	if code != 0 {
		t.Fatalf("deps --plan: exit %d: %s", code, stderr)
	}
	safeText(t, "--plan", stdout)
	safeText(t, "the warnings", stderr)
	for _, n := range hostileNames {
		if !strings.Contains(stdout, " "+strconv.Quote(n)+"  (") {
			t.Errorf("--plan does not show %s quoted:\n%s", strconv.Quote(n), stdout)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if k, _, _ := strings.Cut(line, " "); k != "dir" && k != "file" && k != "symlink" && k != "hardlink" {
			t.Errorf("--plan line %q is not an entry", line)
		}
	}
	if want := strconv.Quote("/srv/\x1b[2Jsuid") + ": setuid/setgid bits dropped"; !strings.Contains(stderr, want) {
		t.Errorf("the warning does not quote the name: %q", stderr)
	}

	stdout, _, _ = fromscratch(t, append([]string{"deps"}, append(base, "/usr/bin/true")...)...)
	safeText(t, "the tree", stdout)
	if !strings.Contains(stdout, strconv.Quote(hostileNames[0])) {
		t.Errorf("the tree does not quote %q:\n%s", hostileNames[0], stdout)
	}

	stdout, _, code = fromscratch(t, "deps", "--list", "--root", root, evilProg)
	safeText(t, "--list", stdout)
	if first, _, _ := strings.Cut(stdout, "\n"); code != 0 || first != strconv.Quote(evilProg) {
		t.Errorf("--list: exit %d, first line %q, want %s", code, first, strconv.Quote(evilProg))
	}

	_, stderr, code = fromscratch(t, "deps", "--root", root, "/srv/no\x1b[2Jsuch")
	safeText(t, "the error", stderr)
	oneLineError(t, stderr, code, `"/srv/no\x1b[2Jsuch`)

	testenv.NeedCommand(t, "python3")
	stdout, _, code = fromscratch(t, append([]string{"deps", "--json"}, append(base, "/usr/bin/true")...)...)
	if code != 0 {
		t.Fatalf("deps --json: exit %d", code)
	}
	py := exec.Command("python3", "-c", `import json, os, sys
doc = json.load(sys.stdin)
for e in doc["extras"]:
    sys.stdout.buffer.write(os.fsencode(e["path"]) + b"\0")`)
	py.Stdin = strings.NewReader(stdout)
	got, err := py.Output()
	if err != nil {
		t.Fatalf("python3 reading --json: %v", err)
	}
	paths := strings.Split(string(got), "\x00")
	for _, n := range hostileNames {
		found := false
		for _, p := range paths {
			found = found || p == n
		}
		if !found {
			t.Errorf("--json lost %q: %q", n, paths)
		}
	}
}
