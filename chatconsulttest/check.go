package chatconsulttest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/chatconsult/chatconsult/interaction"
)

// Violation is one broken invariant, by the SPEC rule it breaks.
type Violation struct {
	Rule      string // SPEC.md rule, e.g. "R-C5"
	Invariant string // which check, e.g. "leg-private"
	Version   uint64 // the stream version where it shows (0: the whole interaction)
	Detail    string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s %s at v%d: %s", v.Rule, v.Invariant, v.Version, v.Detail)
}

// The invariants, by name. Each is checked after every command.
const (
	InvStream     = "stream"       // R-X5: versions 1, 2, …; one interaction; time, actor and cause on every event
	InvTransition = "transition"   // R-X5: every state change is a transition its machine declares, from the state it was in
	InvReplay     = "replay"       // R-X5: interaction.Apply accepts every event
	InvRebuild    = "rebuild"      // R-X5: the state rebuilt from the events equals the live state
	InvNumbering  = "numbering"    // R-X6: messages numbered 1, 2, … without gaps or duplicates; nothing lost
	InvInput      = "input"        // R-X6: no blank or invalid UTF-8 text was accepted
	InvAuthor     = "author"       // R-C5/R-X6: who wrote a message may write in its scope
	InvLegPrivate = "leg-private"  // R-C5/R-X3: a leg's messages are seen by exactly its two agents, never the contact
	InvScope      = "scope"        // R-X6: every message in a view is one its scope lets the viewer see
	InvReadAlong  = "read-along"   // R-C6/R-F2/R-F3: present parties see the whole shared transcript
	InvSessionEnd = "session-end"  // R-C7: after the session ends no leg, request or invitation is live
	InvClose      = "close"        // R-C8: closed exactly when every agent who took part marked done
	InvDropped    = "dropped"      // R-F4: a declined or timed-out request changed nothing else
	InvHandOver   = "hand-over"    // R-T2/R-F2: a transfer makes the target owner and the former owner leave; a conference adds the target
	InvOwner      = "owner"        // R-T2/R-F6: an active chat has exactly one present owner
	InvEngaged    = "engaged"      // R-H3: engaged (My History) exactly when it was owner or member while joined
	InvStranger   = "stranger"     // R-X6: a non-participant cannot read the interaction
	InvViewCopies = "view-content" // R-X5: a view shows the transcript's messages as they are
	// R-X7: a coaching message is seen by its coach, the coached agent and
	// whoever supervises either; never by the contact, nor delivered to it.
	InvCoachPrivate = "coach-private"
	// R-X7: a supervisor that has not barged in is in no view's parties but
	// its own and the coached agent's; its events (entering, switching,
	// leaving, coaching) reach nobody else.
	InvSupervisorHidden = "supervisor-hidden"
)

// Checker checks the invariants of one interaction, incrementally: hand it
// each command's events as they are committed (Add), and the live state
// when you have it (Verify). It replays the events with interaction.Apply,
// and follows every machine's state on its own to check each transition.
// The zero value is not ready: use NewChecker.
type Checker struct {
	// View is the view function checked (LibraryView by default).
	View ViewFunc

	st         *interaction.State
	id         interaction.ID
	broken     bool // replay failed: the state-based checks stop
	lastTime   time.Time
	status     string
	membership map[interaction.PartyID]string
	legs       map[interaction.LegID]string
	requests   map[interaction.LegID]string
	wasEngaged map[interaction.PartyID]bool
	// links: whom each supervisor supervises, and how, as the events say
	// (R-X7). A supervisor sees what its agent sees, also after it barged
	// in; invited in another role it no longer does.
	links map[interaction.PartyID]supervision
	// hidden: the events of the current command by or about a supervisor
	// that has not barged in, with that supervisor.
	hidden   []hiddenEvent
	messages uint32
}

type supervision struct {
	agent    interaction.PartyID
	coaching bool
}

