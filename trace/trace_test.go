//go:build linux && (amd64 || arm64)

package trace

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A fixed PATH, so that shells find the same programs wherever the tests
// run from.
var testEnv = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}

// bin is where the C programs of testdata/trace are compiled, once.
var bin struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bin.dir != "" {
		os.RemoveAll(bin.dir)
	}
	os.Exit(code)
}

// build compiles the test programs and returns the path of name.
func build(t testing.TB, name string) string {
	t.Helper()
	bin.once.Do(func() {
		if _, err := exec.LookPath("gcc"); err != nil {
			bin.err = err
			return
		}
		bin.dir, bin.err = os.MkdirTemp("", "trace-test-")
		if bin.err != nil {
			return
		}
		src := filepath.Join("..", "testdata", "trace")
		for _, args := range [][]string{
			{"-o", "dlopen", "dlopen.c", "-ldl"},
			{"-shared", "-fPIC", "-o", "plugin.so", "plugin.c"},
			{"-pthread", "-o", "threads", "threads.c"},
			{"-o", "forks", "forks.c"},
			{"-o", "files", "files.c"},
			{"-static", "-o", "missing", "missing.c"},
		} {
			for i, a := range args {
				if strings.HasSuffix(a, ".c") {
					args[i] = filepath.Join(src, a)
				} else if i > 0 && args[i-1] == "-o" {
					args[i] = filepath.Join(bin.dir, a)
				}
			}
			out, err := exec.Command("gcc", append([]string{"-O2", "-Wall"}, args...)...).CombinedOutput()
			if err != nil {
				bin.err = errors.New("gcc " + strings.Join(args, " ") + ": " + err.Error() + "\n" + string(out))
				return
			}
		}
	})
	if bin.err != nil {
		t.Skipf("cannot build the test programs: %v", bin.err)
	}
	return filepath.Join(bin.dir, name)
}

// run traces argv and fails the test on any error.
func run(t testing.TB, argv []string, opts *Options) *Result {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	if opts.Env == nil {
		opts.Env = testEnv
	}
	if opts.Timeout == 0 {
		opts.Timeout = time.Minute
	}
	var stderr bytes.Buffer
	if opts.Stderr == nil {
		opts.Stderr = &stderr
	}
	res, err := Run(context.Background(), argv, opts)
	if errors.Is(err, fs.ErrPermission) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("%v: exit status %d, signal %v; stderr:\n%s", argv, res.ExitCode, res.Signal, stderr.Bytes())
	}
	return res
}

func needProgram(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skip(err)
	}
}

// hasFile reports whether Files has a path that ends in suffix.
func hasFile(files []string, suffix string) bool {
	return slices.ContainsFunc(files, func(f string) bool { return strings.HasSuffix(f, suffix) })
}

func wantFiles(t *testing.T, res *Result, suffixes ...string) {
	t.Helper()
	files := res.Files()
	for _, s := range suffixes {
		if !hasFile(files, s) {
			t.Errorf("Files has no path ending in %q; it has:\n%s", s, strings.Join(files, "\n"))
		}
	}
}

func accessed(res *Result, op Op, path string) *Access {
	for i, a := range res.Accesses {
		if a.Op == op && a.Path == path {
			return &res.Accesses[i]
		}
	}
	return nil
}

func TestPython(t *testing.T) {
	t.Parallel()
	needProgram(t, "/usr/bin/python3")
	res := run(t, []string{"/usr/bin/python3", "-c", "import json, sqlite3, ssl, decimal"}, nil)
	wantFiles(t, res, "/usr/bin/python3", "/json/__init__.py", "/json/__pycache__/decoder.cpython-311.pyc",
		"/libssl.so.3", "/libsqlite3.so.0")
	files := res.Files()
	if !slices.ContainsFunc(files, func(f string) bool { return strings.Contains(f, "/_sqlite3.") && strings.HasSuffix(f, ".so") }) {
		t.Errorf("no _sqlite3 extension module in Files")
	}
	for _, f := range files {
		if !filepath.IsAbs(f) || filepath.Clean(f) != f {
			t.Errorf("Files has %q: not absolute and clean", f)
		}
		if pseudo(f) {
			t.Errorf("Files has %q", f)
		}
	}
	if a := accessed(res, OpListDir, "/usr/lib/python3.11"); a == nil || !a.Dir || a.Comm != "python3" {
		t.Errorf("no listing of /usr/lib/python3.11 by python3: %v", a)
	}
}

