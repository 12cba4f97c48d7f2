package interaction_test

import (
	"context"
	"errors"
	"flag"
	"os"
	"testing"

	"github.com/looplab/fsm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/internal/machinedoc"
)

var update = flag.Bool("update", false, "rewrite generated docs and golden files")

const diagramsPath = "../docs/state-machines.md"

// renderDiagrams draws every machine from its table.
func renderDiagrams() string {
	return machinedoc.Document("State machines",
		"Generated from the tables in `interaction/machines.go` by `go test ./interaction -run TestDiagramsMatchDocs -update`;\n"+
			"that test fails when this file and the code disagree.\n\n"+
			"Each transition of the membership, role, leg, request, chat offer and routed invitation machines names who\n"+
			"may fire it by a command (`Transition.By`): on a leg, request or offer, the `owner` who made it, its\n"+
			"`invitee` (the agent invited or asked, or offered the chat), the `system` (the clock at the deadline,\n"+
			"routing); on a party's membership or role, the party itself (`self`), the chat's `owner`, the\n"+
			"`system`. `cascade` marks one that is also part of another transition, whose own firers were checked\n"+
			"(the session ending, R-C7; a party leaving; a consultation ending; the chat passing on in a transfer,\n"+
			"`Decision.HandOver`). The contact fires none but its own membership. The interaction and chat message\n"+
			"machines declare no firers: a transition of theirs is either part of another transition (an agent's\n"+
			"joining is its chat offer's accept; the last `done` closes the chat) or the acting party's own, and its\n"+
			"guards say who may (the actor has a session with the contact; the party is in the chat, …).\n\n"+
			"The chat offer machine's state is recorded nowhere: it is read from the agent's role and membership\n"+
			"(invited as the owner: `pending`), and `Assign`, `Join`, `Decline` and `Withdraw` record each of its\n"+
			"transitions as the membership change it stands for; the offers an agent's joining or the session's\n"+
			"end withdraws go by the membership machine alone. Nor is the routed invitation machine's (R-X1): it is\n"+
			"read from the route's offers (`RouteStateOf`: none, an offer `out`, every offer `unanswered`, one\n"+
			"`taken`); the commands fire it to check the table (`Decision.FireRoute`, `AcceptRoute`) and record the\n"+
			"offers' leg and request events, and its `lapse` is what those machines do to the last offer out.\n\n"+
			"The consultation message and chat message machines record nothing either: writing changes no state,\n"+
			"so each is a transition back to the state it leaves, fired to check the table (`Decision.WriteInLeg`;\n"+
			"`WriteInChat` and `WriteNote`, whose states are the interaction's), and the message is the event; a\n"+
			"read receipt (`MarkRead`) is the chat message machine's `read`, and its event the receipt.\n\n"+
			"A transition's guards (`Transition.Guards`) are its side conditions, each with its rule and the kind of\n"+
			"the refusal when it does not hold; the diagram counts them and the table under it lists them in the\n"+
			"order they are checked. Every command fires a transition through the `Decision`, which checks, in\n"+
			"order, that the actor may fire it, that the state allows it, and its guards (a guard that does not\n"+
			"read the state the transition leaves, `Guard.First`, may be checked before it or before the command\n"+
			"looks up what it names); the log validator holds a replayed log of legs and requests to the same firers\n"+
			"(`Chart.MayFire`). States and triggers are typed (`Status`, `MemberState`, `OfferState`, `RoleState`,\n"+
			"`LegState`, `RequestState`, `RouteState`, `Trigger`); a supervisor switching between monitoring and coaching, or to another\n"+
			"agent, is the role machine's `monitor` and `coach` edges (R-X7), whose guards also say who may\n"+
			"supervise at all. No command refuses who may act, or when, by a check of its own\n"+
			"(`TestCommandsRefuseNoLegalityByHand`): its own refusals are bad input, an ID not found or in use,\n"+
			"or routing's `Reroute` that neither offers on nor says that nobody is left.\n",
		interaction.Machines()...)
}

func TestDiagramsMatchDocs(t *testing.T) {
	want := renderDiagrams()
	if *update {
		require.NoError(t, os.WriteFile(diagramsPath, []byte(want), 0o644))
	}
	got, err := os.ReadFile(diagramsPath)
	require.NoError(t, err, "run go test ./interaction -run TestDiagramsMatchDocs -update")
	assert.Equal(t, want, string(got), "docs/state-machines.md drifted from the tables: rerun with -update")
}

