package chatconsulttest_test

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/internal/decisionhook"
)

// The kit must be able to fail. These tests plug deliberately broken
// variants into the harness and show that the invariant checker, the model
// comparison and rapid's shrinking all catch them.

// leakySay is consult.Say with one bug: the consultation message is
// written for everyone to see, the contact included (breaks R-C5).
type leakySay struct{ consult.Say }

func (c leakySay) Decide(d *interaction.Decision) error {
	// Run the real command's checks on a scratch decision first.
	dry := interaction.NewDecision(d.State(), d.Actor(), d.Now(), d.Cause(), d.Limits(), nil)
	if err := c.Say.Decide(dry); err != nil {
		return err
	}
	return decisionhook.Message(d, c.Text, interaction.Everyone) // past the message machines
}

// leakSays swaps every Say for the leaky one.
func leakSays(cmd interaction.Command) interaction.Command {
	if s, ok := cmd.(consult.Say); ok {
		return leakySay{s}
	}
	return cmd
}

// leakyView is the library's view, except that the contact also sees the
// first consultation message (breaks R-C5).
func leakyView(s *interaction.State, viewer interaction.PartyID) (interaction.View, error) {
	v, err := s.ViewFor(viewer)
	if err != nil || v.Role != interaction.RoleContact {
		return v, err
	}
	for _, m := range s.Messages {
		if m.Scope.Kind == interaction.ScopeLeg {
			v.Messages = append(v.Messages, m)
			break
		}
	}
	return v, err
}

// consultStory: the contact is with agent1, who consults agent2; agent2 answers.
func consultStory(t *testing.T) chatconsulttest.Story {
	t.Helper()
	var story chatconsulttest.Story
	for _, line := range []string{
		`contact open "Hello, I need help with my invoice"`,
		`system assign agent1`,
		`agent1 join`,
		`agent1 consult leg1 agent2`,
		`agent2 accept leg1`,
		`agent2 say leg1 "a refund is fine"`,
	} {
		s, err := chatconsulttest.ParseStep(line)
		require.NoError(t, err)
		story.Steps = append(story.Steps, s)
	}
	return story
}

func rules(rep *chatconsulttest.StepReport) (model, invariants []string) {
	for _, d := range rep.Differences {
		model = append(model, d.Rule)
	}
	for _, v := range rep.Violations {
		invariants = append(invariants, v.Rule)
	}
	return model, invariants
}

// R-C5: a command that leaks a consultation message to everyone is caught
// by the checker and by the model, at the step that leaks.
func TestKitCatchesLeakyCommandRC5(t *testing.T) {
	story := consultStory(t)
	rep := chatconsulttest.NewHarness().Run(context.Background(), story)
	require.Nil(t, rep.Failure(), "the real library passes:\n%s", rep)

	rep = chatconsulttest.NewHarness(chatconsulttest.WithSubstitute(leakSays)).Run(context.Background(), story)
	f := rep.Failure()
	require.NotNil(t, f, "the leak must be caught:\n%s", rep)
	assert.Len(t, rep.Steps, len(story.Steps), "caught at the leaking step, not before")
	model, invariants := rules(f)
	assert.Contains(t, model, "R-C5", "the model comparison names R-C5")
	assert.Contains(t, invariants, "R-C5", "the invariant checker names R-C5")
	t.Logf("caught:\n%s", rep)

	// The leak never reaches the store: the core's validator refuses the
	// event the leaky command decided, so the command fails and nothing is
	// written (the invariant above is that refusal, by its rule).
	require.NoError(t, rep.Steps[0].Err)
	assert.ErrorIs(t, f.Err, interaction.ErrCorruptLog)
	h := chatconsulttest.NewHarness(chatconsulttest.WithSubstitute(leakSays))
	h.Run(context.Background(), story)
	events, err := h.Chats.Store().Load(context.Background(), h.ID)
	require.NoError(t, err)
	messages := uint32(0)
	for _, ev := range events {
		if ev.Type == interaction.EventMessage {
			messages++
			assert.False(t, ev.Leg != "" && ev.Scope.Kind != interaction.ScopeLeg, "no leaked consultation message is stored")
		}
	}

	// The checker alone, on a log that holds the leak anyway (written past
	// the library, say into a shared store): Check(events) reports R-C5.
	last := events[len(events)-1]
	forged := append(events, interaction.Event{Interaction: h.ID, Version: last.Version + 1, Time: last.Time, Actor: "agent2",
		Cause: "forged", Type: interaction.EventMessage, Text: "a refund is fine", Kind: interaction.KindText,
		Scope: interaction.Everyone, Leg: "leg1", Seq: messages + 1})
	var found bool
	for _, v := range chatconsulttest.Check(forged) {
		found = found || v.Rule == "R-C5"
	}
	assert.True(t, found, "Check(events) reports R-C5")
}

