package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
	"github.com/chatconsult/chatconsult/signals"
)

// Request bodies. None names a party as the actor: the actor is the
// Authenticator's, and a body with a field not listed here is refused.
type (
	textBody struct {
		Text        string           `json:"text"`
		Attachments []attachmentBody `json:"attachments,omitempty"`
	}
	// attachmentBody is one file a message carries (interaction.Attachment):
	// the library keeps no bytes, the reference is the service's.
	attachmentBody struct {
		Name      string `json:"name"`
		MediaType string `json:"media_type"`
		Size      int64  `json:"size"`
		Ref       string `json:"ref"`
	}
	// typingBody says where the caller is composing: in the chat (no
	// leg), in a note to the agents, or in a consultation leg.
	typingBody struct {
		Leg  interaction.LegID `json:"leg,omitempty"`
		Note bool              `json:"note,omitempty"`
	}
	readBody struct {
		Seq uint32 `json:"seq"`
	}
	openBody struct {
		Text   string              `json:"text"`
		Target *interaction.Target `json:"target,omitempty"`
	}
	agentBody struct {
		Agent interaction.PartyID `json:"agent"`
	}
	coachBody struct {
		Agent interaction.PartyID `json:"agent"`
		Text  string              `json:"text"`
	}
	legBody struct {
		Leg interaction.LegID `json:"leg"`
	}
	sayBody struct {
		Leg         interaction.LegID `json:"leg"`
		Text        string            `json:"text"`
		Attachments []attachmentBody  `json:"attachments,omitempty"`
	}
	requestBody struct {
		Request interaction.RequestID `json:"request"`
	}
	memberBody struct {
		Member interaction.PartyID `json:"member"`
	}
	consultBody struct {
		Target interaction.Target `json:"target"`
		Medium interaction.Medium `json:"medium"`
	}
	targetBody struct {
		Target interaction.Target `json:"target"`
	}
	presenceBody struct {
		Presence routing.Presence `json:"presence"`
	}
	focusBody struct {
		Interaction interaction.ID    `json:"interaction"`
		Leg         interaction.LegID `json:"leg,omitempty"`
	}
	remindersBody struct {
		On bool `json:"on"`
	}
	none struct{}
)

// Results of commands.
type (
	// EventsResult: the command's events as the acting party is shown
	// them (its own numbering, interaction.State.EventsFor).
	EventsResult struct {
		Events []interaction.Event `json:"events"`
	}
	// OpenResult: the interaction the contact opened.
	OpenResult struct {
		Interaction interaction.ID `json:"interaction"`
	}
	// LegResult: the consultation leg a command started.
	LegResult struct {
		Leg interaction.LegID `json:"leg"`
	}
	// RequestResult: the transfer or conference request a command made.
	RequestResult struct {
		Request interaction.RequestID `json:"request"`
	}
	// OK: the command was done.
	OK struct {
		OK bool `json:"ok"`
	}
)

// run is a command's work: it gets the acting party, the Idempotency-Key
// ("" when none) and the decoded body.
type run[B any] func(ctx context.Context, id interaction.ID, actor interaction.PartyID, key string, b B) (any, error)

// command is a POST on an interaction: authenticated, the caller a party
// of the interaction (strangerMay: a supervisor entering, routing), the
// body decoded into B.
func command[B any](h *Handler, name, summary string, strangerMay bool, f run[B]) Route {
	return Route{Method: http.MethodPost, Path: "/v1/interactions/{id}/" + name, Summary: summary, body: bodyType[B](), serve: h.authed(func(c *call) {
		start := time.Now()
		id, ok := h.interactionOf(c, strangerMay)
		if !ok {
			return
		}
		var b B
		if !h.decode(c, &b) {
			return
		}
		key := c.r.Header.Get("Idempotency-Key")
		if key != "" {
			if err := interaction.CheckID("command", key); err != nil {
				writeProblem(c.w, problemOf(err))
				return
			}
		}
		// The key is the command ID of whatever the command writes: the
		// interaction commands take it as DoCommand's, consult's and
		// routing's calls from the context (interaction.WithCommandID).
		res, err := f(interaction.WithCommandID(c.ctx, key), id, c.actor, key, b)
		status := http.StatusOK
		if err != nil {
			status = StatusOf(err)
			h.refuse(c, id, err)
		} else {
			writeJSON(c.w, status, res)
		}
		h.observe(c.ctx, Outcome{Command: name, Interaction: id, Actor: c.actor, Status: status, Err: err, Took: time.Since(start)})
	})}
}

