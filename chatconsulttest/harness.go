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
	do         DoFunc
	notifier   interaction.Notifier
	policy     interaction.SupervisionPolicy
	rec        *stepRecorder
	steps      int
	// viewsChecked: the caller (PrivacyHarness) compares every party's
	// view with the model after each step, through Service.View, which is
	// the library's view: Do need not do it again.
	viewsChecked bool
	defaultView  bool
	stopped      string
}

// DoFunc runs one command of a party through the embedding service's
// command path: Service.DoCommand by default (DoCommandFunc). It returns
// what that party is given back.
type DoFunc func(ctx context.Context, s *interaction.Service, id interaction.ID, actor interaction.PartyID, commandID string, cmd interaction.Command) ([]interaction.Event, error)

// DoCommandFunc is the library's command path, Service.DoCommand.
func DoCommandFunc(ctx context.Context, s *interaction.Service, id interaction.ID, actor interaction.PartyID, commandID string, cmd interaction.Command) ([]interaction.Event, error) {
	return s.DoCommand(ctx, id, actor, commandID, cmd)
}

// stepRecorder hears every committed event of the harness's Service once (a
// retried command is notified again: dropped by version).
type stepRecorder struct {
	last   map[interaction.ID]uint64
	events []interaction.Event
}

func (r *stepRecorder) Notify(_ context.Context, _ *interaction.State, events []interaction.Event) {
	for _, ev := range events {
		if ev.Version > r.last[ev.Interaction] {
			r.last[ev.Interaction] = ev.Version
			r.events = append(r.events, ev)
		}
	}
}

func (r *stepRecorder) take(id interaction.ID) []interaction.Event {
	var out []interaction.Event
	for _, ev := range r.events {
		if ev.Interaction == id {
			out = append(out, ev)
		}
	}
	r.events = r.events[:0]
	return out
}

// HarnessOption configures a Harness.
type HarnessOption func(*harnessConfig)

type harnessConfig struct {
	store      interaction.Store
	notifier   interaction.Notifier
	view       ViewFunc
	substitute func(interaction.Command) interaction.Command
	do         DoFunc
	policy     interaction.SupervisionPolicy
	policySet  bool
}

// WithDo sends every step (and every probe of PrivacyProperty) through f
// instead of Service.DoCommand: plug in your service's own command path
// (an API layer, a retry cache), to check what it hands back to a party.
func WithDo(f DoFunc) HarnessOption {
	return func(c *harnessConfig) { c.do = f }
}

// WithSupervision runs the harness's Service, and its model, with policy
// p (R-X7; default: interaction.AnyoneMaySupervise). nil: nobody may
// supervise.
func WithSupervision(p interaction.SupervisionPolicy) HarnessOption {
	return func(c *harnessConfig) { c.policy, c.policySet = p, true }
}

// WithStore runs the harness on st (default: a new MemoryStore).
func WithStore(st interaction.Store) HarnessOption {
	return func(c *harnessConfig) { c.store = st }
}

// WithNotifier runs the harness with n (default: a new MemoryNotifier).
// PrivacyProperty reads what each party was delivered through n's
// subscriptions: a *interaction.MemoryNotifier's, or n's own Feeds.
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
func NewHarness(options ...HarnessOption) *Harness {
	var cfg harnessConfig
	for _, o := range options {
		o(&cfg)
	}
	clock := NewManualClock()
	if cfg.store == nil {
		cfg.store = interaction.NewMemoryStore()
	}
	if cfg.notifier == nil {
		cfg.notifier = interaction.NewMemoryNotifier()
	}
	defaultView := cfg.view == nil
	if defaultView {
		cfg.view = LibraryView
	}
	if !cfg.policySet {
		cfg.policy = interaction.AnyoneMaySupervise
	}
	if cfg.do == nil {
		cfg.do = DoCommandFunc
	}
	rec := &stepRecorder{last: map[interaction.ID]uint64{}}
	opts := []interaction.Option{interaction.WithStore(cfg.store), interaction.WithNotifier(interaction.Notifiers{rec, cfg.notifier}),
		interaction.WithClock(clock), interaction.WithIDs(NewSequentialIDs("id-"))}
	if cfg.policy != nil {
		opts = append(opts, interaction.WithSupervision(cfg.policy))
	}
	h := &Harness{
		Chats:       interaction.NewService(opts...),
		Clock:       clock,
		Model:       NewModel(StoryInteraction),
		Checker:     NewChecker(),
		ID:          StoryInteraction,
		view:        cfg.view,
		substitute:  cfg.substitute,
		do:          cfg.do,
		notifier:    cfg.notifier,
		policy:      cfg.policy,
		rec:         rec,
		defaultView: defaultView,
	}
	h.Checker.View = cfg.view
	h.Model.Policy = cfg.policy
	return h
}

