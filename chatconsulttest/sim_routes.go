package chatconsulttest

import (
	"fmt"

	"github.com/chatconsult/chatconsult/interaction"
)

// InvRoute (R-X1) is the simulator's model of routed invitations: it
// follows every command's events in its own terms (the invitation record
// of model_routes.go: owner, target, kind, offers, the one taken) and
// predicts what routing must do. The Directory picks the agents; the model
// does not predict its choice but the rules the choice must keep:
//
//   - an offer goes to an agent of the skill who was not offered the
//     invitation before and is not in the chat, never the owner or the
//     contact;
//   - one round of offers goes to at least one agent and at most as many
//     as the fan-out allows (two) and the candidates left (which of them
//     are free is the Directory's business: an agent may be busy in
//     another interaction);
//   - at most one offer is taken; the rivals still out are rescinded in
//     the accept's own write, and nothing is offered after;
//   - an invitation is offered on only when its last offer out failed
//     (declined, timed out, rescinded) and none was taken; then, while the
//     owner can still ask, it is offered on in that same write, or, when
//     nobody is free, the owner alone is told that nobody is left, never
//     both.
const InvRoute = "route"

// routeWitness follows one interaction for InvRoute.
type routeWitness struct {
	agents  []interaction.PartyID // the skill's agents (every simulated agent)
	fanOut  int
	status  interaction.Status
	contact interaction.PartyID
	member  map[interaction.PartyID]interaction.MemberState
	role    map[interaction.PartyID]interaction.Role
	invs    map[interaction.RouteID]*mInvitation
	offerOf map[interaction.InvitationID]interaction.RouteID // offer → its invitation
	pending map[interaction.InvitationID]bool
}

func newRouteWitness(agents []interaction.PartyID, fanOut int) *routeWitness {
	return &routeWitness{agents: agents, fanOut: fanOut, member: map[interaction.PartyID]interaction.MemberState{},
		role: map[interaction.PartyID]interaction.Role{}, invs: map[interaction.RouteID]*mInvitation{},
		offerOf: map[interaction.InvitationID]interaction.RouteID{}, pending: map[interaction.InvitationID]bool{}}
}

func (w *routeWitness) inChat(p interaction.PartyID) bool {
	return w.member[p] == interaction.MemberJoined || w.member[p] == interaction.MemberInvited
}

func (w *routeWitness) out(inv *mInvitation) int {
	n := 0
	for _, o := range inv.offers {
		if w.pending[o.id] {
			n++
		}
	}
	return n
}

func (w *routeWitness) canAsk(owner interaction.PartyID) bool {
	return w.role[owner] == interaction.RoleOwner && w.member[owner] == interaction.MemberJoined && w.status == interaction.StatusActive
}

// candidates: the agents the invitation may still go to, as the command
// began.
func (w *routeWitness) candidates(inv *mInvitation) int {
	n := 0
	for _, a := range w.agents {
		if a != inv.owner && a != w.contact && !w.inChat(a) && !inv.tried(a) {
			n++
		}
	}
	return n
}

