package chatconsulttest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"

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

// The invariants, by name. Each is checked after every command. Stream,
// transition, numbering, input, author and party are the names of the
// library's own log checks (interaction.LogError.Check): the checker does
// not repeat them, it reports a refusal of interaction.Apply under them.
// It no longer checks R-H3's "engaged" flag against its own replay of the
// same state (that only repeated the library's bookkeeping); the model
// checks R-H3 in its own terms (Compare: "engaged with the contact").
const (
	InvStream     = "stream"       // R-X5: versions 1, 2, …; one interaction; time never backwards; time, actor and cause on every event
	InvTransition = "transition"   // R-X5: every state change is a transition its machine declares, from the state it was in
	InvReplay     = "replay"       // R-X5: interaction.Apply accepts every event
	InvRebuild    = "rebuild"      // R-X5: the state rebuilt from the events equals the live state
	InvNumbering  = "numbering"    // R-X6: messages numbered 1, 2, … without gaps or duplicates; nothing lost
	InvInput      = "input"        // R-X6: no blank, oversized or invalid UTF-8 text or party ID was accepted
	InvAuthor     = "author"       // R-C5/R-X6: who wrote a message may write in its scope
	InvParty      = "party"        // R-X6/R-X7/R-C1: who may enter, invite, answer, supervise, in which role
	InvLegPrivate = "leg-private"  // R-C5/R-X3: a leg's messages are seen by exactly its two agents, never the contact
	InvScope      = "scope"        // R-X6: every message in a view is one its scope lets the viewer see; every event is told to whom it concerns
	InvReadAlong  = "read-along"   // R-C6/R-F2/R-F3: present parties see the whole shared transcript
	InvSessionEnd = "session-end"  // R-C7: after the session ends no leg, request or invitation is live
	InvClose      = "close"        // R-C8: closed exactly when every agent who took part marked done
	InvDropped    = "dropped"      // R-F4: a declined or timed-out request changed nothing else
	InvHandOver   = "hand-over"    // R-T2/R-F2: a transfer makes the target owner and the former owner leave; a conference adds the target
	InvOwner      = "owner"        // R-T2/R-F6: an active chat has exactly one present owner
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
	// ContactNames is how the views checked name agents to the contact
	// (nil: interaction.DefaultContactName, the library's default).
	ContactNames interaction.ContactNames

	st         *interaction.State
	broken     bool // replay failed: the state-based checks stop
	wasEngaged map[interaction.PartyID]bool
	// links: whom each supervisor supervises, and how, as the events say
	// (R-X7). A supervisor sees what its agent sees, also after it barged
	// in; invited in another role it no longer does.
	links map[interaction.PartyID]supervision
	// hidden: the events of the current command by or about a supervisor
	// that has not barged in, with that supervisor.
	hidden []hiddenEvent
	// engagedOrder: the agents in the order they first became engaged with
	// the contact; the contact knows the n-th as interaction.ContactAgentID(n).
	engagedOrder []interaction.PartyID
	// actors: who acted in each command, by its cause (System left out
	// when someone else acted too).
	actors map[string][]interaction.PartyID
	// told: the Version of the last event delivered to each party.
	told map[interaction.PartyID]uint64
	// firstAt: the version of each party's first event; leftAt: of its
	// latest going out of the chat.
	firstAt, leftAt map[interaction.PartyID]uint64
	// coached: the agents each supervisor coached at some point (they keep
	// seeing it as they last knew it, R-X7).
	coached map[interaction.PartyID][]interaction.PartyID
	// stayFrom: when each agent's current engaged stay began (0: none);
	// windows: each supervisor's windows (R-X7).
	stayFrom map[interaction.PartyID]uint64
	windows  map[interaction.PartyID][]checkWindow
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
		wasEngaged: map[interaction.PartyID]bool{},
		links:      map[interaction.PartyID]supervision{},
		actors:     map[string][]interaction.PartyID{},
		told:       map[interaction.PartyID]uint64{},
		firstAt:    map[interaction.PartyID]uint64{},
		leftAt:     map[interaction.PartyID]uint64{},
		coached:    map[interaction.PartyID][]interaction.PartyID{},
		stayFrom:   map[interaction.PartyID]uint64{},
		windows:    map[interaction.PartyID][]checkWindow{},
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
	c.deliveryRules(&out)
	c.viewRules(after, &out)
	return out
}

// A supervisor reads through the agent it supervises only within its
// windows (R-X7): while it is in the chat, supervises the agent, and the
// agent is engaged with the contact; from the start of the agent's engaged
// stay to the window's end. The checker keeps the windows from the events
// alone.
type checkWindow struct {
	agent       interaction.PartyID
	from, until uint64
}

const openWindow = ^uint64(0)

