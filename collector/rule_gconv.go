package collector

import (
	"bufio"
	"bytes"
	"path"
	"sort"
	"strings"
)

// DefaultCharsets are the character sets whose gconv modules a program
// that uses iconv gets unless WithCharsets says otherwise: the ISO 8859
// and Windows code pages of Europe and the Americas, KOI8 for Cyrillic,
// the two DOS code pages still met, and the Unicode encodings that are
// not built into glibc. Built in, and so always there: UTF-8, UCS-2,
// UCS-4 (and their LE/BE forms), WCHAR_T and ASCII. A new slice each call.
func DefaultCharsets() []string {
	return []string{
		"ISO-8859-1", "ISO-8859-2", "ISO-8859-3", "ISO-8859-4", "ISO-8859-5",
		"ISO-8859-6", "ISO-8859-7", "ISO-8859-8", "ISO-8859-9", "ISO-8859-10",
		"ISO-8859-11", "ISO-8859-13", "ISO-8859-14", "ISO-8859-15", "ISO-8859-16",
		"CP1250", "CP1251", "CP1252", "CP1253", "CP1254", "CP1255", "CP1256",
		"CP1257", "CP1258", "KOI8-R", "KOI8-U", "IBM437", "IBM850",
		"UTF-7", "UTF-16", "UTF-32", "UNICODE",
	}
}

// builtinCharsets are glibc's built-in conversions (iconv/gconv_builtin.h):
// they need no module.
var builtinCharsets = map[string]bool{
	"UTF-8//": true, "UTF8//": true, "ISO-10646/UTF8/": true, "ISO-10646/UTF-8/": true,
	"UCS-2//": true, "UCS2//": true, "ISO-10646/UCS2/": true, "UCS-2LE//": true,
	"UCS-2BE//": true, "UNICODELITTLE//": true, "UNICODEBIG//": true,
	"UCS-4//": true, "UCS4//": true, "ISO-10646/UCS4/": true, "UCS-4LE//": true,
	"UCS-4BE//": true, "ISO-10646//": true, "WCHAR_T//": true, "INTERNAL": true,
	"ANSI_X3.4-1968//": true, "ASCII//": true, "US-ASCII//": true, "ANSI_X3.4//": true,
	"ISO646-US//": true, "US//": true,
}

// ruleGconv: glibc's iconv_open loads a module from its gconv directory
// for every conversion that is not built in, as named by gconv-modules
// (or its compiled form gconv-modules.cache). Evidence: glibc in a closure
// and an object importing iconv_open. Added: the configuration and the
// modules of the chosen character sets (DefaultCharsets, WithCharsets),
// with their closures (some modules need libJIS.so, libGB.so… beside
// them).
func ruleGconv(c *collection) error {
	libc := c.glibc()
	if libc == nil {
		return nil
	}
	syms := []string{"iconv_open"}
	objs := c.importers(syms...)
	if len(objs) == 0 {
		return nil
	}
	why := Reason{Rule: RuleGconv, Requester: describe(objs), Evidence: "iconv (" + evidence(objs, syms) + ")"}
	dir := c.gconvDir(libc.RealPath, path.Dir(libc.Path))
	if dir == "" {
		c.warn(WarnMissingFile, "", "%s but the root has no gconv directory: only UTF-8, UCS-2/4 and ASCII convert", why)
		return nil
	}
	for _, name := range []string{"gconv-modules", "gconv-modules.cache", "gconv-modules.d"} {
		p := path.Join(dir, name)
		if c.exists(p) {
			if err := c.addPath(p, why, false); err != nil {
				return err
			}
		}
	}
	conf := c.gconvConfig(dir)
	charsets := DefaultCharsets()
	if c.cfg.charsetsOn {
		charsets = c.cfg.charsets
	}
	for _, m := range conf.filesFor(charsets, c) {
		p := m.file
		if !strings.HasPrefix(p, "/") {
			p = path.Join(dir, p)
		}
		p += ".so"
		if !c.exists(p) {
			c.warn(WarnMissingFile, p, "gconv module %s for %s is not in the root", p, m.charset)
			continue
		}
		if _, err := c.addLibrary(p, Reason{Rule: RuleGconv, Requester: why.Requester, Evidence: "gconv module for " + m.charset + " (" + why.Evidence + ")"}); err != nil {
			return err
		}
	}
	return nil
}

// gconvDir is glibc's gconv directory: the path compiled into libc (the
// directory of its GCONV_MODULES_CACHE path), else "gconv" beside libc.
func (c *collection) gconvDir(libcReal, libcDir string) string {
	if s := c.fileString(libcReal, "/", "/gconv/gconv-modules.cache"); s != "" {
		if d := path.Dir(s); c.exists(d) {
			return d
		}
	}
	if d := path.Join(libcDir, "gconv"); c.exists(d) {
		return d
	}
	return ""
}

// A gconvConfig is what gconv-modules and gconv-modules.d/*.conf say.
type gconvConfig struct {
	alias   map[string]string // alias → charset, both normalised
	modules []gconvModule     // every module line, in order
}

type gconvModule struct{ from, to, file, charset string }

// gconvConfig reads the text configuration of dir.
func (c *collection) gconvConfig(dir string) *gconvConfig {
	conf := &gconvConfig{alias: map[string]string{}}
	files := []string{path.Join(dir, "gconv-modules")}
	if list, err := c.root.ReadDir(path.Join(dir, "gconv-modules.d")); err == nil {
		for _, de := range list {
			if strings.HasSuffix(de.Name(), ".conf") {
				files = append(files, path.Join(dir, "gconv-modules.d", de.Name()))
			}
		}
	}
	for _, f := range files {
		data, err := c.root.ReadFile(f, 16<<20)
		if err != nil {
			continue
		}
		conf.parse(data)
	}
	return conf
}

func (g *gconvConfig) parse(data []byte) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		w := strings.Fields(line)
		switch {
		case len(w) >= 3 && w[0] == "alias":
			g.alias[strings.ToUpper(w[1])] = strings.ToUpper(w[2])
		case len(w) >= 4 && w[0] == "module":
			g.modules = append(g.modules, gconvModule{from: strings.ToUpper(w[1]), to: strings.ToUpper(w[2]), file: w[3]})
		}
	}
}

// modules returns the module files that convert the charsets to or from
// glibc's INTERNAL form, each once; "all" is every module.
func (g *gconvConfig) filesFor(charsets []string, c *collection) []gconvModule {
	seen := map[string]bool{}
	var out []gconvModule
	add := func(m gconvModule, charset string) {
		if !seen[m.file] {
			seen[m.file] = true
			m.charset = charset
			out = append(out, m)
		}
	}
	for _, cs := range charsets {
		if strings.EqualFold(cs, "all") {
			for _, m := range g.modules {
				add(m, strings.TrimSuffix(m.from, "//"))
			}
			continue
		}
		name := strings.ToUpper(cs)
		if !strings.Contains(name, "/") {
			name += "//"
		}
		if a, ok := g.alias[name]; ok {
			name = a
		}
		found := false
		for _, m := range g.modules {
			if m.from == name || m.to == name {
				add(m, cs)
				found = true
			}
		}
		if !found && !builtinCharsets[name] {
			c.warn(WarnMissingFile, "", "character set %s: no gconv module for it in the root", cs)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].file < out[j].file })
	return out
}
