package collector

import (
	"fmt"
	"path"
	"strings"

	"github.com/fromscratch/fromscratch/elfscan"
	"github.com/fromscratch/fromscratch/internal/quote"
)

// An Option configures Collect.
type Option func(*config) error

type config struct {
	resolver     []elfscan.Option
	allowMissing bool // WithAllowMissing
	adds         []addSpec
	dlopen       []string
	exclude      []string
	noAuto       bool
	tzdata       bool
	charsets     []string
	charsetsOn   bool // WithCharsets was given (even with no names)
	path         []string
	keepSetuid   bool
	tmp, users   bool
	traced       []TracedFile
	packages     bool // WithPackageMetadata
	// WithUserNames, WithGroupNames
	userNames, groupNames []string
	locales               []string // WithLocales
	noConffiles           bool     // WithNoConffiles
	dlopenNotes           string   // WithDlopenNotes

	accountIDs []AccountID // WithAccountIDs
}

type addSpec struct{ src, dst string }

// DefaultPath returns where "#!/usr/bin/env NAME" looks for NAME: a new
// slice each call.
func DefaultPath() []string { return []string{"/usr/local/bin", "/usr/bin", "/bin"} }

// WithResolver passes options to the elfscan.Resolver that computes the
// loader's closure: the Root (elfscan.WithRoot) that every file is read
// from, LD_LIBRARY_PATH, the hwcaps level, the loader flavour.
func WithResolver(opts ...elfscan.Option) Option {
	return func(c *config) error {
		c.resolver = append(c.resolver, opts...)
		return nil
	}
}

// WithRoot is WithResolver(elfscan.WithRoot(root)): everything is read
// inside root instead of the host's "/".
func WithRoot(root *elfscan.Root) Option { return WithResolver(elfscan.WithRoot(root)) }

// WithAdd adds the file or directory tree src of the root at dst in the
// image (dst "" is src). ELF files among them bring their own closure.
// Entries given this way win over the generated ones (/etc/passwd…).
//
// dst may not be "/": the image's root directory is the image's, not a
// copy of anything. An add that would change the type of a path the plan
// has already (a file where it has a directory, a directory under one of
// its files or symlinks) makes Collect fail rather than keep one of them.
func WithAdd(src, dst string) Option {
	return func(c *config) error {
		if src == "" {
			return fmt.Errorf("WithAdd: empty source")
		}
		if dst == "" {
			dst = src
		}
		if elfscan.Clean(dst) == "/" {
			return fmt.Errorf("WithAdd(%s, %s): the destination is the image's root directory, which cannot be replaced; name a path below it", quote.Name(src), quote.Name(dst))
		}
		c.adds = append(c.adds, addSpec{src: elfscan.Clean(src), dst: elfscan.Clean(dst)})
		return nil
	}
}

// ParseAdd splits the --add syntax SRC[:DST].
func ParseAdd(spec string) (src, dst string) {
	src, dst, _ = strings.Cut(spec, ":")
	return src, dst
}

// WithDlopen adds libraries that the programs open at run time: a NAME is
// searched the way the loader searches a dlopen of the first program, a
// PATH (with a slash) is taken as it is. Each brings its closure.
func WithDlopen(names ...string) Option {
	return func(c *config) error {
		c.dlopen = append(c.dlopen, names...)
		return nil
	}
}

// WithExclude keeps the image paths matching the patterns out of the
// plan; a pattern matching a directory excludes everything below it.
// Patterns use path.Match syntax per path component, plus "**" for any
// number of components. An absolute pattern matches whole paths
// ("/usr/share/doc", "/usr/lib/**/*.a"); a relative one matches the end of
// a path at any depth ("libssl.so*", "share/doc"). What was left out is
// listed in Plan.Excluded; symlinks left leading nowhere are dropped.
func WithExclude(patterns ...string) Option {
	return func(c *config) error {
		for _, p := range patterns {
			if _, err := path.Match(p, ""); err != nil {
				return fmt.Errorf("WithExclude(%q): %w", p, err)
			}
		}
		c.exclude = append(c.exclude, patterns...)
		return nil
	}
}

// WithNoAuto turns every automatic rule off: the plan is the loader's
// closure plus what is named explicitly (WithAdd, WithDlopen, WithTZData,
// WithTraced, WithLocales, WithUserNames, WithGroupNames).
func WithNoAuto() Option {
	return func(c *config) error {
		c.noAuto = true
		return nil
	}
}

// WithTZData adds the root's time zone database (/usr/share/zoneinfo) and
// /etc/localtime when the root has one.
func WithTZData() Option {
	return func(c *config) error {
		c.tzdata = true
		return nil
	}
}

// WithCharsets chooses the iconv character sets whose gconv modules are
// added when a program uses iconv: names or aliases as iconv knows them
// ("ISO-8859-15", "CP1252", "EUC-JP"), "all" for every module, or none
// for the built-in ones only (UTF-8, UCS-2, UCS-4, ASCII). The default is
// DefaultCharsets.
func WithCharsets(names ...string) Option {
	return func(c *config) error {
		c.charsets = append(c.charsets, names...)
		c.charsetsOn = true
		return nil
	}
}

// WithPath is the PATH, inside the root, on which "#!/usr/bin/env NAME"
// finds NAME (default DefaultPath).
func WithPath(dirs ...string) Option {
	return func(c *config) error {
		c.path = dirs
		return nil
	}
}

// WithKeepSetuid keeps setuid and setgid bits, dropped by default.
func WithKeepSetuid() Option {
	return func(c *config) error {
		c.keepSetuid = true
		return nil
	}
}
