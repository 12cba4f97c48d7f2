package pgstore

import (
	"fmt"
	"strings"
	"sync"
)

// The append statement (issue 15). A transaction of the Store runs one of
// these per append of a small batch (defaultStatementBatch).
// chatconsult_append (plpgsql, migrations 0009 and 0011) decides a batch in arrival
// order with arrays and a loop: most of its statements are bookkeeping
// (stream slots, the winners of the batch, the commands taken by earlier
// appends), and each statement of a plpgsql function costs its own
// executor start. One SQL statement per append makes the same decision
// for about half the server time per append, in a batch of one or of many
// (BENCHMARKS.md, issue 15).
//
// What it decides and writes for an append is what chatconsult_append
// does for it:
//
//   - head: the position offset, the log head row taken FOR SHARE first,
//     as every append takes it (what raises the offset, or a test holding
//     appends up, takes it FOR UPDATE);
//   - won: the stream row moved from the expected version to the new one,
//     if it was at the expected version and, for an existing stream, the
//     command is not stored yet. The UPDATE (for a new stream, the INSERT
//     … ON CONFLICT … WHERE) checks both and takes the row's lock in one
//     step, so two appends at one version cannot both win: the second
//     one's WHERE is evaluated again on the row the first committed. A
//     stream at version 0 holds no events, so no command to look for;
//   - the events, at positions from the transaction ID (after $36, the
//     events of the statements before it in the transaction); the
//     open-interactions index; the deadlines (the last change of each
//     invitation); and the payload the notification (notifySQL) announces after the
//     commit — all only if won;
//   - the answer: the first position (won), or 0 for a stream that moved
//     on, or -1 for a command already applied, told apart by the stream's
//     version as the statement's snapshot saw it (in a race both are
//     ErrConflict all the same).
//
// It takes one row lock of an interaction (its stream's) before any
// other; the statements of a transaction run in interaction order, so
// transactions take those locks in one global order and cannot deadlock.
// defaultStatementBatch is the largest batch written as one statement per
// append; a larger batch goes to chatconsult_append in one call. Per
// append, the statement costs the server less than the function does, but
// its parameters are encoded again for every append, so in large
// batches (many clients at once, where the Go side shares the cores with
// the server) one call of the function wins (BENCHMARKS.md, issue 15).
const defaultStatementBatch = 8

// defaultJoinBatch is how many appends a writer gathers while another
// writer's transaction is in flight (writer.go).
const defaultJoinBatch = 8

