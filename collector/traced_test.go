package collector_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
	"github.com/fromscratch/fromscratch/trace"
)

// WithTraced puts each traced path in the plan with its reason: files at
// their paths with the links on the way, directories as directories
// only, ELF files with their closures.
func TestTracedFiles(t *testing.T) {
	dir, build := miniRoot(t), t.TempDir()
	// A plugin that needs a library the root lacks: the run loaded it from
	// where the emulation cannot see, or never loaded the plugin.
	testenv.BuildC(t, build, filepath.Join(build, "libgone.so.1"), "../testdata/collector/greet.c",
		"-shared", "-fPIC", "-Wl,-soname,libgone.so.1")
	testenv.BuildC(t, build, filepath.Join(dir, "opt/plug/libplug.so"), "../testdata/collector/greet.c",
		"-shared", "-fPIC", "-L", build, "-Wl,--no-as-needed", "-l:libgone.so.1")
	mkfile(t, dir, "usr/share/greet/a", "a\n", 0o644)
	mkfile(t, dir, "usr/share/greet/b", "b\n", 0o644)
	mkfile(t, dir, "usr/share/greet/sub/c", "c\n", 0o644)

	files := []collector.TracedFile{
		{Path: "/lib/x86_64-linux-gnu/libgreet.so.1", Reason: "opened by pid 7 (greeter)"},
		{Path: "/usr/share/greet", Reason: "listed by pid 7 (greeter)"},
		{Path: "/usr/share/greet/a", Reason: "opened by pid 8 (helper)"},
		{Path: "/opt/plug/libplug.so", Reason: "opened by pid 7 (greeter)"},
		{Path: "/usr/bin/env", Reason: ""},
		{Path: "/no/such/file", Reason: "opened by pid 7 (greeter)"},
	}
	plan := collect(t, []string{"/usr/bin/greeter"}, collector.WithRoot(newRoot(t, dir)), collector.WithTraced(files...))
	for p, reason := range map[string]string{
		"/usr/lib/x86_64-linux-gnu/libgreet.so.1.2.3": "opened by pid 7 (greeter)",
		"/usr/lib/x86_64-linux-gnu/libgreet.so.1":     "opened by pid 7 (greeter)",
		"/usr/share/greet":                            "listed by pid 7 (greeter)",
		"/usr/share/greet/a":                          "opened by pid 8 (helper)",
		"/opt/plug/libplug.so":                        "opened by pid 7 (greeter)",
		"/usr/bin/env":                                "traced",
	} {
		if e := mustEntry(t, plan, p); !hasReason(e, reason) {
			t.Errorf("%s: reasons %q, want %q", p, e.Reasons, reason)
		}
	}
	if e := mustEntry(t, plan, "/usr/lib/x86_64-linux-gnu/libgreet.so.1.2.3"); !hasReason(e, "needed by /usr/bin/greeter") {
		t.Errorf("a traced library of the closure lost its loader reason: %q", e.Reasons)
	}
	if e := mustEntry(t, plan, "/usr/share/greet"); e.Kind != collector.Dir {
		t.Errorf("/usr/share/greet is a %s", e.Kind)
	}
	for _, p := range []string{"/usr/share/greet/b", "/usr/share/greet/sub"} {
		if plan.Lookup(p) != nil {
			t.Errorf("%s planned: a listed directory must not bring its tree", p)
		}
	}
	if _, ok := warnedAbout(plan, collector.WarnNotAdded, "/no/such/file"); !ok {
		t.Errorf("no warning that /no/such/file is not added:\n%s", warningText(plan.Warnings))
	}
	if w, _ := warnedAbout(plan, collector.WarnMissingLibrary, "/opt/plug/libplug.so"); !strings.HasPrefix(w.Text, "libgone.so.1 not found") {
		t.Errorf("no warning that libplug.so misses libgone.so.1:\n%s", warningText(plan.Warnings))
	}
	if m := plan.Graph.Missing(); len(m) != 0 {
		t.Errorf("a traced file's closure made %v missing: the run showed what the loader loads", m)
	}
	// Its own closure: libc with it.
	if e := mustEntry(t, plan, "/usr/lib/x86_64-linux-gnu/libc.so.6"); !hasReason(e, "needed by /opt/plug/libplug.so") {
		t.Errorf("libc reasons %q: want the plugin's closure", e.Reasons)
	}

	// The run loaded libgone.so.1: no warning about it.
	testenv.CopyFile(t, filepath.Join(build, "libgone.so.1"), filepath.Join(dir, "opt/gone/libgone.so.1"))
	plan = collect(t, []string{"/usr/bin/greeter"}, collector.WithRoot(newRoot(t, dir)), collector.WithTraced(append(files,
		collector.TracedFile{Path: "/opt/gone/libgone.so.1", Reason: "opened by pid 7 (greeter)"})...))
	if w := plan.WarningsOf(collector.WarnMissingLibrary); len(w) > 0 {
		t.Errorf("libgone.so.1 was loaded by the run, but:\n%s", warningText(w))
	}
	mustEntry(t, plan, "/opt/gone/libgone.so.1")

	// A file only stat'ed is copied, but brings no closure; the shadow
	// files are left out.
	mkfile(t, dir, "etc/shadow", "root:$y$secret:19000:0:99999:7:::\n", 0o640)
	plan = collect(t, []string{"/usr/bin/greeter"}, collector.WithRoot(newRoot(t, dir)), collector.WithTraced(
		collector.TracedFile{Path: "/opt/plug/libplug.so", Reason: "stat'ed by pid 7 (greeter)", StatOnly: true},
		collector.TracedFile{Path: "/etc/shadow", Reason: "opened by pid 7 (greeter)"}))
	if e := mustEntry(t, plan, "/opt/plug/libplug.so"); !hasReason(e, "stat'ed by pid 7 (greeter)") {
		t.Errorf("libplug.so reasons %q", e.Reasons)
	}
	if _, ok := warnedAbout(plan, collector.WarnLeftOut, "/etc/shadow"); !ok || len(plan.WarningsOf(collector.WarnMissingLibrary)) > 0 {
		t.Errorf("warnings:\n%s\nwant none about the closure of a file only stat'ed, one about /etc/shadow", warningText(plan.Warnings))
	}
	if plan.Lookup("/etc/shadow") != nil {
		t.Errorf("/etc/shadow planned")
	}

	if _, err := collector.Collect([]string{"/usr/bin/greeter"}, collector.WithRoot(newRoot(t, dir)),
		collector.WithTraced(collector.TracedFile{Path: "usr/share/greet/a"})); err == nil || !strings.Contains(err.Error(), "not absolute") {
		t.Errorf("a relative traced path: error %v", err)
	}
}

