package image

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/elfscan"
)

func dir(p string) collector.Entry {
	return collector.Entry{Path: p, Kind: collector.Dir, Mode: 0o755}
}

func file(p, data string, mode fs.FileMode) collector.Entry {
	return collector.Entry{Path: p, Kind: collector.File, Mode: mode, Data: []byte(data)}
}

func symlink(p, target string) collector.Entry {
	return collector.Entry{Path: p, Kind: collector.Symlink, Mode: 0o777, Target: target}
}

func hardlink(p, target string) collector.Entry {
	return collector.Entry{Path: p, Kind: collector.Hardlink, Target: target}
}

func newPlan(entries ...collector.Entry) *collector.Plan {
	return &collector.Plan{
		Entries:  entries,
		Programs: []string{"/bin/prog"},
		Platform: collector.Platform{OS: "linux", Architecture: "amd64"},
	}
}

// readTar lists the headers of a tar stream, with each file's content.
func readTar(t *testing.T, r io.Reader) ([]*tar.Header, map[string]string) {
	t.Helper()
	tr := tar.NewReader(r)
	var hdrs []*tar.Header
	content := map[string]string{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return hdrs, content
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		hdrs = append(hdrs, hdr)
		content[hdr.Name] = string(b)
	}
}

func TestWriteTarHeaders(t *testing.T) {
	long := "/d/" + strings.Repeat("x", 120) + "/" + strings.Repeat("y", 150)
	plan := newPlan(
		dir("/bin"),
		file("/bin/prog", "#!prog", 0o755|fs.ModeSetuid),
		dir("/d"),
		dir(long[:strings.LastIndex(long, "/")]),
		file(long, "long", 0o644),
		dir("/etc"),
		file("/etc/passwd", "root:x:0:0::/:/bin/prog\n", 0o644),
		symlink("/etc/pw", "passwd"),
		dir("/tmp"),
	)
	plan.Entries[len(plan.Entries)-1].Mode = 0o777 | fs.ModeSticky
	// An owner other than root (a service user's directory) is kept.
	plan.Entries[len(plan.Entries)-1].Uid, plan.Entries[len(plan.Entries)-1].Gid = 104, 4
	var buf bytes.Buffer
	if err := WriteTar(plan, &buf, WithTime(time.Unix(1700000000, 999))); err != nil {
		t.Fatal(err)
	}
	hdrs, content := readTar(t, bytes.NewReader(buf.Bytes()))
	var got []string
	for _, h := range hdrs {
		uid, gid := 0, 0
		if h.Name == "tmp/" {
			uid, gid = 104, 4
		}
		if h.Uid != uid || h.Gid != gid || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: owner %d:%d %q:%q, want %d:%d and no names", h.Name, h.Uid, h.Gid, h.Uname, h.Gname, uid, gid)
		}
		if !h.ModTime.Equal(time.Unix(1700000000, 0)) || !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() {
			t.Errorf("%s: times %v %v %v", h.Name, h.ModTime, h.AccessTime, h.ChangeTime)
		}
		got = append(got, fmt.Sprintf("%c %05o %s %s", h.Typeflag, h.Mode, h.Name, h.Linkname))
	}
	longName := strings.TrimPrefix(long, "/")
	want := []string{
		"5 00755 bin/ ",
		"0 04755 bin/prog ",
		"5 00755 d/ ",
		"5 00755 " + longName[:strings.LastIndex(longName, "/")+1] + " ",
		"0 00644 " + longName + " ",
		"5 00755 etc/ ",
		"0 00644 etc/passwd ",
		"2 00777 etc/pw passwd",
		"5 01777 tmp/ ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("headers:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if content["bin/prog"] != "#!prog" || content[longName] != "long" {
		t.Errorf("content: %q", content)
	}
	// Only the long names need PAX; the rest is plain USTAR.
	for _, h := range hdrs {
		pax := h.Format&tar.FormatPAX != 0
		if pax != (len(h.Name) > 100) {
			t.Errorf("%s: format %v", h.Name, h.Format)
		}
	}
}