// updateWindows follows the engaged stays and the windows after a change
// of membership or role at version v.
func (c *Checker) updateWindows(v uint64) {
	for i := range c.st.Parties {
		p := &c.st.Parties[i]
		switch in := p.Present() && p.Role.Engaged(); {
		case in && c.stayFrom[p.ID] == 0:
			c.stayFrom[p.ID] = v
		case !in:
			c.stayFrom[p.ID] = 0
		}
	}
	for i := range c.st.Parties {
		p := &c.st.Parties[i]
		l, linked := c.links[p.ID]
		ws := c.windows[p.ID]
		if !linked && len(ws) == 0 {
			continue
		}
		var agent interaction.PartyID
		if a := c.st.Party(l.agent); linked && p.Present() && a != nil && a.Present() && a.Role.Engaged() {
			agent = a.ID
		}
		open := len(ws) > 0 && ws[len(ws)-1].until == openWindow
		if open && ws[len(ws)-1].agent != agent {
			ws[len(ws)-1].until = v
			open = false
		}
		if agent != "" && !open {
			ws = append(ws, checkWindow{agent: agent, from: c.stayFrom[agent], until: openWindow})
		}
		c.windows[p.ID] = ws
	}
}

// seesThrough: does p see what agent saw at version v (of a leg that began
// at since, 0 for anything else), being agent or through its windows, hop
// by hop? With bounded false, any window counts, whenever it was.
func (c *Checker) seesThrough(p, agent interaction.PartyID, v, since uint64, bounded bool, hops int) bool {
	if p == agent {
		return true
	}
	if hops <= 0 {
		return false
	}
	for _, w := range c.windows[p] {
		if bounded && (v < w.from || v > w.until || since != 0 && (since < w.from || since > w.until)) {
			continue
		}
		if c.seesThrough(w.agent, agent, v, since, bounded, hops-1) {
			return true
		}
	}
	return false
}

// through: does p see what agent sees, being agent or supervising it at
// some time?
func (c *Checker) through(p, agent interaction.PartyID) bool {
	return c.seesThrough(p, agent, 0, 0, false, len(c.st.Parties))
}

// throughAt: does p see agent's private item at version v (of a leg that
// began at since)?
func (c *Checker) throughAt(p, agent interaction.PartyID, v, since uint64) bool {
	return c.seesThrough(p, agent, v, since, true, len(c.st.Parties))
}

// event checks one event against what came before and applies it.
func (c *Checker) event(ev *interaction.Event, out *violations) {
	v := ev.Version
	// What the validator leaves to the Store and the Service: every event
	// has a time and the command that caused it (R-X5).
	if ev.Time.IsZero() || ev.Cause == "" {
		out.add("R-X5", InvStream, v, "event without time (%v) or cause (%q)", ev.Time, ev.Cause)
	}
	if ev.Type == interaction.EventMembership {
		if _, ok := c.firstAt[ev.Party]; !ok {
			c.firstAt[ev.Party] = v
		}
		if ev.From == string(interaction.MemberJoined) {
			c.leftAt[ev.Party] = v
		}
	}
	c.follow(ev, out)
	if c.broken {
		return
	}
	if err := c.st.Apply(ev); err != nil {
		*out = append(*out, refusal(err))
		c.broken = true
		return
	}
	for i := range c.st.Parties {
		p := &c.st.Parties[i]
		if p.Present() && p.Role.Engaged() {
			if !c.wasEngaged[p.ID] {
				c.engagedOrder = append(c.engagedOrder, p.ID)
			}
			c.wasEngaged[p.ID] = true
		}
	}
	if ev.Type == interaction.EventMembership || ev.Type == interaction.EventRole {
		c.updateWindows(v)
	}
	if !slices.Contains(c.actors[ev.Cause], ev.Actor) {
		c.actors[ev.Cause] = append(c.actors[ev.Cause], ev.Actor)
	}
}

// refusal turns an error of interaction.Apply (or of a command the core
// refused to write, see Harness.Do) into the violation it reports: the rule
// and check an interaction.LogError names, R-X5 "replay" for any other.
func refusal(err error) Violation {
	var le *interaction.LogError
	if errors.As(err, &le) {
		return Violation{Rule: le.Rule, Invariant: le.Check, Version: le.Version, Detail: le.Detail}
	}
	return Violation{Rule: "R-X5", Invariant: InvReplay, Detail: err.Error()}
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
			c.links[ev.Party] = supervision{agent: ev.Supervised, coaching: ev.Trigger == interaction.TriggerCoach}
			if a := ev.Supervised; ev.Trigger == interaction.TriggerCoach && !slices.Contains(c.coached[ev.Party], a) {
				c.coached[ev.Party] = append(c.coached[ev.Party], a)
			}
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
	case ev.Type == interaction.EventRole && ev.Trigger == interaction.TriggerMonitor && !own:
		out.add("R-X7", InvSupervisorHidden, v, "%s starts monitoring %s in scope %s: a monitor is told to nobody", sup, ev.Supervised, scopeString(ev.Scope))
	case ev.Type == interaction.EventRole && ev.Trigger == interaction.TriggerCoach &&
		!own && ev.Scope != (interaction.Scope{Kind: interaction.ScopeCoach, Party: ev.Supervised}):
		out.add("R-X7", InvSupervisorHidden, v, "%s starts coaching %s in scope %s", sup, ev.Supervised, scopeString(ev.Scope))
	case ev.Type == interaction.EventMembership && !own && !coach:
		out.add("R-X7", InvSupervisorHidden, v, "supervisor %s %s in scope %s", sup, ev.To, scopeString(ev.Scope))
	case ev.Type == interaction.EventMessage && !coach:
		out.add("R-X7", InvSupervisorHidden, v, "supervisor %s wrote in scope %s", sup, scopeString(ev.Scope))
	}
}