// chat runs an interaction command through Service.DoCommand: with the
// Idempotency-Key as its command ID it applies once however often it is
// retried (a retry answers the first run's events).
func (h *Handler) chat(ctx context.Context, id interaction.ID, actor interaction.PartyID, key string, cmd interaction.Command) (any, error) {
	var (
		events []interaction.Event
		err    error
	)
	if key != "" {
		events, err = h.c.Chats.DoCommand(ctx, id, actor, key, cmd)
	} else {
		events, err = h.c.Chats.Do(ctx, id, actor, cmd)
	}
	if err != nil {
		return nil, err
	}
	if events == nil {
		events = []interaction.Event{}
	}
	return EventsResult{Events: events}, nil
}

// consultCall runs a consult command that answers nothing but an error.
func consultCall[B any](h *Handler, f func(*consult.Service, context.Context, interaction.ID, interaction.PartyID, B) error) run[B] {
	return func(ctx context.Context, id interaction.ID, actor interaction.PartyID, key string, b B) (any, error) {
		if h.c.Consult == nil {
			return nil, &interaction.Error{Kind: interaction.ErrNotFound, Op: "consult", Detail: "no consultation service"}
		}
		if err := f(h.c.Consult, ctx, id, actor, b); err != nil {
			return nil, err
		}
		return OK{OK: true}, nil
	}
}

