package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// Deadlines as data, on PostgreSQL (issue 13).
//
// chatconsult_deadlines holds the deadline of every pending invitation.
// The Store maintains it from the events, in the transaction that appends
// them (interaction.DeadlineChanges): an invitation made with a deadline
// adds its row, the append that ends it (answered, cancelled, timed out)
// deletes it. So the table says what the log says, whichever instance
// wrote, and a process that dies leaves its deadlines to the others.
//
// Deadlines (Store.Deadlines) is the table as an interaction.DeadlineQueue:
// a Scheduler (consult.WithDeadlines) claims the due rows with one
// statement, SELECT … FOR UPDATE SKIP LOCKED inside an UPDATE that sets a
// lease (claimed_until, on the claimer's clock, the River and Oban
// pattern): no two instances get the same row at once, and a claim whose
// instance died runs out and is claimed again. The claim is not held while
// the deadline fires; firing is an idempotent command (its ID is the
// deadline's), whose append deletes the row.

// Deadlines is the Store's table of deadlines as a queue for a Scheduler.
type Deadlines struct{ s *Store }

var _ interaction.DeadlineQueue = Deadlines{}

// Deadlines returns the Store's table of deadlines as an
// interaction.DeadlineQueue, shared by every instance on the schema.
func (s *Store) Deadlines() Deadlines { return Deadlines{s} }

// Claim implements interaction.DeadlineQueue: the rows due at now that no
// live claim holds, earliest first, each claimed until now+lease, in one
// statement. Rows another claimer has locked at that moment are skipped.
func (q Deadlines) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]interaction.Deadline, error) {
	if limit <= 0 {
		limit = 64
	}
	rows, err := q.s.pool.Query(ctx, `UPDATE chatconsult_deadlines d SET claimed_until = $2
		FROM (SELECT interaction, invitation FROM chatconsult_deadlines
			WHERE due <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
			ORDER BY due, interaction, invitation LIMIT $3
			FOR UPDATE SKIP LOCKED) c
		WHERE d.interaction = c.interaction AND d.invitation = c.invitation
		RETURNING d.interaction, d.invitation, d.kind, d.due`, now.UnixNano(), now.Add(lease).UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: claim deadlines: %w", err)
	}
	defer rows.Close()
	var out []interaction.Deadline
	for rows.Next() {
		var id, inv string
		var kind int16
		var due int64
		if err := rows.Scan(&id, &inv, &kind, &due); err != nil {
			return nil, fmt.Errorf("pgstore: claim deadlines: %w", err)
		}
		out = append(out, interaction.Deadline{Interaction: interaction.ID(id), Invitation: interaction.InvitationID(inv),
			Kind: interaction.DeadlineKind(kind), Due: time.Unix(0, due).UTC()})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: claim deadlines: %w", err)
	}
	return out, nil
}

// Next implements interaction.DeadlineQueue.
func (q Deadlines) Next(ctx context.Context) (time.Time, bool, error) {
	var at *int64
	err := q.s.pool.QueryRow(ctx, `SELECT min(GREATEST(due, coalesce(claimed_until, due))) FROM chatconsult_deadlines`).Scan(&at)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("pgstore: next deadline: %w", err)
	}
	if at == nil {
		return time.Time{}, false, nil
	}
	return time.Unix(0, *at).UTC(), true, nil
}

// Done implements interaction.DeadlineQueue: it deletes the row of a
// deadline fired without changing the log (found answered), if it is
// still that deadline's.
func (q Deadlines) Done(ctx context.Context, d interaction.Deadline) error {
	_, err := q.s.pool.Exec(ctx, `DELETE FROM chatconsult_deadlines WHERE interaction = $1 AND invitation = $2 AND due = $3`,
		string(d.Interaction), string(d.Invitation), d.Due.UnixNano())
	if err != nil {
		return fmt.Errorf("pgstore: deadline done: %w", err)
	}
	return nil
}

// Len is the number of rows in the table of deadlines.
func (q Deadlines) Len(ctx context.Context) (int, error) {
	var n int
	err := q.s.pool.QueryRow(ctx, `SELECT count(*) FROM chatconsult_deadlines`).Scan(&n)
	return n, err
}
