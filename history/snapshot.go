package history

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"iter"
	"slices"

	"github.com/chatconsult/chatconsult/interaction"
)

// A snapshot is the durable form of a Projection: enough to make a
// Projection, in another process, that answers every query exactly as
// this one does, and that resumes reading the log at the same Checkpoint.
//
// It holds, per interaction, the events the Projection folded (and the
// ones it holds until those before them come), not the folded state: the
// state is rebuilt by folding them again with interaction.State.Apply, the
// code a Replay from position 0 runs, so a restored Projection cannot
// answer otherwise than a replayed one (what each party was shown and
// when, which decides what it may read, is bookkeeping of the State that
// only Apply writes). What a restart saves is reading the log: a restored
// Projection reads only what was written after its Checkpoint.
//
// A record (SnapshotRecord.Data) is one interaction:
//
//	byte     1, the format of the record
//	string   the interaction's ID
//	uvarint  flags: 1 when the stream stopped at its last event (an event
//	         that does not replay, interaction.ErrCorruptLog)
//	uvarint  n, then n events: the events folded, versions 1 to n
//	uvarint  h, then h events, each with its version: held, waiting for
//	         the events before them
//	4 bytes  CRC-32C (Castagnoli) of all the above, big-endian
//
// (strings are a uvarint length and the bytes; the events are encoded as
// snapshot_codec.go says). A whole snapshot (WriteSnapshot) is
//
//	the 32 bytes of snapshotMagic
//	uvarint  the Checkpoint
//	uvarint  the number of records, then each as a uvarint length and the
//	         record, in byte order of the interaction IDs
//	4 bytes  CRC-32C of all the above, big-endian
//
// Every value has one encoding, and a reader accepts only that one: a
// snapshot that reads back writes the same bytes again.

const (
	recordFormat  = 1
	recordStopped = 1
	snapshotMagic = "chatconsult history snapshot v1\n"
)

// Snapshot is a consistent cut of a Projection: every event up to
// Checkpoint (and maybe some after it, delivered live) is in its records.
type Snapshot struct {
	// Checkpoint is the log position to resume reading after: the
	// Projection's Checkpoint when the cut was taken.
	Checkpoint uint64
	// Mark is the Projection's change count at the cut: Snapshot(Mark)
	// gives only the records that changed after it.
	Mark uint64
	// Records are the interactions that changed after the mark asked for
	// (all of them for 0), in byte order of their IDs.
	Records []SnapshotRecord
}

// SnapshotRecord is one interaction of a snapshot.
type SnapshotRecord struct {
	Interaction interaction.ID
	// Version is how many events of the interaction the record folded
	// (the one that stopped a stream that does not replay included): a
	// record with a higher Version holds every event of one with a lower.
	Version uint64
	// Data is the record's encoding, which Restore reads.
	Data []byte
}

// cut is one record as a snapshot takes it, under the Projection's read
// lock: log is a prefix of the record's log, which later folds never
// overwrite (they append beyond it, or to a copy).
type cut struct {
	id      interaction.ID
	version uint64
	stopped bool
	log     []byte
	held    []interaction.Event
}

// cuts returns the records changed after mark, sorted by ID, with the
// checkpoint they hold and the change count.
func (p *Projection) cuts(after uint64) (checkpoint, mark uint64, out []cut) {
	// The checkpoint is read before the records: Replay moves it only
	// after it applied what it read, so the records hold every event up to
	// it.
	checkpoint = p.checkpoint.Load()
	p.mu.RLock()
	mark = p.seq
	for rec := p.newest; rec != nil && rec.seq > after; rec = rec.older {
		out = append(out, cut{
			id: rec.st.ID, version: rec.logN, stopped: rec.err != nil,
			log: rec.log, held: slices.Clone(rec.pending),
		})
		if out[len(out)-1].id == "" { // only held events: no Opened folded yet
			out[len(out)-1].id = rec.pending[0].Interaction
		}
	}
	p.mu.RUnlock()
	slices.SortFunc(out, func(a, b cut) int { return cmp.Compare(a.id, b.id) })
	return checkpoint, mark, out
}

// Mark is the Projection's change count: Snapshot(p.Mark()) holds only
// what changes after the call.
func (p *Projection) Mark() uint64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.seq
}