func (h *Handler) routes() []Route {
	rs := []Route{
		{Method: http.MethodPost, Path: "/v1/interactions", Summary: "the contact opens a chat with its first message", body: bodyType[openBody](), serve: h.authed(h.open)},
		{Method: http.MethodGet, Path: "/v1/interactions/{id}/view", Summary: "the caller's view (chatconsult.view/v1)", serve: h.authed(h.view)},
		{Method: http.MethodGet, Path: "/v1/interactions/{id}/page", Summary: "the caller's view with a window over its messages (chatconsult.page/v1)", serve: h.authed(h.page)},
		{Method: http.MethodGet, Path: "/v1/interactions/{id}/events", Summary: "the caller's live events as Server-Sent Events, resuming after Last-Event-ID", serve: h.authed(h.stream)},
		{Method: http.MethodGet, Path: "/v1/interactions/{id}/deltas", Summary: "what each event changes in the caller's view (chatconsult.delta/v2) as Server-Sent Events, a Reset when Last-Event-ID is behind", serve: h.authed(h.deltaStream)},
		{Method: http.MethodGet, Path: "/v1/interactions/{id}/log", Summary: "the caller's events after its event number ?after=", serve: h.authed(h.log)},
		{Method: http.MethodGet, Path: "/v1/interactions/{id}/export", Summary: "the caller's transcript export (?format=json|text)", serve: h.authed(h.export)},
		{Method: http.MethodGet, Path: "/v1/me/history", Summary: "the caller's My History (chatconsult.history/v1)", serve: h.authed(h.myHistory)},
		{Method: http.MethodGet, Path: "/v1/me/contact-history", Summary: "the calling contact's history (chatconsult.history/v1)", serve: h.authed(h.contactHistory)},
		{Method: http.MethodPut, Path: "/v1/me/presence", Summary: "the calling agent's presence", body: bodyType[presenceBody](), serve: h.authed(h.presence)},
		{Method: http.MethodGet, Path: "/v1/me/invitations", Summary: "the calling agent's pending invitations", serve: h.authed(h.invitations)},
		{Method: http.MethodGet, Path: "/v1/directory", Summary: "the Team Communicator: agents, groups, skills and queues to consult, transfer or conference (?q=, ?available=true, ?limit=); registered agents only", serve: h.authed(h.directory)},
		{Method: http.MethodGet, Path: "/v1/me/pending", Summary: "the conversations waiting for the calling agent's answer (R-C9)", serve: h.authed(h.pending)},
		{Method: http.MethodPut, Path: "/v1/me/focus", Summary: "the conversation the calling agent has in focus", body: bodyType[focusBody](), serve: h.authed(h.focus)},
		{Method: http.MethodPut, Path: "/v1/me/reminders", Summary: "the calling agent's answer-reminder setting", body: bodyType[remindersBody](), serve: h.authed(h.reminders)},

		command(h, "assign", "routing (System) offers a waiting chat to an agent", true, func(ctx context.Context, id interaction.ID, a interaction.PartyID, k string, b agentBody) (any, error) {
			return h.chat(ctx, id, a, k, interaction.Assign{Agent: b.Agent})
		}),
		command(h, "join", "the offered agent takes the chat", false, func(ctx context.Context, id interaction.ID, a interaction.PartyID, k string, _ none) (any, error) {
			if h.c.NewChats != nil {
				if err := h.c.NewChats.Accept(ctx, id, a); err != nil {
					return nil, err
				}
				return OK{true}, nil
			}
			return h.chat(ctx, id, a, k, interaction.Join{})
		}),
		command(h, "post", "write to the chat, with attachments if any", false, func(ctx context.Context, id interaction.ID, a interaction.PartyID, k string, b textBody) (any, error) {
			return h.chat(ctx, id, a, k, interaction.Post{Text: b.Text, Attachments: attachments(b.Attachments)})
		}),
		command(h, "note", "write a note the agents see and the contact never does", false, func(ctx context.Context, id interaction.ID, a interaction.PartyID, k string, b textBody) (any, error) {
			return h.chat(ctx, id, a, k, interaction.Note{Text: b.Text, Attachments: attachments(b.Attachments)})
		}),
		command(h, "typing", "signal that the caller is composing in the chat, a note or a consultation (ephemeral, on the event streams of who would see the message)", false, h.typing),
		command(h, "read", "mark the caller's transcript read up to its message seq", false, func(ctx context.Context, id interaction.ID, a interaction.PartyID, k string, b readBody) (any, error) {
			return h.chat(ctx, id, a, k, interaction.MarkRead{Seq: b.Seq})
		}),
		command(h, "leave", "leave the chat", false, func(ctx context.Context, id interaction.ID, a interaction.PartyID, k string, _ none) (any, error) {
			return h.chat(ctx, id, a, k, interaction.Leave{})
		}),
		command(h, "end", "end the caller's session with the contact", false, func(ctx context.Context, id interaction.ID, a interaction.PartyID, k string, _ none) (any, error) {
			return h.chat(ctx, id, a, k, interaction.EndSession{})
		}),
		command(h, "done", "mark the interaction done (R-C8)", false, func(ctx context.Context, id interaction.ID, a interaction.PartyID, k string, _ none) (any, error) {
			return h.chat(ctx, id, a, k, interaction.MarkDone{})
		}),
		command(h, "monitor", "a supervisor monitors an agent (R-X7)", true, func(ctx context.Context, id interaction.ID, a interaction.PartyID, k string, b agentBody) (any, error) {
			return h.supervise(ctx, id, a, k, interaction.Monitor{Agent: b.Agent})
		}),
		command(h, "coach", "a supervisor coaches an agent (R-X7)", true, func(ctx context.Context, id interaction.ID, a interaction.PartyID, k string, b coachBody) (any, error) {
			return h.supervise(ctx, id, a, k, interaction.Coach{Agent: b.Agent, Text: b.Text})
		}),
		command(h, "barge-in", "a supervisor joins the conversation (R-X7)", true, func(ctx context.Context, id interaction.ID, a interaction.PartyID, k string, _ none) (any, error) {
			return h.supervise(ctx, id, a, k, interaction.BargeIn{})
		}),
		command(h, "consult", "start a consultation with an agent, group, skill or queue (R-C1, R-C2)", false, func(ctx context.Context, id interaction.ID, a interaction.PartyID, k string, b consultBody) (any, error) {
			if err := h.needConsult(); err != nil {
				return nil, err
			}
			leg, err := h.c.Consult.Start(ctx, id, a, b.Target, b.Medium)
			return LegResult{Leg: leg}, err
		}),
		command(h, "say", "write in a consultation, with attachments if any (R-C5)", false, func(ctx context.Context, id interaction.ID, a interaction.PartyID, k string, b sayBody) (any, error) {
			if err := h.needConsult(); err != nil {
				return nil, err
			}
			// As consult.Service.Say runs it (a Say sets no deadline), with
			// the attachments Service.Say does not take.
			if _, _, err := h.c.Chats.ExecuteOnce(ctx, id, a, k, consult.Say{Leg: b.Leg, Text: b.Text, Attachments: attachments(b.Attachments)}); err != nil {
				return nil, err
			}
			return OK{true}, nil
		}),
		command(h, "accept", "the target accepts a consultation (R-C3)", false, consultCall(h, func(s *consult.Service, ctx context.Context, id interaction.ID, a interaction.PartyID, b legBody) error {
			return s.Accept(ctx, id, a, b.Leg)
		})),
		command(h, "decline", "the target declines a consultation (R-C3)", false, consultCall(h, func(s *consult.Service, ctx context.Context, id interaction.ID, a interaction.PartyID, b legBody) error {
			return s.Decline(ctx, id, a, b.Leg)
		})),
		command(h, "cancel", "the owner withdraws a consultation invitation (R-X2)", false, consultCall(h, func(s *consult.Service, ctx context.Context, id interaction.ID, a interaction.PartyID, b legBody) error {
			return s.Cancel(ctx, id, a, b.Leg)
		})),
		command(h, "end-consultation", "end a consultation (R-C4)", false, consultCall(h, func(s *consult.Service, ctx context.Context, id interaction.ID, a interaction.PartyID, b legBody) error {
			return s.EndConsultation(ctx, id, a, b.Leg)
		})),
		command(h, "transfer", "turn a consultation into a transfer (R-T1)", false, consultCall(h, func(s *consult.Service, ctx context.Context, id interaction.ID, a interaction.PartyID, b legBody) error {
			return s.Transfer(ctx, id, a, b.Leg)
		})),
		command(h, "conference", "ask a consultation's target into a conference (R-F1)", false, func(ctx context.Context, id interaction.ID, a interaction.PartyID, k string, b legBody) (any, error) {
			if err := h.needConsult(); err != nil {
				return nil, err
			}
			req, err := h.c.Consult.Conference(ctx, id, a, b.Leg)
			return RequestResult{Request: req}, err
		}),
		command(h, "transfer-to", "ask an agent, group, skill or queue to take the chat (R-X4)", false, func(ctx context.Context, id interaction.ID, a interaction.PartyID, k string, b targetBody) (any, error) {
			if err := h.needConsult(); err != nil {
				return nil, err
			}
			req, err := h.c.Consult.TransferTo(ctx, id, a, b.Target)
			return RequestResult{Request: req}, err
		}),
		command(h, "conference-with", "ask an agent, group, skill or queue into a conference (R-X4)", false, func(ctx context.Context, id interaction.ID, a interaction.PartyID, k string, b targetBody) (any, error) {
			if err := h.needConsult(); err != nil {
				return nil, err
			}
			req, err := h.c.Consult.ConferenceWith(ctx, id, a, b.Target)
			return RequestResult{Request: req}, err
		}),
		command(h, "accept-request", "the agent asked accepts a transfer or conference (R-F4)", false, consultCall(h, func(s *consult.Service, ctx context.Context, id interaction.ID, a interaction.PartyID, b requestBody) error {
			return s.AcceptRequest(ctx, id, a, b.Request)
		})),
		command(h, "decline-request", "the agent asked declines a transfer or conference (R-F4)", false, consultCall(h, func(s *consult.Service, ctx context.Context, id interaction.ID, a interaction.PartyID, b requestBody) error {
			return s.DeclineRequest(ctx, id, a, b.Request)
		})),
		command(h, "cancel-request", "the owner withdraws a transfer or conference request (R-X2)", false, consultCall(h, func(s *consult.Service, ctx context.Context, id interaction.ID, a interaction.PartyID, b requestBody) error {
			return s.CancelRequest(ctx, id, a, b.Request)
		})),
		command(h, "remove", "the owner removes a conference member (R-F5)", false, consultCall(h, func(s *consult.Service, ctx context.Context, id interaction.ID, a interaction.PartyID, b memberBody) error {
			return s.Remove(ctx, id, a, b.Member)
		})),
	}
	return rs
}

