package chatconsulttest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/chatconsult/chatconsult/interaction"
)

// The invariants of what each party is shown (docs/visibility.md), by
// name, on top of those of check.go.
const (
	// R-X6: a party's view is its own: a party out of the chat is no
	// longer what it was (RoleNone) and reads an active chat it left as
	// ended; one in the chat reads the current status.
	InvHeader = "view-header"
	// R-X6: an offered or invited party that never joined sees only
	// itself; a party that left sees no one who came after; the contact
	// sees only itself and the agents engaged with it, never an invitation.
	InvPartyList = "party-list"
	// R-X6: the contact sees no internal agent ID: agents are agent-1,
	// agent-2, … in the order they first became engaged with it.
	InvContactIDs = "contact-ids"
	// R-X6: what a party is told (its subscription, what Do returns):
	// numbered 1, 2, … in its own count with no gap, Position 0, only its
	// own commands' causes, only actors it sees, message numbers as in its
	// view.
	InvDelivery = "delivery"
)

// contactID is how the contact is shown agent id (ContactAgentID(n) for
// the n-th agent engaged with it), "" when it never was.
func (c *Checker) contactID(id interaction.PartyID) interaction.PartyID {
	for i, a := range c.engagedOrder {
		if a == id {
			return interaction.ContactAgentID(i + 1)
		}
	}
	return ""
}

// internalOf is the agent the contact knows as id, or "".
func (c *Checker) internalOf(id interaction.PartyID) interaction.PartyID {
	for i, a := range c.engagedOrder {
		if interaction.ContactAgentID(i+1) == id {
			return a
		}
	}
	return ""
}

// shownAs is how viewer is shown party id.
func (c *Checker) shownAs(s *interaction.State, viewer *interaction.Party, id interaction.PartyID) interaction.PartyID {
	if viewer.Role != interaction.RoleContact || id == viewer.ID || id == interaction.System || id == "" {
		return id
	}
	if q := s.Party(id); q == nil || q.Role == interaction.RoleContact {
		return id
	}
	return c.contactID(id)
}

// viewRules checks every party's view of the state after a command.
func (c *Checker) viewRules(s *interaction.State, out *violations) {
	view := c.View
	if view == nil {
		view = LibraryView
	}
	v := s.Version
	// Who sees each leg message (by transcript index), to check it is
	// exactly its two agents.
	legSeen := map[int][]interaction.PartyID{}
	for i := range s.Parties {
		p := &s.Parties[i]
		vw, err := view(s, p.ID)
		if err != nil {
			out.add("R-X6", InvScope, v, "%s, a party, may not read the interaction: %v", p.ID, err)
			continue
		}
		c.viewHeader(s, p, &vw, out)
		c.extrasRules(s, p, &vw, out)
		seen := map[int]bool{}
		for k, j := range c.matchMessages(s, p, &vw, out) {
			if j < 0 {
				continue
			}
			seen[j] = true
			m := &s.Messages[j]
			seq := vw.Messages[k].Seq
			switch m.Scope.Kind {
			case interaction.ScopeLeg:
				if p.Role == interaction.RoleContact {
					out.add("R-C5", InvLegPrivate, v, "the contact %s sees a message of leg %s (its #%d)", p.ID, m.Scope.Invitation, seq)
				}
				legSeen[j] = append(legSeen[j], p.ID)
			case interaction.ScopeAgents:
				if p.Role == interaction.RoleContact {
					out.add("R-X6", InvScope, v, "the contact %s sees an agents' note (its #%d)", p.ID, seq)
				}
			case interaction.ScopeParty:
				// A supervisor sees what its agent saw, within its windows (R-X7).
				if !c.throughAt(p.ID, m.Scope.Party, m.Version, 0) {
					out.add("R-C3", InvScope, v, "%s sees a message meant for %s only (its #%d)", p.ID, m.Scope.Party, seq)
				}
			case interaction.ScopeCoach:
				switch {
				case p.Role == interaction.RoleContact:
					out.add("R-X7", InvCoachPrivate, v, "the contact %s sees coaching for %s (its #%d)", p.ID, m.Scope.Party, seq)
				case !c.throughAt(p.ID, m.Author, m.Version, 0) && !c.throughAt(p.ID, m.Scope.Party, m.Version, 0):
					// The coach, the coached agent, and whoever sees
					// through either of them (a coach may later be an
					// engaged agent someone monitors).
					out.add("R-X7", InvCoachPrivate, v, "%s sees coaching for %s (its #%d)", p.ID, m.Scope.Party, seq)
				}
			case interaction.ScopeEveryone:
				if !p.TookPart {
					out.add("R-X6", InvScope, v, "%s never joined but reads the chat (its #%d)", p.ID, seq)
				}
			}
		}
		c.partyRules(s, p, &vw, out)
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
				if l.Invitee == p.ID && l.State == interaction.LegActive {
					readsAlong, rule = true, "R-C6"
				}
			}
		}
		if !readsAlong {
			continue
		}
		for j, m := range s.Messages {
			if m.Scope.Kind == interaction.ScopeEveryone && !seen[j] {
				out.add(rule, InvReadAlong, v, "%s (%s, present) does not see message %d of the transcript", p.ID, p.Role, j+1)
			}
		}
	}
	for j, m := range s.Messages {
		if m.Scope.Kind != interaction.ScopeLeg {
			continue
		}
		var a, b interaction.PartyID
		var since uint64
		if l := s.Leg(interaction.LegID(m.Scope.Invitation)); l != nil {
			a, b, since = l.Owner, l.Invitee, l.Since
		} else if r := s.Request(interaction.RequestID(m.Scope.Invitation)); r != nil {
			a, b = r.Owner, r.Invitee
		}
		var seenA, seenB bool
		for _, who := range legSeen[j] {
			switch who {
			case a:
				seenA = true
			case b:
				seenB = true
			default:
				if !c.throughAt(who, a, m.Version, since) && !c.throughAt(who, b, m.Version, since) {
					// A supervisor sees its agent's legs begun within its
					// windows (R-X7); nobody else may.
					out.add("R-X3", InvLegPrivate, v, "%s sees message %d of leg %s between %s and %s", who, j+1, m.Scope.Invitation, a, b)
				}
			}
		}
		if !seenA || !seenB {
			out.add("R-X3", InvLegPrivate, v, "message %d of leg %s is not seen by both %s and %s", j+1, m.Scope.Invitation, a, b)
		}
	}
	if s.Party(Stranger) == nil {
		if _, err := view(s, Stranger); !errors.Is(err, interaction.ErrNotPermitted) {
			out.add("R-X6", InvStranger, v, "a non-participant reads the interaction (err %v)", err)
		}
	}
}

