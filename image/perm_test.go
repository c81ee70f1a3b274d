package image

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/fromscratch/fromscratch/internal/testenv"
)

// Every file of an OCI layout, the layer blob included, has the mode a
// file made under the umask has (0644 under 022; the directories 0755), so
// another user reads the layout: skopeo copy as nobody succeeds. The
// tarball and the digest file too.
func TestOCILayoutReadableByOthers(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "skopeo", "runuser")
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	// t.TempDir's directories are 0700: nobody could not reach the layout.
	parent, err := os.MkdirTemp("", "layout-perm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o777); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(parent, "oci")
	img := helloImage(t)
	if err := WriteOCILayout(img, dir, "a"); err != nil {
		t.Fatal(err)
	}
	// The second write merges into the existing layout.
	if err := WriteOCILayout(helloImage(t, "X=2"), dir, "b"); err != nil {
		t.Fatal(err)
	}
	if err := WriteTarball(img, filepath.Join(parent, "i.tar"), "x:1"); err != nil {
		t.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir(parent, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == parent {
			return err
		}
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		want := fs.FileMode(0o644)
		if d.IsDir() {
			want = 0o755
		} else {
			files++
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %04o, want %04o", p, st.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 6 {
		t.Errorf("only %d files checked", files)
	}
	command(t, "", "runuser", "-u", "nobody", "--", "skopeo", "copy", "--quiet",
		"oci:"+dir+":a", "oci:"+filepath.Join(parent, "copy")+":a")
}