// attachments converts a body's files; their rules (count, name, media
// type, size, reference) are the library's: a bad one is 422.
func attachments(bs []attachmentBody) []interaction.Attachment {
	if len(bs) == 0 {
		return nil
	}
	out := make([]interaction.Attachment, len(bs))
	for i, b := range bs {
		out[i] = interaction.Attachment{Name: b.Name, MediaType: b.MediaType, Size: b.Size, Ref: b.Ref}
	}
	return out
}

// TypingResult is the typing signal as the caller is shown it: until
// when it lasts unless renewed.
type TypingResult struct {
	Deadline time.Time `json:"deadline"`
}

// typing runs Service.Typing with the draft the body names: a Post (the
// chat), a Note, or a consult.Say in the leg. It is refused as that
// message would be; it writes nothing, so a retry is harmless and the
// Idempotency-Key means nothing here. The signal reaches, on their event
// streams, exactly the parties who would see the message (typing in a
// leg never reaches the contact, R-C5).
func (h *Handler) typing(ctx context.Context, id interaction.ID, a interaction.PartyID, _ string, b typingBody) (any, error) {
	var draft interaction.Command = interaction.Post{}
	switch {
	case b.Leg != "" && b.Note:
		return nil, &interaction.Error{Kind: interaction.ErrBadInput, Op: "typing", Interaction: id, Party: a, Detail: "a draft is in a leg or a note, not both"}
	case b.Leg != "":
		draft = consult.Say{Leg: b.Leg}
	case b.Note:
		draft = interaction.Note{}
	}
	ev, err := h.c.Chats.Typing(ctx, id, a, draft)
	if err != nil {
		return nil, err
	}
	return TypingResult{Deadline: ev.Deadline.UTC()}, nil
}

