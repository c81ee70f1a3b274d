package image

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/fromscratch/fromscratch/collector"
)

// Default compression levels. klauspost/compress's gzip level 2 takes the
// CPU time of its level 1 (go-containerregistry's default, BestSpeed) for
// 2.4% fewer bytes, and half that of `gzip -1` for 8% more (BenchmarkLayer
// on curl's libraries). zstd's fastest is faster still and smaller.
const (
	DefaultGzipLevel = 2
	DefaultZstdLevel = 1 // zstd.SpeedFastest
)

// Layer writes the plan as a tar stream, compresses it once and keeps the
// compressed bytes (in memory, or past 32 MiB in an unlinked temporary
// file under $TMPDIR) to serve every later read: no temporary root
// filesystem, no second compression when the layer is written or pushed.
// Its media type is the OCI one for its compression.
func Layer(plan *collector.Plan, opts ...LayerOption) (v1.Layer, error) {
	o := makeLayerOptions(opts)
	mt, err := o.mediaType()
	if err != nil {
		return nil, err
	}
	return newLayer(plan, o, mt)
}

// layer is a v1.Layer whose compressed bytes are held in a spool.
type layer struct {
	digest, diffID v1.Hash
	mediaType      types.MediaType
	compression    compression.Compression
	data           *spool
}

func newLayer(plan *collector.Plan, o layerOptions, mt types.MediaType) (*layer, error) {
	l := &layer{mediaType: mt, compression: o.compression, data: &spool{limit: o.spoolLimit}}
	compressed := sha256.New()
	zw, err := o.compressor(io.MultiWriter(l.data, compressed))
	if err != nil {
		return nil, err
	}
	uncompressed := sha256.New()
	if err := writeTar(plan, io.MultiWriter(zw, uncompressed), o.mtime); err != nil {
		l.data.discard()
		return nil, err
	}
	if err := zw.Close(); err != nil {
		l.data.discard()
		return nil, fmt.Errorf("layer: %w", err)
	}
	l.digest, l.diffID = sum(compressed), sum(uncompressed)
	return l, nil
}

func sum(h hash.Hash) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", h.Sum(nil))}
}

func (l *layer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *layer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *layer) Size() (int64, error)                { return l.data.size, nil }
func (l *layer) MediaType() (types.MediaType, error) { return l.mediaType, nil }
func (l *layer) Compressed() (io.ReadCloser, error)  { return l.data.reader(), nil }
func (l *layer) Uncompressed() (io.ReadCloser, error) {
	return decompress(l.compression, l.data.reader())
}

func decompress(c compression.Compression, r io.Reader) (io.ReadCloser, error) {
	if c == compression.ZStd {
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		return zr.IOReadCloser(), nil
	}
	return gzip.NewReader(r)
}

// layerOptions are what Layer and WriteTar read.
type layerOptions struct {
	mtime       time.Time
	compression compression.Compression
	level       int
	levelSet    bool
	spoolLimit  int // bytes a layer keeps in memory (0: spoolMemory); tests lower it
}

func makeLayerOptions(opts []LayerOption) layerOptions {
	o := layerOptions{mtime: time.Unix(0, 0).UTC(), compression: compression.GZip}
	for _, opt := range opts {
		opt.applyLayer(&o)
	}
	return o
}

// mediaType is the layer media type for the compression, OCI or Docker.
func (o *layerOptions) mediaType() (types.MediaType, error) {
	switch o.compression {
	case compression.GZip:
		return types.OCILayer, nil
	case compression.ZStd:
		return types.OCILayerZStd, nil
	}
	return "", fmt.Errorf("layer: compression %q is not supported (gzip or zstd)", o.compression)
}

// compressor returns a writer that compresses into w. Both run on the
// calling goroutine only, so the bytes do not depend on GOMAXPROCS.
func (o *layerOptions) compressor(w io.Writer) (io.WriteCloser, error) {
	if o.compression == compression.ZStd {
		level := DefaultZstdLevel
		if o.levelSet {
			level = o.level
		}
		return zstd.NewWriter(w,
			zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(level)),
			zstd.WithEncoderConcurrency(1))
	}
	level := DefaultGzipLevel
	if o.levelSet {
		level = o.level
	}
	zw, err := gzip.NewWriterLevel(w, level)
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	return zw, nil
}
