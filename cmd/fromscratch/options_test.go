package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The packages' messages name Go options; the command says its flags.
func TestFlagText(t *testing.T) {
	for in, want := range map[string]string{
		"collector: WithDlopen(libx.so.1): not found":                       "collector: --dlopen libx.so.1: not found",
		"collector: write /o: directory not empty (WithForce replaces it)":  "collector: write /o: directory not empty (--force replaces it)",
		"add them with WithDlopen or WithAdd, or find them with WithTraced": "add them with --dlopen or --add, or find them with --trace",
		"WithUnknown(x) stays": "WithUnknown(x) stays",
	} {
		if got := flagText(in); got != want {
			t.Errorf("flagText(%q) = %q, want %q", in, got, want)
		}
	}
}

// rootfs into a directory that is not empty: the error names --force.
func TestForceInError(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := fromscratch(t, "rootfs", "--no-auto", "-o", dir, "/usr/bin/env")
	if code != exitError || !strings.Contains(stderr, "--force") || strings.Contains(stderr, "WithForce") {
		t.Errorf("rootfs into a non-empty directory: exit %d, stderr %q; want --force named", code, stderr)
	}
}
