package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/chatconsult/chatconsult/httpapi"
)

// The consultation commands take an Idempotency-Key too (issue 16, "safe
// retries everywhere"): sent three times, a consultation is started once
// and answers the same leg, a message in it is written once; the key
// reused for another command is 409; opening a chat still refuses one.
func TestConsultIdempotencyKey(t *testing.T) {
	f := newFixture(t, 0)
	key := func(k string) map[string]string { return map[string]string{"Idempotency-Key": k} }
	var first httpapi.LegResult
	f.ok(f.do("POST", f.path("consult"), "t-agent1", `{"target":{"kind":"agent","id":"agent2"},"medium":"chat"}`, key("c-1")), 200, &first)
	for range 2 {
		var again httpapi.LegResult
		f.ok(f.do("POST", f.path("consult"), "t-agent1", `{"target":{"kind":"agent","id":"agent2"},"medium":"chat"}`, key("c-1")), 200, &again)
		if again.Leg != first.Leg {
			t.Fatalf("retry answered leg %s, first %s", again.Leg, first.Leg)
		}
	}
	if v := f.view("t-agent1"); len(v.Legs) != 1 {
		t.Fatalf("%d legs after three sends, want 1", len(v.Legs))
	}
	f.problem(f.do("POST", f.path("consult"), "t-agent1", `{"target":{"kind":"agent","id":"agent9"},"medium":"chat"}`, key("c-1")), http.StatusConflict, "conflict")
	for range 2 {
		f.ok(f.do("POST", f.path("accept"), "t-agent2", `{"leg":"`+string(first.Leg)+`"}`, key("a-1")), 200, nil)
	}
	for range 3 {
		f.ok(f.do("POST", f.path("say"), "t-agent2", `{"leg":"`+string(first.Leg)+`","text":"once"}`, key("s-1")), 200, nil)
	}
	n := 0
	for _, m := range f.view("t-agent1").Messages {
		if m.Text == "once" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d consultation messages, want 1", n)
	}
	f.problem(f.do("POST", "/v1/interactions", "t-contact", `{"text":"again"}`, key("o-1")), http.StatusUnprocessableEntity, "bad_input")
}
