package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/u-root/u-root/pkg/ldd"

	"github.com/fromscratch/fromscratch/elfscan"
	"github.com/fromscratch/fromscratch/trace"
)

const loader = "/lib64/ld-linux-x86-64.so.2"

// closurePeers are the peers of the closure section, for -peers.
var closurePeers = []string{"loop", "lddtree", "uroot"}

// childEnv makes this program, run again under trace, do one
// thing and exit: "closure" resolves the files given as arguments.
const childEnv = "_FROMSCRATCH_BENCH_CHILD"

func child(what string, args []string) int {
	switch what {
	case "closure":
		if _, err := elfscan.NewResolver(elfscan.WithImports(false)).Resolve(args...); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	case "from":
		if err := fromChild(args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(os.Stderr, "bench: unknown %s=%s\n", childEnv, what)
	return 2
}

func closureSection(c *config) error {
	files, err := programs(c.dir)
	if err != nil {
		return err
	}
	if c.limit > 0 && c.limit < len(files) {
		files = files[:c.limit]
	}
	against := map[string]string{"loop": "the per-file loader loop", "lddtree": "lddtree -l", "uroot": "u-root's ldd.List"}
	var names []string
	for _, p := range c.peers {
		names = append(names, against[p])
	}
	fmt.Printf("== closure of %s: %d dynamic programs resolved in one process, against %s ==\n", c.dir, len(files), strings.Join(names, ", "))

	var (
		objects      = map[string]bool{}
		missing      int
		allocated    uint64
		rss, rss0    float64
		peers        []*contender
		loop, uroot  *contender
		lddtreePeer  *contender
		loopFailed   int
		urootFailed  int
		urootPaths   = map[string]bool{}
		lddtreeFiles int
	)
	ours := &contender{name: "fromscratch", run: func(round int) error {
		var ms runtime.MemStats
		if round == 0 {
			rss0 = maxRSS()
			runtime.ReadMemStats(&ms)
			allocated = ms.TotalAlloc
		}
		// What deps --list computes: the loader's closure, without the
		// symbol tables that only the collector's rules read.
		g, err := elfscan.NewResolver(elfscan.WithImports(false)).Resolve(files...)
		if err != nil {
			return err
		}
		if round == 0 {
			runtime.ReadMemStats(&ms)
			allocated = ms.TotalAlloc - allocated
			rss = maxRSS()
			for _, c := range g.Closures {
				for _, o := range c.Objects {
					objects[o.RealPath] = true
				}
				missing += len(c.Missing)
			}
		}
		return nil
	}}
	// The same closure with every file's imports read, as rootfs and
	// image do for their rules.
	withImports := &contender{name: "  with imports", run: func(int) error {
		_, err := elfscan.NewResolver().Resolve(files...)
		return err
	}}
	cli, floor, cleanup, err := cliContenders(files, objects)
	if err != nil {
		return err
	}
	defer cleanup()
	for _, p := range c.peers {
		switch p {
		case "loop":
			loop = &contender{name: "loader loop", peer: true, run: func(round int) error {
				loopFailed = loaderLoop(files)
				return nil
			}}
			peers = append(peers, loop)
		case "lddtree":
			lddtreePeer = &contender{name: "lddtree -l", peer: true, max: 1, run: func(int) (err error) {
				lddtreeFiles, err = lddtree(files)
				return err
			}}
			peers = append(peers, lddtreePeer)
		case "uroot":
			uroot = &contender{name: "u-root ldd.List", peer: true, run: func(int) error {
				urootFailed = urootLdd(files, urootPaths)
				return nil
			}}
			peers = append(peers, uroot)
		}
	}
	// Ours first in the first round (no warm-up), so that the peak RSS
	// read after it is the resolver's alone.
	if err := interleave(c.rounds, append(append([]*contender{ours, withImports}, cli.all()...), append([]*contender{floor}, peers...)...)...); err != nil {
		return err
	}
	md := ours.median()
	ours.note = fmt.Sprintf("%d distinct files, %d missing names, %.0f programs/s", len(objects), missing, float64(len(files))/md.wall.Seconds())
	if loop != nil {
		loop.note = fmt.Sprintf("%d runs a round, %d failed", len(files), loopFailed)
	}
	if lddtreePeer != nil {
		lddtreePeer.note = fmt.Sprintf("1 call on all files (seconds long: one run only), %d distinct files", lddtreeFiles)
	}
	if uroot != nil {
		uroot.note = fmt.Sprintf("%d calls a round, %d failed, %d distinct paths", len(files), urootFailed, len(urootPaths))
	}
	withImports.note = "the closure plus every file's imported symbols and dlopen notes (rootfs, image)"
	table(append(append([]*contender{ours, withImports}, cli.all()...), append([]*contender{floor}, peers...)...)...)
	if loop != nil {
		if r, ok := printRatio("loader loop / fromscratch", loop, ours); ok {
			verdict("≥ 20× faster than the loader loop", r.wall >= 20, r.wall)
		}
		printRatio("loader loop / fromscratch with imports", loop, withImports)
		if r, ok := printRatio("loader loop / deps --list (CLI)", loop, cli.list); ok {
			verdict("≥ 40× faster than the loader loop, deps --list as a process, cold", r.wall >= 40, r.wall)
		}
		if r, ok := printRatio("loader loop / deps, rules on (CLI)", loop, cli.rules); ok {
			verdict("≥ 25× faster than the loader loop, rules on, as a process, cold", r.wall >= 25, r.wall)
		}
		if r, ok := printRatio("loader loop / deps --list (CLI, cached)", loop, cli.listWarm); ok {
			verdict("≥ 40× faster than the loader loop, deps --list as a process, run cache warm", r.wall >= 40, r.wall)
		}
		if r, ok := printRatio("loader loop / deps, rules (CLI, cached)", loop, cli.rulesWarm); ok {
			verdict("≥ 25× faster than the loader loop, rules on, as a process, run cache warm", r.wall >= 25, r.wall)
		}
		printRatio("loader loop / floor", loop, floor)
	}
	if lddtreePeer != nil {
		printRatio("lddtree -l / fromscratch", lddtreePeer, ours)
	}
	if uroot != nil {
		printRatio("u-root / fromscratch", uroot, ours)
	}
	fmt.Printf("  memory: peak RSS %.1f MiB after the first resolution, %.1f MiB before it (getrusage); %.1f MiB allocated by one resolution (runtime.MemStats)\n",
		rss, rss0, float64(allocated)/(1<<20))
	return readOnce(files, objects)
}

// readOnce runs the same resolution again, in a child process traced by
// trace, and prints how many times each object was opened: the
// evidence that each is read once however many programs need it. elfscan
// exposes no count of its own.
func readOnce(files []string, objects map[string]bool) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	res, err := trace.Run(context.Background(), append([]string{exe}, files...), &trace.Options{
		Env:     append(os.Environ(), childEnv+"=closure"),
		Stderr:  os.Stderr,
		Timeout: time.Minute,
	})
	if err != nil {
		return fmt.Errorf("read-once check: %w", err)
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("read-once check: the traced resolution exited with %d", res.ExitCode)
	}
	opens := map[string]int{}
	listed := map[string]int{}
	for _, a := range res.Accesses {
		switch a.Op {
		case trace.OpOpen:
			if objects[a.Path] {
				opens[a.Path]++
			}
		case trace.OpListDir:
			listed[a.Path]++
		}
	}
	total, again := 0, []string{}
	for p, n := range opens {
		total += n
		if n > 1 {
			again = append(again, fmt.Sprintf("%s %d×", p, n))
		}
	}
	sort.Strings(again)
	word := "each opened once"
	if len(again) > 0 {
		word = fmt.Sprintf("%d opened more than once: %s", len(again), strings.Join(again[:min(len(again), 5)], ", "))
	}
	fmt.Printf("  read once (the resolution traced by trace; elfscan exposes no count): %d of %d objects opened, %d opens, %s; %d directories listed\n",
		len(opens), len(objects), total, word, len(listed))
	return nil
}

// programs lists the dynamic programs of the glibc loader directly in dir.
func programs(dir string) ([]string, error) {
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

// loaderLoop asks the loader about each file in turn, and returns how many
// runs failed. The file is given to ld.so as an argument, so that nothing
// but the loader runs, even for set-id programs.
func loaderLoop(files []string) (failed int) {
	for _, f := range files {
		cmd := exec.Command(loader, f)
		cmd.Env = []string{"LD_TRACE_LOADED_OBJECTS=1"}
		if err := cmd.Run(); err != nil {
			failed++
		}
	}
	return failed
}

const python, lddtreeScript = "/usr/bin/python3", "/usr/bin/lddtree"

// haveLddtree says why pax-utils' lddtree cannot run, if it cannot: the
// python on PATH may lack its module, so it runs with Debian's python3.
func haveLddtree() error {
	for _, f := range []string{python, lddtreeScript} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("%v (apt-get install pax-utils python3)", err)
		}
	}
	return nil
}

// lddtree runs pax-utils' lddtree once on all files and returns the
// number of distinct files it lists.
func lddtree(files []string) (int, error) {
	if err := haveLddtree(); err != nil {
		return 0, err
	}
	cmd := exec.Command(python, append([]string{lddtreeScript, "-l"}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("%v: %s", err, firstLine(stderr.String()))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	slices.Sort(lines)
	return len(slices.Compact(lines)), nil
}

// urootLdd calls u-root's ldd.List once per file, adds the paths it
// lists to all and returns how many calls failed: a call fails as a whole
// when any file has a missing library (the loader's --list mode stops).
func urootLdd(files []string, all map[string]bool) (failed int) {
	for _, f := range files {
		libs, err := ldd.List(f)
		if err != nil {
			failed++
		}
		for _, l := range libs {
			all[l] = true
		}
	}
	return failed
}
