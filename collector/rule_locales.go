package collector

import (
	"bytes"
	"fmt"
	"path"
	"strings"
	"unicode"
)

// WithLocales adds locales of the root besides C.UTF-8, which the locales
// rule adds on its own: names as setlocale takes them ("de_DE.UTF-8",
// "en_US.utf8"), found as the root's glibc finds them, in a directory of
// its locale path (/usr/lib/locale/NAME, the codeset normalized as glibc
// does: de_DE.utf8) or else in its locale-archive, which is then added
// whole; "all" adds the whole locale directory. A name the root has
// nowhere is an error. Locales only take effect through the image's
// environment (LANG, LC_ALL…), which they do not set: give it with the
// image's environment (--env LANG=de_DE.UTF-8).
func WithLocales(names ...string) Option {
	return func(c *config) error {
		for _, n := range names {
			if n == "" || strings.ContainsAny(n, "/\x00") || n == "." || n == ".." {
				return fmt.Errorf("locale %q: not a locale name", n)
			}
		}
		c.locales = append(c.locales, names...)
		return nil
	}
}

// localeFuncs are the functions through which a program takes a locale
// from the environment or by name.
var localeFuncs = []string{"setlocale", "newlocale"}

// defaultLocaleDir is glibc's compiled-in locale path on every
// distribution that keeps the default prefix.
const defaultLocaleDir = "/usr/lib/locale"

// localeDir is where the root's glibc looks for locales: the directory
// of the locale-archive path compiled into libc.so.6 (Debian, Fedora and
// Arch all have /usr/lib/locale).
func (c *collection) localeDir() string {
	libc := c.glibc()
	if libc == nil {
		return defaultLocaleDir
	}
	if s := c.fileString(libc.RealPath, "/", "/locale-archive"); s != "" {
		return path.Dir(s)
	}
	return defaultLocaleDir
}

// ruleLocales: a program that calls setlocale(LC_ALL, "") or newlocale
// takes its character set, collation and formats from the locale that
// LANG/LC_* name; glibc reads that locale's files, and a locale it does
// not find leaves the program in "C": UTF-8 text is counted, cut and
// matched as bytes, silently. Evidence: glibc's libc.so.6 in a closure and
// an object importing setlocale or newlocale. Added: the root's C.UTF-8
// locale (LOCALEDIR/C.utf8, the locale of containers, that every glibc
// since 2.35 ships), glibc's locale.alias and gconv configuration, which
// setlocale reads (addLocaleSupport), and the locales WithLocales names. musl has C.UTF-8
// built in and needs nothing.
func ruleLocales(c *collection) error {
	if c.glibc() == nil {
		return nil
	}
	objs := c.importers(localeFuncs...)
	if len(objs) == 0 && len(c.cfg.locales) == 0 {
		return nil
	}
	dir := c.localeDir()
	if len(objs) > 0 {
		cutf8 := path.Join(dir, "C.utf8")
		why := Reason{Rule: RuleLocale, Requester: describe(objs), Evidence: "C.UTF-8 (" + evidence(objs, localeFuncs) + ")"}
		if st, err := c.root.Stat(cutf8); err == nil && st.IsDir() {
			if err := c.addPath(cutf8, why, false); err != nil {
				return err
			}
		}
		if err := c.addLocaleSupport(why); err != nil {
			return err
		}
		// A root without it (glibc older than 2.35, or one that left it
		// out) has no C.UTF-8 to give: programs run in "C" there too.
	}
	for _, name := range c.cfg.locales {
		if err := c.addLocale(dir, name); err != nil {
			return fmt.Errorf("locale %s: %w", name, err)
		}
	}
	return nil
}

// addLocaleSupport adds what setlocale reads besides the locale itself:
// glibc's alias file (locale.alias, at the path compiled into libc.so.6),
// and gconv's configuration, which it reads to find the locale's
// character set converter (UTF-8's is built in: no module is needed).
func (c *collection) addLocaleSupport(why Reason) error {
	libc := c.glibc()
	// libc has its LOCALE_ALIAS_PATH ("/usr/share/locale") and
	// "/locale.alias" as two strings.
	if dir := c.fileString(libc.RealPath, "/", "/share/locale"); dir != "" && c.exists(dir+"/locale.alias") {
		alias := dir + "/locale.alias"
		if err := c.addPath(alias, why, true); err != nil {
			return err
		}
	}
	dir := c.gconvDir(libc.RealPath, path.Dir(libc.Path))
	if dir == "" {
		return nil
	}
	for _, name := range []string{"gconv-modules", "gconv-modules.cache", "gconv-modules.d"} {
		if p := path.Join(dir, name); c.exists(p) {
			if err := c.addPath(p, why, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// addLocale adds one locale named by WithLocales, where the root's glibc
// would find it.
func (c *collection) addLocale(dir, name string) error {
	reason := Reason{Rule: RuleLocale, Evidence: name + " (--locales)"}
	if name == "all" {
		if !c.exists(dir) {
			return fmt.Errorf("the root has no %s", dir)
		}
		return c.addPath(dir, reason, false)
	}
	for _, n := range []string{name, normalizeLocale(name)} {
		p := path.Join(dir, n)
		if st, err := c.root.Stat(p); err == nil && st.IsDir() {
			return c.addPath(p, reason, false)
		}
	}
	archive := path.Join(dir, "locale-archive")
	if c.exists(archive) {
		data, err := c.root.ReadFile(archive, 1<<30)
		if err != nil {
			return err
		}
		// The archive's name table holds each locale as a NUL-terminated
		// string, its codeset normalized.
		if bytes.Contains(data, []byte(normalizeLocale(name)+"\x00")) {
			reason.Evidence = name + " (--locales; in the locale archive)"
			return c.addPath(archive, reason, true)
		}
	}
	return fmt.Errorf("not in the root (neither %s nor %s has it)", path.Join(dir, normalizeLocale(name)), archive)
}

// normalizeLocale is glibc's _nl_normalize_codeset applied to a locale
// name: the codeset (between '.' and '@') lowercased with everything but
// letters and digits removed, "iso" put before one of digits only:
// "de_DE.UTF-8@euro" is "de_DE.utf8@euro".
func normalizeLocale(name string) string {
	lang, rest, ok := strings.Cut(name, ".")
	if !ok {
		return name
	}
	codeset, modifier, hasMod := strings.Cut(rest, "@")
	var b strings.Builder
	digits := true
	for _, r := range codeset {
		switch {
		case unicode.IsLetter(r):
			digits = false
			b.WriteRune(unicode.ToLower(r))
		case unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	cs := b.String()
	if digits && cs != "" {
		cs = "iso" + cs
	}
	out := lang + "." + cs
	if hasMod {
		out += "@" + modifier
	}
	return out
}