// deliveryRules: the scope of the events by or about a supervisor that has
// not barged in (R-X7): a coaching-scoped change is one of the coached
// agent's. What each party is actually told is checked by Delivered, on
// the events it received.
func (c *Checker) deliveryRules(out *violations) {
	for _, h := range c.hidden {
		ev := h.ev
		if ev.Type == interaction.EventMembership && ev.Scope.Kind == interaction.ScopeCoach {
			if l := c.links[h.supervisor]; !l.coaching || l.agent != ev.Scope.Party {
				out.add("R-X7", InvSupervisorHidden, ev.Version, "supervisor %s %s in the scope of %s, whom it does not coach", h.supervisor, ev.To, ev.Scope.Party)
			}
		}
	}
}

// commandRules checks what one command did as a whole.
func (c *Checker) commandRules(group []interaction.Event, before, after *interaction.State, out *violations) {
	last := group[len(group)-1].Version
	for i := range group {
		ev := &group[i]
		switch {
		case ev.Type == interaction.EventRequest && (ev.To == string(interaction.RequestDeclined) || ev.To == string(interaction.RequestTimedOut)):
			checkDropped(ev, group, before, after, out)
		case ev.Type == interaction.EventRequest && ev.To == string(interaction.RequestAccepted):
			r := after.Request(ev.RequestID)
			if r == nil {
				continue
			}
			p := after.Party(r.Invitee)
			switch r.Kind {
			case interaction.RequestTransfer:
				checkTransferred(r.Owner, r.Invitee, after, ev.Version, out)
			case interaction.RequestConference:
				if p == nil || !p.Present() || p.Role != interaction.RoleMember {
					out.add("R-F2", InvHandOver, ev.Version, "conference accepted but %s is not a present member", r.Invitee)
				}
			}
		case ev.Type == interaction.EventLeg && ev.To == string(interaction.LegTransferred):
			if l := after.Leg(ev.Leg); l != nil {
				checkTransferred(l.Owner, l.Invitee, after, ev.Version, out)
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
// the asked agent's invitation ending, and a notice to the owner who asked;
// for an offer of a routed request (R-X1), also the other offers of its
// route (rescinded, timed out, or offered on to the next agents) and
// those agents' invitations.
func checkDropped(ev *interaction.Event, group []interaction.Event, before, after *interaction.State, out *violations) {
	r := after.Request(ev.RequestID)
	if r == nil {
		return
	}
	offered := map[interaction.PartyID]bool{r.Invitee: true}
	inRoute := func(id interaction.RequestID) bool {
		q := after.Request(id)
		return r.Route != "" && q != nil && q.Route == r.Route
	}
	if r.Route != "" {
		for _, q := range after.Requests {
			if q.Route == r.Route {
				offered[q.Invitee] = true
			}
		}
	}
	for i := range group {
		g := &group[i]
		switch {
		case g == ev:
		case g.Type == interaction.EventRequest && inRoute(g.RequestID):
		case g.Type == interaction.EventMembership && r.Route != "" && offered[g.Party] && inRoute(g.RequestID):
		case g.Type == interaction.EventMembership && g.Party == r.Invitee && r.Via == "" &&
			(g.To == string(interaction.MemberDeclined) || g.To == string(interaction.MemberWithdrawn)):
		case g.Type == interaction.EventMessage && g.Kind == interaction.KindNotice && g.Scope == interaction.PartyScope(r.Owner):
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
		if r.Route != "" && offered[p.ID] && (q == nil || q.Membership != p.Membership) {
			continue // invited as an offer of the route, or its invitation ended
		}
		if q == nil || q.Role != p.Role || (p.ID != r.Invitee && q.Membership != p.Membership) {
			out.add("R-F4", InvDropped, ev.Version, "request %s %s changed party %s", r.ID, ev.To, p.ID)
		}
	}
}
