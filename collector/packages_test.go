package collector_test

import (
	"crypto/md5"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// statusParagraphs reads a dpkg status file the simple way: paragraphs
// split at blank lines, by "Package Architecture".
func statusParagraphs(t testing.TB, file string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range strings.Split(string(data), "\n\n") {
		p = strings.Trim(p, "\n")
		if p == "" {
			continue
		}
		out[field(p, "Package")+" "+field(p, "Architecture")] = p + "\n"
	}
	return out
}

// field is the value of a field of a paragraph.
func field(para, name string) string {
	for _, line := range strings.Split(para, "\n") {
		if v, ok := strings.CutPrefix(line, name+": "); ok {
			return v
		}
	}
	return ""
}

// statusEntries are the plan's /var/lib/dpkg/status.d entries.
func statusEntries(plan *collector.Plan) []string {
	var out []string
	for _, e := range plan.Entries {
		if strings.HasPrefix(e.Path, "/var/lib/dpkg/") && e.Kind != collector.Dir {
			out = append(out, e.Path)
		}
	}
	return out
}

// curl on this machine: every package dpkg names as the owner of one of
// its files has its paragraph of /var/lib/dpkg/status in status.d, with
// the version dpkg-query reports; packages with no file in the image
// have none.
func TestPackageMetadataHost(t *testing.T) {
	testenv.NeedCommand(t, "dpkg-query")
	if _, err := os.Stat("/usr/bin/curl"); err != nil {
		testenv.Unavailable(t, "curl: %v", err)
	}
	if plan := collect(t, []string{"/usr/bin/curl"}); len(statusEntries(plan)) > 0 {
		t.Errorf("package metadata without asking: %q", statusEntries(plan))
	}
	plan := collect(t, []string{"/usr/bin/curl"}, collector.WithPackageMetadata())
	if err := plan.Check(); err != nil {
		t.Fatal(err)
	}
	paras := statusParagraphs(t, "/var/lib/dpkg/status")
	check := func(pkg string) {
		t.Helper()
		e := mustEntry(t, plan, "/var/lib/dpkg/status.d/"+pkg)
		if e.Kind != collector.File || e.Source != "" || e.Mode != 0o644 {
			t.Errorf("%s: %v source %q mode %v", e.Path, e.Kind, e.Source, e.Mode)
		}
		if !hasReason(e, "--package-metadata: "+pkg+" owns /") {
			t.Errorf("%s reasons %q", e.Path, e.Reasons)
		}
		data := string(e.Data)
		if got := field(data, "Package"); got != pkg {
			t.Errorf("%s: Package %q", e.Path, got)
		}
		out, err := exec.Command("dpkg-query", "-W", "-f=${Version}", pkg).Output()
		if err != nil {
			t.Fatalf("dpkg-query %s: %v", pkg, err)
		}
		if got := field(data, "Version"); got != string(out) {
			t.Errorf("%s: Version %q, dpkg-query says %q", e.Path, got, out)
		}
		if want := paras[pkg+" "+field(data, "Architecture")]; data != want {
			t.Errorf("%s is not the paragraph of /var/lib/dpkg/status:\n%s\nwant:\n%s", e.Path, data, want)
		}
	}
	for _, pkg := range []string{"curl", "libcurl4", "libc6", "libssl3", "base-files"} {
		check(pkg)
	}
	// Every owner dpkg knows of (it misses the usrmerged libraries, whose
	// lists name /lib) is there.
	var sources []string
	for _, e := range plan.Entries {
		if e.Kind == collector.File && e.Source != "" {
			sources = append(sources, e.Source)
		}
	}
	out, _ := exec.Command("dpkg-query", append([]string{"-S"}, sources...)...).Output()
	owners := 0
	for _, line := range strings.Split(string(out), "\n") {
		pkgs, _, ok := strings.Cut(line, ": ")
		if !ok || strings.HasPrefix(line, "diversion ") {
			continue
		}
		for _, p := range strings.Split(pkgs, ", ") {
			name, _, _ := strings.Cut(p, ":")
			check(name)
			owners++
		}
	}
	if owners < 5 {
		t.Errorf("dpkg-query -S found only %d owners: %s", owners, out)
	}
	for _, pkg := range []string{"dpkg", "coreutils", "gcc-12"} {
		if plan.Lookup("/var/lib/dpkg/status.d/"+pkg) != nil {
			t.Errorf("%s has metadata but no file in the image", pkg)
		}
	}
	mustEntry(t, plan, "/etc/os-release")
	mustEntry(t, plan, "/etc/debian_version")

	// libc6.md5sums holds libc.so.6's line, and its sum is the file's.
	sums := string(mustEntry(t, plan, "/var/lib/dpkg/status.d/libc6.md5sums").Data)
	var line string
	for _, l := range strings.Split(sums, "\n") {
		if strings.HasSuffix(l, "/libc.so.6") {
			line = l
		}
	}
	libc, err := os.ReadFile("/lib/x86_64-linux-gnu/libc.so.6")
	if err != nil {
		t.Fatal(err)
	}
	if sum := md5.Sum(libc); !strings.HasPrefix(line, hex.EncodeToString(sum[:])+"  ") {
		t.Errorf("libc6.md5sums: libc.so.6 line %q, md5 %x", line, sum)
	}
	if strings.Contains(sums, "/usr/share/doc/") {
		t.Errorf("libc6.md5sums lists files not in the image:\n%s", sums)
	}

	// The same inputs, the same plan.
	again := collect(t, []string{"/usr/bin/curl"}, collector.WithPackageMetadata())
	if !slices.Equal(listing(plan), listing(again)) {
		t.Errorf("two plans differ")
	}
	for _, p := range statusEntries(plan) {
		if string(plan.Lookup(p).Data) != string(again.Lookup(p).Data) {
			t.Errorf("%s differs between two plans", p)
		}
	}
	out2 := writeRootfs(t, plan)
	if data, err := os.ReadFile(filepath.Join(out2, "var/lib/dpkg/status.d/libssl3")); err != nil || field(string(data), "Package") != "libssl3" {
		t.Errorf("rootfs status.d/libssl3: %q %v", data, err)
	}
}

// In a usrmerged root whose dpkg lists name /lib paths: the libraries'
// package is found through the root, with the paragraph of the listed
// architecture; the user's own program brings nothing; a root without a
// dpkg database gets a warning and no metadata.
func TestPackageMetadataOwnProgram(t *testing.T) {
	testenv.NeedCommand(t, "gcc")
	dir := t.TempDir()
	mkfile(t, dir, "hello.c", "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n", 0o644)
	testenv.CC(t, dir, "gcc", "-o", "hello", "hello.c")
	for _, lib := range []string{"libc.so.6", "ld-linux-x86-64.so.2"} {
		real, err := filepath.EvalSymlinks("/lib/x86_64-linux-gnu/" + lib)
		if err != nil {
			testenv.Unavailable(t, "the host's glibc: %v", err)
		}
		testenv.CopyFile(t, real, filepath.Join(dir, "usr/lib/x86_64-linux-gnu", lib))
	}
	mklink(t, dir, "lib", "usr/lib")
	mklink(t, dir, "lib64/ld-linux-x86-64.so.2", "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
	mkfile(t, dir, "etc/debian_version", "12.0\n", 0o644)
	root := collector.WithRoot(newRoot(t, dir))

	// No dpkg database yet.
	plan := collect(t, []string{"/hello"}, root, collector.WithPackageMetadata())
	if got := statusEntries(plan); len(got) > 0 || plan.Lookup("/etc/debian_version") != nil {
		t.Errorf("metadata from a root without dpkg: %q", got)
	}
	if _, ok := warnedAbout(plan, collector.WarnPackages, "/var/lib/dpkg/status"); !ok {
		t.Errorf("no warning about the missing dpkg database:\n%s", warningText(plan.Warnings))
	}

	i386 := "Package: libc6\nStatus: install ok installed\nArchitecture: i386\nMulti-Arch: same\nVersion: 2.36-9\nDescription: GNU C Library\n the i386 one\n"
	amd64 := "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nVersion: 2.36-9\nDescription: GNU C Library\n the amd64 one\n .\n with a dot line\n"
	baseFiles := "Package: base-files\nEssential: yes\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4\n"
	gone := "Package: other\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1\n"
	mkfile(t, dir, "var/lib/dpkg/status", i386+"\n"+gone+"\n"+amd64+"\n"+baseFiles, 0o644)
	mkfile(t, dir, "var/lib/dpkg/info/libc6:amd64.list",
		"/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libc.so.6\n/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n/usr/share/doc/libc6/copyright\n", 0o644)
	mkfile(t, dir, "var/lib/dpkg/info/libc6:amd64.md5sums",
		"11111111111111111111111111111111  lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n"+
			"22222222222222222222222222222222  lib/x86_64-linux-gnu/libc.so.6\n"+
			"33333333333333333333333333333333  usr/share/doc/libc6/copyright\n", 0o644)
	mkfile(t, dir, "var/lib/dpkg/info/libc6:i386.list", "/.\n/lib/i386-linux-gnu/libc.so.6\n", 0o644)
	mkfile(t, dir, "var/lib/dpkg/info/base-files.list", "/.\n/etc\n/etc/debian_version\n", 0o644)
	mkfile(t, dir, "var/lib/dpkg/info/other.list", "/.\n/usr/bin/other\n/hello.c\n", 0o644)

	plan = collect(t, []string{"/hello"}, collector.WithRoot(newRoot(t, dir)), collector.WithPackageMetadata())
	if err := plan.Check(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/var/lib/dpkg/status.d/base-files",
		"/var/lib/dpkg/status.d/libc6",
		"/var/lib/dpkg/status.d/libc6.md5sums",
	}
	if got := statusEntries(plan); !slices.Equal(got, want) {
		t.Errorf("status.d entries %q, want %q", got, want)
	}
	libc6 := mustEntry(t, plan, "/var/lib/dpkg/status.d/libc6")
	if string(libc6.Data) != amd64 {
		t.Errorf("status.d/libc6:\n%s\nwant the amd64 paragraph:\n%s", libc6.Data, amd64)
	}
	if !hasReason(libc6, "libc6 owns /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 and 1 more") {
		t.Errorf("status.d/libc6 reasons %q", libc6.Reasons)
	}
	if got, want := string(mustEntry(t, plan, "/var/lib/dpkg/status.d/libc6.md5sums").Data),
		"11111111111111111111111111111111  lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n"+
			"22222222222222222222222222222222  lib/x86_64-linux-gnu/libc.so.6\n"; got != want {
		t.Errorf("libc6.md5sums:\n%s\nwant:\n%s", got, want)
	}
	if got := string(mustEntry(t, plan, "/var/lib/dpkg/status.d/base-files").Data); got != baseFiles {
		t.Errorf("status.d/base-files:\n%s", got)
	}
	if e := mustEntry(t, plan, "/etc/debian_version"); !hasReason(e, "--package-metadata") {
		t.Errorf("/etc/debian_version reasons %q", e.Reasons)
	}
	for _, e := range plan.Entries {
		if hasReason(&e, "owns /hello") {
			t.Errorf("%s claims the user's program: %q", e.Path, e.Reasons)
		}
	}
}

// A Debian minbase root: ls's packages come from the root's database, not
// the host's.
func TestPackageMetadataMinbase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Debian minbase root")
	}
	dir := testenv.Amd64Minbase(t)
	plan := collect(t, []string{"/usr/bin/ls"}, collector.WithRoot(newRoot(t, dir)), collector.WithPackageMetadata())
	paras := statusParagraphs(t, filepath.Join(dir, "var/lib/dpkg/status"))
	for _, pkg := range []string{"coreutils", "libc6", "libselinux1", "base-files"} {
		e := mustEntry(t, plan, "/var/lib/dpkg/status.d/"+pkg)
		if want := paras[pkg+" amd64"]; string(e.Data) != want || want == "" {
			t.Errorf("%s:\n%s\nwant:\n%s", e.Path, e.Data, want)
		}
	}
}