// Snapshot returns the records of the interactions that changed after
// mark (0: all of them) with the Projection's Checkpoint: what a read model
// stores to make this Projection again elsewhere (Restore). Saving the
// records of one Snapshot with its Checkpoint, over the records saved
// before (keeping, per interaction, the one with the higher Version), keeps
// the saved records a snapshot of the whole at that Checkpoint. It copies
// the records; the Projection goes on meanwhile.
func (p *Projection) Snapshot(after uint64) (Snapshot, error) {
	if !p.snapshots {
		return Snapshot{}, errNoSnapshots
	}
	checkpoint, mark, cuts := p.cuts(after)
	s := Snapshot{Checkpoint: checkpoint, Mark: mark, Records: make([]SnapshotRecord, len(cuts))}
	for i := range cuts {
		c := &cuts[i]
		s.Records[i] = SnapshotRecord{Interaction: c.id, Version: c.version, Data: c.encode(nil)}
	}
	return s, nil
}

var errNoSnapshots = &interaction.Error{Kind: interaction.ErrBadInput, Op: "history snapshot", Detail: "the Projection was made without WithSnapshots"}

// WithSnapshots has the Projection keep, per interaction, the events it
// folded, encoded (about 65 bytes per event beside the transcript's text,
// which it holds a second time), so that Snapshot and WriteSnapshot can
// write it; a Projection made without it refuses them with
// interaction.ErrBadInput. ReadSnapshot and Restore make Projections with
// it.
func WithSnapshots() Option {
	return func(p *Projection) { p.snapshots = true }
}