// supervise runs a supervisor's command (R-X7) under the key, if any.
func (h *Handler) supervise(ctx context.Context, id interaction.ID, actor interaction.PartyID, key string, cmd interaction.Command) (any, error) {
	if _, err := h.c.Chats.DoCommand(ctx, id, actor, key, cmd); err != nil {
		return nil, err
	}
	return OK{true}, nil
}

func (h *Handler) needConsult() error {
	if h.c.Consult == nil {
		return &interaction.Error{Kind: interaction.ErrNotFound, Op: "consult", Detail: "no consultation service"}
	}
	return nil
}

func (h *Handler) open(c *call) {
	var b openBody
	if !h.decode(c, &b) {
		return
	}
	if b.Target != nil && (h.c.NewChats == nil || b.Target.Kind == interaction.TargetAgent) {
		writeProblem(c.w, problemOf(&interaction.Error{Kind: interaction.ErrBadInput, Op: "open", Party: c.actor, Rule: "R-C2",
			Detail: "a chat is opened to a group, skill or queue, and only where new chats are routed"}))
		return
	}
	if b.Target != nil {
		if err := interaction.CheckTarget(*b.Target); err != nil {
			writeProblem(c.w, problemOf(err))
			return
		}
	}
	if c.r.Header.Get("Idempotency-Key") != "" {
		writeProblem(c.w, problemOf(errNoKey))
		return
	}
	start := time.Now()
	id, err := h.c.Chats.Open(c.ctx, c.actor, b.Text)
	if err == nil && b.Target != nil {
		// Nobody available leaves the chat waiting (the contact's view
		// says so); Route may offer it later. Other errors are the
		// service's, not the contact's.
		if _, rerr := h.c.NewChats.Route(context.WithoutCancel(c.ctx), id, *b.Target); rerr != nil && !errors.Is(rerr, interaction.ErrNotFound) {
			err = rerr
		}
	}
	status := http.StatusCreated
	if err != nil {
		status = StatusOf(err)
		writeProblem(c.w, problemOf(err))
	} else {
		c.w.Header().Set("Location", "/v1/interactions/"+string(id)+"/view")
		writeJSON(c.w, status, OpenResult{Interaction: id})
	}
	h.observe(c.ctx, Outcome{Command: "open", Interaction: id, Actor: c.actor, Status: status, Err: err, Took: time.Since(start)})
}

