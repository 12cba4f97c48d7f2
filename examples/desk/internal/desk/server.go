package desk

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
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

// Server is the desk: the services and the interaction on screen.
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

	paneSeq atomic.Uint64 // see Pane.Seq
	fileSeq atomic.Uint64 // the references of attachments
	// pageReads counts the pages of a view the desk read (readPane): one
	// when a pane connects or is opened, and again only when a delta says
	// the view must be read again. Tests read it.
	pageReads atomic.Int64

	mu      sync.Mutex
	current interaction.ID
	// reminders counts the reminders raised per agent (R-C9).
	reminders map[interaction.PartyID]int
	// watchers are the open event streams, told when the interaction on
	// the desk changes (a party not in the new one gets no notification)
	// or a pane token is replaced (the old pane's stream ends).
	watchers map[chan struct{}]struct{}
	// tokens holds each party's pane token (guard.go): one live pane
	// per party.
	tokens map[interaction.PartyID]string

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
		notifier:  interaction.NewMemoryNotifier(),
		reminders: map[interaction.PartyID]int{},
		tokens:    map[interaction.PartyID]string{},
		hosts:     slices.Clone(c.Hosts),
	}
	var opts []signals.Option
	if c.ReminderDelay > 0 {
		opts = append(opts, signals.WithDelay(c.ReminderDelay))
	}
	s.tracker = signals.New(c.Clock, signals.SinkFunc(s.remind), opts...)
	s.clock = c.Clock
	s.dir = routing.NewDirectory(routing.WithClock(c.Clock))
	s.chats = interaction.NewService(
		// The tracker first: a pane rebuilt on the memory notifier's word
		// must find the pending responses already updated.
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

// Handler serves the page, the panes, the live updates and the commands.
// Every request must be for the desk's own host; the API must come from
// the desk's own page and, after /login, carry the pane's token (guard.go).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	files, _ := fs.Sub(static, "static")
	mux.Handle("GET /", http.FileServerFS(files))
	mux.HandleFunc("POST /login", s.sameOrigin(jsonBody(s.serveLogin)))
	mux.HandleFunc("GET /pane", s.sameOrigin(s.servePane))
	mux.HandleFunc("GET /events", s.sameOrigin(s.serveEvents))
	mux.HandleFunc("POST /act", s.sameOrigin(jsonBody(s.serveAct)))
	api := s.api()
	for _, m := range []string{"GET", "POST", "PUT"} {
		mux.Handle(m+" /v1/", api)
	}
	return s.secure(mux)
}

func (s *Server) interaction() interaction.ID {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

func (s *Server) setInteraction(id interaction.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.current = id
	clear(s.reminders)
	s.refreshLocked()
}

// remind counts a reminder (R-C9) and refreshes the panes.
func (s *Server) remind(ctx context.Context, r signals.Reminder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// The panes hear of it on their streams (event: reminder).
	signals.NotifierSink(s.notifier).Remind(ctx, r)
	if r.Interaction != s.current {
		return
	}
	s.reminders[r.Agent]++
	s.refreshLocked()
}

// remindersOf is how many reminders p's pane should show.
func (s *Server) remindersOf(p interaction.PartyID) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reminders[p]
}

