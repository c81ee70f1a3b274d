package sbom_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/image"
	"github.com/fromscratch/fromscratch/internal/testenv"
	"github.com/fromscratch/fromscratch/sbom"
)

// syftPrograms are the programs of this machine whose images Syft scans.
var syftPrograms = []string{"/usr/bin/curl", "/usr/bin/jq", "/usr/bin/git", "/usr/bin/sqlite3", "/usr/bin/python3"}

// A real scanner: for each program, Syft (the pinned build of .ci/syft)
// reads the image from an OCI layout (with its SBOM referrers, which it
// must tell from the image) and finds exactly the Debian packages, with
// their versions, that dpkg-query -S names as owners of the image's files;
// it reads our SPDX and CycloneDX files (syft convert) and finds the same
// packages; both files validate against the formats' JSON schemas.
func TestSyft(t *testing.T) {
	syft := testenv.Syft(t)
	testenv.NeedCommand(t, "dpkg-query")
	for _, prog := range syftPrograms {
		t.Run(path.Base(prog), func(t *testing.T) {
			plan := hostPlan(t, prog)
			want := dpkgOwners(t, plan)
			if len(want) < 2 {
				t.Fatalf("dpkg-query names %d packages: want libc6 and more", len(want))
			}
			s, err := sbom.New(plan, sbom.WithName(path.Base(prog)+":test"), sbom.WithTime(time.Unix(1700000000, 0)))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			var opts []image.Option
			for _, f := range []sbom.Format{sbom.SPDX, sbom.CycloneDX} {
				data := encode(t, s, f)
				validate(t, f, data)
				file := filepath.Join(dir, f.String()+".json")
				if err := os.WriteFile(file, data, 0o644); err != nil {
					t.Fatal(err)
				}
				if got := syftDebs(t, syft, "convert", file, "-o", "syft-json"); !maps.Equal(got, want) {
					t.Errorf("syft convert of our %s finds\n%v\ndpkg-query says\n%v", f, got, want)
				}
				opts = append(opts, image.WithSBOM(f.MediaType(), data))
			}
			img, err := image.Build(plan, opts...)
			if err != nil {
				t.Fatal(err)
			}
			layout := filepath.Join(dir, "oci")
			if err := image.WriteOCILayout(img, layout, "test:latest"); err != nil {
				t.Fatal(err)
			}
			if got := syftDebs(t, syft, "scan", "oci-dir:"+layout, "-o", "json"); !maps.Equal(got, want) {
				t.Errorf("syft scan of the image finds\n%v\ndpkg-query says\n%v", got, want)
			}
		})
	}
}

// syftDebs runs syft and returns the Debian packages of its JSON output,
// "name:arch" → version.
func syftDebs(t *testing.T, syft string, args ...string) map[string]string {
	t.Helper()
	cmd := exec.Command(syft, append(args, "-q")...)
	cmd.Env = append(os.Environ(), "SYFT_CHECK_FOR_APP_UPDATE=false", "HOME="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("syft %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var doc struct {
		Artifacts []struct {
			Name, Version, Type, PURL string
			Metadata                  struct{ Architecture string }
		}
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("syft %s: %v", strings.Join(args, " "), err)
	}
	got := map[string]string{}
	for _, a := range doc.Artifacts {
		if a.Type == "deb" {
			got[a.Name] = a.Version
		}
	}
	return got
}

// dpkgOwners asks dpkg-query -S which packages own the plan's files read
// from the host (by their image path, their real path, and the same
// without /usr, since Debian 12's packages list /lib/… where usrmerge put
// /usr/lib/…), and dpkg-query -W their versions: name → version.
func dpkgOwners(t *testing.T, plan *collector.Plan) map[string]string {
	t.Helper()
	var paths []string
	for _, e := range plan.Entries {
		if e.Kind != collector.File || e.Source == "" {
			continue
		}
		for _, p := range []string{e.Path, e.Source} {
			paths = append(paths, p)
			for _, dir := range []string{"/usr/lib/", "/usr/bin/", "/usr/sbin/", "/usr/lib64/"} {
				if rest, ok := strings.CutPrefix(p, dir); ok {
					paths = append(paths, dir[len("/usr"):]+rest)
				}
			}
		}
	}
	slices.Sort(paths)
	paths = slices.Compact(paths)
	// Exit status 1 when some path has no owner: expected.
	out, _ := exec.Command("dpkg-query", append([]string{"-S"}, paths...)...).Output()
	owners := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		pkgs, _, ok := strings.Cut(line, ": /")
		if !ok || strings.HasPrefix(line, "diversion by") {
			continue
		}
		for _, p := range strings.Split(pkgs, ", ") {
			owners[p] = true
		}
	}
	want := map[string]string{}
	for p := range owners {
		v, err := exec.Command("dpkg-query", "-W", "-f", "${Package} ${Version}", p).Output()
		if err != nil {
			t.Fatalf("dpkg-query -W %s: %v", p, err)
		}
		name, version, _ := strings.Cut(string(v), " ")
		want[name] = version
	}
	return want
}
