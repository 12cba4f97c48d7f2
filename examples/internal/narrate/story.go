package narrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// PartyID is interaction.PartyID, so stories can name parties tersely.
type PartyID = interaction.PartyID

// indent lines up the "seen by" and note lines under the text of a step.
const indent = "          "

// Story is one narrated session on a fresh in-memory service.
type Story struct {
	// Clock, Store, Chats and Desk are the story's services, for steps the
	// helpers do not cover (call them inside Step).
	Clock *chatconsulttest.ManualClock
	Store *interaction.MemoryStore
	Chats *interaction.Service
	Desk  *consult.Service
	// Directory routes group, skill and queue targets; nil unless the
	// story was made WithRouting.
	Directory *routing.Directory
	// ID is the story's interaction, set by Open.
	ID interaction.ID

	ctx     context.Context
	w       io.Writer
	cast    []PartyID
	subs    []*interaction.Subscription
	contact PartyID
	err     error
}

// Option configures a Story.
type Option func(*config)

type config struct {
	consult []consult.Option
	routing []routing.Option
	routed  bool
}

// WithRouting routes group, skill and queue targets through a
// routing.Directory on the story's clock (R-C2, R-X1), in the story's
// Directory field.
func WithRouting(opts ...routing.Option) Option {
	return func(c *config) { c.routing, c.routed = append(c.routing, opts...), true }
}

// WithConsultOptions passes options to consult.New (a router, an
// invitation time-out).
func WithConsultOptions(opts ...consult.Option) Option {
	return func(c *config) { c.consult = append(c.consult, opts...) }
}

// New starts a story told to w. cast lists every party the story will
// involve, in the order they are listed in "seen by" lines.
func New(w io.Writer, cast []PartyID, opts ...Option) *Story {
	var c config
	for _, o := range opts {
		o(&c)
	}
	notifier := interaction.NewMemoryNotifier()
	s := &Story{
		Clock: chatconsulttest.NewManualClock(),
		Store: interaction.NewMemoryStore(),
		ctx:   context.Background(),
		w:     w,
		cast:  cast,
	}
	var notifiers interaction.Notifiers
	if c.routed {
		// The Directory keeps the agents' load from the events, so it is
		// a Notifier as well as the Router.
		s.Directory = routing.NewDirectory(append([]routing.Option{routing.WithClock(s.Clock)}, c.routing...)...)
		notifiers = append(notifiers, s.Directory)
		c.consult = append(c.consult, consult.WithRouter(s.Directory))
	}
	s.Chats = interaction.NewService(
		interaction.WithStore(s.Store),
		interaction.WithClock(s.Clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("")),
		interaction.WithNotifier(append(notifiers, notifier)),
	)
	s.Desk = consult.New(s.Chats, c.consult...)
	if s.Directory != nil {
		s.Directory.RescindWith(s.Desk)
	}
	for _, p := range cast {
		s.subs = append(s.subs, notifier.Subscribe(p))
	}
	return s
}

// Context is the context the story's steps run with.
func (s *Story) Context() context.Context { return s.ctx }

// Err returns the first error of the story, if any.
func (s *Story) Err() error { return s.err }

// Fail stops the story with err (unless it has already failed).
func (s *Story) Fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

// Title prints the story's title.
func (s *Story) Title(title string) {
	if s.err != nil {
		return
	}
	fmt.Fprintf(s.w, "%s\n%s\n\n", title, strings.Repeat("=", len([]rune(title))))
}

// Note prints a line of explanation under the last step.
func (s *Story) Note(format string, args ...any) {
	if s.err != nil {
		return
	}
	fmt.Fprintf(s.w, "%s-- %s\n", indent, fmt.Sprintf(format, args...))
}

// Setup runs f, a change outside the interaction (an agent's presence or
// skills), and says so. It is no event of the interaction, so nobody is
// told of it through the Notifier.
func (s *Story) Setup(what string, f func() error) {
	if s.err != nil {
		return
	}
	if err := f(); err != nil {
		s.Fail(fmt.Errorf("setup %s: %w", what, err))
		return
	}
	fmt.Fprintf(s.w, "%s  (setup) %s\n", s.Clock.Now().Format("15:04:05"), what)
}

