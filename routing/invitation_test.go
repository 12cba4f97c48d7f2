package routing_test

import (
	"flag"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/internal/machinedoc"
	"github.com/chatconsult/chatconsult/routing"
)

var update = flag.Bool("update", false, "rewrite docs/routing-machine.md")

const diagramPath = "../docs/routing-machine.md"

func renderDiagram() string {
	return machinedoc.Document("Routing state machine",
		"Generated from the table in `routing/invitation.go` by `go test ./routing -run TestRoutingDiagramMatchesDocs -update`;\n"+
			"that test fails when this file and the code disagree. Package `routing` (doc.go) says how each\n"+
			"leg, request and chat-offer event maps onto it.\n",
		routing.Machines()...)
}

func TestRoutingDiagramMatchesDocs(t *testing.T) {
	want := renderDiagram()
	if *update {
		require.NoError(t, os.WriteFile(diagramPath, []byte(want), 0o644))
	}
	got, err := os.ReadFile(diagramPath)
	require.NoError(t, err, "run go test ./routing -run TestRoutingDiagramMatchesDocs -update")
	assert.Equal(t, want, string(got), "docs/routing-machine.md drifted from the table: rerun with -update")
}

// R-X1: an invitation ends in exactly one outcome: pending has one way out
// per outcome and every outcome is final.
func TestRX1InvitationEndsInExactlyOneOutcome(t *testing.T) {
	m := routing.InvitationMachine
	outcomes := []routing.InvitationState{routing.InvitationAccepted, routing.InvitationDeclined, routing.InvitationTimedOut,
		routing.InvitationCancelled, routing.InvitationRescinded}
	var terminal []routing.InvitationState
	for _, s := range m.Terminal() {
		terminal = append(terminal, routing.InvitationState(s))
	}
	assert.ElementsMatch(t, outcomes, terminal)
	for _, e := range m.Triggers() {
		to, err := m.Fire(routing.InvitationPending, e)
		if e == "offer" {
			assert.ErrorIs(t, err, interaction.ErrInvalidTransition)
			continue
		}
		require.NoError(t, err)
		assert.Contains(t, outcomes, to)
		for _, e2 := range m.Triggers() {
			_, err := m.Fire(to, e2)
			assert.ErrorIs(t, err, interaction.ErrInvalidTransition, "%s is final", to)
		}
	}
}

// Every way an invitation ends is told apart from the events.
func TestRX1InvitationOutcomesFollowTheEvents(t *testing.T) {
	var log []routing.Invitation
	d := newDesk(t, routing.WithInvitationObserver(func(inv routing.Invitation) { log = append(log, inv) }))
	for _, id := range []interaction.PartyID{"owner", "a1", "a2", "a3", "a4"} {
		d.agent(routing.Agent{ID: id})
	}
	// A chat offered to two agents at once: the first to join wins, the
	// other offer is rescinded.
	id, err := d.chats.Open(ctx, "contact", "Hi")
	require.NoError(t, err)
	require.NoError(t, d.chats.Assign(ctx, id, interaction.System, "a4"))
	require.NoError(t, d.chats.Assign(ctx, id, interaction.System, "owner"))
	assert.Equal(t, 1, d.status("a4").Reserved.Of(interaction.MediumChat))
	require.NoError(t, d.chats.Join(ctx, id, "owner"))
	assert.Zero(t, d.status("a4").Reserved.Total())

	accepted, err := d.svc.Start(ctx, id, "owner", named("a1"), interaction.MediumChat)
	require.NoError(t, err)
	require.NoError(t, d.svc.Accept(ctx, id, "a1", accepted))
	declined, err := d.svc.Start(ctx, id, "owner", named("a2"), interaction.MediumIM)
	require.NoError(t, err)
	require.NoError(t, d.svc.Decline(ctx, id, "a2", declined))
	cancelled, err := d.svc.Start(ctx, id, "owner", named("a3"), interaction.MediumVoice)
	require.NoError(t, err)
	require.NoError(t, d.svc.Cancel(ctx, id, "owner", cancelled))
	timedOut, err := d.svc.Start(ctx, id, "owner", named("a2"), interaction.MediumChat)
	require.NoError(t, err)
	d.clock.Advance(timeout)
	req, err := d.svc.ConferenceWith(ctx, id, "owner", named("a3"))
	require.NoError(t, err)
	require.NoError(t, d.svc.AcceptRequest(ctx, id, "a3", req))

	type outcome struct {
		kind  routing.InvitationKind
		agent interaction.PartyID
		state routing.InvitationState
	}
	var got []outcome
	for _, inv := range log {
		if inv.State != routing.InvitationPending {
			got = append(got, outcome{inv.Kind, inv.Invitee, inv.State})
			assert.False(t, inv.Answered.Before(inv.Offered))
		}
	}
	assert.Equal(t, []outcome{
		{routing.InviteChat, "owner", routing.InvitationAccepted},
		{routing.InviteChat, "a4", routing.InvitationRescinded},
		{routing.InviteConsultation, "a1", routing.InvitationAccepted},
		{routing.InviteConsultation, "a2", routing.InvitationDeclined},
		{routing.InviteConsultation, "a3", routing.InvitationCancelled},
		{routing.InviteConsultation, "a2", routing.InvitationTimedOut},
		{routing.InviteConference, "a3", routing.InvitationAccepted},
	}, got)
	_ = timedOut
	for _, a := range []interaction.PartyID{"owner", "a1", "a2", "a3", "a4"} {
		assert.Empty(t, d.dir.Invitations(a))
	}
	d.inStep(id)
}