type hiddenEvent struct {
	ev         *interaction.Event
	supervisor interaction.PartyID
}

// NewChecker returns a checker for one interaction, before its first event.
func NewChecker() *Checker {
	return &Checker{
		View:       LibraryView,
		st:         &interaction.State{},
		membership: map[interaction.PartyID]string{},
		legs:       map[interaction.LegID]string{},
		requests:   map[interaction.LegID]string{},
		wasEngaged: map[interaction.PartyID]bool{},
		links:      map[interaction.PartyID]supervision{},
	}
}

// State is the checker's replay of the interaction (read-only).
func (c *Checker) State() *interaction.State { return c.st }

// Check replays a whole event log (one interaction or several, each in
// stream order) and returns every violation.
func Check(events []interaction.Event) []Violation {
	var out []Violation
	checkers := map[interaction.ID]*Checker{}
	var order []interaction.ID
	streams := map[interaction.ID][]interaction.Event{}
	for _, ev := range events {
		if checkers[ev.Interaction] == nil {
			checkers[ev.Interaction] = NewChecker()
			order = append(order, ev.Interaction)
		}
		streams[ev.Interaction] = append(streams[ev.Interaction], ev)
	}
	for _, id := range order {
		out = append(out, checkers[id].Add(streams[id])...)
	}
	return out
}

// CheckState is Check on one interaction's events plus the rebuild check:
// the state rebuilt from the events (interaction.Rebuild) must equal live.
func CheckState(live *interaction.State, events []interaction.Event) []Violation {
	c := NewChecker()
	out := c.Add(events)
	return append(out, c.Verify(live)...)
}

// Verify checks that the live state equals the state rebuilt from the
// events the checker has seen.
func (c *Checker) Verify(live *interaction.State) []Violation {
	if c.broken || live == nil {
		return nil
	}
	if reflect.DeepEqual(c.st, live) {
		return nil
	}
	return []Violation{{Rule: "R-X5", Invariant: InvRebuild, Version: live.Version, Detail: stateDiff(c.st, live)}}
}

func stateDiff(rebuilt, live *interaction.State) string {
	switch {
	case rebuilt.Version != live.Version:
		return fmt.Sprintf("rebuilt at version %d, live at %d", rebuilt.Version, live.Version)
	case rebuilt.Status != live.Status:
		return fmt.Sprintf("status: rebuilt %s, live %s", rebuilt.Status, live.Status)
	case !reflect.DeepEqual(rebuilt.Parties, live.Parties):
		return fmt.Sprintf("parties: rebuilt %+v, live %+v", rebuilt.Parties, live.Parties)
	case !reflect.DeepEqual(rebuilt.Messages, live.Messages):
		return "transcripts differ"
	case !reflect.DeepEqual(rebuilt.Legs, live.Legs):
		return fmt.Sprintf("legs: rebuilt %+v, live %+v", rebuilt.Legs, live.Legs)
	case !reflect.DeepEqual(rebuilt.Requests, live.Requests):
		return fmt.Sprintf("requests: rebuilt %+v, live %+v", rebuilt.Requests, live.Requests)
	}
	return "states differ"
}

// Add checks the events of one or more whole commands (consecutive events
// with one Cause form a command) and returns what they break.
func (c *Checker) Add(events []interaction.Event) []Violation {
	var out []Violation
	for start := 0; start < len(events); {
		end := start + 1
		for end < len(events) && events[end].Cause == events[start].Cause {
			end++
		}
		out = append(out, c.command(events[start:end])...)
		start = end
	}
	return out
}

type violations []Violation

func (vs *violations) add(rule, inv string, version uint64, format string, args ...any) {
	*vs = append(*vs, Violation{Rule: rule, Invariant: inv, Version: version, Detail: fmt.Sprintf(format, args...)})
}

