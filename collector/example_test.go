package collector_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/elfscan"
)

// builderStage makes a directory standing for a builder stage's
// filesystem: testdata's hello.c built statically as /usr/bin/hello, and
// a script /usr/local/bin/greet that /usr/bin/hello runs.
func builderStage() string {
	dir, err := os.MkdirTemp("", "builder")
	if err != nil {
		panic(err)
	}
	for _, d := range []string{"usr/bin", "usr/local/bin"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			panic(err)
		}
	}
	src, _ := filepath.Abs("../testdata/collector/hello.c")
	if out, err := exec.Command("gcc", "-static", "-O2", "-o", filepath.Join(dir, "usr/bin/hello"), src).CombinedOutput(); err != nil {
		panic(fmt.Sprintf("gcc: %v\n%s", err, out))
	}
	if err := os.WriteFile(filepath.Join(dir, "usr/local/bin/greet"), []byte("#!/usr/bin/hello\n"), 0o755); err != nil {
		panic(err)
	}
	return dir
}

// Collect plans the root filesystem of a program; WriteDir writes it.
func Example() {
	builder := builderStage()
	defer os.RemoveAll(builder)
	root, err := elfscan.NewRoot(builder)
	if err != nil {
		panic(err)
	}
	plan, err := collector.Collect([]string{"/usr/bin/hello"}, collector.WithRoot(root))
	if err != nil {
		panic(err)
	}
	for _, e := range plan.Entries {
		fmt.Println(e.Mode, e.Path, e.Reasons)
	}

	out, err := os.MkdirTemp("", "example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(out)
	rootfs := filepath.Join(out, "rootfs")
	if err := collector.WriteDir(plan, rootfs); err != nil {
		panic(err)
	}
	hello, err := exec.Command(filepath.Join(rootfs, "usr/bin/hello")).Output()
	if err != nil {
		panic(err)
	}
	fmt.Print(string(hello))
	// Output:
	// drwxr-xr-x /usr []
	// drwxr-xr-x /usr/bin []
	// -rwxr-xr-x /usr/bin/hello [program]
	// hello, world
}

// A script brings its interpreter; each entry says why it is there.
func ExampleCollect_script() {
	builder := builderStage()
	defer os.RemoveAll(builder)
	root, err := elfscan.NewRoot(builder)
	if err != nil {
		panic(err)
	}
	plan, err := collector.Collect([]string{"/usr/local/bin/greet"}, collector.WithRoot(root))
	if err != nil {
		panic(err)
	}
	for _, e := range plan.Entries {
		if e.Kind == collector.File {
			fmt.Printf("%s: %s\n", e.Path, strings.Join(collector.Texts(e.Reasons), "; "))
		}
	}
	fmt.Println("programs:", plan.Programs, "platform:", plan.Platform)
	// Output:
	// /usr/bin/hello: interpreter of script /usr/local/bin/greet
	// /usr/local/bin/greet: program (a script run by /usr/bin/hello)
	// programs: [/usr/local/bin/greet] platform: linux/amd64
}
