package pgstore

import (
	"fmt"
	"strings"

	"github.com/chatconsult/chatconsult/interaction"
)

// QueueLen is how many appends wait for a writer: a test that holds the
// writers up queues appends one by one, so that they share a transaction
// in a known order.
func QueueLen(s *Store) int { return len(s.queue) }

// SetBeforeCommit makes every writer of s call f after its transaction's
// append statement and before its COMMIT (in a round trip of its own), so
// that a test can make transactions commit out of the order of their IDs.
// Set it before the first Append.
func SetBeforeCommit(s *Store, f func()) { s.beforeCommit = f }

// BatchFunctionOnly makes a Store write every batch through
// chatconsult_append, none through the statements of append_one.go, so
// that the conformance suites run both.
func BatchFunctionOnly() Option {
	return func(s *Store) error {
		s.statementBatch = 0
		return nil
	}
}

// StatementBatch sets the largest batch a Store writes as one statement
// per append (benchmarks and tests compare sizes).
func StatementBatch(n int) Option {
	return func(s *Store) error {
		s.statementBatch = n
		return nil
	}
}

// ArrayColumns makes a Store's append statements take every append's
// events and deadline changes as column arrays, none as scalars, so that
// tests compare the two forms.
func ArrayColumns() Option {
	return func(s *Store) error {
		s.scalarRows = 0
		return nil
	}
}

// JoinBatch sets how many appends a writer gathers while another
// writer's transaction is in flight (benchmarks compare sizes).
func JoinBatch(n int) Option {
	return func(s *Store) error {
		s.joinBatch = n
		return nil
	}
}

// AppendStatement is the statement a Store writes an append with when the
// append is alone in its transaction, and its arguments.
func AppendStatement(id interaction.ID, expected uint64, events []interaction.Event) (string, []any) {
	st := appendStatements([]*appendRequest{{id: id, expected: expected, events: events}}, scalarEvents)[0]
	return st.query, st.args
}

// BareInsert is a plain INSERT of ev's row, the least a durable event
// costs the database: the same row, in the same table with its indexes,
// at a position from the transaction ID, with none of an append's checks
// (version, command, head row) and no stream row.
func BareInsert(ev *interaction.Event) (string, []any) {
	var cols, vals strings.Builder
	for i, p := range eventParams {
		fmt.Fprintf(&cols, ", %s", p.name)
		fmt.Fprintf(&vals, ", $%d::%s", i+1, p.typ)
	}
	q := `INSERT INTO chatconsult_events (position` + cols.String() + `) VALUES ((pg_current_xact_id()::text::bigint << 20) + 1` + vals.String() + `)`
	return q, appendRowArgs(nil, rowOf(ev, ev.Cause))
}

// RoundTrip is a statement that takes the arguments of an append of one
// event that changes no deadline (AppendStatement's, $1–$36) and writes
// nothing: a round trip's and a transaction's cost, no more.
func RoundTrip(args []any) string {
	var b strings.Builder
	b.WriteString(`SELECT 1::bigint, NULL::text WHERE true`)
	for i := range args {
		var typ string
		switch {
		case i == 0 || i == 3:
			typ = "text" // the interaction, the command
		case i == 1:
			typ = "bigint" // the expected version
		case i == 2 || i == len(eventParams)+4:
			typ = "integer" // the number of events, the events before
		case i < len(eventParams)+4:
			typ = eventParams[i-4].typ
		default:
			typ = "text" // beyond the one-event shape: not this helper's use
		}
		fmt.Fprintf(&b, " AND $%d::%s IS NOT NULL", i+1, typ)
	}
	return b.String()
}