func (c *Checker) command(group []interaction.Event) []Violation {
	var out violations
	var before *interaction.State
	if !c.broken {
		before = c.st.Clone()
	}
	c.hidden = c.hidden[:0]
	for i := range group {
		c.event(&group[i], &out)
	}
	if c.broken || before == nil {
		return out
	}
	after := c.st
	c.commandRules(group, before, after, &out)
	c.deliveryRules(group, after, &out)
	c.viewRules(after, &out)
	return out
}

// chain lists the agents whose sight p shares as a supervisor (R-X7): the
// agent it supervises, and on through a supervisor that barged in.
func (c *Checker) chain(p interaction.PartyID) []interaction.PartyID {
	var out []interaction.PartyID
	for hops := len(c.links) + 1; hops > 0; hops-- {
		l, ok := c.links[p]
		if !ok {
			break
		}
		out = append(out, l.agent)
		p = l.agent
	}
	return out
}

// through: does p see what agent sees, being agent or supervising it?
func (c *Checker) through(p, agent interaction.PartyID) bool {
	return p == agent || slices.Contains(c.chain(p), agent)
}

// event checks one event against what came before and applies it.
func (c *Checker) event(ev *interaction.Event, out *violations) {
	v := ev.Version
	if c.id == "" {
		c.id = ev.Interaction
	}
	if ev.Interaction != c.id {
		out.add("R-X5", InvStream, v, "event of interaction %s in the stream of %s", ev.Interaction, c.id)
	}
	if want := c.st.Version + 1; v != want && !c.broken {
		out.add("R-X5", InvStream, v, "version %d, want %d", v, want)
	}
	if ev.Time.IsZero() || ev.Time.Before(c.lastTime) {
		out.add("R-X5", InvStream, v, "time %v after %v", ev.Time, c.lastTime)
	}
	c.lastTime = ev.Time
	if ev.Actor == "" || ev.Cause == "" {
		out.add("R-X5", InvStream, v, "event without actor (%q) or cause (%q)", ev.Actor, ev.Cause)
	}
	if (ev.Version == 1) != (ev.Type == interaction.EventOpened) {
		out.add("R-X5", InvStream, v, "%s event at version %d", ev.Type, ev.Version)
	}
	transition := func(m *interaction.Machine, have string) {
		if ev.From != have || !m.Allows(ev.From, ev.Trigger, ev.To) {
			out.add("R-X5", InvTransition, v, "%s %s -%s-> %s is not a declared transition from %s", m.Name, ev.From, ev.Trigger, ev.To, have)
		}
	}
	switch ev.Type {
	case interaction.EventOpened:
		c.status = interaction.InteractionMachine.Initial
	case interaction.EventStatus:
		transition(interaction.InteractionMachine, c.status)
		c.status = ev.To
	case interaction.EventRole:
		// A supervisor switching agent or mode keeps its role; every other
		// change is one the role machine declares.
		if p := c.st.Party(ev.Party); p != nil && !c.broken &&
			!(p.Role == interaction.RoleSupervisor && ev.Role == interaction.RoleSupervisor) &&
			!interaction.RoleMachine.Allows(p.Role.String(), ev.Trigger, ev.Role.String()) {
			out.add("R-X5", InvTransition, v, "role %s -%s-> %s of %s is not a declared transition", p.Role, ev.Trigger, ev.Role, ev.Party)
		}
	case interaction.EventMembership:
		have, ok := c.membership[ev.Party]
		if !ok {
			have = interaction.MembershipMachine.Initial
		}
		transition(interaction.MembershipMachine, have)
		c.membership[ev.Party] = ev.To
	case interaction.EventLeg:
		have, ok := c.legs[ev.Leg]
		if !ok {
			have = interaction.LegMachine.Initial
		}
		transition(interaction.LegMachine, have)
		c.legs[ev.Leg] = ev.To
	case interaction.EventRequest:
		have, ok := c.requests[ev.Leg]
		if !ok {
			have = interaction.RequestMachine.Initial
		}
		transition(interaction.RequestMachine, have)
		c.requests[ev.Leg] = ev.To
	case interaction.EventMessage:
		if ev.Seq != c.messages+1 {
			out.add("R-X6", InvNumbering, v, "message numbered %d after %d", ev.Seq, c.messages)
		}
		c.messages = max(c.messages, ev.Seq)
		if !c.broken {
			c.author(ev, out)
		}
	}
	c.follow(ev, out)
	if c.broken {
		return
	}
	if err := c.st.Apply(ev); err != nil {
		out.add("R-X5", InvReplay, v, "%v", err)
		c.broken = true
		return
	}
	for i := range c.st.Parties {
		p := &c.st.Parties[i]
		if p.Present() && p.Role.Engaged() {
			c.wasEngaged[p.ID] = true
		}
	}
}

