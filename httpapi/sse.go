package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// stream serves the caller's live events of one interaction as
// Server-Sent Events. Each event is "event: <type>" with an event document
// (chatconsult.event/v2) as its data and the caller's own event number
// (its View.Version after the event) as its id, never a store position:
// the numbering counts only what the caller may see. A client that
// reconnects sends Last-Event-ID (or, on its first connection, ?after=N,
// say its view's version) and gets every event after it exactly once:
// first what it missed, read through the Store (Service.EventsSince), then
// the live ones, skipping what it had. A reminder (R-C9) comes as
// "event: reminder" and a typing signal as "event: typing" (its deadline
// says until when it lasts), both without an id and never replayed; the
// library's Notifier delivers a typing signal only to the parties who
// would see a message there (interaction.State.TypingVisible), so typing
// in a consultation never reaches the contact's stream.
//
// The handler subscribes before it reads the Store, so nothing falls
// between. Commands never wait for a stream: the subscription is bounded
// (interaction.LagError), and a stream whose client does not read is
// dropped after WriteTimeout; the client reconnects with its last ID.
func (h *Handler) stream(c *call) {
	id, after, ok := h.streamOf(c)
	if !ok {
		return
	}
	sub := h.c.Notifier.Subscribe(c.actor)
	defer sub.Close()
	missed, err := h.c.Chats.EventsSince(c.ctx, id, c.actor, after)
	if err != nil {
		h.refuse(c, id, err)
		return
	}
	rc := startStream(c)
	sent := after
	write := func(ev interaction.Event) bool {
		data, err := json.Marshal(ev)
		if err != nil {
			return false
		}
		var b strings.Builder
		if !signal(ev) {
			b.WriteString("id: " + strconv.FormatUint(ev.Version, 10) + "\n")
		}
		b.WriteString("event: " + ev.Type.String() + "\ndata: ")
		b.Write(data)
		b.WriteString("\n\n")
		_ = rc.SetWriteDeadline(time.Now().Add(h.c.WriteTimeout))
		if _, err := c.w.Write([]byte(b.String())); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// send writes ev unless the client has it; a gap is filled from the
	// Store first.
	var send func(ev interaction.Event) bool
	send = func(ev interaction.Event) bool {
		if signal(ev) {
			return write(ev)
		}
		if ev.Version <= sent {
			return true
		}
		if ev.Version > sent+1 {
			return h.catchUp(c, id, &sent, write)
		}
		if !write(ev) {
			return false
		}
		sent = ev.Version
		return true
	}
	for _, ev := range missed {
		if !send(ev) {
			return
		}
	}
	if rc.Flush() != nil {
		return
	}
	for {
		ctx, cancel := context.WithTimeout(c.ctx, h.c.Heartbeat)
		ev, err := sub.Next(ctx)
		cancel()
		switch {
		case err == nil:
			if ev.Interaction != id {
				continue
			}
			if !send(ev) {
				return
			}
		case errors.Is(err, interaction.ErrLagged):
			h.lagged(c.ctx, id, err)
			if !h.catchUp(c, id, &sent, write) {
				return
			}
		case errors.Is(err, context.DeadlineExceeded) && c.ctx.Err() == nil:
			_ = rc.SetWriteDeadline(time.Now().Add(h.c.WriteTimeout))
			if _, err := c.w.Write([]byte(": heartbeat\n\n")); err != nil || rc.Flush() != nil {
				return
			}
		default:
			return
		}
	}
}

// signal reports whether ev is a signal, not a fact of the log: a
// reminder (R-C9) or a typing signal. It is sent without an id (the
// caller's event numbers count facts only) and never replayed.
func signal(ev interaction.Event) bool {
	return ev.Type == interaction.EventReminder || ev.Type == interaction.EventTyping
}

// catchUp writes what the Store holds after *sent.
func (h *Handler) catchUp(c *call, id interaction.ID, sent *uint64, write func(interaction.Event) bool) bool {
	events, err := h.c.Chats.EventsSince(c.ctx, id, c.actor, *sent)
	if err != nil {
		return false
	}
	for _, ev := range events {
		if ev.Version <= *sent {
			continue
		}
		if !write(ev) {
			return false
		}
		*sent = ev.Version
	}
	return true
}

// lastEventID is where the client resumes: its Last-Event-ID header, or
// ?after= on a first connection, or 0 (everything).
func lastEventID(c *call) (uint64, bool) {
	s := c.r.Header.Get("Last-Event-ID")
	if s == "" {
		s = c.r.URL.Query().Get("after")
	}
	if s == "" {
		return 0, true
	}
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		writeProblem(c.w, requestProblem(http.StatusBadRequest, "bad_request", "Last-Event-ID is not an event number"))
		return 0, false
	}
	return n, true
}