// The statement is put together for what the append needs (appendStatementSQL):
// most appends are one event on a stream that neither opens nor closes
// and changes no deadline, and each common table expression a statement
// holds costs the server an executor node to start and finish whether it
// writes or not (BENCHMARKS.md, issue 15). Arguments: $1 the interaction,
// $2 the expected version, $3 the number of events, $4 the command ID (""
// for none), $5–$35 the event columns (columns.args, or the first
// event's row, appendRowArgs), $36 the events of the transaction's
// statements before it, only with deadline changes $37–$40 (set,
// invitation, kind, due: as arrays, or the one change as scalars), and
// then the rows of the other events of an append of up to scalarEvents.
const (
	appendHead = `WITH head AS MATERIALIZED (SELECT xid_offset FROM chatconsult_log_head FOR SHARE)`
	appendPos  = `,
  pos AS (SELECT ((pg_current_xact_id()::text::bigint + xid_offset) << 20) AS base FROM head)`

	// appendWonExisting appends to an existing stream ($2 > 0).
	appendWonExisting = `,
  won AS (
    UPDATE chatconsult_streams SET version = $2::bigint + $3::integer
    WHERE interaction = $1 AND version = $2::bigint AND (SELECT true FROM head)
      AND NOT ($4::text <> '' AND EXISTS (SELECT 1 FROM chatconsult_events e
        WHERE e.interaction = $1 AND e.command = $4::text))
    RETURNING 1)`

	// appendWonFirst starts a stream ($2 = 0).
	appendWonFirst = `,
  won AS (
    INSERT INTO chatconsult_streams AS st (interaction, version)
    SELECT $1, $3::integer FROM head WHERE $2::bigint = 0 AND $4::text IS NOT NULL
    ON CONFLICT (interaction) DO UPDATE SET version = excluded.version WHERE st.version = 0
    RETURNING 1)`

	// appendEvents: the events of an append, from the column arrays.
	appendEvents = `,
  ev AS (
    SELECT (SELECT base FROM pos) + $36::integer + n AS position, u.*
    FROM unnest($5::text[], $6::bigint[], $7::bigint[], $8::integer[], $9::text[], $10::text[],
        $11::text[], $12::smallint[], $13::smallint[], $14::text[], $15::text[], $16::text[],
        $17::smallint[], $18::text[], $19::text[], $20::text[], $21::text[], $22::text[],
        $23::smallint[], $24::text[], $25::smallint[], $26::smallint[], $27::bytea[],
        $28::smallint[], $29::bigint[], $30::bigint[], $31::text[], $32::bigint[], $33::integer[],
        $34::text[], $35::bytea[])
      WITH ORDINALITY AS u(interaction, version, time_s, time_ns, actor, cause, command,
        type, scope_kind, scope_leg, scope_party, party, role, from_state, to_state, trigger,
        leg, via, target_kind, target_id, medium, request, body, kind, seq, fingerprint, route,
        deadline_s, deadline_ns, supervised, attachments, n)
    WHERE EXISTS (SELECT 1 FROM won))`

	appendInsert = `,
  ins AS (
    INSERT INTO chatconsult_events (position, interaction, version, time_s, time_ns,
        actor, cause, command, type, scope_kind, scope_leg, scope_party, party, role, from_state,
        to_state, trigger, leg, via, target_kind, target_id, medium, request, body, kind, seq,
        fingerprint, route, deadline_s, deadline_ns, supervised, attachments)
    SELECT position, interaction, version, time_s, time_ns, actor, cause, NULLIF(command, ''),
        type, scope_kind, scope_leg, scope_party, party, role, from_state, to_state, trigger, leg,
        via, target_kind, target_id, medium, request, body, kind, seq, fingerprint, route,
        deadline_s, deadline_ns, supervised, attachments
    FROM ev)`

	appendOpened = `,
  opened AS (
    INSERT INTO chatconsult_open (interaction) SELECT $1 FROM won
    ON CONFLICT DO NOTHING)`

	appendClosed = `,
  closed AS (
    DELETE FROM chatconsult_open WHERE interaction = $1 AND EXISTS (SELECT 1 FROM won))`

	appendDeadlines = `,
  last AS (
    SELECT DISTINCT ON (d.invitation) d.set, d.invitation, d.kind, d.due
    FROM unnest($37::boolean[], $38::text[], $39::smallint[], $40::bigint[])
      WITH ORDINALITY AS d(set, invitation, kind, due, k)
    WHERE EXISTS (SELECT 1 FROM won)
    ORDER BY d.invitation, d.k DESC),
  ended AS (
    DELETE FROM chatconsult_deadlines dl USING last p
    WHERE NOT p.set AND dl.interaction = $1 AND dl.invitation = p.invitation),
  due AS (
    INSERT INTO chatconsult_deadlines (interaction, invitation, kind, due)
    SELECT $1, p.invitation, p.kind, p.due FROM last p WHERE p.set ORDER BY p.invitation
    ON CONFLICT (interaction, invitation) DO UPDATE
    SET kind = excluded.kind, due = excluded.due, claimed_until = NULL)`

	appendAnswer = `
SELECT CASE
    WHEN EXISTS (SELECT 1 FROM won) THEN (SELECT base FROM pos) + $36::integer + 1
    WHEN $2::bigint <> 0 AND EXISTS (SELECT 1 FROM chatconsult_streams
        WHERE interaction = $1 AND version = $2::bigint) THEN -1
    ELSE 0 END,
  CASE WHEN EXISTS (SELECT 1 FROM won) THEN set_config('chatconsult.notify',
    ((SELECT base FROM pos) + $36::integer + $3::integer)::text, false) END`
)

// scalarEvents is the most events an append's statement takes as scalar
// parameters, a row of 31 per event: most appends are one to four events
// (a message; a join, an acceptance, a conference's four), and
// PostgreSQL's function scan of 31 arrays, with the Go side's encoding of
// them, cost more than the rows themselves (BENCHMARKS.md, stop 29). A
// larger append passes its events as column arrays (appendEvents).
const scalarEvents = 4

