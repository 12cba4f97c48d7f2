package pgstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

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

// maxTxEvents bounds the events of one transaction: a position is the
// transaction's ID shifted left by positionBits, plus the event's ordinal
// in it (see migrations/0009_one_round_trip.sql).
const (
	positionBits = 20
	maxTxEvents  = 1<<positionBits - 1
)

// write is one writer: it takes the appends waiting now (at least one, at
// most maxBatch, at most maxTxEvents events), and while another writer's
// transaction is in flight its share of the appends under way (join), and
// commits them in one transaction. A writer alone commits at once.
func (s *Store) write() {
	defer s.wg.Done()
	batch := make([]*appendRequest, 0, s.maxBatch)
	var carry *appendRequest
	for {
		batch = batch[:0]
		events := 0
		if carry != nil {
			batch, events, carry = append(batch, carry), len(carry.events), nil
		} else {
			select {
			case r := <-s.queue:
				batch, events = append(batch, r), len(r.events)
			case <-s.stop:
				return
			}
		}
	gather:
		for len(batch) < s.maxBatch {
			select {
			case r := <-s.queue:
				if events+len(r.events) > maxTxEvents {
					carry = r
					break gather
				}
				batch, events = append(batch, r), events+len(r.events)
			default:
				break gather
			}
		}
		var stopped bool
		if carry == nil {
			batch, events, carry, stopped = s.join(batch, events)
			if stopped {
				return
			}
		}
		s.flights.takeOff(len(batch), len(s.queue))
		s.commit(batch)
		s.flights.land(len(batch))
		clear(batch)
	}
}

// appendSQL runs chatconsult_append (migrations/0009_one_round_trip.sql,
// with Event.Supervised and Event.Attachments since 0011_event_columns.sql)
// on a batch of more than defaultStatementBatch appends (a smaller one is
// written one statement per append, append_one.go). The scalar subquery
// reads the position offset and takes the log head row FOR SHARE: appends
// share it, and whatever must stop them (raising the offset, a test
// holding them up) takes it FOR UPDATE.
const appendSQL = `SELECT chatconsult_append(
	(SELECT xid_offset FROM chatconsult_log_head FOR SHARE),
	$1, $2, $3, $4, $5, $6, $7, $8,
	$9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26,
	$27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38,
	$39, $40, $41, $42, $43, $44, $45, $46)`

// notifySQL announces the last position the session's appends committed
// and forgets it, as chatconsult_notify (migration 0009) does, in plain
// SQL: no plpgsql call. It runs as a transaction of its own after the
// COMMIT (see commit); chatconsult.notify is a session setting the append
// statements set, which an aborted transaction rolls back, so a batch
// that did not commit announces nothing. The transaction writes nothing
// but its commit record, so its commit does not wait for a WAL flush.
const notifySQL = `SELECT pg_notify($1, p), set_config('chatconsult.notify', '', false)
FROM (SELECT current_setting('chatconsult.notify', true) AS p) s WHERE p <> ''`