func TestWriteTarHardlinks(t *testing.T) {
	plan := newPlan(
		dir("/bin"),
		file("/bin/a", "shared", 0o755|fs.ModeSetuid), // the first path holds the bytes
		hardlink("/bin/b", "/bin/a"),
		hardlink("/bin/m", "/bin/a"),
		hardlink("/bin/z", "/bin/a"),
	)
	var buf bytes.Buffer
	if err := WriteTar(plan, &buf); err != nil {
		t.Fatal(err)
	}
	hdrs, content := readTar(t, bytes.NewReader(buf.Bytes()))
	var got []string
	for _, h := range hdrs {
		got = append(got, fmt.Sprintf("%c %05o %s>%s", h.Typeflag, h.Mode, h.Name, h.Linkname))
	}
	want := "5 00755 bin/> 0 04755 bin/a> 1 04755 bin/b>bin/a 1 04755 bin/m>bin/a 1 04755 bin/z>bin/a"
	if strings.Join(got, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
	if content["bin/a"] != "shared" {
		t.Errorf("bin/a holds %q", content["bin/a"])
	}
	// Extracted by GNU tar, all four names are one inode.
	out := t.TempDir()
	command(t, buf.String(), "tar", "-xf", "-", "-C", out)
	inodes := map[uint64]bool{}
	for _, n := range []string{"a", "b", "m", "z"} {
		st, err := os.Stat(filepath.Join(out, "bin", n))
		if err != nil {
			t.Fatal(err)
		}
		inodes[st.Sys().(*syscall.Stat_t).Ino] = true
	}
	if len(inodes) != 1 {
		t.Errorf("bin/{a,b,m,z} are %d inodes, want 1", len(inodes))
	}
}

func TestWriteTarSourceFiles(t *testing.T) {
	rootDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(rootDir, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rootDir, "lib/libx.so.1.2"), []byte("ELF..."), 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := elfscan.NewRoot(rootDir)
	if err != nil {
		t.Fatal(err)
	}
	plan := newPlan(dir("/usr"), dir("/usr/lib"),
		collector.Entry{Path: "/usr/lib/libx.so.1", Kind: collector.File, Source: "/lib/libx.so.1.2", Mode: 0o755, Size: 6})
	plan.Root = root
	var buf bytes.Buffer
	if err := WriteTar(plan, &buf); err != nil {
		t.Fatal(err)
	}
	if _, content := readTar(t, &buf); content["usr/lib/libx.so.1"] != "ELF..." {
		t.Errorf("content %q", content)
	}

	// A source that changed size since it was planned is an error.
	plan.Entries[2].Size = 5
	err = WriteTar(plan, io.Discard)
	wantError(t, err, "layer: /usr/lib/libx.so.1: /lib/libx.so.1.2 is 6 bytes, the plan says 5: it changed after planning")
	plan.Entries[2].Size = 0
	plan.Entries[2].Source = "/lib/missing"
	wantError(t, WriteTar(plan, io.Discard), "layer: /usr/lib/libx.so.1: elfscan: resolve /lib/missing: no such file or directory")
}

// A plan that breaks what the collector guarantees (Plan.Check) is an
// error before anything is written.
func TestBadPlan(t *testing.T) {
	for _, c := range []struct {
		plan *collector.Plan
		err  string
	}{
		{newPlan(dir("/a"), file("/b/c", "", 0o644)), "layer: plan: /b/c: parent directory /b is not a directory of the plan"},
		{newPlan(dir("/b"), dir("/a")), "layer: plan: /a: not sorted after /b"},
		{newPlan(dir("/a"), hardlink("/a/b", "/a/c")), "layer: plan: /a/b: hard link target /a/c is not a file of the plan sorted before it"},
		{newPlan(dir("/a"), hardlink("/a/b", "/a/c"), file("/a/c", "x", 0o644)), "layer: plan: /a/b: hard link target /a/c is not a file of the plan sorted before it"},
		{nil, "layer: plan: nil"},
	} {
		var buf bytes.Buffer
		wantError(t, WriteTar(c.plan, &buf), c.err)
		if buf.Len() != 0 {
			t.Errorf("%d bytes written", buf.Len())
		}
		_, err := Layer(c.plan)
		wantError(t, err, c.err)
		_, err = Build(c.plan)
		wantError(t, err, c.err)
	}
}

func TestLayer(t *testing.T) {
	plan := newPlan(dir("/etc"), file("/etc/a", strings.Repeat("abc", 1000), 0o644))
	var tarball bytes.Buffer
	if err := WriteTar(plan, &tarball); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		opts []LayerOption
		mt   types.MediaType
	}{
		{nil, types.OCILayer},
		{[]LayerOption{WithCompression(compression.ZStd)}, types.OCILayerZStd},
		{[]LayerOption{WithCompressionLevel(9)}, types.OCILayer},
	} {
		l, err := Layer(plan, c.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if mt, _ := l.MediaType(); mt != c.mt {
			t.Errorf("media type %s, want %s", mt, c.mt)
		}
		compressed := readAll(t, l.Compressed)
		digest, _ := l.Digest()
		size, _ := l.Size()
		if h := sha(compressed); h != digest || size != int64(len(compressed)) {
			t.Errorf("digest %s size %d, want %s %d", digest, size, h, len(compressed))
		}
		uncompressed := readAll(t, l.Uncompressed)
		diffID, _ := l.DiffID()
		if !bytes.Equal(uncompressed, tarball.Bytes()) || sha(uncompressed) != diffID {
			t.Errorf("uncompressed is not WriteTar's, or diff ID %s is wrong", diffID)
		}
	}
	_, err := Layer(plan, WithCompression(compression.None))
	wantError(t, err, `layer: compression "none" is not supported (gzip or zstd)`)
}

// The layer is compressed once: its sources are not read again when it
// is written, and reading it twice gives the same bytes.
func TestLayerCompressedOnce(t *testing.T) {
	rootDir := t.TempDir()
	src := filepath.Join(rootDir, "prog")
	if err := os.WriteFile(src, bytes.Repeat([]byte("prog"), 1<<16), 0o755); err != nil {
		t.Fatal(err)
	}
	root, _ := elfscan.NewRoot(rootDir)
	plan := newPlan(dir("/bin"), collector.Entry{Path: "/bin/prog", Kind: collector.File, Source: "/prog", Mode: 0o755})
	plan.Root = root
	img, err := Build(plan)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(src)
	out := t.TempDir()
	d1, err := Write(t.Context(), img, OCILayout(filepath.Join(out, "oci"), "x"), Tarball(filepath.Join(out, "img.tar"), "x"))
	if err != nil {
		t.Fatal(err)
	}
	d2, _ := img.Digest()
	if d1 != d2 {
		t.Errorf("digest %s then %s", d1, d2)
	}
}

// A layer over spoolMemory (32 MiB) is spooled to an unlinked temporary file: nothing
// is left in TMPDIR, even while the layer is alive.
func TestLayerSpoolsToFile(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	data := make([]byte, 1<<20)
	rnd := rand.NewChaCha8([32]byte{})
	rnd.Read(data)
	plan := newPlan(file("/big", string(data), 0o644))
	o := makeLayerOptions(nil)
	o.spoolLimit = 64 << 10
	mt, _ := o.mediaType()
	l, err := newLayer(plan, o, mt)
	if err != nil {
		t.Fatal(err)
	}
	if l.data.file == nil {
		t.Fatal("not spooled to a file")
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("left in TMPDIR: %v", entries)
	}
	digest, _ := l.Digest()
	if h := sha(readAll(t, l.Compressed)); h != digest {
		t.Errorf("digest %s, content %s", digest, h)
	}
	diffID, _ := l.DiffID()
	if h := sha(readAll(t, l.Uncompressed)); h != diffID {
		t.Errorf("diff ID %s, content %s", diffID, h)
	}
}

func readAll(t *testing.T, open func() (io.ReadCloser, error)) []byte {
	t.Helper()
	rc, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sha(b []byte) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", sha256.Sum256(b))}
}

// wantError checks that err is the one-line error want.
func wantError(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("no error, want %q", want)
	case err.Error() != want:
		t.Errorf("error %q\nwant      %q", err, want)
	}
}
