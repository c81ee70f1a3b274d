package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/fromscratch/fromscratch/elfscan"
	"github.com/fromscratch/fromscratch/internal/runcache"
)

// replayed is the exit status of a run whose output came from the run
// cache: printed already, nothing more to say.
type replayed int

func (r replayed) Error() string { return fmt.Sprintf("replayed, exit %d", int(r)) }

// useRunCache replays this command line's kept output if none of what it
// read has changed (returning replayed), or else records this run's
// output and inputs (s.inputs, for the Roots) so that runCommand keeps
// them when it ends with 0 or 1. Only for a command whose output depends
// on nothing but its command line, environment and the files its Roots
// read. Without a cache directory it does nothing.
func (s *session) useRunCache() error {
	dir := runcache.Dir()
	if dir == "" {
		return nil
	}
	key, ok := runKey(s.args)
	if !ok {
		return nil
	}
	c, err := runcache.Open(dir)
	if err != nil {
		return nil // no cache where none can be made: the run is the same
	}
	if out, ok := c.Get(key); ok {
		if err := out.Replay(s.out, s.errw); err != nil {
			return err
		}
		return replayed(out.Exit)
	}
	s.inputs = elfscan.NewInputLog()
	var rec runcache.Recorder
	s.out, s.errw = rec.Writers(s.out, s.errw)
	s.keep = func(exit int) { c.Put(key, rec.Output(exit), s.inputs) }
	return nil
}

// runKey is the run cache's key of a command line: the line, this
// executable, the working directory, the environment and who runs it
// (what one may read, another may not).
func runKey(args []string) (runcache.Key, bool) {
	exe, err := os.Executable()
	if err != nil {
		return runcache.Key{}, false
	}
	st := elfscan.Lstat(exe)
	if st.Err != 0 {
		return runcache.Key{}, false
	}
	wd, err := os.Getwd()
	if err != nil {
		return runcache.Key{}, false
	}
	groups, _ := os.Getgroups()
	// All of the environment, but for the shell's "_" (the command it
	// ran last, or this one's path): the same command line from another
	// shell or script would never be replayed.
	env := slices.DeleteFunc(os.Environ(), func(v string) bool { return strings.HasPrefix(v, "_=") })
	slices.Sort(env)
	parts := []string{
		fmt.Sprintf("exe %s %+v", exe, st),
		"wd " + wd,
		fmt.Sprintf("ids %d %d %v", os.Geteuid(), os.Getegid(), groups),
		fmt.Sprintf("args %d", len(args)),
	}
	parts = append(parts, args...)
	parts = append(parts, "env")
	parts = append(parts, env...)
	return runcache.NewKey(parts...), true
}

// runCacheHelp is --no-cache's help, and says where the cache is.
var runCacheHelp = strings.Join([]string{
	"don't replay or keep this run's output in the run cache ($FROMSCRATCH_CACHE,",
	"default ~/.cache/fromscratch; FROMSCRATCH_CACHE=off turns it off): a run is replayed",
	"when the command line, environment and every file it read are as they were",
}, " ")
