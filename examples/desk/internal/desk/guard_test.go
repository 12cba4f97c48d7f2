package desk

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
)

// web is the desk served over HTTP, as its page (or an intruder) calls it.
type web struct {
	t   *testing.T
	s   *Server
	srv *httptest.Server
}

func newWeb(t *testing.T) web {
	t.Helper()
	return newWebOn(t, newDesk(t))
}

func newWebOn(t *testing.T, s *Server) web {
	t.Helper()
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return web{t: t, s: s, srv: srv}
}

// call is one request. Headers are set as given; "Host" sets the Host.
type call struct {
	method, path string
	token        string
	body         any
	header       map[string]string
}

// short is the client of do: an event stream let through by mistake
// fails the test instead of hanging it.
var short = &http.Client{Timeout: 5 * time.Second}

func (w web) do(c call) (int, []byte) {
	w.t.Helper()
	var body io.Reader
	if c.body != nil {
		b, err := json.Marshal(c.body)
		require.NoError(w.t, err)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(c.method, w.srv.URL+c.path, body)
	require.NoError(w.t, err)
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set(TokenHeader, c.token)
	}
	for k, v := range c.header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := short.Do(req)
	require.NoError(w.t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(w.t, err)
	return resp.StatusCode, out
}

func (w web) port() string {
	return w.srv.URL[strings.LastIndex(w.srv.URL, ":")+1:]
}

// login opens party's pane and returns its token.
func (w web) login(p interaction.PartyID) string {
	w.t.Helper()
	code, body := w.do(call{method: http.MethodPost, path: "/login", body: LoginRequest{Party: p}})
	require.Equal(w.t, http.StatusOK, code, "login %s: %s", p, body)
	var out LoginResponse
	require.NoError(w.t, json.Unmarshal(body, &out))
	require.Equal(w.t, p, out.Party)
	return out.Token
}

// events is the number of events in the desk's store: a refused request
// must leave it as it was.
func (w web) events() int {
	w.t.Helper()
	log, ok := w.s.chats.Store().(interaction.Log)
	require.True(w.t, ok, "the desk's store is a Log")
	evs, err := log.ReadAll(context.Background(), 0, 1<<20)
	require.NoError(w.t, err)
	return len(evs)
}

// api posts a command of chat id with the token and returns the status
// and the body.
func (w web) api(token string, id interaction.ID, name string, body any, header map[string]string) (int, string) {
	w.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	code, out := w.do(call{method: http.MethodPost, path: "/v1/interactions/" + string(id) + "/" + name, token: token, body: body, header: header})
	return code, string(out)
}

// page reads chat id's page with the token (and its extra query).
func (w web) page(token string, id interaction.ID, query string) (int, interaction.Page) {
	w.t.Helper()
	code, body := w.do(call{method: http.MethodGet, path: "/v1/interactions/" + string(id) + "/page" + query, token: token})
	var pg interaction.Page
	if code == http.StatusOK {
		require.NoError(w.t, json.Unmarshal(body, &pg))
	}
	return code, pg
}

// offered opens a chat over HTTP: the contact writes, agent1 is offered it.
func (w web) offered() (contact, agent1, agent2 string, id interaction.ID) {
	w.t.Helper()
	c, a1, a2 := w.cast()
	return c.token, a1.token, a2.token, c.id
}

// A pane token is 256 random bits, fresh on every login.
func TestLoginIssuesUnguessableTokens(t *testing.T) {
	w := newWeb(t)
	seen := map[string]bool{}
	for range 5 {
		tok := w.login(Agent1)
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		require.NoError(t, err)
		assert.Len(t, raw, 32, "256 bits")
		assert.False(t, seen[tok], "a token is never issued twice")
		seen[tok] = true
	}
	code, _ := w.do(call{method: http.MethodPost, path: "/login", body: LoginRequest{Party: "mallory"}})
	assert.Equal(t, http.StatusNotFound, code, "only the desk's cast has a pane")
}

// R-X6 (a non-participant can not read the transcript) at the desk's
// door: a pane's page is served only with its own party's token.
func TestPaneNeedsItsOwnToken(t *testing.T) {
	w := newWeb(t)
	_, agent1, agent2, id := w.offered()

	code, _ := w.page("", id, "?party=agent2")
	assert.Equal(t, http.StatusUnauthorized, code, "no token")
	code, _ = w.page("", id, "")
	assert.Equal(t, http.StatusUnauthorized, code, "no token, no party")
	code, _ = w.page("not-a-token", id, "?party=agent2")
	assert.Equal(t, http.StatusUnauthorized, code, "a made-up token")
	code, _ = w.page(agent1[:len(agent1)-1], id, "")
	assert.Equal(t, http.StatusUnauthorized, code, "a token one character short")
	code, _ = w.page(agent1, id, "?party=agent2")
	assert.Equal(t, http.StatusUnauthorized, code, "agent1's token for agent2's pane")
	code, _ = w.page("", id, "?token="+url.QueryEscape(agent1))
	assert.Equal(t, http.StatusUnauthorized, code, "only the streams take the token in their URL")

	code, p := w.page(agent1, id, "")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, Agent1, p.Viewer, "the token's pane")
	assert.Equal(t, interaction.MemberInvited, p.Membership, "agent1 is offered the chat")
	code, _ = w.page(agent2, id, "?party=agent2")
	assert.Equal(t, http.StatusNotFound, code, "naming the token's own party is fine, and agent2 is not in the chat")
}

