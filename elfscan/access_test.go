package elfscan_test

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fromscratch/fromscratch/elfscan"
	"github.com/fromscratch/fromscratch/internal/oracle"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// nobody is the user the loader and the emulation run as, so that a file
// without read permission is EACCES (root reads anything).
const nobody = 65534

// resolveAs resolves p with r on a thread whose file-system user is uid:
// the kernel clears the thread's capability to read anything with it. The
// thread is never handed back to the runtime.
func resolveAs(uid int, r *elfscan.Resolver, p string) (*elfscan.Graph, error) {
	type result struct {
		g   *elfscan.Graph
		err error
	}
	done := make(chan result)
	go func() {
		runtime.LockOSThread() // and never unlocked: the thread exits with us
		unix.Setfsgid(uid)
		unix.Setfsuid(uid)
		g, err := r.Resolve(p)
		done <- result{g, err}
	}()
	res := <-done
	return res.g, res.err
}

// A library that the loader cannot open (EACCES: a file without read
// permission, a directory without search permission) early in the search
// path is passed over and the next candidate loaded, as glibc's open_path
// and musl's path_open do: the loader, run as an unprivileged user, is
// the judge.
func TestSearchSkipsUnreadableLibrary(t *testing.T) {
	testenv.NeedRoot(t)
	for _, cc := range []string{"gcc", "musl-gcc"} {
		t.Run(cc, func(t *testing.T) { searchSkipsUnreadable(t, cc) })
	}
}

func searchSkipsUnreadable(t *testing.T, cc string) {
	b := newBuilder(t, cc)
	// nobody must reach the build directory.
	for d := b.dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	good := b.lib("good/libx.so.1", "libx.so.1")
	b.lib("shut/libx.so.1", "libx.so.1")
	b.lib("closed/libx.so.1", "libx.so.1")
	b.lib("lib/libx.so.1", "libx.so.1")
	if err := os.Chmod(b.path("shut/libx.so.1"), 0o200); err != nil { // no read permission
		t.Fatal(err)
	}
	if err := os.Chmod(b.path("closed"), 0o600); err != nil { // no search permission
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, runpath string
		want          string // the file loaded, "" = missing
	}{
		{"file-unreadable", "shut:good", good},
		{"dir-unsearchable", "closed:shut:good", good},
		{"only-unreadable", "shut:closed", ""},
	} {
		var rp []string
		for _, d := range strings.Split(c.runpath, ":") {
			rp = append(rp, b.path(d))
		}
		exe := b.exe(c.name, "-L", b.path("lib"), "-l:libx.so.1", "-Wl,--disable-new-dtags,-rpath,"+strings.Join(rp, ":"))
		t.Run(c.name, func(t *testing.T) {
			paths, missing, err := oracle.Ask(exe, oracle.Options{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}})
			if err != nil {
				t.Fatalf("oracle: %v", err)
			}
			loaderHas := slices.Contains(paths, c.want)
			if c.want != "" && !loaderHas || c.want == "" && !slices.Contains(missing, "libx.so.1") {
				t.Fatalf("the loader loads %q, misses %q; the test expects %q", paths, missing, c.want)
			}

			g, err := resolveAs(nobody, elfscan.NewResolver(), exe)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			cl := g.Closures[0]
			var got string
			for _, o := range cl.Objects {
				if o.Name == "libx.so.1" {
					got = o.RealPath
				}
			}
			if got != c.want {
				t.Errorf("libx.so.1 loaded from %q, the loader loads %q", got, c.want)
				dump(t, cl)
			}
			var gotMissing []string
			for _, m := range cl.Missing {
				gotMissing = append(gotMissing, m.Name)
			}
			if (c.want == "") != slices.Contains(gotMissing, "libx.so.1") {
				t.Errorf("missing %q, the loader misses %q", gotMissing, missing)
			}
		})
	}
}
