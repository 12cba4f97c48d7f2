package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/observe"
	"github.com/chatconsult/chatconsult/routing"
	"github.com/chatconsult/chatconsult/signals"
)

// Authenticator says who makes a request: the acting party of every
// command and the viewer of every read. It is the embedding service's
// (sessions, tokens, single sign-on); the handler never takes the party
// from the request's body, query or path. An error is answered 401.
// interaction.System may be returned for the service's own routing
// component (it alone may assign chats).
type Authenticator interface {
	Authenticate(r *http.Request) (interaction.PartyID, error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(r *http.Request) (interaction.PartyID, error)

// Authenticate implements Authenticator.
func (f AuthenticatorFunc) Authenticate(r *http.Request) (interaction.PartyID, error) { return f(r) }

// Config is what a Handler serves. Chats and Auth are required; without
// Consult, Directory, Signals, History or Notifier, their endpoints answer
// 404.
type Config struct {
	Chats     *interaction.Service
	Consult   *consult.Service
	Directory *routing.Directory
	// NewChats, when set, routes a chat the contact opens with a target
	// (a group, skill or queue) to one of its agents (R-C2, R-X1), and
	// an offered agent's join goes through it (the route ends).
	NewChats *routing.ChatRouter
	Signals  *signals.Tracker
	History  *history.Projection
	// Notifier delivers the live events of the event streams: the
	// MemoryNotifier among Chats' notifiers.
	Notifier *interaction.MemoryNotifier
	Auth     Authenticator
	// MaxBody bounds a request body (default 64 KiB; a text is at most
	// interaction.MaxTextBytes).
	MaxBody int64
	// Heartbeat is how often an idle event stream sends a comment (default
	// 15 s); WriteTimeout how long one write to a stream may take before
	// the stream is dropped (default 10 s): a client that does not read
	// holds nothing up, and reconnects with Last-Event-ID.
	Heartbeat    time.Duration
	WriteTimeout time.Duration
	// Observe, when set, is told of every command's outcome.
	Observe func(Outcome)
	// Observer, when set, is told of every command's outcome too
	// (observe.KindRequest) and of each event stream whose subscription
	// fell behind (observe.KindSubscriptionLag): the same Observer as the
	// library's (chatconsult.WithObserver), so that one adapter
	// (otelmetrics) sees it all.
	Observer observe.Observer
}

// Outcome is one command as the handler ran it.
type Outcome struct {
	Command     string
	Interaction interaction.ID
	Actor       interaction.PartyID
	Status      int
	Err         error
	Took        time.Duration
}

// Handler serves the library over HTTP (docs/http.md).
type Handler struct {
	c   Config
	mux *http.ServeMux
}

// New returns the handler of c.
func New(c Config) (*Handler, error) {
	if c.Chats == nil || c.Auth == nil {
		return nil, errors.New("httpapi: Config needs Chats and Auth")
	}
	if c.MaxBody <= 0 {
		c.MaxBody = 64 << 10
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = 15 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	h := &Handler{c: c, mux: http.NewServeMux()}
	for _, r := range h.routes() {
		h.mux.HandleFunc(r.Method+" "+r.Path, r.serve)
	}
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, requestProblem(http.StatusNotFound, "not_found", "no such endpoint"))
	})
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Route is one endpoint: its method, path pattern (net/http's) and what it
// does; Routes lists them, for docs and the OpenAPI check.
type Route struct {
	Method, Path, Summary string
	serve                 http.HandlerFunc
	// body is the type of the JSON body the route reads; nil for none.
	body reflect.Type
}

// Routes lists the handler's endpoints.
func (h *Handler) Routes() []Route { return h.routes() }

// call is what one request needs: the acting party and its context.
type call struct {
	w     http.ResponseWriter
	r     *http.Request
	actor interaction.PartyID
	ctx   context.Context
}

// authed wraps f with authentication: the party is the Authenticator's.
func (h *Handler) authed(f func(*call)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		actor, err := h.c.Auth.Authenticate(r)
		if err != nil || actor == "" {
			writeProblem(w, requestProblem(http.StatusUnauthorized, "unauthenticated", "authentication required"))
			return
		}
		f(&call{w: w, r: r, actor: actor, ctx: r.Context()})
	}
}

// decode reads the body into v: JSON, at most MaxBody bytes, no field v
// does not have (a "party" in a body is refused: the party is the
// Authenticator's). It answers the problem itself and reports false.
func (h *Handler) decode(c *call, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, h.c.MaxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeProblem(c.w, requestProblem(http.StatusRequestEntityTooLarge, "too_large", "body larger than "+strconv.FormatInt(h.c.MaxBody, 10)+" bytes"))
			return false
		}
		writeProblem(c.w, requestProblem(http.StatusBadRequest, "bad_request", "body not read"))
		return false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeProblem(c.w, requestProblem(http.StatusBadRequest, "bad_request", "body: "+err.Error()))
		return false
	}
	if dec.More() {
		writeProblem(c.w, requestProblem(http.StatusBadRequest, "bad_request", "body: more than one JSON value"))
		return false
	}
	return true
}

// interactionOf returns the path's interaction if the caller is one of its
// parties (or System). A caller that is not gets the same 404 whether or
// not the interaction exists (unknownInteraction), and false.
func (h *Handler) interactionOf(c *call, strangerMay bool) (interaction.ID, bool) {
	id := interaction.ID(c.r.PathValue("id"))
	if err := interaction.CheckID("interaction", string(id)); err != nil {
		writeProblem(c.w, unknownInteraction())
		return "", false
	}
	if c.actor == interaction.System || strangerMay {
		return id, true
	}
	party := false
	err := h.c.Chats.Read(c.ctx, id, func(st *interaction.State) error {
		party = st.Party(c.actor) != nil
		return nil
	})
	if err != nil && !errors.Is(err, interaction.ErrNotFound) {
		writeProblem(c.w, problemOf(err))
		return "", false
	}
	if !party {
		writeProblem(c.w, unknownInteraction())
		return "", false
	}
	return id, true
}

// refuse answers err; for a caller that is not a party of the
// interaction, any refusal is the one answer to strangers.
func (h *Handler) refuse(c *call, id interaction.ID, err error) {
	if id != "" && c.actor != interaction.System {
		stranger := true
		_ = h.c.Chats.Read(c.ctx, id, func(st *interaction.State) error {
			stranger = st.Party(c.actor) == nil
			return nil
		})
		if stranger {
			writeProblem(c.w, unknownInteraction())
			return
		}
	}
	writeProblem(c.w, problemOf(err))
}