// A program that imports dlopen gets no warning about it when a traced
// run showed what it opens.
func TestTracedNoDlopenWarning(t *testing.T) {
	plan := collect(t, []string{"/usr/bin/perl"}, collector.WithTraced(collector.TracedFile{Path: "/usr/bin/perl"}))
	if w := plan.WarningsOf(collector.WarnDlopen); len(w) > 0 {
		t.Errorf("dlopen warnings with a trace:\n%s", warningText(w))
	}
}

// tracedFiles turns a Result into TracedFiles, with the first access of
// each file as its reason.
func tracedFiles(res *trace.Result) []collector.TracedFile {
	first := map[string]trace.Access{}
	for _, a := range res.Accesses {
		if _, ok := first[a.Path]; !ok {
			first[a.Path] = a
		}
	}
	var out []collector.TracedFile
	for _, p := range res.Files() {
		a := first[p]
		out = append(out, collector.TracedFile{Path: p, Reason: fmt.Sprintf("%s by pid %d (%s)", a.Op, a.PID, a.Comm)})
	}
	return out
}

// The tracer is a source of paths: a run of the program on the host
// tells which module files it reads, and WithTraced puts just those into
// the rootfs, where the same run then gives the same output.
func TestTraced(t *testing.T) {
	for _, c := range []struct {
		prog string
		argv []string
		env  []string
	}{
		{"/usr/bin/python3", []string{"/usr/bin/python3", "-c", `import json, decimal, hashlib; print(json.dumps({"d": str(decimal.Decimal("1.1") + 1)}), hashlib.md5(b"x").hexdigest())`},
			[]string{"PYTHONDONTWRITEBYTECODE=1"}},
		{"/usr/bin/perl", []string{"/usr/bin/perl", "-MPOSIX=strftime", "-MList::Util=sum", "-e", `print strftime("%Y", gmtime(0)), " ", sum(1..10), "\n"`}, nil},
	} {
		testenv.NeedCommand(t, c.prog)
		var out, errOut bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		res, err := trace.Run(ctx, c.argv, &trace.Options{Env: c.env, Stdout: &out, Stderr: &errOut, Dir: "/"})
		cancel()
		if err != nil {
			t.Fatalf("trace %q: %v", c.argv, err)
		}
		if res.ExitCode != 0 {
			t.Fatalf("traced %q exits %d: %s", c.argv, res.ExitCode, errOut.Bytes())
		}
		files := tracedFiles(res)
		plan := collect(t, []string{c.prog}, collector.WithTraced(files...))
		for _, f := range files {
			if e := plan.Lookup(f.Path); e != nil && !hasReason(e, f.Reason) {
				t.Errorf("%s: reasons %q, want %q", f.Path, e.Reasons, f.Reason)
			}
		}
		rootfs := writeRootfs(t, plan)
		n, size := treeSize(t, rootfs)
		t.Logf("%s: %d traced paths, rootfs %d entries, %.1f MB", c.prog, len(files), n, float64(size)/1e6)
		stdout, stderr, exit := testenv.RunChroot(t, rootfs, c.env, "", c.argv...)
		if exit != 0 || !bytes.Equal(stdout, out.Bytes()) {
			t.Errorf("%q in the traced rootfs: exit %d, stdout %q (want %q), stderr %q", c.argv, exit, stdout, out.Bytes(), stderr)
		}
	}
}