// viewHeader: the viewer's own line. In the chat (or invited) it is what
// it is and reads the current status; out of it, it is nothing any more
// and an active chat it took part in reads as ended (it learns nothing of
// what happens after it left).
func (c *Checker) viewHeader(s *interaction.State, p *interaction.Party, vw *interaction.View, out *violations) {
	v := s.Version
	if vw.Viewer != p.ID || vw.Interaction != s.ID || vw.Membership != p.Membership {
		out.add("R-X6", InvHeader, v, "view of %s is headed %s %s %s", p.ID, vw.Interaction, vw.Viewer, vw.Membership)
	}
	in := p.Present() || p.Membership == interaction.MemberInvited
	switch {
	case in && (vw.Role != p.Role || vw.Status != s.Status):
		out.add("R-X6", InvHeader, v, "view of %s (%s, %s) reads role %s, status %s; the chat is %s", p.ID, p.Role, p.Membership, vw.Role, vw.Status, s.Status)
	case !in && vw.Role != interaction.RoleNone:
		out.add("R-X6", InvHeader, v, "%s is %s but its view still calls it %s", p.ID, p.Membership, vw.Role)
	case !in && p.TookPart && (vw.Status == interaction.StatusWaiting || vw.Status == interaction.StatusActive):
		out.add("R-X6", InvHeader, v, "%s left, yet its view reads the chat as %s", p.ID, vw.Status)
	}
	if vw.Version > s.Version {
		out.add("R-X6", InvHeader, v, "view of %s at version %d, beyond the stream's %d", p.ID, vw.Version, s.Version)
	}
}

