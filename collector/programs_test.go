package collector_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// A programTest collects programs of this Debian system into a rootfs,
// runs a command in it (chroot in new namespaces, and runc) and on the
// host, and compares standard output, exit status and, where it says so,
// standard error.
type programTest struct {
	name   string
	progs  []string // the programs to collect (the first runs, unless argv says otherwise)
	opts   []collector.Option
	argv   []string
	stdin  string
	env    []string
	stderr bool     // compare standard error too
	clean  []string // host paths the command creates, removed before and after the host run
	note   string   // why options are needed
}

// shellEnv is the environment of the tests that run a shell pipeline.
var shellEnv = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}

// gitEnv makes git's output (commit hashes) the same on every run.
var gitEnv = []string{
	"PATH=/usr/bin:/bin", "HOME=/tmp", "GIT_CONFIG_NOSYSTEM=1",
	"GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@example.org", "GIT_AUTHOR_DATE=@0 +0000",
	"GIT_COMMITTER_NAME=A", "GIT_COMMITTER_EMAIL=a@example.org", "GIT_COMMITTER_DATE=@0 +0000",
}

const text = "The quick brown fox jumps over the lazy dog.\nÀ bientôt, 10 € !\n"

var programTests = []programTest{
	// Shells.
	{name: "bash", progs: []string{"/usr/bin/bash"}, argv: []string{"/usr/bin/bash", "-c", `echo $((6*7)) ${BASH_VERSINFO[0]}; type -t cd; declare -A m=([k]=v); echo ${m[k]}`}, stderr: true},
	{name: "dash", progs: []string{"/usr/bin/dash"}, argv: []string{"/usr/bin/dash", "-c", `x=12; echo $((x*x)) ${#x}; read a; echo "[$a]"`}, stdin: "line\n", stderr: true},
	{name: "zsh", progs: []string{"/usr/bin/zsh"}, argv: []string{"/usr/bin/zsh", "-f", "-c", `print -r -- ${(U):-abc} $((2**10))`}, stderr: true},
	{name: "busybox", progs: []string{"/usr/bin/busybox"}, argv: []string{"/usr/bin/busybox", "sha256sum"}, stdin: text, stderr: true},
	// Compressors, through stdin; the compressed bytes must be the host's.
	{name: "gzip", progs: []string{"/usr/bin/gzip"}, argv: []string{"/usr/bin/gzip", "-c", "-n", "-9"}, stdin: text, stderr: true},
	{name: "bzip2", progs: []string{"/usr/bin/bzip2"}, argv: []string{"/usr/bin/bzip2", "-c"}, stdin: text, stderr: true},
	{name: "xz", progs: []string{"/usr/bin/xz"}, argv: []string{"/usr/bin/xz", "-c"}, stdin: text, stderr: true},
	{name: "zstd", progs: []string{"/usr/bin/zstd"}, argv: []string{"/usr/bin/zstd", "-q", "-c"}, stdin: text, stderr: true},
	{name: "lz4", progs: []string{"/usr/bin/lz4"}, argv: []string{"/usr/bin/lz4", "-q", "-c"}, stdin: text, stderr: true},
	// Several programs in one rootfs, sharing their libraries.
	{name: "compressor round trip", progs: []string{"/usr/bin/dash", "/usr/bin/gzip", "/usr/bin/bzip2", "/usr/bin/xz", "/usr/bin/zstd", "/usr/bin/lz4"},
		argv:  []string{"/usr/bin/dash", "-c", "gzip -c | bzip2 -c | xz -c | zstd -q -c | lz4 -q -c | lz4 -q -dc | zstd -q -dc | xz -dc | bzip2 -dc | gzip -dc"},
		stdin: text, env: shellEnv, stderr: true},
	{name: "sort spilling to /tmp", progs: []string{"/usr/bin/dash", "/usr/bin/seq", "/usr/bin/sort", "/usr/bin/head"},
		argv: []string{"/usr/bin/dash", "-c", "seq 1 50000 | sort -r -n -S 64K -T /tmp | head -3"}, env: shellEnv, stderr: true},
	// Databases.
	{name: "sqlite3", progs: []string{"/usr/bin/sqlite3"}, argv: []string{"/usr/bin/sqlite3", ":memory:", "select 1+1; select upper('abc'); select sqlite_version();"}, stderr: true},
	{name: "psql", progs: []string{"/usr/lib/postgresql/15/bin/psql"}, argv: []string{"/usr/lib/postgresql/15/bin/psql", "--version"}, stderr: true},
	// Editors.
	{name: "vim.tiny", progs: []string{"/usr/bin/vim.tiny"}, argv: []string{"/usr/bin/vim.tiny", "--version"}, stderr: true},
	{name: "ex scripted edit", progs: []string{"/usr/bin/dash", "/usr/bin/vim.tiny", "/usr/bin/cat"},
		argv: []string{"/usr/bin/dash", "-c", `printf 'abc\nbcd\n' >/tmp/fromscratch-ex.txt && vim.tiny -Es -u NONE -c '%s/b/X/g' -c wq /tmp/fromscratch-ex.txt; echo $?; cat /tmp/fromscratch-ex.txt`},
		env:  shellEnv, clean: []string{"/tmp/fromscratch-ex.txt"}},
	{name: "nano", progs: []string{"/usr/bin/nano"}, argv: []string{"/usr/bin/nano", "--version"}, stderr: true},
	// Version control.
	{name: "git", progs: []string{"/usr/bin/dash", "/usr/bin/git"},
		argv: []string{"/usr/bin/dash", "-c", `git init -q /tmp/fromscratch-git && cd /tmp/fromscratch-git && echo hi >f && git add f && git commit -q -m first && git log --format='%H %an %s' && git cat-file -p HEAD^{tree}`},
		env:  gitEnv, clean: []string{"/tmp/fromscratch-git"}},
	// iconv: gconv modules.
	{name: "iconv to CP1252", progs: []string{"/usr/bin/iconv"}, argv: []string{"/usr/bin/iconv", "-f", "UTF-8", "-t", "CP1252"}, stdin: text, stderr: true},
	{name: "iconv from ISO-8859-15", progs: []string{"/usr/bin/iconv"}, argv: []string{"/usr/bin/iconv", "-f", "ISO-8859-15", "-t", "UTF-8"}, stdin: "\xa4 caf\xe9 \xbd\n", stderr: true},
	{name: "iconv to UTF-16", progs: []string{"/usr/bin/iconv"}, argv: []string{"/usr/bin/iconv", "-f", "UTF-8", "-t", "UTF-16"}, stdin: text, stderr: true},
	// User lookups: NSS and the generated passwd/group.
	{name: "id", progs: []string{"/usr/bin/id"}, argv: []string{"/usr/bin/id", "-un"}, stderr: true},
	{name: "stat owner", progs: []string{"/usr/bin/stat"}, argv: []string{"/usr/bin/stat", "-c", "%U:%G %a %F", "/usr/bin/stat"}, stderr: true},
	{name: "ls -l", progs: []string{"/usr/bin/ls"}, argv: []string{"/usr/bin/ls", "-l", "--time-style=+", "/usr/bin/ls"}, stderr: true},
	{name: "getent passwd", progs: []string{"/usr/bin/getent"}, opts: []collector.Option{collector.WithAdd("/etc/passwd", ""), collector.WithAdd("/etc/group", "")},
		argv: []string{"/usr/bin/getent", "passwd", "root"}, stderr: true, note: "--add the root's passwd and group: the generated ones differ from the host's"},
	// Time zones.
	{name: "date TZ", progs: []string{"/usr/bin/date"}, opts: []collector.Option{collector.WithTZData()},
		argv: []string{"/usr/bin/date", "-d", "@0", "+%F %T %Z"}, env: []string{"TZ=Europe/Paris"}, stderr: true, note: "--tzdata"},
	{name: "tree", progs: []string{"/usr/bin/tree"}, opts: []collector.Option{collector.WithTZData()},
		argv: []string{"/usr/bin/tree", "-a", "--noreport", "/usr/share/zoneinfo/Arctic"}, stderr: true, note: "--tzdata, for something to list"},
	// Text tools and languages.
	{name: "jq", progs: []string{"/usr/bin/jq"}, argv: []string{"/usr/bin/jq", "-c", ".a|map(.*2)"}, stdin: `{"a":[1,2,3]}`, stderr: true},
	{name: "gawk", progs: []string{"/usr/bin/gawk"}, argv: []string{"/usr/bin/gawk", `BEGIN { print 6*7, toupper("abc"), strftime("%Y", 0, 1) }`}, stderr: true},
	{name: "bc", progs: []string{"/usr/bin/bc"}, argv: []string{"/usr/bin/bc", "-q"}, stdin: "2^100\nscale=5; 1/7\n", stderr: true},
	{name: "lua5.4", progs: []string{"/usr/bin/lua5.4"}, argv: []string{"/usr/bin/lua5.4", "-e", `print(2^10, string.format("%q", "x\ty"), #arg)`}, stderr: true},
	{name: "python3", progs: []string{"/usr/bin/python3"},
		opts: []collector.Option{collector.WithAdd("/usr/lib/python3.11", ""), collector.WithExclude("__pycache__")},
		argv: []string{"/usr/bin/python3", "-c", `import json, sys, hashlib, zlib; print(json.dumps({"a": [1, 2]}), sys.version_info[:2], hashlib.sha256(b"x").hexdigest()[:8], zlib.crc32(b"x"))`},
		env:  []string{"PYTHONDONTWRITEBYTECODE=1"}, stderr: true, note: "--add /usr/lib/python3.11: the standard library is read at run time"},
	// POSIX.pm and its XS library: perl-base's directory, which perl
	// names (the package-data rule).
	{name: "perl", progs: []string{"/usr/bin/perl"},
		argv: []string{"/usr/bin/perl", "-MPOSIX=floor", "-e", `print floor(7.5), " ", join(",", map { $_ * 2 } 1..3), "\n"`}, stderr: true},
	// init.tcl: libtcl's /usr/share/tcltk (the package-data rule).
	{name: "tclsh", progs: []string{"/usr/bin/tclsh8.6"},
		argv: []string{"/usr/bin/tclsh8.6"}, stdin: "puts [expr {6*7}]\nputs [string toupper abc]\n", stderr: true},
	{name: "file", progs: []string{"/usr/bin/file"}, opts: []collector.Option{collector.WithAdd("/usr/share/misc/magic.mgc", "")},
		argv: []string{"/usr/bin/file", "-b", "/usr/bin/file"}, stderr: true, note: "--add /usr/share/misc/magic.mgc: libmagic's database"},
	// TLS clients, without network.
	{name: "openssl version", progs: []string{"/usr/bin/openssl"}, argv: []string{"/usr/bin/openssl", "version", "-a"}, stderr: true},
	{name: "openssl x509", progs: []string{"/usr/bin/openssl"}, argv: []string{"/usr/bin/openssl", "x509", "-in", "/etc/ssl/certs/ca-certificates.crt", "-noout", "-subject", "-fingerprint"}, stderr: true},
	{name: "openssl dgst", progs: []string{"/usr/bin/openssl"}, argv: []string{"/usr/bin/openssl", "dgst", "-sha256"}, stdin: text, stderr: true},
	{name: "curl", progs: []string{"/usr/bin/curl"}, argv: []string{"/usr/bin/curl", "--version"}, stderr: true},
	{name: "curl file://", progs: []string{"/usr/bin/curl"}, argv: []string{"/usr/bin/curl", "-sS", "-w", "%{size_download}\n", "-o", "/dev/null", "file:///etc/ssl/certs/ca-certificates.crt"}, stderr: true},
	{name: "wget", progs: []string{"/usr/bin/wget"}, argv: []string{"/usr/bin/wget", "--version"}, stderr: true},
}

