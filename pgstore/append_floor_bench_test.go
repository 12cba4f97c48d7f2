package pgstore_test

// BenchmarkAppendFloor measures what an append costs the database beyond
// storing its row (issue 15): one durable transaction at a time on one
// connection, the way a lone writer commits, for three statements taking
// the same event:
//
//   - roundtrip: BEGIN, a SELECT of the append statement's 36 arguments,
//     COMMIT. No write, so no WAL flush: the round trip and the
//     statement's binding.
//   - insert: BEGIN, a plain INSERT of the event's row into the events
//     table with its three indexes, at a position from the transaction ID,
//     COMMIT (flushed). What storing the row durably costs at least.
//   - append: BEGIN, the statement the Store writes a lone append with
//     (append_one.go: the head row, the stream's version and the command
//     checked and moved, the row inserted, the notification's payload),
//     COMMIT (flushed).
//
// Each iteration runs the three once, in rotating order, so that the
// machine's drift weighs on all of them alike; ns/op is per iteration.
// It reports each one's mean in µs and append/insert, the price of the
// guarantees over the bare row (BENCHMARKS.md).

import (
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/pgstore"
)

func BenchmarkAppendFloor(b *testing.B) {
	s := newSchema(b)
	pool := s.pool(b, nil)
	conn, err := pool.Acquire(ctx)
	require.NoError(b, err)
	defer conn.Release()

	var took [3]time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		version := uint64(i) + 1
		ev := floorMessage("floor-append", version)
		appendSQL, appendArgs := pgstore.AppendStatement(ev.Interaction, version-1, []interaction.Event{ev})
		for k := range 3 {
			switch (i + k) % 3 {
			case 0:
				took[0] += timedTransaction(b, conn, pgstore.RoundTrip(appendArgs), appendArgs, func(first int64) {
					require.Equal(b, int64(1), first)
				})
			case 1:
				row := floorMessage("floor-insert", version)
				sql, args := pgstore.BareInsert(&row)
				took[1] += timedTransaction(b, conn, sql, args, nil)
			case 2:
				took[2] += timedTransaction(b, conn, appendSQL, appendArgs, func(first int64) {
					require.Positive(b, first, "append %d refused", version)
				})
			}
		}
	}
	b.StopTimer()
	us := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) }
	b.ReportMetric(us(took[0]), "roundtrip-us")
	b.ReportMetric(us(took[1]), "insert-us")
	b.ReportMetric(us(took[2]), "append-us")
	b.ReportMetric(float64(took[2])/float64(took[1]), "append/insert")
}

// floorMessage is the message event the floor's statements take.
func floorMessage(id interaction.ID, version uint64) interaction.Event {
	return interaction.Event{Interaction: id, Version: version, Time: time.Unix(1_700_000_000, int64(version)),
		Actor: "agent-1", Cause: fmt.Sprintf("cmd-%d", version), Type: interaction.EventMessage,
		Party: "agent-1", Text: "Hello, how can I help you today?"}
}

// timedTransaction runs BEGIN, sql, COMMIT in one round trip on conn and
// returns how long it took; check, if given, gets the append statement's
// answer.
func timedTransaction(b *testing.B, conn *pgxpool.Conn, sql string, args []any, check func(first int64)) time.Duration {
	start := time.Now()
	batch := &pgx.Batch{}
	batch.Queue(`BEGIN`)
	batch.Queue(sql, args...)
	batch.Queue(`COMMIT`)
	br := conn.SendBatch(ctx, batch)
	_, err := br.Exec()
	require.NoError(b, err)
	if check != nil {
		var first int64
		var payload *string
		require.NoError(b, br.QueryRow().Scan(&first, &payload))
		check(first)
	} else {
		_, err = br.Exec()
		require.NoError(b, err)
	}
	_, err = br.Exec()
	require.NoError(b, err)
	require.NoError(b, br.Close())
	return time.Since(start)
}

// bareInsertP50 is the median latency, in milliseconds, of n bare
// INSERTs of an event's row one after another, each in its own durable
// transaction in one round trip: the least one durable command can cost
// on this server, whatever store writes it (BenchmarkPostgres reports it
// at 1 client beside pgbench's average).
func bareInsertP50(b *testing.B, n int) float64 {
	pool := newSchema(b).pool(b, nil)
	conn, err := pool.Acquire(ctx)
	require.NoError(b, err)
	defer conn.Release()
	took := make([]time.Duration, 0, n)
	for i := range n {
		ev := floorMessage("floor-insert", uint64(i)+1)
		sql, args := pgstore.BareInsert(&ev)
		took = append(took, timedTransaction(b, conn, sql, args, nil))
	}
	return percentileMS(took, 0.50)
}