// matchMessages lines the view's messages up with the transcript: a view
// shows a part of the transcript, in its order, numbered 1, 2, … in the
// viewer's own count, each message as it was written (the contact's with
// contact-facing IDs, and its notices rendered with its names). It returns
// the transcript index of each view message (-1: none).
func (c *Checker) matchMessages(s *interaction.State, p *interaction.Party, vw *interaction.View, out *violations) []int {
	v := s.Version
	idx := make([]int, len(vw.Messages))
	j := 0
	for k := range vw.Messages {
		vm := &vw.Messages[k]
		idx[k] = -1
		if vm.Seq != uint32(k+1) {
			out.add("R-X6", InvViewCopies, v, "view of %s numbers its message %d as %d: a party's messages are numbered 1, 2, … in its own count", p.ID, k+1, vm.Seq)
		}
		for ; j < len(s.Messages); j++ {
			if c.showsAs(s, p, &s.Messages[j], vm) {
				idx[k] = j
				j++
				break
			}
		}
		if idx[k] < 0 {
			out.add("R-X5", InvViewCopies, v, "view of %s shows its message %d (%s, by %s: %q) not as written, or out of order", p.ID, vm.Seq, scopeString(vm.Scope), vm.Author, vm.Text)
			// Which message it is, for the scope checks: the first one of
			// that kind, scope and text.
			for i := range s.Messages {
				if tm := &s.Messages[i]; tm.Kind == vm.Kind && tm.Scope == vm.Scope && (tm.Text == vm.Text || tm.Notice != nil) {
					idx[k] = i
					break
				}
			}
		}
	}
	return idx
}

// showsAs: is vm transcript message tm as viewer p is to be shown it?
func (c *Checker) showsAs(s *interaction.State, p *interaction.Party, tm, vm *interaction.Message) bool {
	if tm.Kind != vm.Kind || tm.Scope != vm.Scope || !tm.Time.Equal(vm.Time) {
		return false
	}
	if p.Role != interaction.RoleContact {
		return tm.Author == vm.Author && tm.Text == vm.Text && reflect.DeepEqual(tm.Notice, vm.Notice)
	}
	if vm.Author != c.shownAs(s, p, tm.Author) {
		return false
	}
	if tm.Notice == nil {
		return tm.Text == vm.Text && vm.Notice == nil
	}
	if vm.Notice == nil || vm.Notice.Code != tm.Notice.Code || len(vm.Notice.Parties) != len(tm.Notice.Parties) {
		return false
	}
	for i, q := range tm.Notice.Parties {
		if vm.Notice.Parties[i] != c.shownAs(s, p, q) {
			return false
		}
	}
	return true
}

// partyRules checks the viewer's party list (R-X6, R-X7) and, for the
// contact, that it sees no internal agent ID anywhere in its view.
func (c *Checker) partyRules(s *interaction.State, p *interaction.Party, vw *interaction.View, out *violations) {
	v := s.Version
	contact := p.Role == interaction.RoleContact
	self := 0
	for _, q := range vw.Parties {
		id := q.ID
		if q.ID == p.ID {
			self++
			continue
		}
		if contact {
			if id = c.internalOf(q.ID); id == "" {
				out.add("R-X6", InvContactIDs, v, "the contact sees party %q (%s, %s), not an agent engaged with it", q.ID, q.Role, q.Membership)
				continue
			}
			if !q.Role.Engaged() || q.Membership == interaction.MemberInvited || q.Membership == interaction.MemberDeclined || q.Membership == interaction.MemberWithdrawn {
				out.add("R-C5", InvPartyList, v, "the contact sees %s as %s %s: it is never told of an invitation, a consultation or a supervision", q.ID, q.Role, q.Membership)
			}
			want := interaction.DefaultContactName(slices.Index(c.engagedOrder, id) + 1)
			if c.ContactNames != nil {
				if n := c.ContactNames(id); n != "" {
					want = n
				}
			}
			if q.Name != want {
				out.add("R-X6", InvContactIDs, v, "the contact sees %s named %q, not %q", q.ID, q.Name, want)
			}
		}
		sq := s.Party(id)
		switch {
		case sq == nil:
			out.add("R-X6", InvPartyList, v, "%s sees party %s, which is not in the interaction", p.ID, q.ID)
			continue
		case !p.TookPart:
			out.add("R-X6", InvPartyList, v, "%s (%s, never joined) sees %s: an offered or invited party sees only itself", p.ID, p.Membership, q.ID)
		case !p.Present() && p.Membership != interaction.MemberInvited && c.firstAt[id] > c.leftAt[p.ID]:
			out.add("R-X6", InvPartyList, v, "%s left at version %d, yet sees %s, who came at %d", p.ID, c.leftAt[p.ID], q.ID, c.firstAt[id])
		}
		// R-X7: a supervisor that has not barged in is seen only by itself
		// and by the agents it coaches or coached (and whoever sees through
		// them).
		if sq.Role == interaction.RoleSupervisor {
			ok := false
			for _, a := range c.coached[sq.ID] {
				ok = ok || c.through(p.ID, a)
			}
			if contact || !ok {
				out.add("R-X7", InvSupervisorHidden, v, "%s (%s) sees supervisor %s", p.ID, p.Role, sq.ID)
			}
		}
	}
	if self != 1 {
		out.add("R-X6", InvPartyList, v, "%s is %d times in its own party list", p.ID, self)
	}
	if !contact {
		return
	}
	for _, m := range vw.Messages {
		if m.Author != p.ID && m.Author != interaction.System && c.internalOf(m.Author) == "" {
			out.add("R-X6", InvContactIDs, v, "the contact sees its message %d by %q", m.Seq, m.Author)
		}
		if m.Kind == interaction.KindNotice {
			if id := c.internalIDIn(s, m.Text); id != "" {
				out.add("R-X6", InvContactIDs, v, "the contact's notice %d names %s: %q", m.Seq, id, m.Text)
			}
		}
	}
}