// R-C5: a view layer that leaks one consultation message to the contact is
// caught by both, through the view hook.
func TestKitCatchesLeakyViewRC5(t *testing.T) {
	story := consultStory(t)
	rep := chatconsulttest.NewHarness(chatconsulttest.WithView(leakyView)).Run(context.Background(), story)
	f := rep.Failure()
	require.NotNil(t, f, "the leak must be caught:\n%s", rep)
	model, invariants := rules(f)
	assert.Contains(t, model, "R-C5")
	assert.Contains(t, invariants, "R-C5")
	t.Logf("caught:\n%s", rep)
}

// R-C5: a view that shows the contact what it may not know about the
// consultation in the receipts or the attachments only (the messages, the
// parties and the header right) is caught by the model comparison: the
// receipts and attachments a party may see are facts of the model too.
func TestKitCatchesAReceiptOrAttachmentLeakRC5(t *testing.T) {
	for name, leak := range map[string]func(*interaction.View){
		"receipt": func(v *interaction.View) {
			v.Receipts = append(v.Receipts, interaction.Receipt{Party: "agent-2", Seq: 1})
		},
		"attachment": func(v *interaction.View) {
			v.Attachments = map[uint32][]interaction.Attachment{1: {{Name: "refund.pdf", MediaType: "application/pdf", Size: 1, Ref: "f1"}}}
		},
	} {
		t.Run(name, func(t *testing.T) {
			view := func(s *interaction.State, viewer interaction.PartyID) (interaction.View, error) {
				v, err := s.ViewFor(viewer)
				if err == nil && v.Role == interaction.RoleContact && len(s.Legs) > 0 {
					leak(&v)
				}
				return v, err
			}
			rep := chatconsulttest.NewHarness(chatconsulttest.WithView(view)).Run(context.Background(), consultStory(t))
			f := rep.Failure()
			require.NotNil(t, f, "the leak must be caught:\n%s", rep)
			model, _ := rules(f)
			assert.Contains(t, model, "R-C5", "the model comparison names R-C5:\n%s", rep)
		})
	}
}

// recordingTB is a rapid.TB that records instead of failing, so that a
// test can run a property that must fail and inspect the report.
type recordingTB struct {
	mu     sync.Mutex
	name   string
	failed bool
	log    strings.Builder
}

func (r *recordingTB) Helper()      {}
func (r *recordingTB) Name() string { return r.name }
func (r *recordingTB) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(&r.log, format+"\n", args...)
}
func (r *recordingTB) Log(args ...any)                  { r.Logf("%s", fmt.Sprint(args...)) }
func (r *recordingTB) Skipf(format string, args ...any) { r.Logf("skip: "+format, args...) }
func (r *recordingTB) Skip(args ...any)                 { r.Log(args...) }
func (r *recordingTB) SkipNow()                         {}
func (r *recordingTB) Errorf(format string, args ...any) {
	r.Fail()
	r.Logf(format, args...)
}
func (r *recordingTB) Error(args ...any) { r.Fail(); r.Log(args...) }
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
}
func (r *recordingTB) Fatal(args ...any) { r.Error(args...) }
func (r *recordingTB) FailNow()          { r.Fail() }
func (r *recordingTB) Fail() {
	r.mu.Lock()
	r.failed = true
	r.mu.Unlock()
}
func (r *recordingTB) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// withoutFailFiles keeps rapid from saving the expected failure under
// testdata/rapid, where it would replay in every later run.
func withoutFailFiles(t *testing.T) { setFlag(t, "rapid.nofailfile", "true") }

