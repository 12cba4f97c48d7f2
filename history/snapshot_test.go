package history_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"iter"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

func writeSnapshot(t rapid.TB, p *history.Projection) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, p.WriteSnapshot(&b))
	return b.Bytes()
}

func readSnapshot(t rapid.TB, b []byte, opts ...history.Option) *history.Projection {
	t.Helper()
	p, err := history.ReadSnapshot(bytes.NewReader(b), opts...)
	require.NoError(t, err)
	return p
}

func records(recs ...history.SnapshotRecord) iter.Seq2[history.SnapshotRecord, error] {
	return func(yield func(history.SnapshotRecord, error) bool) {
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

// saved is what a read model keeps of incremental snapshots: per
// interaction the record with the highest Version, and the checkpoint.
type saved struct {
	checkpoint, mark uint64
	records          map[interaction.ID]history.SnapshotRecord
}

func (s *saved) save(p *history.Projection) history.Snapshot {
	if s.records == nil {
		s.records = map[interaction.ID]history.SnapshotRecord{}
	}
	snap, err := p.Snapshot(s.mark)
	if err != nil {
		panic(err)
	}
	for _, r := range snap.Records {
		if old, ok := s.records[r.Interaction]; !ok || old.Version <= r.Version {
			s.records[r.Interaction] = r
		}
	}
	s.checkpoint, s.mark = snap.Checkpoint, snap.Mark
	return snap
}

func (s *saved) restore(t rapid.TB) *history.Projection {
	t.Helper()
	ids := slices.Sorted(maps.Keys(s.records))
	recs := make([]history.SnapshotRecord, 0, len(ids))
	for _, id := range ids {
		recs = append(recs, s.records[id])
	}
	p, err := history.Restore(s.checkpoint, records(recs...))
	require.NoError(t, err)
	return p
}

// restart replays p (restored in a new process) with a counting Log and
// checks that it read exactly the events written after its checkpoint
// (R-X5: the history is derived from the events; a restart reads only the
// ones it does not have).
func restart(t rapid.TB, d *desk, p *history.Projection) (read, whole int) {
	t.Helper()
	checkpoint := p.Checkpoint()
	since, err := d.store.ReadAll(ctx, checkpoint, 0)
	require.NoError(t, err)
	all, err := d.store.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	log := &countingLog{log: d.store}
	require.NoError(t, p.Replay(ctx, log))
	require.Equal(t, len(since), log.read, "a restored Projection reads the events written since its checkpoint, not the whole log")
	if len(log.after) > 0 {
		require.Equal(t, checkpoint, log.after[0], "it reads from its checkpoint")
	}
	return log.read, len(all)
}

// A Projection written to a snapshot and read back in a new process (a
// restart) reads only the events written since the snapshot's checkpoint,
// and then answers every query (My History R-H3, contact history, activity
// R-H1, metrics, exports R-X8) exactly as a Projection replayed from
// position 0 (R-X5). The same holds for a Projection restored from the
// records of incremental snapshots.
func TestRestoredProjectionReadsOnlyWhatFollowsItsSnapshot(t *testing.T) {
	d := newDesk(t)
	first := d.chat("contact1", "agent1")
	d.consult(first, "agent1", "agent2")
	d.finish(first, "agent1", "agent1", "agent2")
	second := d.chat("contact2", "agent2") // still going at the snapshot

	follower := history.New(history.WithSnapshots())
	require.NoError(t, follower.Replay(ctx, d.store))
	blob := writeSnapshot(t, follower)
	var inc saved
	inc.save(follower)
	atSnapshot := snap(t, follower, propAll, []interaction.PartyID{"contact1", "contact2", "contact3"})
	assert.Equal(t, atSnapshot, snap(t, readSnapshot(t, blob), propAll, []interaction.PartyID{"contact1", "contact2", "contact3"}),
		"read back, it answers as the Projection that wrote it")

	leg := d.consult(second, "agent2", "agent3")
	req, err := d.svc.Conference(ctx, second, "agent2", leg)
	require.NoError(t, err)
	require.NoError(t, d.svc.AcceptRequest(ctx, second, "agent3", req))
	d.finish(second, "contact2", "agent2", "agent3")
	third := d.chat("contact3", "agent1")
	require.NoError(t, d.chats.Post(ctx, third, "contact3", "Thanks"))

	parties := []interaction.PartyID{"contact1", "contact2", "contact3"}
	want := snap(t, d.rebuilt(), propAll, parties)
	for name, p := range map[string]*history.Projection{"snapshot": readSnapshot(t, blob), "records": inc.restore(t)} {
		assert.Equal(t, follower.Checkpoint(), p.Checkpoint(), name)
		read, whole := restart(t, d, p)
		t.Logf("%s: restart read %d events of a log of %d", name, read, whole)
		assert.Less(t, read, whole, name)
		assert.Equal(t, want, snap(t, p, propAll, parties), "%s: restored and replayed from 0 disagree", name)
	}

	// Incremental: a snapshot after a mark holds only what changed.
	require.NoError(t, follower.Replay(ctx, d.store))
	next := inc.save(follower)
	var changed []interaction.ID
	for _, r := range next.Records {
		changed = append(changed, r.Interaction)
	}
	assert.Equal(t, []interaction.ID{second, third}, changed, "the finished first chat did not change")
	none, err := follower.Snapshot(next.Mark)
	require.NoError(t, err)
	assert.Empty(t, none.Records)
	assert.Equal(t, next.Mark, follower.Mark())
	assert.Equal(t, want, snap(t, inc.restore(t), propAll, parties))
}

// Over random stories (consultations, transfers, conferences,
// supervision, redelivered notifications), a Projection kept live by the
// Notifier and now and then by Replay, snapshotted whole or incrementally
// at random points and restored in a new Projection, first answers as the
// Projection did when the snapshot was taken; after a Replay that reads
// exactly the events written since its checkpoint, it answers every query
// of every party as a Projection replayed from position 0 (R-X5): My
// History (R-H3), contact history without consultation (R-H2, R-C5),
// activity (R-H1), metrics, and every party's export (R-X8).
func TestPropertyRestoredProjectionAnswersAsReplayed(t *testing.T) {
	chatconsulttest.EnsureChecks(t, 1000)
	rapid.Check(t, func(t *rapid.T) {
		w := newStoryWorld(t)
		live := w.d.live
		var inc saved
		var incWant snapshot
		var blob []byte
		var blobWant snapshot
		steps := 20 + rapid.IntRange(0, 40).Draw(t, "steps")
		for range steps {
			moves := w.moves(t)
			m := moves[rapid.IntRange(0, len(moves)-1).Draw(t, "move")]
			m.run(t)
			switch rapid.IntRange(0, 6).Draw(t, "durable") {
			case 0, 1:
				require.NoError(t, live.Replay(ctx, w.d.store))
			case 2:
				inc.save(live)
				incWant = snap(t, live, propAll, propContacts)
			case 3:
				blob = writeSnapshot(t, live)
				blobWant = snap(t, live, propAll, propContacts)
			}
		}
		want := snap(t, w.d.rebuilt(), propAll, propContacts)
		if inc.records != nil {
			p := inc.restore(t)
			require.Equal(t, incWant, snap(t, p, propAll, propContacts), "restored from records: not as saved")
			restart(t, w.d, p)
			require.Equal(t, want, snap(t, p, propAll, propContacts), "restored from records and replayed from 0 disagree")
		}
		if blob != nil {
			p := readSnapshot(t, blob)
			require.Equal(t, blobWant, snap(t, p, propAll, propContacts), "read back: not as written")
			require.Equal(t, blob, writeSnapshot(t, p), "read back, it writes the same snapshot")
			restart(t, w.d, p)
			require.Equal(t, want, snap(t, p, propAll, propContacts), "read back and replayed from 0 disagree")
		}
	})
}

// Held events (they came before the ones they follow) and a stream that
// stopped at an event that does not replay are kept as they were: the
// restored Projection applies the missing event and releases the held
// ones, and keeps the stopped stream stopped.
func TestSnapshotKeepsHeldEventsAndStoppedStreams(t *testing.T) {
	d := newDesk(t)
	held := d.chat("c0", "agent1")
	bad := d.chat("c1", "agent2")
	events, err := d.store.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	p := history.New(history.WithSnapshots())
	var missing interaction.Event
	for _, ev := range events {
		switch {
		case ev.Interaction == bad && ev.Version == 3:
			ev.From, ev.Type = string(interaction.StatusClosed), interaction.EventStatus // does not replay
			require.ErrorIs(t, p.Apply(ev), interaction.ErrCorruptLog)
		case ev.Interaction == held && ev.Version == 2:
			missing = ev
		default:
			require.NoError(t, p.Apply(ev))
		}
	}
	restored := readSnapshot(t, writeSnapshot(t, p))
	v, err := restored.Version(ctx, held)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), v, "the events after the missing one are held")
	v, err = restored.Version(ctx, bad)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), v, "the stopped stream stays at its last good event")

	for _, q := range []*history.Projection{p, restored} {
		require.NoError(t, q.Apply(missing))
		require.NoError(t, q.Apply(events...), "the stopped stream is not reported again")
	}
	parties := []interaction.PartyID{"c0", "c1"}
	assert.Equal(t, snap(t, p, propAll, parties), snap(t, restored, propAll, parties))
	v, err = restored.Version(ctx, held)
	require.NoError(t, err)
	assert.Equal(t, d.state(held).Version, v)

	// A Projection that only holds events of an interaction (its first
	// has not come) shows nothing of it, before and after.
	early := history.New(history.WithSnapshots())
	require.NoError(t, early.Apply(events[len(events)-1]))
	again := readSnapshot(t, writeSnapshot(t, early))
	_, err = again.Version(ctx, events[len(events)-1].Interaction)
	assert.ErrorIs(t, err, interaction.ErrNotFound)
	assert.Equal(t, writeSnapshot(t, early), writeSnapshot(t, again))
}

