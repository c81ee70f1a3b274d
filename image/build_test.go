package image

import (
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/fromscratch/fromscratch/collector"
)

func TestBuildDefaults(t *testing.T) {
	plan := newPlan(dir("/bin"), file("/bin/prog", "x", 0o755))
	plan.Programs = []string{"/bin/prog", "/bin/other"}
	plan.Env = []string{"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}
	img, err := Build(plan)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := img.Manifest()
	cf, _ := img.ConfigFile()
	if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != types.OCIConfigJSON ||
		len(m.Layers) != 1 || m.Layers[0].MediaType != types.OCILayer {
		t.Errorf("media types: %s %s %v", m.MediaType, m.Config.MediaType, m.Layers)
	}
	epoch := time.Unix(0, 0)
	want := &v1.ConfigFile{
		Architecture: "amd64",
		OS:           "linux",
		Created:      v1.Time{Time: epoch},
		History:      []v1.History{{Created: v1.Time{Time: epoch}, CreatedBy: "fromscratch"}},
		RootFS:       v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{must(must(img.Layers())[0].DiffID())}},
		Config: v1.Config{
			Entrypoint: []string{"/bin/prog"},
			Env:        []string{DefaultPath, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
		},
	}
	if !cf.Created.Equal(epoch) || !cf.History[0].Created.Equal(epoch) {
		t.Errorf("created %v, history %v", cf.Created, cf.History)
	}
	cf.Created, cf.History[0].Created = want.Created, want.History[0].Created
	if !reflect.DeepEqual(cf, want) {
		t.Errorf("config\n%+v\nwant\n%+v", cf, want)
	}
}

func TestBuildOptions(t *testing.T) {
	plan := newPlan(dir("/bin"), file("/bin/prog", "x", 0o755))
	plan.Platform = collector.Platform{OS: "linux", Architecture: "arm64"}
	plan.Env = []string{"SSL_CERT_FILE=/a", "LANG=C.UTF-8"}
	when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	img, err := Build(plan,
		WithTime(when),
		WithCompression(compression.ZStd),
		WithPlatform(collector.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}),
		WithEntrypoint("/bin/prog", "--serve"),
		WithCmd("--port", "80"),
		WithEnv("SSL_CERT_FILE=/b", "PATH=/bin", "TZ=UTC"),
		WithUser(NonRootUser),
		WithWorkingDir("/srv"),
		WithLabels(map[string]string{"a": "1"}),
		WithLabels(map[string]string{"b": "2"}),
		WithAnnotations(map[string]string{"org.opencontainers.image.source": "https://example.com"}),
	)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	m, _ := img.Manifest()
	got := []any{cf.OS, cf.Architecture, cf.Variant, cf.Created.UTC(), cf.History[0].Created.UTC(),
		cf.Config.Entrypoint, cf.Config.Cmd, cf.Config.Env, cf.Config.User, cf.Config.WorkingDir,
		cf.Config.Labels, m.Annotations, m.Layers[0].MediaType}
	want := []any{"linux", "arm64", "v8", when, when,
		[]string{"/bin/prog", "--serve"}, []string{"--port", "80"},
		[]string{"PATH=/bin", "SSL_CERT_FILE=/b", "LANG=C.UTF-8", "TZ=UTC"}, "65532:65532", "/srv",
		map[string]string{"a": "1", "b": "2"}, map[string]string{"org.opencontainers.image.source": "https://example.com"},
		types.OCILayerZStd}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("field %d: %v, want %v", i, got[i], want[i])
		}
	}
	layer := must(img.Layers())[0]
	hdrs, _ := readTar(t, must(layer.Uncompressed()))
	if !hdrs[0].ModTime.Equal(when) {
		t.Errorf("mtime %v, want %v", hdrs[0].ModTime, when)
	}
}

