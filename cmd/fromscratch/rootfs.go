package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/quote"
)

var rootfsCommand = &command{
	name:  "rootfs",
	args:  "-o DIR [flags] FILE...   or   --trace -o DIR [flags] PROG [FILE...] -- ARGS...",
	short: "write a root filesystem in which FILE runs",
	long: `Collects each FILE (a program, a library or a "#!" script), the libraries the
loader would load for it at the paths it would open them, the symlinks on the
way, and what it needs at run time that the loader does not show (NSS and
gconv modules, libgcc_s, CA certificates, passwd/group, /tmp), into DIR.

DIR is built beside itself and renamed at the end: a failure leaves nothing.
A library the loader would not find is an error (exit 1, nothing written)
unless --allow-missing.`,
	flags: func(fs *pflag.FlagSet) func(*session, []string) error {
		var cf collectFlags
		var output, epoch string
		var force bool
		var sf sbomFlags
		fs.StringVarP(&output, "output", "o", "", "write the root filesystem to `DIR` (required)")
		fs.BoolVar(&force, "force", false, "replace DIR if it is not empty")
		fs.StringVar(&epoch, "source-date-epoch", "", "clamp file times to `SECONDS` since 1970: older files keep theirs, the rest get it (default $SOURCE_DATE_EPOCH, else 0)")
		cf.register(fs)
		sf.register(fs)
		return func(s *session, _ []string) error {
			cf.ses = s
			defer cf.closeFrom()
			if output == "" {
				return usageError{fmt.Errorf("-o DIR is required")}
			}
			mtime, err := sourceDateEpoch(epoch)
			if err != nil {
				return err
			}
			if err := sf.parse(); err != nil {
				return err
			}
			plan, err := cf.plan(fs)
			if err != nil {
				return err
			}
			if err := cf.checkPlan(plan); err != nil {
				return err
			}
			opts := []collector.WriteOption{collector.WithTime(mtime), collector.WithContext(s.ctx)}
			if force {
				opts = append(opts, collector.WithForce())
			}
			sboms, err := sf.make(plan, filepath.Base(filepath.Clean(output)), mtime)
			if err != nil {
				return err
			}
			commitSBOMs, abortSBOMs, err := sboms.stage()
			if err != nil {
				return err
			}
			if err := collector.WriteDir(plan, output, opts...); err != nil {
				abortSBOMs()
				return err
			}
			if err := commitSBOMs(); err != nil {
				return err
			}
			s.printWarnings(plan)
			files, size := planSize(plan)
			fmt.Fprintf(s.errw, "fromscratch: wrote %s: %d entries, %d files, %s\n", quote.Name(output), len(plan.Entries), files, humanSize(size))
			return nil
		}
	},
}

// planSize counts the plan's regular files and their bytes.
func planSize(plan *collector.Plan) (files int, size int64) {
	for _, e := range plan.Entries {
		if e.Kind == collector.File {
			files++
			size += e.Size
		}
	}
	return files, size
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