// The snapshot is server-side data, but not silently corruptible: cut
// short anywhere, any byte changed, or data after its end, it is an error
// wrapping interaction.ErrCorruptLog, never a panic and never a Projection
// that answers otherwise.
func TestCorruptSnapshotIsAnError(t *testing.T) {
	d := newDesk(t)
	id := d.chat("c0", "agent1")
	d.consult(id, "agent1", "agent2")
	p := history.New(history.WithSnapshots())
	require.NoError(t, p.Replay(ctx, d.store))
	blob := writeSnapshot(t, p)
	for n := range len(blob) {
		_, err := history.ReadSnapshot(bytes.NewReader(blob[:n]))
		require.ErrorIs(t, err, interaction.ErrCorruptLog, "cut at %d", n)
	}
	for i := range blob {
		for _, bit := range []byte{0x01, 0x80} {
			bad := bytes.Clone(blob)
			bad[i] ^= bit
			_, err := history.ReadSnapshot(bytes.NewReader(bad))
			require.ErrorIs(t, err, interaction.ErrCorruptLog, "byte %d ^ %#x", i, bit)
		}
	}
	_, err := history.ReadSnapshot(bytes.NewReader(append(bytes.Clone(blob), 0)))
	require.ErrorIs(t, err, interaction.ErrCorruptLog, "data after the end")
	boom := errors.New("disk on fire")
	_, err = history.ReadSnapshot(io.MultiReader(bytes.NewReader(blob[:40]), failingReader{boom}))
	require.ErrorIs(t, err, boom)

	// Records: altered, of another interaction or version, twice, or an
	// error of the source.
	whole, err := p.Snapshot(0)
	require.NoError(t, err)
	rec := whole.Records[0]
	for n := range len(rec.Data) {
		_, err := history.Restore(0, records(history.SnapshotRecord{Interaction: rec.Interaction, Version: rec.Version, Data: rec.Data[:n]}))
		require.ErrorIs(t, err, interaction.ErrCorruptLog, "cut at %d", n)
	}
	for _, r := range []history.SnapshotRecord{
		{Interaction: "other", Version: rec.Version, Data: rec.Data},
		{Interaction: rec.Interaction, Version: rec.Version + 1, Data: rec.Data},
	} {
		_, err := history.Restore(0, records(r))
		require.ErrorIs(t, err, interaction.ErrCorruptLog)
	}
	_, err = history.Restore(0, records(rec, rec))
	require.ErrorIs(t, err, interaction.ErrCorruptLog, "a second record of one interaction")
	_, err = history.Restore(0, func(yield func(history.SnapshotRecord, error) bool) { yield(history.SnapshotRecord{}, boom) })
	require.ErrorIs(t, err, boom)
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

// Snapshots taken while commands notify the Projection and Replay runs
// are consistent cuts: each, restored and replayed, answers as a
// Projection replayed from 0 (run with -race).
func TestSnapshotWhileTheProjectionMoves(t *testing.T) {
	d := newDesk(t)
	var wg sync.WaitGroup
	var blobs [][]byte
	stop := make(chan struct{})
	first := make(chan struct{})
	wg.Go(func() {
		for {
			assert.NoError(t, d.live.Replay(ctx, d.store))
			var b bytes.Buffer
			assert.NoError(t, d.live.WriteSnapshot(&b))
			blobs = append(blobs, b.Bytes())
			if len(blobs) == 1 {
				close(first)
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	})
	<-first
	for i := range 20 {
		id := d.chat(interaction.PartyID([]string{"c0", "c1"}[i%2]), "agent1")
		d.consult(id, "agent1", "agent2")
		d.finish(id, "agent1", "agent1", "agent2")
	}
	close(stop)
	wg.Wait()
	require.NotEmpty(t, blobs)
	want := snap(t, d.rebuilt(), propAll, []interaction.PartyID{"c0", "c1"})
	for _, i := range []int{0, len(blobs) / 2, len(blobs) - 1} {
		p := readSnapshot(t, blobs[i])
		restart(t, d, p)
		require.Equal(t, want, snap(t, p, propAll, []interaction.PartyID{"c0", "c1"}), "snapshot %d", i)
	}
}

// fuzzSeeds are snapshots of real stories: a consultation turned into a
// conference, a finished chat, supervision, a held event.
func fuzzSeeds(f *testing.F) (whole [][]byte, recs [][]byte) {
	d := newDesk(f)
	id := d.chat("c0", "agent1")
	leg := d.consult(id, "agent1", "agent2")
	req, err := d.svc.Conference(ctx, id, "agent1", leg)
	require.NoError(f, err)
	require.NoError(f, d.svc.AcceptRequest(ctx, id, "agent2", req))
	require.NoError(f, d.chats.Coach(ctx, id, "supervisor", "agent1", "slow down"))
	other := d.chat("c1", "agent3")
	d.finish(other, "c1", "agent3")
	p := d.live
	whole = append(whole, writeSnapshot(f, p), writeSnapshot(f, history.New(history.WithSnapshots())))
	events, err := d.store.ReadAll(ctx, 0, 0)
	require.NoError(f, err)
	early := history.New(history.WithSnapshots())
	require.NoError(f, early.Apply(events[0], events[3]))
	whole = append(whole, writeSnapshot(f, early))
	for _, q := range []*history.Projection{p, early} {
		s, err := q.Snapshot(0)
		require.NoError(f, err)
		for _, r := range s.Records {
			recs = append(recs, r.Data)
		}
	}
	return whole, recs
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// withSum replaces the last 4 bytes of b (or appends them) by the CRC-32C
// of what precedes them, so that the fuzzer explores the decoder, not the
// checksum.
func withSum(b []byte, replace bool) []byte {
	if replace && len(b) >= 4 {
		b = b[:len(b)-4]
	}
	return binary.BigEndian.AppendUint32(bytes.Clone(b), crc32.Checksum(b, castagnoli))
}

// queryAll asks a Projection every question about every party it names:
// a decoded snapshot must not make any of them panic.
func queryAll(t *testing.T, p *history.Projection) {
	act, err := p.Activity(ctx, history.Query{Limit: history.MaxLimit})
	require.NoError(t, err)
	_, err = p.Totals(ctx, history.Query{})
	require.NoError(t, err)
	for _, a := range act.Items {
		parties := append([]interaction.PartyID{a.Contact, "stranger"}, a.Agents...)
		for _, c := range a.Consultations {
			parties = append(parties, c.Owner, c.Invitee)
		}
		_, _ = p.InteractionMetrics(ctx, a.Interaction)
		for _, q := range parties {
			_, _ = p.Export(ctx, a.Interaction, q)
			_, _ = p.Transcript(ctx, a.Interaction, q)
			_, _ = p.MyHistory(ctx, q, history.Query{})
			_, _ = p.ContactHistory(ctx, q, history.Query{})
			_, _ = p.AgentMetrics(ctx, q, history.Query{})
			_ = p.WriteExport(ctx, a.Interaction, q, history.FormatText, io.Discard)
		}
	}
}

// requireOneEncoding: the events of every record of p, decoded and
// encoded again, are the bytes p holds (a restored Projection keeps the
// bytes it was given, so this is what says they are the one encoding).
func requireOneEncoding(t *testing.T, p *history.Projection) {
	s, err := p.Snapshot(0)
	require.NoError(t, err)
	for _, r := range s.Records {
		held, again, err := history.ReencodedLog(p, r.Interaction)
		require.NoError(t, err)
		require.Equal(t, string(held), string(again), "record %s is not in its one encoding", r.Interaction)
	}
}

// FuzzReadSnapshot: whatever the bytes, ReadSnapshot does not panic; it
// fails with ErrCorruptLog or gives a Projection that writes the same
// bytes back, whose events encode again to the bytes it read (each value
// has one encoding), and that answers every query without panicking. The fuzzer's input has its checksum put right, so it
// explores the decoder. go test ./history -run '^$' -fuzz FuzzReadSnapshot
func FuzzReadSnapshot(f *testing.F) {
	whole, _ := fuzzSeeds(f)
	for _, b := range whole {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, in := range [][]byte{b, withSum(b, true)} {
			p, err := history.ReadSnapshot(bytes.NewReader(in))
			if err != nil {
				require.ErrorIs(t, err, interaction.ErrCorruptLog)
				continue
			}
			var out bytes.Buffer
			require.NoError(t, p.WriteSnapshot(&out))
			require.Equal(t, in, out.Bytes(), "a snapshot that reads back writes the same bytes")
			requireOneEncoding(t, p)
			queryAll(t, p)
		}
	})
}

// FuzzSnapshotRecord: one record, its checksum put right, in a snapshot
// of its own: ReadSnapshot fails with ErrCorruptLog or gives a Projection
// that writes the same snapshot back, the record byte for byte, and
// answers every query without panicking.
// go test ./history -run '^$' -fuzz FuzzSnapshotRecord
func FuzzSnapshotRecord(f *testing.F) {
	_, recs := fuzzSeeds(f)
	for _, b := range recs {
		f.Add(b[:len(b)-4])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		data := withSum(body, false)
		b := []byte("chatconsult history snapshot v1\n")
		b = binary.AppendUvarint(b, 7) // checkpoint
		b = binary.AppendUvarint(b, 1)
		b = binary.AppendUvarint(b, uint64(len(data)))
		b = withSum(append(b, data...), false)
		p, err := history.ReadSnapshot(bytes.NewReader(b))
		if err != nil {
			require.ErrorIs(t, err, interaction.ErrCorruptLog)
			return
		}
		require.Equal(t, uint64(7), p.Checkpoint())
		require.Equal(t, b, writeSnapshot(t, p), "a record that reads back is written the same")
		s, err := p.Snapshot(0)
		require.NoError(t, err)
		recs := s.Records
		require.Len(t, recs, 1)
		require.Equal(t, data, recs[0].Data)
		again, err := history.Restore(7, records(recs[0]))
		require.NoError(t, err)
		require.Equal(t, b, writeSnapshot(t, again))
		requireOneEncoding(t, p)
		queryAll(t, p)
	})
}

// Snapshots need WithSnapshots: a Projection made without it keeps no
// events and refuses to write one, rather than write an empty one.
func TestSnapshotNeedsWithSnapshots(t *testing.T) {
	d := newDesk(t)
	d.chat("c0", "agent1")
	p := d.rebuilt()
	_, err := p.Snapshot(0)
	require.ErrorIs(t, err, interaction.ErrBadInput)
	require.ErrorIs(t, p.WriteSnapshot(io.Discard), interaction.ErrBadInput)
}