func TestRealPrograms(t *testing.T) {
	passed, total := 0, 0
	var failed []string
	for _, pt := range programTests {
		total++
		ok := t.Run(pt.name, func(t *testing.T) { pt.run(t) })
		if ok {
			passed++
		} else {
			failed = append(failed, pt.name)
		}
	}
	t.Logf("programs passed %d/%d (chroot and runc)", passed, total)
	if len(failed) > 0 {
		t.Errorf("failed: %s", strings.Join(failed, ", "))
	}
}

func (pt programTest) run(t *testing.T) {
	for _, p := range pt.progs {
		testenv.NeedCommand(t, p)
	}
	testenv.NeedRoot(t)
	plan := collect(t, pt.progs, pt.opts...)
	rootfs := writeRootfs(t, plan)
	n, size := treeSize(t, rootfs)
	note := ""
	if pt.note != "" {
		note = " (" + pt.note + ")"
	}
	t.Logf("%s: %d entries, %.1f MB%s", pt.name, n, float64(size)/1e6, note)
	if len(plan.Warnings) > 0 {
		t.Logf("warnings:\n  %s", strings.ReplaceAll(warningText(plan.Warnings), "\n", "\n  "))
	}
	env := pt.env
	for _, kv := range plan.Env {
		env = append(env, kv) // as the image's config would set it
	}

	for _, p := range pt.clean {
		os.RemoveAll(p)
	}
	wantOut, wantErr, wantExit := testenv.RunHost(t, pt.env, pt.stdin, pt.argv...)
	for _, p := range pt.clean {
		os.RemoveAll(p)
	}
	if wantExit != 0 {
		t.Logf("on the host the command exits %d: %s", wantExit, wantErr)
	}
	for _, run := range []struct {
		name string
		fn   func(testing.TB, string, []string, string, ...string) ([]byte, []byte, int)
	}{{"chroot", testenv.RunChroot}, {"runc", testenv.RunRunc}} {
		out, errOut, exit := run.fn(t, rootfs, env, pt.stdin, pt.argv...)
		if exit != wantExit || !bytes.Equal(out, wantOut) || pt.stderr && !bytes.Equal(errOut, wantErr) {
			t.Errorf("%s: %q differs from the host's:\n%s", run.name, pt.argv,
				diff("exit", fmt.Sprint(wantExit), fmt.Sprint(exit))+
					diff("stdout", string(wantOut), string(out))+
					diff("stderr", string(wantErr), string(errOut)))
		}
	}
}

// diff shows want and got when they differ.
func diff(what, want, got string) string {
	if want == got {
		return ""
	}
	const most = 2000
	if len(want) > most {
		want = want[:most] + "…"
	}
	if len(got) > most {
		got = got[:most] + "…"
	}
	return fmt.Sprintf("  %s on the host: %q\n  %s in the rootfs: %q\n", what, want, what, got)
}
