package main

import (
	"regexp"
	"strings"
)

// optionFlags maps the packages' option names, which their errors and
// warnings name, to this command's flags.
var optionFlags = map[string]string{
	"WithAdd":             "--add",
	"WithAllowMissing":    "--allow-missing",
	"WithCharsets":        "--charsets",
	"WithDlopen":          "--dlopen",
	"WithExclude":         "--exclude",
	"WithForce":           "--force",
	"WithKeepSetuid":      "--keep-setuid",
	"WithNoAuto":          "--no-auto",
	"WithPackageMetadata": "--package-metadata",
	"WithPath":            "--path",
	"WithRoot":            "--root",
	"WithTZData":          "--tzdata",
	"WithTmp":             "--tmp",
	"WithTraced":          "--trace",
	"WithUsers":           "--users",
}

// optionName is an option as package messages name it: WithDlopen, or
// WithDlopen(libfoo.so.1) with its argument.
var optionName = regexp.MustCompile(`\bWith[A-Z][A-Za-z]*\b(\(([^()]*)\))?`)

// flagText rewrites a package's message for the command line: each option
// name becomes its flag, "WithDlopen(libx.so)" "--dlopen libx.so".
func flagText(msg string) string {
	return optionName.ReplaceAllStringFunc(msg, func(m string) string {
		name, arg, _ := strings.Cut(m, "(")
		flag, ok := optionFlags[name]
		if !ok {
			return m
		}
		if arg = strings.TrimSuffix(arg, ")"); arg != "" {
			return flag + " " + arg
		}
		return flag
	})
}
