// Command bench measures fromscratch against the tools people use instead,
// in one run, and prints the ratios the issues ask for. Every section has
// a one-line header, a table and its ratios, with the target where there
// is one:
//
//	closure  the libraries of every dynamic program in a directory (default
//	         /usr/bin), resolved in one process, against
//	           loader loop  env -i LD_TRACE_LOADED_OBJECTS=1 ld.so FILE, once
//	                        per file (what `for f in /usr/bin/*; do ldd $f;
//	                        done` costs); target: 20× faster
//	           lddtree      /usr/bin/python3 /usr/bin/lddtree -l FILE…, one
//	                        call (it takes seconds: one run, not -rounds)
//	           u-root ldd   github.com/u-root/u-root/pkg/ldd.List(FILE) in
//	                        this process, once per file (it runs INTERP
//	                        --list FILE)
//	         with our memory (peak RSS, bytes allocated) and, from a run of
//	         the same resolution under collector/trace, how often each object
//	         was opened (elfscan exposes no count of its own)
//	rootfs   collector.Collect + collector.WriteDir of /usr/bin/curl against
//	         lddtree --copy-to-tree of the same program, a fresh directory
//	         each run; the sizes of both trees
//	image    image.Build + image.Write to a docker tarball of curl's plan
//	         against `tar -c FILES | gzip -1 > /dev/null` of the plan's files;
//	         target: no slower than that floor; compressed and uncompressed
//	         sizes
//	trace    file-heavy commands traced with trace.Run, against the same
//	         commands untraced (os/exec) and under `strace -f -e trace=%file
//	         -o /dev/null` (and strace --seccomp-bpf, which stops only at the
//	         traced calls, as trace.Run does)
//
// The contenders of a section run in interleaved rounds (-rounds), so that
// load on the machine hits them alike, after one warm-up run each (not in
// closure, whose first run gives our peak RSS). The tables give the minimum
// and the median of the wall and the CPU time (user + system, from
// getrusage: this process's and its waited-for children's); the ratios are
// of the medians (and of the minimum walls), and a target is judged on the
// median wall time. A peer that cannot run (lddtree or strace missing)
// prints "skipped: why" and the rest goes on; a failure of fromscratch's
// own code makes the command exit 1.
//
// Run it with `go run ./bench` (make bench); -only selects sections.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
)

// sections are the parts of the benchmark, in the order they run: closure
// first, while the process has done nothing else, so that its peak RSS is
// the resolver's.
var sections = []struct {
	name string
	run  func(*config) error
}{
	{"closure", closureSection},
	{"rootfs", rootfsSection},
	{"image", imageSection},
	{"trace", traceSection},
}

type config struct {
	dir    string   // closure: the directory of programs
	limit  int      // closure: only the first limit programs (0: all)
	peers  []string // closure: the peers that run
	rounds int
}

func main() {
	if os.Getenv(childEnv) != "" {
		// A run of this program under collector/trace (closure.go).
		os.Exit(child(os.Getenv(childEnv), os.Args[1:]))
	}
	var c config
	var only, peers string
	flag.StringVar(&c.dir, "dir", "/usr/bin", "closure: directory whose dynamic programs are resolved")
	flag.IntVar(&c.limit, "n", 0, "closure: use only the first n programs (0: all)")
	flag.StringVar(&peers, "peers", strings.Join(closurePeers, ","), "closure: peers to compare with (comma-separated)")
	flag.StringVar(&only, "only", "closure,rootfs,image,trace", "sections to run (comma-separated)")
	flag.IntVar(&c.rounds, "rounds", 5, "runs of each contender, interleaved")
	flag.Parse()
	if c.rounds < 1 {
		usageError("-rounds must be at least 1")
	}
	for _, p := range strings.Split(peers, ",") {
		if p != "" && !slices.Contains(closurePeers, p) {
			usageError(fmt.Sprintf("unknown peer %q (have %s)", p, strings.Join(closurePeers, ",")))
		}
		if p != "" {
			c.peers = append(c.peers, p)
		}
	}
	var names []string
	for _, s := range sections {
		names = append(names, s.name)
	}
	selected := strings.Split(only, ",")
	for _, n := range selected {
		if !slices.Contains(names, n) {
			usageError(fmt.Sprintf("unknown section %q (have %s)", n, strings.Join(names, ",")))
		}
	}

	fmt.Printf("fromscratch bench: %s/%s, %d CPUs, %s, %d rounds\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), c.rounds)
	failed := false
	for _, s := range sections {
		if !slices.Contains(selected, s.name) {
			continue
		}
		fmt.Println()
		if err := s.run(&c); err != nil {
			fmt.Printf("FAILED: %v\n", err)
			fmt.Fprintf(os.Stderr, "bench: %s: %v\n", s.name, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

func usageError(msg string) {
	fmt.Fprintln(os.Stderr, "bench:", msg)
	flag.Usage()
	os.Exit(2)
}