// internalIDIn returns an agent's internal ID that text names, or "".
func (c *Checker) internalIDIn(s *interaction.State, text string) interaction.PartyID {
	for _, q := range s.Parties {
		if q.Role != interaction.RoleContact && containsWord(text, string(q.ID)) {
			return q.ID
		}
	}
	return ""
}

// containsWord: w occurs in s, not as part of a longer word.
func containsWord(s, w string) bool {
	if w == "" {
		return false
	}
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		before := j == 0 || !isWordByte(s[j-1])
		after := j+len(w) == len(s) || !isWordByte(s[j+len(w)])
		if before && after {
			return true
		}
		i = j + 1
	}
}

func isWordByte(b byte) bool {
	return b == '_' || b == '-' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= 0x80
}

// Delivered checks the events party was told of the latest command the
// checker was given (what its subscription received, or what Do returned
// to it): the checker must have seen the command (Add) first. A party is
// told, in its own count, 1, 2, … with no gap (Version; a retried command
// handed back again has Version 0), with Position 0, the cause only of its
// own commands, an actor only when it sees that party, the contact in
// contact-facing IDs only and never of a consultation or of coaching, and
// its messages numbered as its view numbers them.
func (c *Checker) Delivered(party interaction.PartyID, events []interaction.Event) []Violation {
	if len(events) == 0 {
		return nil
	}
	view := c.View
	if view == nil {
		view = LibraryView
	}
	var vw *interaction.View
	if c.st.Party(party) != nil {
		v, err := view(c.st, party)
		if err != nil {
			return []Violation{{Rule: "R-X6", Invariant: InvDelivery, Version: c.st.Version, Detail: fmt.Sprintf("%s is told events but may not read the interaction: %v", party, err)}}
		}
		vw = &v
	}
	return c.delivered(party, events, vw)
}

