package collector

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestMatchExclude(t *testing.T) {
	for _, c := range []struct {
		pattern, path string
		want          bool
	}{
		{"libssl.so*", "/usr/lib/x86_64-linux-gnu/libssl.so.3", true},
		{"libssl.so*", "/usr/lib/x86_64-linux-gnu/libcrypto.so.3", false},
		{"*/libssl.so*", "/lib/x86_64-linux-gnu/libssl.so.3", true},
		{"share/doc", "/usr/share/doc/x/README", true},
		{"share/doc", "/usr/share/docs", false},
		{"/usr/share/doc", "/usr/share/doc/x/README", true},
		{"/usr/share/doc", "/opt/usr/share/doc", false},
		{"/usr/lib/**/*.a", "/usr/lib/x86_64-linux-gnu/libc.a", true},
		{"/usr/lib/**/*.a", "/usr/lib/libz.a", true},
		{"/usr/lib/**/*.a", "/usr/lib/libz.so", false},
		{"__pycache__", "/usr/lib/python3.11/__pycache__/os.cpython-311.pyc", true},
		{"/usr/*", "/usr/bin/ls", true},
		{"/usr/*", "/usr", false},
		{"gconv/*.so", "/usr/lib/x86_64-linux-gnu/gconv/CP1252.so", true},
	} {
		if got := matchExclude(c.pattern, c.path); got != c.want {
			t.Errorf("matchExclude(%q, %q) = %v, want %v", c.pattern, c.path, got, c.want)
		}
	}
}

func TestParseNsswitch(t *testing.T) {
	conf := `# comment
passwd:         files systemd
group:   files [NOTFOUND=return] ldap # trailing
hosts: files [ !UNAVAIL=return ] dns
bad line
netgroup:
`
	got := parseNsswitch([]byte(conf))
	want := map[string]string{"passwd": "files systemd", "group": "files ldap", "hosts": "files dns", "netgroup": ""}
	for db, w := range want {
		if g := strings.Join(got[db], " "); g != w {
			t.Errorf("%s: %q, want %q", db, g, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("databases %v", got)
	}
}

func TestParseShebang(t *testing.T) {
	for head, want := range map[string]string{
		"#!/bin/sh\necho":                 "/bin/sh|",
		"#! /usr/bin/env  python3 \n":     "/usr/bin/env|python3",
		"#!/usr/bin/perl -w -T\n":         "/usr/bin/perl|-w -T",
		"#!/bin/bash\r\n":                 "/bin/bash|",
		"#!\t/bin/sh\t-e\n":               "/bin/sh|-e",
		"#!":                              "|",
		"#!/usr/bin/env -S awk -f\nBEGIN": "/usr/bin/env|-S awk -f",
	} {
		interp, arg := parseShebang([]byte(head))
		if got := interp + "|" + arg; got != want {
			t.Errorf("parseShebang(%q) = %q, want %q", head, got, want)
		}
	}
}

func TestEnvCommand(t *testing.T) {
	for arg, want := range map[string]string{
		"python3":                   "python3",
		"python3 -u":                "python3 -u", // env looks for "python3 -u", as on a real system
		"-S python3 -u":             "python3",
		"-Spython3 -u":              "python3",
		"-S A=1 B=2 node --harmony": "node",
		"-S -i -u HOME PATH=/x sh":  "sh",
		"-S -C /tmp sh":             "sh",
		"-S":                        "",
	} {
		if got := envCommand(arg); got != want {
			t.Errorf("envCommand(%q) = %q, want %q", arg, got, want)
		}
	}
}

func TestEscapes(t *testing.T) {
	for _, c := range []struct {
		link, target string
		want         bool
	}{
		{"/lib", "usr/lib", false},
		{"/usr/lib/x/libz.so", "../../../lib/libz.so", false},
		{"/usr/lib/x/libz.so", "../../../../lib/libz.so", true},
		{"/a", "..", true},
		{"/a", "/", false},
		{"/a/b", "c/../../..", true},
		{"/a/b", "c/../..", false},
	} {
		if got := escapes(c.link, c.target); got != c.want {
			t.Errorf("escapes(%q, %q) = %v, want %v", c.link, c.target, got, c.want)
		}
	}
}

func TestGconvConfig(t *testing.T) {
	g := &gconvConfig{alias: map[string]string{}}
	g.parse([]byte(`
alias	ISO-IR-100//		ISO-8859-1//
alias	LATIN1//		ISO-8859-1//
module	ISO-8859-1//		INTERNAL		ISO8859-1	1
module	INTERNAL		ISO-8859-1//		ISO8859-1	1
alias	EUCJP//			EUC-JP//
module	EUC-JP//		INTERNAL		EUC-JP		1
module	INTERNAL		EUC-JP//		EUC-JP		1
module	INTERNAL		X//		/abs/X		1
`))
	c := &collection{warned: map[string]bool{}, plan: &Plan{}}
	var got []string
	for _, m := range g.filesFor([]string{"latin1", "eucjp", "utf-8", "unknown"}, c) {
		got = append(got, fmt.Sprintf("%s:%s", m.charset, m.file))
	}
	if want := "eucjp:EUC-JP latin1:ISO8859-1"; strings.Join(got, " ") != want {
		t.Errorf("modules %q, want %q (sorted by file)", got, want)
	}
	if w := c.plan.Warnings; len(w) != 1 || w[0].Kind != WarnMissingFile || !strings.Contains(w[0].Text, "unknown") {
		t.Errorf("warnings %q: want one, for unknown (UTF-8 is built in)", c.plan.Warnings)
	}
	if n := len(g.filesFor([]string{"all"}, c)); n != 3 {
		t.Errorf("all: %d modules, want 3", n)
	}
}

// findString finds a string wherever the windows cut the file: whole in
// the first window, across the end of one, at the start and the end of
// the file.
func TestFindStringWindows(t *testing.T) {
	buf := make([]byte, 3*maxFileString) // windows 4096 bytes apart
	want := "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache"
	for _, at := range []int{0, 100, 4090, 8190, 12280, 12285, 16380, 20000, 24000 - len(want) - 1} {
		data := bytes.Repeat([]byte{'x'}, 24000)
		if at > 0 {
			data[at-1] = 0
		}
		copy(data[at:], want+"\x00")
		if got := findString(bytes.NewReader(data), "/", "/gconv/gconv-modules.cache", buf); got != want {
			t.Errorf("at %d: %q", at, got)
		}
	}
	if got := findString(bytes.NewReader([]byte("xx\x00/a/gconv\x00")), "/", "/gconv-modules.cache", buf); got != "" {
		t.Errorf("found %q in a file without it", got)
	}
	if got := findString(bytes.NewReader([]byte("x\x00/a/end")), "/", "/end", buf); got != "/a/end" {
		t.Errorf("a string at the end of the file without its NUL: %q", got)
	}
}