// follow keeps the supervision links (R-X7) and notes the events by or
// about a supervisor that has not barged in, checking their scope: its own
// (PartyScope) or, while it coaches, the coached agent's (ScopeCoach).
func (c *Checker) follow(ev *interaction.Event, out *violations) {
	v := ev.Version
	var sup interaction.PartyID
	switch ev.Type {
	case interaction.EventRole:
		if ev.Role == interaction.RoleSupervisor {
			c.links[ev.Party] = supervision{agent: interaction.PartyID(ev.Target.ID), coaching: ev.Trigger == interaction.SuperviseCoach}
			sup = ev.Party
		} else if l, ok := c.links[ev.Party]; ok {
			l.coaching = false // barged in: a member now, it keeps its sight
			c.links[ev.Party] = l
		}
	case interaction.EventMembership:
		switch {
		case ev.Trigger == "invite":
			delete(c.links, ev.Party) // invited in another role (R-C5, R-X3)
		case ev.Role == interaction.RoleSupervisor:
			sup = ev.Party
		case ev.Role != interaction.RoleSupervisor:
			if l, ok := c.links[ev.Party]; ok {
				l.coaching = false
				c.links[ev.Party] = l
			}
		}
	case interaction.EventMessage:
		if p := c.st.Party(ev.Actor); p != nil && p.Role == interaction.RoleSupervisor && ev.Kind == interaction.KindText {
			sup = ev.Actor
		}
	}
	if sup == "" {
		return
	}
	c.hidden = append(c.hidden, hiddenEvent{ev: ev, supervisor: sup})
	own := ev.Scope == interaction.PartyScope(sup)
	coach := ev.Scope.Kind == interaction.ScopeCoach && ev.Scope.Party != ""
	switch {
	case ev.Type == interaction.EventRole && ev.Trigger == interaction.SuperviseMonitor && !own:
		out.add("R-X7", InvSupervisorHidden, v, "%s starts monitoring %s in scope %s: a monitor is told to nobody", sup, ev.Target.ID, scopeString(ev.Scope))
	case ev.Type == interaction.EventRole && ev.Trigger == interaction.SuperviseCoach &&
		!own && ev.Scope != (interaction.Scope{Kind: interaction.ScopeCoach, Party: interaction.PartyID(ev.Target.ID)}):
		out.add("R-X7", InvSupervisorHidden, v, "%s starts coaching %s in scope %s", sup, ev.Target.ID, scopeString(ev.Scope))
	case ev.Type == interaction.EventMembership && !own && !coach:
		out.add("R-X7", InvSupervisorHidden, v, "supervisor %s %s in scope %s", sup, ev.To, scopeString(ev.Scope))
	case ev.Type == interaction.EventMessage && !coach:
		out.add("R-X7", InvSupervisorHidden, v, "supervisor %s wrote in scope %s", sup, scopeString(ev.Scope))
	}
}

