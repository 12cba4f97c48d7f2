package history

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// Query selects and pages history entries. Entries come newest first by
// the time their interaction was opened.
type Query struct {
	// Agent keeps the interactions in which this agent was engaged with
	// the contact (contact history); in Activity, those in which it was a
	// party in any role. In MyHistory it must be empty or the agent itself.
	Agent interaction.PartyID
	// Contact keeps the interactions of this contact. In ContactHistory it
	// must be empty or the contact itself.
	Contact interaction.PartyID
	// From (inclusive) and To (exclusive) bound the time the interaction
	// was opened; a zero time leaves that side open.
	From, To time.Time
	// Limit is the page size: 0 means DefaultLimit; at most MaxLimit.
	Limit int
	// Cursor continues from the page that returned it (Page.Next).
	Cursor string
}

// Page sizes.
const (
	DefaultLimit = 20
	MaxLimit     = 500
)

// Page is one page of results. Next is the cursor of the following page,
// empty when this is the last.
type Page[T any] struct {
	Items []T
	Next  string
}

// Entry is one contact interaction in a history view.
type Entry struct {
	Interaction interaction.ID
	Contact     interaction.PartyID
	// Agents are the agents who were engaged with the contact, in the
	// order they first joined: the ones the contact saw. Never a
	// consultation target who stayed one (R-H3).
	Agents []interaction.PartyID
	Status interaction.Status
	Opened time.Time
	Ended  time.Time // the contact session ended; zero before
	Closed time.Time // every agent marked it done (R-C8); zero before
	// Transcript is the viewer's history transcript (see Transcript):
	// never a consultation message (R-H2). Empty in Activity.
	Transcript []interaction.Message
}

// Activity is one interaction in the activity history, with its
// consultations inside it: a consultation is never an entry of its own
// (R-H1).
type Activity struct {
	Entry
	Consultations []Consultation
}

// Consultation is one consultation leg as the activity history shows it:
// who, what for, how it went; never what was said in it.
type Consultation struct {
	Leg      interaction.LegID
	Owner    interaction.PartyID
	Invitee  interaction.PartyID
	Target   interaction.Target
	Medium   interaction.Medium
	State    interaction.LegState // how it ended, or live
	Started  time.Time
	Answered time.Time
	Ended    time.Time
}

// MyHistory returns a page of agent's My History: the interactions in
// which the agent was engaged with the contact (R-H3), each with the
// agent's history transcript (R-H2). q.Contact narrows it to one contact.
//
// Decides R-H3, R-H4: My History lists the interactions the agent was engaged in with the contact.
func (p *Projection) MyHistory(ctx context.Context, agent interaction.PartyID, q Query) (Page[Entry], error) {
	const op = "my history"
	if agent == "" || (q.Agent != "" && q.Agent != agent) {
		return Page[Entry]{}, badQuery(op, "agent missing or different from the query's")
	}
	keep := func(r *record) bool { return q.Contact == "" || r.st.Contact == q.Contact }
	return query(ctx, p, op, q, func() *timeIndex { return p.engaged[agent] }, keep,
		func(r *record) Entry { return r.entry(agent) })
}

// ContactHistory returns a page of contact's interactions, each with the
// contact's own history transcript, whoever asks: it never shows what the
// contact could not see. q.Agent narrows it to the interactions in which
// that agent was engaged.
func (p *Projection) ContactHistory(ctx context.Context, contact interaction.PartyID, q Query) (Page[Entry], error) {
	const op = "contact history"
	if contact == "" || (q.Contact != "" && q.Contact != contact) {
		return Page[Entry]{}, badQuery(op, "contact missing or different from the query's")
	}
	keep := func(r *record) bool { return q.Agent == "" || r.engagedAgent(q.Agent) }
	return query(ctx, p, op, q, func() *timeIndex { return p.contacts[contact] }, keep,
		func(r *record) Entry { return r.entry(contact) })
}

// Activity returns a page of the activity history: every interaction once,
// its consultations nested in it (R-H1), without transcripts. q.Agent keeps
// the interactions the agent was a party of in any role; q.Contact those
// of one contact.
//
// Decides R-H1: a consultation is part of its interaction in the activity history, never one of its own.
func (p *Projection) Activity(ctx context.Context, q Query) (Page[Activity], error) {
	const op = "activity"
	pick := func() *timeIndex {
		switch {
		case q.Agent != "":
			return p.involved[q.Agent]
		case q.Contact != "":
			return p.contacts[q.Contact]
		}
		return &p.all
	}
	keep := func(r *record) bool { return q.Contact == "" || r.st.Contact == q.Contact }
	return query(ctx, p, op, q, pick, keep, (*record).activity)
}

// Transcript returns viewer's history transcript of one interaction:
// what it could see of the chat itself and of the agent notes, never a
// consultation message, a notice to one party or coaching (R-H2). Only the
// contact and the agents who were engaged have a history of it; anyone
// else, a consulted agent too, gets interaction.ErrNotPermitted (R-H3).
func (p *Projection) Transcript(ctx context.Context, id interaction.ID, viewer interaction.PartyID) ([]interaction.Message, error) {
	const op = "history transcript"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	rec, err := p.lookup(op, id)
	if err != nil {
		return nil, err
	}
	if viewer != rec.st.Contact && !rec.engagedAgent(viewer) {
		return nil, &interaction.Error{Kind: interaction.ErrNotPermitted, Op: op, Interaction: id, Party: viewer, Rule: "R-H3", Detail: "only the contact and the engaged agents have this interaction in their history"}
	}
	return historyTranscript(rec.st, viewer), nil
}