// appendScalarEvents are an append's k events (1 <= k <= scalarEvents) as
// rows of scalar parameters: the first at $5–$35, the k-1 others after
// the statement's other parameters, from next on, 31 each.
func appendScalarEvents(k, next int) string {
	var b strings.Builder
	b.WriteString(`,
  ev AS (`)
	for i := 1; i <= k; i++ {
		first := 5
		if i > 1 {
			first = next + (i-2)*len(eventParams)
			b.WriteString(`
    UNION ALL`)
		}
		fmt.Fprintf(&b, `
    SELECT (SELECT base FROM pos) + $36::integer + %d AS position, `, i)
		for j, p := range eventParams {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "$%d::%s AS %s", first+j, p.typ, p.name)
		}
		b.WriteString(`
    WHERE EXISTS (SELECT 1 FROM won)`)
	}
	b.WriteString(`)`)
	return b.String()
}

// appendDeadline is the one deadline change of an append, as scalars at
// $37–$40 (set, invitation, kind, due): what appendDeadlines does for a
// change that is its invitation's last, without unnesting and sorting.
const appendDeadline = `,
  ended AS (
    DELETE FROM chatconsult_deadlines dl
    WHERE NOT $37::boolean AND dl.interaction = $1 AND dl.invitation = $38::text
      AND EXISTS (SELECT 1 FROM won)),
  due AS (
    INSERT INTO chatconsult_deadlines (interaction, invitation, kind, due)
    SELECT $1, $38::text, $39::smallint, $40::bigint WHERE $37::boolean AND EXISTS (SELECT 1 FROM won)
    ON CONFLICT (interaction, invitation) DO UPDATE
    SET kind = excluded.kind, due = excluded.due, claimed_until = NULL)`

// eventParams are the event columns of $5–$35, in order, with their types.
var eventParams = [...]struct{ name, typ string }{
	{"interaction", "text"}, {"version", "bigint"}, {"time_s", "bigint"}, {"time_ns", "integer"},
	{"actor", "text"}, {"cause", "text"}, {"command", "text"}, {"type", "smallint"},
	{"scope_kind", "smallint"}, {"scope_leg", "text"}, {"scope_party", "text"}, {"party", "text"},
	{"role", "smallint"}, {"from_state", "text"}, {"to_state", "text"}, {"trigger", "text"},
	{"leg", "text"}, {"via", "text"}, {"target_kind", "smallint"}, {"target_id", "text"},
	{"medium", "smallint"}, {"request", "smallint"}, {"body", "bytea"}, {"kind", "smallint"},
	{"seq", "bigint"}, {"fingerprint", "bigint"}, {"route", "text"}, {"deadline_s", "bigint"},
	{"deadline_ns", "integer"}, {"supervised", "text"}, {"attachments", "bytea"},
}

// appendShape is what an append's statement must do, and how it takes
// its events and deadline changes.
type appendShape struct {
	first     bool // starts its stream (expected version 0)
	opens     bool // enters the open-interactions index
	closes    bool // leaves it
	events    int  // 1 to scalarEvents: as rows of scalars; 0: as column arrays
	deadlines deadlineForm
}

// deadlineForm is how a statement takes an append's deadline changes.
type deadlineForm uint8

const (
	noDeadlines    deadlineForm = iota
	oneDeadline                 // scalars (appendDeadline)
	deadlineArrays              // column arrays (appendDeadlines)
)

// key numbers the shapes: each has a statement of its own. A small int,
// not the struct, keys appendStatementCache: sync.Map holds an int below
// 256 in an interface without an allocation, and the lookup is on every
// append's path.
func (sh appendShape) key() int {
	k := sh.events<<2 | int(sh.deadlines)
	for _, bit := range [...]bool{sh.first, sh.opens, sh.closes} {
		k <<= 1
		if bit {
			k |= 1
		}
	}
	return k
}

// appendStatementCache holds each shape's statement, put together at its
// first use.
var appendStatementCache sync.Map // appendShape.key() -> string

// appendStatementSQL is the statement of an append of shape sh.
func appendStatementSQL(sh appendShape) string {
	key := sh.key()
	if q, ok := appendStatementCache.Load(key); ok {
		return q.(string)
	}
	q := appendHead
	if sh.first {
		q += appendWonFirst
	} else {
		q += appendWonExisting
	}
	q += appendPos
	next := 37 // the first parameter after the offset and the deadlines
	if sh.deadlines != noDeadlines {
		next = 41
	}
	if sh.events > 0 {
		q += appendScalarEvents(sh.events, next)
	} else {
		q += appendEvents
	}
	q += appendInsert
	if sh.opens {
		q += appendOpened
	}
	if sh.closes {
		q += appendClosed
	}
	switch sh.deadlines {
	case oneDeadline:
		q += appendDeadline
	case deadlineArrays:
		q += appendDeadlines
	}
	q += appendAnswer
	appendStatementCache.Store(key, q)
	return q
}
