package chatconsult

import (
	"context"
	"errors"
	"log/slog"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/observe"
	"github.com/chatconsult/chatconsult/routing"
	"github.com/chatconsult/chatconsult/signals"
)

// The types a caller handles, from the packages that define them.
type (
	ID        = interaction.ID
	PartyID   = interaction.PartyID
	LegID     = interaction.LegID
	RequestID = interaction.RequestID
	Target    = interaction.Target
	Medium    = interaction.Medium
	View      = interaction.View
	Event     = interaction.Event
	Error     = interaction.Error
	Agent     = routing.Agent
	Presence  = routing.Presence
	Reminder  = signals.Reminder
	Clock     = interaction.Clock
	IDSource  = interaction.IDSource
	Store     = interaction.Store
	Notifier  = interaction.Notifier
	Deadlines = interaction.DeadlineQueue
)

// What a caller names most: what an invitation is aimed at, how a
// consultation is held, an agent's presence, and the party that stands
// for the system (routing, the clock) as the actor of what it does.
const (
	TargetAgent = interaction.TargetAgent
	TargetGroup = interaction.TargetGroup
	TargetSkill = interaction.TargetSkill
	TargetQueue = interaction.TargetQueue

	MediumChat  = interaction.MediumChat
	MediumIM    = interaction.MediumIM
	MediumVoice = interaction.MediumVoice

	Ready    = routing.Ready
	NotReady = routing.NotReady
	Away     = routing.Away

	SystemParty = interaction.System
)

// The kinds of a refused call; test them with errors.Is.
var (
	ErrInvalidTransition = interaction.ErrInvalidTransition
	ErrNotPermitted      = interaction.ErrNotPermitted
	ErrNotFound          = interaction.ErrNotFound
	ErrConflict          = interaction.ErrConflict
	ErrBadInput          = interaction.ErrBadInput
)

// System is the whole library wired together on one Store: chats
// (interaction), consultations, transfers and conferences (consult),
// routing, reminders (signals) and history, each fed by the chats'
// events. It is safe for concurrent use. Several Systems on one Store (one
// per process behind a load balancer) see one truth: what another
// instance or a restarted process needs is in the Store.
type System struct {
	Chats   *interaction.Service
	Consult *consult.Service
	Routing *routing.Directory
	Signals *signals.Tracker
	History *history.Projection
	// NewChats routes a contact's new chat to a group, skill or queue
	// (routing.ChatRouter, on Routing's Store: shared with every instance
	// when WithRoutingStore is); call its RunDue on a timer to fire chat
	// offers not answered in time.
	NewChats *routing.ChatRouter
}

type config struct {
	chats     []interaction.Option
	consult   []consult.Option
	routing   []routing.Option
	newChats  []routing.ChatOption
	signals   []signals.Option
	sink      signals.Sink
	notifiers interaction.Notifiers
	store     interaction.Store
	clock     interaction.Clock
	history   *history.Projection
}

// Option configures New.
type Option func(*config)

// WithStore keeps the events in store (default: an in-memory
// interaction.MemoryStore; pgstore.Store for PostgreSQL). With
// PostgreSQL, pass WithDeadlines too, so the deadlines are shared.
func WithStore(store Store) Option { return func(c *config) { c.store = store } }

// WithClock sets the clock of every part (default: the system clock).
func WithClock(clock Clock) Option { return func(c *config) { c.clock = clock } }

// WithIDs sets where new IDs come from (default: random).
func WithIDs(ids IDSource) Option {
	return func(c *config) { c.chats = append(c.chats, interaction.WithIDs(ids)) }
}

// WithNotifier adds n to those told of every committed change, after
// routing, reminders and history.
func WithNotifier(n Notifier) Option {
	return func(c *config) { c.notifiers = append(c.notifiers, n) }
}

// WithReminders has reminders (R-C9) go to sink (default: none are sent).
func WithReminders(sink signals.Sink, opts ...signals.Option) Option {
	return func(c *config) { c.sink, c.signals = sink, append(c.signals, opts...) }
}

// WithDeadlines keeps the deadlines of unanswered invitations in q (on
// PostgreSQL, pgstore.Store's deadline queue), so any instance fires them.
func WithDeadlines(q Deadlines) Option {
	return func(c *config) { c.consult = append(c.consult, consult.WithDeadlines(q)) }
}

// WithRoutingStore shares routing's presence, capacity and holds through
// store (on PostgreSQL, pgstore.RoutingStore) with every instance.
func WithRoutingStore(store routing.Store) Option {
	return func(c *config) { c.routing = append(c.routing, routing.WithStore(store)) }
}