// deliveryRules: what the command's events tell the parties, as a
// Notifier delivers them (interaction.State.Visible on the state after the
// command). The contact hears of no consultation and no coaching (R-C5,
// R-X7); nobody hears of a supervisor that has not barged in, but the
// agent it coaches (and whoever supervises that agent) of the coaching.
func (c *Checker) deliveryRules(group []interaction.Event, after *interaction.State, out *violations) {
	if contact := after.Party(after.Contact); contact != nil {
		for i := range group {
			ev := &group[i]
			if !after.Visible(contact.ID, ev) {
				continue
			}
			switch ev.Scope.Kind {
			case interaction.ScopeLeg:
				out.add("R-C5", InvLegPrivate, ev.Version, "the contact is told of a %s event of leg %s", ev.Type, ev.Scope.Leg)
			case interaction.ScopeCoach:
				out.add("R-X7", InvCoachPrivate, ev.Version, "the contact is told of a %s event coaching %s", ev.Type, ev.Scope.Party)
			}
		}
	}
	for _, h := range c.hidden {
		ev := h.ev
		if ev.Type == interaction.EventMembership && ev.Scope.Kind == interaction.ScopeCoach {
			if l := c.links[h.supervisor]; !l.coaching || l.agent != ev.Scope.Party {
				out.add("R-X7", InvSupervisorHidden, ev.Version, "supervisor %s %s in the scope of %s, whom it does not coach", h.supervisor, ev.To, ev.Scope.Party)
			}
		}
		for i := range after.Parties {
			p := after.Parties[i].ID
			if p == h.supervisor || !after.Visible(p, ev) {
				continue
			}
			if ev.Scope.Kind == interaction.ScopeCoach && c.through(p, ev.Scope.Party) {
				continue
			}
			out.add("R-X7", InvSupervisorHidden, ev.Version, "%s is told of supervisor %s's %s event (%s)", p, h.supervisor, ev.Type, scopeString(ev.Scope))
		}
	}
}

// author checks a message against the state before it: valid text, and an
// author who may write in that scope.
func (c *Checker) author(ev *interaction.Event, out *violations) {
	v, s := ev.Version, c.st
	if ev.Leg != "" && (ev.Scope.Kind != interaction.ScopeLeg || ev.Scope.Leg != ev.Leg) {
		out.add("R-C5", InvAuthor, v, "a message of leg %s written in scope %s", ev.Leg, scopeString(ev.Scope))
	}
	if ev.Kind == interaction.KindNotice {
		if ev.Actor != interaction.System {
			out.add("R-X5", InvAuthor, v, "notice by %s, not the system", ev.Actor)
		}
		return
	}
	if !utf8.ValidString(ev.Text) || strings.TrimFunc(ev.Text, unicode.IsSpace) == "" {
		out.add("R-X6", InvInput, v, "accepted text %q", ev.Text)
	}
	p := s.Party(ev.Actor)
	switch ev.Scope.Kind {
	case interaction.ScopeEveryone:
		switch {
		case p == nil:
			out.add("R-X6", InvAuthor, v, "%s, not a party, wrote to everyone", ev.Actor)
		case p.Role == interaction.RoleConsultant:
			out.add("R-C5", InvAuthor, v, "%s (a %s) wrote to the contact", ev.Actor, p.Role)
		case p.Role == interaction.RoleSupervisor:
			out.add("R-X7", InvAuthor, v, "supervisor %s wrote to the contact without barging in", ev.Actor)
		case !p.Present():
			out.add("R-X6", InvAuthor, v, "%s (%s) wrote to everyone", ev.Actor, p.Membership)
		}
	case interaction.ScopeLeg:
		l := s.Leg(ev.Scope.Leg)
		switch {
		case l == nil:
			out.add("R-C5", InvAuthor, v, "message in scope of unknown leg %s", ev.Scope.Leg)
		case ev.Actor != l.Owner && ev.Actor != l.Agent:
			out.add("R-C5", InvAuthor, v, "%s wrote in leg %s of %s and %s", ev.Actor, l.ID, l.Owner, l.Agent)
		case l.State != interaction.LegActive:
			out.add("R-C4", InvAuthor, v, "message in leg %s, which is %s", l.ID, l.State)
		case l.Medium == interaction.MediumVoice:
			out.add("R-C10", InvAuthor, v, "message in voice leg %s", l.ID)
		}
	case interaction.ScopeAgents:
		switch {
		case p == nil || p.Role == interaction.RoleContact || !p.Present():
			out.add("R-X6", InvAuthor, v, "%s wrote an agents' note", ev.Actor)
		case p.Role == interaction.RoleSupervisor:
			out.add("R-X7", InvAuthor, v, "supervisor %s wrote a note every agent sees", ev.Actor)
		case p.Role == interaction.RoleConsultant:
			out.add("R-X3", InvAuthor, v, "consultation target %s wrote a note every agent sees", ev.Actor)
		}
	case interaction.ScopeCoach:
		l, ok := c.links[ev.Actor]
		if p == nil || p.Role != interaction.RoleSupervisor || !p.Present() || !ok || !l.coaching || l.agent != ev.Scope.Party {
			out.add("R-X7", InvAuthor, v, "%s wrote coaching for %s without coaching it", ev.Actor, ev.Scope.Party)
		}
	}
}