func TestPerl(t *testing.T) {
	t.Parallel()
	needProgram(t, "/usr/bin/perl")
	res := run(t, []string{"/usr/bin/perl", "-MPOSIX", "-MData::Dumper", "-e", "print Dumper(floor(1.5))"}, &Options{Stdout: new(bytes.Buffer)})
	wantFiles(t, res, "/POSIX.pm", "/Data/Dumper.pm", "/auto/POSIX/POSIX.so", "/auto/Data/Dumper/Dumper.so")
}

func TestPtraceError(t *testing.T) {
	err := ptraceError(syscall.EPERM, os.Getpid())
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "--cap-add SYS_PTRACE") {
		t.Errorf("got %q", err)
	}
}

func TestFileMagic(t *testing.T) {
	t.Parallel()
	needProgram(t, "/usr/bin/file")
	res := run(t, []string{"/usr/bin/file", "/bin/ls"}, nil)
	files := res.Files()
	if !slices.Contains(files, "/usr/lib/file/magic.mgc") && !slices.Contains(files, "/usr/share/misc/magic.mgc") {
		t.Errorf("no magic database in Files:\n%s", strings.Join(files, "\n"))
	}
	wantFiles(t, res, "/libmagic.so.1", "/bin/ls")
}

func TestDlopen(t *testing.T) {
	t.Parallel()
	prog, plugin := build(t, "dlopen"), build(t, "plugin.so")
	var out bytes.Buffer
	res := run(t, []string{prog, plugin}, &Options{Stdout: &out})
	if out.String() != "42\n" {
		t.Errorf("output %q", out.String())
	}
	wantFiles(t, res, plugin, prog)
}

func TestShell(t *testing.T) {
	t.Parallel()
	res := run(t, []string{"sh", "-c", "ls / | wc -l; date"}, nil)
	for _, p := range []string{"/usr/bin/ls", "/usr/bin/wc", "/usr/bin/date"} {
		if a := accessed(res, OpExec, p); a == nil {
			t.Errorf("%s not exec'd", p)
		} else if a.Comm != "sh" || a.PID == 0 {
			t.Errorf("exec of %s: PID %d Comm %q, want sh's", p, a.PID, a.Comm)
		}
	}
	if a := accessed(res, OpListDir, "/"); a == nil || a.Comm != "ls" {
		t.Errorf("no listing of / by ls: %v", a)
	}
	// sh was found in PATH: the path is the one used, not resolved.
	if accessed(res, OpExec, "/usr/bin/sh") == nil {
		t.Errorf("no exec of /usr/bin/sh")
	}
}

