package image

import (
	"fmt"
	"io/fs"
	"runtime"
	"slices"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/fromscratch/fromscratch/collector"
)

// collect is the plan of the host's programs, with every rule on.
func collect(t *testing.T, programs ...string) *collector.Plan {
	t.Helper()
	plan, err := collector.Collect(programs)
	if err != nil {
		t.Skipf("collect %v: %v", programs, err)
	}
	return plan
}

// layerDigests maps each layer's history name to its digest.
func layerDigests(t *testing.T, img v1.Image) map[string]v1.Hash {
	t.Helper()
	cf := must(img.ConfigFile())
	layers := must(img.Layers())
	if len(cf.History) != len(layers) {
		t.Fatalf("%d history entries for %d layers", len(cf.History), len(layers))
	}
	out := map[string]v1.Hash{}
	for i, l := range layers {
		out[cf.History[i].CreatedBy] = must(l.Digest())
	}
	return out
}

// TestLayeringShared: images of different programs from one root share
// the layers of what they both hold, whatever else they hold.
func TestLayeringShared(t *testing.T) {
	jq := must(Build(collect(t, "/usr/bin/jq"), WithLayering(LayeringAuto)))
	sqlite := must(Build(collect(t, "/usr/bin/sqlite3"), WithLayering(LayeringAuto)))
	a, b := layerDigests(t, jq), layerDigests(t, sqlite)
	for _, name := range []string{LayerLibc, "libm.so.6", "libnss_systemd.so.2", "libcap.so.2"} {
		by := CreatedBy + ": " + name
		if a[by] == (v1.Hash{}) || a[by] != b[by] {
			t.Errorf("layer %s: jq's %v, sqlite3's %v: want the same", name, a[by], b[by])
		}
	}
	by := CreatedBy + ": " + LayerProgram
	if a[by] == b[by] {
		t.Errorf("the program layers are the same: %v", a[by])
	}
	if _, ok := b[CreatedBy+": libz.so.1"]; !ok {
		t.Errorf("sqlite3 has no libz layer: %v", b)
	}
	if len(a) != 5 {
		t.Errorf("jq has %d layers, want 5 (libc, libm, libnss_systemd, libcap, program): %v", len(a), a)
	}
}

// TestLayeringReproducible: the layers do not depend on the order of the
// programs nor on GOMAXPROCS.
func TestLayeringReproducible(t *testing.T) {
	digests := func(procs int, programs ...string) map[string]v1.Hash {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		plan := collect(t, programs...)
		img := must(Build(plan, WithLayering(LayeringAuto), WithEntrypoint("/usr/bin/jq")))
		d := layerDigests(t, img)
		d["image"] = must(img.Digest())
		return d
	}
	a := digests(1, "/usr/bin/jq", "/usr/bin/sqlite3")
	b := digests(4, "/usr/bin/sqlite3", "/usr/bin/jq")
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("GOMAXPROCS 1, jq sqlite3:\n%v\nGOMAXPROCS 4, sqlite3 jq:\n%v", a, b)
	}
}

// TestSplit: each part is a plan of its own, with its parents; together
// they are the plan; hard links go with their files, directories without
// files below with the program.
func TestSplit(t *testing.T) {
	var p planBuilder
	p.add(symlink("/lib", "usr/lib"))
	p.add(symlink("/lib64", "usr/lib64"))
	p.add(file("/usr/bin/prog", "prog", 0o755))
	p.add(file("/usr/lib/x86_64-linux-gnu/libc.so.6", "libc", 0o755))
	p.add(file("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", "z", 0o644))
	p.add(symlink("/usr/lib/x86_64-linux-gnu/libz.so.1", "libz.so.1.2.13"))
	p.add(hardlink("/usr/lib/x86_64-linux-gnu/zz", "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13"))
	p.add(symlink("/usr/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"))
	p.add(collector.Entry{Path: "/var/empty/dir", Kind: collector.Dir, Mode: 0o700})
	p.add(collector.Entry{Path: "/tmp", Kind: collector.Dir, Mode: 0o777 | fs.ModeSticky})
	plan := p.plan("/usr/bin/prog")
	parts, err := Split(plan, LayeringAuto)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	var all []string
	for _, part := range parts {
		if err := part.Plan.Check(); err != nil {
			t.Errorf("%s: %v", part.Name, err)
		}
		for _, e := range part.Plan.Entries {
			got[part.Name] = append(got[part.Name], e.Path)
			if e.Kind != collector.Dir || !slices.Contains(all, e.Path) {
				all = append(all, e.Path)
			}
		}
	}
	want := map[string][]string{
		LayerLibc: {"/lib", "/lib64", "/usr", "/usr/lib", "/usr/lib/x86_64-linux-gnu",
			"/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib64", "/usr/lib64/ld-linux-x86-64.so.2"},
		"libz.so.1": {"/usr", "/usr/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu/libz.so.1",
			"/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", "/usr/lib/x86_64-linux-gnu/zz"},
		LayerProgram: {"/tmp", "/usr", "/usr/bin", "/usr/bin/prog", "/var", "/var/empty", "/var/empty/dir"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parts\n%v\nwant\n%v", got, want)
	}
	if names := []string{parts[0].Name, parts[1].Name, parts[2].Name}; fmt.Sprint(names) != fmt.Sprint([]string{LayerLibc, "libz.so.1", LayerProgram}) {
		t.Errorf("order %v", names)
	}
	slices.Sort(all)
	var planPaths []string
	for _, e := range plan.Entries {
		planPaths = append(planPaths, e.Path)
	}
	if fmt.Sprint(all) != fmt.Sprint(planPaths) {
		t.Errorf("the parts hold\n%v\nthe plan\n%v", all, planPaths)
	}
	none, err := Split(plan, LayeringNone)
	if err != nil || len(none) != 1 || none[0].Plan != plan {
		t.Errorf("LayeringNone: %v, %v", none, err)
	}
	if _, err := ParseLayering("some"); err == nil {
		t.Error("ParseLayering(some): no error")
	}
}
