package image

import (
	"context"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// go-containerregistry's layout and tarball writers take no context: the
// image they write is wrapped so that reading its layers fails once ctx is
// done (an interrupt), and the staging is then removed like after any
// other failure.

// ctxImage is img whose layers' readers stop when ctx is done.
type ctxImage struct {
	v1.Image
	ctx context.Context
}

func withContext(ctx context.Context, img v1.Image) v1.Image {
	if ctx.Done() == nil {
		return img // never cancelled
	}
	return &ctxImage{Image: img, ctx: ctx}
}

func (i *ctxImage) Layers() ([]v1.Layer, error) {
	ls, err := i.Image.Layers()
	if err != nil {
		return nil, err
	}
	out := make([]v1.Layer, len(ls))
	for k, l := range ls {
		out[k] = &ctxLayer{Layer: l, ctx: i.ctx}
	}
	return out, nil
}

func (i *ctxImage) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	l, err := i.Image.LayerByDigest(h)
	if err != nil {
		return nil, err
	}
	return &ctxLayer{Layer: l, ctx: i.ctx}, nil
}

func (i *ctxImage) LayerByDiffID(h v1.Hash) (v1.Layer, error) {
	l, err := i.Image.LayerByDiffID(h)
	if err != nil {
		return nil, err
	}
	return &ctxLayer{Layer: l, ctx: i.ctx}, nil
}

type ctxLayer struct {
	v1.Layer
	ctx context.Context
}

func (l *ctxLayer) Compressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	return &ctxReader{ReadCloser: rc, ctx: l.ctx}, nil
}

func (l *ctxLayer) Uncompressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Uncompressed()
	if err != nil {
		return nil, err
	}
	return &ctxReader{ReadCloser: rc, ctx: l.ctx}, nil
}

type ctxReader struct {
	io.ReadCloser
	ctx context.Context
}

func (r *ctxReader) Read(b []byte) (int, error) {
	if r.ctx.Err() != nil {
		return 0, context.Cause(r.ctx)
	}
	return r.ReadCloser.Read(b)
}

// ctxWriter is w that fails once ctx is done.
type ctxWriter struct {
	w   io.Writer
	ctx context.Context
}

func (w ctxWriter) Write(b []byte) (int, error) {
	if w.ctx.Err() != nil {
		return 0, context.Cause(w.ctx)
	}
	return w.w.Write(b)
}
