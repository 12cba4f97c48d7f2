package signals

import (
	"context"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// Conversation is what an agent desk shows as one chat: the chat with the
// contact (Leg empty) or one consultation leg of the interaction.
type Conversation struct {
	Interaction interaction.ID
	Leg         interaction.LegID
}

// Chat is the conversation with the contact of interaction id.
func Chat(id interaction.ID) Conversation { return Conversation{Interaction: id} }

// Consultation is consultation leg leg of interaction id.
func Consultation(id interaction.ID, leg interaction.LegID) Conversation {
	return Conversation{Interaction: id, Leg: leg}
}

// Pending is one conversation waiting for an agent's answer.
type Pending struct {
	Conversation
	// Since is when the message still unanswered was written (the first
	// of the other side's messages since the agent last answered).
	Since time.Time
}

// Reminder is raised for a pending response (R-C9).
type Reminder struct {
	Agent interaction.PartyID
	Conversation
	// Since is when the response became pending (see Pending.Since).
	Since time.Time
	// Due is when the reminder fell due.
	Due time.Time
	// Count is 1 for the first reminder of this pending response, then 2, ….
	Count int
	// Focused: the conversation is the agent's focused one (the agent's
	// answer-reminder setting is on).
	Focused bool
}

// Sink receives reminders, one at a time, in order of due time. It is
// called on the Clock's timer goroutine without the Tracker's lock held, so
// it may call the Tracker; it must not wait for the clock to fire again.
type Sink interface {
	Remind(ctx context.Context, r Reminder)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(ctx context.Context, r Reminder)

// Remind calls f.
func (f SinkFunc) Remind(ctx context.Context, r Reminder) { f(ctx, r) }
