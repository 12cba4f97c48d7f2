// Package stack is the wiring recipe of examples/server: the whole library
// — store, routing (new chats included), consultations, reminders,
// history, the relay of every instance's events into the party streams —
// behind one http.Handler (package httpapi), on a Backend: in memory by
// default (one instance), or a shared one such as PostgreSQL's, built by
// the pgstore module (pgstore/examples/server), for several instances
// behind a load balancer.
package stack

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/chatconsult/chatconsult"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/httpapi"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/observe"
	"github.com/chatconsult/chatconsult/routing"
	"github.com/chatconsult/chatconsult/signals"
)

// Backend is where the stack keeps what every instance shares. The zero
// Backend is in memory: one instance.
type Backend struct {
	// Store keeps the events (default interaction.MemoryStore).
	Store interaction.Store
	// Deadlines is the shared queue of invitation time-outs (default: in
	// memory, learned from the events).
	Deadlines interaction.DeadlineQueue
	// Routing keeps presence, capacity, holds and the routes of new chats
	// (default routing.MemoryStore).
	Routing routing.Store
	// Watch says when any instance committed: the scheduler wakes on it
	// for deadlines other instances wrote. Nil in memory.
	Watch interaction.LogWatcher
	// Relay, when set, delivers every instance's commands after log
	// position after to n, command by command, until ctx ends
	// (pgstore.NewRelay(…).Run): the party streams, the reminders and the
	// history then follow the whole log, whichever instance wrote. Without it they
	// follow this instance's commands.
	Relay func(ctx context.Context, n interaction.Notifier, after uint64) error
	// Written, when set, is told of this instance's commits besides the
	// library's own parts (the pgstore Listener, which wakes this
	// instance's followers at once).
	Written interaction.Notifier
}

// Config is a stack.
type Config struct {
	Backend
	// Agents are registered at start (each instance registers them; a
	// shared routing Store keeps one record per agent).
	Agents []routing.Agent
	// Auth says who makes a request. Tokens builds a bearer-token one.
	Auth httpapi.Authenticator
	// Logger and Observer get what the library reports (package observe).
	Logger   *slog.Logger
	Observer observe.Observer
	// Clock and IDs default to the system clock and random IDs.
	Clock chatconsult.Clock
	IDs   chatconsult.IDSource
	// InviteTimeout and ChatTimeout bound how long a consultation or
	// transfer/conference invitation and a new chat's offer wait for an
	// answer (default 30 s each).
	InviteTimeout, ChatTimeout time.Duration
	// Tick is how often due chat offers are fired (default 1 s).
	Tick time.Duration
}

// Stack is a running wiring: the System, the handler and the party
// streams' notifier.
type Stack struct {
	System  *chatconsult.System
	Handler http.Handler
	Parties *interaction.MemoryNotifier

	cfg    Config
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	errs   []error
}

