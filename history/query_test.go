package history_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

// manyChats has agent "a" handle n chats, one a minute, for contacts c0,
// c1, c2 in turn; agent "b" handles every fifth one instead. It returns
// the interactions oldest first.
func manyChats(t *testing.T, d *desk, n int) []interaction.ID {
	var ids []interaction.ID
	for i := range n {
		owner := interaction.PartyID("a")
		if i%5 == 4 {
			owner = "b"
		}
		id := d.chat(interaction.PartyID(fmt.Sprintf("c%d", i%3)), owner)
		d.finish(id, owner, owner)
		d.clock.Advance(time.Minute)
		ids = append(ids, id)
	}
	return ids
}

func ids(entries []history.Entry) []interaction.ID {
	out := make([]interaction.ID, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.Interaction)
	}
	return out
}

func reversed(in []interaction.ID) []interaction.ID {
	out := make([]interaction.ID, 0, len(in))
	for i := len(in) - 1; i >= 0; i-- {
		out = append(out, in[i])
	}
	return out
}

func filterIDs(all []interaction.ID, keep func(i int) bool) []interaction.ID {
	var out []interaction.ID
	for i, id := range all {
		if keep(i) {
			out = append(out, id)
		}
	}
	return out
}

// Queries page newest first with a cursor and filter by agent, contact and
// time range (issue 5).
func TestQueryPagesNewestFirst(t *testing.T) {
	d := newDesk(t)
	all := manyChats(t, d, 25)
	byA := filterIDs(all, func(i int) bool { return i%5 != 4 })
	require.Len(t, byA, 20)

	p1, err := d.live.MyHistory(ctx, "a", history.Query{Limit: 8})
	require.NoError(t, err)
	require.Len(t, p1.Items, 8)
	require.NotEmpty(t, p1.Next)
	p2, err := d.live.MyHistory(ctx, "a", history.Query{Limit: 8, Cursor: p1.Next})
	require.NoError(t, err)
	require.Len(t, p2.Items, 8)
	p3, err := d.live.MyHistory(ctx, "a", history.Query{Limit: 8, Cursor: p2.Next})
	require.NoError(t, err)
	require.Len(t, p3.Items, 4)
	assert.Empty(t, p3.Next, "the last page has no next cursor")
	got := append(append(ids(p1.Items), ids(p2.Items)...), ids(p3.Items)...)
	assert.Equal(t, reversed(byA), got, "newest first, each once")

	// Exactly full last page: no empty page after it.
	pg, err := d.live.MyHistory(ctx, "a", history.Query{Limit: 20})
	require.NoError(t, err)
	assert.Len(t, pg.Items, 20)
	assert.Empty(t, pg.Next)
	pg, err = d.live.MyHistory(ctx, "a", history.Query{})
	require.NoError(t, err)
	assert.Len(t, pg.Items, history.DefaultLimit)

	// A cursor stays valid while new interactions arrive.
	newer := d.chat("c0", "a")
	again, err := d.live.MyHistory(ctx, "a", history.Query{Limit: 8, Cursor: p1.Next})
	require.NoError(t, err)
	assert.Equal(t, ids(p2.Items), ids(again.Items))
	first, err := d.live.MyHistory(ctx, "a", history.Query{Limit: 1})
	require.NoError(t, err)
	assert.Equal(t, newer, first.Items[0].Interaction)

	// Filters: contact, agent, time range (From inclusive, To exclusive).
	st5, st15 := d.state(all[5]), d.state(all[15])
	ranged := allPages(t, func(cur string) (history.Page[history.Entry], error) {
		return d.live.MyHistory(ctx, "a", history.Query{From: st5.Opened, To: st15.Opened, Limit: 3, Cursor: cur})
	})
	assert.Equal(t, reversed(filterIDs(all, func(i int) bool { return i >= 5 && i < 15 && i%5 != 4 })), ids(ranged))

	withC1 := allPages(t, func(cur string) (history.Page[history.Entry], error) {
		return d.live.MyHistory(ctx, "a", history.Query{Contact: "c1", Limit: 2, Cursor: cur})
	})
	assert.Equal(t, reversed(filterIDs(all, func(i int) bool { return i%3 == 1 && i%5 != 4 })), ids(withC1))

	c1WithB := allPages(t, func(cur string) (history.Page[history.Entry], error) {
		return d.live.ContactHistory(ctx, "c1", history.Query{Agent: "b", Limit: 2, Cursor: cur})
	})
	assert.Equal(t, reversed(filterIDs(all, func(i int) bool { return i%3 == 1 && i%5 == 4 })), ids(c1WithB))

	act := allPages(t, func(cur string) (history.Page[history.Activity], error) {
		return d.live.Activity(ctx, history.Query{Agent: "b", Contact: "c1", Limit: 1, Cursor: cur})
	})
	require.Len(t, act, len(c1WithB))
	for i, a := range act {
		assert.Equal(t, c1WithB[i].Interaction, a.Interaction)
		assert.Nil(t, a.Transcript, "the activity history carries no transcript")
	}

	empty, err := d.live.MyHistory(ctx, "nobody", history.Query{})
	require.NoError(t, err)
	assert.Empty(t, empty.Items)
	assert.Empty(t, empty.Next)
}

func TestQueryRefusesBadInput(t *testing.T) {
	d := newDesk(t)
	manyChats(t, d, 2)
	now := d.clock.Now()
	for name, q := range map[string]history.Query{
		"negative limit":    {Limit: -1},
		"limit over max":    {Limit: history.MaxLimit + 1},
		"empty range":       {From: now, To: now},
		"reversed range":    {From: now, To: now.Add(-time.Hour)},
		"garbage cursor":    {Cursor: "%%%"},
		"cursor without id": {Cursor: "MTIz"}, // "123"
		"other agent":       {Agent: "b"},
	} {
		_, err := d.live.MyHistory(ctx, "a", q)
		assert.ErrorIs(t, err, interaction.ErrBadInput, name)
		var e *interaction.Error
		assert.ErrorAs(t, err, &e, name)
	}
	_, err := d.live.MyHistory(ctx, "", history.Query{})
	assert.ErrorIs(t, err, interaction.ErrBadInput)
	_, err = d.live.ContactHistory(ctx, "c0", history.Query{Contact: "c1"})
	assert.ErrorIs(t, err, interaction.ErrBadInput)
	_, err = d.live.AgentMetrics(ctx, "", history.Query{})
	assert.ErrorIs(t, err, interaction.ErrBadInput)
	_, err = d.live.Totals(ctx, history.Query{From: now, To: now})
	assert.ErrorIs(t, err, interaction.ErrBadInput)
	_, err = d.live.InteractionMetrics(ctx, "no-such")
	assert.ErrorIs(t, err, interaction.ErrNotFound)
	_, err = d.live.Transcript(ctx, "no-such", "a")
	assert.ErrorIs(t, err, interaction.ErrNotFound)

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = d.live.MyHistory(cancelled, "a", history.Query{})
	assert.ErrorIs(t, err, cancelled.Err())
}
