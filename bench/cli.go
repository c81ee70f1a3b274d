package main

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
)

// cliContenders are the closure measured as a user meets it: the
// fromscratch command, built once, run as a process on all the files
// (process start included), as `deps --list` and as the tree with the
// rules on; and the floor, a loop that only opens each file of the
// closure and reads its headers and dynamic section. objects is filled
// by the in-process run, which goes first. cleanup removes the build.
func cliContenders(files []string, objects map[string]bool) (cli cliRows, floor *contender, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "fromscratch-bench-")
	if err != nil {
		return cliRows{}, nil, nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	bin := filepath.Join(dir, "fromscratch")
	build := exec.Command("go", "build", "-o", bin, "./cmd/fromscratch")
	if out, err := build.CombinedOutput(); err != nil {
		cleanup()
		return cliRows{}, nil, nil, fmt.Errorf("go build ./cmd/fromscratch: %v\n%s", err, out)
	}
	cache := filepath.Join(dir, "cache")
	run := func(cached bool, args ...string) func(int) error {
		if !cached {
			args = append(args, "--no-cache")
		}
		return func(int) error {
			cmd := exec.Command(bin, append(args, files...)...)
			cmd.Env = append(os.Environ(), "FROMSCRATCH_CACHE="+cache)
			var ee *exec.ExitError
			// Exit 1: done, some library missing (a program of the
			// directory whose library is not installed).
			if err := cmd.Run(); err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) {
				return fmt.Errorf("%s: %v", cmd, err)
			}
			return nil
		}
	}
	// Cold: --no-cache, every run does the work. Warm: the run cache
	// filled by the untimed warm-up run, each run replays it after
	// checking that nothing it read has changed.
	cli = cliRows{
		list:      &contender{name: "deps --list (CLI)", run: run(false, "deps", "--list")},
		rules:     &contender{name: "deps, rules on (CLI)", run: run(false, "deps")},
		listWarm:  &contender{name: "deps --list (CLI, cached)", warm: true, run: run(true, "deps", "--list")},
		rulesWarm: &contender{name: "deps, rules (CLI, cached)", warm: true, run: run(true, "deps")},
	}
	cli.listWarm.note = "run cache filled by a warm-up run: replayed after checking each file the run read"
	cli.rulesWarm.note = cli.listWarm.note
	floor = &contender{name: "floor", run: func(int) error {
		paths := make([]string, 0, len(objects))
		for p := range objects {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			if err := readDynamic(p); err != nil {
				return err
			}
		}
		return nil
	}}
	floor.note = "open each file of the closure, pread its ELF and program headers and dynamic segment"
	return cli, floor, cleanup, nil
}

// cliRows are the CLI's contenders: deps --list and deps with its rules,
// each cold (--no-cache) and with the run cache warm.
type cliRows struct {
	list, rules, listWarm, rulesWarm *contender
}

func (c cliRows) all() []*contender { return []*contender{c.list, c.rules, c.listWarm, c.rulesWarm} }

// readDynamic reads what the loader reads of a file before it maps it:
// the ELF header, the program headers and the dynamic segment, with pread
// and nothing else (64-bit little-endian files, as on this host; others
// stop after the header).
func readDynamic(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	var eh [64]byte
	if _, err := f.ReadAt(eh[:], 0); err != nil {
		return fmt.Errorf("%s: %v", p, err)
	}
	if elf.Class(eh[elf.EI_CLASS]) != elf.ELFCLASS64 || elf.Data(eh[elf.EI_DATA]) != elf.ELFDATA2LSB {
		return nil
	}
	le := binary.LittleEndian
	phoff, phentsize, phnum := int64(le.Uint64(eh[32:])), int64(le.Uint16(eh[54:])), int64(le.Uint16(eh[56:]))
	ph := make([]byte, phentsize*phnum)
	if _, err := f.ReadAt(ph, phoff); err != nil {
		return fmt.Errorf("%s: program headers: %v", p, err)
	}
	for i := int64(0); i < phnum; i++ {
		h := ph[i*phentsize:]
		if elf.ProgType(le.Uint32(h)) != elf.PT_DYNAMIC {
			continue
		}
		dyn := make([]byte, le.Uint64(h[32:]))
		if _, err := f.ReadAt(dyn, int64(le.Uint64(h[8:]))); err != nil {
			return fmt.Errorf("%s: dynamic segment: %v", p, err)
		}
	}
	return nil
}