// historyTranscript is what a history view shows viewer: the chat and the
// agent notes it could see (CanSee, the rules of every other view), and
// nothing of the consultations, party notices or coaching (R-H2).
//
// Decides R-H2: history transcripts leave the consultations out.
func historyTranscript(st *interaction.State, viewer interaction.PartyID) []interaction.Message {
	v, err := st.ViewFor(viewer)
	if err != nil {
		return nil
	}
	return historyMessages(v)
}

// historyMessages keeps of a view's messages the chat and the agent notes,
// as the view shows them (the viewer's numbering, the contact-facing names
// for the contact).
func historyMessages(v interaction.View) []interaction.Message {
	var out []interaction.Message
	for _, m := range v.Messages {
		switch m.Scope.Kind {
		case interaction.ScopeEveryone, interaction.ScopeAgents:
			out = append(out, m)
		}
	}
	return out
}

func (r *record) engagedAgent(agent interaction.PartyID) bool {
	q := r.st.Party(agent)
	return q != nil && q.WasEngaged && q.Role != interaction.RoleContact
}

// summary is the part of an entry that every view shares.
func (r *record) summary() Entry {
	st := r.st
	e := Entry{Interaction: st.ID, Contact: st.Contact, Status: st.Status, Opened: st.Opened, Ended: st.Ended, Closed: r.closed}
	for i := range st.Parties {
		if q := &st.Parties[i]; q.WasEngaged && q.Role != interaction.RoleContact {
			e.Agents = append(e.Agents, q.ID)
		}
	}
	// In the order they first joined (Party.Order), not of first invitation.
	slices.SortFunc(e.Agents, func(a, b interaction.PartyID) int {
		return cmp.Compare(st.Party(a).Order, st.Party(b).Order)
	})
	return e
}

// entry is the summary as viewer may know it (issue 12): the agents
// under the IDs its views show them by (the contact's names for them),
// the status and times it was told of, its history transcript.
func (r *record) entry(viewer interaction.PartyID) Entry {
	e := r.summary()
	v, err := r.st.ViewFor(viewer)
	if err != nil {
		return e
	}
	agents := e.Agents[:0]
	for _, a := range e.Agents {
		if id := r.st.ShownID(viewer, a); id != "" {
			agents = append(agents, id)
		}
	}
	e.Agents, e.Status, e.Ended = agents, v.Status, v.Ended
	if v.Status != interaction.StatusClosed {
		e.Closed = time.Time{}
	}
	e.Transcript = historyMessages(v)
	return e
}

func (r *record) activity() Activity {
	a := Activity{Entry: r.summary()}
	for _, l := range r.st.Legs {
		a.Consultations = append(a.Consultations, Consultation{
			Leg: l.ID, Owner: l.Owner, Invitee: l.Invitee, Target: l.Target, Medium: l.Medium,
			State: l.State, Started: l.Started, Answered: l.Answered, Ended: l.Ended,
		})
	}
	return a
}

func badQuery(op, detail string) error {
	return &interaction.Error{Kind: interaction.ErrBadInput, Op: op, Detail: detail}
}

// bounds checks q and returns the slice [lo, hi) of ix it may return from.
func bounds(op string, ix *timeIndex, q Query) (lo, hi, limit int, err error) {
	limit = q.Limit
	switch {
	case limit == 0:
		limit = DefaultLimit
	case limit < 0 || limit > MaxLimit:
		return 0, 0, 0, badQuery(op, "limit out of range")
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return 0, 0, 0, badQuery(op, "empty time range: From is not before To")
	}
	var c cursor
	if q.Cursor != "" {
		if c, err = parseCursor(q.Cursor); err != nil {
			return 0, 0, 0, err
		}
	}
	lo, hi = ix.span(q.From, q.To)
	if q.Cursor != "" && ix != nil {
		hi = min(hi, ix.below(c.at, c.id))
	}
	return lo, hi, limit, nil
}

// query walks one index newest first and builds one page: O(log n) to find
// the start, then O(page) when keep accepts every entry.
func query[T any](ctx context.Context, p *Projection, op string, q Query, pick func() *timeIndex, keep func(*record) bool, build func(*record) T) (Page[T], error) {
	if err := ctx.Err(); err != nil {
		return Page[T]{}, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	ix := pick()
	lo, hi, limit, err := bounds(op, ix, q)
	if err != nil {
		return Page[T]{}, err
	}
	var page Page[T]
	var last indexKey
	for i := hi - 1; i >= lo; i-- {
		k := ix.keys[i]
		if !keep(k.rec) {
			continue
		}
		if len(page.Items) == limit {
			page.Next = cursor{at: last.at, id: last.id}.String()
			break
		}
		page.Items = append(page.Items, build(k.rec))
		last = k
	}
	return page, nil
}
