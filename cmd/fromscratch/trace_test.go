package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
	"github.com/fromscratch/fromscratch/trace"
)

// e2eSrc is where the C sources and the script of these tests are.
const e2eSrc = "../../testdata/trace-e2e"

// traceCLI runs fromscratch in-process like fromscratch(), with stdin as
// its standard input: --trace passes os.Stdin to the traced program.
func traceCLI(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "stdin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(stdin); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	old := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = old }()
	start := time.Now()
	stdout, stderr, code = fromscratch(t, args...)
	t.Logf("fromscratch %s: %v", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	return stdout, stderr, code
}

// e2eTree builds the programs of testdata/trace-e2e into dir as a
// program installs itself under /opt: bin/plugins with its RUNPATH
// $ORIGIN/../lib, where lib/libhello-plugin.so and its own library
// libshout.so.1 (a SONAME link) are, and bin/three.sh. It returns dir/opt/e2e.
func e2eTree(t *testing.T) string {
	t.Helper()
	testenv.NeedCommand(t, "gcc")
	base, build := filepath.Join(t.TempDir(), "opt", "e2e"), t.TempDir()
	lib := filepath.Join(base, "lib")
	testenv.BuildC(t, build, filepath.Join(lib, "libshout.so.1.0"), e2eSrc+"/shout.c",
		"-shared", "-fPIC", "-Wl,-soname,libshout.so.1")
	for _, l := range []string{filepath.Join(lib, "libshout.so.1"), filepath.Join(build, "libshout.so")} {
		if err := os.Symlink(filepath.Join(lib, "libshout.so.1.0"), l); err != nil {
			t.Fatal(err)
		}
	}
	testenv.BuildC(t, build, filepath.Join(lib, "libhello-plugin.so"), e2eSrc+"/plugin.c",
		"-shared", "-fPIC", "-Wl,-rpath,$ORIGIN", "-L", build, "-lshout")
	testenv.BuildC(t, build, filepath.Join(base, "bin", "plugins"), e2eSrc+"/plugins.c", "-Wl,-rpath,$ORIGIN/../lib")
	testenv.CopyFile(t, e2eSrc+"/three.sh", filepath.Join(base, "bin", "three.sh"))
	return base
}

// A traceCase is a program that --trace makes into a rootfs and an image
// that give the host's output.
type traceCase struct {
	name  string
	prog  string   // PROG
	args  []string // ARGS, after --
	stdin string
	env   []string // the environment of the host, chroot and docker runs
}

// TestTrace traces each program with rootfs --trace and runs it in the
// rootfs with testenv.RunChroot, then with image --trace, docker load and
// docker run; all three give the output of a run on the host.
func TestTrace(t *testing.T) {
	testenv.NeedRoot(t)
	e2e := e2eTree(t)
	python := `import json, sqlite3, ssl, decimal
db = sqlite3.connect(":memory:")
db.execute("create table t (x)")
db.executemany("insert into t values (?)", [(1,), (2,), (3,)])
ctx = ssl.create_default_context()
print(json.dumps({
    "sum": db.execute("select sum(x) from t").fetchone()[0],
    "decimal": str(decimal.Decimal("0.1") + decimal.Decimal("0.2")),
    "sqlite": sqlite3.sqlite_version,
    "openssl": ssl.OPENSSL_VERSION,
    "cas": ctx.cert_store_stats()["x509_ca"] > 0,
}, sort_keys=True))`
	perl := `print JSON->new->canonical->encode({floor => floor(2.5), year => strftime("%Y", gmtime(86400 * 365)), list => [1, 2]}), "\n"`
	cases := []traceCase{
		{name: "python", prog: "/usr/bin/python3", args: []string{"-c", python}},
		{name: "perl", prog: "/usr/bin/perl", args: []string{"-MPOSIX=floor,strftime", "-MJSON", "-e", perl}},
		{name: "file", prog: "/usr/bin/file", args: []string{"/bin/true", "/etc/os-release"}},
		{name: "psql", prog: "/usr/bin/psql", args: []string{"--version"}},
		{name: "dlopen", prog: filepath.Join(e2e, "bin", "plugins"), args: []string{"libhello-plugin.so"}},
		{name: "script", prog: filepath.Join(e2e, "bin", "three.sh"), stdin: "b\na\nc\na\nb\na\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			testenv.NeedCommand(t, c.prog)
			argv := append([]string{c.prog}, c.args...)
			want, stderr, exit := testenv.RunHost(t, c.env, c.stdin, argv...)
			if exit != 0 || len(want) == 0 {
				t.Fatalf("on the host: exit %d, stdout %q, stderr %s", exit, want, stderr)
			}
			t.Run("chroot", func(t *testing.T) {
				rootfs := filepath.Join(t.TempDir(), "rootfs")
				args := append([]string{"rootfs", "--trace", "--trace-timeout", "2m", "-o", rootfs, c.prog, "--"}, c.args...)
				stdout, stderr, code := traceCLI(t, c.stdin, args...)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				if stdout != "" || !strings.Contains(stderr, string(want)) {
					t.Errorf("the traced run printed %q on stdout and %q on stderr, want the host's %q on stderr", stdout, stderr, want)
				}
				got, errOut, exit := testenv.RunChroot(t, rootfs, c.env, c.stdin, argv...)
				if exit != 0 || !bytes.Equal(got, want) {
					t.Errorf("in the rootfs: exit %d, stdout %q, want %q; stderr %s\nfromscratch said: %s", exit, got, want, errOut, stderr)
				}
			})
			t.Run("docker", func(t *testing.T) {
				testenv.NeedDocker(t)
				tag := testenv.Name(t) + ":latest"
				tarball := filepath.Join(t.TempDir(), "image.tar")
				args := append([]string{"image", "--trace", "--trace-timeout", "2m", "--tarball", tarball, "--tag", tag, c.prog, "--"}, c.args...)
				stdout, stderr, code := traceCLI(t, c.stdin, args...)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				if !digestLine.MatchString(stdout) || !strings.Contains(stderr, string(want)) {
					t.Errorf("image --trace printed %q, want the digest alone, and the host's %q on stderr", stdout, want)
				}
				dockerLoad(t, tarball, tag)
				got, errOut, exit := dockerRun(t, tag, c.stdin, nil, c.env, c.args...)
				if exit != 0 || !bytes.Equal(got, want) {
					t.Errorf("docker run: exit %d, stdout %q, want %q; stderr %s\nfromscratch said: %s", exit, got, want, errOut, stderr)
				}
			})
		})
	}

	// The trace is what makes the plugin load: without it the rootfs has
	// the program and its libraries only.
	t.Run("dlopen without trace", func(t *testing.T) {
		rootfs := filepath.Join(t.TempDir(), "rootfs")
		prog := filepath.Join(e2e, "bin", "plugins")
		if _, stderr, code := fromscratch(t, "rootfs", "-o", rootfs, prog); code != 0 || !strings.Contains(stderr, "dlopen") {
			t.Fatalf("exit %d, want 0 and a warning about dlopen: %s", code, stderr)
		}
		if _, _, exit := testenv.RunChroot(t, rootfs, nil, "", prog, "libhello-plugin.so"); exit == 0 {
			t.Errorf("the plugin loads in a rootfs made without --trace")
		}
	})
}

