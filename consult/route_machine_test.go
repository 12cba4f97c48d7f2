package consult_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// R-X1: who may offer a routed invitation on, and who is told that
// another agent accepted it first, is the table of RouteMachine, whose
// state is read from the route's offers and never recorded: each refusal
// has the kind, rule and guard the table declares, and nothing is written.
func TestRX1RoutedInvitationRefusalsComeFromTheRouteMachine(t *testing.T) {
	m := &interaction.RouteMachine.Chart
	offerOn, ok := m.Firers(interaction.TriggerOfferOn)
	require.True(t, ok)
	require.Equal(t, interaction.BySystem, offerOn.By, "only routing offers an invitation on")
	accept, ok := m.Firers(interaction.TriggerAccept)
	require.True(t, ok)
	require.Equal(t, interaction.ByInvitee, accept.By, "the agent offered accepts its offer")
	first := guardNamed(t, m, string(interaction.RouteTaken), interaction.TriggerAccept, "no other offer was accepted first")

	d := newDesk(t)
	route := func() interaction.RouteState { return interaction.RouteStateOf(d.state().Route("rt")) }
	do := func(actor interaction.PartyID, c interaction.Command) error {
		_, err := d.chats.Do(ctx, d.id, actor, c)
		return err
	}
	assert.Equal(t, interaction.RouteNone, route())
	require.NoError(t, do("agent1", consult.Start{Leg: "l2", Target: skill("billing"), Invitee: "agent2", Route: "rt"}))
	require.NoError(t, do("agent1", consult.Start{Leg: "l3", Target: skill("billing"), Invitee: "agent3", Route: "rt"}))
	assert.Equal(t, interaction.RouteOut, route(), "a fan-out of two offers")
	require.NoError(t, do("agent3", consult.Accept{Leg: "l3"}))
	assert.Equal(t, interaction.RouteTaken, route(), "the first accept takes it, and rescinds l2")

	cases := []struct {
		name        string
		actor       interaction.PartyID
		cmd         interaction.Command
		kind        error
		rule, guard string
		detail      string
	}{
		// Refused from the table's firers before the invitation is looked
		// up: one that exists and one that does not read the same.
		{"the owner offering on", "agent1", consult.Reroute{Invitation: "l2", Reason: consult.RerouteTimedOut},
			interaction.ErrNotPermitted, offerOn.Rule, "", "only the system may offer on a routed invitation"},
		{"an agent offering on an unknown invitation", "agent3", consult.Reroute{Invitation: "nope", Reason: consult.RerouteTimedOut},
			interaction.ErrNotPermitted, offerOn.Rule, "", "only the system may offer on a routed invitation"},
		// The agent of the rescinded offer is told by the guard.
		{"the second accept", "agent2", consult.Accept{Leg: "l2"}, first.Kind, first.Rule, first.Name, first.Detail},
		{"the second accept, as an offer", "agent2", consult.AcceptOffer{Invitation: "l2"}, first.Kind, first.Rule, first.Name, first.Detail},
		// Anyone else is no firer of the route's accept: the leg machine
		// refuses it, as before, and says nothing of the route.
		{"the owner accepting the rescinded offer", "agent1", consult.Accept{Leg: "l2"},
			interaction.ErrNotPermitted, interaction.LegMachine.Rule(interaction.TriggerAccept), "", "only the invitee may accept a leg"},
	}
	for _, c := range cases {
		before := d.state().Version
		err := do(c.actor, c.cmd)
		assertRefusal(t, err, c.kind, c.rule, c.guard, c.name)
		var e *interaction.Error
		if errors.As(err, &e) {
			assert.Equal(t, c.detail, e.Detail, "%s: the text", c.name)
		}
		assert.Equal(t, before, d.state().Version, "%s: nothing written", c.name)
	}
	assert.Equal(t, "another agent accepted this invitation first", first.Detail, "the wording of the hand check it replaced")
}

// R-X1: the same for a routed direct request: the second accept is
// refused by the route machine's guard.
func TestRX1SecondAcceptOfARoutedRequestIsRefusedByTheRouteMachine(t *testing.T) {
	d := newDesk(t)
	first := guardNamed(t, &interaction.RouteMachine.Chart, string(interaction.RouteTaken), interaction.TriggerAccept, "no other offer was accepted first")
	for _, c := range []struct {
		actor interaction.PartyID
		cmd   interaction.Command
	}{
		{"agent1", consult.Direct{Request: "r2", Kind: interaction.RequestConference, Target: skill("billing"), Invitee: "agent2", Route: "rt"}},
		{"agent1", consult.Direct{Request: "r3", Kind: interaction.RequestConference, Target: skill("billing"), Invitee: "agent3", Route: "rt"}},
		{"agent3", consult.AcceptRequest{Request: "r3"}},
	} {
		_, err := d.chats.Do(ctx, d.id, c.actor, c.cmd)
		require.NoError(t, err)
	}
	_, err := d.chats.Do(ctx, d.id, "agent2", consult.AcceptRequest{Request: "r2"})
	assert.ErrorIs(t, err, first.Kind)
	var e *interaction.Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, first.Rule, e.Rule)
	assert.Equal(t, first.Name, e.Guard)
}

// R-X1, R-X6: the commands that decide on a routed invitation compare no
// actor by hand: who may fire is the table's.
func TestRX1RouteCommandsHoldNoActorComparison(t *testing.T) {
	fset := token.NewFileSet()
	decides := map[string]bool{"Reroute": false, "Accept": false, "AcceptRequest": false, "AcceptOffer": false}
	for _, file := range []string{"redirect.go", "commands.go"} {
		f, err := parser.ParseFile(fset, file, nil, 0)
		require.NoError(t, err)
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok {
				continue
			}
			assert.NotEqual(t, "takenByAnother", fn.Name.Name, "the hand check is gone")
			if fn.Recv == nil || fn.Name.Name != "Decide" && fn.Name.Name != "offerOn" {
				continue
			}
			recv := ast.Expr(fn.Recv.List[0].Type)
			if s, ok := recv.(*ast.StarExpr); ok {
				recv = s.X
			}
			id, ok := recv.(*ast.Ident)
			if _, known := decides[id.Name]; !ok || !known {
				continue
			}
			decides[id.Name] = true
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				b, ok := n.(*ast.BinaryExpr)
				if ok && (b.Op == token.EQL || b.Op == token.NEQ) && (isActor(b.X) || isActor(b.Y)) {
					t.Errorf("%s: %s.%s compares d.Actor()", fset.Position(b.Pos()), id.Name, fn.Name.Name)
				}
				return true
			})
		}
	}
	for name, seen := range decides {
		assert.True(t, seen, "%s.Decide found", name)
	}
}

func isActor(e ast.Expr) bool {
	if c, ok := e.(*ast.CallExpr); ok {
		e = c.Fun // d.Actor()
	}
	s, ok := e.(*ast.SelectorExpr)
	return ok && s.Sel.Name == "Actor"
}
