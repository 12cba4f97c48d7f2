package consult_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// R-X6, R-X7, R-F5, R-X1: the side conditions the commands checked by
// hand until they were guards: a read receipt by a party that left, who
// may supervise (not the system, not a party in another role, not one
// that barged in), whom the owner may remove (a member who left), and the
// rivals an accept names. Each is refused with the kind, rule and guard
// its table declares, in the words of the check it replaced, and nothing
// is written. Routing's report that an offer was declined is checked
// against the offer's table (Decision.CheckAnswered).
func TestSideConditionsAreTheTables(t *testing.T) {
	chat := &interaction.ChatMessageMachine.Chart
	role := &interaction.RoleMachine.Chart
	mem := &interaction.MembershipMachine.Chart
	route := &interaction.RouteMachine.Chart
	sup := string(interaction.RoleSupervisor.String())
	inChat := guardNamed(t, chat, string(interaction.StatusEnded), interaction.TriggerRead, "the party is in the chat")
	notSystem := guardNamed(t, role, sup, interaction.TriggerMonitor, "the actor is not the system")
	supervisorOrNew := guardNamed(t, role, sup, interaction.TriggerBargeIn, "the actor supervises here, or is new to the interaction")
	notBargedIn := guardNamed(t, role, sup, interaction.TriggerCoach, "the supervisor has not barged in")
	removable := guardNamed(t, mem, string(interaction.MemberJoined), interaction.TriggerRemove, "the party removed is another conference member in the chat")
	rivals := guardNamed(t, route, string(interaction.RouteOut), interaction.TriggerAccept, "the rivals named are offers of the same invitation")
	for _, g := range []interaction.Guard{inChat, notSystem, supervisorOrNew, notBargedIn, removable, rivals} {
		assert.True(t, g.First, "%s: checked before the state", g.Name)
	}

	d := newExtrasDesk(t)
	// A conference member who leaves, a supervisor who barges in.
	d.do("agent1", consult.Start{Leg: "leg-a", Target: agent("agent2"), Invitee: "agent2"})
	d.do("agent2", consult.Accept{Leg: "leg-a"})
	d.do("agent1", consult.Conference{Leg: "leg-a", Request: "r-a"})
	d.do("agent2", consult.AcceptRequest{Request: "r-a"})
	d.do("agent2", interaction.Leave{})
	d.do("sup1", interaction.Monitor{Agent: "agent1"})
	d.do("sup1", interaction.BargeIn{})
	// A routed invitation of two offers to an agent consulted before, and
	// a named one.
	d.do("agent1", consult.Start{Leg: "l0", Target: agent("agent3"), Invitee: "agent3"})
	d.do("agent3", consult.Accept{Leg: "l0"})
	d.do("agent3", consult.EndConsultation{Leg: "l0"})
	d.do("agent1", consult.Start{Leg: "l3", Target: skill("billing"), Invitee: "agent3", Route: "rt"})
	d.do("agent1", consult.Start{Leg: "l4", Target: skill("billing"), Invitee: "agent4", Route: "rt"})
	d.do("agent1", consult.Start{Leg: "l5", Target: agent("agent5"), Invitee: "agent5"})
	d.do("agent1", consult.Start{Leg: "l6", Target: skill("billing"), Invitee: "agent6", Route: "rt6"})
	d.do("agent5", consult.Accept{Leg: "l5"})

	refusedAsDeclared(t, d, "a conference member that left marks read", "agent2", interaction.MarkRead{Seq: 1}, inChat, "party is left, not in the chat")
	refusedAsDeclared(t, d, "the system monitors", interaction.System, interaction.Monitor{Agent: "agent1"}, notSystem, "the system does not supervise")
	refusedAsDeclared(t, d, "the system barges in", interaction.System, interaction.BargeIn{}, notSystem, "the system does not supervise")
	refusedAsDeclared(t, d, "the owner monitors", "agent1", interaction.Monitor{Agent: "agent1"}, supervisorOrNew, "already a owner of this interaction")
	refusedAsDeclared(t, d, "the contact barges in", "contact", interaction.BargeIn{}, supervisorOrNew, "already a contact of this interaction")
	refusedAsDeclared(t, d, "a consultation target coaches", "agent5", interaction.Coach{Agent: "agent1"}, supervisorOrNew, "already a consultant of this interaction")
	refusedAsDeclared(t, d, "a supervisor that barged in coaches", "sup1", interaction.Coach{Agent: "agent1", Text: "psst"}, notBargedIn, "barged in: a member writes to everyone")
	refusedAsDeclared(t, d, "a supervisor that barged in monitors", "sup1", interaction.Monitor{Agent: "agent1"}, notBargedIn, "barged in: a member writes to everyone")
	refusedAsDeclared(t, d, "the owner removes a member that left", "agent1", consult.Remove{Member: "agent2"}, removable, "only a present conference member can be removed")
	refusedAsDeclared(t, d, "the owner removes a consultation target", "agent1", consult.Remove{Member: "agent5"}, removable, "only a present conference member can be removed")
	refusedAsDeclared(t, d, "the owner removes itself", "agent1", consult.Remove{Member: "agent1"}, removable, "only a present conference member can be removed")
	refusedAsDeclared(t, d, "an accept naming the agent's consultation of before as a rival", "agent3",
		consult.AcceptOffer{Invitation: "l3", Rivals: []interaction.InvitationID{"l3", "l4", "l0"}}, rivals, "l0 is not another offer of the same invitation")
	// Rivals the agent is not shown are not checked (R-X6), nor the offer
	// itself: l4 is agent4's, "nope" is none.
	d.do("agent3", consult.AcceptOffer{Invitation: "l3", Rivals: []interaction.InvitationID{"l3", "l4", "nope"}})

	// Routing's report of a decline is what the leg's table says a
	// decline leads to; the refusal says where the offer stands.
	_, err := d.chats.Do(ctx, d.id, interaction.System, consult.Reroute{Invitation: "l6", Reason: consult.RerouteDeclined})
	assertRefusal(t, err, interaction.ErrInvalidTransition, "R-X1", "", "a decline reported of an offer pending")
	assert.Contains(t, err.Error(), "consultation is inviting, not declined")
	d.do("agent6", consult.Decline{Leg: "l6"})
	d.do(interaction.System, consult.Reroute{Invitation: "l6", Reason: consult.RerouteDeclined, Exhausted: true})
}

