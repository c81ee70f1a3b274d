package image

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/elfscan"
)

// A planBuilder makes a plan by hand, with the parents of every entry.
type planBuilder struct {
	entries []collector.Entry
	seen    map[string]bool
}

func (p *planBuilder) add(e collector.Entry) {
	if p.seen == nil {
		p.seen = map[string]bool{"/": true}
	}
	if !p.seen[path.Dir(e.Path)] {
		p.add(dir(path.Dir(e.Path)))
	}
	p.seen[e.Path] = true
	p.entries = append(p.entries, e)
}

// hostFile adds the host file src at dst.
func (p *planBuilder) hostFile(tb testing.TB, dst, src string) {
	tb.Helper()
	real, err := filepath.EvalSymlinks(src)
	if err != nil {
		tb.Skipf("no %s: %v", src, err)
	}
	st, err := os.Stat(real)
	if err != nil {
		tb.Fatal(err)
	}
	p.add(collector.Entry{Path: dst, Kind: collector.File, Source: real, Mode: st.Mode().Perm(), Size: st.Size()})
}

// plan sorts the entries into a plan of the host's files.
func (p *planBuilder) plan(programs ...string) *collector.Plan {
	slices.SortFunc(p.entries, func(a, b collector.Entry) int { return strings.Compare(a.Path, b.Path) })
	return &collector.Plan{
		Root:     elfscan.HostRoot(),
		Entries:  p.entries,
		Programs: programs,
		Platform: collector.Platform{OS: "linux", Architecture: "amd64"},
	}
}

// busyboxPlan is the plan of a runnable image of the host's busybox: the
// program, its loader and libraries (listed here, this is no ELF test),
// /bin/sh as a hard link to it, /bin/echo as a symlink, and /tmp.
func busyboxPlan(tb testing.TB) *collector.Plan {
	tb.Helper()
	if runtime.GOARCH != "amd64" {
		tb.Skip("the busybox plan lists amd64 libraries")
	}
	var p planBuilder
	p.hostFile(tb, "/bin/busybox", "/bin/busybox")
	p.add(hardlink("/bin/sh", "/bin/busybox"))
	p.add(symlink("/bin/echo", "busybox"))
	p.hostFile(tb, "/lib64/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2")
	p.hostFile(tb, "/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6")
	p.hostFile(tb, "/lib/x86_64-linux-gnu/libresolv.so.2", "/lib/x86_64-linux-gnu/libresolv.so.2")
	p.add(collector.Entry{Path: "/tmp", Kind: collector.Dir, Mode: 0o777 | fs.ModeSticky})
	return p.plan("/bin/busybox")
}
