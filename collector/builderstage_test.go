package collector_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// builderStage makes a directory standing for a builder stage's
// filesystem: testdata's hello.c built statically as /usr/bin/hello, and
// a script /usr/local/bin/greet that /usr/bin/hello runs.
func builderStage(t *testing.T) string {
	dir := t.TempDir()
	testenv.BuildC(t, t.TempDir(), filepath.Join(dir, "usr/bin/hello"), helloSrc, "-static", "-O2")
	mkfile(t, dir, "usr/local/bin/greet", "#!/usr/bin/hello\n", 0o755)
	return dir
}

// Collect plans the root filesystem of a program in another root;
// WriteDir writes it, and the program runs from it. (Was the package's
// Example, which cannot skip where gcc is missing.)
func TestBuilderStageHello(t *testing.T) {
	root := newRoot(t, builderStage(t))
	plan := collect(t, []string{"/usr/bin/hello"}, collector.WithRoot(root))
	var got strings.Builder
	for _, e := range plan.Entries {
		fmt.Fprintln(&got, e.Mode, e.Path, e.Reasons)
	}
	rootfs := writeRootfs(t, plan)
	hello, err := exec.Command(filepath.Join(rootfs, "usr/bin/hello")).Output()
	if err != nil {
		t.Fatal(err)
	}
	got.Write(hello)
	want := "drwxr-xr-x /usr []\ndrwxr-xr-x /usr/bin []\n-rwxr-xr-x /usr/bin/hello [program]\nhello, world\n"
	if got.String() != want {
		t.Errorf("got\n%s\nwant\n%s", got.String(), want)
	}
}

// A script brings its interpreter; each entry says why it is there.
func TestBuilderStageScript(t *testing.T) {
	root := newRoot(t, builderStage(t))
	plan := collect(t, []string{"/usr/local/bin/greet"}, collector.WithRoot(root))
	var got strings.Builder
	for _, e := range plan.Entries {
		if e.Kind == collector.File {
			fmt.Fprintf(&got, "%s: %s\n", e.Path, strings.Join(collector.Texts(e.Reasons), "; "))
		}
	}
	fmt.Fprintln(&got, "programs:", plan.Programs, "platform:", plan.Platform)
	want := "/usr/bin/hello: interpreter of script /usr/local/bin/greet\n" +
		"/usr/local/bin/greet: program (a script run by /usr/bin/hello)\n" +
		"programs: [/usr/local/bin/greet] platform: linux/amd64\n"
	if got.String() != want {
		t.Errorf("got\n%s\nwant\n%s", got.String(), want)
	}
}
