package examples_test

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fromscratch/fromscratch/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite README.md's CLI reference from the commands' --help")

var readme = filepath.Join(repo, "README.md")

var cli struct {
	once sync.Once
	path string
	out  []byte
	err  error
}

// fromscratch returns the command, built once per test binary.
func fromscratch(t *testing.T) string {
	t.Helper()
	testenv.NeedCommand(t, "go")
	cli.once.Do(func() {
		cli.path = filepath.Join(scratch, "fromscratch")
		cmd := exec.Command("go", "build", "-o", cli.path, "./cmd/fromscratch")
		cmd.Dir = repo
		cli.out, cli.err = cmd.CombinedOutput()
	})
	if cli.err != nil {
		t.Fatalf("go build ./cmd/fromscratch: %v\n%s", cli.err, cli.out)
	}
	return cli.path
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The CLI reference in README.md lies between these lines.
const (
	referenceStart = "<!-- cli-reference: made by `go test ./examples -run TestReadmeReference -update` from --help; edit the commands, not this -->\n"
	referenceEnd   = "<!-- end of cli-reference -->\n"
)

// commands are those of the CLI reference, in order; "" is the overview.
var commands = []string{"", "deps", "rootfs", "image", "version"}

// reference is the CLI reference as the commands' --help print it.
func reference(t *testing.T) string {
	bin := fromscratch(t)
	var b strings.Builder
	b.WriteString("\n")
	for _, c := range commands {
		args := []string{bin, "--help"}
		title := "fromscratch"
		if c != "" {
			args = []string{bin, c, "--help"}
			title += " " + c
		}
		out, errOut, exit := testenv.RunHost(t, nil, "", args...)
		if exit != 0 || len(errOut) != 0 {
			t.Fatalf("%s: exit %d\n%s", strings.Join(args[1:], " "), exit, errOut)
		}
		b.WriteString("### `" + title + "`\n\n```text\n")
		b.Write(bytes.TrimRight(out, "\n"))
		b.WriteString("\n```\n\n")
	}
	return b.String()
}

// TestReadmeReference: README.md's CLI reference is the commands' --help,
// word for word; -update rewrites it.
func TestReadmeReference(t *testing.T) {
	text := readFile(t, readme)
	before, rest, ok := strings.Cut(text, referenceStart)
	if !ok {
		t.Fatalf("README.md has no line %q", referenceStart)
	}
	current, after, ok := strings.Cut(rest, referenceEnd)
	if !ok {
		t.Fatalf("README.md has no line %q after the reference's start", referenceEnd)
	}
	want := reference(t)
	if current == want {
		return
	}
	if *update {
		if err := os.WriteFile(readme, []byte(before+referenceStart+want+referenceEnd+after), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("updated README.md's CLI reference")
		return
	}
	t.Errorf("README.md's CLI reference is not what --help prints; run\n\tgo test ./examples -run TestReadmeReference -update\nto rewrite it:\n%s", want)
}

// TestReadmeDockerfile: the Dockerfile in README.md is the example that
// TestBuilderStage builds, word for word.
func TestReadmeDockerfile(t *testing.T) {
	dockerfile := readFile(t, filepath.Join("builder-stage", "Dockerfile"))
	if !strings.Contains(readFile(t, readme), "```dockerfile\n"+dockerfile+"```\n") {
		t.Errorf("README.md does not show examples/builder-stage/Dockerfile as it is, in a ```dockerfile block")
	}
}

// body returns the lines of text between the line start and the next line
// that is just "}".
func body(t *testing.T, name, text, start string) string {
	t.Helper()
	_, rest, ok := strings.Cut(text, "\n"+start+"\n")
	if !ok {
		t.Fatalf("%s has no line %q", name, start)
	}
	b, _, ok := strings.Cut(rest, "\n}\n")
	if !ok {
		t.Fatalf("%s: %q has no end", name, start)
	}
	return b
}

// TestReadmeAPI: the main function in README.md's Go API section is
// Example, which the compiler checks and TestExample runs.
func TestReadmeAPI(t *testing.T) {
	example := body(t, "example_test.go", readFile(t, "example_test.go"), "func Example() {")
	main := body(t, "README.md", readFile(t, readme), "func main() {")
	if main != example {
		t.Errorf("README.md's func main differs from Example in example_test.go:\n%s\nwant\n%s", main, example)
	}
}

// TestExample runs Example, the README's Go API example, in an empty
// directory.
func TestExample(t *testing.T) {
	testenv.NeedCommand(t, "/usr/bin/curl")
	t.Chdir(t.TempDir())
	stdout := os.Stdout
	f, err := os.Create("stdout")
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout = f
	func() {
		defer func() { os.Stdout = stdout }()
		Example()
	}()
	f.Close()
	out := readFile(t, "stdout")
	if !strings.HasPrefix(out, "/usr/bin/curl root\n") || !strings.Contains(out, "libc.so.6") || strings.Contains(out, "missing:") {
		t.Errorf("Example printed:\n%s", out)
	}
	for _, p := range []string{"curl-rootfs/usr/bin/curl", "curl.tar", "curl-oci/index.json"} {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
}
