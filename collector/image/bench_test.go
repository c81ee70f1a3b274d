package image

import (
	"io"
	"os/exec"
	"path/filepath"
	"strings"
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

// BenchmarkLayer makes the layer of curl's files and compares its time
// with `tar -c FILES | gzip -1 > /dev/null` (reported as x-gzip-1: below
// 1 is faster).
func BenchmarkLayer(b *testing.B) {
	plan := hostPlan(b, curlFiles...)
	var sources []string
	for _, e := range plan.Entries {
		if e.Kind == collector.File {
			sources = append(sources, e.Source)
		}
	}
	floor := gzipFloor(b, sources)
	for _, c := range []struct {
		name string
		opts []LayerOption
	}{
		{"gzip", nil},
		{"zstd", []LayerOption{WithCompression(compression.ZStd)}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var l *layer
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				var err error
				o := makeLayerOptions(c.opts)
				mt, _ := o.mediaType(true)
				if l, err = newLayer(plan, o, mt); err != nil {
					b.Fatal(err)
				}
			}
			perOp := time.Since(start) / time.Duration(b.N)
			n, _ := io.Copy(io.Discard, must(l.Uncompressed()))
			b.ReportMetric(float64(n), "tar-bytes")
			b.ReportMetric(float64(l.data.size), "layer-bytes")
			b.ReportMetric(float64(n)/perOp.Seconds()/1e6, "MB/s")
			if floor > 0 {
				b.ReportMetric(float64(perOp)/float64(floor), "x-gzip-1")
			}
		})
	}
}

// gzipFloor is the best of five runs of `tar -c FILES | gzip -1`.
func gzipFloor(b *testing.B, files []string) time.Duration {
	if _, err := exec.LookPath("gzip"); err != nil {
		return 0
	}
	best := time.Duration(1 << 62)
	for range 5 {
		start := time.Now()
		cmd := exec.Command("sh", "-c", "tar -cf - -P "+strings.Join(files, " ")+" | gzip -1 > /dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
		best = min(best, time.Since(start))
	}
	b.Logf("tar -c | gzip -1: %v", best)
	return best
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
