package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/httpapi"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/signals"
)

// tokens is the test's Authenticator: a bearer token per party.
var tokens = map[string]interaction.PartyID{
	"t-contact": "contact", "t-agent1": "agent1", "t-agent2": "agent2", "t-agent9": "agent9", "t-system": interaction.System,
}

func bearer(r *http.Request) (interaction.PartyID, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if p, known := tokens[tok]; ok && known {
		return p, nil
	}
	return "", errors.New("unknown token")
}

type fixture struct {
	t     *testing.T
	srv   *httptest.Server
	chats *interaction.Service
	id    interaction.ID
}

func newFixture(t *testing.T, queueLimit int) *fixture {
	t.Helper()
	notifier := interaction.NewMemoryNotifier()
	if queueLimit > 0 {
		notifier.WithQueueLimit(queueLimit)
	}
	clock := chatconsulttest.NewManualClock()
	tracker := signals.New(clock, signals.SinkFunc(func(context.Context, signals.Reminder) {}))
	proj := history.New()
	chats := interaction.NewService(interaction.WithNotifier(interaction.Notifiers{tracker, notifier, proj}), interaction.WithClock(clock))
	desk := consult.New(chats)
	t.Cleanup(desk.Stop)
	h, err := httpapi.New(httpapi.Config{Chats: chats, Consult: desk, Signals: tracker, History: proj, Notifier: notifier,
		Auth: httpapi.AuthenticatorFunc(bearer), WriteTimeout: 500 * time.Millisecond, Heartbeat: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, srv: httptest.NewServer(h), chats: chats}
	t.Cleanup(f.srv.Close)
	var open httpapi.OpenResult
	f.ok(f.do("POST", "/v1/interactions", "t-contact", `{"text":"Hello, my invoice is wrong"}`, nil), http.StatusCreated, &open)
	f.id = open.Interaction
	f.ok(f.do("POST", f.path("assign"), "t-system", `{"agent":"agent1"}`, nil), 200, nil)
	f.ok(f.do("POST", f.path("join"), "t-agent1", ``, nil), 200, nil)
	return f
}

func (f *fixture) path(cmd string) string { return "/v1/interactions/" + string(f.id) + "/" + cmd }

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (f *fixture) do(method, path, token, body string, header map[string]string) reply {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}
}

func (f *fixture) ok(r reply, status int, into any) {
	f.t.Helper()
	if r.status != status {
		f.t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if into != nil {
		if err := json.Unmarshal(r.body, into); err != nil {
			f.t.Fatalf("%v: %s", err, r.body)
		}
	}
}

func (f *fixture) problem(r reply, status int, kind string) httpapi.Problem {
	f.t.Helper()
	if r.status != status {
		f.t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		f.t.Fatalf("content type %q", ct)
	}
	var p httpapi.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		f.t.Fatal(err)
	}
	if p.Kind != kind || p.Status != status || p.Type != httpapi.ProblemType+kind {
		f.t.Fatalf("problem %+v, want kind %s", p, kind)
	}
	return p
}

func (f *fixture) view(token string) interaction.View {
	f.t.Helper()
	var v interaction.View
	f.ok(f.do("GET", f.path("view"), token, "", nil), 200, &v)
	return v
}

