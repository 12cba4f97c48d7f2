package history_test

import (
	"bytes"
	"testing"

	"github.com/chatconsult/chatconsult/history"
)

// BenchmarkSnapshot10k: what snapshots cost for 10 000 finished
// interactions: the memory WithSnapshots adds to a Projection, the size of
// a whole snapshot, and the time to write one and to read one back
// (restore: decode and fold every event again, no Log read), beside a
// Rebuild from the Store's log.
//
//	go test ./history -run '^$' -bench 'Snapshot10k' -benchtime=5x
func BenchmarkSnapshot10k(b *testing.B) {
	const n = 10_000
	store := benchStore(b, n)
	events, err := store.ReadAll(ctx, 0, 0)
	if err != nil {
		b.Fatal(err)
	}
	var p *history.Projection
	plain := heapAfter(func() any {
		q, err := history.Rebuild(ctx, store)
		if err != nil {
			b.Fatal(err)
		}
		return q
	})
	with := heapAfter(func() any {
		p = history.New(history.WithSnapshots())
		if err := p.Replay(ctx, store); err != nil {
			b.Fatal(err)
		}
		return p
	})
	var blob bytes.Buffer
	if err := p.WriteSnapshot(&blob); err != nil {
		b.Fatal(err)
	}
	b.Run("write", func(b *testing.B) {
		for b.Loop() {
			var w bytes.Buffer
			if err := p.WriteSnapshot(&w); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(blob.Len())/n, "snapshot-B/interaction")
		b.ReportMetric(float64(blob.Len())/float64(len(events)), "snapshot-B/event")
		b.ReportMetric(float64(with-plain)/n, "extra-retained-B/interaction")
	})
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			q, err := history.ReadSnapshot(bytes.NewReader(blob.Bytes()))
			if err != nil || q.Checkpoint() != uint64(len(events)) {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(events)), "ns/event")
	})
	b.Run("rebuild", func(b *testing.B) {
		for b.Loop() {
			if _, err := history.Rebuild(ctx, store); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(events)), "ns/event")
	})
}
