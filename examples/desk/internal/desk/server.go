package desk

import (
	"context"
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
	"github.com/chatconsult/chatconsult/signals"
)

//go:embed static
var static embed.FS

// The desk's cast: the three panes, left to right.
const (
	Contact interaction.PartyID = "contact"
	Agent1  interaction.PartyID = "agent1"
	Agent2  interaction.PartyID = "agent2"
)

// DeskGroup is the group a contact's chat is opened to over the API
// (POST /v1/interactions with target {"kind": "group", "id": "desk"}):
// agent1 is its one agent.
const DeskGroup = "desk"

// Agents are the agent panes, in order; a new chat is offered to the first.
var Agents = []interaction.PartyID{Agent1, Agent2}

// Server is the desk: the services behind its API. It keeps no chat of its
// own: each pane follows its party's (docs: doc.go).
type Server struct {
	chats    *interaction.Service
	desk     *consult.Service
	notifier *interaction.MemoryNotifier
	tracker  *signals.Tracker
	// dir and router route the chat a contact opens over the API to
	// agent1 (the group DeskGroup); agent2 is consulted by name only.
	dir    *routing.Directory
	router *routing.ChatRouter
	clock  interaction.Clock

	// pageReads counts the pages and views of a chat the panes read over
	// the API (GET …/page, …/view): one when a pane puts a chat on it, and
	// again only when a delta says the page must be read again. Tests read
	// it.
	pageReads atomic.Int64

	mu sync.Mutex
	// tokens holds each party's pane token (guard.go): one live pane
	// per party; revoked closes when it is replaced, which ends the old
	// pane's streams.
	tokens  map[interaction.PartyID]string
	revoked map[string]chan struct{}

	hosts []string // Config.Hosts
}

// Config holds what a Server may be given; zero values get defaults.
type Config struct {
	// Clock defaults to the system clock; IDs to sequential numbers.
	Clock interaction.Clock
	IDs   interaction.IDSource
	// InviteTimeout is how long an invitation waits (default 60 s).
	InviteTimeout time.Duration
	// ReminderDelay is how long a response waits before its reminder
	// (default: signals' default).
	ReminderDelay time.Duration
	// Hosts are more host:port names the desk answers to. It always
	// answers to the address a request came in on, and to localhost when
	// that is a loopback address; any other Host is refused (DNS
	// rebinding), and so is an Origin that is not the Host's.
	Hosts []string
}

// New returns a desk on a fresh in-memory Store and Notifier.
func New(c Config) *Server {
	if c.Clock == nil {
		c.Clock = interaction.SystemClock{}
	}
	if c.IDs == nil {
		c.IDs = &interaction.SequentialIDs{}
	}
	if c.InviteTimeout == 0 {
		c.InviteTimeout = time.Minute
	}
	s := &Server{
		notifier: interaction.NewMemoryNotifier(),
		tokens:   map[interaction.PartyID]string{},
		revoked:  map[string]chan struct{}{},
		hosts:    slices.Clone(c.Hosts),
	}
	var opts []signals.Option
	if c.ReminderDelay > 0 {
		opts = append(opts, signals.WithDelay(c.ReminderDelay))
	}
	s.tracker = signals.New(c.Clock, signals.NotifierSink(s.notifier), opts...)
	s.clock = c.Clock
	s.dir = routing.NewDirectory(routing.WithClock(c.Clock))
	s.chats = interaction.NewService(
		// The tracker first: a pane that asks /v1/me/pending on the memory
		// notifier's word finds the pending responses already updated.
		interaction.WithNotifier(interaction.Notifiers{s.tracker, s.dir, s.notifier}),
		interaction.WithClock(c.Clock),
		interaction.WithIDs(c.IDs),
	)
	s.desk = consult.New(s.chats, consult.WithInviteTimeout(c.InviteTimeout))
	s.router = routing.NewChatRouter(s.chats, s.dir, routing.WithChatTimeout(c.InviteTimeout))
	// Routing's part: a new chat to the desk's group is offered to agent1.
	if err := s.dir.Put(routing.Agent{ID: Agents[0], Groups: []string{DeskGroup}}); err != nil {
		panic(err)
	}
	if err := s.dir.SetPresence(context.Background(), Agents[0], routing.Ready); err != nil {
		panic(err)
	}
	return s
}

// Handler serves the page and its assets, /login and the library's HTTP
// API under /v1/: nothing else. Every request must be for the desk's own
// host; the API must come from the desk's own page and, after /login,
// carry the pane's token (guard.go).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	files, _ := fs.Sub(static, "static")
	mux.Handle("GET /", http.FileServerFS(files))
	mux.HandleFunc("POST /login", s.sameOrigin(jsonBody(s.serveLogin)))
	api := s.api()
	for _, m := range []string{"GET", "POST", "PUT"} {
		mux.Handle(m+" /v1/", api)
	}
	return s.secure(mux)
}

// onDesk reports whether p has a pane; only the cast is served.
func onDesk(p interaction.PartyID) bool {
	if p == Contact {
		return true
	}
	for _, a := range Agents {
		if p == a {
			return true
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