// Step runs f as actor's step, described by what ("starts a
// consultation with agent2"), and narrates it with the parties the
// Notifier told. The clock moves one second first.
func (s *Story) Step(actor PartyID, what string, f func() error) {
	if !s.tick() {
		return
	}
	if err := f(); err != nil {
		s.Fail(fmt.Errorf("%s %s: %w", actor, what, err))
		return
	}
	s.report(actor, what)
}

// Refused runs f, which must be refused, and narrates the refusal: nothing
// is written and nobody is told (R-X6).
func (s *Story) Refused(actor PartyID, what string, f func() error) {
	if !s.tick() {
		return
	}
	err := f()
	if err == nil {
		s.Fail(fmt.Errorf("%s %s: expected a refusal, it was done", actor, what))
		return
	}
	s.report(actor, "tries to "+what+": refused ("+refusal(err)+")")
}

// tick moves the clock to the next step's second; false once the story
// has failed.
func (s *Story) tick() bool {
	if s.err == nil {
		s.Wait(time.Second)
	}
	return s.err == nil
}

// refusal is the part of the library's error a reader needs: the kind,
// the detail and the rule.
func refusal(err error) string {
	var e *interaction.Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	out := e.Kind.Error()
	if e.Detail != "" {
		out += ": " + e.Detail
	}
	if e.Rule != "" {
		out += ", " + e.Rule
	}
	return out
}

// Wait moves the clock forward by d and narrates what the clock's
// time-outs did meanwhile, as steps of "system".
func (s *Story) Wait(d time.Duration) {
	if s.err != nil {
		return
	}
	s.Clock.Advance(d)
	if seen, events := s.drain(); len(seen) > 0 {
		s.print(interaction.System, describeTimeouts(events), seen)
	}
}

// report narrates a step that has just run.
func (s *Story) report(actor PartyID, what string) {
	seen, _ := s.drain()
	s.print(actor, what, seen)
}

func (s *Story) print(actor PartyID, what string, seen []bool) {
	var by, notBy []string
	for i, p := range s.cast {
		if len(seen) > 0 && seen[i] {
			by = append(by, string(p))
		} else {
			notBy = append(notBy, string(p))
		}
	}
	told := "seen by nobody"
	if len(by) > 0 {
		told = "seen by " + strings.Join(by, ", ")
	}
	if len(notBy) > 0 && len(by) > 0 {
		told += "; not by " + strings.Join(notBy, ", ")
	}
	fmt.Fprintf(s.w, "%s  %s %s\n%s%s\n", s.Clock.Now().Format("15:04:05"), actor, what, indent, told)
}

// drain empties every subscription and reports which parties were told
// something, and every event told to anyone. It fails the story when the
// contact was told a consultation message (R-C5).
func (s *Story) drain() ([]bool, []interaction.Event) {
	seen := make([]bool, len(s.cast))
	var all []interaction.Event
	told := false
	for i, sub := range s.subs {
		events := sub.Drain()
		if len(events) == 0 {
			continue
		}
		seen[i], told = true, true
		all = append(all, events...)
		if s.cast[i] != s.contact {
			continue
		}
		for _, ev := range events {
			if ev.Type == interaction.EventMessage && ev.Scope.Kind == interaction.ScopeLeg {
				s.Fail(fmt.Errorf("R-C5 broken: the contact was told the consultation message %q", ev.Text))
			}
		}
	}
	if !told {
		return nil, nil
	}
	return seen, all
}

// describeTimeouts says what the clock did, from the notices it wrote and
// the invitations it made on the owner's behalf (redirect on no answer,
// R-X1).
func describeTimeouts(events []interaction.Event) string {
	var said []string
	for _, ev := range events {
		var what string
		switch {
		case ev.Type == interaction.EventMessage && ev.Kind == interaction.KindNotice:
			what = ev.Text
		case (ev.Type == interaction.EventLeg || ev.Type == interaction.EventRequest) && ev.From == string(interaction.LegNone):
			what = "the invitation goes to " + string(ev.Party)
		}
		if what != "" && !contains(said, what) {
			said = append(said, what)
		}
	}
	if len(said) == 0 {
		return "times out an invitation"
	}
	return "times out an invitation: " + strings.Join(said, "; ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