// encode appends the record's encoding to b.
func (c *cut) encode(b []byte) []byte {
	start := len(b)
	b = append(b, recordFormat)
	b = appendString(b, c.id)
	var flags uint64
	if c.stopped {
		flags |= recordStopped
	}
	b = binary.AppendUvarint(b, flags)
	b = binary.AppendUvarint(b, c.version)
	b = append(b, c.log...)
	b = binary.AppendUvarint(b, uint64(len(c.held)))
	var prev prevEvent
	for i := range c.held {
		b = appendEvent(b, &c.held[i], &prev, true)
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
}

// WriteSnapshot writes the whole Projection to w as one snapshot, which
// ReadSnapshot reads back. The Projection goes on meanwhile (the records
// are taken under its read lock at the start, and written after).
func (p *Projection) WriteSnapshot(w io.Writer) error {
	if !p.snapshots {
		return errNoSnapshots
	}
	checkpoint, _, cuts := p.cuts(0)
	h := crc32.New(castagnoli)
	bw := bufio.NewWriter(io.MultiWriter(w, h))
	var b []byte
	b = append(b, snapshotMagic...)
	b = binary.AppendUvarint(b, checkpoint)
	b = binary.AppendUvarint(b, uint64(len(cuts)))
	if _, err := bw.Write(b); err != nil {
		return fmt.Errorf("history: write snapshot: %w", err)
	}
	for i := range cuts {
		b = cuts[i].encode(b[:0])
		var n [binary.MaxVarintLen64]byte
		if _, err := bw.Write(binary.AppendUvarint(n[:0], uint64(len(b)))); err != nil {
			return fmt.Errorf("history: write snapshot: %w", err)
		}
		if _, err := bw.Write(b); err != nil {
			return fmt.Errorf("history: write snapshot: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("history: write snapshot: %w", err)
	}
	if _, err := w.Write(binary.BigEndian.AppendUint32(nil, h.Sum32())); err != nil {
		return fmt.Errorf("history: write snapshot: %w", err)
	}
	return nil
}

// ReadSnapshot makes a Projection from a snapshot WriteSnapshot wrote:
// it answers every query as the Projection that wrote it did, and its
// Checkpoint is that Projection's, so Replay reads only what was written
// after it. opts are New's. A snapshot that is malformed, truncated,
// altered, or holds events that do not replay gives an error wrapping
// interaction.ErrCorruptLog (and no Projection); an error of r is
// returned as it is, wrapped.
func ReadSnapshot(r io.Reader, opts ...Option) (*Projection, error) {
	h := crc32.New(castagnoli)
	br := bufio.NewReader(r)
	sr := &snapshotReader{r: br, h: h}
	magic := sr.read(uint64(len(snapshotMagic)))
	if sr.err == nil && string(magic) != snapshotMagic {
		return nil, corrupt(0, "not a history snapshot (or not of this version)")
	}
	checkpoint := sr.uvarint()
	count := sr.uvarint()
	p := New(append(opts, WithSnapshots())...)
	names := map[string]string{}
	var last interaction.ID
	for i := uint64(0); i < count && sr.err == nil; i++ {
		data := sr.read(sr.uvarint())
		if sr.err != nil {
			break
		}
		id, err := p.restoreRecord(data, names)
		if err != nil {
			return nil, err
		}
		if i > 0 && id <= last {
			return nil, corrupt(sr.off, "records out of order")
		}
		last = id
	}
	if sr.err != nil {
		return nil, sr.err
	}
	sum := h.Sum32()
	var tail [4]byte
	if _, err := io.ReadFull(br, tail[:]); err != nil {
		return nil, sr.readErr(err)
	}
	if binary.BigEndian.Uint32(tail[:]) != sum {
		return nil, corrupt(sr.off, "checksum does not match")
	}
	if _, err := br.ReadByte(); err != io.EOF {
		if err != nil {
			return nil, fmt.Errorf("history: read snapshot: %w", err)
		}
		return nil, corrupt(sr.off+4, "data after the end")
	}
	p.checkpoint.Store(checkpoint)
	return p, nil
}

// Restore makes a Projection from the records of snapshots (Snapshot)
// saved with checkpoint, in any order, as ReadSnapshot does from one
// snapshot: the result answers every query as the Projection they were
// taken from did at checkpoint, and resumes reading the log after
// checkpoint. An error of records stops Restore and is returned; a record
// that is malformed, altered, not of its Interaction and Version, a second
// record of one interaction, or events that do not replay give an error
// wrapping interaction.ErrCorruptLog.
func Restore(checkpoint uint64, records iter.Seq2[SnapshotRecord, error], opts ...Option) (*Projection, error) {
	p := New(append(opts, WithSnapshots())...)
	names := map[string]string{}
	for rec, err := range records {
		if err != nil {
			return nil, err
		}
		id, err := p.restoreRecord(rec.Data, names)
		if err != nil {
			return nil, err
		}
		if got := p.records[id]; id != rec.Interaction || got.logN != rec.Version {
			return nil, corrupt(0, fmt.Sprintf("record of %q, version %d, saved as %q, version %d", id, got.logN, rec.Interaction, rec.Version))
		}
	}
	p.checkpoint.Store(checkpoint)
	return p, nil
}

func corrupt(off int, detail string) error {
	return fmt.Errorf("history: snapshot corrupt at byte %d: %s: %w", off, detail, interaction.ErrCorruptLog)
}

// restoreRecord decodes one record and folds its events into p (which no
// one else uses yet), returning the record's interaction.
func (p *Projection) restoreRecord(data []byte, names map[string]string) (interaction.ID, error) {
	if len(data) < 5 {
		return "", corrupt(0, "record truncated")
	}
	body := data[:len(data)-4]
	if binary.BigEndian.Uint32(data[len(data)-4:]) != crc32.Checksum(body, castagnoli) {
		return "", corrupt(len(body), "record checksum does not match")
	}
	d := &decoder{buf: body, names: names}
	if f := d.byte(); f != recordFormat {
		return "", corrupt(0, fmt.Sprintf("record format %d", f))
	}
	id := interaction.ID(d.name())
	flags := d.uvarint()
	n := d.uvarint()
	if d.err != nil {
		return "", d.err
	}
	switch {
	case id == "":
		return "", corrupt(d.off, "record without an interaction")
	case flags&^recordStopped != 0:
		return "", corrupt(d.off, fmt.Sprintf("unknown record flags %#x", flags))
	case n > uint64(d.remaining()):
		return "", corrupt(d.off, "more events than bytes")
	case p.records[id] != nil:
		return "", corrupt(0, fmt.Sprintf("a second record of %q", id))
	}
	stopped := flags&recordStopped != 0
	rec := &record{st: &interaction.State{}}
	p.records[id] = rec
	p.touch(rec)
	logStart := d.off
	// The events fold without being encoded again: the record keeps the
	// bytes it was given, which the decoder accepts only in their one
	// encoding (the fuzz targets check that they are what the Projection
	// would have written).
	p.snapshots = false
	defer func() { p.snapshots = true }()
	var prev prevEvent
	for v := uint64(1); v <= n; v++ {
		ev := d.event(id, v, &prev)
		if d.err != nil {
			return "", d.err
		}
		if err := p.fold(rec, &ev); err != nil {
			if v == n && stopped {
				break // the stream stopped there, as it did when it was saved
			}
			return "", fmt.Errorf("history: snapshot of %s does not replay: %w", id, err)
		}
	}
	if stopped && rec.err == nil {
		return "", corrupt(d.off, "a stream marked stopped that replays")
	}
	rec.log, rec.logPrev = bytes.Clone(body[logStart:d.off]), prev
	h := d.uvarint()
	if d.err == nil && h > uint64(d.remaining()) {
		return "", corrupt(d.off, "more held events than bytes")
	}
	if stopped && h > 0 {
		return "", corrupt(d.off, "held events in a stopped stream")
	}
	if n == 0 && h == 0 && d.err == nil {
		return "", corrupt(d.off, "a record without events")
	}
	heldStart := d.off
	prev = prevEvent{}
	after := n + 1 // the next event to fold, which is never held
	for range h {
		ev := d.event(id, 0, &prev)
		if d.err != nil {
			return "", d.err
		}
		if ev.Version <= after {
			return "", corrupt(d.off, "held events out of order, or one that would fold")
		}
		after = ev.Version
		rec.pending = append(rec.pending, ev)
	}
	if d.err != nil {
		return "", d.err
	}
	if d.remaining() != 0 {
		return "", corrupt(d.off, "data after the record's events")
	}
	var again []byte
	prev = prevEvent{}
	for i := range rec.pending {
		again = appendEvent(again, &rec.pending[i], &prev, true)
	}
	if !bytes.Equal(again, body[heldStart:d.off]) {
		return "", corrupt(heldStart, "held events not in their one encoding")
	}
	return id, nil
}

// touch counts a change of rec: it becomes the newest in the list of
// records by change. Called with p.mu held (or on a Projection no one else
// has yet).
func (p *Projection) touch(rec *record) {
	p.seq++
	rec.seq = p.seq
	if p.newest == rec {
		return
	}
	if rec.newer != nil { // in the list: take it out
		rec.newer.older = rec.older
		if rec.older != nil {
			rec.older.newer = rec.newer
		}
	}
	rec.newer, rec.older = nil, p.newest
	if p.newest != nil {
		p.newest.newer = rec
	}
	p.newest = rec
}

// snapshotReader reads a whole snapshot from a stream, hashing what it
// reads; the first error sticks.
type snapshotReader struct {
	r   *bufio.Reader
	h   io.Writer
	off int
	err error
}

func (s *snapshotReader) readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return corrupt(s.off, "truncated")
	}
	return fmt.Errorf("history: read snapshot: %w", err)
}

func (s *snapshotReader) uvarint() uint64 {
	if s.err != nil {
		return 0
	}
	var buf [binary.MaxVarintLen64]byte
	for i := range buf {
		c, err := s.r.ReadByte()
		if err != nil {
			s.err = s.readErr(err)
			return 0
		}
		buf[i] = c
		if c < 0x80 {
			v, n := binary.Uvarint(buf[:i+1])
			if n <= 0 || n != uvarintLen(v) {
				s.err = corrupt(s.off, "number not in its shortest form")
				return 0
			}
			s.h.Write(buf[:n])
			s.off += n
			return v
		}
	}
	s.err = corrupt(s.off, "overlong number")
	return 0
}

// read reads n bytes; the buffer grows only as the bytes arrive, so a
// length that lies costs no more memory than the stream holds.
func (s *snapshotReader) read(n uint64) []byte {
	if s.err != nil {
		return nil
	}
	if n > 1<<40 {
		s.err = corrupt(s.off, "length out of range")
		return nil
	}
	var b bytes.Buffer
	if n <= 64<<10 {
		b.Grow(int(n))
	}
	got, err := io.CopyN(&b, s.r, int64(n))
	if err != nil {
		s.off += int(got)
		s.err = s.readErr(err)
		return nil
	}
	s.h.Write(b.Bytes())
	s.off += int(n)
	return b.Bytes()
}