func TestScript(t *testing.T) {
	t.Parallel()
	script := filepath.Join(t.TempDir(), "wrapper")
	if err := os.WriteFile(script, []byte("#!/bin/sh -e\nexec cat /etc/passwd >/dev/null\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	res := run(t, []string{script}, nil)
	for _, p := range []string{script, "/bin/sh", "/usr/bin/cat"} {
		if accessed(res, OpExec, p) == nil {
			t.Errorf("%s not exec'd", p)
		}
	}
	wantFiles(t, res, "/etc/passwd", "/bin/sh")
}

func TestThreads(t *testing.T) {
	t.Parallel()
	prog := build(t, "threads")
	files := []string{"/etc/passwd", "/etc/group", "/etc/hostname", "/etc/hosts", "/etc/os-release", "/etc/shells"}
	res := run(t, append([]string{prog, "open"}, files...), nil)
	wantFiles(t, res, files...)
	for _, f := range files {
		n := 0
		for _, a := range res.Accesses {
			if a.Op == OpOpen && a.Path == f {
				n++
				if a.PID == 0 || a.Comm != "threads" {
					t.Errorf("open of %s: PID %d Comm %q", f, a.PID, a.Comm)
				}
			}
		}
		if n != 50 {
			t.Errorf("%s opened %d times, want 50", f, n)
		}
	}
}

// A thread that is not the leader execs: the kernel gives it the
// process's ID and the other threads vanish.
func TestThreadExec(t *testing.T) {
	t.Parallel()
	prog := build(t, "threads")
	res := run(t, []string{prog, "exec", "/usr/bin/true"}, nil)
	a := accessed(res, OpExec, "/usr/bin/true")
	if a == nil {
		t.Fatal("/usr/bin/true not exec'd")
	}
	if first := res.Accesses[0]; first.Op != OpExec || first.Path != prog || a.PID != first.PID {
		t.Errorf("exec by PID %d, want the program's %d", a.PID, first.PID)
	}
}

func TestForks(t *testing.T) {
	t.Parallel()
	prog := build(t, "forks")
	file := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(file, []byte("data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := run(t, []string{prog, "20", file}, nil)
	execs := map[string]int{}
	pids := map[int]bool{}
	for _, a := range res.Accesses {
		if a.Op == OpExec {
			execs[a.Path]++
		}
		if a.Op == OpOpen && a.Path == file {
			pids[a.PID] = true
		}
	}
	if execs["/bin/cat"] != 20 || execs["/usr/bin/head"] != 20 {
		t.Errorf("execs %v, want 20 of /bin/cat and of /usr/bin/head", execs)
	}
	// 20 cats, 20 heads, a child and a grandchild.
	if len(pids) != 42 {
		t.Errorf("%s opened by %d processes, want 42", file, len(pids))
	}
	wantFiles(t, res, file, "/bin/cat", "/usr/bin/head")
}

func TestWritten(t *testing.T) {
	t.Parallel()
	prog := build(t, "files")
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	res := run(t, []string{prog, "write", out}, nil)
	if a := accessed(res, OpOpen, out); a == nil || !a.Write {
		t.Errorf("open of %s: %v, want a write", out, a)
	}
	if hasFile(res.Files(), out) {
		t.Errorf("Files has %s, which the program wrote", out)
	}
	// The same through a shell redirection, and a file created with
	// O_CREAT that is only read afterwards.
	sh := filepath.Join(dir, "sh")
	res = run(t, []string{"/bin/sh", "-c", "echo hi >" + sh + "; cat " + sh + " /etc/passwd >/dev/null"}, nil)
	files := res.Files()
	if slices.Contains(files, sh) || !slices.Contains(files, "/etc/passwd") {
		t.Errorf("Files:\n%s", strings.Join(files, "\n"))
	}
}

func TestRelative(t *testing.T) {
	t.Parallel()
	prog := build(t, "files")
	res := run(t, []string{prog, "openat", "/usr/share", "zoneinfo/UTC"}, nil)
	wantFiles(t, res, "/usr/share/zoneinfo/UTC")
	if a := accessed(res, OpOpen, "/usr/share"); a == nil || !a.Dir {
		t.Errorf("open of /usr/share: %v, want a directory", a)
	}
	res = run(t, []string{"/bin/cat", "passwd", "./../etc/hosts"}, &Options{Dir: "/etc", Stdout: new(bytes.Buffer)})
	wantFiles(t, res, "/etc/passwd", "/etc/hosts")
	// A relative argv[0] is relative to Dir.
	res = run(t, []string{"./true"}, &Options{Dir: "/usr/bin"})
	if accessed(res, OpExec, "/usr/bin/true") == nil {
		t.Errorf("no exec of /usr/bin/true: %v", res.Accesses)
	}
}

func TestLookups(t *testing.T) {
	t.Parallel()
	prog := build(t, "files")
	dir := t.TempDir()
	link := filepath.Join(dir, "link")
	if err := os.Symlink("/etc", link); err != nil {
		t.Fatal(err)
	}
	res := run(t, []string{prog, "lookup", "/usr/share", link}, nil)
	// stat (newfstatat) and statx, each with the mode read back.
	n := 0
	for _, a := range res.Accesses {
		if a.Op == OpStat && a.Path == "/usr/share" && a.Dir {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d stats of /usr/share as a directory, want 2: %v", n, res.Accesses)
	}
	if a := accessed(res, OpStat, link); a == nil || a.Dir {
		t.Errorf("lstat of %s: %v, want a non-directory", link, a)
	}
	for _, want := range []struct {
		op   Op
		path string
	}{{OpAccess, "/usr/share"}, {OpReadlink, link}} {
		if accessed(res, want.op, want.path) == nil {
			t.Errorf("no %v of %s", want.op, want.path)
		}
	}
	// A directory looked up is a lookup; a link lstat'ed is a file,
	// to keep as it is.
	if l := res.Lookups(); !slices.Contains(l, "/usr/share") || slices.Contains(l, link) {
		t.Errorf("Lookups: %v", l)
	}
	if f := res.Files(); !slices.Contains(f, link) || slices.Contains(f, "/usr/share") {
		t.Errorf("Files: %v", f)
	}
}

// Calls and flags that name files in less common ways.
func TestRareCalls(t *testing.T) {
	t.Parallel()
	prog := build(t, "files")
	dir := t.TempDir()

	// openat2 with RESOLVE_IN_ROOT: "/" is the dirfd.
	res := run(t, []string{prog, "openat2", "/usr", "/share/zoneinfo/UTC"}, nil)
	wantFiles(t, res, "/usr/share/zoneinfo/UTC")

	// O_TMPFILE: the directory is used, nothing is named or written.
	res = run(t, []string{prog, "tmpfile", dir}, nil)
	if a := accessed(res, OpOpen, dir); a == nil || !a.Dir || a.Write {
		t.Errorf("O_TMPFILE open of %s: %v", dir, a)
	}

	// creat writes.
	created := filepath.Join(dir, "created")
	res = run(t, []string{prog, "creat", created}, nil)
	if a := accessed(res, OpOpen, created); a == nil || !a.Write {
		t.Errorf("creat of %s: %v", created, a)
	}

	// fexecve is execveat(fd, "", AT_EMPTY_PATH): the path is the
	// descriptor's.
	res = run(t, []string{prog, "fexecve", "/usr/bin/true"}, nil)
	if a := accessed(res, OpExec, "/usr/bin/true"); a == nil || a.Comm != "files" {
		t.Errorf("no exec of /usr/bin/true by files: %v", res.Accesses)
	}
}

func TestSignals(t *testing.T) {
	t.Parallel()
	prog := build(t, "files")
	// A signal the program handles is delivered to it.
	res := run(t, []string{prog, "signal", "/etc/passwd"}, nil)
	wantFiles(t, res, "/etc/passwd")
	// A child stops (group-stop) until its parent sends SIGCONT.
	res = run(t, []string{prog, "stop", "/etc/hosts"}, &Options{Timeout: 10 * time.Second})
	wantFiles(t, res, "/etc/hosts")
}

// A 64-bit program makes an i386 system call (int $0x80), which a tracer
// that only knows x86-64 numbers misses (5 is fstat there).
func TestI386(t *testing.T) {
	t.Parallel()
	prog := build(t, "files")
	if err := exec.Command(prog, "int80", "/etc/passwd").Run(); err != nil {
		t.Skipf("no i386 system calls here: %v", err)
	}
	res := run(t, []string{prog, "int80", "/etc/passwd"}, nil)
	wantFiles(t, res, "/etc/passwd")
}

func TestStdio(t *testing.T) {
	t.Parallel()
	var out, errs bytes.Buffer
	res, err := Run(context.Background(), []string{"/bin/sh", "-c", "cat; echo oops >&2; exit 3"},
		&Options{Stdin: strings.NewReader("hello\n"), Stdout: &out, Stderr: &errs, Env: testEnv})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 3 || out.String() != "hello\n" || errs.String() != "oops\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", res.ExitCode, out.String(), errs.String())
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	// A tree of processes: the shell, a sleep in the background and
	// one in the foreground.
	marker := "100.4242"
	start := time.Now()
	res, err := Run(context.Background(), []string{"/bin/sh", "-c", "sleep " + marker + " & sleep " + marker + "; wait"},
		&Options{Timeout: 3 * time.Second, Env: testEnv}) // time for the shell to start sleep on a loaded machine
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("no error")
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "/bin/sh: killed after 3s timeout") {
		t.Errorf("error %q, want a timeout", err)
	}
	if elapsed > 10*time.Second {
		t.Errorf("Run took %v", elapsed)
	}
	if res == nil || res.Signal.String() != "killed" || accessed(res, OpExec, "/usr/bin/sleep") == nil {
		t.Errorf("partial result %+v", res)
	}
	// No process is left: none has the marker on its command line
	// (zombies have an empty one).
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(marker)) {
			t.Errorf("left running: %s: %q", p, b)
		}
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	_, err := Run(ctx, []string{"/bin/sleep", "100"}, nil)
	if !errors.Is(err, context.Canceled) || err.Error() != "trace: /bin/sleep: killed: context canceled" {
		t.Errorf("error %v, want a cancellation", err)
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	res, err := Run(context.Background(), []string{"/nonexistent/prog"}, nil)
	if res != nil || !errors.Is(err, fs.ErrNotExist) || err.Error() != "trace: /nonexistent/prog: exec: no such file or directory" {
		t.Errorf("got %v, %v", res, err)
	}
	_, err = Run(context.Background(), []string{"no-such-program-anywhere"}, &Options{})
	if !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("got %v, want exec.ErrNotFound", err)
	}
	_, err = Run(context.Background(), []string{"/bin/true"}, &Options{Dir: "/nonexistent"})
	if !errors.Is(err, fs.ErrNotExist) || err.Error() != "trace: /bin/true: chdir /nonexistent: no such file or directory" {
		t.Errorf("got %v for a missing Dir", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Prog != "/bin/true" {
		t.Errorf("got %#v, want an *Error for /bin/true", err)
	}
}

func TestCleanPath(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"/usr//bin/./ls":               "/usr/bin/ls",
		"/usr/bin/../lib":              "/usr/lib",
		"/../etc":                      "/etc",
		dir + "/link/../x":             dir + "/a/x",     // the kernel's ".." of a link
		dir + "/link/c/../x":           dir + "/link/x",  // c is no link
		dir + "/link/../link/../b/..x": dir + "/a/b/..x", // twice
		"/a..b/c":                      "/a..b/c",
	} {
		if got := cleanPath(in); got != want {
			t.Errorf("cleanPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFilter(t *testing.T) {
	prog, err := buildFilter()
	if err != nil {
		t.Fatal(err)
	}
	if len(prog) < len(calls)*2 {
		t.Errorf("%d instructions for %d calls", len(prog), len(calls))
	}
}

// TestProcMem traces with the /proc/PID/mem fallback of
// process_vm_readv. Not parallel: the switch is global.
func TestProcMem(t *testing.T) {
	noVMReadv.Store(true)
	defer noVMReadv.Store(false)
	long := "/" + strings.Repeat("./", 200) + "etc/passwd" // read in two chunks
	res := run(t, []string{"/bin/cat", long}, &Options{Stdout: new(bytes.Buffer)})
	wantFiles(t, res, "/etc/passwd", "/bin/cat")
}

// BenchmarkTrace compares file-heavy programs run untraced and traced.
func BenchmarkTrace(b *testing.B) {
	for _, bench := range []struct {
		name string
		argv []string
	}{
		{"python", []string{"/usr/bin/python3", "-c", "import json, sqlite3, decimal, ssl, email, http.client"}},
		{"zoneinfo", []string{"/bin/sh", "-c", "find /usr/share/zoneinfo -type f | xargs cat >/dev/null"}},
	} {
		if _, err := os.Stat(bench.argv[0]); err != nil {
			b.Log(err)
			continue
		}
		b.Run(bench.name+"/untraced", func(b *testing.B) {
			for b.Loop() {
				cmd := exec.Command(bench.argv[0], bench.argv[1:]...)
				cmd.Env = testEnv
				if err := cmd.Run(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bench.name+"/traced", func(b *testing.B) {
			n := 0
			for b.Loop() {
				res := run(b, bench.argv, nil)
				n = len(res.Accesses)
			}
			b.ReportMetric(float64(n), "accesses/op")
		})
	}
}