// command follows one command's events and returns what it breaks.
func (w *routeWitness) command(events []interaction.Event) []string {
	var bad []string
	type round struct {
		candidates int
		offered    int
		failed     bool
		notPlaced  bool
		wasOut     int
		fresh      bool
	}
	rounds := map[interaction.RouteID]*round{}
	told := map[interaction.PartyID]bool{} // owners told that nobody is left
	get := func(id interaction.RouteID, inv *mInvitation) *round {
		r := rounds[id]
		if r == nil {
			r = &round{candidates: w.candidates(inv), wasOut: w.out(inv)}
			rounds[id] = r
		}
		return r
	}
	for i := range events {
		ev := &events[i]
		switch ev.Type {
		case interaction.EventOpened:
			w.contact = ev.Party
		case interaction.EventStatus:
			w.status = interaction.Status(ev.To)
		case interaction.EventMembership:
			w.member[ev.Party], w.role[ev.Party] = interaction.MemberState(ev.To), ev.Role
		case interaction.EventRole:
			w.role[ev.Party] = ev.Role
		case interaction.EventLeg, interaction.EventRequest:
			first := ev.From == string(interaction.LegNone) || ev.From == string(interaction.RequestNone)
			if first && ev.Route != "" {
				inv := w.invs[ev.Route]
				if inv == nil {
					inv = &mInvitation{id: ev.Route, owner: ev.Actor, target: ev.Target}
					w.invs[ev.Route] = inv
					get(ev.Route, inv).fresh = true
				}
				r := get(ev.Route, inv)
				switch {
				case inv.tried(ev.Party):
					bad = append(bad, fmt.Sprintf("%s offered route %s a second time", ev.Party, inv.id))
				case w.inChat(ev.Party) || ev.Party == inv.owner || ev.Party == w.contact:
					bad = append(bad, fmt.Sprintf("route %s offered to %s, who is in the chat", inv.id, ev.Party))
				case inv.taken != "":
					bad = append(bad, fmt.Sprintf("route %s offered to %s after %s took it", inv.id, ev.Party, inv.taken))
				}
				inv.offers = append(inv.offers, mOffer{id: ev.Invitation(), agent: ev.Party})
				w.offerOf[ev.Invitation()] = ev.Route
				w.pending[ev.Invitation()] = true
				r.offered++
				continue
			}
			inv := w.invs[w.offerOf[ev.Invitation()]]
			if inv == nil {
				continue
			}
			r := get(inv.id, inv)
			w.pending[ev.Invitation()] = ev.To == string(interaction.LegInviting) || ev.To == string(interaction.RequestPending)
			switch {
			case ev.To == string(interaction.LegActive) || ev.To == string(interaction.RequestAccepted):
				if inv.taken != "" {
					bad = append(bad, fmt.Sprintf("route %s taken twice: %s, then %s", inv.id, inv.taken, ev.Invitation()))
				}
				inv.taken = ev.Invitation()
			case ev.To == string(interaction.LegDeclined) || ev.To == string(interaction.RequestDeclined),
				ev.To == string(interaction.LegTimedOut) || ev.To == string(interaction.RequestTimedOut):
				r.failed = true
			case (ev.To == string(interaction.LegCancelled) || ev.To == string(interaction.RequestCancelled)) && ev.Actor == interaction.System:
				r.failed = true // rescinded: routing took it back
			}
		case interaction.EventMessage:
			if ev.Kind == interaction.KindNotice && string(ev.Trigger) == interaction.NoticeNotPlaced.String() {
				told[ev.Scope.Party] = true
			}
		}
	}
	for id, r := range rounds {
		inv := w.invs[id]
		r.notPlaced = r.failed && told[inv.owner]
		if inv.taken != "" {
			if n := w.out(inv); n > 0 {
				bad = append(bad, fmt.Sprintf("route %s taken by %s with %d offers still out", id, inv.taken, n))
			}
			continue
		}
		want := min(w.fanOut, r.candidates)
		switch {
		case r.fresh && (r.offered < 1 || r.offered > want):
			bad = append(bad, fmt.Sprintf("route %s first offered to %d agents, want 1 to %d (fan-out %d, %d candidates)", id, r.offered, want, w.fanOut, r.candidates))
		case r.offered > 0 && !r.fresh && !(r.failed && w.out(inv) == r.offered):
			bad = append(bad, fmt.Sprintf("route %s offered on to %d agents while %d offers were out", id, r.offered, w.out(inv)-r.offered))
		case r.offered > want:
			bad = append(bad, fmt.Sprintf("route %s offered on to %d agents, want at most %d (fan-out %d, %d candidates)", id, r.offered, want, w.fanOut, r.candidates))
		case r.failed && w.out(inv) == 0 && w.canAsk(inv.owner) && !r.notPlaced:
			bad = append(bad, fmt.Sprintf("route %s: its last offer failed, and it was neither offered on nor the owner told (%d candidates)", id, r.candidates))
		case r.notPlaced && r.offered > 0:
			bad = append(bad, fmt.Sprintf("route %s: offered on to %d agents and the owner told nobody is left", id, r.offered))
		}
	}
	return bad
}

// witnessRoutes feeds the witness of each interaction the batches of the
// last step (simulations with routed invitations only).
func (s *Simulator) witnessRoutes() {
	if s.m.dir == nil {
		return
	}
	if s.routes == nil {
		s.routes = map[interaction.ID]*routeWitness{}
	}
	for _, b := range s.rec.batches {
		id := b[0].Interaction
		w := s.routes[id]
		if w == nil {
			w = newRouteWitness(s.agents, simFanOut)
			s.routes[id] = w
		}
		for start := 0; start < len(b); {
			end := start + 1
			for end < len(b) && b[end].Cause == b[start].Cause {
				end++
			}
			for _, d := range w.command(b[start:end]) {
				s.res.Violations = append(s.res.Violations, Violation{Rule: "R-X1", Invariant: InvRoute, Version: b[start].Version, Detail: string(id) + ": " + d})
			}
			start = end
		}
	}
}