// commandRules checks what one command did as a whole.
func (c *Checker) commandRules(group []interaction.Event, before, after *interaction.State, out *violations) {
	last := group[len(group)-1].Version
	for i := range group {
		ev := &group[i]
		switch {
		case ev.Type == interaction.EventRequest && (ev.To == interaction.RequestDeclined || ev.To == interaction.RequestTimedOut):
			checkDropped(ev, group, before, after, out)
		case ev.Type == interaction.EventRequest && ev.To == interaction.RequestAccepted:
			r := after.Request(ev.Leg)
			if r == nil {
				continue
			}
			p := after.Party(r.Agent)
			switch r.Kind {
			case interaction.RequestTransfer:
				checkTransferred(r.From, r.Agent, after, ev.Version, out)
			case interaction.RequestConference:
				if p == nil || !p.Present() || p.Role != interaction.RoleMember {
					out.add("R-F2", InvHandOver, ev.Version, "conference accepted but %s is not a present member", r.Agent)
				}
			}
		case ev.Type == interaction.EventLeg && ev.To == interaction.LegTransferred:
			if l := after.Leg(ev.Leg); l != nil {
				checkTransferred(l.Owner, l.Agent, after, ev.Version, out)
			}
		}
	}
	switch after.Status {
	case interaction.StatusEnded, interaction.StatusClosed:
		for _, l := range after.Legs {
			if l.Live() {
				out.add("R-C7", InvSessionEnd, last, "leg %s is %s after the session ended", l.ID, l.State)
			}
		}
		for _, r := range after.Requests {
			if r.State == interaction.RequestPending {
				out.add("R-C7", InvSessionEnd, last, "request %s pending after the session ended", r.ID)
			}
		}
		for _, p := range after.Parties {
			if p.Membership == interaction.MemberInvited ||
				(p.Present() && (p.Role == interaction.RoleContact || p.Role == interaction.RoleConsultant || p.Role == interaction.RoleSupervisor)) {
				out.add("R-C7", InvSessionEnd, last, "%s (%s) is %s after the session ended", p.ID, p.Role, p.Membership)
			}
		}
		allDone := true
		for _, p := range after.Parties {
			if p.Role != interaction.RoleContact && p.Role != interaction.RoleSupervisor && p.TookPart && p.Membership != interaction.MemberDone {
				allDone = false
				if after.Status == interaction.StatusClosed {
					out.add("R-C8", InvClose, last, "closed while %s (%s, took part) is %s", p.ID, p.Role, p.Membership)
				}
			}
		}
		if allDone && after.Status == interaction.StatusEnded {
			out.add("R-C8", InvClose, last, "every agent who took part marked done, yet not closed")
		}
	case interaction.StatusActive:
		owners := 0
		for _, p := range after.Parties {
			if p.Role == interaction.RoleOwner && p.Present() {
				owners++
			}
		}
		if owners != 1 {
			out.add("R-F6", InvOwner, last, "an active chat with %d present owners", owners)
		}
	}
	for _, p := range after.Parties {
		if p.Engaged != c.wasEngaged[p.ID] {
			out.add("R-H3", InvEngaged, last, "%s engaged=%v, but it was owner or member while joined: %v", p.ID, p.Engaged, c.wasEngaged[p.ID])
		}
	}
}

