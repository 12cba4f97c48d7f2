package pgstore

import (
	"context"
	"fmt"
	"math"

	"github.com/chatconsult/chatconsult/interaction"
)

var _ interaction.StreamReader = (*Store)(nil)

// LoadFrom implements interaction.StreamReader: the events of the
// interaction after version after, in order, in one query on the primary
// key. A Service reading at the latest version (interaction.WithReadLatest)
// asks it on every read; it returns nothing when the cache is current.
func (s *Store) LoadFrom(ctx context.Context, id interaction.ID, after uint64) ([]interaction.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !storableText(string(id)) || after >= math.MaxInt64 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+eventColumns+` FROM chatconsult_events
		WHERE interaction = $1 AND version > $2 ORDER BY version`, string(id), int64(after))
	if err != nil {
		return nil, fmt.Errorf("pgstore: load %s after %d: %w", id, after, err)
	}
	events, err := scanEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("pgstore: load %s after %d: %w", id, after, err)
	}
	return events, nil
}
