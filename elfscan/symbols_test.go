package elfscan

import (
	"debug/elf"
	"slices"
	"testing"
)

// The dynamic symbols read through DT_SYMTAB and the hash tables are
// those debug/elf reads through the section headers, for every ELF file
// of this machine's program and library directories: imports when the
// scan reads them, imports and exports when asked for later.
func TestSymbolsAgreeWithDebugELF(t *testing.T) {
	root := HostRoot()
	var files, withImports, withExports int
	for _, p := range hostFiles(t) {
		ef, err := elf.Open(p)
		if err != nil {
			continue
		}
		syms, err := ef.DynamicSymbols()
		ef.Close()
		if err != nil {
			continue // no section headers, or no .dynsym
		}
		var imports, exports []string
		for _, s := range syms {
			switch {
			case s.Name == "":
			case s.Section == elf.SHN_UNDEF:
				imports = append(imports, s.Name)
			default:
				exports = append(exports, s.Name)
			}
		}
		eager, err := Open(root, p)
		if err != nil {
			continue
		}
		lazy, err := openFile(root, p, 0)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		files++
		for _, c := range []struct {
			what string
			f    *File
			read func(*File) ([]string, error)
			want []string
		}{
			{"imports", eager, (*File).Imports, imports},
			{"imports read later", lazy, (*File).Imports, imports},
			{"exports", eager, (*File).Exports, exports},
		} {
			got, err := c.read(c.f)
			if err != nil {
				t.Errorf("%s: %s: %v", p, c.what, err)
				continue
			}
			if !sameSet(got, c.want) {
				t.Errorf("%s: %s: %d names, debug/elf %d", p, c.what, len(slices.Compact(slices.Sorted(slices.Values(got)))), len(slices.Compact(slices.Sorted(slices.Values(c.want)))))
			}
		}
		if len(imports) > 0 {
			withImports++
		}
		if len(exports) > 0 {
			withExports++
		}
	}
	t.Logf("%d files, %d with imports, %d with exports", files, withImports, withExports)
	if files < 100 {
		t.Errorf("only %d files", files)
	}
}

// sameSet reports whether a and b hold the same strings, ignoring order
// and repeats.
func sameSet(a, b []string) bool {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