func TestBuildOnBase(t *testing.T) {
	base, err := Build(newPlan(dir("/etc"), file("/etc/os-release", "base", 0o644)),
		WithEnv("PATH=/base/bin", "BASE=1"), WithCmd("base-arg"), WithUser("1000"))
	if err != nil {
		t.Fatal(err)
	}
	plan := newPlan(dir("/bin"), file("/bin/prog", "x", 0o755))
	plan.Env = []string{"BASE=2"}
	img, err := Build(plan, WithBase(base))
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	if n := len(must(img.Layers())); n != 2 || len(cf.History) != 2 || len(cf.RootFS.DiffIDs) != 2 {
		t.Errorf("%d layers, %d history entries, %d diff IDs: want 2", n, len(cf.History), len(cf.RootFS.DiffIDs))
	}
	c := cf.Config
	if !reflect.DeepEqual(c.Env, []string{"PATH=/base/bin", "BASE=2"}) || c.Cmd != nil ||
		!reflect.DeepEqual(c.Entrypoint, []string{"/bin/prog"}) || c.User != "1000" {
		t.Errorf("config %+v", c)
	}

	// A Docker base is re-described as OCI: the same layer bytes under OCI
	// descriptors, so that layouts are readable by tag and zstd fits on it.
	docker := mutate.MediaType(base, types.DockerManifestSchema2)
	for _, c := range []compression.Compression{compression.GZip, compression.ZStd} {
		img, err = Build(plan, WithBase(docker), WithCompression(c))
		if err != nil {
			t.Fatal(err)
		}
		if mt, _ := img.MediaType(); mt != types.OCIManifestSchema1 {
			t.Errorf("image on a Docker base: %s", mt)
		}
		layers := must(img.Layers())
		baseLayers := must(base.Layers())
		if d0, b0 := must(layers[0].Digest()), must(baseLayers[0].Digest()); d0 != b0 {
			t.Errorf("the base layer changed: %s, was %s", d0, b0)
		}
		m, _ := img.Manifest()
		for _, l := range m.Layers {
			if !l.MediaType.IsLayer() || strings.Contains(string(l.MediaType), "docker") {
				t.Errorf("layer media type %s on a Docker base", l.MediaType)
			}
		}
		if bcf, _ := img.ConfigFile(); len(bcf.History) != 2 || bcf.Config.User != "1000" {
			t.Errorf("the base's config was lost: %+v", bcf)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	plan := newPlan(dir("/bin"))
	arm, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{OS: "linux", Architecture: "arm64", Variant: "v8"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Build(plan, WithBase(arm))
	wantError(t, err, "base is linux/arm64/v8, the programs are linux/amd64")
	// The platform may name a variant of the programs' own, no other.
	_, err = Build(plan, WithBase(arm), WithPlatform(collector.Platform{OS: "linux", Architecture: "arm64"}))
	wantError(t, err, "image: platform linux/arm64 does not match the programs, which are linux/amd64")
	if _, err := Build(plan, WithPlatform(collector.Platform{OS: "linux", Architecture: "amd64", Variant: "v3"})); err != nil {
		t.Errorf("amd64/v3 for amd64 programs: %v", err)
	}
	armPlan := newPlan(dir("/bin"))
	armPlan.Platform = collector.Platform{OS: "linux", Architecture: "arm64"}
	if _, err := Build(armPlan, WithBase(arm), WithPlatform(collector.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"})); err != nil {
		t.Errorf("arm64/v8 for arm64 programs on an arm64/v8 base: %v", err)
	}
	plan.Platform = collector.Platform{}
	_, err = Build(plan)
	wantError(t, err, "image: the plan has no platform: give one WithPlatform")
}

// The digest depends on the plan and the options only: not on
// GOMAXPROCS, TMPDIR, where the image is written, or the run.
func TestReproducible(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	plan := hostPlan(t, "/bin/busybox") // 770 kB: many deflate and zstd blocks
	for _, opts := range [][]Option{
		nil,
		{WithCompression(compression.ZStd), WithTime(time.Unix(1700000000, 0))},
	} {
		var digests []string
		for _, procs := range []int{1, 8} {
			runtime.GOMAXPROCS(procs)
			t.Setenv("TMPDIR", t.TempDir())
			img, err := Build(plan, opts...)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Write(t.Context(), img, OCILayout(t.TempDir()+"/oci", "latest"))
			if err != nil {
				t.Fatal(err)
			}
			digests = append(digests, d.String())
		}
		for _, d := range digests[1:] {
			if d != digests[0] {
				t.Errorf("digests differ: %s", strings.Join(digests, " "))
				break
			}
		}
	}
}

func TestParseSourceDateEpoch(t *testing.T) {
	for value, want := range map[string]int64{"": 0, "0": 0, "1700000000": 1700000000} {
		got, err := ParseSourceDateEpoch(value)
		if err != nil || got.Unix() != want {
			t.Errorf("%q: %v %v", value, got, err)
		}
	}
	for _, value := range []string{"abc", "-1", "1.5"} {
		_, err := ParseSourceDateEpoch(value)
		wantError(t, err, `SOURCE_DATE_EPOCH="`+value+`": not a number of seconds since 1970`)
	}
}
