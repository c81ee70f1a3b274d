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
	{"sbom", sbomSection},
	{"trace", traceSection},
	{"check", checkSection},
	{"from", fromSection},
}

type config struct {
	dir    string   // closure: the directory of programs
	limit  int      // closure: only the first limit programs (0: all)
	peers  []string // closure: the peers that run
	rounds int
	// from: the docker image of a web server to minify
	fromImage string
}

func main() {
	if os.Getenv(childEnv) != "" {
		// A run of this program under trace (closure.go).
		os.Exit(child(os.Getenv(childEnv), os.Args[1:]))
	}
	var c config
	var only, peers string
	flag.StringVar(&c.dir, "dir", "/usr/bin", "closure: directory whose dynamic programs are resolved")
	flag.IntVar(&c.limit, "n", 0, "closure: use only the first n programs (0: all)")
	flag.StringVar(&peers, "peers", strings.Join(closurePeers, ","), "closure: peers to compare with (comma-separated)")
	flag.StringVar(&only, "only", "closure,rootfs,image,sbom,trace,check,from", "sections to run (comma-separated)")
	flag.StringVar(&c.fromImage, "from-image", "fromscratch-bench-nginx:latest", "from: the docker image (at $DOCKER_HOST) of a web server with nginx to minify")
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