// WithHistory uses p as the System's history, e.g. one a restarted
// process restored from its saved state (pgstore.Store.LoadHistory), so
// that Recover reads only the events written since its checkpoint
// (default: a new Projection, which replays the log from its start).
func WithHistory(p *history.Projection) Option { return func(c *config) { c.history = p } }

// WithSupervision lets supervisors monitor, coach and barge in as policy
// allows (default: nobody may, R-X7).
func WithSupervision(policy interaction.SupervisionPolicy) Option {
	return func(c *config) { c.chats = append(c.chats, interaction.WithSupervision(policy)) }
}

// WithChatOptions, WithConsultOptions and WithRoutingOptions pass options
// through to the part they name.
func WithChatOptions(opts ...interaction.Option) Option {
	return func(c *config) { c.chats = append(c.chats, opts...) }
}

// WithConsultOptions: see WithChatOptions.
func WithConsultOptions(opts ...consult.Option) Option {
	return func(c *config) { c.consult = append(c.consult, opts...) }
}

// WithRoutingOptions: see WithChatOptions.
func WithRoutingOptions(opts ...routing.Option) Option {
	return func(c *config) { c.routing = append(c.routing, opts...) }
}

// WithLogger has every part log what it does on its own to l (default:
// nothing is logged): invitations and chat offers timed out, offered on
// or left with nobody (Info, Warn), commands decided again after a
// conflict (Debug) or given up (Warn). See package observe.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.chats = append(c.chats, interaction.WithLogger(l)) }
}

// WithObserver has every part tell o of command outcomes and latencies,
// conflicts, retried command IDs, time-outs, redirects and invitations
// with nobody left (package observe; the otelmetrics module turns them
// into OpenTelemetry metrics).
func WithObserver(o observe.Observer) Option {
	return func(c *config) { c.chats = append(c.chats, interaction.WithObserver(o)) }
}

// WithChatRouterOptions configures System.NewChats (offer time-out,
// where routes are kept, what to do when nobody is left).
func WithChatRouterOptions(opts ...routing.ChatOption) Option {
	return func(c *config) { c.newChats = append(c.newChats, opts...) }
}

// New wires a System. Call Recover before serving when the Store may hold
// interactions from before this process started, and Close when done.
func New(opts ...Option) *System {
	c := config{store: interaction.NewMemoryStore(), clock: interaction.SystemClock{}, sink: signals.SinkFunc(func(context.Context, signals.Reminder) {})}
	for _, o := range opts {
		o(&c)
	}
	s := &System{
		Routing: routing.NewDirectory(append([]routing.Option{routing.WithClock(c.clock)}, c.routing...)...),
		Signals: signals.New(c.clock, c.sink, c.signals...),
		History: c.history,
	}
	if s.History == nil {
		s.History = history.New(history.WithStore(c.store))
	}
	notifiers := append(interaction.Notifiers{s.Routing, s.Signals, s.History}, c.notifiers...)
	s.Chats = interaction.NewService(append([]interaction.Option{
		interaction.WithStore(c.store), interaction.WithClock(c.clock), interaction.WithNotifier(notifiers),
	}, c.chats...)...)
	s.Consult = consult.New(s.Chats, append([]consult.Option{consult.WithRouter(s.Routing)}, c.consult...)...)
	s.NewChats = routing.NewChatRouter(s.Chats, s.Routing, c.newChats...)
	s.Routing.RescindWith(routing.ChatRescinder{Chats: s.NewChats, Others: s.Consult})
	return s
}

// Recover rebuilds what this process keeps in memory from the Store: the
// routing loads, the pending reminders and the deadlines from the open
// interactions, and the history from the log after its checkpoint (see
// WithHistory). It returns how many open interactions it found.
func (s *System) Recover(ctx context.Context) (int, error) {
	n, err := s.Chats.Recover(ctx, s.Routing.Sync, s.Signals.Sync, s.Consult.Sync)
	if err != nil {
		return n, err
	}
	log, ok := s.Chats.Store().(interaction.Log)
	if !ok {
		return n, errors.New("chatconsult: recover: the Store has no global log (interaction.Log) to replay history from")
	}
	return n, s.History.Replay(ctx, log)
}

// Close stops what runs on its own: the deadline scheduler and the
// reminder timers.
func (s *System) Close() {
	s.Consult.Stop()
	s.Signals.Close()
}
