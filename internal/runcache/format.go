package runcache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"

	"golang.org/x/sys/unix"

	"github.com/fromscratch/fromscratch/elfscan"
)

// An entry file is magic, the key, the inputs, the exit status and the
// chunks, each number a varint, each string its length then its bytes,
// and a CRC-32C of all that: a file cut short or damaged is a miss.
const magic = "fromscratch runcache entry 1\n"

type entry struct {
	key    Key
	inputs []elfscan.Input
	out    *Output
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func encode(e *entry) []byte {
	b := append([]byte(magic), e.key[:]...)
	b = binary.AppendUvarint(b, uint64(len(e.inputs)))
	for _, in := range e.inputs {
		b = appendString(b, in.Path)
		s := in.Stat
		b = binary.AppendUvarint(b, uint64(s.Err))
		b = binary.AppendUvarint(b, uint64(s.Mode))
		b = binary.AppendUvarint(b, s.Dev)
		b = binary.AppendUvarint(b, s.Ino)
		b = binary.AppendVarint(b, s.Size)
		b = binary.AppendVarint(b, s.Mtime)
		b = binary.AppendVarint(b, s.Ctime)
	}
	b = binary.AppendVarint(b, int64(e.out.Exit))
	b = binary.AppendUvarint(b, uint64(len(e.out.Chunks)))
	for _, c := range e.out.Chunks {
		b = binary.AppendUvarint(b, uint64(c.Stream))
		b = appendString(b, string(c.Data))
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

var errCorrupt = errors.New("runcache: corrupt entry")

// decoder reads an entry's fields; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err, d.b = errCorrupt, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

// varint undoes binary.AppendVarint's zig-zag encoding.
func (d *decoder) varint() int64 {
	u := d.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.err, d.b = errCorrupt, nil
		return nil
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

func decode(data []byte) (*entry, error) {
	if len(data) < len(magic)+len(Key{})+4 || !bytes.HasPrefix(data, []byte(magic)) {
		return nil, errCorrupt
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, errCorrupt
	}
	e := &entry{out: &Output{}}
	copy(e.key[:], body[len(magic):])
	d := &decoder{b: body[len(magic)+len(Key{}):]}
	n := d.uvarint()
	if n > uint64(len(d.b)) { // each input takes bytes: no huge allocation
		return nil, errCorrupt
	}
	e.inputs = make([]elfscan.Input, 0, n)
	for range n {
		var in elfscan.Input
		in.Path = string(d.bytes())
		in.Stat.Err = unix.Errno(d.uvarint())
		in.Stat.Mode = uint32(d.uvarint())
		in.Stat.Dev = d.uvarint()
		in.Stat.Ino = d.uvarint()
		in.Stat.Size = d.varint()
		in.Stat.Mtime = d.varint()
		in.Stat.Ctime = d.varint()
		e.inputs = append(e.inputs, in)
	}
	e.out.Exit = int(d.varint())
	n = d.uvarint()
	if n > uint64(len(d.b)) {
		return nil, errCorrupt
	}
	for range n {
		stream := int(d.uvarint())
		data := d.bytes()
		if stream != 1 && stream != 2 {
			d.err = errCorrupt
		}
		e.out.Chunks = append(e.out.Chunks, Chunk{stream, data})
	}
	if d.err != nil || len(d.b) != 0 {
		return nil, errCorrupt
	}
	return e, nil
}
