package collector_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// --dlopen NAME finds what dlopen by the program finds: here the plugin in
// the program's RUNPATH, not a decoy of the same name in a default
// directory, and the library the plugin needs through its own RUNPATH.
// The program then loads it in the rootfs.
func TestDlopenAsTheProgram(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "gcc", "unshare")
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	testenv.HostGlibc(t, root)
	src, _ := filepath.Abs("../testdata/dlopen")
	for _, d := range []string{"app/bin", "app/lib/deps", "usr/lib/x86_64-linux-gnu"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	testenv.CC(t, root, "gcc", "-shared", "-fPIC", "-Wl,-soname,libdep.so.1", "-o", "app/lib/deps/libdep.so.1", filepath.Join(src, "dep.c"))
	testenv.CC(t, root, "gcc", "-shared", "-fPIC", "-o", "app/lib/libplug.so", filepath.Join(src, "plug.c"),
		"-Lapp/lib/deps", "-l:libdep.so.1", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/deps")
	testenv.CC(t, root, "gcc", "-shared", "-fPIC", "-o", "usr/lib/x86_64-linux-gnu/libplug.so", filepath.Join(src, "dep.c")) // the decoy
	testenv.CC(t, root, "gcc", "-o", "app/bin/opener", filepath.Join(src, "opener.c"), "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib")

	plan := collect(t, []string{"/app/bin/opener"}, collector.WithRoot(newRoot(t, root)), collector.WithDlopen("libplug.so"))
	e := mustEntry(t, plan, "/app/lib/libplug.so")
	if !hasReason(e, "dlopen by /app/bin/opener, runpath") {
		t.Errorf("libplug.so reasons %q", e.Reasons)
	}
	mustEntry(t, plan, "/app/lib/deps/libdep.so.1")
	if plan.Lookup("/usr/lib/x86_64-linux-gnu/libplug.so") != nil {
		t.Errorf("the decoy in a default directory was added")
	}
	out := writeRootfs(t, plan)
	stdout, stderr, code := testenv.RunChroot(t, out, nil, "", "/app/bin/opener", "libplug.so")
	if code != 0 || !strings.Contains(string(stdout), "loaded /app/bin/../lib/libplug.so") || !strings.Contains(string(stdout), "libdep.so.1") {
		t.Errorf("opener in the rootfs: exit %d\n%s%s", code, stdout, stderr)
	}

	// A name dlopen would not find is an error that says where it looked.
	_, err := collector.Collect([]string{"/app/bin/opener"}, collector.WithRoot(newRoot(t, root)), collector.WithDlopen("libnope.so"))
	if err == nil || !strings.Contains(err.Error(), "collector: WithDlopen(libnope.so): not found where dlopen by /app/bin/opener looks") {
		t.Errorf("missing --dlopen: %v", err)
	}
}