func (s *Server) refreshLocked() {
	for c := range s.watchers {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

func (s *Server) watch() (<-chan struct{}, func()) {
	c := make(chan struct{}, 1)
	s.mu.Lock()
	if s.watchers == nil {
		s.watchers = map[chan struct{}]struct{}{}
	}
	s.watchers[c] = struct{}{}
	s.mu.Unlock()
	return c, func() {
		s.mu.Lock()
		delete(s.watchers, c)
		s.mu.Unlock()
	}
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

// servePane answers the pane of the token's party.
func (s *Server) servePane(w http.ResponseWriter, r *http.Request) {
	p, ok := s.paneParty(w, r, false)
	if !ok {
		return
	}
	pane, err := s.Pane(r.Context(), p)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, pane)
}

// serveEvents streams the pane of the token's party: the pane once now
// (an SSE event "pane": a page of its view, interaction.State.Page), then
// an update ("delta") after every notification the party receives,
// built from the deltas its subscription delivers
// (interaction.MemoryNotifier.SubscribeDeltas) applied to the page it
// keeps: the new messages only, with the header, parties, consultations
// and buttons. It reads a page again ("pane") only when a delta says so
// (the party joined and reads the backlog, say), when the interaction on
// the desk changes, or when the party's chat leaves its desk. It ends
// when the token is replaced (the pane was opened again).
//
// The token comes as /events?token=T, because EventSource can send no
// header. A cookie would work with EventSource too, but a cookie is sent
// by the browser on its own, whichever page makes the request: it is the
// ambient credential that cross-site request forgery rides on, and the
// three panes of one page would need three of them and a party named in
// the request to choose one. A token in the URL is sent only by code
// that knows it. Its cost, that URLs end up in logs, is kept small: the
// desk logs no URLs, answers no-store and Referrer-Policy: no-referrer,
// and only this read-only stream takes the token from the URL.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	p, ok := s.paneParty(w, r, true)
	if !ok {
		return
	}
	tok := paneToken(r, true)
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	// Subscribe before the first page is read, so nothing falls between
	// (a delta the page holds already is skipped by Page.Apply).
	sub := s.notifier.SubscribeDeltas(p)
	defer sub.Close()
	switched, unwatch := s.watch()
	defer unwatch()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	var (
		mu      sync.Mutex
		pending []interaction.Delta
	)
	told := make(chan struct{}, 1)
	go func() {
		for {
			d, err := sub.NextDelta(ctx)
			if err != nil {
				return
			}
			mu.Lock()
			pending = append(append(pending, d), sub.DrainDeltas()...) // one update for a burst
			mu.Unlock()
			select {
			case told <- struct{}{}:
			default:
			}
		}
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	send := func(kind string, v any) bool {
		data, err := json.Marshal(v)
		if err != nil {
			return false
		}
		if _, err := w.Write(append(append([]byte("event: "+kind+"\ndata: "), data...), '\n', '\n')); err != nil {
			return false
		}
		flusher.Flush()
		return true
	}
	var (
		page   *interaction.Page // the page the pane shows, kept by deltas; nil: no chat
		id     interaction.ID
		reread = true
		shown  int // the reminders the pane shows
	)
	for {
		if q, ok := s.tokenParty(tok); !ok || q != p {
			return // the pane was opened again: this one is over
		}
		if reread {
			pane, pg, err := s.readPane(ctx, p)
			if err != nil || !send("pane", pane) {
				return
			}
			page, id, reread = pg, pane.Interaction, false
			shown = pane.Reminders
		}
		var batch []interaction.Delta
		changed := false // something to show: a delta the page did not hold, or a reminder
		select {
		case <-ctx.Done():
			return
		case <-told:
			mu.Lock()
			batch, pending = pending, nil
			mu.Unlock()
		case <-switched: // another interaction, a token replaced, or a reminder
			// Only a new reminder is news for the pane (the rest is
			// checked below); a wake-up that came late (the chat it
			// announced is on the pane already) sends nothing.
			changed = s.remindersOf(p) != shown
		}
		if s.interaction() != id {
			reread = true // another chat on the desk
			continue
		}
		if page == nil {
			// No chat of the party's on the desk: read a page when it is
			// told something (it is offered one, say), not on a reminder.
			reread = len(batch) > 0
			continue
		}
		var fresh []interaction.Message
		for _, d := range batch {
			if d.Interaction != id {
				continue // a chat that left the desk
			}
			if d.Event.Type == interaction.EventTyping {
				// A signal, not a change of the view: told as it comes,
				// to whom the Notifier delivered it (never the contact
				// for typing in a consultation, R-C5).
				if !send("typing", s.typingOf(&page.View, d.Event)) {
					return
				}
				continue
			}
			before, had := len(page.Messages), page.Changes
			if !page.Apply(d) {
				reread = true // a Reset: read the page again
				break
			}
			changed = changed || page.Changes != had
			fresh = append(fresh, page.Messages[before:]...)
		}
		if reread {
			continue
		}
		if !changed {
			continue // what came is in the page already
		}
		if n := len(page.Messages); n > PaneWindow {
			page.Messages = page.Messages[n-PaneWindow:]
		}
		pane, err := s.deltaPane(ctx, p, id, page, fresh)
		if err != nil {
			return
		}
		if pane.Interaction == "" {
			// The chat left the party's desk (it declined): a pane whole.
			if !send("pane", pane) {
				return
			}
			page = nil
			continue
		}
		shown = pane.Reminders
		if !send("delta", pane) {
			return
		}
	}
}

// typingOf is typing signal ev as the pane shows it.
func (s *Server) typingOf(view *interaction.View, ev interaction.Event) PaneTyping {
	return PaneTyping{Party: ev.Actor, Name: nameIn(view, ev.Actor), Consultation: ev.Scope.Kind == interaction.ScopeLeg, Leg: ev.Leg,
		ExpiresIn: max(0, ev.Deadline.Sub(s.clock.Now()).Milliseconds())}
}

// ActRequest is one click: what the pane's party does. Over HTTP the
// party is the pane token's: a request body naming another party is
// refused (Party may be left out).
type ActRequest struct {
	Party  interaction.PartyID `json:"party,omitempty"`
	Action string              `json:"action"`
	Leg    interaction.LegID   `json:"leg,omitempty"`    // consultation or request
	Target interaction.PartyID `json:"target,omitempty"` // agent to consult or remove
	Medium string              `json:"medium,omitempty"` // chat, im, voice
	Text   string              `json:"text,omitempty"`
	// Attachments go with a post or say (a name, media type and size:
	// the desk keeps no files and makes each a reference of its own).
	Attachments []PaneAttachment `json:"attachments,omitempty"`
	// Seq is the party's message read up to ("read").
	Seq uint32 `json:"seq,omitempty"`
}

// ActResponse is the acting party's pane after the command, or why the
// library refused it.
type ActResponse struct {
	Error string `json:"error,omitempty"`
	Pane  Pane   `json:"pane"`
}

// serveAct runs one click for the token's party (R-X6: the acting party
// is the pane's, which the request can not change).
func (s *Server) serveAct(w http.ResponseWriter, r *http.Request) {
	p, ok := s.paneParty(w, r, false)
	if !ok {
		return
	}
	var req ActRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, ActResponse{Error: "bad request: " + err.Error()})
		return
	}
	if req.Party != "" && req.Party != p {
		refuse(w, http.StatusForbidden, "this pane acts as "+string(p)+", not as "+string(req.Party))
		return
	}
	req.Party = p
	status := http.StatusOK
	var resp ActResponse
	if err := s.Act(r.Context(), req); err != nil {
		status = statusOf(err)
		resp.Error = err.Error()
	}
	pane, err := s.Pane(r.Context(), req.Party)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, ActResponse{Error: err.Error()})
		return
	}
	resp.Pane = pane
	writeJSON(w, status, resp)
}

