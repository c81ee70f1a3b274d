package collector_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// The libraries that .note.dlopen notes declare, at each priority level,
// are exactly what the program's own dlopen of those names loads in the
// root: the notes are written by gcc as the spec lays them out
// (testdata/dlopennotes/note.h), one per priority in the program, one
// without priority (recommended) in a library it dlopens, an alternative
// missing from the root, and a decoy of a noted name in a default
// directory that the program's RUNPATH hides.
func TestDlopenNotes(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "gcc", "unshare")
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	testenv.HostGlibc(t, root)
	src, _ := filepath.Abs("../testdata/dlopennotes")
	opener, _ := filepath.Abs("../testdata/dlopen/opener.c")
	dep, _ := filepath.Abs("../testdata/dlopen/dep.c")
	for _, d := range []string{"app/bin", "app/lib", "usr/lib/x86_64-linux-gnu"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	lib := func(soname, out string, args ...string) {
		testenv.CC(t, root, "gcc", append([]string{"-shared", "-fPIC", "-Wl,-soname," + soname, "-o", out}, args...)...)
	}
	lib("libdep.so.1", "app/lib/libdep.so.1", dep)
	lib("libreq.so.1", "app/lib/libreq.so.1", filepath.Join(src, "lib_notes.c"), "-Wl,--enable-new-dtags,-rpath,$ORIGIN")
	lib("librec.so.1", "app/lib/librec.so.1", dep, "-Lapp/lib", "-l:libdep.so.1", "-Wl,--enable-new-dtags,-rpath,$ORIGIN")
	lib("libsug.so.1", "app/lib/libsug.so.1", dep)
	lib("libnested.so.1", "app/lib/libnested.so.1", dep)
	lib("librec.so.1", "usr/lib/x86_64-linux-gnu/librec.so.1", dep) // the decoy
	testenv.CC(t, root, "gcc", "-o", "app/bin/noted", opener, filepath.Join(src, "prog_notes.c"), "-ldl", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib")

	// What the program loads when it dlopens the names itself, by real
	// path in the root.
	loads := func(names ...string) []string {
		t.Helper()
		stdout, stderr, code := testenv.RunChroot(t, root, nil, "", append([]string{"/app/bin/noted"}, names...)...)
		if code != 0 {
			t.Fatalf("noted %v in the root: exit %d\n%s%s", names, code, stdout, stderr)
		}
		set := []string{"/app/bin/noted"}
		for _, line := range strings.Split(string(stdout), "\n") {
			if p, ok := strings.CutPrefix(line, "loaded "); ok {
				real, err := filepath.EvalSymlinks(filepath.Join(root, p))
				if err != nil {
					t.Fatal(err)
				}
				set = append(set, strings.TrimPrefix(real, root))
			}
		}
		slices.Sort(set)
		return slices.Compact(set)
	}
	planned := func(plan *collector.Plan) []string {
		var set []string
		for _, e := range plan.Entries {
			if e.Kind == collector.File && e.Source != "" {
				set = append(set, e.Source)
			}
		}
		return set
	}
	for _, tc := range []struct {
		level string
		names []string // what the program dlopens in the real run
	}{
		{"none", nil},
		{"required", []string{"libreq.so.1"}},
		{"recommended", []string{"libreq.so.1", "libnested.so.1", "libabsent.so.9", "librec.so.1"}},
		{"suggested", []string{"libreq.so.1", "libnested.so.1", "libabsent.so.9", "librec.so.1", "libsug.so.1"}},
	} {
		t.Run(tc.level, func(t *testing.T) {
			plan := collect(t, []string{"/app/bin/noted"}, collector.WithRoot(newRoot(t, root)), collector.WithDlopenNotes(tc.level))
			got, want := planned(plan), loads(tc.names...)
			if !slices.Equal(got, want) {
				t.Errorf("plan with dlopen notes %s:\n  %q\nthe program's dlopen of %v loads:\n  %q", tc.level, got, tc.names, want)
			}
			if tc.level == "suggested" {
				for p, r := range map[string]string{
					"/app/lib/libreq.so.1":    `required dlopen note of /app/bin/noted: feature "req" (needed to start), dlopen(libreq.so.1) by /app/bin/noted (runpath)`,
					"/app/lib/librec.so.1":    `recommended dlopen note of /app/bin/noted: feature "rec" (the rec feature), dlopen(librec.so.1)`,
					"/app/lib/libnested.so.1": `recommended dlopen note of /app/lib/libreq.so.1: feature "nested", dlopen(libnested.so.1) by /app/lib/libreq.so.1 (runpath)`,
					"/app/lib/libsug.so.1":    `suggested dlopen note of /app/bin/noted: feature "sug"`,
				} {
					if e := mustEntry(t, plan, p); !hasReason(e, r) {
						t.Errorf("%s: reasons %q, want one with %q", p, e.Reasons, r)
					}
				}
			}
		})
	}
	if _, err := collector.Collect([]string{"/app/bin/noted"}, collector.WithRoot(newRoot(t, root)), collector.WithDlopenNotes("optional")); err == nil {
		t.Errorf("WithDlopenNotes(optional): no error")
	}
}
