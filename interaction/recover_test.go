package interaction_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
)

// pagedLister lists ids, counting its calls, failing once asked to.
type pagedLister struct {
	ids   []interaction.ID
	calls int
	fail  error
}

func (l *pagedLister) OpenInteractions(_ context.Context, after interaction.ID, limit int) ([]interaction.ID, error) {
	l.calls++
	if l.fail != nil {
		return nil, l.fail
	}
	var out []interaction.ID
	for _, id := range l.ids {
		if id > after && (limit <= 0 || len(out) < limit) {
			out = append(out, id)
		}
	}
	return out, nil
}

// Recover pages through the lister, loads each listed interaction once,
// skips one that is gone, and stops at any other error.
func TestRecoverPagesAndLoadsEachOnce(t *testing.T) {
	ctx := context.Background()
	var listed []interaction.ID
	for i := 0; i < 2*interaction.RecoverPage+3; i++ {
		listed = append(listed, interaction.ID(fmt.Sprintf("chat-%04d", i)))
	}
	l := &pagedLister{ids: listed}
	loads := map[interaction.ID]int{}
	load := func(_ context.Context, id interaction.ID) (*interaction.State, error) {
		loads[id]++
		if id == "chat-0007" {
			return nil, &interaction.Error{Kind: interaction.ErrNotFound, Op: "read", Interaction: id}
		}
		return &interaction.State{ID: id, Version: 1}, nil
	}
	var a, b []interaction.ID
	n, err := interaction.Recover(ctx, l, load,
		func(st *interaction.State) { a = append(a, st.ID) },
		func(st *interaction.State) { b = append(b, st.ID) })
	require.NoError(t, err)
	assert.Equal(t, len(listed), n)
	assert.Equal(t, 4, l.calls, "three pages and the empty one")
	assert.Len(t, loads, len(listed))
	for id, k := range loads {
		assert.Equal(t, 1, k, id)
	}
	assert.Len(t, a, len(listed)-1, "the one gone is skipped")
	assert.Equal(t, a, b, "every sync function gets every state")

	boom := errors.New("boom")
	_, err = interaction.Recover(ctx, l, func(context.Context, interaction.ID) (*interaction.State, error) { return nil, boom })
	require.ErrorIs(t, err, boom)
	l.fail = boom
	_, err = interaction.Recover(ctx, l, load)
	require.ErrorIs(t, err, boom)
}

// noLister is a Store that does not list its open interactions.
type noLister struct{ interaction.Store }

func TestServiceRecoverNeedsAnOpenLister(t *testing.T) {
	svc := interaction.NewService(interaction.WithStore(noLister{interaction.NewMemoryStore()}))
	_, err := svc.Recover(context.Background())
	require.ErrorIs(t, err, interaction.ErrBadInput)
}

// A restarted process recovers the interactions under way from the Store:
// the open ones, not the closed.
func ExampleService_Recover() {
	ctx := context.Background()
	store := interaction.NewMemoryStore()
	before := newService(interaction.WithStore(store))
	under := activeChat(ctx, before)
	done := activeChat(ctx, before)
	_ = before.EndSession(ctx, done, "agent1")
	_ = before.MarkDone(ctx, done, "agent1")

	restarted := newService(interaction.WithStore(store))
	n, err := restarted.Recover(ctx, func(st *interaction.State) {
		fmt.Println("recovered the chat under way:", st.ID == under, st.Status)
	})
	fmt.Println(n, err)
	// Output:
	// recovered the chat under way: true active
	// 1 <nil>
}