func statusOf(err error) int {
	switch {
	case errors.Is(err, interaction.ErrBadInput):
		return http.StatusBadRequest
	case errors.Is(err, interaction.ErrNotPermitted):
		return http.StatusForbidden
	case errors.Is(err, interaction.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, interaction.ErrInvalidTransition), errors.Is(err, interaction.ErrConflict):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Act runs one command for the pane's party.
func (s *Server) Act(ctx context.Context, a ActRequest) error {
	atts := s.attachments(a.Attachments)
	if a.Party == Contact && a.Action == "post" {
		return s.contactWrites(ctx, a.Text, atts)
	}
	id := s.interaction()
	if id == "" {
		return &interaction.Error{Kind: interaction.ErrNotFound, Op: a.Action, Detail: "no chat yet: the contact writes first"}
	}
	switch a.Action {
	case "post":
		_, err := s.chats.Do(ctx, id, a.Party, interaction.Post{Text: a.Text, Attachments: atts})
		return err
	case "typing":
		// The draft is where the party writes: the chat, or a leg.
		var draft interaction.Command = interaction.Post{}
		if a.Leg != "" {
			draft = consult.Say{Leg: a.Leg}
		}
		_, err := s.chats.Typing(ctx, id, a.Party, draft)
		return err
	case "read":
		_, err := s.chats.Do(ctx, id, a.Party, interaction.MarkRead{Seq: a.Seq})
		return err
	case "accept-chat":
		return s.chats.Join(ctx, id, a.Party)
	case "end":
		return s.chats.EndSession(ctx, id, a.Party)
	case "done":
		return s.chats.MarkDone(ctx, id, a.Party)
	case "consult":
		target := interaction.Target{Kind: interaction.TargetAgent, ID: string(a.Target)}
		_, err := s.desk.Start(ctx, id, a.Party, target, mediumOf(a.Medium))
		return err
	case "say":
		// As consult.Service.Say runs it, with the attachments.
		_, err := s.chats.Do(ctx, id, a.Party, consult.Say{Leg: a.Leg, Text: a.Text, Attachments: atts})
		return err
	case "conference":
		_, err := s.desk.Conference(ctx, id, a.Party, a.Leg)
		return err
	case "remove":
		return s.desk.Remove(ctx, id, a.Party, a.Target)
	}
	if f := s.legCommands()[a.Action]; f != nil {
		return f(ctx, id, a.Party, a.Leg)
	}
	return &interaction.Error{Kind: interaction.ErrBadInput, Op: a.Action, Detail: "unknown action"}
}

// legCommand is a consult command on one consultation or request.
type legCommand func(context.Context, interaction.ID, interaction.PartyID, interaction.LegID) error

// legCommands maps the buttons of a consultation or request to commands.
func (s *Server) legCommands() map[string]legCommand {
	return map[string]legCommand{
		"accept":           s.desk.Accept,
		"decline":          s.desk.Decline,
		"cancel":           s.desk.Cancel,
		"end-consultation": s.desk.EndConsultation,
		"transfer":         s.desk.Transfer,
		"accept-request":   s.desk.AcceptRequest,
		"decline-request":  s.desk.DeclineRequest,
		"cancel-request":   s.desk.CancelRequest,
	}
}

// contactWrites posts the contact's message, or opens a new chat (offered
// to the first agent) when there is none on the desk or it is over.
func (s *Server) contactWrites(ctx context.Context, text string, atts []interaction.Attachment) error {
	if id := s.interaction(); id != "" {
		st, err := s.chats.State(ctx, id)
		if err != nil {
			return err
		}
		if st.Status == interaction.StatusWaiting || st.Status == interaction.StatusActive {
			_, err := s.chats.Do(ctx, id, Contact, interaction.Post{Text: text, Attachments: atts})
			return err
		}
	}
	if len(atts) > 0 {
		return &interaction.Error{Kind: interaction.ErrBadInput, Op: "open", Party: Contact, Detail: "the first message of a chat carries no attachments"}
	}
	id, err := s.chats.Open(ctx, Contact, text)
	if err != nil {
		return err
	}
	s.setInteraction(id)
	// Routing's part, acting as System: offer the chat to the first agent.
	return s.chats.Assign(ctx, id, interaction.System, Agents[0])
}

// attachments makes the library's attachments of a pane's: each gets a
// reference of the desk's own (it keeps no files; a real service would
// name the object it stored). The library checks them.
func (s *Server) attachments(as []PaneAttachment) []interaction.Attachment {
	var out []interaction.Attachment
	for _, a := range as {
		out = append(out, interaction.Attachment{Name: a.Name, MediaType: a.MediaType, Size: a.Size,
			Ref: "desk-file-" + strconv.FormatUint(s.fileSeq.Add(1), 10)})
	}
	return out
}

func mediumOf(s string) interaction.Medium {
	switch s {
	case "im":
		return interaction.MediumIM
	case "voice":
		return interaction.MediumVoice
	}
	return interaction.MediumChat
}