// The commands refuse no legality by hand, and name the triggers they
// fire by their typed constants: in every file of consult and in
// interaction's command files, a command's own refusals are bad input,
// not found, or a conflict over an ID it carries (in use) or a decision
// routing must make (offer on, or say nobody is left); whether the actor
// may, and whether the state lets it, is refused by the tables' firers
// and guards (guard.go) alone (R-X6: who may act is the machine's).
func TestCommandsRefuseNoLegalityByHand(t *testing.T) {
	// The Decision's machine-firing methods, whose second argument is the
	// trigger: a command names it by its constant (TriggerAccept, …).
	firing := map[string]bool{"Leg": true, "fireLeg": true, "Request": true, "fireRequest": true, "Membership": true, "fireMembership": true, "Role": true, "Depart": true}
	// The Decision's own checks, not a command's: routing's report checked
	// against the offer's table, an event that names another actor than
	// the command's, and an effect that must follow its cause (the chat
	// passing on after a transfer, a target released once its
	// consultation is over).
	decisionChecks := map[string]bool{"CheckAnswered": true, "checkNamedActor": true, "HandOver": true, "ReleaseTarget": true}
	conflicts := []string{"interaction exists", " ID in use", "the last offer of the invitation is over"}
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, f := range []string{"commands.go", "receipt.go", "supervision.go", "typing.go", "attachment.go", "decision.go", "route.go", "deadline.go"} {
		files = append(files, filepath.Join("..", "interaction", f))
	}
	fset := token.NewFileSet()
	refusals := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			fn, ok := n.(*ast.FuncDecl)
			if ok && decisionChecks[fn.Name.Name] {
				return false
			}
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 3 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if firing[sel.Sel.Name] && len(call.Args) > 1 {
				if lit, ok := call.Args[1].(*ast.BasicLit); ok {
					t.Errorf("%s: %s fires the trigger %s by a string, not by its typed constant", fset.Position(call.Pos()), sel.Sel.Name, lit.Value)
				}
			}
			if sel.Sel.Name != "Refuse" {
				return true
			}
			refusals++
			kind := ""
			switch k := call.Args[0].(type) {
			case *ast.Ident:
				kind = k.Name
			case *ast.SelectorExpr:
				kind = k.Sel.Name
			}
			at := fset.Position(call.Pos())
			switch kind {
			case "ErrBadInput", "ErrNotFound":
			case "ErrConflict":
				if !containsAny(literals(call.Args[2]), conflicts) {
					t.Errorf("%s: a conflict the command decides by hand", at)
				}
			default:
				t.Errorf("%s: a command refuses %s by hand: that is a table's firers or guards", at, kind)
			}
			return true
		})
	}
	assert.Greater(t, refusals, 20, "the scan found the commands' refusals")
}

