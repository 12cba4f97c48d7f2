package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/chatconsult/chatconsult/interaction"
)

// Querier is what LoadCheckpoint reads with: a *pgxpool.Pool, a *pgx.Conn
// or a pgx.Tx.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// LoadCheckpoint returns the log position up to which read model name has
// applied the log (chatconsult_checkpoints): resume after it. 0 when none
// was saved.
func LoadCheckpoint(ctx context.Context, q Querier, name string) (uint64, error) {
	var pos int64
	err := q.QueryRow(ctx, `SELECT position FROM chatconsult_checkpoints WHERE name = $1`, name).Scan(&pos)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("pgstore: load checkpoint %q: %w", name, err)
	}
	return uint64(pos), nil
}

// SaveCheckpoint moves read model name's checkpoint from position from to
// position to, in tx: call it in the transaction that writes what the read
// model made of the events after from up to to, so that both commit or
// neither, and a restarted read model resumes exactly after the last event
// it applied. It is a compare-and-set: when the checkpoint is not at from
// (another runner of the same read model moved it), it returns an error
// wrapping interaction.ErrConflict and changes nothing; roll tx back and
// resume from LoadCheckpoint. A checkpoint never saved is at 0.
func SaveCheckpoint(ctx context.Context, tx pgx.Tx, name string, from, to uint64) error {
	if to < from || to > math.MaxInt64 {
		return &interaction.Error{Kind: interaction.ErrBadInput, Op: "save checkpoint",
			Detail: fmt.Sprintf("checkpoint %q: from %d to %d", name, from, to)}
	}
	if !storableText(name) {
		return &interaction.Error{Kind: interaction.ErrBadInput, Op: "save checkpoint", Detail: "a name PostgreSQL text cannot hold"}
	}
	var tag pgconn.CommandTag
	var err error
	if from == 0 {
		tag, err = tx.Exec(ctx, `INSERT INTO chatconsult_checkpoints (name, position) VALUES ($1, $2)
			ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position
			WHERE chatconsult_checkpoints.position = 0`, name, int64(to))
	} else {
		tag, err = tx.Exec(ctx, `UPDATE chatconsult_checkpoints SET position = $2
			WHERE name = $1 AND position = $3`, name, int64(to), int64(from))
	}
	if err != nil {
		return fmt.Errorf("pgstore: save checkpoint %q: %w", name, err)
	}
	if tag.RowsAffected() != 1 {
		return &interaction.Error{Kind: interaction.ErrConflict, Op: "save checkpoint",
			Detail: fmt.Sprintf("checkpoint %q is not at %d: another runner moved it", name, from)}
	}
	return nil
}

// Project runs read model name one step: in one transaction it locks the
// read model's checkpoint (so two runners of one read model, in this or
// another process, take turns), reads up to limit events after it (limit
// <= 0: 512), hands them to apply, which writes what it makes of them
// through tx, and moves the checkpoint past them; then it commits. It
// returns how many events apply got: 0 when the read model is caught up.
//
// Each event is applied once, whatever fails or restarts: when apply or
// the commit fails, neither the read model's rows nor its checkpoint move
// (with the commit's outcome unknown, the next step finds out from the
// checkpoint). apply must write only through tx, and may run again with
// the same events after a failure. A runner follows the log with a
// Listener:
//
//	for {
//		changed := listener.Changed()
//		n, err := store.Project(ctx, "metrics", 0, apply)
//		if err == nil && n == 0 {
//			<-changed // or ctx.Done()
//		}
//	}
func (s *Store) Project(ctx context.Context, name string, limit int,
	apply func(ctx context.Context, tx pgx.Tx, events []interaction.Event) error) (int, error) {
	if limit <= 0 {
		limit = relayPage
	}
	if !storableText(name) {
		return 0, &interaction.Error{Kind: interaction.ErrBadInput, Op: "project", Detail: "a name PostgreSQL text cannot hold"}
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("pgstore: project %q: %w", name, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	// Runners of one read model take turns on an advisory lock (of this
	// schema's read model name), not on the checkpoint's row: the read
	// below may wait for transactions older than the newest event (see
	// ReadAll), and a transaction waiting for others must hold no
	// transaction ID of its own, or two runners of different read models
	// could wait for each other. The read model's writes, and
	// SaveCheckpoint's compare-and-set, come after the read.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('chatconsult_checkpoint.' || current_schema() || '.' || $1))`, name); err != nil {
		return 0, fmt.Errorf("pgstore: project %q: %w", name, err)
	}
	var from int64
	if err := tx.QueryRow(ctx, `SELECT coalesce((SELECT position FROM chatconsult_checkpoints WHERE name = $1), 0)`, name).Scan(&from); err != nil {
		return 0, fmt.Errorf("pgstore: project %q: %w", name, err)
	}
	rows, err := tx.Query(ctx, readSQL, from, int64(limit))
	if err != nil {
		return 0, fmt.Errorf("pgstore: project %q: %w", name, err)
	}
	events, err := scanEvents(rows)
	if err != nil {
		return 0, fmt.Errorf("pgstore: project %q: %w", name, err)
	}
	if len(events) == 0 {
		return 0, nil
	}
	if err := apply(ctx, tx, events); err != nil {
		return 0, fmt.Errorf("pgstore: project %q: %w", name, err)
	}
	if err := SaveCheckpoint(ctx, tx, name, uint64(from), events[len(events)-1].Position); err != nil {
		return 0, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("pgstore: project %q: commit (outcome unknown): %w", name, err)
	}
	return len(events), nil
}
