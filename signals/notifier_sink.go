package signals

import (
	"context"

	"github.com/chatconsult/chatconsult/interaction"
)

// NotifierSink delivers each reminder to the agent's MemoryNotifier
// subscriptions as an interaction.EventReminder (Party: the agent; Leg:
// the consultation, if the response is pending there; Time: when it fell
// due; Seq: the count), so a desk hears of reminders where it hears of
// everything else (R-C9). The reminder never enters the Store.
func NotifierSink(n *interaction.MemoryNotifier) Sink {
	return SinkFunc(func(_ context.Context, r Reminder) {
		n.Remind(interaction.Event{
			Type:        interaction.EventReminder,
			Interaction: r.Interaction,
			Party:       r.Agent,
			Actor:       interaction.System,
			Leg:         r.Leg,
			Time:        r.Due,
			Seq:         uint32(r.Count),
			Scope:       interaction.PartyScope(r.Agent),
		})
	})
}
