package sbom_test

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
	"github.com/fromscratch/fromscratch/sbom"
)

// hostPlan collects a program of this machine with its package metadata.
func hostPlan(t *testing.T, prog string) *collector.Plan {
	t.Helper()
	if _, err := os.Stat(prog); err != nil {
		testenv.Unavailable(t, "%s: %v", prog, err)
	}
	plan, err := collector.Collect([]string{prog}, collector.WithPackageMetadata())
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

func encode(t *testing.T, s *sbom.SBOM, f sbom.Format) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := s.Encode(&buf, f); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// jq of this machine: both SBOMs validate against their JSON schemas;
// two runs give the same bytes, and another time gives other bytes; the
// packages are the plan's, each with its purl; the files of no package
// (generated passwd, status.d) are listed, with their SHA-256.
func TestSBOMHost(t *testing.T) {
	plan := hostPlan(t, "/usr/bin/jq")
	epoch := time.Unix(1700000000, 0)
	s, err := sbom.New(plan, sbom.WithTime(epoch), sbom.WithName("jq:latest"))
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := plan.Packages()
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 3 {
		t.Fatalf("plan.Packages: %d packages, want libc6, libjq1, jq…", len(pkgs))
	}
	for _, f := range []sbom.Format{sbom.SPDX, sbom.CycloneDX} {
		t.Run(f.String(), func(t *testing.T) {
			data := encode(t, s, f)
			validate(t, f, data)
			again, err := sbom.New(plan, sbom.WithTime(epoch), sbom.WithName("jq:latest"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(encode(t, again, f), data) {
				t.Error("two SBOMs of the same plan differ")
			}
			later, err := sbom.New(plan, sbom.WithTime(epoch.Add(time.Hour)), sbom.WithName("jq:latest"))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(encode(t, later, f), data) {
				t.Error("the SBOM does not change with its time")
			}
			text := string(data)
			if !strings.Contains(text, "2023-11-14T22:13:20Z") {
				t.Error("creation time is not the epoch's, 2023-11-14T22:13:20Z")
			}
			for _, p := range pkgs {
				purl := "pkg:deb/debian/" + p.Name + "@" + p.Version + "?arch=" + p.Architecture + "&distro=debian-12"
				if !strings.Contains(text, purl) && !strings.Contains(text, strings.ReplaceAll(purl, "&", `\u0026`)) {
					t.Errorf("no %s", purl)
				}
			}
			for _, path := range []string{"/etc/passwd", "/var/lib/dpkg/status.d/libc6"} {
				if !strings.Contains(text, path) {
					t.Errorf("no %s, a file of no package", path)
				}
			}
		})
	}
	t.Run("cyclonedx-files", func(t *testing.T) {
		var bom struct {
			Components []struct {
				Type, Name, Purl string
				Licenses         []any
				Components       []struct {
					Type, Name string
					Hashes     []struct{ Alg, Content string }
				}
			}
		}
		if err := json.Unmarshal(encode(t, s, sbom.CycloneDX), &bom); err != nil {
			t.Fatal(err)
		}
		for _, c := range bom.Components {
			switch {
			case c.Name == "libjq1" && len(c.Licenses) == 0:
				t.Error("libjq1: no licence, but its copyright file is DEP-5")
			case c.Name == "libc6" && len(c.Licenses) > 0:
				t.Errorf("libc6: licences %v from a copyright file that is not DEP-5", c.Licenses)
			}
			if c.Name != "libc6" {
				continue
			}
			i := slices.IndexFunc(c.Components, func(f struct {
				Type, Name string
				Hashes     []struct{ Alg, Content string }
			}) bool {
				return f.Name == "/usr/lib/x86_64-linux-gnu/libc.so.6"
			})
			if i < 0 || len(c.Components[i].Hashes) != 2 || c.Components[i].Hashes[1].Alg != "SHA-256" {
				t.Errorf("libc6 does not hold libc.so.6 with its SHA-256: %+v", c.Components)
			}
			return
		}
		t.Error("no libc6 component")
	})
}
