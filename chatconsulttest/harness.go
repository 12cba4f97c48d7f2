package chatconsulttest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"pgregory.net/rapid"

	"github.com/chatconsult/chatconsult/interaction"
)

// StoryInteraction is the ID of the interaction a Harness runs stories on.
const StoryInteraction interaction.ID = "chat-1"

// Harness runs steps on a real interaction.Service and, after each one,
// checks the library against the reference model (Compare) and the
// invariants (Checker). The Service runs on a ManualClock and sequential
// IDs, so a story replays exactly.
type Harness struct {
	Chats   *interaction.Service
	Clock   *ManualClock
	Model   *Model
	Checker *Checker
	ID      interaction.ID

	view       ViewFunc
	substitute func(interaction.Command) interaction.Command
	stopped    string
}

// HarnessOption configures a Harness.
type HarnessOption func(*harnessConfig)

type harnessConfig struct {
	store      interaction.Store
	notifier   interaction.Notifier
	view       ViewFunc
	substitute func(interaction.Command) interaction.Command
}

// WithStore runs the harness on st (default: a new MemoryStore).
func WithStore(st interaction.Store) HarnessOption {
	return func(c *harnessConfig) { c.store = st }
}

// WithNotifier runs the harness with n (default: a new MemoryNotifier).
func WithNotifier(n interaction.Notifier) HarnessOption {
	return func(c *harnessConfig) { c.notifier = n }
}

// WithView checks views through f instead of the library's ViewFor: plug
// in the view layer of your own service.
func WithView(f ViewFunc) HarnessOption {
	return func(c *harnessConfig) { c.view = f }
}

// WithSubstitute sends f(cmd) to the library instead of each step's
// command, while the model still predicts the original. It is the hook for
// decorating commands (say, your service's own command wrapper) and for
// proving that the harness catches a broken one.
func WithSubstitute(f func(interaction.Command) interaction.Command) HarnessOption {
	return func(c *harnessConfig) { c.substitute = f }
}

// NewHarness returns a harness on a fresh interaction StoryInteraction.
func NewHarness(opts ...HarnessOption) *Harness {
	var cfg harnessConfig
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.store == nil {
		cfg.store = interaction.NewMemoryStore()
	}
	if cfg.notifier == nil {
		cfg.notifier = interaction.NewMemoryNotifier()
	}
	if cfg.view == nil {
		cfg.view = LibraryView
	}
	clock := NewManualClock()
	h := &Harness{
		Chats: interaction.NewService(interaction.WithStore(cfg.store), interaction.WithNotifier(cfg.notifier),
			interaction.WithClock(clock), interaction.WithIDs(NewSequentialIDs("id-"))),
		Clock:      clock,
		Model:      NewModel(StoryInteraction),
		Checker:    NewChecker(),
		ID:         StoryInteraction,
		view:       cfg.view,
		substitute: cfg.substitute,
	}
	h.Checker.View = cfg.view
	return h
}

// StepReport is what one step did and what the checks found.
type StepReport struct {
	Step        Step
	Err         error   // the library's answer
	Outcome     Outcome // the model's prediction
	Differences []Difference
	Violations  []Violation
}

// Failed reports whether the step broke a rule.
func (r StepReport) Failed() bool { return len(r.Differences)+len(r.Violations) > 0 }

func (r StepReport) String() string {
	var b strings.Builder
	b.WriteString(r.Step.String())
	b.WriteString(" -> ")
	b.WriteString(Result(r.Err))
	for _, d := range r.Differences {
		b.WriteString("\n    model: ")
		b.WriteString(d.String())
	}
	for _, v := range r.Violations {
		b.WriteString("\n    invariant: ")
		b.WriteString(v.String())
	}
	return b.String()
}

// Result renders a command's answer as the scenario scripts do: "ok", or
// "refused: <kind>: <detail> (<rule>)".
func Result(err error) string {
	if err == nil {
		return "ok"
	}
	var e *interaction.Error
	if !errors.As(err, &e) {
		return "error: " + err.Error()
	}
	s := "refused: " + e.Kind.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Rule != "" {
		s += " (" + e.Rule + ")"
	}
	return s
}

// Stopped returns the known core bug (or the command the model does not
// know) that made the harness stop following the model, or "".
func (h *Harness) Stopped() string { return h.stopped }

