package interaction_test

import (
	"context"
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

// offerGuard finds a guard of the chat offer machine's table by name, so
// that a test expects what the table declares rather than repeating it.
func offerGuard(t *testing.T, trigger interaction.Trigger, name string) interaction.Guard {
	t.Helper()
	m := &interaction.OfferMachine.Chart
	from := string(interaction.OfferPending)
	if trigger == interaction.TriggerOffer {
		from = string(interaction.OfferNone)
	}
	for _, g := range m.Guards(from, trigger) {
		if g.Name == name {
			return g
		}
	}
	t.Fatalf("%s %s from %s: no guard %q", m.Name, trigger, from, name)
	return interaction.Guard{}
}

// offerChats makes two interactions: one waiting, offered to agent1
// and agent3 and declined by agent2; one active, owned by agent1 (agent2
// declined its offer first), whose owner asked agent5 directly to take it
// over, so that agent5 is invited as the owner of an active chat.
func offerChats(t *testing.T) (f *fixture, waiting, active interaction.ID) {
	t.Helper()
	ctx := context.Background()
	f = newFixture(t)
	do := func(id interaction.ID, actor interaction.PartyID, cmd interaction.Command) {
		t.Helper()
		_, err := f.svc.Do(ctx, id, actor, cmd)
		require.NoError(t, err)
	}
	waiting, err := f.svc.Open(ctx, "contact", "Hello")
	require.NoError(t, err)
	do(waiting, interaction.System, interaction.Assign{Agent: "agent1"})
	do(waiting, interaction.System, interaction.Assign{Agent: "agent2"})
	do(waiting, interaction.System, interaction.Assign{Agent: "agent3"})
	do(waiting, "agent2", interaction.Decline{})

	active, err = f.svc.Open(ctx, "contact", "Hello")
	require.NoError(t, err)
	do(active, interaction.System, interaction.Assign{Agent: "agent1"})
	do(active, interaction.System, interaction.Assign{Agent: "agent2"})
	do(active, "agent2", interaction.Decline{})
	do(active, "agent1", interaction.Join{})
	do(active, "agent1", consult.Direct{Request: "r1", Kind: interaction.RequestTransfer,
		Target: interaction.Target{Kind: interaction.TargetAgent, ID: "agent5"}, Invitee: "agent5"})
	return f, waiting, active
}

// R-X1, R-X6: every refusal of Assign, Join, Decline and Withdraw comes
// from a table: the chat offer machine's firers, state or guards (the
// kind, rule and guard name it declares), the interaction machine's
// state for an owner invited to an active chat who tries to join it, or
// the lookup of the agent routing names; and it writes nothing.
func TestRX6ChatOfferRefusalsComeFromTheOfferMachine(t *testing.T) {
	offer := &interaction.OfferMachine.Chart
	type want struct {
		kind  error
		rule  string
		guard string
	}
	// who may fire it: the table's firers and their rule
	byFirers := func(trigger interaction.Trigger) want {
		p, ok := offer.Firers(trigger)
		require.True(t, ok, "the chat offer machine declares who may %s", trigger)
		return want{interaction.ErrNotPermitted, p.Rule, ""}
	}
	// the state: no such transition from it, with the table's rule
	byState := func(m *interaction.Chart, trigger interaction.Trigger) want {
		return want{interaction.ErrInvalidTransition, m.Rule(trigger), ""}
	}
	byGuard := func(trigger interaction.Trigger, name string) want {
		g := offerGuard(t, trigger, name)
		return want{g.Kind, g.Rule, g.Name}
	}
	const W, A = "waiting", "active"
	cases := []struct {
		name  string
		chat  string
		actor interaction.PartyID
		cmd   interaction.Command
		want  want
	}{
		{"an agent assigns the chat", W, "agent1", interaction.Assign{Agent: "agent9"}, byFirers(interaction.TriggerOffer)},
		{"the contact assigns its chat", W, "contact", interaction.Assign{Agent: "agent9"}, byFirers(interaction.TriggerOffer)},
		{"an assignment of an active chat", A, interaction.System, interaction.Assign{Agent: "agent9"},
			byGuard(interaction.TriggerOffer, "the chat is waiting")},
		{"an assignment to the contact", W, interaction.System, interaction.Assign{Agent: "contact"},
			byGuard(interaction.TriggerOffer, "the agent offered is not the contact")},
		{"a second offer to an agent offered the chat", W, interaction.System, interaction.Assign{Agent: "agent1"},
			byState(offer, interaction.TriggerOffer)},

		{"the contact joins", W, "contact", interaction.Join{}, byGuard(interaction.TriggerAccept, "the actor has a pending offer")},
		{"an agent that declined joins", W, "agent2", interaction.Join{}, byGuard(interaction.TriggerAccept, "the actor has a pending offer")},
		{"the owner joins again", A, "agent1", interaction.Join{}, byGuard(interaction.TriggerAccept, "the actor has a pending offer")},
		{"a transfer's target joins an active chat", A, "agent5", interaction.Join{},
			byState(&interaction.InteractionMachine.Chart, interaction.TriggerAgentJoins)},

		{"the contact declines", W, "contact", interaction.Decline{}, byGuard(interaction.TriggerDecline, "the actor has a pending offer")},
		{"an agent declines twice", W, "agent2", interaction.Decline{}, byGuard(interaction.TriggerDecline, "the actor has a pending offer")},
		{"the contact declines an active chat", A, "contact", interaction.Decline{}, byGuard(interaction.TriggerDecline, "the actor has a pending offer")},
		{"a transfer's target declines as if offered the chat", A, "agent5", interaction.Decline{},
			byGuard(interaction.TriggerDecline, "the chat is waiting")},

		{"an agent withdraws another's offer", W, "agent1", interaction.Withdraw{Agent: "agent3"}, byFirers(interaction.TriggerWithdraw)},
		{"an agent withdraws its own offer", W, "agent1", interaction.Withdraw{Agent: "agent1"}, byFirers(interaction.TriggerWithdraw)},
		{"an agent withdraws an unknown agent's offer", W, "agent1", interaction.Withdraw{Agent: "agent9"}, byFirers(interaction.TriggerWithdraw)},
		{"a withdrawal of an unknown agent's offer", W, interaction.System, interaction.Withdraw{Agent: "agent9"},
			want{interaction.ErrNotFound, "", ""}},
		{"a withdrawal of the contact's offer", W, interaction.System, interaction.Withdraw{Agent: "contact"},
			want{interaction.ErrNotFound, "", ""}},
		{"a withdrawal of an answered offer", W, interaction.System, interaction.Withdraw{Agent: "agent2"},
			byState(offer, interaction.TriggerWithdraw)},
		{"a withdrawal of a declined offer of an active chat", A, interaction.System, interaction.Withdraw{Agent: "agent2"},
			byGuard(interaction.TriggerWithdraw, "the chat is waiting")},
		{"a withdrawal of the owner's taken offer", A, interaction.System, interaction.Withdraw{Agent: "agent1"},
			byGuard(interaction.TriggerWithdraw, "the chat is waiting")},
		{"a withdrawal of a transfer target's invitation", A, interaction.System, interaction.Withdraw{Agent: "agent5"},
			byGuard(interaction.TriggerWithdraw, "the chat is waiting")},
	}
	ctx := context.Background()
	f, waiting, active := offerChats(t)
	for _, c := range cases {
		id := waiting
		if c.chat == A {
			id = active
		}
		before, err := f.svc.State(ctx, id)
		require.NoError(t, err)
		_, err = f.svc.Do(ctx, id, c.actor, c.cmd)
		require.Error(t, err, c.name)
		assert.ErrorIs(t, err, c.want.kind, c.name)
		var e *interaction.Error
		if assert.True(t, errors.As(err, &e), c.name) {
			assert.Equal(t, c.want.rule, e.Rule, "%s: the rule (%v)", c.name, err)
			assert.Equal(t, c.want.guard, e.Guard, "%s: the guard named (%v)", c.name, err)
		}
		after, err := f.svc.State(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, before.Version, after.Version, "%s: nothing written", c.name)
	}
}

// R-X6 (privacy covers metadata): a party that may not make or take back
// a chat offer, or has none to answer, is refused before anything of the
// chat is read: the same refusal whether the chat waits or not, and
// whichever agent it names, offered or unknown.
func TestRX6ChatOfferRefusalsTellNothingOfTheChat(t *testing.T) {
	ctx := context.Background()
	f, waiting, active := offerChats(t)
	refusal := func(id interaction.ID, actor interaction.PartyID, cmd interaction.Command) interaction.Error {
		t.Helper()
		_, err := f.svc.Do(ctx, id, actor, cmd)
		var e *interaction.Error
		require.True(t, errors.As(err, &e), "%v", err)
		r := *e
		r.Interaction = ""
		return r
	}
	for _, probe := range []struct {
		actor interaction.PartyID
		cmds  []interaction.Command
	}{
		{"agent1", []interaction.Command{interaction.Assign{Agent: "agent9"}, interaction.Assign{Agent: "agent3"}, interaction.Assign{Agent: "contact"}, interaction.Assign{Agent: "bad id"}}},
		{"agent3", []interaction.Command{interaction.Withdraw{Agent: "agent9"}, interaction.Withdraw{Agent: "agent1"}, interaction.Withdraw{Agent: "agent2"}, interaction.Withdraw{Agent: "agent5"}}},
		{"contact", []interaction.Command{interaction.Withdraw{Agent: "agent9"}, interaction.Withdraw{Agent: "agent1"}}},
	} {
		first := refusal(waiting, probe.actor, probe.cmds[0])
		assert.ErrorIs(t, &first, interaction.ErrNotPermitted)
		for _, cmd := range probe.cmds {
			for _, id := range []interaction.ID{waiting, active} {
				assert.Equal(t, first, refusal(id, probe.actor, cmd), "%s %T%+v on %s", probe.actor, cmd, cmd, id)
			}
		}
	}
	// The contact answering an offer it cannot have: the same whether the
	// chat waits or not.
	for _, cmd := range []interaction.Command{interaction.Join{}, interaction.Decline{}} {
		assert.Equal(t, refusal(waiting, "contact", cmd), refusal(active, "contact", cmd), "%T", cmd)
	}
}

// R-X1: the chat offer machine, read from an agent's role and
// membership, moves as the membership changes it is recorded as: wherever
// it may fire for an agent in the owner's role (or one not yet a party),
// the membership machine allows the change it stands for, and the state
// that change leads to reads as the offer's new state. A party in any
// other role has no offer: the contact is refused one by "the agent
// offered is not the contact", and every other role is only ever held in
// a chat that no longer waits.
func TestRX1OfferMachineAgreesWithTheMembershipMachine(t *testing.T) {
	offer := &interaction.OfferMachine.Chart
	member := &interaction.MembershipMachine.Chart
	recorded := map[interaction.Trigger]interaction.Trigger{
		interaction.TriggerOffer: interaction.TriggerInvite, interaction.TriggerAccept: interaction.TriggerAccept,
		interaction.TriggerDecline: interaction.TriggerDecline, interaction.TriggerWithdraw: interaction.TriggerWithdraw,
	}
	require.ElementsMatch(t, offer.Triggers(), []interaction.Trigger{interaction.TriggerOffer, interaction.TriggerAccept, interaction.TriggerDecline, interaction.TriggerWithdraw})
	assert.Equal(t, interaction.OfferNone, interaction.OfferOf(nil), "one not yet a party")
	fired := map[interaction.Trigger]bool{}
	for _, ms := range member.States() {
		for _, role := range []interaction.Role{interaction.RoleContact, interaction.RoleMember, interaction.RoleConsultant, interaction.RoleSupervisor} {
			assert.Equal(t, interaction.OfferNone, interaction.OfferOf(&interaction.Party{Role: role, Membership: interaction.MemberState(ms)}), "a %s, %s", role, ms)
		}
		from := interaction.OfferOf(&interaction.Party{Role: interaction.RoleOwner, Membership: interaction.MemberState(ms)})
		if ms == string(interaction.MemberNone) {
			assert.Equal(t, interaction.OfferNone, from, "one not yet a party")
		}
		for _, trigger := range offer.Triggers() {
			to, err := offer.Step(string(from), trigger)
			if err != nil {
				continue
			}
			fired[trigger] = true
			next, err := member.Step(ms, recorded[trigger])
			require.NoError(t, err, "offer %s from %s: membership %s from %s", trigger, from, recorded[trigger], ms)
			assert.Equal(t, to, string(interaction.OfferOf(&interaction.Party{Role: interaction.RoleOwner, Membership: interaction.MemberState(next)})),
				"offer %s from %s (membership %s → %s)", trigger, from, ms, next)
		}
	}
	for _, trigger := range offer.Triggers() {
		assert.True(t, fired[trigger], "%s fired from some membership state", trigger)
	}
}

// The chat offer commands hold no check of their own of who acts or of
// the chat's state: Assign, Join, Decline and Withdraw compare nothing
// but errors with nil, and never read the actor; who may and when is
// the chat offer machine's table (the behavioural tests above check the
// refusals it makes). So do the chat message commands, Post and Note:
// theirs is ChatMessageMachine's (consult's
// TestRX6WritingInTheChatIsDecidedByItsTable checks its refusals). Leave
// and EndSession choose what to fire by the party's role, but refuse
// nothing themselves and ask no one's presence: the membership machine's
// guard on leaving and the interaction machine's on ending do (consult's
// TestRX6LeavingIsForAPartyInTheChat and
// TestRX6EndingTheSessionIsForTheContactOrAnEngagedAgent).
func TestRX6ChatOfferCommandsLeaveTheChecksToTheTable(t *testing.T) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "commands.go", nil, 0)
	require.NoError(t, err)
	seen, chooses := map[string]bool{}, map[string]bool{}
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Recv == nil || fn.Name.Name != "Decide" {
			continue
		}
		recv := fn.Recv.List[0].Type
		if star, ok := recv.(*ast.StarExpr); ok {
			recv = star.X
		}
		name := recv.(*ast.Ident).Name
		switch name {
		case "Assign", "Join", "Decline", "Withdraw", "Post", "Note":
		case "Leave", "EndSession":
			// These choose what to fire by the party's role (the contact's
			// leaving ends the session), so they compare; but they refuse
			// nothing and ask no one's presence themselves.
			chooses[name] = true
		default:
			continue
		}
		seen[name] = true
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BinaryExpr:
				if (n.Op == token.EQL || n.Op == token.NEQ) && !chooses[name] {
					nilCheck := false
					for _, side := range []ast.Expr{n.X, n.Y} {
						if id, ok := side.(*ast.Ident); ok && id.Name == "nil" {
							nilCheck = true
						}
					}
					assert.True(t, nilCheck, "%s.Decide compares %s at %s", name, comparison(n), fset.Position(n.Pos()))
				}
			case *ast.SelectorExpr:
				assert.NotContains(t, []string{"Actor", "actor"}, n.Sel.Name, "%s.Decide reads the actor at %s", name, fset.Position(n.Pos()))
				assert.NotEqual(t, "Refuse", n.Sel.Name, "%s.Decide refuses by itself at %s", name, fset.Position(n.Pos()))
				assert.NotEqual(t, "Present", n.Sel.Name, "%s.Decide asks for presence at %s", name, fset.Position(n.Pos()))
			}
			return true
		})
	}
	assert.Len(t, seen, 8, "the four chat offer commands, the two chat message commands, Leave and EndSession are in commands.go: %v", seen)
}

