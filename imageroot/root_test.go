package imageroot_test

import (
	"archive/tar"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/imageroot"
)

func stage(t *testing.T, layers ...[]ent) (*imageroot.Root, string) {
	t.Helper()
	tmp := t.TempDir()
	r, err := imageroot.New(testImage(t, layers...), imageroot.WithTempDir(tmp))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
		emptyDir(t, tmp)
	})
	return r, tmp
}

// TestLayers: entries of each kind, later layers over earlier ones, modes
// and owners as the tar says.
func TestLayers(t *testing.T) {
	suid := file("usr/bin/su", "su")
	suid.mode, suid.uid, suid.gid = 0o4755, 0, 0
	owned := file("home/u/f", "mine")
	owned.uid, owned.gid, owned.mode = 1000, 1001, 0o600
	r, _ := stage(t,
		[]ent{dir("usr"), dir("usr/lib"), file("usr/lib/a", "a1"), symlink("lib", "usr/lib"), file("etc/x", "x")},
		[]ent{file("usr/lib/a", "a2"), hardlink("usr/lib/b", "usr/lib/a"), suid, owned, symlink("etc/x", "/usr/lib/a")},
	)
	got := readTree(t, r.Dir())
	want := map[string]string{
		"/usr": "dir", "/usr/lib": "dir", "/usr/lib/a": "file:a2", "/usr/lib/b": "file:a2",
		"/lib": "link:usr/lib", "/etc": "dir", "/etc/x": "link:/usr/lib/a",
		"/usr/bin": "dir", "/usr/bin/su": "file:su", "/home": "dir", "/home/u": "dir", "/home/u/f": "file:mine",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tree:\n got %v\nwant %v", got, want)
	}
	st, err := os.Stat(filepath.Join(r.Dir(), "usr/bin/su"))
	if err != nil || st.Mode()&os.ModeSetuid == 0 || st.Mode().Perm() != 0o755 {
		t.Errorf("su: %v %v, want setuid 0755", st.Mode(), err)
	}
	a, _ := os.Stat(filepath.Join(r.Dir(), "usr/lib/a"))
	b, _ := os.Stat(filepath.Join(r.Dir(), "usr/lib/b"))
	if !os.SameFile(a, b) {
		t.Error("usr/lib/b is not a hard link of usr/lib/a")
	}
	if os.Geteuid() == 0 {
		st, _ := os.Stat(filepath.Join(r.Dir(), "home/u/f"))
		if fmt.Sprint(st.Sys()) == "" || !strings.Contains(fmt.Sprintf("%+v", st.Sys()), "Uid:1000 Gid:1001") {
			t.Errorf("home/u/f owner: %+v, want 1000:1001", st.Sys())
		}
	}
	// The staged tree is an elfscan Root: /etc/x leads to /usr/lib/a inside it.
	if real, _, err := r.Root().Resolve("/etc/x"); err != nil || real != "/usr/lib/a" {
		t.Errorf("Resolve(/etc/x) = %q, %v", real, err)
	}
}

// TestWhiteouts: a whiteout deletes what the layers below made, an opaque
// directory hides all of it, and neither touches what its own layer made.
func TestWhiteouts(t *testing.T) {
	r, _ := stage(t,
		[]ent{file("lib/libgone.so", "gone"), file("lib/libkeep.so", "keep"), dir("opt/d"), file("opt/d/old", "old"), file("opt/d/sub/older", "older")},
		[]ent{file("lib/.wh.libgone.so", ""), file("opt/d/new", "new"), file("opt/d/.wh..wh..opq", ""), dir("opt/d/sub"), file("opt/d/sub/newer", "n"),
			file("lib/fresh", "f"), file("lib/.wh.fresh", "")},
	)
	got := readTree(t, r.Dir())
	want := map[string]string{
		"/lib": "dir", "/lib/libkeep.so": "file:keep", "/lib/fresh": "file:f",
		"/opt": "dir", "/opt/d": "dir", "/opt/d/new": "file:new", "/opt/d/sub": "dir", "/opt/d/sub/newer": "file:n",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tree:\n got %v\nwant %v", got, want)
	}
}

