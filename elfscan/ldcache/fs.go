package ldcache

import (
	"io/fs"
	"path"
)

// An FS reads files inside the filesystem being examined. Names are
// absolute slash-separated paths inside it ("/etc/ld.so.cache"): the FS
// decides how they map to real files, and should keep symlinks inside the
// tree. FromFS adapts an io/fs.FS.
type FS interface {
	ReadFile(name string) ([]byte, error)
	ReadDir(name string) ([]fs.DirEntry, error)
}

// FromFS adapts an io/fs.FS whose root is the filesystem's "/" (such as
// os.DirFS(sysroot)) to an FS. Absolute names are taken relative to its
// root. os.DirFS follows symlinks on the host, absolute ones out of the
// tree: for an image or sysroot that has them, give an FS that resolves
// them inside it.
func FromFS(fsys fs.FS) FS { return dirFS{fsys} }

type dirFS struct{ fsys fs.FS }

func (d dirFS) ReadFile(name string) ([]byte, error) { return fs.ReadFile(d.fsys, fsName(name)) }

func (d dirFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(d.fsys, fsName(name)) }

func fsName(name string) string {
	n := path.Clean("/" + name)[1:]
	if n == "" {
		return "."
	}
	return n
}