func comparison(n *ast.BinaryExpr) string {
	return "(" + exprString(n.X) + " " + n.Op.String() + " " + exprString(n.Y) + ")"
}

func exprString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return exprString(e.X) + "." + e.Sel.Name
	}
	return "…"
}

// R-X6: a contact opens only its own chat: the membership machine's
// guard on entering, checked before whether the interaction exists.
func TestRX6OpenIsTheContactsOwnEntry(t *testing.T) {
	ctx := context.Background()
	svc := interaction.NewService()
	var g interaction.Guard
	for _, x := range interaction.MembershipMachine.Guards(string(interaction.MemberNone), interaction.TriggerEnter) {
		if x.Name == "the party enters itself" {
			g = x
		}
	}
	require.NotEmpty(t, g.Name, "the membership machine guards entering")
	for _, id := range []interaction.ID{"chat-new", "chat-used"} {
		if id == "chat-used" {
			_, err := svc.Do(ctx, id, "contact", interaction.Open{Contact: "contact", Text: "hi"})
			require.NoError(t, err)
		}
		_, err := svc.Do(ctx, id, "agent1", interaction.Open{Contact: "contact", Text: "hi"})
		require.ErrorIs(t, err, g.Kind, id)
		var e *interaction.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, g.Rule, e.Rule, id)
		assert.Equal(t, g.Name, e.Guard, id)
	}
	st, err := svc.State(ctx, "chat-used")
	require.NoError(t, err)
	assert.Len(t, st.Parties, 1, "nothing written by the refused open")
}
