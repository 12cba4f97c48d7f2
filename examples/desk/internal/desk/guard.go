package desk

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/chatconsult/chatconsult/interaction"
)

// Who may use the desk (see README.md for what this demo does not do):
//
//   - A pane token binds every request to one party. The page opens a
//     pane with POST /login {"party": P} (the demo's login: anyone who can
//     reach the page may be any party of the cast) and gets a random
//     token. Every later request of that pane carries it, and the party
//     acting or reading is the token's, never one the request names.
//   - Every request must name the desk's own host (DNS rebinding), and
//     the API must be called from the desk's own page (a foreign Origin
//     is refused), so another web page open in the same browser can
//     neither read a pane nor press a button.

// TokenHeader carries the pane token on the API's requests. The streams
// take it as the token query parameter instead: EventSource can not set
// a header (see Authenticate).
const TokenHeader = "X-Pane-Token"

// tokenBytes is the token's randomness: 256 bits from crypto/rand.
const tokenBytes = 32

func newToken() string {
	b := make([]byte, tokenBytes)
	// crypto/rand.Read does not fail (it panics if the system's source
	// ever does), so there is no weak fallback to reach.
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// login issues a new token for p. It replaces p's previous token, so one
// pane at a time acts for a party: a page opened again takes the panes
// over, and the streams of the old ones end (api.go).
func (s *Server) login(p interaction.PartyID) string {
	t := newToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.tokens[p]; ok {
		close(s.revoked[old])
		delete(s.revoked, old)
	}
	s.tokens[p] = t
	s.revoked[t] = make(chan struct{})
	return t
}

// revokedOf is closed when tok is replaced (nil: tok is no live token).
func (s *Server) revokedOf(tok string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.revoked[tok]
}

// tokenParty returns the party tok was issued to. Every live token is
// compared in constant time.
func (s *Server) tokenParty(tok string) (interaction.PartyID, bool) {
	if tok == "" {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var found interaction.PartyID
	for p, t := range s.tokens {
		if subtle.ConstantTimeCompare([]byte(t), []byte(tok)) == 1 {
			found = p
		}
	}
	return found, found != ""
}

// ErrorResponse is the body of a refused request.
type ErrorResponse struct {
	Error string `json:"error"`
}

func refuse(w http.ResponseWriter, status int, msg string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Pane-Token realm="desk"`)
	}
	writeJSON(w, status, ErrorResponse{Error: msg})
}

// secure sets the headers of every response and refuses a request for a
// host the desk is not (403): a page on a rebound DNS name (evil.example
// resolving to 127.0.0.1) sends its own name as Host and is turned away
// before it can read or do anything as "same origin".
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// No framing: a foreign page can not overlay the desk and have
		// its buttons clicked (clickjacking).
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		if !s.ownHost(r, r.Host) {
			refuse(w, http.StatusForbidden, "host "+r.Host+" is not this desk")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sameOrigin guards the API (login, pane, events, act). An Origin, when
// the browser sends one (it does on every POST and on a cross-origin
// EventSource or fetch), must be this desk's own: scheme and the host the
// request was sent to (checked by secure). With no Origin (a same-origin
// GET, or a client that is not a browser) the Host check stands alone;
// a browser's Sec-Fetch-Site saying the request comes from another site
// is refused too.
func (s *Server) sameOrigin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && !s.ownOrigin(r, o) {
			refuse(w, http.StatusForbidden, "foreign origin "+o)
			return
		}
		switch r.Header.Get("Sec-Fetch-Site") {
		case "cross-site", "same-site":
			refuse(w, http.StatusForbidden, "request from another site")
			return
		}
		next(w, r)
	}
}

// jsonBody refuses a POST whose body is not declared JSON (415). A
// cross-origin page can send a form or text/plain without asking; to
// send JSON it must ask first (a CORS preflight), which the desk never
// grants: one more wall behind the Origin check.
func jsonBody(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			refuse(w, http.StatusUnsupportedMediaType, "the body must be application/json")
			return
		}
		next(w, r)
	}
}

func (s *Server) ownOrigin(r *http.Request, origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Scheme != scheme(r) || u.Host == "" || u.Path != "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return false // "null" (a sandboxed or file: page) lands here
	}
	oh, op := splitHost(u.Host, scheme(r))
	rh, rp := splitHost(r.Host, scheme(r))
	return sameHostName(oh, rh) && op == rp
}

// ownHost reports whether hostport (a Host header) names this desk: the
// address the request came in on, localhost when that address is a
// loopback one, or one of Config.Hosts; always with the same port.
func (s *Server) ownHost(r *http.Request, hostport string) bool {
	h, port := splitHost(hostport, scheme(r))
	if h == "" {
		return false
	}
	if local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if lh, lp, err := net.SplitHostPort(local.String()); err == nil && lp == port {
			if sameHostName(h, lh) {
				return true
			}
			if a, err := netip.ParseAddr(lh); err == nil && a.IsLoopback() && h == "localhost" {
				return true
			}
		}
	}
	for _, c := range s.hosts {
		ch, cp := splitHost(c, scheme(r))
		if sameHostName(h, ch) && port == cp {
			return true
		}
	}
	return false
}

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// splitHost splits host[:port] into a lower-case host (IPv6 without
// brackets) and a port, the scheme's default when none is given.
func splitHost(hostport, scheme string) (host, port string) {
	hostport = strings.ToLower(hostport)
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		return h, p
	}
	port = "80"
	if scheme == "https" {
		port = "443"
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]"), port
}

func sameHostName(a, b string) bool {
	if a == b {
		return true
	}
	x, errX := netip.ParseAddr(a)
	y, errY := netip.ParseAddr(b)
	return errX == nil && errY == nil && x.Unmap() == y.Unmap()
}

// LoginRequest opens a pane: the demo's stand-in for an agent's or a
// contact's sign-in.
type LoginRequest struct {
	Party interaction.PartyID `json:"party"`
}

// LoginResponse is the pane's token, to send with every later request.
type LoginResponse struct {
	Party interaction.PartyID `json:"party"`
	Token string              `json:"token"`
}

func (s *Server) serveLogin(w http.ResponseWriter, r *http.Request) {
	var req LoginRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&req); err != nil {
		refuse(w, http.StatusBadRequest, "bad request: "+err.Error())
		return
	}
	if !onDesk(req.Party) {
		refuse(w, http.StatusNotFound, "unknown party")
		return
	}
	writeJSON(w, http.StatusOK, LoginResponse{Party: req.Party, Token: s.login(req.Party)})
}
