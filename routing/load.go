package routing

import (
	"context"
	"slices"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// Holding is what one agent holds in one interaction, or over all of them.
type Holding struct {
	// Load: units the agent is in now.
	Load Units
	// Reserved: units kept for invitations it has not answered yet.
	Reserved Units
}

// Busy is Load + Reserved for medium m.
func (h Holding) Busy(m interaction.Medium) int { return h.Load.Of(m) + h.Reserved.Of(m) }

func (h Holding) isZero() bool { return h == Holding{} }

func (h Holding) plus(o Holding, sign int) Holding {
	for m := 0; m < media; m++ {
		h.Load[m] += sign * o.Load[m]
		h.Reserved[m] += sign * o.Reserved[m]
	}
	return h
}

// Holdings is what each agent of an interaction holds in it, derived from
// the interaction's state alone. This is the rule for capacity:
//
//   - An owner or conference member occupies one chat unit from the moment
//     it joins until its membership ends (it leaves, is removed or marks
//     the interaction done): after the session with the contact ends, the
//     wrap-up still occupies it until the agent marks done.
//   - The target of an active consultation occupies one unit of the leg's
//     medium (chat, IM or voice) while the leg is active. The owner's side
//     of a consultation costs nothing more: it is part of handling the
//     chat the owner already occupies.
//   - An invitation reserves what accepting it would occupy, from the
//     moment it is written until it is answered or withdrawn: a chat offer
//     or a direct transfer or conference request reserves one chat unit, a
//     consultation one unit of its medium, and a conference or transfer
//     request made from an IM or voice consultation one chat unit (from a
//     chat consultation it costs nothing more: the chat unit carries over).
//
// So accepting never takes an agent past its capacity: what it occupies
// afterwards was reserved before.
func Holdings(st *interaction.State) map[interaction.PartyID]Holding {
	out := map[interaction.PartyID]Holding{}
	add := func(p interaction.PartyID, m interaction.Medium, reserved bool) {
		h := out[p]
		if reserved {
			h.Reserved[m]++
		} else {
			h.Load[m]++
		}
		out[p] = h
	}
	for i := range st.Parties {
		p := &st.Parties[i]
		if !p.Role.Engaged() {
			continue
		}
		switch p.Membership {
		case interaction.MemberJoined:
			add(p.ID, interaction.MediumChat, false)
		case interaction.MemberInvited:
			add(p.ID, interaction.MediumChat, true)
		}
	}
	for i := range st.Legs {
		l := &st.Legs[i]
		switch l.State {
		case interaction.LegInviting:
			add(l.Invitee, l.Medium, true)
		case interaction.LegActive:
			if q := st.Party(l.Invitee); q != nil && q.Present() && q.Role == interaction.RoleConsultant {
				add(l.Invitee, l.Medium, false)
			}
		}
	}
	for i := range st.Requests {
		r := &st.Requests[i]
		if r.State != interaction.RequestPending || r.Via == "" {
			continue
		}
		if l := st.Leg(r.Via); l != nil && l.Medium != interaction.MediumChat {
			add(r.Invitee, interaction.MediumChat, true)
		}
	}
	return out
}

// Notify implements interaction.Notifier: it keeps every agent's load and
// reservations in step with the committed events, and follows each
// invitation's state. It derives what each agent holds in the interaction
// from the state after the events (Holdings) and applies the difference to
// what it counted before, so its figures stay exact whatever the events
// were, and an interaction it first hears of mid-stream is counted whole.
func (d *Directory) Notify(ctx context.Context, st *interaction.State, events []interaction.Event) {
	if st == nil || !changesWork(events) {
		return
	}
	if d.shared != nil {
		d.notifyShared(ctx, st, events)
		return
	}
	hs := Holdings(st)
	d.mu.Lock()
	if !d.countLocal(st, hs, events[len(events)-1].Time) {
		d.mu.Unlock()
		return // already counted
	}
	changed := d.track(st.ID, events)
	observer, forward := d.observer, d.forward
	d.mu.Unlock()
	if observer != nil {
		for _, inv := range changed {
			observer(inv)
		}
	}
	for _, n := range forward {
		n.Notify(ctx, st, events)
	}
}

// ForwardTo hands every batch of events the Directory counts on to n, once
// counted and outside the Directory's lock: batches that change someone's
// work, not messages alone. n runs on the goroutine that committed the
// events, while the interaction.Service holds the interaction, so it must
// not run commands on it synchronously. consult.New calls it (see
// consult.Forwarder), so that its Service hears of every invitation that
// ends, whatever command ended it, and stops its time-out.
func (d *Directory) ForwardTo(n interaction.Notifier) {
	d.mu.Lock()
	d.forward = append(slices.Clip(d.forward), n) // a Notify under way keeps the slice it read
	d.mu.Unlock()
}

// changesWork reports whether the events can change what anyone holds or
// is invited to: messages, the bulk of a chat, cannot.
func changesWork(events []interaction.Event) bool {
	for i := range events {
		if events[i].Type != interaction.EventMessage {
			return true
		}
	}
	return false
}

// Sync counts an interaction from its state alone, for a Directory that
// starts while interactions are under way (after a restart): call it once
// for each interaction that is not closed, before routing. The Store lists
// those (interaction.OpenLister), so a restarted process runs
//
//	chats.Recover(ctx, dir.Sync, tracker.Sync, desk.Sync)
//
// and reads the open interactions only, not the log. It counts the load
// and reservations and follows the pending invitations (consultation legs,
// requests and chat offers) as if it had heard their offers. A chat
// offer's Offered time is not in the state: it stays zero. Calling Sync
// again with a state already counted changes nothing. The agents
// themselves (Put, SetPresence) are the embedding service's configuration
// and the desks' state, not the interactions': register them again.
func (d *Directory) Sync(st *interaction.State) {
	if st == nil || st.Version == 0 {
		return
	}
	if d.shared != nil {
		if err := d.SyncContext(context.Background(), st); err != nil {
			d.shared.onError(err)
		}
		return
	}
	hs := Holdings(st)
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.countLocal(st, hs, d.clock.Now()) {
		return
	}
	d.resumeAll(st)
}

// resumeAll follows the pending invitations of a state. Called with d.mu held.
func (d *Directory) resumeAll(st *interaction.State) {
	for _, l := range st.Legs {
		if l.State == interaction.LegInviting {
			d.resume(invitationKey{interaction: st.ID, id: interaction.InvitationID(l.ID)}, Invitation{Interaction: st.ID, ID: interaction.InvitationID(l.ID), Kind: InviteConsultation,
				Invitee: l.Invitee, Owner: l.Owner, Target: l.Target, Medium: l.Medium, Offered: l.Started})
		}
	}
	for _, r := range st.Requests {
		if r.State == interaction.RequestPending {
			kind := InviteConference
			if r.Kind == interaction.RequestTransfer {
				kind = InviteTransfer
			}
			d.resume(invitationKey{interaction: st.ID, id: interaction.InvitationID(r.ID)}, Invitation{Interaction: st.ID, ID: interaction.InvitationID(r.ID), Kind: kind,
				Invitee: r.Invitee, Owner: r.Owner, Target: r.Target, Medium: interaction.MediumChat, Offered: r.Started})
		}
	}
	if st.Status == interaction.StatusWaiting {
		for _, p := range st.Parties {
			if p.Role == interaction.RoleOwner && p.Membership == interaction.MemberInvited {
				d.resume(invitationKey{interaction: st.ID, agent: p.ID}, Invitation{Interaction: st.ID, Kind: InviteChat,
					Invitee: p.ID, Owner: interaction.System, Target: interaction.Target{Kind: interaction.TargetAgent, ID: string(p.ID)},
					Medium: interaction.MediumChat})
			}
		}
	}
}

// resume follows a pending invitation found in a state.
func (d *Directory) resume(k invitationKey, inv Invitation) {
	if _, ok := d.invitations.pending[k]; ok {
		return
	}
	inv.State = InvitationPending
	d.invitations.open(k, &inv)
}

// countLocal applies an interaction's holdings hs (at state st, event time now)
// to the totals, once per version. Called with d.mu held; false when that
// version was counted already.
func (d *Directory) countLocal(st *interaction.State, hs map[interaction.PartyID]Holding, now time.Time) bool {
	rec := d.interactions[st.ID]
	if rec != nil && st.Version <= rec.version {
		return false
	}
	var old map[interaction.PartyID]Holding
	if rec != nil {
		old = rec.holdings
	}
	for p, h := range hs {
		if o := old[p]; o != h {
			d.shift(p, o, h, now)
		}
	}
	for p, o := range old {
		if _, ok := hs[p]; !ok {
			d.shift(p, o, Holding{}, now)
		}
	}
	if len(hs) == 0 {
		delete(d.interactions, st.ID)
	} else {
		d.interactions[st.ID] = &interactionRecord{version: st.Version, holdings: hs}
	}
	return true
}

// shift moves party p's totals from holding o to holding h in one
// interaction. Units that grew consume the holds made when the agent was
// picked: the reservation now counts them.
func (d *Directory) shift(p interaction.PartyID, o, h Holding, now time.Time) {
	w := d.work[p].plus(h, 1).plus(o, -1)
	if w.isZero() {
		delete(d.work, p)
	} else {
		d.work[p] = w
	}
	r := d.agents[p]
	if r == nil {
		return
	}
	r.status.Load, r.status.Reserved = w.Load, w.Reserved
	for m := 0; m < media; m++ {
		if grew := h.Busy(interaction.Medium(m)) - o.Busy(interaction.Medium(m)); grew > 0 {
			d.consumeHolds(r, interaction.Medium(m), grew)
		}
	}
	r.status.IdleSince = now
	d.reindex(r)
}
