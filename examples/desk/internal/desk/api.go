package desk

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/chatconsult/chatconsult/httpapi"
	"github.com/chatconsult/chatconsult/interaction"
)

// The desk as a client of the library's HTTP API (issue 16): under /v1/
// it serves package httpapi's handler over its own services, behind the
// desk's guards (secure: its own host only; sameOrigin: its own page
// only; jsonBody: a body must be declared JSON), with an Authenticator
// of the pane tokens (/login).

// errNoPane is the Authenticator's refusal: no or an unknown pane token.
var errNoPane = errors.New("no valid pane token: open the pane first (POST /login)")

// Authenticate is the desk's httpapi.Authenticator: the party is the pane
// token's, from TokenHeader, or for a stream (GET .../deltas or .../events, an
// EventSource, which can send no header) from the token query parameter
// (see ../../README.md for why a URL and not a cookie). A request naming a
// party of its own (?party=) is refused unless it is the token's.
func (s *Server) Authenticate(r *http.Request) (interaction.PartyID, error) {
	tok := r.Header.Get(TokenHeader)
	if tok == "" && r.Method == http.MethodGet && isStream(r) {
		tok = r.URL.Query().Get("token")
	}
	p, ok := s.tokenParty(tok)
	if !ok {
		return "", errNoPane
	}
	if named := r.URL.Query().Get("party"); named != "" && interaction.PartyID(named) != p {
		return "", errors.New("this pane's token is " + string(p) + "'s, not " + named + "'s")
	}
	return p, nil
}

// isStream reports whether r asks for one of an interaction's streams:
// its events or its deltas (what the page reads).
func isStream(r *http.Request) bool {
	return strings.HasSuffix(r.URL.Path, "/events") || strings.HasSuffix(r.URL.Path, "/deltas")
}

// api is httpapi's handler over the desk's services, behind the guards
// of the desk's API: its own page only, and JSON bodies.
func (s *Server) api() http.Handler {
	h, err := httpapi.New(httpapi.Config{
		Chats:     s.chats,
		Consult:   s.desk,
		Directory: s.dir,
		NewChats:  s.router,
		Signals:   s.tracker,
		Notifier:  s.notifier,
		Auth:      httpapi.AuthenticatorFunc(s.Authenticate),
	})
	if err != nil {
		panic(err) // Chats and Auth are set
	}
	return s.sameOrigin(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost || r.Method == http.MethodPut {
			jsonBody(h.ServeHTTP)(w, r)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/page") || strings.HasSuffix(r.URL.Path, "/view") {
			s.pageReads.Add(1)
		}
		if isStream(r) {
			// A stream ends when its pane's token is replaced (the desk
			// was opened again): the old pane reconnects, gets 401 and is
			// over.
			revoked := s.revokedOf(r.URL.Query().Get("token"))
			if revoked == nil {
				revoked = s.revokedOf(r.Header.Get(TokenHeader))
			}
			if revoked != nil {
				ctx, cancel := context.WithCancel(r.Context())
				defer cancel()
				go func() {
					select {
					case <-revoked:
						cancel()
					case <-ctx.Done():
					}
				}()
				r = r.WithContext(ctx)
			}
		}
		h.ServeHTTP(w, r)
	})
}