// Each kind of refusal has its status and an RFC 9457 problem body naming
// the kind and the rule (docs/http.md).
func TestErrorKindToStatus(t *testing.T) {
	f := newFixture(t, 0)
	p := f.problem(f.do("POST", f.path("post"), "t-agent1", `{"text":"   "}`, nil), http.StatusUnprocessableEntity, "bad_input")
	if p.Rule != "R-X6" || p.Detail == "" {
		t.Errorf("bad input problem %+v", p)
	}
	f.problem(f.do("POST", f.path("post"), "t-agent1", `{"text":`, nil), http.StatusBadRequest, "bad_request")
	f.problem(f.do("POST", f.path("consult"), "t-agent1", `{"target":{"kind":"planet","id":"x"}}`, nil), http.StatusBadRequest, "bad_request")
	p = f.problem(f.do("POST", f.path("done"), "t-contact", ``, nil), http.StatusForbidden, "not_permitted")
	if p.Rule != "R-C8" {
		t.Errorf("not permitted problem %+v", p)
	}
	f.problem(f.do("POST", f.path("accept"), "t-agent1", `{"leg":"no-such-leg"}`, nil), http.StatusNotFound, "not_found")
	f.problem(f.do("GET", "/v1/interactions/no-such/view", "t-agent1", "", nil), http.StatusNotFound, "not_found")
	f.ok(f.do("POST", f.path("post"), "t-agent1", `{"text":"first"}`, map[string]string{"Idempotency-Key": "k1"}), 200, nil)
	f.problem(f.do("POST", f.path("post"), "t-agent1", `{"text":"other"}`, map[string]string{"Idempotency-Key": "k1"}), http.StatusConflict, "conflict")
	var leg httpapi.LegResult
	f.ok(f.do("POST", f.path("consult"), "t-agent1", `{"target":{"kind":"agent","id":"agent2"},"medium":"chat"}`, nil), 200, &leg)
	f.ok(f.do("POST", f.path("accept"), "t-agent2", `{"leg":"`+string(leg.Leg)+`"}`, nil), 200, nil)
	f.problem(f.do("POST", f.path("accept"), "t-agent2", `{"leg":"`+string(leg.Leg)+`"}`, nil), http.StatusConflict, "invalid_transition")
	f.problem(f.do("GET", f.path("view"), "", "", nil), http.StatusUnauthorized, "unauthenticated")
	f.problem(f.do("GET", f.path("view"), "t-forged", "", nil), http.StatusUnauthorized, "unauthenticated")
	f.problem(f.do("POST", f.path("post"), "t-agent1", `{"text":"`+strings.Repeat("x", 70<<10)+`"}`, nil), http.StatusRequestEntityTooLarge, "too_large")
	f.problem(f.do("GET", "/v1/nowhere", "t-agent1", "", nil), http.StatusNotFound, "not_found")
}

// A caller that is not a party of an interaction gets the same answer
// whether or not it exists, for reads and commands alike (R-X6).
func TestStrangerLearnsNothing(t *testing.T) {
	f := newFixture(t, 0)
	for _, c := range []struct{ method, cmd, body string }{
		{"GET", "view", ""}, {"GET", "page", ""}, {"GET", "log", ""}, {"GET", "export", ""}, {"GET", "events", ""}, {"GET", "deltas", ""},
		{"POST", "post", `{"text":"hi"}`}, {"POST", "join", ``}, {"POST", "done", ``}, {"POST", "accept", `{"leg":"L"}`},
		{"POST", "monitor", `{"agent":"agent1"}`}, {"POST", "barge-in", ``},
	} {
		real := f.do(c.method, f.path(c.cmd), "t-agent9", c.body, nil)
		fake := f.do(c.method, "/v1/interactions/does-not-exist/"+c.cmd, "t-agent9", c.body, nil)
		if real.status != http.StatusNotFound || real.status != fake.status || !bytes.Equal(real.body, fake.body) {
			t.Errorf("%s %s: stranger told %d %s about the real one, %d %s about none", c.method, c.cmd, real.status, real.body, fake.status, fake.body)
		}
	}
}

// The acting party is the Authenticator's: a body naming another party is
// refused and writes nothing; a query or header naming one is ignored.
func TestActorOnlyFromAuthenticator(t *testing.T) {
	f := newFixture(t, 0)
	before := f.view("t-agent1").Version
	f.problem(f.do("POST", f.path("post"), "t-agent1", `{"text":"as agent2","party":"agent2"}`, nil), http.StatusBadRequest, "bad_request")
	f.problem(f.do("POST", f.path("post"), "t-agent1", `{"text":"as agent2","actor":"agent2"}`, nil), http.StatusBadRequest, "bad_request")
	if v := f.view("t-agent1"); v.Version != before {
		t.Fatalf("a refused request wrote: version %d, was %d", v.Version, before)
	}
	var res httpapi.EventsResult
	f.ok(f.do("POST", f.path("post")+"?party=contact&actor=contact", "t-agent1", `{"text":"who am I"}`, map[string]string{"X-Party": "contact"}), 200, &res)
	if len(res.Events) != 1 || res.Events[0].Actor != "agent1" {
		t.Fatalf("events %+v", res.Events)
	}
	v := f.view("t-contact")
	last := v.Messages[len(v.Messages)-1]
	if last.Text != "who am I" || last.Author != interaction.ContactAgentID(1) {
		t.Fatalf("the contact sees %+v", last)
	}
}