// New wires a stack, recovers what the Store holds from before (open
// interactions, deadlines, history) and starts what runs on its own: the
// relay, the deadline scheduler's follower and the ticker of due chat
// offers. Close stops them.
func New(ctx context.Context, cfg Config) (*Stack, error) {
	if cfg.Auth == nil {
		return nil, errors.New("stack: Config needs Auth")
	}
	if cfg.Tick <= 0 {
		cfg.Tick = time.Second
	}
	parties := interaction.NewMemoryNotifier()
	opts := []chatconsult.Option{
		chatconsult.WithReminders(signals.NotifierSink(parties)),
		chatconsult.WithLogger(cfg.Logger),
		chatconsult.WithObserver(cfg.Observer),
	}
	if cfg.Store != nil {
		opts = append(opts, chatconsult.WithStore(cfg.Store))
	}
	if cfg.Deadlines != nil {
		opts = append(opts, chatconsult.WithDeadlines(cfg.Deadlines))
	}
	if cfg.Routing != nil {
		opts = append(opts, chatconsult.WithRoutingStore(cfg.Routing))
	}
	if cfg.Clock != nil {
		opts = append(opts, chatconsult.WithClock(cfg.Clock))
	}
	if cfg.IDs != nil {
		opts = append(opts, chatconsult.WithIDs(cfg.IDs))
	}
	if cfg.InviteTimeout > 0 {
		opts = append(opts, chatconsult.WithConsultOptions(consult.WithInviteTimeout(cfg.InviteTimeout)))
	}
	if cfg.ChatTimeout > 0 {
		opts = append(opts, chatconsult.WithChatRouterOptions(routing.WithChatTimeout(cfg.ChatTimeout)))
	}
	if cfg.Written != nil {
		opts = append(opts, chatconsult.WithNotifier(cfg.Written))
	}
	if cfg.Relay == nil {
		opts = append(opts, chatconsult.WithNotifier(parties)) // one instance: its own commands are all there is
	}
	sys := chatconsult.New(opts...)
	for _, a := range cfg.Agents {
		if err := sys.Routing.Put(a); err != nil {
			sys.Close()
			return nil, err
		}
	}
	if _, err := sys.Recover(ctx); err != nil {
		sys.Close()
		return nil, err
	}
	h, err := httpapi.New(httpapi.Config{Chats: sys.Chats, Consult: sys.Consult, Directory: sys.Routing, NewChats: sys.NewChats,
		Signals: sys.Signals, History: sys.History, Notifier: parties, Auth: cfg.Auth, Observer: cfg.Observer})
	if err != nil {
		sys.Close()
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Stack{System: sys, Handler: h, Parties: parties, cfg: cfg, cancel: cancel}
	if cfg.Relay != nil {
		// The history and the reminders (signals) hear this instance's
		// commands directly and every instance's through the relay; each
		// drops what it has, by version, so an agent connected here is
		// reminded of a chat another instance wrote to (R-C9).
		// From where Recover's replay of the history stopped: nobody is
		// subscribed yet, and the history has what is before.
		after := sys.History.Checkpoint()
		s.goRun(func() error {
			return cfg.Relay(runCtx, interaction.Notifiers{sys.Signals, parties, sys.History}, after)
		})
	}
	if cfg.Watch != nil {
		s.goRun(func() error { return sys.Consult.Scheduler().Follow(runCtx, cfg.Watch) })
	}
	s.goRun(func() error { return s.tick(runCtx) })
	return s, nil
}

func (s *Stack) goRun(f func() error) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := f(); err != nil && !errors.Is(err, context.Canceled) {
			s.mu.Lock()
			s.errs = append(s.errs, err)
			s.mu.Unlock()
			if s.cfg.Logger != nil {
				s.cfg.Logger.Error("stack: a background loop stopped", slog.String("error", err.Error()))
			}
		}
	}()
}

// tick fires due chat offers (routing.ChatRouter.RunDue) every Tick.
func (s *Stack) tick(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if _, err := s.System.NewChats.RunDue(ctx); err != nil && s.cfg.Logger != nil {
				s.cfg.Logger.Warn("stack: firing due chat offers", slog.String("error", err.Error()))
			}
		}
	}
}

// Close stops the background loops and the System, and returns what made
// a loop stop before.
func (s *Stack) Close() error {
	s.cancel()
	s.wg.Wait()
	s.System.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.errs...)
}

// Tokens is an Authenticator of bearer tokens ("Authorization: Bearer
// <token>"), for a demonstration: a real service asks its sessions or
// single sign-on.
type Tokens map[string]interaction.PartyID

// Authenticate implements httpapi.Authenticator.
func (t Tokens) Authenticate(r *http.Request) (interaction.PartyID, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if p, known := t[tok]; ok && known {
		return p, nil
	}
	return "", errors.New("unknown token")
}

// ParseTokens reads "token=party,token=party"; the party "system" is
// interaction.System (the service's own routing component).
func ParseTokens(s string) (Tokens, error) {
	out := Tokens{}
	for _, kv := range strings.Split(s, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		tok, party, ok := strings.Cut(kv, "=")
		if !ok || tok == "" || party == "" {
			return nil, errors.New("tokens: want token=party, got " + kv)
		}
		p := interaction.PartyID(party)
		if party == "system" {
			p = interaction.System
		}
		out[tok] = p
	}
	return out, nil
}

// ParseAgents reads "agent:skill+skill,agent:skill"; each skill at
// level 1.
func ParseAgents(s string) ([]routing.Agent, error) {
	var out []routing.Agent
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		id, skills, _ := strings.Cut(a, ":")
		if err := interaction.CheckPartyID(interaction.PartyID(id)); err != nil {
			return nil, err
		}
		ag := routing.Agent{ID: interaction.PartyID(id), Skills: map[string]int{}}
		for _, sk := range strings.Split(skills, "+") {
			if sk != "" {
				ag.Skills[sk] = 1
			}
		}
		out = append(out, ag)
	}
	return out, nil
}
