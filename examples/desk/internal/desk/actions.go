package desk

import "github.com/chatconsult/chatconsult/interaction"

// actionsFor lists the buttons party may press now. It offers what the
// library would accept in this state; the library still decides.
func actionsFor(st *interaction.State, party interaction.PartyID) []Action {
	me := st.Party(party)
	if me == nil {
		return nil
	}
	active := st.Status == interaction.StatusActive
	if party == Contact {
		if me.Present() {
			return []Action{{Action: "end", Label: "End chat"}}
		}
		return nil
	}
	var out []Action
	if me.Role == interaction.RoleOwner && me.Membership == interaction.MemberInvited {
		out = append(out, Action{Action: "accept-chat", Label: "Accept chat", Primary: true})
	}
	for _, l := range st.Legs {
		out = append(out, legActions(st, me, l)...)
	}
	for _, r := range st.Requests {
		if r.State != interaction.RequestPending {
			continue
		}
		switch party {
		case r.Invitee:
			out = append(out,
				Action{Action: "accept-request", Label: "Accept " + r.Kind.String(), Leg: r.ID, Primary: true},
				Action{Action: "decline-request", Label: "Decline " + r.Kind.String(), Leg: r.ID})
		case r.Owner:
			out = append(out, Action{Action: "cancel-request", Label: "Cancel " + r.Kind.String() + " request", Leg: r.ID})
		}
	}
	owner := me.Role == interaction.RoleOwner && me.Present() && active
	if owner {
		for _, a := range Agents {
			if q := st.Party(a); a != party && (q == nil || !q.Present() && q.Membership != interaction.MemberInvited) {
				out = append(out, Action{Action: "consult", Label: "Consult " + string(a), Target: a, Medium: true})
			}
		}
		for _, q := range st.Parties {
			if q.Role == interaction.RoleMember && q.Present() {
				out = append(out, Action{Action: "remove", Label: "Remove " + string(q.ID), Target: q.ID})
			}
		}
	}
	if me.Present() && me.Role.Engaged() && active {
		out = append(out, Action{Action: "end", Label: "End my session"})
	}
	over := !me.Present() || st.Status == interaction.StatusEnded
	if me.TookPart && me.Membership != interaction.MemberDone && over && st.Status != interaction.StatusClosed {
		out = append(out, Action{Action: "done", Label: "Mark done", Primary: true})
	}
	return out
}

// legActions are the buttons of one consultation for one of its agents.
func legActions(st *interaction.State, me *interaction.Party, l interaction.Leg) []Action {
	if l.Owner != me.ID && l.Invitee != me.ID {
		return nil
	}
	other := l.Invitee
	if me.ID == l.Invitee {
		other = l.Owner
	}
	switch {
	case l.State == interaction.LegInviting && me.ID == l.Invitee:
		return []Action{
			{Action: "accept", Label: "Accept " + l.Medium.String() + " consultation", Leg: l.ID, Primary: true},
			{Action: "decline", Label: "Decline consultation", Leg: l.ID},
		}
	case l.State == interaction.LegInviting:
		return []Action{{Action: "cancel", Label: "Cancel invitation to " + string(other), Leg: l.ID}}
	case l.State != interaction.LegActive:
		return nil
	}
	out := []Action{{Action: "end-consultation", Label: "End consultation", Leg: l.ID}}
	if me.ID == l.Owner && me.Role == interaction.RoleOwner && me.Present() && st.Status == interaction.StatusActive && !requestPendingVia(st, l.ID) {
		out = append(out,
			Action{Action: "transfer", Label: "Transfer to " + string(other), Leg: l.ID},
			Action{Action: "conference", Label: "Conference with " + string(other), Leg: l.ID})
	}
	return out
}

func requestPendingVia(st *interaction.State, leg interaction.LegID) bool {
	for _, r := range st.Requests {
		if r.Via == leg && r.State == interaction.RequestPending {
			return true
		}
	}
	return false
}