// commit writes a batch of appends in one transaction, in one round trip:
// one pipeline of BEGIN; one statement per append (append_one.go), in
// interaction order, or for a batch of more than defaultStatementBatch
// appends one call of chatconsult_append; COMMIT; then the notification
// (notifySQL) as a transaction of its own.
//
// Each statement decides its append on its stream row (at the expected
// version, its command not stored yet; appends to one stream in arrival
// order, each seeing the ones before it in the transaction; a loser gets
// ErrConflict and changes nothing) and writes it: stream version, the
// open-interactions index, the events at positions taken from the
// transaction's ID, the deadlines. Nothing in it fails for a conflict, so
// one append's conflict never aborts the others. Each statement locks its
// stream row first and the statements run in interaction order, so two
// batches, of this or another process, cannot deadlock
// (chatconsult_append, which a Store of an earlier release may still run,
// locks in the same order); no lock is shared by all appends, so
// transactions of different writers flush their commits together.
//
// The notification follows the COMMIT in the same pipeline: the server
// runs it only if every statement before it succeeded (after an error it
// skips to the pipeline's end), so there is no notification without a
// commit; it runs whatever happens to the client meanwhile, since it is
// already in the server's hands.
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

	var stmts []statement
	if len(live) > s.statementBatch {
		stmts = []statement{functionStatement(live)}
	} else {
		stmts = appendStatements(live, s.scalarRows)
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

	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	for _, st := range stmts {
		b.Queue(st.query, st.args...)
	}
	if s.beforeCommit == nil {
		b.Queue(`COMMIT`)
		b.Queue(notifySQL, s.channel)
	}
	answers := make([]int64, 0, len(live))
	answered := make([]*appendRequest, 0, len(live))
	br := conn.SendBatch(ctx, b)
	err = func() error {
		if _, err := br.Exec(); err != nil {
			return err
		}
		for _, st := range stmts {
			var res []int64
			if st.function {
				if err := br.QueryRow().Scan(&res); err != nil {
					return err
				}
			} else {
				var one int64
				var payload *string
				if err := br.QueryRow().Scan(&one, &payload); err != nil {
					return err
				}
				res = []int64{one}
			}
			if len(res) != len(st.appends) {
				return fmt.Errorf("the append statement answered %d appends of %d", len(res), len(st.appends))
			}
			answers, answered = append(answers, res...), append(answered, st.appends...)
		}
		if s.beforeCommit != nil {
			// Tests only: hold the transaction open before its COMMIT.
			if err := br.Close(); err != nil {
				return err
			}
			s.beforeCommit()
			b = &pgx.Batch{}
			b.Queue(`COMMIT`)
			b.Queue(notifySQL, s.channel)
			br = conn.SendBatch(ctx, b)
		}
		_, err := br.Exec() // COMMIT
		return err
	}()
	if err != nil {
		_ = br.Close()
		fail(live, err)
		return
	}
	// Committed: the outcome of every append is known. The notification's
	// own answer (or its failure) changes none of them.
	for i, r := range answered {
		switch {
		case answers[i] > 0:
			r.done <- appendResult{first: uint64(answers[i])}
		case answers[i] == 0:
			r.done <- appendResult{err: &interaction.Error{Kind: interaction.ErrConflict, Op: "append", Interaction: r.id, Detail: "stream moved on"}}
		default:
			r.done <- appendResult{err: &interaction.Error{Kind: interaction.ErrConflict, Op: "append", Interaction: r.id, Detail: "command " + r.events[0].Cause + " already applied"}}
		}
	}
	_, _ = br.Exec()
	_ = br.Close()
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

// statement is one statement of an append transaction and the appends it
// answers, in order.
type statement struct {
	query    string
	args     []any
	appends  []*appendRequest
	function bool // chatconsult_append: one answer per append, as an array
}

// appendStatements are the statements of append_one.go for a batch: one
// per append, sorted by interaction (arrival order kept within one), so
// that a transaction takes its stream rows' locks in one global order, as
// chatconsult_append takes them, and two batches never deadlock. Appends
// to different streams are decided on their own streams alone, so the
// order between them changes no outcome; appends to one stream are
// decided in arrival order, each seeing the ones before it in the same
// transaction. Each statement's events take the positions after the
// events of the statements before it. An append of up to scalarRows
// events passes them as rows of scalars, and its deadline change, if it
// has one, as scalars; any other as column arrays.
func appendStatements(live []*appendRequest, scalarRows int) []statement {
	order := slices.Clone(live)
	slices.SortStableFunc(order, func(a, b *appendRequest) int { return strings.Compare(string(a.id), string(b.id)) })
	out := make([]statement, 0, len(order))
	offset := 0
	for _, r := range order {
		var dl deadlineColumns
		dl.add(1, r.events)
		var shape appendShape
		switch closing := interaction.Closes(r.events); {
		case closing:
			shape.closes = true
		case r.expected == 0:
			shape.opens = true
		}
		shape.first = r.expected == 0
		scalar := len(r.events) <= scalarRows
		size := 40 // the scalars, the event (or its columns), the offset, the deadlines
		if scalar {
			size += len(eventParams) * (len(r.events) - 1)
		}
		args := make([]any, 0, size)
		args = append(args, string(r.id), int64(r.expected), int32(len(r.events)), r.events[0].Cause)
		if scalar {
			shape.events = len(r.events)
			args = appendRowArgs(args, rowOf(&r.events[0], r.events[0].Cause))
		} else {
			var cols columns
			cols.grow(len(r.events))
			cols.add(r.events)
			args = append(args, cols.args()...)
		}
		args = append(args, int32(offset))
		switch {
		case len(dl.set) == 1 && scalar:
			shape.deadlines = oneDeadline
			args = append(args, dl.set[0], dl.invitations[0], dl.kinds[0], dl.due[0])
		case len(dl.set) > 0:
			shape.deadlines = deadlineArrays
			args = append(args, dl.set, dl.invitations, dl.kinds, dl.due)
		}
		if scalar {
			for i := 1; i < len(r.events); i++ {
				args = appendRowArgs(args, rowOf(&r.events[i], ""))
			}
		}
		query := appendStatementSQL(shape)
		out = append(out, statement{query: query, args: args, appends: []*appendRequest{r}})
		offset += len(r.events)
	}
	return out
}

// functionStatement is chatconsult_append on the whole batch.
func functionStatement(live []*appendRequest) statement {
	var (
		streams               []string
		slots, firsts, counts []int32
		expected              []int64
		commands              []string
		opens, closes         []bool
		cols                  columns
		eAppend               []int32
		dl                    deadlineColumns
	)
	slotOf := make(map[interaction.ID]int32, len(live))
	for i, r := range live {
		slot, ok := slotOf[r.id]
		if !ok {
			streams = append(streams, string(r.id))
			slot = int32(len(streams))
			slotOf[r.id] = slot
		}
		closing := interaction.Closes(r.events)
		slots = append(slots, slot)
		expected = append(expected, int64(r.expected))
		firsts = append(firsts, int32(cols.len()+1))
		counts = append(counts, int32(len(r.events)))
		commands = append(commands, r.events[0].Cause)
		opens = append(opens, r.expected == 0 && !closing)
		closes = append(closes, closing)
		cols.add(r.events)
		for range r.events {
			eAppend = append(eAppend, int32(i+1))
		}
		dl.add(int32(i+1), r.events)
	}
	args := append([]any{streams, slots, expected, firsts, counts, commands, opens, closes, eAppend}, cols.args()...)
	args = append(args, dl.appends, dl.set, dl.interactions, dl.invitations, dl.kinds, dl.due)
	return statement{query: appendSQL, args: args, appends: live, function: true}
}

// deadlineColumns holds the deadline changes of a batch column by column,
// as the append statements take them: for each, the append it comes with
// (1-based), whether it sets or ends a deadline, the invitation, and what
// it sets.
type deadlineColumns struct {
	appends                   []int32
	set                       []bool
	interactions, invitations []string
	kinds                     []int16
	due                       []int64
}

// add adds the deadline changes of append a's events: the ended ones,
// then the set ones (the statements keep the last change per invitation).
func (c *deadlineColumns) add(a int32, events []interaction.Event) {
	set, ended := interaction.DeadlineChanges(events)
	for _, d := range ended {
		c.put(a, false, d.Interaction, string(d.Invitation), 0, 0)
	}
	for _, d := range set {
		c.put(a, true, d.Interaction, string(d.Invitation), int16(d.Kind), d.Due.UnixNano())
	}
}

func (c *deadlineColumns) put(a int32, set bool, id interaction.ID, invitation string, kind int16, due int64) {
	c.appends, c.set = append(c.appends, a), append(c.set, set)
	c.interactions, c.invitations = append(c.interactions, string(id)), append(c.invitations, invitation)
	c.kinds, c.due = append(c.kinds, kind), append(c.due, due)
}
