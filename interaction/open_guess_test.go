package interaction_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
)

// countingStore counts the Loads that reach a Store.
type countingStore struct {
	interaction.Store
	loads atomic.Int64
}

func (c *countingStore) Load(ctx context.Context, id interaction.ID) ([]interaction.Event, error) {
	c.loads.Add(1)
	return c.Store.Load(ctx, id)
}

// Issue 15: opening an interaction the Service holds nothing of decides
// on the empty state, without reading the stream (on PostgreSQL a round
// trip per chat); the Store's expected version checks the guess. An Open
// of an interaction that exists (here through another Service on the same
// Store, which has not seen it) is still refused as before (R-X6: "open
// twice" is a conflict, "interaction exists"), writes nothing, and does
// not count as a conflict retry: it holds with no retries at all.
func TestOpeningANewInteractionReadsNothing(t *testing.T) {
	ctx := context.Background()
	for _, retries := range []int{3, 0} {
		store := &countingStore{Store: interaction.NewMemoryStore()}
		first := interaction.NewService(interaction.WithStore(store), interaction.WithConflictRetries(retries))
		id, err := first.Open(ctx, "contact", "hello")
		require.NoError(t, err)
		assert.Zero(t, store.loads.Load(), "a new interaction is not read")
		_, err = first.Do(ctx, id, "contact", interaction.Post{Text: "still there?"})
		require.NoError(t, err)
		assert.Zero(t, store.loads.Load(), "its state is the Service's from then on")

		other := interaction.NewService(interaction.WithStore(store), interaction.WithConflictRetries(retries))
		_, err = other.Do(ctx, id, "contact", interaction.Open{Contact: "contact"})
		require.ErrorIs(t, err, interaction.ErrConflict)
		assert.ErrorContains(t, err, "interaction exists", "decided again on what the Store holds")
		assert.Equal(t, int64(1), store.loads.Load(), "the refused guess was read once")
		events, err := store.Load(ctx, id)
		require.NoError(t, err)
		assert.Len(t, events, 4, "nothing was written: opened, contact joined, two messages")

		// The other Service now holds the interaction and runs its commands.
		_, err = other.Do(ctx, id, "contact", interaction.Post{Text: "hello again"})
		require.NoError(t, err)
	}
}