func literals(e ast.Expr) []string {
	var out []string
	ast.Inspect(e, func(n ast.Node) bool {
		if b, ok := n.(*ast.BasicLit); ok && b.Kind == token.STRING {
			if s, err := strconv.Unquote(b.Value); err == nil {
				out = append(out, s)
			}
		}
		return true
	})
	return out
}

func containsAny(texts, subs []string) bool {
	for _, s := range texts {
		for _, sub := range subs {
			if strings.Contains(s, sub) {
				return true
			}
		}
	}
	return false
}

// impersonate is a command that names another actor on the event it
// fires, as a broken or hostile command author might.
type impersonate struct {
	leg     interaction.LegID
	trigger interaction.Trigger
	as      interaction.PartyID
	agent   interaction.PartyID
}

func (c impersonate) Decide(d *interaction.Decision) error {
	return d.Leg(c.leg, c.trigger, interaction.Event{Actor: c.as, Party: c.agent, Target: interaction.Target{Kind: interaction.TargetAgent, ID: string(c.agent)}})
}

// R-X6: a command acts as its own actor. An event template may name
// another actor only where routing's rules write in another's name
// (R-X1): routing offering an invitation on in its owner's name, and the
// agent accepting an offer rescinding the rivals as the system. The
// contact cannot start a consultation in the owner's name, nor rescind an
// offer as the system, and nothing is written.
func TestACommandActsAsItsOwnActor(t *testing.T) {
	d := newExtrasDesk(t)
	d.do("agent1", consult.Start{Leg: "l3", Target: skill("billing"), Invitee: "agent3", Route: "rt"})
	d.do("agent1", consult.Start{Leg: "l4", Target: skill("billing"), Invitee: "agent4", Route: "rt"})
	for _, c := range []struct {
		name  string
		actor interaction.PartyID
		cmd   impersonate
	}{
		{"the contact consults in the owner's name", "contact", impersonate{leg: "l9", trigger: interaction.TriggerInvite, as: "agent1", agent: "agent2"}},
		{"the contact rescinds an offer as routing", "contact", impersonate{leg: "l3", trigger: interaction.TriggerCancel, as: interaction.System}},
		{"the owner rescinds as routing", "agent1", impersonate{leg: "l3", trigger: interaction.TriggerCancel, as: interaction.System}},
		{"an agent offered times another's offer out as routing", "agent4", impersonate{leg: "l3", trigger: interaction.TriggerTimeOut, as: interaction.System}},
	} {
		before, err := d.chats.State(ctx, d.id)
		require.NoError(t, err)
		_, err = d.chats.Do(ctx, d.id, c.actor, c.cmd)
		assertRefusal(t, err, interaction.ErrNotPermitted, "R-X6", "", c.name)
		after, err := d.chats.State(ctx, d.id)
		require.NoError(t, err)
		assert.Equal(t, before.Version, after.Version, "%s: nothing written", c.name)
	}
	// The agent offered that accepts rescinds the rival offer as the system.
	d.do("agent3", consult.Accept{Leg: "l3"})
	evs, err := d.store.Load(ctx, d.id)
	require.NoError(t, err)
	rescinded := false
	for _, ev := range evs {
		if ev.Type == interaction.EventLeg && ev.Leg == "l4" && ev.Trigger == interaction.TriggerCancel {
			rescinded = ev.Actor == interaction.System
		}
	}
	assert.True(t, rescinded, "the rival offer is rescinded, as the system")
}

// decideWith is a command that runs f on the Decision: what a command
// author could write.
type decideWith func(d *interaction.Decision) error

func (f decideWith) Decide(d *interaction.Decision) error { return f(d) }