func setFlag(t *testing.T, name, value string) {
	old := flag.Lookup(name).Value.String()
	require.NoError(t, flag.Set(name, value))
	t.Cleanup(func() { _ = flag.Set(name, old) })
}

// rapid finds the leak from random stories and shrinks it to a short story
// that still leaks; the report names the rule and prints the story in
// script syntax.
func TestKitShrinksALeakToAShortStoryRC5(t *testing.T) {
	withoutFailFiles(t)
	setFlag(t, "rapid.seed", "6") // a fixed search, so the test's time does not vary
	tb := &recordingTB{name: t.Name()}
	rapid.Check(tb, chatconsulttest.Property(chatconsulttest.Gen{MaxSteps: 30}, chatconsulttest.WithSubstitute(leakSays)))
	require.True(t, tb.Failed(), "rapid must find the leak")
	out := tb.log.String()
	t.Logf("rapid's report:\n%s", out)
	assert.Contains(t, out, "R-C5")
	assert.Contains(t, out, " say ", "the shrunk story ends in the leaking consultation message")

	// The shrunk story is the one rapid draws last: it opens, gets an
	// owner, consults, accepts and says: a handful of steps.
	const drawn = "[rapid] draw story:"
	require.Contains(t, out, drawn)
	last := out[strings.LastIndex(out, drawn)+len(drawn):]
	steps := 0
	for _, line := range strings.Split(strings.TrimSpace(last), "\n") {
		if _, err := chatconsulttest.ParseStep(strings.TrimSpace(line)); err != nil {
			break
		}
		steps++
	}
	assert.LessOrEqual(t, steps, 8, "shrunk to a short story:\n%s", last)
	assert.GreaterOrEqual(t, steps, 5, "no shorter story can leak a consultation message")
}

// supervisedStory: the contact is with agent1, whom super1 coaches.
func supervisedStory(t *testing.T, extra ...string) chatconsulttest.Story {
	t.Helper()
	var story chatconsulttest.Story
	for _, line := range append([]string{
		`contact open "Hello"`,
		`system assign agent1`,
		`agent1 join`,
	}, extra...) {
		s, err := chatconsulttest.ParseStep(line)
		require.NoError(t, err)
		story.Steps = append(story.Steps, s)
	}
	return story
}

// R-X7: a view layer that shows the contact the coaching its agent gets
// is caught by the model comparison and the invariant checker.
func TestKitCatchesCoachingShownToTheContactRX7(t *testing.T) {
	leaky := func(s *interaction.State, viewer interaction.PartyID) (interaction.View, error) {
		v, err := s.ViewFor(viewer)
		if err == nil && v.Role == interaction.RoleContact {
			for _, m := range s.Messages {
				if m.Scope.Kind == interaction.ScopeCoach {
					v.Messages = append(v.Messages, m)
				}
			}
		}
		return v, err
	}
	story := supervisedStory(t, `super1 coach agent1 "offer the voucher"`)
	rep := chatconsulttest.NewHarness().Run(context.Background(), story)
	require.Nil(t, rep.Failure(), "the real library passes:\n%s", rep)
	rep = chatconsulttest.NewHarness(chatconsulttest.WithView(leaky)).Run(context.Background(), story)
	f := rep.Failure()
	require.NotNil(t, f, "the leak must be caught:\n%s", rep)
	assert.Len(t, rep.Steps, len(story.Steps), "caught at the coaching step")
	model, invariants := rules(f)
	assert.Contains(t, model, "R-X7")
	assert.Contains(t, invariants, "R-X7")
	t.Logf("caught:\n%s", rep)
}

// R-X7: a view layer that shows a monitoring supervisor among the parties
// of the agents and the contact is caught by both.
func TestKitCatchesAVisibleMonitorRX7(t *testing.T) {
	showAll := func(s *interaction.State, viewer interaction.PartyID) (interaction.View, error) {
		v, err := s.ViewFor(viewer)
		if err != nil {
			return v, err
		}
		for _, p := range s.Parties {
			if p.Role == interaction.RoleSupervisor && p.ID != viewer {
				v.Parties = append(v.Parties, interaction.PartyView{ID: p.ID, Role: p.Role, Membership: p.Membership})
			}
		}
		return v, err
	}
	story := supervisedStory(t, `super1 monitor agent1`)
	rep := chatconsulttest.NewHarness(chatconsulttest.WithView(showAll)).Run(context.Background(), story)
	f := rep.Failure()
	require.NotNil(t, f, "the visible monitor must be caught:\n%s", rep)
	model, invariants := rules(f)
	assert.Contains(t, model, "R-X7")
	assert.Contains(t, invariants, "R-X7")
	t.Logf("caught:\n%s", rep)
}

