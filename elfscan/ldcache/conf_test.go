package ldcache

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// confFS makes a MapFS of files (absolute name → text); names ending in "/"
// are empty directories.
func confFS(files map[string]string) FS {
	m := fstest.MapFS{}
	for name, text := range files {
		if strings.HasSuffix(name, "/") {
			m[strings.Trim(name, "/")] = &fstest.MapFile{Mode: fs.ModeDir | 0o755}
			continue
		}
		m[strings.TrimPrefix(name, "/")] = &fstest.MapFile{Data: []byte(text)}
	}
	return FromFS(m)
}

func TestParseConf(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"lines", map[string]string{"/etc/ld.so.conf": "# comment\n\n  /usr/local/lib  \n/opt/x/lib/ # trailing\n\t/a b\r\n/\n///\n/c=libc6\n/d = libc5\n/usr/local/lib\n"},
			[]string{"/usr/local/lib", "/opt/x/lib", "/a b", "/c", "/d"}},
		{"no splitting", map[string]string{"/etc/ld.so.conf": "/a:/b\n/c,/d\n/e /f"},
			[]string{"/a:/b", "/c,/d", "/e /f"}},
		{"hwcap", map[string]string{"/etc/ld.so.conf": "hwcap 0 nosegneg\nHWCAP\t1 x\nhwcaps\nhwcap\n"},
			[]string{"hwcaps", "hwcap"}},
		{"nul", map[string]string{"/etc/ld.so.conf": "/a\x00/b\n/c#\x00\n"},
			[]string{"/a", "/c"}},
		{"include glob sorted", map[string]string{
			"/etc/ld.so.conf":           "/first\ninclude /etc/ld.so.conf.d/*.conf\n/last\n",
			"/etc/ld.so.conf.d/b.conf":  "/b\n",
			"/etc/ld.so.conf.d/a.conf":  "/a\n",
			"/etc/ld.so.conf.d/B.conf":  "/B\n",
			"/etc/ld.so.conf.d/.h.conf": "/hidden\n",
			"/etc/ld.so.conf.d/c.txt":   "/txt\n",
			"/etc/ld.so.conf.d/d.conf/": "",
		}, []string{"/first", "/B", "/a", "/b", "/last"}},
		{"include forms", map[string]string{
			"/etc/ld.so.conf": "include\t/etc/x/?.conf   /etc/y/[a-b].conf\ninclude /etc/y/\\[c].conf\ninclude /etc/x/.*\ninclude\ninclude /none/*.conf\nincluded\n",
			"/etc/x/1.conf":   "/x1\n",
			"/etc/x/12.conf":  "/x12\n",
			"/etc/x/.dot":     "/dot\n",
			"/etc/y/a.conf":   "/ya\n",
			"/etc/y/c.conf":   "/yc-never\n",
			"/etc/y/[c].conf": "/ybracket\n",
			"/etc/y/b.conf":   "/yb\n",
			"/etc/y/d.conf":   "/yd\n",
		}, []string{"/x1", "/ya", "/yb", "/ybracket", "/dot", "include", "included"}},
		{"relative include", map[string]string{
			"/etc/ld.so.conf":    "include conf.d/*.conf\n",
			"/etc/conf.d/a.conf": "/a\ninclude ../deep/b.conf\n",
			"/etc/deep/b.conf":   "/b\n",
		}, []string{"/a", "/b"}},
		{"glob in directories", map[string]string{
			"/etc/ld.so.conf":    "include /etc/*/[!x]*.conf\n",
			"/etc/p/a.conf":      "/pa\n",
			"/etc/q/b.conf":      "/qb\n",
			"/etc/q/x.conf":      "/qx\n",
			"/etc/file.conf":     "/file\n",
			"/etc/r/[[:digit:]]": "",
		}, []string{"/pa", "/qb"}},
		{"loop", map[string]string{
			"/etc/ld.so.conf": "/a\ninclude /etc/ld.so.conf\ninclude /etc/b.conf\n/c\n",
			"/etc/b.conf":     "/b\ninclude /etc/*.conf\n",
		}, []string{"/a", "/b", "/c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConf(confFS(tc.files), "/etc/ld.so.conf")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestParseConfLimits(t *testing.T) {
	// A chain deeper than the limit stops at it.
	files := map[string]string{}
	for i := range 100 {
		files["/etc/c"+itoa3(i)] = "/d" + itoa3(i) + "\ninclude /etc/c" + itoa3(i+1) + "\n"
	}
	got, err := ParseConf(confFS(files), "/etc/c000")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != maxConfDepth || got[0] != "/d000" {
		t.Errorf("%d directories from a chain of 100: %q…", len(got), got[:3])
	}
	// A file that includes another twice, which does the same…: the
	// number of reads is bounded.
	files = map[string]string{}
	for i := range 30 {
		next := "/etc/c" + itoa3(i+1)
		files["/etc/c"+itoa3(i)] = "/d" + itoa3(i) + "\ninclude " + next + " " + next + "\n"
	}
	if _, err := ParseConf(confFS(files), "/etc/c000"); err != nil {
		t.Fatal(err)
	}

	if _, err := ParseConf(confFS(nil), "/etc/ld.so.conf"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func itoa3(i int) string {
	return string([]byte{byte('0' + i/100), byte('0' + i/10%10), byte('0' + i%10)})
}

func TestFnmatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"*.conf", "a.conf", true},
		{"*.conf", ".a.conf", false},
		{".*", ".a", true},
		{"\\.*", ".a", true},
		{"?a", ".a", false},
		{"[.]a", ".a", false},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
		{"*a*a*a*a*a*a*a*b", strings.Repeat("a", 200), false},
		{"[a-c]x", "bx", true},
		{"[!a-c]x", "bx", false},
		{"[^a-c]x", "dx", true},
		{"[]]", "]", true},
		{"[!]]", "a", true},
		{"[a-]", "-", true},
		{"[[:digit:]]*", "9z", true},
		{"[[:alpha:][:digit:]]", "_", false},
		{"[[:bogus:]]", "b", false},
		{"[", "[", true},
		{"[ab", "[ab", true},
		{"\\*", "*", true},
		{"\\*", "a", false},
		{"a\\", "a\\", true},
		{"[\\]]", "]", true},
		{"", "", true},
		{"*", "", true},
		{"?", "", false},
	} {
		if got := fnmatch(tc.pattern, tc.name); got != tc.want {
			t.Errorf("fnmatch(%q, %q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}

// TestParseConfLdconfig has the real ldconfig read a configuration and
// checks ParseConf lists the same directories in the same order.
func TestParseConfLdconfig(t *testing.T) {
	ldconfig := tool(t, "ldconfig")
	if os.Geteuid() != 0 {
		// "ldconfig -r" chroots when it can; without it, it maps
		// paths itself and loses include lines (glibc 2.36).
		t.Skip("ldconfig -r reads include lines right only as root")
	}
	root := t.TempDir()
	files := map[string]string{
		"/etc/ld.so.conf": "# test\n  /opt/a b  \n/opt/c/=libc6\ninclude /etc/ld.so.conf.d/*.conf /etc/more/?.conf\n" +
			"hwcap 0 foo\nHWCAP\t1 bar\n/opt/d//\n/opt/c\n/opt/x:/opt/y\n/opt/missing\n",
		"/etc/ld.so.conf.d/b.conf":       "/opt/f\n",
		"/etc/ld.so.conf.d/a.conf":       "/opt/e\ninclude /etc/ld.so.conf.d/b.conf\n",
		"/etc/ld.so.conf.d/.hidden.conf": "/opt/h\n",
		"/etc/more/x.conf":               "/opt/g\n",
		"/etc/more/xy.conf":              "/opt/i\n",
	}
	for name, text := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"a b", "c", "d", "e", "f", "g", "h", "i", "x:", "x:/opt/y"} {
		if err := os.MkdirAll(filepath.Join(root, "opt", d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ParseConf(FromFS(os.DirFS(root)), "/etc/ld.so.conf")
	if err != nil {
		t.Fatal(err)
	}
	// ldconfig drops the directories that do not exist.
	got = slices.DeleteFunc(got, func(d string) bool {
		st, err := os.Stat(filepath.Join(root, d))
		return err != nil || !st.IsDir()
	})
	var want []string
	from := regexp.MustCompile(`^(/.*): \(from /etc/[^ ]*:[0-9]+\)$`)
	for _, l := range strings.Split(run(t, ldconfig, "-v", "-N", "-r", root), "\n") {
		if m := from.FindStringSubmatch(l); m != nil {
			want = append(want, m[1])
		}
	}
	if len(want) != 7 || !slices.Equal(got, want) {
		t.Errorf("ParseConf %q\nldconfig  %q", got, want)
	}
	t.Logf("ldconfig and ParseConf: %q", want)
}