var digestLine = regexp.MustCompile(`^sha256:[0-9a-f]{64}\n$`)

// dockerLoad loads the docker tarball, whose image is tag, and removes
// the image when the test ends.
func dockerLoad(t *testing.T, tarball, tag string) {
	t.Helper()
	if out, errOut, exit := testenv.Docker(t, "load", "-i", tarball); exit != 0 || !strings.Contains(string(out), "Loaded image: "+tag) {
		t.Fatalf("docker load: exit %d: %s%s", exit, out, errOut)
	}
	t.Cleanup(func() { testenv.Docker(t, "rmi", tag) })
}

// dockerRun runs the image tag with args, stdin and env, with no network.
func dockerRun(t *testing.T, tag, stdin string, runFlags, env []string, args ...string) (stdout, stderr []byte, exit int) {
	t.Helper()
	run := []string{testenv.DockerClient(), "run", "--rm", "--network", "none"}
	if stdin != "" {
		run = append(run, "-i")
	}
	for _, e := range env {
		run = append(run, "-e", e)
	}
	run = append(run, runFlags...)
	run = append(run, tag)
	run = append(run, args...)
	denv := []string{"DOCKER_HOST=" + testenv.NeedDocker(t), "HOME=" + t.TempDir(), testenv.DefaultPath}
	start := time.Now()
	stdout, stderr, exit = testenv.RunHost(t, denv, stdin, run...)
	t.Logf("docker run %s: %v", tag, time.Since(start).Round(time.Millisecond))
	return stdout, stderr, exit
}

