package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/pflag"
)

var versionCommand = &command{
	name:  "version",
	args:  "",
	short: "print the version",
	long:  "Prints fromscratch's version (from the Go build information).",
	flags: func(fs *pflag.FlagSet) func(*session, []string) error {
		return func(s *session, args []string) error {
			v := "(devel)"
			if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
				v = bi.Main.Version
			}
			fmt.Fprintf(s.out, "fromscratch %s\n", v)
			return nil
		}
	},
}
