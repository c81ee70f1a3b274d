package image

import (
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/compression"

	"github.com/fromscratch/fromscratch/collector"
)

// curlFiles are the big files of curl's closure, symlinks resolved.
var curlFiles = []string{
	"/usr/bin/curl",
	"/usr/lib/x86_64-linux-gnu/libcrypto.so.3",
	"/usr/lib/x86_64-linux-gnu/libssl.so.3",
	"/usr/lib/x86_64-linux-gnu/libcurl.so.4",
}

// hostPlan is a plan of host files at their real paths (symlinks
// resolved), the first one the program.
func hostPlan(tb testing.TB, files ...string) *collector.Plan {
	tb.Helper()
	var p planBuilder
	for _, f := range files {
		real, err := filepath.EvalSymlinks(f)
		if err != nil {
			tb.Skipf("no %s: %v", f, err)
		}
		p.hostFile(tb, real, real)
	}
	return p.plan(files[0])
}

// BenchmarkLayer makes the layer of curl's files and compares it with
// `tar -c FILES | gzip -1 > /dev/null`: x-gzip-1 is the ratio of wall
// times, x-gzip-1-cpu of CPU times (user+system, steadier on a busy
// machine); below 1 is faster.
func BenchmarkLayer(b *testing.B) {
	plan := hostPlan(b, curlFiles...)
	var sources []string
	for _, e := range plan.Entries {
		if e.Kind == collector.File {
			sources = append(sources, e.Source)
		}
	}
	floorWall, floorCPU := gzipFloor(b, sources)
	for _, c := range []struct {
		name string
		opts []LayerOption
	}{
		{"gzip", nil}, // level 2
		{"gzip-1", []LayerOption{WithCompressionLevel(1)}},
		{"gzip-3", []LayerOption{WithCompressionLevel(3)}},
		{"zstd", []LayerOption{WithCompression(compression.ZStd)}},
	} {
		b.Run(c.name, func(b *testing.B) {
			o := makeLayerOptions(c.opts)
			mt, _ := o.mediaType()
			var l *layer
			cpu0, start := cpuTime(), time.Now()
			for b.Loop() {
				var err error
				if l, err = newLayer(plan, o, mt); err != nil {
					b.Fatal(err)
				}
			}
			wall, cpu := time.Since(start)/time.Duration(b.N), (cpuTime()-cpu0)/time.Duration(b.N)
			n, _ := io.Copy(io.Discard, must(l.Uncompressed()))
			b.ReportMetric(float64(n), "tar-bytes")
			b.ReportMetric(float64(l.data.size), "layer-bytes")
			b.ReportMetric(float64(n)/wall.Seconds()/1e6, "MB/s")
			if floorWall > 0 {
				b.ReportMetric(float64(wall)/float64(floorWall), "x-gzip-1")
				b.ReportMetric(float64(cpu)/float64(floorCPU), "x-gzip-1-cpu")
			}
		})
	}
}

// gzipFloor is the best of ten runs of `tar -c FILES | gzip -1`, wall
// and CPU time.
func gzipFloor(b *testing.B, files []string) (wall, cpu time.Duration) {
	if _, err := exec.LookPath("gzip"); err != nil {
		return 0, 0
	}
	wall, cpu = 1<<62, 1<<62
	for range 10 {
		start := time.Now()
		cmd := exec.Command("sh", "-c", "tar -cf - -P "+strings.Join(files, " ")+" | gzip -1 > /dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
		wall = min(wall, time.Since(start))
		cpu = min(cpu, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
	}
	b.Logf("tar -c | gzip -1: %v wall, %v CPU", wall, cpu)
	return wall, cpu
}

// cpuTime is the user and system time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