// loudMonitor is interaction.Monitor with one bug: the supervisor's
// entering and monitoring events are written for everyone (breaks R-X7:
// the agents and the contact are told of a silent monitor). The state it
// leaves is the right one, so only the events show it.
type loudMonitor struct{ interaction.Monitor }

func (c loudMonitor) Decide(d *interaction.Decision) error {
	dry := interaction.NewDecision(d.State(), d.Actor(), d.Now(), d.Cause(), d.Limits(), nil)
	decisionhook.SetSupervision(dry, interaction.AnyoneMaySupervise) // the harness's policy
	if err := c.Monitor.Decide(dry); err != nil {
		return err
	}
	if p := d.State().Party(d.Actor()); p == nil || !p.Present() {
		if err := d.Membership(d.Actor(), "enter", interaction.RoleSupervisor, interaction.Everyone); err != nil {
			return err
		}
	}
	return d.Supervision(c.Agent, interaction.TriggerMonitor, interaction.Everyone)
}

// R-X7: the invariant checker catches a command that tells everyone of a
// silent monitor, from the events alone.
func TestKitCatchesAMonitorAnnouncedToEveryoneRX7(t *testing.T) {
	loud := func(cmd interaction.Command) interaction.Command {
		if m, ok := cmd.(interaction.Monitor); ok {
			return loudMonitor{m}
		}
		return cmd
	}
	story := supervisedStory(t, `super1 monitor agent1`)
	rep := chatconsulttest.NewHarness(chatconsulttest.WithSubstitute(loud)).Run(context.Background(), story)
	f := rep.Failure()
	require.NotNil(t, f, "the announced monitor must be caught:\n%s", rep)
	_, invariants := rules(f)
	assert.Contains(t, invariants, "R-X7")
	t.Logf("caught:\n%s", rep)
}

// R-C5, R-X3: the leak a reviewer found (a former supervisor, consulted
// later, still read its old agent's other consultations), put back through
// the view hook, is caught by both, in a story the generators draw (an
// agent supervises, leaves, and is consulted).
func TestKitCatchesAFormerSupervisorReadingOtherLegs(t *testing.T) {
	oldSight := func(s *interaction.State, viewer interaction.PartyID) (interaction.View, error) {
		v, err := s.ViewFor(viewer)
		if err != nil || viewer != "agent3" {
			return v, err
		}
		for _, m := range s.Messages {
			if l := s.Leg(interaction.LegID(m.Scope.Invitation)); m.Scope.Kind == interaction.ScopeLeg && l != nil && l.Owner == "agent1" && l.Invitee != viewer {
				v.Messages = append(v.Messages, m)
			}
		}
		return v, err
	}
	story := supervisedStory(t,
		`agent3 monitor agent1`,
		`agent3 leave`,
		`agent1 consult leg1 agent3`,
		`agent3 accept leg1`,
		`agent1 consult leg2 agent2`,
		`agent2 accept leg2`,
		`agent2 say leg2 "for agent1 only"`,
	)
	rep := chatconsulttest.NewHarness().Run(context.Background(), story)
	require.Nil(t, rep.Failure(), "the real library passes:\n%s", rep)
	rep = chatconsulttest.NewHarness(chatconsulttest.WithView(oldSight)).Run(context.Background(), story)
	f := rep.Failure()
	require.NotNil(t, f, "the leak must be caught:\n%s", rep)
	assert.Len(t, rep.Steps, len(story.Steps), "caught at the leg message")
	model, invariants := rules(f)
	assert.Contains(t, model, "R-X3")
	assert.Contains(t, invariants, "R-X3")
	t.Logf("caught:\n%s", rep)
}