// The compiled lookup that Apply uses agrees with looplab/fsm on every
// state and event of every machine.
func TestCompiledTablesAgreeWithLooplab(t *testing.T) {
	for _, m := range interaction.Machines() {
		f := fsm.NewFSM(m.Initial, m.Table, nil)
		for _, s := range m.States() {
			for _, e := range m.Triggers() {
				f.SetState(s)
				assert.Equal(t, f.Can(string(e)), m.Can(s, e), "%s: %s on %s", m.Name, e, s)
				to, err := m.Step(s, e)
				if f.Can(string(e)) {
					require.NoError(t, err)
					if err := f.Event(context.Background(), string(e)); err != nil {
						// a declared transition back to the same state
						require.ErrorAs(t, err, &fsm.NoTransitionError{})
					}
					assert.Equal(t, f.Current(), to)
					assert.True(t, m.Allows(s, e, to))
				} else {
					assert.ErrorIs(t, err, interaction.ErrInvalidTransition)
				}
			}
		}
	}
}

// Every state of every machine is reachable from its initial state.
func TestEveryStateReachable(t *testing.T) {
	for _, m := range interaction.Machines() {
		seen := map[string]bool{m.Initial: true}
		frontier := append([]string{m.Initial}, m.Entries...)
		for _, e := range m.Entries {
			seen[e] = true
		}
		for len(frontier) > 0 {
			s := frontier[0]
			frontier = frontier[1:]
			for _, e := range m.Triggers() {
				if to, err := m.Step(s, e); err == nil && !seen[to] {
					seen[to] = true
					frontier = append(frontier, to)
				}
			}
		}
		for _, s := range m.States() {
			assert.True(t, seen[s], "%s: %s unreachable", m.Name, s)
		}
	}
}

// Replay rejects a role change the role machine does not declare: a log
// in which the contact becomes the owner was not written by any command.
func TestRebuildRejectsUndeclaredRoleChange(t *testing.T) {
	svc := interaction.NewService()
	ctx := context.Background()
	id, err := svc.Open(ctx, "contact", "hi")
	require.NoError(t, err)
	events, err := svc.Store().Load(ctx, id)
	require.NoError(t, err)
	_, err = interaction.Rebuild(events)
	require.NoError(t, err)
	forged := append(events, interaction.Event{Interaction: id, Version: uint64(len(events)) + 1, Type: interaction.EventRole,
		Party: "contact", Role: interaction.RoleOwner, Trigger: "transfer", Scope: interaction.Everyone})
	_, err = interaction.Rebuild(forged)
	assert.ErrorIs(t, err, interaction.ErrCorruptLog)
}

// Every machine steps as looplab/fsm's Event would: the recorded ones ask
// a pooled fsm of their table whether the trigger may fire (FSM.Can) and
// take the destination from the table, the derived ones (chat offer,
// messages, routed invitation) look their edge up; for every machine,
// state and trigger, that decides what firing an fsm built from the same
// table does, a declared self-transition included (looplab reports it as
// no transition). R-X5: the state is the events the tables allow.
func TestMachinesStepAsLooplab(t *testing.T) {
	for _, m := range interaction.Machines() {
		for _, from := range m.States() {
			for _, trigger := range m.Triggers() {
				f := fsm.NewFSM(from, m.Table, nil)
				err := f.Event(context.Background(), string(trigger))
				var stays fsm.NoTransitionError
				want, ok := f.Current(), err == nil || errors.As(err, &stays)
				got, gotErr := m.Step(from, trigger)
				if ok {
					assert.NoError(t, gotErr, "%s: %s from %s", m.Name, trigger, from)
					assert.Equal(t, want, got, "%s: %s from %s", m.Name, trigger, from)
				} else {
					assert.ErrorIs(t, gotErr, interaction.ErrInvalidTransition, "%s: %s from %s", m.Name, trigger, from)
				}
			}
		}
	}
}

// A table declaring one trigger twice from one state is refused when it is
// compiled (NewMachine), and a machine's terminal states are the ones no
// transition leaves.
func TestMachineTablesRefuseDuplicateEdgesAndListTerminals(t *testing.T) {
	require.PanicsWithValue(t, "interaction: duplicate transition in machine dup", func() {
		interaction.NewMachine("dup", interaction.LegNone, []interaction.Transition[interaction.LegState]{
			{On: interaction.TriggerInvite, From: []interaction.LegState{interaction.LegNone}, To: interaction.LegInviting},
			{On: interaction.TriggerInvite, From: []interaction.LegState{interaction.LegNone}, To: interaction.LegActive},
		})
	})
	m := interaction.NewMachine("two", interaction.LegNone, []interaction.Transition[interaction.LegState]{
		{On: interaction.TriggerInvite, From: []interaction.LegState{interaction.LegNone}, To: interaction.LegInviting},
		{On: interaction.TriggerAccept, From: []interaction.LegState{interaction.LegInviting}, To: interaction.LegActive},
	})
	require.Equal(t, []string{string(interaction.LegActive)}, m.Terminal())
}