func (h *Handler) view(c *call) {
	id, ok := h.interactionOf(c, false)
	if !ok {
		return
	}
	v, err := h.c.Chats.View(c.ctx, id, c.actor)
	if err != nil {
		h.refuse(c, id, err)
		return
	}
	writeJSON(c.w, http.StatusOK, v)
}

func queryInt(c *call, name string) (int, bool) {
	s := c.r.URL.Query().Get(name)
	if s == "" {
		return 0, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		writeProblem(c.w, requestProblem(http.StatusBadRequest, "bad_request", "query "+name+" is not a number"))
		return 0, false
	}
	return n, true
}

func (h *Handler) page(c *call) {
	id, ok := h.interactionOf(c, false)
	if !ok {
		return
	}
	var req interaction.PageRequest
	var after, before int
	for name, p := range map[string]*int{"last": &req.Last, "limit": &req.Limit, "after": &after, "before": &before} {
		n, ok := queryInt(c, name)
		if !ok {
			return
		}
		*p = n
	}
	if after > interaction.AllMessages || before > interaction.AllMessages {
		writeProblem(c.w, requestProblem(http.StatusBadRequest, "bad_request", "message number out of range"))
		return
	}
	req.After, req.Before = uint32(after), uint32(before)
	pg := pagePool.Get().(*interaction.Page)
	defer putPage(pg)
	if err := h.c.Chats.PageInto(c.ctx, id, c.actor, req, pg); err != nil {
		h.refuse(c, id, err)
		return
	}
	writeJSON(c.w, http.StatusOK, pg)
}

// pagePool keeps the Pages that page requests are read into
// (Service.PageInto): a page request copies its window, not a new set of
// slices each time.
var pagePool = sync.Pool{New: func() any { return new(interaction.Page) }}

// putPage gives pg back to pagePool, unless it grew past a few default
// windows (an export-sized page is let go rather than kept).
func putPage(pg *interaction.Page) {
	if cap(pg.Messages) > 4*interaction.DefaultPageSize {
		return
	}
	pg.View = interaction.View{Parties: pg.Parties[:0], Messages: pg.Messages[:0], Legs: pg.Legs[:0], Requests: pg.Requests[:0], Receipts: pg.Receipts[:0]}
	pagePool.Put(pg)
}

func (h *Handler) log(c *call) {
	id, ok := h.interactionOf(c, false)
	if !ok {
		return
	}
	s := c.r.URL.Query().Get("after")
	var after uint64
	if s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			writeProblem(c.w, requestProblem(http.StatusBadRequest, "bad_request", "query after is not a number"))
			return
		}
		after = n
	}
	events, err := h.c.Chats.EventsSince(c.ctx, id, c.actor, after)
	if err != nil {
		h.refuse(c, id, err)
		return
	}
	if events == nil {
		events = []interaction.Event{}
	}
	writeJSON(c.w, http.StatusOK, EventsResult{Events: events})
}

