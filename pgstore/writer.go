package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/chatconsult/chatconsult/interaction"
)

type appendRequest struct {
	ctx      context.Context
	id       interaction.ID
	expected uint64
	events   []interaction.Event
	done     chan appendResult // buffered: a writer never waits for the caller
}

type appendResult struct {
	first uint64 // position of the first event
	err   error
}

// write is one writer: it takes the appends waiting now (at least one, at
// most maxBatch) and commits them in one transaction.
func (s *Store) write() {
	defer s.wg.Done()
	batch := make([]*appendRequest, 0, s.maxBatch)
	for {
		batch = batch[:0]
		select {
		case r := <-s.queue:
			batch = append(batch, r)
		case <-s.stop:
			return
		}
	gather:
		for len(batch) < s.maxBatch {
			select {
			case r := <-s.queue:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		s.commit(batch)
		clear(batch)
	}
}

// commit writes a batch of appends in one transaction, in two round trips:
//
//  1. BEGIN; create the rows of streams that appends at version 0 start
//     (ON CONFLICT DO NOTHING); lock every stream row of the batch, in
//     interaction order (SELECT … ORDER BY … FOR UPDATE), reading its
//     version; find commands already in those streams.
//  2. (in Go) decide each append against the locked versions: the stream
//     is not at the expected version, or already holds the command, → that
//     append gets ErrConflict at once; the others win.
//  3. Move the winners' stream versions; insert into and delete from the
//     open-interactions index (chatconsult_open) the winners' streams that
//     their appends open or close; move the log head past the winners'
//     events (this row lock orders the commits); insert the events at the
//     positions before the head; pg_notify; COMMIT.
//
// Nothing in the transaction fails for a conflict, so one append's
// conflict never aborts the others. Locks are taken in one global order
// (new stream rows in interaction order, then existing ones in interaction
// order, then the head), so two batches, of this or another process,
// cannot deadlock.
func (s *Store) commit(batch []*appendRequest) {
	live := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- appendResult{err: err} // nothing written
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	fail := func(reqs []*appendRequest, err error) {
		err = classify(err)
		for _, r := range reqs {
			r.done <- appendResult{err: err}
		}
	}
	ctx := s.ctx
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		fail(live, err)
		return
	}
	// A connection left in a transaction (after an error) is destroyed by
	// Release rather than reused.
	defer conn.Release()

	var ids, starts []string
	var dupIDs, dupCauses []string
	seen := map[interaction.ID]bool{}
	for _, r := range live {
		if !seen[r.id] {
			seen[r.id] = true
			ids = append(ids, string(r.id))
		}
		if r.expected == 0 {
			starts = append(starts, string(r.id))
		}
		if c := r.events[0].Cause; c != "" {
			dupIDs, dupCauses = append(dupIDs, string(r.id)), append(dupCauses, c)
		}
	}
	sort.Strings(ids)
	sort.Strings(starts)

	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	if len(starts) > 0 {
		b.Queue(`INSERT INTO chatconsult_streams (interaction, version)
			SELECT unnest($1::text[]), 0 ON CONFLICT DO NOTHING`, starts)
	}
	b.Queue(`SELECT interaction, version FROM chatconsult_streams
		WHERE interaction = ANY($1::text[]) ORDER BY interaction FOR UPDATE`, ids)
	b.Queue(`SELECT DISTINCT e.interaction, e.cause
		FROM unnest($1::text[], $2::text[]) AS c(interaction, cause)
		JOIN chatconsult_events e ON e.interaction = c.interaction AND e.cause = c.cause`, dupIDs, dupCauses)
	versions := map[interaction.ID]uint64{}
	done := map[interaction.ID]map[string]bool{}
	err = func() error {
		br := conn.SendBatch(ctx, b)
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return err
		}
		if len(starts) > 0 {
			if _, err := br.Exec(); err != nil {
				return err
			}
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		var id string
		var v int64
		if _, err := pgx.ForEachRow(rows, []any{&id, &v}, func() error {
			versions[interaction.ID(id)] = uint64(v)
			return nil
		}); err != nil {
			return err
		}
		rows, err = br.Query()
		if err != nil {
			return err
		}
		var cause string
		if _, err := pgx.ForEachRow(rows, []any{&id, &cause}, func() error {
			m := done[interaction.ID(id)]
			if m == nil {
				m = map[string]bool{}
				done[interaction.ID(id)] = m
			}
			m[cause] = true
			return nil
		}); err != nil {
			return err
		}
		return br.Close()
	}()
	if err != nil {
		fail(live, err)
		return
	}

	// Decide, in arrival order; an append may follow another of the same
	// batch on the same stream.
	var winners []*appendRequest
	var cols columns
	// open: how the winners move the open-interactions index (true: a
	// stream's first append opens it; false: an append closes it, for good).
	open := map[interaction.ID]bool{}
	for _, r := range live {
		v, exists := versions[r.id]
		cause := r.events[0].Cause
		switch {
		case !exists || v != r.expected:
			r.done <- appendResult{err: &interaction.Error{Kind: interaction.ErrConflict, Op: "append", Interaction: r.id, Detail: "stream moved on"}}
			continue
		case cause != "" && done[r.id][cause]:
			r.done <- appendResult{err: &interaction.Error{Kind: interaction.ErrConflict, Op: "append", Interaction: r.id, Detail: "command " + cause + " already applied"}}
			continue
		}
		versions[r.id] = r.expected + uint64(len(r.events))
		m := done[r.id]
		if m == nil {
			m = map[string]bool{}
			done[r.id] = m
		}
		for i := range r.events {
			m[r.events[i].Cause] = true
		}
		winners = append(winners, r)
		cols.add(r.events)
		if interaction.Closes(r.events) {
			open[r.id] = false
		} else if r.expected == 0 {
			open[r.id] = true
		}
	}
	if len(winners) == 0 {
		_, _ = conn.Exec(ctx, `ROLLBACK`)
		return
	}

	var wIDs, opened, closed []string
	var wVersions []int64
	for _, id := range ids {
		if v, ok := versions[interaction.ID(id)]; ok {
			wIDs, wVersions = append(wIDs, id), append(wVersions, int64(v))
		}
		if o, ok := open[interaction.ID(id)]; ok {
			if o {
				opened = append(opened, id)
			} else {
				closed = append(closed, id)
			}
		}
	}
	total := int64(cols.len())
	var dl deadlineRows
	for _, r := range winners {
		dl.add(r.events)
	}
	b = &pgx.Batch{}
	b.Queue(`UPDATE chatconsult_streams s SET version = u.version
		FROM unnest($1::text[], $2::bigint[]) AS u(interaction, version)
		WHERE s.interaction = u.interaction AND s.version <> u.version`, wIDs, wVersions)
	// The open-interactions index, before the head: its rows belong to
	// streams whose rows this transaction has locked, so no other writer
	// touches them meanwhile, and the head's lock is not held for them.
	if len(opened) > 0 {
		b.Queue(`INSERT INTO chatconsult_open (interaction) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, opened)
	}
	if len(closed) > 0 {
		b.Queue(`DELETE FROM chatconsult_open WHERE interaction = ANY($1::text[])`, closed)
	}
	b.Queue(`UPDATE chatconsult_log_head SET position = position + $1 RETURNING position`, total)
	b.Queue(insertEvents, append([]any{total}, cols.args()...)...)
	execs := 3 // the events, pg_notify, COMMIT
	if len(dl.endedIDs) > 0 {
		b.Queue(deleteDeadlines, dl.endedIDs, dl.endedInvitations)
		execs++
	}
	if len(dl.setIDs) > 0 {
		b.Queue(insertDeadlines, dl.setIDs, dl.setInvitations, dl.setKinds, dl.setDue)
		execs++
	}
	b.Queue(`SELECT pg_notify($1, (SELECT position FROM chatconsult_log_head)::text)`, s.channel)
	b.Queue(`COMMIT`)
	var head int64
	err = func() error {
		br := conn.SendBatch(ctx, b)
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return err
		}
		for _, list := range [][]string{opened, closed} {
			if len(list) > 0 {
				if _, err := br.Exec(); err != nil {
					return err
				}
			}
		}
		if err := br.QueryRow().Scan(&head); err != nil {
			return err
		}
		for i := 0; i < execs; i++ {
			if _, err := br.Exec(); err != nil {
				return err
			}
		}
		return br.Close()
	}()
	if err != nil {
		fail(winners, err)
		return
	}
	next := uint64(head - total + 1)
	for _, r := range winners {
		r.done <- appendResult{first: next}
		next += uint64(len(r.events))
	}
}

// classify maps PostgreSQL's refusals that mean "nothing was written,
// decide again" to ErrConflict: a unique violation (another writer got
// the version or the command first, should one bypass the stream lock),
// a serialization failure or a deadlock (the transaction was rolled back).
// Anything else is returned as is: the outcome may be unknown.
func classify(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505", "40001", "40P01":
			return &interaction.Error{Kind: interaction.ErrConflict, Op: "append", Detail: "PostgreSQL " + pgErr.Code + ": " + pgErr.Message}
		}
	}
	return fmt.Errorf("pgstore: append: %w", err)
}
