package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// CC runs a C compiler (gcc, musl-gcc, cc…) with args in dir, and fails the
// test with the compiler's output if it fails. It skips (fails in CI) when the
// compiler is missing.
func CC(t testing.TB, dir, compiler string, args ...string) {
	t.Helper()
	NeedCommand(t, compiler)
	cmd := exec.Command(compiler, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %q in %s: %v\n%s", compiler, args, dir, err, out)
	}
}

// BuildC compiles the C file src with gcc into dir/out and returns the
// output's absolute path. A relative src is taken from the test's working
// directory (the package directory, where testdata/ is). args are extra flags:
// "-static", "-shared", "-fPIC", "-Wl,-soname,libx.so.1", "-Wl,-rpath,$ORIGIN",
// "-L", dir, "-lx"…
func BuildC(t testing.TB, dir, out, src string, args ...string) string {
	t.Helper()
	return buildC(t, "gcc", dir, out, src, args)
}

// BuildMuslC is BuildC with musl-gcc: the program's interpreter is
// /lib/ld-musl-x86_64.so.1 unless args has -static.
func BuildMuslC(t testing.TB, dir, out, src string, args ...string) string {
	t.Helper()
	return buildC(t, "musl-gcc", dir, out, src, args)
}

func buildC(t testing.TB, compiler, dir, out, src string, args []string) string {
	t.Helper()
	src, err := filepath.Abs(src)
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(out) {
		out = filepath.Join(dir, out)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	CC(t, dir, compiler, append([]string{"-o", out, src}, args...)...)
	return out
}
