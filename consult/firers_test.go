package consult_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// R-X6: who may fire each transition of the leg and request machines is
// declared once, with the tables (interaction.LegMachine, RequestMachine:
// owner, target, system; never the contact), and the commands ask the
// table: every command on a leg or request is refused with ErrNotPermitted
// exactly when the table says its actor may not fire that transition,
// unless the actor is not shown the leg or request: then it is refused as
// if there were none (ErrNotFound, R-X6: it learns nothing of which
// exist). The system acts through its own commands (TimeOut,
// TimeOutRequest, Reroute); on a party's command it is no party, which is
// bad input.
func TestRX6CommandsAskTheTablesWhoMayFire(t *testing.T) {
	type target struct {
		owner, agent interaction.PartyID
		other        interaction.PartyID // a party of the chat that is neither
	}
	leg1 := target{"agent1", "agent2", "agent4"}
	leg3 := target{"agent1", "agent3", "agent4"}
	r4 := target{"agent1", "agent4", "agent3"}
	cases := []struct {
		machine *interaction.Chart
		event   interaction.Trigger
		on      target
		cmd     func(leg1, leg3 interaction.LegID, r1, r4 interaction.RequestID) interaction.Command
	}{
		{&interaction.LegMachine.Chart, "accept", leg3, func(_, l3 interaction.LegID, _, _ interaction.RequestID) interaction.Command {
			return consult.Accept{Leg: l3}
		}},
		{&interaction.LegMachine.Chart, "decline", leg3, func(_, l3 interaction.LegID, _, _ interaction.RequestID) interaction.Command {
			return consult.Decline{Leg: l3}
		}},
		{&interaction.LegMachine.Chart, "cancel", leg3, func(_, l3 interaction.LegID, _, _ interaction.RequestID) interaction.Command {
			return consult.Cancel{Leg: l3}
		}},
		{&interaction.LegMachine.Chart, "time_out", leg3, func(_, l3 interaction.LegID, _, _ interaction.RequestID) interaction.Command {
			return consult.TimeOut{Leg: l3}
		}},
		{&interaction.LegMachine.Chart, "end", leg1, func(l1, _ interaction.LegID, _, _ interaction.RequestID) interaction.Command {
			return consult.EndConsultation{Leg: l1}
		}},
		{&interaction.LegMachine.Chart, "transfer", leg1, func(l1, _ interaction.LegID, _, _ interaction.RequestID) interaction.Command {
			return consult.Transfer{Leg: l1}
		}},
		{&interaction.RequestMachine.Chart, "request", leg1, func(l1, _ interaction.LegID, _, _ interaction.RequestID) interaction.Command {
			return consult.Conference{Leg: l1, Request: "r9"}
		}},
		{&interaction.RequestMachine.Chart, "accept", r4, func(_, _ interaction.LegID, _, r interaction.RequestID) interaction.Command {
			return consult.AcceptRequest{Request: r}
		}},
		{&interaction.RequestMachine.Chart, "decline", r4, func(_, _ interaction.LegID, _, r interaction.RequestID) interaction.Command {
			return consult.DeclineRequest{Request: r}
		}},
		{&interaction.RequestMachine.Chart, "cancel", r4, func(_, _ interaction.LegID, _, r interaction.RequestID) interaction.Command {
			return consult.CancelRequest{Request: r}
		}},
		{&interaction.RequestMachine.Chart, "time_out", r4, func(_, _ interaction.LegID, _, r interaction.RequestID) interaction.Command {
			return consult.TimeOutRequest{Request: r}
		}},
	}
	for _, c := range cases {
		for _, actor := range []interaction.PartyID{c.on.owner, c.on.agent, c.on.other, "contact", interaction.System} {
			d, leg1, leg3, r1, r4 := badInputDesk(t)
			cmd := c.cmd(leg1, leg3, r1, r4)
			_, err := d.chats.Do(ctx, d.id, actor, cmd)
			may := c.machine.MayFire(c.event, interaction.FirerOf(actor, c.on.owner, c.on.agent))
			name := c.machine.Name + " " + string(c.event) + " by " + string(actor)
			systemOwn := c.event == "time_out"
			st := d.state()
			shown := st.ShowsLeg(actor, leg3)
			switch c.on.agent {
			case "agent2":
				shown = st.ShowsLeg(actor, leg1)
			case "agent4":
				shown = st.ShowsRequest(actor, r4)
			}
			ownerFirst := c.event == "request" || c.event == "transfer" // those check the chat's owner first
			switch {
			case actor == interaction.System && !systemOwn:
				assert.ErrorIs(t, err, interaction.ErrBadInput, "%s: the system is no party", name)
			case !may && !shown && !systemOwn && !ownerFirst:
				assert.ErrorIs(t, err, interaction.ErrNotFound, "%s: not shown it, refused as if there were none", name)
			case may:
				assert.False(t, errors.Is(err, interaction.ErrNotPermitted), "%s: the table lets it: %v", name, err)
			default:
				assert.ErrorIs(t, err, interaction.ErrNotPermitted, "%s: the table does not let it", name)
				var e *interaction.Error
				if errors.As(err, &e) {
					p, _ := c.machine.Firers(c.event)
					if !ownerFirst {
						assert.Equal(t, p.Rule, e.Rule, "%s: the table's rule", name)
					}
				}
			}
			if actor == "contact" {
				assert.False(t, may, "%s: the contact never fires a leg or request transition", name)
			}
		}
	}
}

func TestRX6TablesDeclareWhoFiresEveryLegAndRequestTransition(t *testing.T) {
	for _, m := range []*interaction.Chart{&interaction.LegMachine.Chart, &interaction.RequestMachine.Chart} {
		for _, e := range m.Triggers() {
			p, ok := m.Firers(e)
			assert.True(t, ok, "%s %s: declared", m.Name, e)
			assert.NotZero(t, p.By&^interaction.ByCascade, "%s %s: someone fires it by a command", m.Name, e)
			assert.NotEmpty(t, p.Rule, "%s %s: a rule says so", m.Name, e)
		}
	}
	_, ok := interaction.InteractionMachine.Firers("end")
	assert.False(t, ok, "the other machines do not declare firers")
	assert.True(t, interaction.InteractionMachine.MayFire("end", 0))
}