func (h *Handler) export(c *call) {
	id, ok := h.interactionOf(c, false)
	if !ok {
		return
	}
	if h.c.History == nil {
		writeProblem(c.w, requestProblem(http.StatusNotFound, "not_found", "no history"))
		return
	}
	f := history.FormatJSON
	if s := c.r.URL.Query().Get("format"); s != "" {
		if err := f.UnmarshalText([]byte(s)); err != nil {
			writeProblem(c.w, requestProblem(http.StatusBadRequest, "bad_request", "format is json or text"))
			return
		}
	}
	// Written to memory first: a refusal is still a problem document.
	var buf bytesBuffer
	if err := h.c.History.WriteExport(c.ctx, id, c.actor, f, &buf); err != nil {
		h.refuse(c, id, err)
		return
	}
	ct := "application/json"
	if f == history.FormatText {
		ct = "text/plain; charset=utf-8"
	}
	c.w.Header().Set("Content-Type", ct)
	c.w.Header().Set("Cache-Control", "no-store")
	c.w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = c.w.Write(buf.b)
}

type bytesBuffer struct{ b []byte }

func (b *bytesBuffer) Write(p []byte) (int, error) { b.b = append(b.b, p...); return len(p), nil }

func (h *Handler) historyQuery(c *call) (history.Query, bool) {
	limit, ok := queryInt(c, "limit")
	if !ok {
		return history.Query{}, false
	}
	return history.Query{Limit: limit, Cursor: c.r.URL.Query().Get("cursor")}, true
}

func (h *Handler) myHistory(c *call) { h.history(c, (*history.Projection).MyHistory) }

func (h *Handler) contactHistory(c *call) { h.history(c, (*history.Projection).ContactHistory) }

// history answers one of the caller's own history pages.
func (h *Handler) history(c *call, page func(*history.Projection, context.Context, interaction.PartyID, history.Query) (history.Page[history.Entry], error)) {
	if h.c.History == nil {
		writeProblem(c.w, requestProblem(http.StatusNotFound, "not_found", "no history"))
		return
	}
	q, ok := h.historyQuery(c)
	if !ok {
		return
	}
	pg, err := page(h.c.History, c.ctx, c.actor, q)
	if err != nil {
		writeProblem(c.w, problemOf(err))
		return
	}
	writeJSON(c.w, http.StatusOK, pg)
}

func (h *Handler) presence(c *call) {
	if h.c.Directory == nil {
		writeProblem(c.w, requestProblem(http.StatusNotFound, "not_found", "no routing"))
		return
	}
	var b presenceBody
	if !h.decode(c, &b) {
		return
	}
	if err := h.c.Directory.SetPresence(c.ctx, c.actor, b.Presence); err != nil {
		writeProblem(c.w, problemOf(err))
		return
	}
	writeJSON(c.w, http.StatusOK, OK{true})
}

// Invitation is a pending invitation of the calling agent.
type Invitation struct {
	Interaction interaction.ID           `json:"interaction"`
	ID          interaction.InvitationID `json:"id,omitempty"`
	Kind        routing.InvitationKind   `json:"kind"`
	Owner       interaction.PartyID      `json:"owner"`
	Target      interaction.Target       `json:"target"`
	Medium      interaction.Medium       `json:"medium"`
}

// DirectoryEntry is one target the Team Communicator found.
type DirectoryEntry struct {
	Target    interaction.Target `json:"target"`
	Name      string             `json:"name"`
	Presence  string             `json:"presence,omitempty"`
	Agents    int                `json:"agents"`
	Available int                `json:"available"`
}

