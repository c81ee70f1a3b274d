package main

import (
	"errors"

	"github.com/spf13/pflag"
)

var rootfsCommand = &command{
	name:  "rootfs",
	args:  "-o DIR [flags] FILE...",
	short: "write a root filesystem in which FILE runs",
	long:  `Collects FILE, its libraries and what it needs at run time into DIR.`,
	flags: func(fs *pflag.FlagSet) func([]string) error {
		return func(args []string) error { return errors.New("not implemented yet") }
	},
}

var imageCommand = &command{
	name:  "image",
	args:  "[flags] FILE...",
	short: "write an OCI image of FILE: layout, docker tarball or registry",
	long:  `Collects FILE like rootfs and writes it as an image layer.`,
	flags: func(fs *pflag.FlagSet) func([]string) error {
		return func(args []string) error { return errors.New("not implemented yet") }
	},
}