// Threads and processes: every file any of them used is in the rootfs,
// nothing hangs, and the program runs there as it did under the tracer.
func TestTraceProcesses(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "gcc")
	build := t.TempDir()
	threads := testenv.BuildC(t, build, "threads", "../../testdata/trace/threads.c", "-pthread")
	forks := testenv.BuildC(t, build, "forks", "../../testdata/trace/forks.c")
	data := t.TempDir()
	var files []string
	for i := range 8 {
		p := filepath.Join(data, fmt.Sprintf("file%d", i))
		if err := os.WriteFile(p, []byte("data\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	for _, c := range []struct {
		name string
		argv []string
		want []string // in the rootfs
	}{
		{"threads open", append([]string{threads, "open"}, files...), files},
		{"thread exec", []string{threads, "exec", "/bin/true"}, []string{"/usr/bin/true"}},
		{"forks", []string{forks, "3", files[0]}, []string{files[0], "/usr/bin/cat", "/usr/bin/head"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rootfs := filepath.Join(t.TempDir(), "rootfs")
			args := append([]string{"rootfs", "--trace", "--trace-timeout", "1m", "-o", rootfs, c.argv[0], "--"}, c.argv[1:]...)
			if _, stderr, code := traceCLI(t, "", args...); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, p := range c.want {
				if _, err := os.Stat(filepath.Join(rootfs, p)); err != nil {
					t.Errorf("%s not in the rootfs: %v", p, err)
				}
			}
			if stdout, stderr, exit := testenv.RunChroot(t, rootfs, nil, "", c.argv...); exit != 0 {
				t.Errorf("in the rootfs: exit %d: %s%s", exit, stdout, stderr)
			}
		})
	}
}

// A run that does not end by --trace-timeout is an error that says so,
// and nothing is written: not the rootfs, not the tarball. A daemon left
// behind by the program is a run that does not end.
func TestTraceTimeout(t *testing.T) {
	out := t.TempDir()
	for _, args := range [][]string{
		{"rootfs", "--trace", "--trace-timeout", "300ms", "-o", filepath.Join(out, "rootfs"), "/bin/sleep", "--", "30"},
		{"image", "--trace", "--trace-timeout", "300ms", "--tarball", filepath.Join(out, "image.tar"), "/bin/sh", "--", "-c", "sleep 30 & exit 0"},
	} {
		start := time.Now()
		_, stderr, code := traceCLI(t, "", args...)
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("%s: took %v", args[0], d)
		}
		prog := args[slices.Index(args, "--")-1]
		oneLineError(t, stderr, code, "killed after 300ms", "--trace-timeout", "nothing written", prog)
	}
	emptyDir(t, out)
}