// StepReport is what one step did and what the checks found.
type StepReport struct {
	Step Step
	// Cause is the command ID the step ran with (the harness names each
	// step's command "cmd-1", "cmd-2", …).
	Cause   string
	Err     error   // the library's answer
	Outcome Outcome // the model's prediction
	// Events are every event the step committed (what Service.Execute
	// returns); Told is what the acting party was handed back.
	Events []interaction.Event
	Told   []interaction.Event
	// Retry: the step is a retry of command Cause (PrivacyHarness.Retry),
	// by its own party or another.
	Retry       bool
	Differences []Difference
	Violations  []Violation
}

// Failed reports whether the step broke a rule.
func (r StepReport) Failed() bool { return len(r.Differences)+len(r.Violations) > 0 }

func (r StepReport) String() string {
	var b strings.Builder
	if r.Retry {
		b.WriteString("(retry of " + r.Cause + ") ")
	}
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
	h.steps++
	rep := StepReport{Step: step, Cause: fmt.Sprintf("cmd-%d", h.steps), Outcome: Outcome{Unmodelled: true}}
	following := h.stopped == ""
	if following {
		rep.Outcome = h.Model.DoCommand(step, rep.Cause)
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
	told, err := h.do(ctx, h.Chats, id, step.Actor, rep.Cause, cmd)
	events := h.rec.take(h.ID)
	rep.Err, rep.Events, rep.Told = err, events, told
	if errors.Is(err, interaction.ErrCorruptLog) {
		// The core refused to write what the command decided: the events
		// break a rule of the log (interaction's validator), so the command
		// is broken. Nothing was written; report the rule it broke.
		rep.Violations = append(rep.Violations, refusal(err))
	}
	if err != nil {
		var e *interaction.Error
		if !errors.As(err, &e) {
			rep.Differences = append(rep.Differences, Difference{Rule: "R-X6", Subject: "outcome", Detail: "refusal is not an *interaction.Error: " + err.Error()})
		}
		if len(told) > 0 || len(events) > 0 {
			rep.Differences = append(rep.Differences, Difference{Rule: "R-X6", Subject: "outcome", Detail: "a refused command returned or committed events"})
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
			view := h.view
			if h.viewsChecked {
				view = nil // the caller compares every party's view itself
			}
			rep.Differences = append(rep.Differences, compare(h.Model, st, view)...)
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
	return PropertySeeing(g, nil, opts...)
}

// PropertySeeing is Property, calling seen (when not nil) with every story
// drawn before it runs: for tests that count what their stories hold.
func PropertySeeing(g Gen, seen func(Story), opts ...HarnessOption) func(*rapid.T) {
	g = g.forHarness(opts)
	return func(t *rapid.T) {
		story := g.Story().Draw(t, "story")
		if seen != nil {
			seen(story)
		}
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

// forHarness is g drawing for a harness made with opts: with its
// supervision policy, unless g has its own.
func (g Gen) forHarness(opts []HarnessOption) Gen {
	var cfg harnessConfig
	for _, o := range opts {
		o(&cfg)
	}
	if g.Policy == nil && cfg.policySet {
		g.Policy = cfg.policy
		if g.Policy == nil {
			g.Policy = nobody{}
		}
	}
	return g
}

// nobody is the policy of a Service without one: nobody may supervise.
type nobody struct{}

func (nobody) MaySupervise(interaction.ID, interaction.PartyID, interaction.PartyID) bool {
	return false
}
