package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/chatconsult/chatconsult/interaction"
)

// Problem is the RFC 9457 problem document of a refused request
// (application/problem+json). Kind and Rule are extensions: the kind of
// the library's refusal (bad_input, not_permitted, not_found, conflict,
// invalid_transition, unauthenticated, too_large, unsupported) and the
// rule of docs/rules.md behind it, when there is one.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Kind   string `json:"kind"`
	Rule   string `json:"rule,omitempty"`
}

// ProblemType is the prefix of every Problem.Type: the kind follows it.
const ProblemType = "urn:chatconsult:problem:"

var kinds = []struct {
	err    error
	kind   string
	status int
	title  string
}{
	{interaction.ErrBadInput, "bad_input", http.StatusUnprocessableEntity, "bad input"},
	{interaction.ErrNotPermitted, "not_permitted", http.StatusForbidden, "not permitted"},
	{interaction.ErrNotFound, "not_found", http.StatusNotFound, "not found"},
	{interaction.ErrConflict, "conflict", http.StatusConflict, "conflict"},
	{interaction.ErrInvalidTransition, "invalid_transition", http.StatusConflict, "invalid transition"},
}

// StatusOf is the HTTP status of an error the library returned (docs/http.md):
// bad input 422 (the request was well formed; the library refused its
// content), not permitted 403, not found 404, conflict 409, invalid
// transition 409 (the state of the interaction conflicts with the
// command), a context that ended 503, anything else 500.
func StatusOf(err error) int {
	p := problemOf(err)
	return p.Status
}

func problemOf(err error) Problem {
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			p := Problem{Type: ProblemType + k.kind, Title: k.title, Status: k.status, Kind: k.kind}
			var e *interaction.Error
			if errors.As(err, &e) {
				p.Detail, p.Rule = e.Detail, e.Rule
			}
			return p
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Problem{Type: ProblemType + "unavailable", Title: "unavailable", Status: http.StatusServiceUnavailable, Kind: "unavailable"}
	}
	// Nothing of an unexpected error reaches the client: it may name what
	// the caller may not know.
	return Problem{Type: ProblemType + "internal", Title: "internal error", Status: http.StatusInternalServerError, Kind: "internal"}
}

// unknownInteraction is the one answer to a caller that is not a party of
// the interaction, whether or not it exists (R-X6): the same status and
// body, so the answer tells nothing of the interaction.
func unknownInteraction() Problem {
	return Problem{Type: ProblemType + "not_found", Title: "not found", Status: http.StatusNotFound, Kind: "not_found", Detail: "no such interaction", Rule: "R-X6"}
}

func requestProblem(status int, kind, detail string) Problem {
	return Problem{Type: ProblemType + kind, Title: http.StatusText(status), Status: status, Kind: kind, Detail: detail}
}

func writeProblem(w http.ResponseWriter, p Problem) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeProblem(w, Problem{Type: ProblemType + "internal", Title: "internal error", Status: http.StatusInternalServerError, Kind: "internal"})
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
