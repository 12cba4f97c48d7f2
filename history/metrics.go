package history

import (
	"context"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// ConsultStats counts consultation legs and how they went (R-X5).
type ConsultStats struct {
	Started   int // invitations sent
	Accepted  int // the target accepted
	Declined  int // the target declined (R-C3)
	Cancelled int // withdrawn before an answer: by the owner (R-X2) or because the chat ended
	TimedOut  int // nobody answered in time (R-X1)
	Completed int // accepted and over: ended, or turned into a transfer or a conference
	// TimeToAccept is the total, over Accepted, of the time from the
	// invitation to its acceptance.
	TimeToAccept time.Duration
	// Duration is the total, over Completed, of the time from acceptance
	// to the end of the leg.
	Duration time.Duration
}

// MeanTimeToAccept is TimeToAccept per accepted leg (zero when none).
func (s ConsultStats) MeanTimeToAccept() time.Duration { return mean(s.TimeToAccept, s.Accepted) }

// MeanDuration is Duration per completed leg (zero when none).
func (s ConsultStats) MeanDuration() time.Duration { return mean(s.Duration, s.Completed) }

func (s *ConsultStats) add(o ConsultStats) {
	s.Started += o.Started
	s.Accepted += o.Accepted
	s.Declined += o.Declined
	s.Cancelled += o.Cancelled
	s.TimedOut += o.TimedOut
	s.Completed += o.Completed
	s.TimeToAccept += o.TimeToAccept
	s.Duration += o.Duration
}

func (s *ConsultStats) count(l *interaction.Leg) {
	s.Started++
	switch l.State {
	case interaction.LegDeclined:
		s.Declined++
	case interaction.LegCancelled:
		s.Cancelled++
	case interaction.LegTimedOut:
		s.TimedOut++
	case interaction.LegActive:
		s.Accepted++
		s.TimeToAccept += l.Answered.Sub(l.Started)
	case interaction.LegEnded, interaction.LegTransferred, interaction.LegConferenced:
		s.Accepted++
		s.TimeToAccept += l.Answered.Sub(l.Started)
		s.Completed++
		s.Duration += l.Ended.Sub(l.Answered)
	}
}

func mean(total time.Duration, n int) time.Duration {
	if n == 0 {
		return 0
	}
	return total / time.Duration(n)
}

func rate(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// HandleTime is one engaged agent's time on one interaction: engaged with
// the contact, then wrapping up until it marked the interaction done.
type HandleTime struct {
	Agent   interaction.PartyID
	Engaged time.Duration
	WrapUp  time.Duration
	Done    bool // it has marked the interaction done: the figures are final
}

// Total is Engaged plus WrapUp.
func (h HandleTime) Total() time.Duration { return h.Engaged + h.WrapUp }

// InteractionMetrics are the figures of one interaction.
type InteractionMetrics struct {
	Interaction   interaction.ID
	Consultations ConsultStats
	// TransferRequests and ConferenceRequests count what owners asked for;
	// a consultation turned into a transfer is asked and done at once.
	TransferRequests   int
	ConferenceRequests int
	Transfers          int // completed: the target took the chat over (R-T1, R-X4)
	Conferences        int // completed: the target joined (R-F1, R-X4)
	// HandleTimes has one entry per engaged agent, in the order they first
	// became engaged.
	HandleTimes []HandleTime
}

// AgentMetrics are one agent's figures over a set of interactions.
type AgentMetrics struct {
	Agent interaction.PartyID
	// Interactions counts those the agent was engaged in: its My History.
	Interactions int
	HandleTime   time.Duration // total over Interactions
	// Started are the consultations it started as an owner; Received the
	// invitations it got as a target, and how it answered them.
	Started  ConsultStats
	Received ConsultStats
	// Made: as the owner who asked; Received/Joined: as the target.
	TransfersMade     int
	TransfersReceived int
	ConferencesMade   int
	ConferencesJoined int
}

// TransferRate is transfers made per interaction handled.
func (m AgentMetrics) TransferRate() float64 { return rate(m.TransfersMade, m.Interactions) }

// ConferenceRate is conferences made per interaction handled.
func (m AgentMetrics) ConferenceRate() float64 { return rate(m.ConferencesMade, m.Interactions) }

// ConsultationRate is consultations started per interaction handled.
func (m AgentMetrics) ConsultationRate() float64 { return rate(m.Started.Started, m.Interactions) }

// MeanHandleTime is HandleTime per interaction handled.
func (m AgentMetrics) MeanHandleTime() time.Duration { return mean(m.HandleTime, m.Interactions) }

// Totals are the figures over a set of interactions.
type Totals struct {
	Interactions     int
	WithConsultation int // interactions with at least one consultation started
	WithTransfer     int // … with at least one completed transfer
	WithConference   int // … with at least one completed conference
	Consultations    ConsultStats
	Transfers        int
	Conferences      int
	// HandleTime is the total over Handled agent–interaction pairs.
	HandleTime time.Duration
	Handled    int
}

// ConsultationRate is the share of interactions with a consultation.
func (t Totals) ConsultationRate() float64 { return rate(t.WithConsultation, t.Interactions) }

// TransferRate is the share of interactions with a transfer.
func (t Totals) TransferRate() float64 { return rate(t.WithTransfer, t.Interactions) }

// ConferenceRate is the share of interactions with a conference.
func (t Totals) ConferenceRate() float64 { return rate(t.WithConference, t.Interactions) }

// MeanHandleTime is HandleTime per agent–interaction pair.
func (t Totals) MeanHandleTime() time.Duration { return mean(t.HandleTime, t.Handled) }

// InteractionMetrics returns the figures of one interaction.
func (p *Projection) InteractionMetrics(ctx context.Context, id interaction.ID) (InteractionMetrics, error) {
	if err := ctx.Err(); err != nil {
		return InteractionMetrics{}, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	rec, err := p.lookup("interaction metrics", id)
	if err != nil {
		return InteractionMetrics{}, err
	}
	return rec.metrics(), nil
}

// AgentMetrics returns agent's figures over the interactions it was a
// party of that q selects (q.Contact, q.From, q.To; paging is ignored).
func (p *Projection) AgentMetrics(ctx context.Context, agent interaction.PartyID, q Query) (AgentMetrics, error) {
	const op = "agent metrics"
	if agent == "" {
		return AgentMetrics{}, badQuery(op, "agent missing")
	}
	m := AgentMetrics{Agent: agent}
	err := p.each(ctx, op, q, func() *timeIndex { return p.involved[agent] }, func(r *record) {
		if q.Contact == "" || r.st.Contact == q.Contact {
			r.agentMetrics(&m)
		}
	})
	return m, err
}

// Totals returns the figures over the interactions q selects: q.Agent
// keeps those the agent was a party of, q.Contact those of one contact,
// q.From and q.To bound the opening time; paging is ignored.
func (p *Projection) Totals(ctx context.Context, q Query) (Totals, error) {
	var t Totals
	pick := func() *timeIndex {
		switch {
		case q.Agent != "":
			return p.involved[q.Agent]
		case q.Contact != "":
			return p.contacts[q.Contact]
		}
		return &p.all
	}
	err := p.each(ctx, "totals", q, pick, func(r *record) {
		if q.Contact == "" || r.st.Contact == q.Contact {
			t.add(r.metrics())
		}
	})
	return t, err
}

// each calls f on every record of one index in q's time range.
func (p *Projection) each(ctx context.Context, op string, q Query, pick func() *timeIndex, f func(*record)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return badQuery(op, "empty time range: From is not before To")
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	ix := pick()
	lo, hi := ix.span(q.From, q.To)
	for i := lo; i < hi; i++ {
		f(ix.keys[i].rec)
	}
	return nil
}

func (t *Totals) add(m InteractionMetrics) {
	t.Interactions++
	if m.Consultations.Started > 0 {
		t.WithConsultation++
	}
	if m.Transfers > 0 {
		t.WithTransfer++
	}
	if m.Conferences > 0 {
		t.WithConference++
	}
	t.Consultations.add(m.Consultations)
	t.Transfers += m.Transfers
	t.Conferences += m.Conferences
	for _, h := range m.HandleTimes {
		t.HandleTime += h.Total()
		t.Handled++
	}
}

func (r *record) metrics() InteractionMetrics {
	st := r.st
	m := InteractionMetrics{Interaction: st.ID}
	for i := range st.Legs {
		l := &st.Legs[i]
		m.Consultations.count(l)
		if l.State == interaction.LegTransferred {
			m.TransferRequests++
			m.Transfers++
		}
	}
	for _, rq := range st.Requests {
		accepted := rq.State == interaction.RequestAccepted
		switch rq.Kind {
		case interaction.RequestTransfer:
			m.TransferRequests++
			if accepted {
				m.Transfers++
			}
		case interaction.RequestConference:
			m.ConferenceRequests++
			if accepted {
				m.Conferences++
			}
		}
	}
	for _, c := range r.clocks {
		m.HandleTimes = append(m.HandleTimes, HandleTime{Agent: c.agent, Engaged: c.engaged, WrapUp: c.wrapUp, Done: c.done})
	}
	return m
}

func (r *record) agentMetrics(m *AgentMetrics) {
	st, agent := r.st, m.Agent
	if r.engagedAgent(agent) {
		m.Interactions++
		for _, c := range r.clocks {
			if c.agent == agent {
				m.HandleTime += c.engaged + c.wrapUp
			}
		}
	}
	for i := range st.Legs {
		l := &st.Legs[i]
		if l.Owner == agent {
			m.Started.count(l)
			if l.State == interaction.LegTransferred {
				m.TransfersMade++
			}
		}
		if l.Invitee == agent {
			m.Received.count(l)
			if l.State == interaction.LegTransferred {
				m.TransfersReceived++
			}
		}
	}
	for _, rq := range st.Requests {
		if rq.State != interaction.RequestAccepted {
			continue
		}
		switch {
		case rq.Kind == interaction.RequestTransfer && rq.Owner == agent:
			m.TransfersMade++
		case rq.Kind == interaction.RequestTransfer && rq.Invitee == agent:
			m.TransfersReceived++
		case rq.Kind == interaction.RequestConference && rq.Owner == agent:
			m.ConferencesMade++
		case rq.Kind == interaction.RequestConference && rq.Invitee == agent:
			m.ConferencesJoined++
		}
	}
}
