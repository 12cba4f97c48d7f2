package interaction_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
)

// keepingStore is a MemoryStore that keeps the slices it is handed, as a
// Store may (a batching writer, a recorder). Embedding the MemoryStore
// must not make the Service lend it the Decision's buffer.
type keepingStore struct {
	*interaction.MemoryStore
	kept [][]interaction.Event
}

func (k *keepingStore) Append(ctx context.Context, id interaction.ID, expected uint64, events []interaction.Event) error {
	if err := k.MemoryStore.Append(ctx, id, expected, events); err != nil {
		return err
	}
	k.kept = append(k.kept, events)
	return nil
}

// keepingNotifier keeps the slices it is notified.
type keepingNotifier struct{ kept [][]interaction.Event }

func (k *keepingNotifier) Notify(_ context.Context, _ *interaction.State, events []interaction.Event) {
	k.kept = append(k.kept, events)
}

// A Store or Notifier that keeps what it is handed gets a slice of its own
// that later commands never touch; the MemoryStore and this package's
// Notifiers read the Decision's events without a copy (lend.go).
func TestStoresAndNotifiersThatKeepEventsGetTheirOwn(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, kept [][]interaction.Event, store *interaction.MemoryStore) {
		t.Helper()
		var all []interaction.Event
		for _, events := range kept {
			all = append(all, events...)
		}
		var id interaction.ID
		if len(all) > 0 {
			id = all[0].Interaction
		}
		stored, err := store.Load(ctx, id)
		require.NoError(t, err)
		require.Equal(t, stored, all, "what was kept is what was stored, after every later command")
	}
	story := func(t *testing.T, svc *interaction.Service) {
		t.Helper()
		id, err := svc.Open(ctx, "contact", "hello")
		require.NoError(t, err)
		require.NoError(t, svc.Assign(ctx, id, interaction.System, "agent"))
		require.NoError(t, svc.Join(ctx, id, "agent"))
		for _, text := range []string{"one", "two", "three"} {
			require.NoError(t, svc.Post(ctx, id, "agent", text))
		}
		_, err = svc.Do(ctx, id, "contact", interaction.Post{Text: "four"})
		require.NoError(t, err)
		require.NoError(t, svc.EndSession(ctx, id, "agent"))
	}

	t.Run("store", func(t *testing.T) {
		store := &keepingStore{MemoryStore: interaction.NewMemoryStore()}
		story(t, interaction.NewService(interaction.WithStore(store)))
		require.Len(t, store.kept, 8)
		check(t, store.kept, store.MemoryStore)
	})
	t.Run("notifier", func(t *testing.T) {
		store, notes := interaction.NewMemoryStore(), &keepingNotifier{}
		story(t, interaction.NewService(interaction.WithStore(store), interaction.WithNotifier(interaction.Notifiers{interaction.NewMemoryNotifier(), notes})))
		require.Len(t, notes.kept, 8)
		check(t, notes.kept, store)
	})
	t.Run("lent", func(t *testing.T) {
		// The defaults lend: what a subscriber and the Store got is still
		// the log after later commands reused the buffer.
		store, notes := interaction.NewMemoryStore(), interaction.NewMemoryNotifier()
		all := notes.SubscribeAll()
		defer all.Close()
		story(t, interaction.NewService(interaction.WithStore(store), interaction.WithNotifier(notes)))
		got := all.Drain()
		require.NotEmpty(t, got)
		stored, err := store.Load(ctx, got[0].Interaction)
		require.NoError(t, err)
		require.Equal(t, stored, got)
	})
}