func checkTransferred(from, to interaction.PartyID, after *interaction.State, v uint64, out *violations) {
	if p := after.Party(to); p == nil || !p.Present() || p.Role != interaction.RoleOwner {
		out.add("R-T2", InvHandOver, v, "transferred, but %s is not the present owner", to)
	}
	if p := after.Party(from); p != nil && p.Present() {
		out.add("R-T2", InvHandOver, v, "transferred, but the former owner %s is still in the chat", from)
	}
}

// checkDropped: a declined or timed-out request is dropped and the chat
// goes on as before (R-F4). The command may only write the request's end,
// the asked agent's invitation ending, and a notice to the owner who asked.
func checkDropped(ev *interaction.Event, group []interaction.Event, before, after *interaction.State, out *violations) {
	r := after.Request(ev.Leg)
	if r == nil {
		return
	}
	for i := range group {
		g := &group[i]
		switch {
		case g == ev:
		case g.Type == interaction.EventMembership && g.Party == r.Agent && r.Via == "" &&
			(g.To == interaction.MemberDeclined || g.To == interaction.MemberWithdrawn):
		case g.Type == interaction.EventMessage && g.Kind == interaction.KindNotice && g.Scope == interaction.PartyScope(r.From):
		default:
			out.add("R-F4", InvDropped, g.Version, "request %s %s, but the command also wrote a %s event", r.ID, ev.To, g.Type)
		}
	}
	if before.Status != after.Status {
		out.add("R-F4", InvDropped, ev.Version, "request %s %s changed the chat from %s to %s", r.ID, ev.To, before.Status, after.Status)
	}
	if !reflect.DeepEqual(before.Legs, after.Legs) {
		out.add("R-F4", InvDropped, ev.Version, "request %s %s changed a consultation", r.ID, ev.To)
	}
	for _, p := range after.Parties {
		q := before.Party(p.ID)
		if q == nil || q.Role != p.Role || (p.ID != r.Agent && q.Membership != p.Membership) {
			out.add("R-F4", InvDropped, ev.Version, "request %s %s changed party %s", r.ID, ev.To, p.ID)
		}
	}
}

