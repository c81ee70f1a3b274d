package examples_test

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// Every exported name of every package of the module has a doc comment,
// as go doc shows it: functions, types, methods, and each constant and
// variable (its own comment, or its group's).
func TestGodoc(t *testing.T) {
	err := filepath.WalkDir(repo, func(dir string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		switch name := d.Name(); {
		case dir != repo && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bin" || name == "out"):
			return filepath.SkipDir
		case dir == filepath.Join(repo, "examples/embed"):
			return filepath.SkipDir // another module
		}
		checkGodoc(t, dir)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func checkGodoc(t *testing.T, dir string) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range pkgs {
		p := doc.New(pkg, dir, 0)
		rel, _ := filepath.Rel(repo, dir)
		bad := func(kind, name string) { t.Errorf("%s: %s %s has no doc comment", rel, kind, name) }
		if p.Doc == "" {
			bad("package", p.Name)
		}
		values := func(vs []*doc.Value) {
			for _, v := range vs {
				if v.Doc != "" {
					continue
				}
				for _, s := range v.Decl.Specs {
					vs := s.(*ast.ValueSpec)
					if vs.Doc != nil || vs.Comment != nil {
						continue
					}
					for _, n := range vs.Names {
						if n.IsExported() {
							bad(v.Decl.Tok.String(), n.Name)
						}
					}
				}
			}
		}
		funcs := func(fs []*doc.Func, recv string) {
			for _, f := range fs {
				if f.Doc == "" {
					bad("func", recv+f.Name)
				}
			}
		}
		values(p.Consts)
		values(p.Vars)
		funcs(p.Funcs, "")
		for _, typ := range p.Types {
			if typ.Doc == "" {
				bad("type", typ.Name)
			}
			values(typ.Consts)
			values(typ.Vars)
			funcs(typ.Funcs, "")
			funcs(typ.Methods, typ.Name+".")
		}
	}
}
