// Command bench measures, in one run, how long fromscratch's emulated
// loader takes to find the libraries of every dynamic program in a
// directory (default /usr/bin), and how long the tools people use instead
// take for the same files, and prints the ratios:
//
//	loader loop  env -i LD_TRACE_LOADED_OBJECTS=1 ld.so FILE, once per file
//	             (what `for f in /usr/bin/*; do ldd $f; done` costs)
//	lddtree      /usr/bin/python3 /usr/bin/lddtree -l FILE…, one call
//	u-root ldd   github.com/u-root/u-root/pkg/ldd.List(FILE) in this
//	             process, once per file (it runs INTERP --list FILE)
//
// Each line gives the wall time and the CPU time (user + system, from
// getrusage: ours in this process, the peers' in their child processes,
// plus ours for u-root, which parses in this process); the ratios use the
// CPU time, which other load on the machine disturbs less. It also prints
// our peak resident set. Not the peers': a child's peak counts the memory
// it shared with this process between fork and exec. Run it with `go run ./bench` (make bench); -dir and -n
// choose the files, -peers which peers run.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/u-root/u-root/pkg/ldd"

	"github.com/fromscratch/fromscratch/elfscan"
)

func main() {
	dir := flag.String("dir", "/usr/bin", "directory whose dynamic programs are resolved")
	limit := flag.Int("n", 0, "use only the first n programs (0: all)")
	peers := flag.String("peers", "loop,lddtree,uroot", "peers to compare with (comma-separated)")
	flag.Parse()
	if err := run(*dir, *limit, strings.Split(*peers, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(dir string, limit int, peers []string) error {
	const loader = "/lib64/ld-linux-x86-64.so.2"
	files, err := programs(dir, loader)
	if err != nil {
		return err
	}
	if limit > 0 && limit < len(files) {
		files = files[:limit]
	}
	fmt.Printf("%d dynamic programs in %s, %s/%s, %d CPUs\n", len(files), dir, runtime.GOOS, runtime.GOARCH, runtime.NumCPU())

	// Ours first, while the process has done nothing else, so that the
	// peak RSS is ours.
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	allocBefore := ms.TotalAlloc
	cpu0 := cpuTime()
	start := time.Now()
	g, err := elfscan.NewResolver().Resolve(files...)
	ours, oursCPU := time.Since(start), cpuTime().sub(cpu0).self
	if err != nil {
		return err
	}
	runtime.ReadMemStats(&ms)
	objects := map[string]bool{}
	missing := 0
	for _, c := range g.Closures {
		for _, o := range c.Objects {
			objects[o.RealPath] = true
		}
		missing += len(c.Missing)
	}
	fmt.Printf("%-12s %9s %9s  %s\n", "", "wall", "CPU", "")
	fmt.Printf("%-12s %9s %9s  %d distinct files, %d missing names, %.0f files/s, %.1f MB allocated, peak RSS %.1f MB\n",
		"fromscratch", ours.Round(time.Millisecond), oursCPU.Round(time.Millisecond), len(objects), missing,
		float64(len(files))/ours.Seconds(), float64(ms.TotalAlloc-allocBefore)/(1<<20), maxRSS(syscall.RUSAGE_SELF))

	for _, p := range peers {
		var (
			d    time.Duration
			note string
			err  error
		)
		cpu0 := cpuTime()
		switch p {
		case "loop":
			d, note, err = loaderLoop(loader, files)
		case "lddtree":
			d, note, err = lddtree(files)
		case "uroot":
			d, note, err = urootLdd(files)
		case "":
			continue
		default:
			err = fmt.Errorf("unknown peer %q", p)
		}
		if err != nil {
			fmt.Printf("%-12s %9s  %v\n", p, "-", err)
			continue
		}
		used := cpuTime().sub(cpu0)
		cpu := used.children + used.self
		fmt.Printf("%-12s %9s %9s  %5.1fx our CPU time (%.1fx wall)  %s\n", p, d.Round(time.Millisecond), cpu.Round(time.Millisecond),
			cpu.Seconds()/oursCPU.Seconds(), d.Seconds()/ours.Seconds(), note)
	}
	return nil
}

// programs lists the dynamic programs of the glibc loader directly in dir.
func programs(dir, loader string) ([]string, error) {
	root := elfscan.HostRoot()
	entries, err := root.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		p := path.Join(dir, e.Name())
		if f, err := elfscan.Open(root, p); err == nil && f.Kind == elfscan.KindDynamic && f.Interp == loader {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no dynamic programs in %s", dir)
	}
	return out, nil
}

// loaderLoop asks the loader about each file in turn. The file is given
// to ld.so as an argument, so that nothing but the loader runs, even for
// set-id programs.
func loaderLoop(loader string, files []string) (time.Duration, string, error) {
	start := time.Now()
	failed := 0
	for _, f := range files {
		cmd := exec.Command(loader, f)
		cmd.Env = []string{"LD_TRACE_LOADED_OBJECTS=1"}
		if err := cmd.Run(); err != nil {
			failed++
		}
	}
	return time.Since(start), fmt.Sprintf("%d runs, %d failed", len(files), failed), nil
}

// lddtree runs pax-utils' lddtree once on all files.
func lddtree(files []string) (time.Duration, string, error) {
	const python, script = "/usr/bin/python3", "/usr/bin/lddtree"
	if _, err := os.Stat(script); err != nil {
		return 0, "", fmt.Errorf("not installed (apt-get install pax-utils): %v", err)
	}
	cmd := exec.Command(python, append([]string{script, "-l"}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	d := time.Since(start)
	if err != nil {
		return 0, "", fmt.Errorf("%v: %s", err, firstLine(stderr.String()))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	slices.Sort(lines)
	return d, fmt.Sprintf("1 run, %d distinct files", len(slices.Compact(lines))), nil
}

// urootLdd calls u-root's ldd.List once per file: it fails as a whole
// when any file has a missing library (the loader's --list mode stops).
func urootLdd(files []string) (time.Duration, string, error) {
	start := time.Now()
	failed := 0
	all := map[string]bool{}
	for _, f := range files {
		libs, err := ldd.List(f)
		if err != nil {
			failed++
		}
		for _, l := range libs {
			all[l] = true
		}
	}
	return time.Since(start), fmt.Sprintf("%d calls, %d failed, %d distinct paths", len(files), failed, len(all)), nil
}

// usage is CPU time used so far by this process and by its waited-for
// children.
type usage struct{ self, children time.Duration }

func cpuTime() usage {
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	sum := func(ru *syscall.Rusage) time.Duration {
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return usage{sum(&self), sum(&children)}
}

func (u usage) sub(v usage) usage { return usage{u.self - v.self, u.children - v.children} }

// maxRSS is the peak resident set of who, in MB.
func maxRSS(who int) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
