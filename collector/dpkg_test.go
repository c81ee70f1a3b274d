package collector_test

import (
	"bytes"
	"os"
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// Plan.Packages and WithPackageMetadata say the same: status.d holds one
// file per package name Packages returns, with its paragraph, and
// nothing else; each package's version, architecture and source are
// dpkg-query's.
func TestPackagesAgreeWithStatusD(t *testing.T) {
	testenv.NeedCommand(t, "dpkg-query")
	if _, err := os.Stat("/usr/bin/curl"); err != nil {
		testenv.Unavailable(t, "curl: %v", err)
	}
	plan := collect(t, []string{"/usr/bin/curl"}, collector.WithPackageMetadata())
	pkgs, err := plan.Packages()
	if err != nil {
		t.Fatal(err)
	}
	var names, statusD []string
	for _, p := range pkgs {
		names = append(names, p.Name)
		e := plan.Lookup("/var/lib/dpkg/status.d/" + p.Name)
		if e == nil || !bytes.Contains(e.Data, p.Status) {
			t.Errorf("%s: status.d has not its paragraph", p.Name)
		}
		out, err := exec.Command("dpkg-query", "-W", "-f", "${Version} ${Architecture} ${source:Package} ${source:Version}", p.Name+":"+p.Architecture).Output()
		if err != nil {
			t.Fatalf("dpkg-query %s: %v", p.Name, err)
		}
		if got := p.Version + " " + p.Architecture + " " + p.Source + " " + p.SourceVersion; got != string(out) {
			t.Errorf("%s: version, architecture, source %q; dpkg-query says %q", p.Name, got, out)
		}
		if len(p.Files) == 0 {
			t.Errorf("%s: owns no file", p.Name)
		}
	}
	for _, e := range plan.Entries {
		if path.Dir(e.Path) == "/var/lib/dpkg/status.d" && !strings.HasSuffix(e.Path, ".md5sums") {
			statusD = append(statusD, path.Base(e.Path))
		}
	}
	names = slices.Compact(names)
	if !slices.Equal(names, statusD) {
		t.Errorf("Packages: %q\nstatus.d: %q", names, statusD)
	}
	if !slices.Contains(names, "libc6") || !slices.Contains(names, "libcurl4") {
		t.Errorf("Packages: %q, want libc6 and libcurl4 among them", names)
	}
}