// An Idempotency-Key makes a command apply once, however often it is sent.
func TestIdempotencyKey(t *testing.T) {
	f := newFixture(t, 0)
	for range 3 {
		f.ok(f.do("POST", f.path("post"), "t-agent1", `{"text":"once"}`, map[string]string{"Idempotency-Key": "post-1"}), 200, nil)
	}
	n := 0
	for _, m := range f.view("t-agent1").Messages {
		if m.Text == "once" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d messages", n)
	}
}

// sseEvent is one event read off a stream.
type sseEvent struct {
	id   string
	kind string
	data string
}

func readEvent(r *bufio.Reader) (sseEvent, error) {
	var e sseEvent
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return e, err
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if e.kind != "" {
				return e, nil
			}
		case strings.HasPrefix(line, "id: "):
			e.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			e.kind = line[7:]
		case strings.HasPrefix(line, "data: "):
			e.data = line[6:]
		}
	}
}

// A stream client that stops reading holds no command up; after it
// reconnects with the last event ID it received, it gets every event it
// missed exactly once, numbered in its own numbering, and then live ones.
func TestSlowStreamClientResumes(t *testing.T) {
	f := newFixture(t, 16)
	// The slow client: a raw connection with a tiny receive buffer that
	// reads the first two events and then nothing.
	addr := strings.TrimPrefix(f.srv.URL, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer t-contact\r\n\r\n", f.path("events"), addr)
	br := bufio.NewReader(conn)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == "\r\n" {
			break
		}
	}
	var lastID string
	for lastID != "2" {
		e, err := readEvent(br)
		if err != nil {
			t.Fatal(err)
		}
		lastID = e.id
	}
	// Commands go on while it does not read: 1,200 messages of 3.5 KB, more
	// than the socket buffers hold, so the stream lags and its writes time out.
	text := strings.Repeat("x", 3500)
	start := time.Now()
	for i := range 1200 {
		f.ok(f.do("POST", f.path("post"), "t-agent1", fmt.Sprintf(`{"text":"%d %s"}`, i, text), nil), 200, nil)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Fatalf("1200 commands took %v behind a client that does not read", took)
	}
	want := f.view("t-contact").Version
	// Reconnect with Last-Event-ID.
	req, _ := http.NewRequest("GET", f.srv.URL+f.path("events"), nil)
	req.Header.Set("Authorization", "Bearer t-contact")
	req.Header.Set("Last-Event-ID", lastID)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := f.srv.Client().Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r := bufio.NewReader(resp.Body)
	all, err := f.chats.EventsSince(ctx, f.id, "contact", 0)
	if err != nil {
		t.Fatal(err)
	}
	next := uint64(3)
	for next <= want {
		e, err := readEvent(r)
		if err != nil {
			t.Fatalf("after event %d of %d: %v", next-1, want, err)
		}
		if e.id != strconv.FormatUint(next, 10) {
			t.Fatalf("event id %s, want %d (every missed event once, in order)", e.id, next)
		}
		var ev interaction.Event
		if err := json.Unmarshal([]byte(e.data), &ev); err != nil {
			t.Fatal(err)
		}
		exp := all[next-1]
		exp.Fingerprint = 0
		if ev != exp {
			t.Fatalf("event %d: %+v, want %+v", next, ev, exp)
		}
		next++
	}
	// And it goes on live.
	f.ok(f.do("POST", f.path("post"), "t-agent1", `{"text":"live"}`, nil), 200, nil)
	e, err := readEvent(r)
	if err != nil || e.id != strconv.FormatUint(want+1, 10) || !strings.Contains(e.data, `"live"`) {
		t.Fatalf("live event %+v %v", e, err)
	}
}