// Do runs one step and checks everything after it.
func (h *Harness) Do(ctx context.Context, step Step) StepReport {
	rep := StepReport{Step: step, Outcome: Outcome{Unmodelled: true}}
	following := h.stopped == ""
	if following {
		rep.Outcome = h.Model.Do(step)
		switch {
		case rep.Outcome.KnownBug != "":
			h.stopped = "known core bug " + rep.Outcome.KnownBug
			following = false
		case rep.Outcome.Unmodelled && step.Interaction == "":
			h.stopped = fmt.Sprintf("command %T, which the model does not know", step.Command)
			following = false
		}
	}
	cmd := step.Command
	if h.substitute != nil {
		cmd = h.substitute(cmd)
	}
	id := step.Interaction
	if id == "" {
		id = h.ID
	}
	events, err := h.Chats.Do(ctx, id, step.Actor, cmd)
	rep.Err = err
	if err != nil {
		var e *interaction.Error
		if !errors.As(err, &e) {
			rep.Differences = append(rep.Differences, Difference{Rule: "R-X6", Subject: "outcome", Detail: "refusal is not an *interaction.Error: " + err.Error()})
		}
		if len(events) > 0 {
			rep.Differences = append(rep.Differences, Difference{Rule: "R-X6", Subject: "outcome", Detail: "a refused command returned events"})
		}
	}
	if following && !rep.Outcome.Unmodelled && !rep.Outcome.Allows(err) {
		want := "accepted"
		if !rep.Outcome.Accepted {
			want = fmt.Sprintf("refused with one of %v", rep.Outcome.Kinds)
		}
		rep.Differences = append(rep.Differences, Difference{Rule: rep.Outcome.Rule, Subject: "outcome",
			Detail: fmt.Sprintf("library: %s; model: %s", Result(err), want)})
	}
	if err == nil && id == h.ID {
		rep.Violations = append(rep.Violations, h.Checker.Add(events)...)
	}
	readErr := h.Chats.Read(ctx, h.ID, func(st *interaction.State) error {
		if following {
			rep.Differences = append(rep.Differences, Compare(h.Model, st, h.view)...)
		}
		rep.Violations = append(rep.Violations, h.Checker.Verify(st)...)
		return nil
	})
	if readErr != nil && following && h.Model.exists {
		rep.Differences = append(rep.Differences, Difference{Rule: "R-X5", Subject: "interaction", Detail: "cannot read it: " + readErr.Error()})
	}
	return rep
}

// RunReport is the record of a story run.
type RunReport struct {
	Steps   []StepReport
	Stopped string // why the harness stopped following the model, if it did
}

// Failure returns the first failed step, or nil.
func (r RunReport) Failure() *StepReport {
	for i := range r.Steps {
		if r.Steps[i].Failed() {
			return &r.Steps[i]
		}
	}
	return nil
}

func (r RunReport) String() string {
	var b strings.Builder
	for i, s := range r.Steps {
		fmt.Fprintf(&b, "%3d  %s\n", i+1, s)
	}
	if r.Stopped != "" {
		fmt.Fprintf(&b, "     (stopped following the model: %s)\n", r.Stopped)
	}
	return b.String()
}

// Run runs the story until its first failing step (included).
func (h *Harness) Run(ctx context.Context, story Story) RunReport {
	var rep RunReport
	for _, s := range story.Steps {
		sr := h.Do(ctx, s)
		rep.Steps = append(rep.Steps, sr)
		if sr.Failed() {
			break
		}
	}
	rep.Stopped = h.stopped
	return rep
}

// Property is a rapid property: it draws a story from g, runs it on a new
// Harness, and fails at the first step where the library disagrees with
// the model or breaks an invariant. rapid then shrinks the story and
// prints it (in script syntax) with the failing step.
//
//	func TestMyDesk(t *testing.T) {
//		rapid.Check(t, chatconsulttest.Property(chatconsulttest.Gen{}))
//	}
func Property(g Gen, opts ...HarnessOption) func(*rapid.T) {
	return func(t *rapid.T) {
		story := g.Story().Draw(t, "story")
		rep := NewHarness(opts...).Run(context.Background(), story)
		if f := rep.Failure(); f != nil {
			t.Fatalf("step %d breaks a rule:\n%s", len(rep.Steps), rep)
		}
	}
}

var rapidChecksOnCommandLine = sync.OnceValue(func() bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	return set
})

// EnsureChecks makes rapid run at least n checks per property in this test
// (rapid's default is 100), unless -rapid.checks was given on the command
// line, which wins. It restores the setting when tb ends. Do not use it in
// parallel tests: rapid reads the setting without a lock.
func EnsureChecks(tb testing.TB, n int) {
	tb.Helper()
	if rapidChecksOnCommandLine() {
		return
	}
	f := flag.Lookup("rapid.checks")
	if f == nil {
		tb.Fatal("rapid is not linked in")
	}
	old := f.Value.String()
	if cur, err := strconv.Atoi(old); err == nil && cur >= n {
		return
	}
	if err := flag.Set("rapid.checks", strconv.Itoa(n)); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = flag.Set("rapid.checks", old) })
}