// The reasons of traced files name the process that used them first, the
// way it used them; a file the run wrote is not there at all.
func TestTracedReasons(t *testing.T) {
	testenv.NeedCommand(t, "gcc")
	threads := testenv.BuildC(t, t.TempDir(), "threads", "../../testdata/trace/threads.c", "-pthread")
	dir := t.TempDir()
	written := filepath.Join(dir, "written")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	script := fmt.Sprintf("test -f /etc/debian_version; /usr/bin/ls %s >/dev/null; /usr/bin/cat /etc/os-release >%s; %s exec /bin/true", dir, written, threads)
	res, err := trace.Run(ctx, []string{"/bin/sh", "-c", script}, nil)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, f := range collector.FromTrace(res) {
		reasons[f.Path] = f.Reason
		if f.StatOnly {
			reasons[f.Path] += " (stat only)"
		}
	}
	for p, want := range map[string]string{
		"/bin/sh":             `^executed by the traced run \(pid \d+\)$`,
		"/usr/bin/ls":         `^executed by pid \d+ \(sh\)$`,
		"/etc/debian_version": `^stat'ed by pid \d+ \(sh\) \(stat only\)$`,
		dir:                   `^listed by pid \d+ \(ls\)$`,
		"/etc/os-release":     `^opened by pid \d+ \(cat\)$`,
		threads:               `^executed by pid \d+ \(sh\)$`,
		"/bin/true":           `^executed by pid \d+ \(threads\)$`,
	} {
		if !regexp.MustCompile(want).MatchString(reasons[p]) {
			t.Errorf("%s: reason %q, want %s", p, reasons[p], want)
		}
	}
	if r, ok := reasons[written]; ok {
		t.Errorf("%s, written by the run, is traced (%s)", written, r)
	}
}

// TestTraceInContainer runs fromscratch --trace as root in a container
// with Docker's default seccomp profile and capabilities, as a builder
// stage does; where a seccomp profile forbids ptrace, it fails with an
// error that says so.
func TestTraceInContainer(t *testing.T) {
	testenv.NeedDocker(t)
	e2e := e2eTree(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(e2e, "bin", "plugins")
	tag := testenv.Name(t) + ":latest"
	tarball := filepath.Join(t.TempDir(), "builder.tar")
	// The builder: this test binary, which runs as fromscratch (see
	// TestCLIHelper), and the plugin program with its plugins.
	if _, stderr, code := fromscratch(t, "image", "--tarball", tarball, "--tag", tag, "-q",
		"--env", cliHelperEnv+"=1", "--entrypoint", self+",-test.run=^TestCLIHelper$,--",
		"--add", filepath.Join(e2e, "lib"), self, prog); code != 0 {
		t.Fatalf("builder image: exit %d: %s", code, stderr)
	}
	dockerLoad(t, tarball, tag)
	const want = "libhello-plugin.so: HELLO FROM A PLUGIN\n"
	stdout, stderr, exit := dockerRun(t, tag, "", nil, nil,
		"rootfs", "--trace", "--trace-timeout", "1m", "-o", "/out", prog, "--", "libhello-plugin.so")
	if exit != 0 || len(stdout) != 0 || !strings.Contains(string(stderr), want) || !strings.Contains(string(stderr), "wrote /out") {
		t.Errorf("rootfs --trace in a container: exit %d, stdout %q (want none), stderr %s (want %q first)", exit, stdout, stderr, want)
	}

	profile := filepath.Join(t.TempDir(), "no-ptrace.json")
	if err := os.WriteFile(profile, []byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_ERRNO"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("no ptrace", func(t *testing.T) {
		stdout, stderr, exit := dockerRun(t, tag, "", []string{"--security-opt", "seccomp=" + profile}, nil,
			"rootfs", "--trace", "-o", "/out", prog, "--", "libhello-plugin.so")
		if len(stdout) != 0 {
			t.Errorf("stdout %q", stdout)
		}
		oneLineError(t, string(stderr), exit, "ptrace not permitted", "seccomp", prog)
	})
}

// cliHelperEnv makes TestCLIHelper run fromscratch with the arguments
// after "--": the test binary is then the fromscratch command, in a
// container that has no Go toolchain.
const cliHelperEnv = "FROMSCRATCH_TEST_CLI_HELPER"

func TestCLIHelper(t *testing.T) {
	if os.Getenv(cliHelperEnv) == "" {
		return // only run as the command, by TestTraceInContainer
	}
	os.Exit(run(flag.Args(), os.Stdout, os.Stderr))
}
