package pgstore

import (
	"context"
	"errors"
	"fmt"

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
// most maxBatch, at most maxTxEvents events) and commits them in one
// transaction. It never waits for more appends to arrive: a writer alone
// commits at once.
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
		s.commit(batch)
		clear(batch)
	}
}

// appendSQL runs chatconsult_append (migrations/0009_one_round_trip.sql,
// with Event.Supervised and Event.Attachments since 0011_event_columns.sql)
// on a batch. The scalar subquery reads the position offset and takes the
// log head row FOR SHARE: appends share it, and whatever must stop them
// (raising the offset, a test holding them up) takes it FOR UPDATE.
const appendSQL = `SELECT chatconsult_append(
	(SELECT xid_offset FROM chatconsult_log_head FOR SHARE),
	$1, $2, $3, $4, $5, $6, $7, $8,
	$9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26,
	$27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38,
	$39, $40, $41, $42, $43, $44, $45, $46)`

// commit writes a batch of appends in one transaction, in one round trip:
// one pipeline of BEGIN; chatconsult_append(…) (a batch of one: the
// statement of append_one.go); COMMIT; then chatconsult_notify as a
// transaction of its own.
//
// chatconsult_append creates the rows of streams that appends at version 0
// start, locks the batch's stream rows in interaction order, decides each
// append in arrival order (its stream at the expected version, its command
// not there yet, counting the earlier winners of the batch; a loser gets
// ErrConflict and changes nothing), and writes the winners: stream
// versions, the open-interactions index, the events at positions taken
// from the transaction's ID, the deadlines. Nothing in it fails for a
// conflict, so one append's conflict never aborts the others. Locks are
// taken in one global order (new stream rows, then every stream row of the
// batch, each in interaction order), so two batches, of this or another
// process, cannot deadlock; no lock is shared by all appends, so
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

	var (
		streams               []string
		slots, firsts, counts []int32
		expected              []int64
		commands              []string
		opens, closes         []bool
		cols                  columns
		dAppend, eAppend      []int32
		dSet                  []bool
		dIDs, dInvitations    []string
		dKinds                []int16
		dDue                  []int64
	)
	total := 0
	for _, r := range live {
		total += len(r.events)
	}
	cols.grow(total)
	n := len(live)
	streams, slots, firsts, counts = make([]string, 0, n), make([]int32, 0, n), make([]int32, 0, n), make([]int32, 0, n)
	expected, commands, opens, closes = make([]int64, 0, n), make([]string, 0, n), make([]bool, 0, n), make([]bool, 0, n)
	eAppend = make([]int32, 0, total)
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
		set, ended := interaction.DeadlineChanges(r.events)
		for _, d := range ended {
			dAppend, dSet = append(dAppend, int32(i+1)), append(dSet, false)
			dIDs, dInvitations = append(dIDs, string(d.Interaction)), append(dInvitations, string(d.Invitation))
			dKinds, dDue = append(dKinds, 0), append(dDue, 0)
		}
		for _, d := range set {
			dAppend, dSet = append(dAppend, int32(i+1)), append(dSet, true)
			dIDs, dInvitations = append(dIDs, string(d.Interaction)), append(dInvitations, string(d.Invitation))
			dKinds, dDue = append(dKinds, int16(d.Kind)), append(dDue, d.Due.UnixNano())
		}
	}
	query := appendSQL
	args := append([]any{streams, slots, expected, firsts, counts, commands, opens, closes, eAppend}, cols.args()...)
	args = append(args, dAppend, dSet, dIDs, dInvitations, dKinds, dDue)
	single := len(live) == 1 && !s.batchOnly
	if single {
		// A writer alone: the batch of one has a function of its own.
		query = appendOneSQL
		if expected[0] == 0 {
			query = appendFirstSQL
		}
		args = append([]any{streams[0], expected[0], counts[0], commands[0], opens[0], closes[0]}, cols.args()...)
		args = append(args, dSet, dInvitations, dKinds, dDue)
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
	b.Queue(query, args...)
	if s.beforeCommit == nil {
		b.Queue(`COMMIT`)
		b.Queue(`SELECT chatconsult_notify($1)`, s.channel)
	}
	var res []int64
	br := conn.SendBatch(ctx, b)
	err = func() error {
		if _, err := br.Exec(); err != nil {
			return err
		}
		if single {
			var one int64
			var payload string
			if err := br.QueryRow().Scan(&one, &payload); err != nil {
				return err
			}
			res = []int64{one}
		} else if err := br.QueryRow().Scan(&res); err != nil {
			return err
		}
		if len(res) != len(live) {
			return fmt.Errorf("chatconsult_append answered %d appends of %d", len(res), len(live))
		}
		if s.beforeCommit != nil {
			// Tests only: hold the transaction open before its COMMIT.
			if err := br.Close(); err != nil {
				return err
			}
			s.beforeCommit()
			b = &pgx.Batch{}
			b.Queue(`COMMIT`)
			b.Queue(`SELECT chatconsult_notify($1)`, s.channel)
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
	for i, r := range live {
		switch {
		case res[i] > 0:
			r.done <- appendResult{first: uint64(res[i])}
		case res[i] == 0:
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
