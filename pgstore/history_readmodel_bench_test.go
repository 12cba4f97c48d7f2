package pgstore_test

import (
	"testing"

	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/pgstore"
)

// BenchmarkHistoryRestart: a restarted process's history on PostgreSQL,
// 300 interactions (a consultation each): restored from the read model
// saved at the log's end (LoadHistory: the records and the position, then
// nothing to read) against a Projection replayed from position 0
// (history.Rebuild over Store.ReadAll).
//
//	bash scripts/with-postgres.sh bash -c 'cd pgstore && go test -run "^$" -bench HistoryRestart -benchtime 10x'
func BenchmarkHistoryRestart(b *testing.B) {
	s := newSchema(b)
	pool := s.pool(b, nil)
	st := newStore(b, pool)
	d := newHistoryDesk(b, st, "b-")
	for range 300 {
		d.story()
	}
	events := logLength(b, st, 0)
	end := logEnd(b, st)
	f, err := st.FollowHistory(ctx, "history", pgstore.SaveEvery(0))
	if err != nil {
		b.Fatal(err)
	}
	catchUpHistory(b, f)
	if err := f.Save(ctx); err != nil {
		b.Fatal(err)
	}
	var bytes int64
	if err := pool.QueryRow(ctx, `SELECT sum(length(data)) FROM chatconsult_history`).Scan(&bytes); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d events in the log; the read model is %d bytes in %d rows", events, bytes, 300)
	b.Run("load", func(b *testing.B) {
		for b.Loop() {
			p, err := st.LoadHistory(ctx, "history")
			if err != nil || p.Checkpoint() != end {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(events), "ns/event")
	})
	b.Run("rebuild", func(b *testing.B) {
		for b.Loop() {
			if _, err := history.Rebuild(ctx, st); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(events), "ns/event")
	})
}
