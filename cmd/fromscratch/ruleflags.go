package main

import (
	"github.com/spf13/pflag"

	"github.com/fromscratch/fromscratch/collector"
)

// ruleFlags are the flags of the rules for what real programs need beyond
// the loader: locales, package configuration, accounts, dlopen notes.
type ruleFlags struct {
	locales     []string
	noConffiles bool
	addUsers    []string
	addGroups   []string
	dlopenNotes string
}

func (f *ruleFlags) register(fs *pflag.FlagSet) {
	fs.StringSliceVar(&f.locales, "locales", nil, "add these locales of the root besides C.UTF-8 (`LIST`, comma-separated, e.g. de_DE.UTF-8; \"all\"); the image's LANG is what --env sets")
	fs.BoolVar(&f.noConffiles, "no-conffiles", false, "add no Debian package configuration (conffiles, the package's directories) for the programs and libraries")
	fs.StringSliceVar(&f.addUsers, "add-user", nil, "add the root's users `NAMES` (and their primary groups) to the image's /etc/passwd (comma-separated; repeatable)")
	fs.StringSliceVar(&f.addGroups, "add-group", nil, "add the root's groups `NAMES` to the image's /etc/group (comma-separated; repeatable)")
	fs.StringVar(&f.dlopenNotes, "dlopen-notes", "recommended", "add the libraries that .note.dlopen notes declare, of `PRIORITY` and above: required, recommended, suggested, or none")
}

func (f *ruleFlags) options() []collector.Option {
	var opts []collector.Option
	if len(f.locales) > 0 {
		opts = append(opts, collector.WithLocales(f.locales...))
	}
	if f.noConffiles {
		opts = append(opts, collector.WithNoConffiles())
	}
	if len(f.addUsers) > 0 {
		opts = append(opts, collector.WithUserNames(f.addUsers...))
	}
	if len(f.addGroups) > 0 {
		opts = append(opts, collector.WithGroupNames(f.addGroups...))
	}
	return append(opts, collector.WithDlopenNotes(f.dlopenNotes))
}
