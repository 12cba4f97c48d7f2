package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// openDeltas opens the caller's delta stream with Last-Event-ID lastID
// ("" for none) and ?after= after ("" for none).
func (f *fixture) openDeltas(ctx context.Context, token, lastID, after string) *bufio.Reader {
	f.t.Helper()
	path := f.path("deltas")
	if after != "" {
		path += "?after=" + after
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", f.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		f.t.Fatalf("status %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return bufio.NewReader(resp.Body)
}

func (f *fixture) page(token string) interaction.Page {
	f.t.Helper()
	var pg interaction.Page
	f.ok(f.do("GET", f.path("page")+"?last=50", token, "", nil), 200, &pg)
	return pg
}

func nextDelta(t *testing.T, r *bufio.Reader) (sseEvent, interaction.Delta) {
	t.Helper()
	e, err := readEvent(r)
	if err != nil {
		t.Fatal(err)
	}
	var d interaction.Delta
	if err := json.Unmarshal([]byte(e.data), &d); err != nil {
		t.Fatalf("%v: %s", err, e.data)
	}
	return e, d
}

// A page read once and kept by the delta stream's deltas is the page read
// again: each delta's id is its change count, a typing signal comes
// without one, and a consultation reaches the contact's stream not at all
// (R-C5).
func TestDeltaStreamKeepsAPage(t *testing.T) {
	f := newFixture(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pg := f.page("t-contact")
	r := f.openDeltas(ctx, "t-contact", "", strconv.FormatUint(pg.Changes, 10))
	f.ok(f.do("POST", f.path("post"), "t-agent1", `{"text":"Let me check"}`, nil), 200, nil)
	f.ok(f.do("POST", f.path("typing"), "t-agent1", `{}`, nil), 200, nil)
	var leg struct {
		Leg interaction.LegID `json:"leg"`
	}
	f.ok(f.do("POST", f.path("consult"), "t-agent1", `{"target":{"kind":"agent","id":"agent2"},"medium":"chat"}`, nil), 200, &leg)
	f.ok(f.do("POST", f.path("post"), "t-agent1", `{"text":"Found it"}`, nil), 200, nil)
	for got := 0; got < 2; {
		e, d := nextDelta(t, r)
		switch e.kind {
		case "typing":
			if e.id != "" || d.Event.Type != interaction.EventTyping {
				t.Fatalf("typing %+v", e)
			}
			continue
		case "delta":
		default:
			t.Fatalf("event %+v", e)
		}
		if e.id != strconv.FormatUint(d.Changes, 10) {
			t.Fatalf("id %s, changes %d", e.id, d.Changes)
		}
		if d.Leg != nil {
			t.Fatalf("the contact's stream carries a consultation: %s", e.data)
		}
		if !pg.Apply(d) {
			t.Fatalf("delta %s does not apply to the page", e.data)
		}
		if d.Message != nil {
			got++
		}
	}
	want := f.page("t-contact")
	if pg.Changes != want.Changes || pg.Total != want.Total || len(pg.Messages) != len(want.Messages) || pg.Messages[len(pg.Messages)-1].Text != "Found it" {
		t.Fatalf("kept page %+v, read page %+v", pg, want)
	}

	// A client that comes back behind the view is told to read a page.
	r2 := f.openDeltas(ctx, "t-contact", strconv.FormatUint(want.Changes-1, 10), "")
	e, d := nextDelta(t, r2)
	if e.kind != "delta" || !d.Reset || d.Changes != want.Changes || e.id != strconv.FormatUint(want.Changes, 10) {
		t.Fatalf("resume behind: %+v", e)
	}
	// One that is up to date gets the next delta only.
	r3 := f.openDeltas(ctx, "t-contact", strconv.FormatUint(want.Changes, 10), "")
	f.ok(f.do("POST", f.path("post"), "t-agent1", `{"text":"Fixed"}`, nil), 200, nil)
	if e, d := nextDelta(t, r3); d.Reset || d.Message == nil || d.Message.Text != "Fixed" || d.Changes != want.Changes+1 {
		t.Fatalf("resume current: %+v", e)
	}
}