// R-X6: the acting party is the pane token's. A body naming another
// party is refused and writes nothing; a command acts as the token's
// party.
func TestCommandsActOnlyAsTheTokensParty(t *testing.T) {
	w := newWeb(t)
	contact, agent1, _, id := w.offered()
	before := w.events()

	code, out := w.api(contact, id, "join", map[string]any{"party": Agent1}, nil)
	assert.Equal(t, http.StatusBadRequest, code, "the contact's pane accepts the chat as agent1: %s", out)
	code, _ = w.api(contact, id, "post", map[string]any{"party": Agent1, "text": "I am agent1"}, nil)
	assert.Equal(t, http.StatusBadRequest, code)
	code, _ = w.api("", id, "join", map[string]any{"party": Agent1}, nil)
	assert.Equal(t, http.StatusUnauthorized, code, "the old API: a party and no token")
	code, _ = w.api("forged", id, "join", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Equal(t, before, w.events(), "no refused command wrote an event")
	_, p := w.page(agent1, id, "")
	assert.Equal(t, interaction.MemberInvited, p.Membership, "agent1 has still only been offered the chat")

	// The contact's token: the contact acts, and the library refuses it
	// (only the offered agent may accept), writing nothing either.
	code, out = w.api(contact, id, "join", nil, nil)
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, out, "not_permitted")
	assert.Equal(t, before, w.events())

	code, out = w.api(agent1, id, "join", nil, nil)
	require.Equal(t, http.StatusOK, code, out)
	_, p = w.page(agent1, id, "")
	assert.Equal(t, interaction.MemberJoined, p.Membership)
	code, out = w.api(agent1, id, "post", map[string]any{"text": "Hi"}, nil)
	require.Equal(t, http.StatusOK, code, out)
	assert.Greater(t, w.events(), before)
}

// A new login replaces the party's token: the old pane is over, and its
// stream ends.
func TestLoginAgainRevokesTheOldToken(t *testing.T) {
	w := newWeb(t)
	_, old, _, id := w.offered()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream := w.stream(ctx, "/v1/interactions/"+string(id)+"/deltas?token="+url.QueryEscape(old))

	fresh := w.login(Agent1)
	code, _ := w.page(old, id, "")
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _ = w.page(fresh, id, "")
	assert.Equal(t, http.StatusOK, code)
	_, err := io.ReadAll(stream)
	assert.NoError(t, err, "the old pane's stream ends")
	assert.NoError(t, ctx.Err(), "and not by the test's timeout")
}

