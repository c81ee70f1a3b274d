package collector_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// BenchmarkRootfsCurl collects /usr/bin/curl and writes its rootfs, with
// every rule on, and reports the time of lddtree --copy-to-tree (pax-utils)
// for the same program as lddtree-ns/op and the ratio: lddtree copies the
// loader's closure only (no NSS, gconv, certificates…) and flattens the
// symlinks into copies.
func BenchmarkRootfsCurl(b *testing.B) {
	testenv.NeedCommand(b, "/usr/bin/curl")
	dir := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		plan, err := collector.Collect([]string{"/usr/bin/curl"})
		if err != nil {
			b.Fatal(err)
		}
		if err := collector.WriteDir(plan, filepath.Join(dir, "rootfs"), collector.WithForce()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	ours := b.Elapsed() / time.Duration(b.N)
	n, size := treeSize(b, filepath.Join(dir, "rootfs"))
	b.ReportMetric(float64(n), "entries")
	b.ReportMetric(float64(size)/1e6, "MB")

	if _, err := os.Stat("/usr/bin/lddtree"); err != nil {
		b.Logf("no lddtree to compare with: %v", err)
		return
	}
	const runs = 5
	start := time.Now()
	for i := 0; i < runs; i++ {
		tree := filepath.Join(dir, "lddtree")
		os.RemoveAll(tree)
		if out, err := exec.Command("/usr/bin/python3", "/usr/bin/lddtree", "--copy-to-tree", tree, "/usr/bin/curl").CombinedOutput(); err != nil {
			b.Fatalf("lddtree: %v\n%s", err, out)
		}
	}
	theirs := time.Since(start) / runs
	tn, tsize := treeSize(b, filepath.Join(dir, "lddtree"))
	b.ReportMetric(float64(theirs.Nanoseconds()), "lddtree-ns/op")
	b.ReportMetric(float64(theirs)/float64(ours), "lddtree/ours")
	b.Logf("fromscratch: %v, %d entries, %.1f MB; lddtree --copy-to-tree: %v, %d entries, %.1f MB",
		ours, n, float64(size)/1e6, theirs, tn, float64(tsize)/1e6)
}
