package interaction_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
)

// chatWith opens a chat of n messages between contact and agent1, with an
// agent note after every fifth (the contact's numbers skip them).
func chatWith(t *testing.T, n int) (*interaction.Service, interaction.ID) {
	t.Helper()
	ctx := context.Background()
	svc := interaction.NewService(interaction.WithClock(fixedClock{}), interaction.WithIDs(&interaction.SequentialIDs{Prefix: "p"}))
	id, err := svc.Open(ctx, "contact", "")
	require.NoError(t, err)
	require.NoError(t, svc.Assign(ctx, id, interaction.System, "agent1"))
	require.NoError(t, svc.Join(ctx, id, "agent1"))
	for i := 1; i <= n; i++ {
		author := interaction.PartyID("contact")
		if i%2 == 0 {
			author = "agent1"
		}
		require.NoError(t, svc.Post(ctx, id, author, fmt.Sprintf("message %d", i)))
		if i%5 == 0 {
			_, err := svc.Do(ctx, id, "agent1", interaction.Note{Text: fmt.Sprintf("note %d", i)})
			require.NoError(t, err)
		}
	}
	return svc, id
}

func seqTexts(ms []interaction.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%d:%s", m.Seq, m.Text))
	}
	return out
}

func TestPageForms(t *testing.T) {
	ctx := context.Background()
	svc, id := chatWith(t, 12)

	pg, err := svc.Page(ctx, id, "contact", interaction.PageRequest{Last: 3})
	require.NoError(t, err)
	assert.Equal(t, []string{"10:message 10", "11:message 11", "12:message 12"}, seqTexts(pg.Messages), "the contact's numbers skip the notes")
	assert.Equal(t, uint32(12), pg.Total)
	v, err := svc.View(ctx, id, "contact")
	require.NoError(t, err)
	assert.Equal(t, v.Version, pg.Version)
	assert.Equal(t, v.Parties, pg.Parties)

	back, ok := pg.Earlier(4)
	require.True(t, ok)
	assert.Equal(t, interaction.PageRequest{Before: 10, Limit: 4}, back)
	pg, err = svc.Page(ctx, id, "contact", back)
	require.NoError(t, err)
	assert.Equal(t, []string{"6:message 6", "7:message 7", "8:message 8", "9:message 9"}, seqTexts(pg.Messages))
	next, ok := pg.Later(2)
	require.True(t, ok)
	pg, err = svc.Page(ctx, id, "contact", next)
	require.NoError(t, err)
	assert.Equal(t, []string{"10:message 10", "11:message 11"}, seqTexts(pg.Messages))

	// The agent reads the notes too: 12 messages and 2 notes.
	pg, err = svc.Page(ctx, id, "agent1", interaction.PageRequest{After: 4, Before: 8, Limit: interaction.AllMessages})
	require.NoError(t, err)
	assert.Equal(t, []string{"5:message 5", "6:note 5", "7:message 6"}, seqTexts(pg.Messages))
	assert.Equal(t, uint32(14), pg.Total)

	pg, err = svc.Page(ctx, id, "agent1", interaction.PageRequest{})
	require.NoError(t, err)
	assert.Len(t, pg.Messages, 14, "the default window (50) holds the whole of a short chat")
	_, ok = pg.Earlier(10)
	assert.False(t, ok, "nothing before the first message")

	pg, err = svc.Page(ctx, id, "agent1", interaction.PageRequest{After: 14})
	require.NoError(t, err)
	assert.Empty(t, pg.Messages, "nothing after the last")

	for _, bad := range []interaction.PageRequest{{Last: -1}, {Limit: -1}, {Last: 2, After: 1}, {Last: 2, Limit: 2}} {
		_, err := svc.Page(ctx, id, "contact", bad)
		assert.ErrorIs(t, err, interaction.ErrBadInput, "%+v", bad)
	}
	_, err = svc.Page(ctx, id, "stranger", interaction.PageRequest{})
	assert.ErrorIs(t, err, interaction.ErrNotPermitted, "R-X6: a stranger reads no page")
}

// R-X6: the contact is shown each agent by its contact-facing ID on every
// read path, whatever the agent's place among the parties: a page names
// the first sixteen parties by their number in the state and the others by
// ID (lens.go's shownIDs); the twentieth offered agent is past them.
func TestPageShowsTheContactAgentsByContactIDWhereverTheyStand(t *testing.T) {
	ctx := context.Background()
	for _, joins := range []interaction.PartyID{"agent3", "agent20"} {
		svc := interaction.NewService(interaction.WithClock(fixedClock{}), interaction.WithIDs(&interaction.SequentialIDs{Prefix: "p"}))
		id, err := svc.Open(ctx, "contact", "hello")
		require.NoError(t, err)
		for i := 1; i <= 20; i++ {
			require.NoError(t, svc.Assign(ctx, id, interaction.System, interaction.PartyID(fmt.Sprintf("agent%d", i))))
		}
		require.NoError(t, svc.Join(ctx, id, joins))
		for i := range 6 {
			author := interaction.PartyID("contact")
			if i%2 == 1 {
				author = joins
			}
			require.NoError(t, svc.Post(ctx, id, author, fmt.Sprintf("m%d", i)))
		}
		var want []interaction.PartyID
		want = append(want, "contact")
		for i := range 6 {
			if i%2 == 1 {
				want = append(want, interaction.ContactAgentID(1))
			} else {
				want = append(want, "contact")
			}
		}
		authors := func(ms []interaction.Message) []interaction.PartyID {
			var out []interaction.PartyID
			for _, m := range ms {
				if m.Kind == interaction.KindText {
					out = append(out, m.Author)
				}
			}
			return out
		}
		var reused interaction.Page
		require.NoError(t, svc.PageInto(ctx, id, "agent1", interaction.PageRequest{}, &reused)) // another viewer's page first
		require.NoError(t, svc.PageInto(ctx, id, "contact", interaction.PageRequest{Last: interaction.AllMessages}, &reused))
		assert.Equal(t, want, authors(reused.Messages), "%s joins: page", joins)
		v, err := svc.View(ctx, id, "contact")
		require.NoError(t, err)
		assert.Equal(t, want, authors(v.Messages), "%s joins: view", joins)
		st, err := svc.State(ctx, id)
		require.NoError(t, err)
		seq, err := st.MessagesFor("contact", 0, nil)
		require.NoError(t, err)
		var streamed []interaction.Message
		for m := range seq {
			streamed = append(streamed, m)
		}
		assert.Equal(t, want, authors(streamed), "%s joins: MessagesFor", joins)
		agentView, err := svc.View(ctx, id, "agent1")
		require.NoError(t, err)
		for _, m := range agentView.Messages {
			assert.NotContains(t, []interaction.PartyID{interaction.ContactAgentID(1)}, m.Author, "an agent's own view names agents by ID")
		}
	}
}
