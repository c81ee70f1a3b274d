package main

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/fromscratch/fromscratch/collector"
)

const curl = "/usr/bin/curl"

// rootfsSection writes curl's rootfs with the collector, every rule on,
// and with lddtree --copy-to-tree, each run into a fresh directory.
func rootfsSection(c *config) error {
	fmt.Printf("== rootfs of %s: collector.Collect + collector.WriteDir against lddtree --copy-to-tree, a fresh directory each run ==\n", curl)
	if _, err := os.Stat(curl); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "fromscratch-bench-rootfs-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	var oursSize, theirsSize treeSize
	// dir is the fresh directory of one run; round -1 is the warm-up.
	dir := func(who string, round int) string {
		return filepath.Join(tmp, fmt.Sprintf("%s-%d", who, round+1))
	}
	// done measures the first tree and removes every one, untimed.
	done := func(size *treeSize, d string, round int) error {
		if round == 0 {
			s, err := measureTree(d)
			if err != nil {
				return err
			}
			*size = s
		}
		return os.RemoveAll(d)
	}
	ours := &contender{name: "fromscratch", warm: true,
		run: func(round int) error {
			plan, err := collector.Collect([]string{curl})
			if err != nil {
				return err
			}
			return collector.WriteDir(plan, dir("ours", round))
		},
		after: func(round int) error { return done(&oursSize, dir("ours", round), round) },
	}
	theirs := &contender{name: "lddtree --copy-to-tree", warm: true, peer: true,
		run: func(round int) error {
			if err := haveLddtree(); err != nil {
				return err
			}
			cmd := exec.Command(python, lddtreeScript, "--copy-to-tree", dir("lddtree", round), curl)
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("%v: %s", err, firstLine(string(out)))
			}
			return nil
		},
		after: func(round int) error { return done(&theirsSize, dir("lddtree", round), round) },
	}
	if err := interleave(c.rounds, ours, theirs); err != nil {
		return err
	}
	ours.note = oursSize.String() + "; every rule on (NSS, gconv, CA bundle…), symlinks kept"
	theirs.note = theirsSize.String() + "; the loader's closure only, symlinks flattened"
	table(ours, theirs)
	printRatio("lddtree --copy-to-tree / fromscratch", theirs, ours)
	return nil
}

// treeSize counts a directory tree: bytes are those of its regular
// files, each inode once (du -sb counts directories and links too).
type treeSize struct {
	files, links, dirs int
	bytes              int64
}

func (s treeSize) String() string {
	return fmt.Sprintf("%d files, %s (%d bytes), %d symlinks, %d dirs", s.files, mb(s.bytes), s.bytes, s.links, s.dirs)
}

func measureTree(dir string) (treeSize, error) {
	var s treeSize
	seen := map[uint64]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case p == dir:
		case d.IsDir():
			s.dirs++
		case d.Type()&fs.ModeSymlink != 0:
			s.links++
		case d.Type().IsRegular():
			s.files++
			fi, err := d.Info()
			if err != nil {
				return err
			}
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				if seen[st.Ino] {
					return nil
				}
				seen[st.Ino] = true
			}
			s.bytes += fi.Size()
		}
		return nil
	})
	return s, err
}
