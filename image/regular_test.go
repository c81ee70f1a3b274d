package image

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/collector"
)

// within fails the test if f does not return in 10 s: a FIFO opened
// without O_NONBLOCK waits for a writer forever.
func within(t *testing.T, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("%s hangs", what)
		return nil
	}
}

// A FIFO (or another non-regular file) where a file is read or replaced
// is an error at once, naming it: a --base FILE or FILE:TAG, an index.json
// or blob of a base layout or of a layout written to, a tarball or digest
// file to replace.
func TestNonRegularFilesRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	amd64 := collector.Platform{OS: "linux", Architecture: "amd64"}
	// A layout whose index.json is a FIFO, and one whose blob is.
	badIndex := filepath.Join(dir, "bad-index")
	if err := os.Mkdir(badIndex, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(badIndex, "index.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	badBlob := filepath.Join(dir, "bad-blob")
	if err := WriteOCILayout(helloImage(t), badBlob, "a"); err != nil {
		t.Fatal(err)
	}
	blobs, _ := filepath.Glob(filepath.Join(badBlob, "blobs/sha256/*"))
	if err := os.Remove(blobs[0]); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(blobs[0], 0o644); err != nil {
		t.Fatal(err)
	}
	img := helloImage(t)
	for _, tc := range []struct {
		name string
		f    func() error
		want string
	}{
		{"base FIFO", func() error { _, err := LoadBase(context.Background(), fifo, amd64); return err }, fifo + " is a named pipe"},
		{"base FIFO:TAG", func() error { _, err := LoadBase(context.Background(), fifo+":x:1", amd64); return err }, fifo + " is a named pipe"},
		{"base /dev/zero", func() error { _, err := LoadBase(context.Background(), "/dev/zero", amd64); return err }, "character device"},
		{"base layout index.json FIFO", func() error { _, err := LoadBase(context.Background(), badIndex, amd64); return err }, "index.json is a named pipe"},
		{"base layout blob FIFO", func() error { _, err := LoadBase(context.Background(), badBlob, amd64); return err }, "is a named pipe"},
		{"layout output index.json FIFO", func() error { return WriteOCILayout(img, badIndex, "a") }, "index.json is a named pipe"},
		{"layout output blob FIFO", func() error { return WriteOCILayout(img, badBlob, "b") }, "is a named pipe"},
		{"tarball over a FIFO", func() error { return WriteTarball(img, fifo, "x:1") }, "is a named pipe, not a regular file: not replaced"},
		{"digest file over a FIFO", func() error { return WriteDigestFile(img, fifo) }, "is a named pipe, not a regular file: not replaced"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := within(t, tc.name, tc.f)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("got %v, want one line saying %q", err, tc.want)
			}
		})
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v %v", st, err)
	}
}
