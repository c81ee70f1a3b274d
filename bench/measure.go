package main

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// sample is one run: its wall time and the CPU time (user + system) of
// this process and of the children it waited for during the run.
type sample struct{ wall, cpu time.Duration }

// A contender is one row of a table: something run once per round.
type contender struct {
	name string
	// run does the measured work of one round; after, if set, runs
	// untimed after it (cleanup, sizes).
	run   func(round int) error
	after func(round int) error
	peer  bool // a peer's failure skips it; ours is a failure of the bench
	warm  bool // one untimed run before the rounds
	max   int  // at most this many runs (0: one a round)

	samples []sample
	note    string // printed after the times
	skipped string // why a peer did not run
}

// interleave runs the contenders in rounds, each round in an order
// rotated by one from the round before, so that no contender always runs
// after the same one. The garbage of one run is collected before the next
// starts, so that no run pays for another's.
func interleave(rounds int, cs ...*contender) error {
	for _, c := range cs {
		if c.warm {
			if err := c.do(-1, false); err != nil {
				return err
			}
		}
	}
	for r := range rounds {
		for i := range cs {
			c := cs[(r+i)%len(cs)]
			if c.max > 0 && len(c.samples) >= c.max {
				continue
			}
			if err := c.do(r, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// do runs c once: round -1 is the warm-up. A peer's error skips the peer.
func (c *contender) do(round int, keep bool) error {
	if c.skipped != "" {
		return nil
	}
	runtime.GC()
	s, err := measure(func() error { return c.run(round) })
	if err == nil && c.after != nil {
		err = c.after(round)
	}
	if err != nil {
		if c.peer {
			c.skipped = err.Error()
			return nil
		}
		return fmt.Errorf("%s: %w", c.name, err)
	}
	if keep {
		c.samples = append(c.samples, s)
	}
	return nil
}

func measure(fn func() error) (sample, error) {
	cpu0 := cpuTime()
	start := time.Now()
	err := fn()
	wall := time.Since(start)
	used := cpuTime().sub(cpu0)
	return sample{wall, used.self + used.children}, err
}

// stat is the minimum or the median of each of wall and CPU time.
func (c *contender) stat(pick func([]time.Duration) time.Duration) sample {
	var wall, cpu []time.Duration
	for _, s := range c.samples {
		wall = append(wall, s.wall)
		cpu = append(cpu, s.cpu)
	}
	return sample{pick(wall), pick(cpu)}
}

func (c *contender) min() sample    { return c.stat(slices.Min[[]time.Duration]) }
func (c *contender) median() sample { return c.stat(median) }

// ok says whether c has samples to compare.
func (c *contender) ok() bool { return c != nil && c.skipped == "" && len(c.samples) > 0 }

func median(d []time.Duration) time.Duration {
	d = slices.Clone(d)
	slices.Sort(d)
	n := len(d)
	if n%2 == 1 {
		return d[n/2]
	}
	return (d[n/2-1] + d[n/2]) / 2
}

// table prints the contenders, one line each.
func table(cs ...*contender) {
	w := len("name")
	for _, c := range cs {
		w = max(w, len(c.name))
	}
	fmt.Printf("  %-*s %4s %9s %9s %9s %9s\n", w, "", "runs", "wall min", "wall med", "CPU min", "CPU med")
	for _, c := range cs {
		if c.skipped != "" {
			fmt.Printf("  %-*s skipped: %s\n", w, c.name, c.skipped)
			continue
		}
		mn, md := c.min(), c.median()
		fmt.Printf("  %-*s %4d %9s %9s %9s %9s  %s\n", w, c.name, len(c.samples),
			dur(mn.wall), dur(md.wall), dur(mn.cpu), dur(md.cpu), c.note)
	}
}

// ratio is num's median time over den's, wall and CPU, and the ratio of
// the minimum wall times.
type ratio struct{ wall, cpu, minWall float64 }

func ratioOf(num, den *contender) ratio {
	n, d := num.median(), den.median()
	nm, dm := num.min(), den.min()
	return ratio{
		wall:    n.wall.Seconds() / d.wall.Seconds(),
		cpu:     n.cpu.Seconds() / d.cpu.Seconds(),
		minWall: nm.wall.Seconds() / dm.wall.Seconds(),
	}
}

func (r ratio) String() string {
	return fmt.Sprintf("%5.2f× wall, %5.2f× CPU (medians; %.2f× of the minimum walls)", r.wall, r.cpu, r.minWall)
}

// labelWidth aligns the ratios of a section.
const labelWidth = 40

// printRatio prints "label: ratio", num's time over den's, or why there
// is none.
func printRatio(label string, num, den *contender) (ratio, bool) {
	if !num.ok() || !den.ok() {
		fmt.Printf("  %-*s no ratio, %s skipped\n", labelWidth, label+":", skippedName(num, den))
		return ratio{}, false
	}
	r := ratioOf(num, den)
	fmt.Printf("  %-*s %s\n", labelWidth, label+":", r)
	return r, true
}

func skippedName(cs ...*contender) string {
	var names []string
	for _, c := range cs {
		if !c.ok() {
			names = append(names, c.name)
		}
	}
	return strings.Join(names, " and ")
}

// verdict prints whether a ratio of wall times meets a target.
func verdict(target string, met bool, value float64) {
	word := "met"
	if !met {
		word = "NOT MET"
	}
	fmt.Printf("  target %s (median wall): %.2f×, %s\n", target, value, word)
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

// maxRSS is the peak resident set of this process, in MB.
func maxRSS() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}

// dur prints a duration with three or four significant digits.
func dur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	}
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