// delivered is Delivered with party's view (nil: none).
func (c *Checker) delivered(party interaction.PartyID, events []interaction.Event, vw *interaction.View) []Violation {
	var out violations
	s := c.st
	p := s.Party(party)
	if p == nil || vw == nil {
		if len(events) > 0 {
			out.add("R-X6", InvDelivery, events[0].Version, "%s, not a party, is told %d events", party, len(events))
		}
		return out
	}
	known := map[interaction.PartyID]bool{party: true, interaction.System: true}
	for _, q := range vw.Parties {
		known[q.ID] = true
	}
	contact := p.Role == interaction.RoleContact
	for i := range events {
		ev := &events[i]
		v := ev.Version
		if ev.Interaction != s.ID {
			out.add("R-X6", InvDelivery, v, "%s is told an event of %s in the stream of %s", party, ev.Interaction, s.ID)
		}
		if ev.Position != 0 {
			out.add("R-X6", InvDelivery, v, "%s is told a %s event at store position %d: it counts every interaction's events", party, ev.Type, ev.Position)
		}
		if v != 0 {
			if last := c.told[party]; v != last+1 {
				out.add("R-X6", InvDelivery, v, "%s is told event %d after %d: its events are numbered 1, 2, … with no gap", party, v, last)
			}
			c.told[party] = v
			if v > vw.Version {
				out.add("R-X6", InvDelivery, v, "%s is told event %d, beyond its view's version %d", party, v, vw.Version)
			}
		}
		own := slices.Contains(c.actors[ev.Cause], party)
		if ev.Cause != "" && !own {
			out.add("R-X6", InvDelivery, v, "%s is told cause %q of a command of %v", party, ev.Cause, c.actors[ev.Cause])
		}
		if ev.Fingerprint != 0 && ev.Cause == "" {
			out.add("R-X6", InvDelivery, v, "%s is told the fingerprint of another party's command", party)
		}
		if ev.Actor != "" && !known[ev.Actor] {
			rule := "R-X6"
			if q := s.Party(ev.Actor); q != nil && q.Role == interaction.RoleSupervisor {
				rule = "R-X7"
			}
			out.add(rule, InvDelivery, v, "%s is told that %s caused a %s event, but %s is not in its party list", party, ev.Actor, ev.Type, ev.Actor)
		}
		if contact {
			switch ev.Scope.Kind {
			case interaction.ScopeLeg:
				out.add("R-C5", InvLegPrivate, v, "the contact is told of a %s event of leg %s", ev.Type, ev.Scope.Invitation)
			case interaction.ScopeCoach:
				out.add("R-X7", InvCoachPrivate, v, "the contact is told of a %s event coaching %s", ev.Type, ev.Scope.Party)
			}
			for _, id := range []interaction.PartyID{ev.Actor, ev.Party, interaction.PartyID(ev.Target.ID), ev.Supervised, ev.Scope.Party} {
				if q := s.Party(id); q != nil && q.Role != interaction.RoleContact {
					out.add("R-X6", InvContactIDs, v, "the contact is told internal agent ID %s in a %s event", id, ev.Type)
				}
			}
			if ev.Type == interaction.EventMessage && ev.Kind == interaction.KindNotice {
				if id := c.internalIDIn(s, ev.Text); id != "" {
					out.add("R-X6", InvContactIDs, v, "the contact is told a notice naming %s: %q", id, ev.Text)
				}
			}
		}
		// R-X7: the events about a supervisor that has not barged in reach
		// it, and, when it coaches, the agent it coaches.
		if q := s.Party(ev.Party); q != nil && q.ID != party && q.Role == interaction.RoleSupervisor && ev.Type != interaction.EventMessage &&
			!(ev.Scope.Kind == interaction.ScopeCoach && c.through(party, ev.Scope.Party)) {
			out.add("R-X7", InvSupervisorHidden, v, "%s is told of supervisor %s's %s event (%s)", party, q.ID, ev.Type, scopeString(ev.Scope))
		}
		if ev.Type == interaction.EventMessage && v != 0 {
			if ev.Seq == 0 || int(ev.Seq) > len(vw.Messages) || vw.Messages[ev.Seq-1].Text != ev.Text {
				out.add("R-X6", InvDelivery, v, "%s is told message %q as its #%d, which its view numbers otherwise", party, ev.Text, ev.Seq)
			}
		}
	}
	return out
}

// extrasRules: attachments and read receipts (issue 17) follow the
// messages the viewer reads. A file is listed only with one of the
// viewer's own messages, by its own number (R-C5, R-X8: a file of a
// message it may not read is never in its view); a receipt counts in the
// viewer's numbering, up to its last message, names a party the viewer
// is shown, and the contact sees its agents in receipts by their
// contact-facing IDs only, and only of agents that were engaged with it
// (R-X6, R-X7: a supervisor's or a consultation target's reading is never
// in the contact's view).
func (c *Checker) extrasRules(s *interaction.State, p *interaction.Party, vw *interaction.View, out *violations) {
	v := s.Version
	mine := make(map[uint32]bool, len(vw.Messages))
	last := uint32(0)
	for i := range vw.Messages {
		mine[vw.Messages[i].Seq] = true
		last = max(last, vw.Messages[i].Seq)
	}
	for seq, files := range vw.Attachments {
		if !mine[seq] && len(files) > 0 {
			out.add("R-C5", InvScope, v, "%s's view lists %d file(s) with its message %d, which it does not read", p.ID, len(files), seq)
		}
	}
	shown := map[interaction.PartyID]bool{p.ID: true}
	for _, q := range vw.Parties {
		shown[q.ID] = true
	}
	for _, r := range vw.Receipts {
		if r.Seq == 0 || r.Seq > last {
			out.add("R-X6", InvScope, v, "%s's view says %s read up to its message %d; its last is %d", p.ID, r.Party, r.Seq, last)
		}
		if !shown[r.Party] {
			out.add("R-X6", InvPartyList, v, "%s's view has a receipt of %q, a party it is not shown", p.ID, r.Party)
		}
		if p.Role == interaction.RoleContact && r.Party != p.ID {
			if q := s.Party(c.internalOf(r.Party)); q == nil || !q.WasEngaged {
				out.add("R-X7", InvContactIDs, v, "the contact sees a receipt of %q: never an agent engaged with it", r.Party)
			}
		}
	}
}
