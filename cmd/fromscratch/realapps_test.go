package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// A realApp is a Debian application collected from this machine's root
// without --trace, run in docker from its image.
type realApp struct {
	name  string
	progs []string // the programs of the image, the first its entrypoint
	// flags are what neither the rules nor --fix find and the build is
	// given by hand, each with why; --fix is always given.
	flags []string
	// check are the arguments of the run that --fix checks (after --), and
	// checkFlags its flags (--check-timeout for a server, --env).
	check, checkFlags []string
	// run runs the image and checks the application works.
	run func(t *testing.T, ref string)
}

// realApps are the applications; see TestRealApplications.
var realApps = []realApp{
	{
		// nginx from its package, with its default configuration
		// (nginx-common's conffiles and the site its postinst enabled),
		// serving its default page; the workers drop to www-data.
		// --fix adds www-data and its group (nginx.conf's "user
		// www-data;": the root's run setgid's, setgroups and setuid's
		// to 33), /run (the pid file's directory) and the modules
		// that /etc/nginx/modules-enabled, which nginx lists, loads.
		name:  "nginx",
		progs: []string{"/usr/sbin/nginx"},
		// The default site's root, made by nginx-common's postinst, is
		// read only on a request, which the check's run does not make:
		// --fix cannot see it.
		flags:      []string{"--add", "/var/www/html"},
		check:      []string{"-g", "daemon off;"},
		checkFlags: []string{"--check-timeout", "3s"},
		run: func(t *testing.T, ref string) {
			id := dockerServer(t, ref, "--", "-g", "daemon off;")
			pid := containerPid(t, id)
			body := nsProbe(t, pid, "curl", "-sS", "--retry", "20", "--retry-connrefused", "--retry-delay", "1", "http://127.0.0.1/")
			page, err := os.ReadFile("/var/www/html/index.nginx-debian.html")
			if err != nil {
				t.Fatal(err)
			}
			if body != string(page) {
				t.Errorf("curl http://127.0.0.1/: %q, want the default page %q", clip([]byte(body)), clip(page))
			}
			// The master is root, its workers the service user.
			wantUser(t, pid, "www-data", true)
		},
	},
	{
		// redis-server with its package's redis.conf (in the foreground),
		// answered by redis-cli.
		name:  "redis",
		progs: []string{"/usr/bin/redis-server"},
		// --fix finds /var/log/redis, redis.conf's log directory, which
		// redis-tools' postinst makes (in no package list).
		check:      []string{"/etc/redis/redis.conf", "--daemonize", "no"},
		checkFlags: []string{"--check-timeout", "3s"},
		run: func(t *testing.T, ref string) {
			id := dockerServer(t, ref, "--", "/etc/redis/redis.conf", "--daemonize", "no")
			pid := containerPid(t, id)
			var got string
			for i := 0; i < 50; i++ {
				if got, _ = nsProbeErr(pid, "redis-cli", "-h", "127.0.0.1", "ping"); got == "PONG\n" {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			if got != "PONG\n" {
				t.Fatalf("redis-cli ping: %q; logs:\n%s", got, dockerLogs(t, id))
			}
			nsProbe(t, pid, "redis-cli", "-h", "127.0.0.1", "set", "greeting", "héllo")
			if got := nsProbe(t, pid, "redis-cli", "-h", "127.0.0.1", "get", "greeting"); got != "héllo\n" {
				t.Errorf("redis-cli get: %q", got)
			}
			// The log file in the package's directory, owned by redis.
			if logs := readInContainer(t, id, "/var/log/redis/redis-server.log"); !strings.Contains(logs, "Ready to accept connections") {
				t.Errorf("redis-server.log: %q", clip([]byte(logs)))
			}
		},
	},
	{
		// memcached drops privileges to its service user with -u: --fix
		// adds memcache and its group, which the root's run setgid's
		// and setuid's to.
		name:       "memcached",
		progs:      []string{"/usr/bin/memcached"},
		check:      []string{"-u", "memcache", "-l", "127.0.0.1", "-p", "11211"},
		checkFlags: []string{"--check-timeout", "2s"},
		run: func(t *testing.T, ref string) {
			id := dockerServer(t, ref, "--", "-u", "memcache", "-l", "127.0.0.1", "-p", "11211")
			pid := containerPid(t, id)
			got := nsProbe(t, pid, "bash", "-c", `for i in $(seq 50); do exec 3<>/dev/tcp/127.0.0.1/11211 && break; sleep 0.2; done; printf 'set k 0 0 5\r\nhello\r\nget k\r\nquit\r\n' >&3; cat <&3`)
			if !strings.Contains(got, "STORED\r\nVALUE k 0 5\r\nhello\r\nEND\r\n") {
				t.Errorf("memcached set/get: %q", got)
			}
			wantUser(t, pid, "memcache", false)
		},
	},
	{
		// fortune's cookies are another package's data (fortunes-min):
		// --fix adds /usr/share/games/fortunes (opened in vain), then
		// the files under it that the root's run opened after listing
		// it, which the image's run listed empty.
		name:  "fortune",
		progs: []string{"/usr/games/fortune"},
		check: []string{"-f"},
		run: func(t *testing.T, ref string) {
			sameAsHost(t, ref, nil, "", "/usr/games/fortune", "-f")
			if out := runImage(t, ref, nil, "", "/usr/games/fortune"); out.exit != 0 || len(out.stdout) == 0 {
				t.Errorf("fortune: exit %d, stdout %q, stderr %q", out.exit, out.stdout, out.stderr)
			}
		},
	},
	{
		// aspell checks English with aspell-en's dictionaries: --fix
		// adds /usr/lib/aspell, then what the root's run used in it
		// after listing it (the .multi and .rws dictionaries, with the
		// symlinks to those aspell-en's postinst compiled in
		// /var/lib/aspell, the filters).
		name:  "aspell",
		progs: []string{"/usr/bin/aspell"},
		check: []string{"-a", "-l", "en"},
		run: func(t *testing.T, ref string) {
			sameAsHost(t, ref, nil, "helo wrold, this is fine\n", "/usr/bin/aspell", "-a", "-l", "en")
		},
	},
	{
		// wc -m counts characters under LANG=C.UTF-8: the locales rule.
		name:       "wc",
		progs:      []string{"/usr/bin/wc"},
		check:      []string{"-m"},
		checkFlags: []string{"--env", "LANG=C.UTF-8"},
		run: func(t *testing.T, ref string) {
			sameAsHost(t, ref, []string{"LANG=C.UTF-8"}, "héllo wörld ✓ ñ\n", "/usr/bin/wc", "-m")
		},
	},
	{
		// gawk upcases UTF-8 under LANG=C.UTF-8: the locales rule again.
		name:       "gawk",
		progs:      []string{"/usr/bin/gawk"},
		check:      []string{`BEGIN { print toupper("é") }`},
		checkFlags: []string{"--env", "LANG=C.UTF-8"},
		run: func(t *testing.T, ref string) {
			sameAsHost(t, ref, []string{"LANG=C.UTF-8"}, "ça été ñandú\n", "/usr/bin/gawk", `{ print toupper($0), length($0) }`)
		},
	},
	{
		// git initialises a repository, templates and all, without a
		// warning: --fix adds the templates directory (opened in vain),
		// then what git init copied from it in the root's run (it lists
		// the directory and each subdirectory).
		name:       "git",
		progs:      []string{"/usr/bin/git"},
		check:      []string{"-c", "init.defaultBranch=main", "init", "/tmp/repo"},
		checkFlags: []string{"--env", "HOME=/tmp"},
		run: func(t *testing.T, ref string) {
			out := runImage(t, ref, []string{"HOME=/tmp"}, "", "/usr/bin/git", "-c", "init.defaultBranch=main", "init", "/tmp/repo")
			if out.exit != 0 || string(out.stdout) != "Initialized empty Git repository in /tmp/repo/.git/\n" || len(out.stderr) != 0 {
				t.Errorf("git init: exit %d, stdout %q, stderr %q", out.exit, out.stdout, out.stderr)
			}
		},
	},
	{
		name:  "sqlite3",
		progs: []string{"/usr/bin/sqlite3"},
		check: []string{":memory:", "select sqlite_version();"},
		run: func(t *testing.T, ref string) {
			sameAsHost(t, ref, nil, "create table t(x); insert into t values ('b'),('a'); select group_concat(x) from (select x from t order by x);\n", "/usr/bin/sqlite3", "-json", ":memory:")
		},
	},
	{
		name:  "jq",
		progs: []string{"/usr/bin/jq"},
		check: []string{"-n", "[1,2]|add"},
		run: func(t *testing.T, ref string) {
			sameAsHost(t, ref, nil, `{"a":[3,1,2],"b":"é"}`, "/usr/bin/jq", "-c", ".a|sort")
		},
	},
	{
		// openssl reads its configuration (openssl's conffile).
		name:  "openssl",
		progs: []string{"/usr/bin/openssl"},
		check: []string{"version", "-d"},
		run: func(t *testing.T, ref string) {
			sameAsHost(t, ref, nil, "data\n", "/usr/bin/openssl", "dgst", "-sha256")
			sameAsHost(t, ref, nil, "", "/usr/bin/openssl", "version", "-d")
		},
	},
	{
		name:  "bc",
		progs: []string{"/usr/bin/bc"},
		check: []string{"-l"},
		run: func(t *testing.T, ref string) {
			sameAsHost(t, ref, nil, "scale=20; 4*a(1)\n", "/usr/bin/bc", "-l")
		},
	},
}

// TestRealApplications builds an image of each Debian application of
// realApps from this machine's root without --trace, with --fix, runs it
// in docker
// (servers with --network none, probed by their package's own client from
// the host inside the container's network namespace) and checks it works
// as on the host. Each says what the rules added for it and why.
func TestRealApplications(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedDocker(t)
	testenv.NeedCommand(t, "nsenter", "curl", "redis-cli", "bash")
	for _, a := range realApps {
		for _, p := range a.progs {
			if _, err := os.Stat(p); err != nil {
				testenv.Unavailable(t, "%s (.ci/packages): %v", p, err)
			}
		}
	}
	dir := t.TempDir()
	// The builds first, one at a time, as each logs what --fix added;
	// then the loads and runs, in parallel.
	refs := map[string]string{}
	for _, a := range realApps {
		t.Run("build/"+a.name, func(t *testing.T) {
			ref := testenv.Name(t) + ":1"
			tar := filepath.Join(dir, a.name+".tar")
			args := append([]string{"--tarball", tar, "--tag", ref, "--fix"}, a.flags...)
			args = append(append(args, a.checkFlags...), a.progs...)
			if a.check != nil {
				args = append(append(args, "--"), a.check...)
			}
			fixed := buildFixed(t, args...)
			logAdded(t, a, fixed)
			refs[a.name] = ref
		})
	}
	t.Run("run", func(t *testing.T) {
		for _, a := range realApps {
			t.Run(a.name, func(t *testing.T) {
				ref := refs[a.name]
				if ref == "" {
					t.Skip("not built")
				}
				t.Parallel()
				dockerLoad(t, filepath.Join(dir, a.name+".tar"), ref)
				a.run(t, ref)
			})
		}
	})
}

// buildFixed runs fromscratch image --fix with args, fails the test unless
// it succeeded, and returns the lines in which the fix loop said what it
// added.
func buildFixed(t *testing.T, args ...string) []string {
	t.Helper()
	start := time.Now()
	stdout, stderr, code := fromscratch(t, append([]string{"image"}, args...)...)
	if code != 0 || !strings.HasPrefix(stdout, "sha256:") {
		t.Fatalf("fromscratch image %s: exit %d, stdout %q\n%s", strings.Join(args, " "), code, stdout, stderr)
	}
	var fixed []string
	for _, line := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(line, "fromscratch: check: ") {
			fixed = append(fixed, "  "+strings.TrimPrefix(line, "fromscratch: "))
		}
	}
	t.Logf("fromscratch image %s: %v", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	return fixed
}

// logAdded says what the rules added for the application beyond the
// loader's closure, and why (the plan's entries with a rule's reason), and
// what --fix added.
func logAdded(t *testing.T, a realApp, fixed []string) {
	t.Helper()
	opts := []collector.Option{}
	for i := 0; i+1 < len(a.flags); i += 2 {
		switch a.flags[i] {
		case "--add":
			opts = append(opts, collector.WithAdd(a.flags[i+1], ""))
		case "--add-user":
			opts = append(opts, collector.WithUserNames(a.flags[i+1]))
		}
	}
	plan, err := collector.Collect(a.progs, opts...)
	if err != nil {
		t.Fatal(err)
	}
	rules := []collector.Rule{collector.RuleLocale, collector.RuleConffiles, collector.RuleDlopenNote, collector.RuleUsers, collector.RuleAccounts, collector.RuleAdd}
	var lines []string
	skipped := 0
	for _, e := range plan.Entries {
		for _, r := range e.Reasons {
			if !slices.Contains(rules, r.Rule) {
				continue
			}
			if strings.Contains(e.Path, "/C.utf8/") || r.Rule == collector.RuleAdd && strings.Count(e.Path, "/") > 4 {
				skipped++
				break
			}
			owner := ""
			if e.Uid != 0 || e.Gid != 0 {
				owner = fmt.Sprintf(" [%d:%d]", e.Uid, e.Gid)
			}
			lines = append(lines, fmt.Sprintf("  %s %s%s: %s", e.Kind, e.Path, owner, strings.Join(collector.Texts(e.Reasons), "; ")))
			break
		}
	}
	t.Logf("%s: the rules and flags added (and %d more files of the same trees):\n%s\n--fix:\n%s", a.name, skipped, strings.Join(lines, "\n"), strings.Join(fixed, "\n"))
}

// runImage runs argv in the image with --network none.
func runImage(t *testing.T, ref string, env []string, stdin string, argv ...string) result {
	t.Helper()
	stdout, stderr, exit := dockerRun(t, ref, stdin, []string{"--entrypoint", argv[0]}, env, argv[1:]...)
	return result{stdout, stderr, exit}
}

// sameAsHost checks that argv gives in the image what it gives on the
// host: the same output, errors and status.
func sameAsHost(t *testing.T, ref string, env []string, stdin string, argv ...string) {
	t.Helper()
	stdout, stderr, exit := testenv.RunHost(t, append([]string{testenv.DefaultPath}, env...), stdin, argv...)
	want := result{stdout, stderr, exit}
	if d := want.differs(runImage(t, ref, env, stdin, argv...), true); d != "" {
		t.Errorf("%q in the image differs from the host's:\n%s", argv, d)
	}
}

// dockerServer starts the image detached with --network none and args
// (docker run flags, "--", the program's arguments), and removes it at the
// end of the test.
func dockerServer(t *testing.T, ref string, args ...string) string {
	t.Helper()
	flags, progArgs := args, []string(nil)
	for i, a := range args {
		if a == "--" {
			flags, progArgs = args[:i], args[i+1:]
			break
		}
	}
	run := append([]string{"run", "-d", "--network", "none"}, flags...)
	run = append(append(run, ref), progArgs...)
	id := strings.TrimSpace(mustDocker(t, run...))
	t.Cleanup(func() { testenv.Docker(t, "rm", "-f", id) })
	return id
}

// containerPid is the host pid of the container's first process.
func containerPid(t *testing.T, id string) int {
	t.Helper()
	for i := 0; i < 50; i++ {
		out := strings.TrimSpace(mustDocker(t, "inspect", "-f", "{{.State.Pid}} {{.State.Running}}", id))
		pid, running, _ := strings.Cut(out, " ")
		if n, _ := strconv.Atoi(pid); n > 0 && running == "true" {
			return n
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("container %s is not running; logs:\n%s", id, dockerLogs(t, id))
	return 0
}

func dockerLogs(t *testing.T, id string) string {
	stdout, stderr, _ := testenv.Docker(t, "logs", id)
	return string(stdout) + string(stderr)
}

// readInContainer reads a file of a running container from the host,
// through its root in /proc: the image has no cat.
func readInContainer(t *testing.T, id, p string) string {
	t.Helper()
	pid := containerPid(t, id)
	var data []byte
	var err error
	for i := 0; i < 20; i++ {
		if data, err = os.ReadFile(fmt.Sprintf("/proc/%d/root%s", pid, p)); err == nil && len(data) > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Errorf("%s in the container: %v", p, err)
	}
	return string(data)
}

// nsProbeErr runs a host program (the package's client) in the network
// namespace of the container's process pid.
func nsProbeErr(pid int, argv ...string) (string, error) {
	cmd := exec.Command("nsenter", append([]string{"-t", strconv.Itoa(pid), "-n", "--"}, argv...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%q: %v: %s", argv, err, errOut.String())
	}
	return out.String(), err
}

func nsProbe(t *testing.T, pid int, argv ...string) string {
	t.Helper()
	out, err := nsProbeErr(pid, argv...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// wantUser checks that the processes of the container whose first process
// is pid run as the root's user name: its children (workers) if children,
// else pid itself.
func wantUser(t *testing.T, pid int, name string, children bool) {
	t.Helper()
	out, err := exec.Command("id", "-u", name).Output()
	if err != nil {
		t.Fatalf("id -u %s: %v", name, err)
	}
	uid := strings.TrimSpace(string(out))
	pids := []int{pid}
	if children {
		pids = nil
		for i := 0; i < 50 && len(pids) == 0; i++ {
			data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
			for _, f := range strings.Fields(string(data)) {
				n, _ := strconv.Atoi(f)
				pids = append(pids, n)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if len(pids) == 0 {
			t.Fatalf("pid %d has no children", pid)
		}
	}
	for _, p := range pids {
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(status), "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[0] == "Uid:" && f[1] != uid {
				t.Errorf("pid %d runs as uid %s, want %s (%s)", p, f[1], uid, name)
			}
		}
	}
	t.Logf("%d process(es) run as %s (uid %s)", len(pids), name, uid)
}