// TestHostile: layers that try to write or point outside the staging. The
// entries are skipped with a note or the staging fails with one error;
// nothing outside changes; no staging is left.
func TestHostile(t *testing.T) {
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, []byte("intact"), 0o644); err != nil {
		t.Fatal(err)
	}
	rel := strings.Repeat("../", 20) + strings.TrimPrefix(outside, "/")
	root := file(".wh.", "")
	cases := []struct {
		name    string
		layers  [][]ent
		wantErr string // "" for a staging that succeeds with notes
		note    string
	}{
		{"dotdot name", [][]ent{{file("../../../../"+strings.TrimPrefix(victim, "/"), "pwned")}}, "", "leaves the root"},
		{"dotdot inside", [][]ent{{file("a/../../x", "pwned")}}, "", "leaves the root"},
		{"absolute name", [][]ent{{file(victim, "inside")}}, "", ""},
		{"symlink out absolute", [][]ent{{symlink("evil", outside)}, {file("evil/victim", "pwned")}}, "no such file", ""},
		{"symlink out relative", [][]ent{{symlink("evil", rel)}, {file("evil/victim", "pwned")}}, "no such file", ""},
		{"chained symlinks", [][]ent{{symlink("a", "b"), symlink("b", "c/../.."+outside), dir("c")}, {file("a/victim", "pwned")}}, "no such file", ""},
		{"symlink then file same layer", [][]ent{{symlink("evil", outside), file("evil/victim", "pwned")}}, "no such file", ""},
		{"hard link out absolute", [][]ent{{hardlink("h", victim)}}, "", "hard link"},
		{"hard link out dotdot", [][]ent{{hardlink("h", rel+"/victim")}}, "", "leaves the root"},
		{"hard link through symlink", [][]ent{{symlink("evil", outside), hardlink("h", "evil/victim")}}, "", "hard link"},
		{"whiteout through symlink", [][]ent{{symlink("evil", outside), file("evil/.wh.victim", "")}}, "", ""},
		{"opaque through symlink", [][]ent{{symlink("evil", outside)}, {file("evil/.wh..wh..opq", "")}}, "no such file", ""},
		{"whiteout of root", [][]ent{{file("a", "a")}, {root, file("x/.wh..", "")}}, "", "whiteout of the root refused"},
		{"device", [][]ent{{{name: "dev/null", typ: tar.TypeChar, mode: 0o666}, {name: "p", typ: tar.TypeFifo, mode: 0o644}}}, "", "device or FIFO skipped"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir()
			r, err := imageroot.New(testImage(t, c.layers...), imageroot.WithTempDir(tmp))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || strings.Contains(err.Error(), "\n") ||
					!strings.HasPrefix(err.Error(), "imageroot: ") {
					t.Errorf("err = %v, want one line with %q", err, c.wantErr)
				}
			} else if err != nil {
				t.Errorf("err = %v, want notes", err)
			} else {
				if c.note != "" && !strings.Contains(strings.Join(r.Notes(), "\n"), c.note) {
					t.Errorf("notes %q, want %q", r.Notes(), c.note)
				}
				r.Close()
			}
			b, err := os.ReadFile(victim)
			if err != nil || string(b) != "intact" {
				t.Fatalf("outside file changed: %q %v", b, err)
			}
			ents, _ := os.ReadDir(outside)
			if len(ents) != 1 {
				t.Fatalf("outside dir now has %d entries", len(ents))
			}
			emptyDir(t, tmp)
		})
	}
}

// TestManyFiles: a layer of 100k tiny files stages.
func TestManyFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	ents := make([]ent, 0, 100_001)
	ents = append(ents, dir("many"))
	for i := range 100_000 {
		ents = append(ents, file(fmt.Sprintf("many/%03d/%d", i%1000, i), "x"))
	}
	r, _ := stage(t, ents)
	n := 0
	filepath.WalkDir(filepath.Join(r.Dir(), "many"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if n != 100_000 {
		t.Errorf("%d files staged, want 100000", n)
	}
}

// TestCommand: Entrypoint+Cmd, the first word on the image's PATH.
func TestCommand(t *testing.T) {
	prog := file("opt/app/bin/serve", "#!/bin/sh\n")
	prog.mode = 0o755
	img := testImage(t, []ent{prog, file("usr/bin/serve", "not executable")})
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.Config.Env = []string{"PATH=/usr/bin:/opt/app/bin"}
	cf.Config.Entrypoint, cf.Config.Cmd = []string{"serve"}, []string{"--port", "80"}
	img, err := mutateConfig(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	r, err := imageroot.New(img, imageroot.WithTempDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	argv, err := r.Command()
	if want := []string{"/opt/app/bin/serve", "--port", "80"}; err != nil || !reflect.DeepEqual(argv, want) {
		t.Errorf("Command() = %q, %v; want %q", argv, err, want)
	}
	if _, err := r.LookPath("nothere"); err == nil || !strings.Contains(err.Error(), "not found on the image's PATH") {
		t.Errorf("LookPath(nothere) = %v", err)
	}
}