// directory answers the Team Communicator's search. Only a registered
// agent may search: the directory names internal agents, which a contact
// must never learn (docs/visibility.md), so anyone else gets the same 404
// as a missing directory.
func (h *Handler) directory(c *call) {
	if h.c.Directory == nil {
		writeProblem(c.w, requestProblem(http.StatusNotFound, "not_found", "no routing"))
		return
	}
	if _, ok := h.c.Directory.Agent(c.actor); !ok {
		writeProblem(c.w, requestProblem(http.StatusNotFound, "not_found", "no routing"))
		return
	}
	limit, ok := queryInt(c, "limit")
	if !ok {
		return
	}
	q := c.r.URL.Query()
	entries, err := h.c.Directory.Search(c.ctx, routing.Query{Text: q.Get("q"), AvailableOnly: q.Get("available") == "true", Limit: limit})
	if err != nil {
		writeProblem(c.w, problemOf(err))
		return
	}
	out := make([]DirectoryEntry, 0, len(entries))
	for _, e := range entries {
		d := DirectoryEntry{Target: e.Target, Name: e.Name, Agents: e.Agents, Available: e.Available}
		if e.Target.Kind == interaction.TargetAgent {
			d.Presence = e.Presence.String()
		}
		out = append(out, d)
	}
	writeJSON(c.w, http.StatusOK, struct {
		Entries []DirectoryEntry `json:"entries"`
	}{out})
}

func (h *Handler) invitations(c *call) {
	if h.c.Directory == nil {
		writeProblem(c.w, requestProblem(http.StatusNotFound, "not_found", "no routing"))
		return
	}
	out := []Invitation{}
	for _, inv := range h.c.Directory.Invitations(c.actor) {
		out = append(out, Invitation{Interaction: inv.Interaction, ID: inv.ID, Kind: inv.Kind, Owner: inv.Owner, Target: inv.Target, Medium: inv.Medium})
	}
	writeJSON(c.w, http.StatusOK, struct {
		Invitations []Invitation `json:"invitations"`
	}{out})
}

// PendingResponse is a conversation waiting for the calling agent's answer.
type PendingResponse struct {
	Interaction interaction.ID    `json:"interaction"`
	Leg         interaction.LegID `json:"leg,omitempty"`
	Since       time.Time         `json:"since"`
}

func (h *Handler) pending(c *call) {
	if h.c.Signals == nil {
		writeProblem(c.w, requestProblem(http.StatusNotFound, "not_found", "no signals"))
		return
	}
	out := []PendingResponse{}
	for _, p := range h.c.Signals.Pending(c.actor) {
		out = append(out, PendingResponse{Interaction: p.Interaction, Leg: p.Leg, Since: p.Since.UTC()})
	}
	writeJSON(c.w, http.StatusOK, struct {
		Pending []PendingResponse `json:"pending"`
	}{out})
}

func (h *Handler) focus(c *call) {
	if h.c.Signals == nil {
		writeProblem(c.w, requestProblem(http.StatusNotFound, "not_found", "no signals"))
		return
	}
	var b focusBody
	if !h.decode(c, &b) {
		return
	}
	h.c.Signals.Focus(c.actor, signals.Conversation{Interaction: b.Interaction, Leg: b.Leg})
	writeJSON(c.w, http.StatusOK, OK{true})
}

func (h *Handler) reminders(c *call) {
	if h.c.Signals == nil {
		writeProblem(c.w, requestProblem(http.StatusNotFound, "not_found", "no signals"))
		return
	}
	var b remindersBody
	if !h.decode(c, &b) {
		return
	}
	h.c.Signals.SetAnswerReminders(c.actor, b.On)
	writeJSON(c.w, http.StatusOK, OK{true})
}

// errNoKey refuses an Idempotency-Key on opening a chat: the interaction's
// ID is made by the Service, so a retry would open another one.
var errNoKey = &interaction.Error{Kind: interaction.ErrBadInput, Op: "command", Detail: "opening a chat takes no Idempotency-Key"}