// The streams are a pane like any other: its own token only, from the
// desk's own origin.
func TestStreamsNeedTheirOwnTokenAndOrigin(t *testing.T) {
	w := newWeb(t)
	_, agent1, _, id := w.offered()
	for _, kind := range []string{"deltas", "events"} {
		base := "/v1/interactions/" + string(id) + "/" + kind
		for name, c := range map[string]struct {
			path   string
			header map[string]string
			want   int
		}{
			"the old API: a party, no token": {path: base + "?party=agent1", want: http.StatusUnauthorized},
			"a made-up token":                {path: base + "?token=abc", want: http.StatusUnauthorized},
			"agent1's token for agent2":      {path: base + "?party=agent2&token=" + agent1, want: http.StatusUnauthorized},
			"a foreign page's EventSource": {path: base + "?token=" + agent1, want: http.StatusForbidden,
				header: map[string]string{"Origin": "http://evil.example"}},
			"another site, by Sec-Fetch-Site": {path: base + "?token=" + agent1, want: http.StatusForbidden,
				header: map[string]string{"Sec-Fetch-Site": "cross-site"}},
		} {
			code, _ := w.do(call{method: http.MethodGet, path: c.path, header: c.header})
			assert.Equal(t, c.want, code, "%s: %s", kind, name)
		}
	}
}

// A request from another web page is refused: every POST and the event
// stream must come from the desk's own origin, and writes nothing.
func TestForeignOriginIsRefused(t *testing.T) {
	w := newWeb(t)
	contact, agent1, _, id := w.offered()
	before := w.events()
	for _, origin := range []string{
		"http://evil.example",
		"https://" + strings.TrimPrefix(w.srv.URL, "http://"), // another scheme
		"http://127.0.0.1:1", // another port
		"http://localhost:1",
		"null", // a sandboxed frame or a file: page
	} {
		h := map[string]string{"Origin": origin}
		code, out := w.api(agent1, id, "join", nil, h)
		assert.Equal(t, http.StatusForbidden, code, origin)
		assert.Contains(t, out, "foreign origin", origin)
		code, _ = w.api(contact, id, "post", map[string]any{"text": "forged"}, h)
		assert.Equal(t, http.StatusForbidden, code, origin)
		code, _ = w.do(call{method: http.MethodPost, path: "/login", body: LoginRequest{Party: Agent1}, header: h})
		assert.Equal(t, http.StatusForbidden, code, "login from %s", origin)
		code, _ = w.do(call{method: http.MethodGet, path: "/v1/interactions/" + string(id) + "/page", token: agent1, header: h})
		assert.Equal(t, http.StatusForbidden, code, "page from %s", origin)
	}
	assert.Equal(t, before, w.events(), "no foreign request wrote an event")
	code, _ := w.page(agent1, id, "")
	assert.Equal(t, http.StatusOK, code, "no foreign login replaced agent1's token")

	// A form post needs no preflight in a browser; it is not JSON, so it
	// is refused even before its origin would be looked at.
	code, _ = w.do(call{method: http.MethodPost, path: "/v1/interactions/" + string(id) + "/join", token: agent1, header: map[string]string{"Content-Type": "text/plain"}})
	assert.Equal(t, http.StatusUnsupportedMediaType, code)
	assert.Equal(t, before, w.events())
}

