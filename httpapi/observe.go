package httpapi

import (
	"context"
	"errors"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/observe"
)

// observe tells Config.Observe and Config.Observer of a command's outcome
// (observe.KindRequest: Op the command's route name, Outcome the
// problem's kind, Took its latency).
func (h *Handler) observe(ctx context.Context, o Outcome) {
	if h.c.Observe != nil {
		h.c.Observe(o)
	}
	if h.c.Observer != nil {
		h.c.Observer.Observe(ctx, observe.Event{Kind: observe.KindRequest, Op: o.Command, Interaction: string(o.Interaction),
			Outcome: interaction.OutcomeOf(o.Err), Took: o.Took})
	}
}

// lagged tells Config.Observer that a stream's subscription fell behind
// (observe.KindSubscriptionLag, N events dropped from its queue) and
// catches up from the Store.
func (h *Handler) lagged(ctx context.Context, id interaction.ID, err error) {
	if h.c.Observer == nil {
		return
	}
	n := 0
	var lag *interaction.LagError
	if errors.As(err, &lag) {
		n = lag.Dropped
	}
	h.c.Observer.Observe(ctx, observe.Event{Kind: observe.KindSubscriptionLag, Op: "sse", Interaction: string(id), N: n})
}
