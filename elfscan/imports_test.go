package elfscan

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// A scan without imports reads large string tables string by string; the
// File must be the one a full scan gives, but for Imports.
func TestScanWithoutImportsIsTheSame(t *testing.T) {
	root := HostRoot()
	var files, big int
	for _, p := range hostFiles(t) {
		fd, size, err := root.openFD(p)
		if err != nil {
			continue
		}
		full, errFull := scan(fdReader(fd), size, p, wantImports)
		list, errList := scan(fdReader(fd), size, p, 0)
		unix.Close(fd)
		if (errFull == nil) != (errList == nil) {
			t.Errorf("%s: with imports %v, without %v", p, errFull, errList)
			continue
		}
		if errFull != nil {
			continue
		}
		files++
		if size > bigStrtab {
			big++ // an upper bound: files that may have a large table
		}
		if !sameFields(full, list) {
			t.Errorf("%s: without imports\n%+v\nwant\n%+v", p, list, full)
		}
	}
	t.Logf("%d ELF files scanned both ways (%d over %d bytes)", files, big, bigStrtab)
	if files < 100 {
		t.Errorf("only %d files", files)
	}
}

// hostFiles are the regular files of this machine's program and library
// directories, for tests that read every ELF file there.
func hostFiles(t *testing.T) []string {
	var out []string
	for _, dir := range []string{"/usr/bin", "/usr/sbin", "/usr/lib/x86_64-linux-gnu"} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				out = append(out, filepath.Join(dir, e.Name()))
			}
		}
	}
	return out
}
