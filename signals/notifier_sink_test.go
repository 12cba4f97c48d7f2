package signals_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/signals"
)

// R-C9: the reminder for an unfocused chat reaches the agent through the
// Notifier, with the setting off, and nobody else; it is never stored.
func TestRC9ReminderReachesTheAgentThroughTheNotifier(t *testing.T) {
	clock := chatconsulttest.NewManualClock()
	notes := interaction.NewMemoryNotifier()
	tracker := signals.New(clock, signals.NotifierSink(notes), signals.WithDelay(delay), signals.WithInterval(interval))
	t.Cleanup(tracker.Close)
	store := interaction.NewMemoryStore()
	chats := interaction.NewService(interaction.WithClock(clock), interaction.WithStore(store),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")), interaction.WithNotifier(interaction.Notifiers{notes, tracker}))
	agent := notes.Subscribe("agent1")
	contact := notes.Subscribe("contact")
	id, err := chats.Open(ctx, "contact", "Hello")
	require.NoError(t, err)
	require.NoError(t, chats.Assign(ctx, id, interaction.System, "agent1"))
	require.NoError(t, chats.Join(ctx, id, "agent1"))
	tracker.Focus("agent1", signals.Chat("another-chat"))
	agent.Drain()
	contact.Drain()

	clock.Advance(delay + time.Second)
	var reminders []interaction.Event
	for _, ev := range agent.Drain() {
		if ev.Type == interaction.EventReminder {
			reminders = append(reminders, ev)
		}
	}
	require.Len(t, reminders, 1, "with the answer-reminder setting off")
	assert.Equal(t, id, reminders[0].Interaction)
	assert.Equal(t, interaction.PartyID("agent1"), reminders[0].Party)
	assert.Empty(t, contact.Drain(), "nobody else is reminded")

	events, err := store.Load(ctx, id)
	require.NoError(t, err)
	for _, ev := range events {
		assert.NotEqual(t, interaction.EventReminder, ev.Type, "a reminder is not a fact of the interaction")
	}
	st, err := interaction.Rebuild(events)
	require.NoError(t, err)
	forged := reminders[0]
	forged.Version = st.Version + 1
	assert.ErrorIs(t, st.Apply(&forged), interaction.ErrCorruptLog)
}
