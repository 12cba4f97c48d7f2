package pgstore_test

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/pgstore"
)

func TestNewRefusesAnUnmigratedSchema(t *testing.T) {
	s := newSchema(t)
	pool, err := pgxpool.NewWithConfig(ctx, s.config(t))
	require.NoError(t, err)
	defer pool.Close()
	_, err = pgstore.New(ctx, pool)
	require.ErrorContains(t, err, "Migrate")
}

// Migrate is explicit, idempotent, and safe to run from several
// instances at once.
func TestMigrateConcurrentlyAndAgain(t *testing.T) {
	s := newSchema(t)
	pool, err := pgxpool.NewWithConfig(ctx, s.config(t))
	require.NoError(t, err)
	defer pool.Close()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = pgstore.Migrate(ctx, pool) }()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, pgstore.Migrate(ctx, pool))
	var applied, last int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*), max(version) FROM chatconsult_migrations`).Scan(&applied, &last))
	files, err := filepath.Glob("migrations/*.sql")
	require.NoError(t, err)
	assert.Equal(t, len(files), applied, "each migration applied once (version numbers may have gaps)")
	assert.Equal(t, pgstore.SchemaVersion(), last)
	_, err = pgstore.New(ctx, pool)
	require.NoError(t, err)
}

// R-X6: what PostgreSQL's text cannot hold is refused as bad input, not
// lost or mangled; message text takes anything (it is bytea).
func TestIdentifiersPostgresCannotStoreAreBadInput(t *testing.T) {
	st := newStore(t, newSchema(t).pool(t, nil))
	for _, bad := range []interaction.PartyID{"nul\x00inside", "bad\xffutf8"} {
		ev := interaction.Event{Interaction: "chat", Version: 1, Type: interaction.EventOpened, Actor: bad, Party: bad}
		require.ErrorIs(t, st.Append(ctx, "chat", 0, []interaction.Event{ev}), interaction.ErrBadInput)
	}
	events, err := st.Load(ctx, "chat\x00")
	require.NoError(t, err)
	assert.Empty(t, events)
}

func TestAppendAfterCloseFails(t *testing.T) {
	st := newStore(t, newSchema(t).pool(t, nil))
	ev := interaction.Event{Interaction: "chat", Version: 1, Type: interaction.EventOpened}
	require.NoError(t, st.Append(ctx, "chat", 0, []interaction.Event{ev}))
	st.Close()
	ev.Version = 2
	require.ErrorIs(t, st.Append(ctx, "chat", 1, []interaction.Event{ev}), pgstore.ErrClosed)
	events, err := st.Load(ctx, "chat")
	require.NoError(t, err, "reads go on: the pool is the caller's")
	assert.Len(t, events, 1)
}

// Stores in different schemas of one database announce on different
// channels, so they do not wake each other's followers.
func TestChannelPerSchema(t *testing.T) {
	a := newStore(t, newSchema(t).pool(t, nil))
	b := newStore(t, newSchema(t).pool(t, nil))
	assert.NotEqual(t, a.Channel(), b.Channel())
	assert.LessOrEqual(t, len(a.Channel()), 63)
}