// viewRules checks every party's view of the state after a command.
func (c *Checker) viewRules(s *interaction.State, out *violations) {
	view := c.View
	if view == nil {
		view = LibraryView
	}
	v := s.Version
	// Who sees each leg message, to check it is exactly its two agents.
	legSeen := map[uint32][]interaction.PartyID{}
	for i := range s.Parties {
		p := &s.Parties[i]
		vw, err := view(s, p.ID)
		if err != nil {
			out.add("R-X6", InvScope, v, "%s, a party, may not read the interaction: %v", p.ID, err)
			continue
		}
		seen := map[uint32]bool{}
		for _, m := range vw.Messages {
			seen[m.Seq] = true
			if m.Seq == 0 || int(m.Seq) > len(s.Messages) || !reflect.DeepEqual(m, s.Messages[m.Seq-1]) {
				out.add("R-X5", InvViewCopies, v, "view of %s shows message %d not as written", p.ID, m.Seq)
				continue
			}
			switch m.Scope.Kind {
			case interaction.ScopeLeg:
				if p.Role == interaction.RoleContact {
					out.add("R-C5", InvLegPrivate, v, "the contact %s sees message %d of leg %s", p.ID, m.Seq, m.Scope.Leg)
				}
				legSeen[m.Seq] = append(legSeen[m.Seq], p.ID)
			case interaction.ScopeAgents:
				if p.Role == interaction.RoleContact {
					out.add("R-X6", InvScope, v, "the contact %s sees agents' note %d", p.ID, m.Seq)
				}
			case interaction.ScopeParty:
				// A supervisor sees what its agent sees (R-X7).
				if !c.through(p.ID, m.Scope.Party) {
					out.add("R-C3", InvScope, v, "%s sees message %d meant for %s only", p.ID, m.Seq, m.Scope.Party)
				}
			case interaction.ScopeCoach:
				switch {
				case p.Role == interaction.RoleContact:
					out.add("R-X7", InvCoachPrivate, v, "the contact %s sees coaching message %d for %s", p.ID, m.Seq, m.Scope.Party)
				case !c.through(p.ID, m.Author) && !c.through(p.ID, m.Scope.Party):
					// The coach, the coached agent, and whoever sees
					// through either of them (a coach may later be an
					// engaged agent someone monitors).
					out.add("R-X7", InvCoachPrivate, v, "%s sees coaching message %d for %s", p.ID, m.Seq, m.Scope.Party)
				}
			case interaction.ScopeEveryone:
				if !p.TookPart {
					out.add("R-X6", InvScope, v, "%s never joined but reads message %d", p.ID, m.Seq)
				}
			}
		}
		// R-X7: a supervisor that has not barged in is seen only by itself
		// and by the agent it coaches (and whoever sees through that agent).
		for _, q := range vw.Parties {
			sq := s.Party(q.ID)
			if q.ID == p.ID || sq == nil || sq.Role != interaction.RoleSupervisor {
				continue
			}
			if l := c.links[q.ID]; p.Role == interaction.RoleContact || !l.coaching || !c.through(p.ID, l.agent) {
				out.add("R-X7", InvSupervisorHidden, v, "%s (%s) sees supervisor %s", p.ID, p.Role, q.ID)
			}
		}
		if !p.Present() {
			continue
		}
		readsAlong := p.Role == interaction.RoleContact || p.Role.Engaged()
		rule := "R-F3"
		if p.Role == interaction.RoleMember {
			rule = "R-F2"
		}
		if p.Role == interaction.RoleConsultant {
			for _, l := range s.Legs {
				if l.Agent == p.ID && l.State == interaction.LegActive {
					readsAlong, rule = true, "R-C6"
				}
			}
		}
		if !readsAlong {
			continue
		}
		for _, m := range s.Messages {
			if m.Scope.Kind == interaction.ScopeEveryone && !seen[m.Seq] {
				out.add(rule, InvReadAlong, v, "%s (%s, present) does not see message %d", p.ID, p.Role, m.Seq)
			}
		}
	}
	for _, m := range s.Messages {
		if m.Scope.Kind != interaction.ScopeLeg {
			continue
		}
		var a, b interaction.PartyID
		if l := s.Leg(m.Scope.Leg); l != nil {
			a, b = l.Owner, l.Agent
		} else if r := s.Request(m.Scope.Leg); r != nil {
			a, b = r.From, r.Agent
		}
		var seenA, seenB bool
		for _, who := range legSeen[m.Seq] {
			switch who {
			case a:
				seenA = true
			case b:
				seenB = true
			default:
				if !c.through(who, a) && !c.through(who, b) {
					// A supervisor sees its agent's legs (R-X7); nobody else may.
					out.add("R-X3", InvLegPrivate, v, "%s sees message %d of leg %s between %s and %s", who, m.Seq, m.Scope.Leg, a, b)
				}
			}
		}
		if !seenA || !seenB {
			out.add("R-X3", InvLegPrivate, v, "message %d of leg %s is not seen by both %s and %s", m.Seq, m.Scope.Leg, a, b)
		}
	}
	if s.Party(Stranger) == nil {
		if _, err := view(s, Stranger); !errors.Is(err, interaction.ErrNotPermitted) {
			out.add("R-X6", InvStranger, v, "a non-participant reads the interaction (err %v)", err)
		}
	}
}
