package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/testenv"
)

// --sbom spdx=FILE --sbom cyclonedx=FILE: image and rootfs write the same
// SBOMs for the same inputs (the name is the tag, or the directory's
// name), byte for byte again on a second run with other GOMAXPROCS;
// image attaches both to the layout as referrers.
func TestSBOMFlags(t *testing.T) {
	testenv.NeedCommand(t, "/usr/bin/jq")
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	read := func(file string) []byte {
		t.Helper()
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var spdx, cdx [][]byte
	for i, procs := range []int{1, 4} {
		old := runtime.GOMAXPROCS(procs)
		dir := t.TempDir()
		s, c, layout := filepath.Join(dir, "jq.spdx.json"), filepath.Join(dir, "jq.cdx.json"), filepath.Join(dir, "oci")
		digest := buildImage(t, "--package-metadata", "--oci-layout", layout, "--tag", "jq", "--sbom", "spdx="+s, "--sbom", "cyclonedx="+c, "/usr/bin/jq")
		runtime.GOMAXPROCS(old)
		spdx, cdx = append(spdx, read(s)), append(cdx, read(c))
		if i > 0 {
			continue
		}
		var index struct {
			Manifests []struct {
				ArtifactType, Digest string
			}
		}
		if err := json.Unmarshal(read(filepath.Join(layout, "index.json")), &index); err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, m := range index.Manifests {
			if m.Digest != digest {
				types = append(types, m.ArtifactType)
			}
		}
		if strings.Join(types, " ") != "application/spdx+json application/vnd.cyclonedx+json" {
			t.Errorf("the layout's referrers are %q, want the SPDX and CycloneDX SBOMs", types)
		}

		root := filepath.Join(dir, "jq")
		rs := filepath.Join(dir, "rootfs.spdx.json")
		if _, stderr, code := fromscratch(t, "rootfs", "--package-metadata", "-o", root, "--sbom", "spdx="+rs, "/usr/bin/jq"); code != 0 {
			t.Fatalf("rootfs: exit %d: %s", code, stderr)
		}
		if !bytes.Equal(read(rs), spdx[0]) {
			t.Error("rootfs and image wrote different SPDX SBOMs of the same plan")
		}
	}
	if !bytes.Equal(spdx[0], spdx[1]) || !bytes.Equal(cdx[0], cdx[1]) {
		t.Error("two runs wrote different SBOMs")
	}
	if !bytes.Contains(spdx[0], []byte(`"created": "2023-11-14T22:13:20Z"`)) || !bytes.Contains(cdx[0], []byte(`"timestamp": "2023-11-14T22:13:20Z"`)) {
		t.Error("the SBOMs' time is not SOURCE_DATE_EPOCH's")
	}
}

// Bad --sbom values: one line, exit 2, and no image, no SBOM written.
func TestSBOMBadInput(t *testing.T) {
	out := t.TempDir()
	layout := filepath.Join(out, "oci")
	for _, tc := range []struct {
		name, value string
		want        []string
	}{
		{"unknown format", "xml=" + filepath.Join(out, "x"), []string{"--sbom", "xml="}},
		{"no file", "spdx", []string{"--sbom", `"spdx"`, "FORMAT=FILE"}},
		{"no such directory", "spdx=/no/such/dir/x.json", []string{"--sbom /no/such/dir/x.json", "cannot write in /no/such/dir"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := fromscratch(t, "image", "--oci-layout", layout, "--sbom", tc.value, "/bin/true")
			oneLineError(t, stderr, code, tc.want...)
			emptyDir(t, out)
			_, stderr, code = fromscratch(t, "rootfs", "-o", filepath.Join(out, "root"), "--sbom", tc.value, "/bin/true")
			oneLineError(t, stderr, code, tc.want...)
			emptyDir(t, out)
		})
	}
}