// deltaStream serves what each event changes in the caller's view of one
// interaction (interaction.MemoryNotifier.SubscribeDeltas) as
// Server-Sent Events: "event: delta" with a delta document
// (chatconsult.delta/v2) as its data and the view's change count after
// it (Delta.Changes) as its id. A client reads a page
// (GET .../page, chatconsult.page/v1), opens this stream with
// ?after=<the page's changes> and keeps the page current with each delta
// (interaction.Page.Apply), reading a page again only when a delta says
// Reset. When it reconnects with Last-Event-ID (or ?after=) behind the
// view — it missed a change, which deltas can not replay — the stream
// first sends a Reset delta at the view's current count, and the client
// reads a page again; so does a subscription that fell behind. Reminders
// (R-C9, "event: reminder") and typing signals ("event: typing", only to
// who would see the message) come as delta documents with their event and
// no id; they change no view and are never replayed.
func (h *Handler) deltaStream(c *call) {
	id, after, ok := h.streamOf(c)
	if !ok {
		return
	}
	resumed := c.r.Header.Get("Last-Event-ID") != "" || c.r.URL.Query().Get("after") != ""
	sub := h.c.Notifier.SubscribeDeltas(c.actor)
	defer sub.Close()
	// Where the caller's view is now, read after subscribing: nothing
	// falls between.
	now, err := h.c.Chats.Page(c.ctx, id, c.actor, interaction.PageRequest{Last: 1})
	if err != nil {
		h.refuse(c, id, err)
		return
	}
	rc := startStream(c)
	sent := after
	write := func(kind string, d interaction.Delta, withID bool) bool {
		data, err := json.Marshal(d)
		if err != nil {
			return false
		}
		var b strings.Builder
		if withID {
			b.WriteString("id: " + strconv.FormatUint(d.Changes, 10) + "\n")
		}
		b.WriteString("event: " + kind + "\ndata: ")
		b.Write(data)
		b.WriteString("\n\n")
		_ = rc.SetWriteDeadline(time.Now().Add(h.c.WriteTimeout))
		if _, err := c.w.Write([]byte(b.String())); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	reset := func(changes uint64) bool {
		if !write("delta", interaction.Delta{Interaction: id, Changes: changes, Reset: true}, true) {
			return false
		}
		sent = changes
		return true
	}
	if resumed && after < now.Changes && !reset(now.Changes) {
		return
	}
	if !resumed {
		sent = now.Changes
	}
	if rc.Flush() != nil {
		return
	}
	for {
		ctx, cancel := context.WithTimeout(c.ctx, h.c.Heartbeat)
		d, err := sub.NextDelta(ctx)
		cancel()
		switch {
		case err == nil:
			if d.Interaction != id {
				continue
			}
			if signal(d.Event) {
				if !write(d.Event.Type.String(), d, false) {
					return
				}
				continue
			}
			if d.Changes <= sent {
				continue // the client has it
			}
			if !write("delta", d, true) {
				return
			}
			sent = d.Changes
		case errors.Is(err, interaction.ErrLagged):
			h.lagged(c.ctx, id, err)
			pg, err := h.c.Chats.Page(c.ctx, id, c.actor, interaction.PageRequest{Last: 1})
			if err != nil || !reset(max(pg.Changes, sent+1)) {
				return
			}
		case errors.Is(err, context.DeadlineExceeded) && c.ctx.Err() == nil:
			_ = rc.SetWriteDeadline(time.Now().Add(h.c.WriteTimeout))
			if _, err := c.w.Write([]byte(": heartbeat\n\n")); err != nil || rc.Flush() != nil {
				return
			}
		default:
			return
		}
	}
}

// streamOf is what both streams check first: the interaction (a party's
// own), a Notifier to follow, and where the caller resumes after.
func (h *Handler) streamOf(c *call) (interaction.ID, uint64, bool) {
	id, ok := h.interactionOf(c, false)
	if !ok {
		return "", 0, false
	}
	if h.c.Notifier == nil {
		writeProblem(c.w, requestProblem(http.StatusNotFound, "not_found", "no live events"))
		return "", 0, false
	}
	after, ok := lastEventID(c)
	return id, after, ok
}

// startStream answers a stream's request: Server-Sent Events, never
// cached or sniffed.
func startStream(c *call) *http.ResponseController {
	hd := c.w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	c.w.WriteHeader(http.StatusOK)
	return http.NewResponseController(c.w)
}