// The desk's own origin works: the page's requests carry it.
func TestMatchingOriginWorks(t *testing.T) {
	w := newWeb(t)
	own := map[string]string{"Origin": w.srv.URL, "Sec-Fetch-Site": "same-origin"}
	code, body := w.do(call{method: http.MethodPost, path: "/login", body: LoginRequest{Party: Contact}, header: own})
	require.Equal(t, http.StatusOK, code, "%s", body)
	var login LoginResponse
	require.NoError(t, json.Unmarshal(body, &login))
	before := w.events()
	code, body = w.do(call{method: http.MethodPost, path: "/v1/interactions", token: login.Token, header: own,
		body: map[string]any{"text": "Hello", "target": map[string]string{"kind": "group", "id": DeskGroup}}})
	require.Equal(t, http.StatusCreated, code, "%s", body)
	var opened struct{ Interaction interaction.ID }
	require.NoError(t, json.Unmarshal(body, &opened))
	_, pg := w.page(login.Token, opened.Interaction, "")
	assert.Equal(t, []string{"Hello"}, texts(pg))
	assert.Greater(t, w.events(), before, "the command wrote its events")

	// localhost names the loopback address the desk listens on.
	port := w.port()
	local := map[string]string{"Host": "localhost:" + port, "Origin": "http://localhost:" + port}
	code, out := w.api(login.Token, opened.Interaction, "post", map[string]any{"text": "again"}, local)
	assert.Equal(t, http.StatusOK, code, out)
	// The page is opened at 127.0.0.1 but posts to localhost: two origins.
	mixed := map[string]string{"Host": "localhost:" + port, "Origin": w.srv.URL}
	code, _ = w.api(login.Token, opened.Interaction, "post", map[string]any{"text": "mixed"}, mixed)
	assert.Equal(t, http.StatusForbidden, code)
}

// DNS rebinding: a page on evil.example, its name made to resolve to the
// desk's address, is "same origin" with itself; its Host gives it away,
// on every request, the page itself too.
func TestForeignHostIsRefused(t *testing.T) {
	w := newWeb(t)
	_, agent1, _, id := w.offered()
	before := w.events()
	port := w.port()
	for _, host := range []string{"evil.example:" + port, "evil.example", "127.0.0.2:" + port, "localhost.evil.example:" + port} {
		rebound := map[string]string{"Host": host, "Origin": "http://" + host}
		code, out := w.api(agent1, id, "join", nil, rebound)
		assert.Equal(t, http.StatusForbidden, code, host)
		assert.Contains(t, out, "is not this desk", host)
		chat := "/v1/interactions/" + string(id)
		for _, path := range []string{"/", "/desk.js", chat + "/page", chat + "/deltas?token=" + agent1} {
			code, _ = w.do(call{method: http.MethodGet, path: path, token: agent1, header: map[string]string{"Host": host}})
			assert.Equal(t, http.StatusForbidden, code, "%s %s", host, path)
		}
		code, _ = w.do(call{method: http.MethodPost, path: "/login", body: LoginRequest{Party: Agent1}, header: rebound})
		assert.Equal(t, http.StatusForbidden, code, host)
	}
	assert.Equal(t, before, w.events())
}

// Config.Hosts adds a name the desk answers to (a name in -addr).
func TestConfiguredHostIsAccepted(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	port := srv.Listener.Addr().String()
	port = port[strings.LastIndex(port, ":")+1:]
	s := New(Config{Hosts: []string{"desk.lan:" + port}})
	srv.Config.Handler = s.Handler()
	srv.Start()
	defer srv.Close()
	w := web{t: t, s: s, srv: srv}
	own := map[string]string{"Host": "desk.lan:" + port, "Origin": "http://desk.lan:" + port}
	code, _ := w.do(call{method: http.MethodPost, path: "/login", body: LoginRequest{Party: Contact}, header: own})
	assert.Equal(t, http.StatusOK, code)
	other := map[string]string{"Host": "desk.lan:1", "Origin": "http://desk.lan:1"}
	code, _ = w.do(call{method: http.MethodPost, path: "/login", body: LoginRequest{Party: Contact}, header: other})
	assert.Equal(t, http.StatusForbidden, code, "the configured name, another port")
}

// Every answer forbids framing (a foreign page overlaying the desk to
// have its buttons clicked) and keeps the token out of caches.
func TestResponsesForbidFramingAndCaching(t *testing.T) {
	w := newWeb(t)
	resp, err := http.Get(w.srv.URL + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"))
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
	assert.Equal(t, "no-referrer", resp.Header.Get("Referrer-Policy"))
	body, _ := json.Marshal(LoginRequest{Party: Agent1})
	resp, err = http.Post(w.srv.URL+"/login", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
}
