package elfscan

import (
	"path"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/testenv"
)

// usrBinPrograms lists the dynamic programs directly in /usr/bin.
func usrBinPrograms(tb testing.TB) []string {
	tb.Helper()
	root := HostRoot()
	entries, err := root.ReadDir("/usr/bin")
	if err != nil {
		testenv.Unavailable(tb, "/usr/bin: %v", err)
	}
	var out []string
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		p := path.Join("/usr/bin", e.Name())
		if f, err := Open(root, p); err == nil && f.Kind == KindDynamic {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		testenv.Unavailable(tb, "no dynamic programs in /usr/bin")
	}
	return out
}

// BenchmarkClosureUsrBin resolves every dynamic program in /usr/bin with
// one Resolver, as `fromscratch deps /usr/bin/*` does. Besides time and
// allocations it reports files/s (programs resolved per second), read/op
// and objects/op (files the Resolver read, each once, and distinct real
// paths in the graph: the difference is the candidates it rejects),
// MB-live (the heap the graph and the Resolver's cache keep) and
// MB-maxrss (the process's peak resident set).
func BenchmarkClosureUsrBin(b *testing.B) {
	b.Run("list", func(b *testing.B) { benchClosure(b, WithImports(false)) })
	b.Run("imports", func(b *testing.B) { benchClosure(b) })
}

// benchClosure resolves every program of /usr/bin with a new Resolver per
// iteration: "list" as deps --list does, "imports" with every file's
// imported symbols, as rootfs and image do.
func benchClosure(b *testing.B, opts ...Option) {
	paths := usrBinPrograms(b)
	var read, objects, live uint64
	var elapsed time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		r := NewResolver(opts...)
		g, err := r.Resolve(paths...)
		elapsed += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		read = uint64(len(r.files))
		real := map[string]bool{}
		for _, c := range g.Closures {
			for _, o := range c.Objects {
				real[o.RealPath] = true
			}
		}
		objects = uint64(len(real))
		b.StopTimer()
		live = liveHeap()
		runtime.KeepAlive(g)
		runtime.KeepAlive(r)
		b.StartTimer()
	}
	b.ReportMetric(float64(len(paths))*float64(b.N)/elapsed.Seconds(), "files/s")
	b.ReportMetric(float64(read), "read/op")
	b.ReportMetric(float64(objects), "objects/op")
	b.ReportMetric(float64(live)/(1<<20), "MB-live")
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "MB-maxrss")
	}
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkScan reads one large library, header to imports.
func BenchmarkScan(b *testing.B) {
	const p = "/lib/x86_64-linux-gnu/libc.so.6"
	root := HostRoot()
	if _, err := Open(root, p); err != nil {
		testenv.Unavailable(b, "%s: %v", p, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Open(root, p); err != nil {
			b.Fatal(err)
		}
	}
}