// R-X6, R-F5, R-T2: the membership and role machines say who fires each
// transition, relative to the party whose membership or role changes and
// the chat's owner, and the effects that belong to another transition
// are fired only as part of it: a command author's command cannot take
// another party out, hand the chat over without a transfer, make itself
// the owner, withdraw another's invitation or release a consultation
// target whose consultation goes on. Each is refused, and nothing is
// written; the commands of the library still do all of it (the other
// tests), and a party still leaves for itself.
func TestMembershipAndRoleFirersAreTheTables(t *testing.T) {
	d := newExtrasDesk(t)
	d.do("agent1", consult.Start{Leg: "leg-a", Target: agent("agent2"), Invitee: "agent2"})
	d.do("agent2", consult.Accept{Leg: "leg-a"})
	d.do("agent1", consult.Start{Leg: "leg-b", Target: agent("agent3"), Invitee: "agent3"})
	for _, c := range []struct {
		name  string
		actor interaction.PartyID
		f     decideWith
		kind  error
	}{
		{"the contact takes the owner out", "contact", func(d *interaction.Decision) error { return d.Depart("agent1", interaction.TriggerLeave) }, interaction.ErrNotPermitted},
		{"a consultation target takes the owner out", "agent2", func(d *interaction.Decision) error { return d.Depart("agent1", interaction.TriggerLeave) }, interaction.ErrNotPermitted},
		{"a consultation target hands the chat to itself", "agent2", func(d *interaction.Decision) error { return d.HandOver("agent1", "agent2") }, interaction.ErrInvalidTransition},
		{"the owner makes its target the owner without a transfer", "agent1", func(d *interaction.Decision) error {
			return d.Role("agent2", interaction.TriggerTransfer, interaction.Everyone)
		}, interaction.ErrNotPermitted},
		{"the contact withdraws an invitation", "contact", func(d *interaction.Decision) error {
			return d.Membership("agent3", interaction.TriggerWithdraw, interaction.RoleConsultant, interaction.LegScope("leg-b"))
		}, interaction.ErrNotPermitted},
		{"the owner accepts for its target", "agent1", func(d *interaction.Decision) error {
			return d.Membership("agent3", interaction.TriggerAccept, interaction.RoleConsultant, interaction.LegScope("leg-b"))
		}, interaction.ErrNotPermitted},
		{"the owner releases a target whose consultation goes on", "agent1", func(d *interaction.Decision) error { return d.ReleaseTarget("agent2", "leg-a") }, interaction.ErrInvalidTransition},
		{"the contact takes an invited target out", "contact", func(d *interaction.Decision) error { return d.Depart("agent3", interaction.TriggerLeave) }, interaction.ErrNotPermitted},
		{"an invited target withdraws its own invitation", "agent3", func(d *interaction.Decision) error {
			return d.Membership("agent3", interaction.TriggerWithdraw, interaction.RoleConsultant, interaction.LegScope("leg-b"))
		}, interaction.ErrNotPermitted},
	} {
		before, err := d.chats.State(ctx, d.id)
		require.NoError(t, err)
		_, err = d.chats.Do(ctx, d.id, c.actor, c.f)
		assert.ErrorIs(t, err, c.kind, c.name)
		after, err := d.chats.State(ctx, d.id)
		require.NoError(t, err)
		assert.Equal(t, before.Version, after.Version, "%s: nothing written", c.name)
	}
	d.do("agent2", decideWith(func(d *interaction.Decision) error { return d.Depart("agent2", interaction.TriggerLeave) }))
	st, err := d.chats.State(ctx, d.id)
	require.NoError(t, err)
	p := st.Party("agent2")
	require.NotNil(t, p)
	assert.Equal(t, interaction.MemberLeft, p.Membership, "a party leaves for itself")
}

// R-X6, R-X7: the owner naming a party it is not shown (a silent
// monitor) to remove is refused exactly as naming nobody.
func TestRemoveDoesNotShowASilentMonitor(t *testing.T) {
	d := newExtrasDesk(t)
	d.do("sup2", interaction.Monitor{Agent: "agent1"})
	st, err := d.chats.State(ctx, d.id)
	require.NoError(t, err)
	require.False(t, st.ShowsParty("agent1", "sup2"), "the owner is not shown its silent monitor")
	require.True(t, st.ShowsParty("sup2", "agent1"))
	_, hidden := d.chats.Do(ctx, d.id, "agent1", consult.Remove{Member: "sup2"})
	_, none := d.chats.Do(ctx, d.id, "agent1", consult.Remove{Member: "sup9"})
	require.Error(t, none)
	var eh, en *interaction.Error
	require.True(t, errors.As(hidden, &eh))
	require.True(t, errors.As(none, &en))
	assert.Equal(t, en.Kind, eh.Kind)
	assert.Equal(t, en.Rule, eh.Rule)
	assert.Equal(t, en.Detail, eh.Detail)
}
