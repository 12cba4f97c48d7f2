package httpapi_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/httpapi"
	"github.com/chatconsult/chatconsult/interaction"
)

// A service wires the handler to its Services and says who makes each
// request; here a header stands for a real session.
func Example() {
	notifier := interaction.NewMemoryNotifier()
	chats := interaction.NewService(interaction.WithNotifier(notifier), interaction.WithIDs(&interaction.SequentialIDs{}))
	desk := consult.New(chats)
	defer desk.Stop()
	h, _ := httpapi.New(httpapi.Config{Chats: chats, Consult: desk, Notifier: notifier,
		Auth: httpapi.AuthenticatorFunc(func(r *http.Request) (interaction.PartyID, error) {
			if p := r.Header.Get("X-Demo-Session"); p != "" { // a real service checks a session
				return interaction.PartyID(p), nil
			}
			return "", errors.New("no session")
		})})
	srv := httptest.NewServer(h)
	defer srv.Close()
	call := func(who, method, path, body string) string {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("X-Demo-Session", who)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprint(resp.StatusCode, " ", strings.TrimSpace(string(b)))
	}
	opened := call("contact", "POST", "/v1/interactions", `{"text":"Hello"}`)
	fmt.Println(opened)
	id := strings.TrimSuffix(strings.TrimPrefix(opened, `201 {"interaction":"`), `"}`)
	fmt.Println(call(string(interaction.System), "POST", "/v1/interactions/"+id+"/assign", `{"agent":"agent1"}`)[:3])
	fmt.Println(call("agent1", "POST", "/v1/interactions/"+id+"/join", ``)[:3])
	fmt.Println(call("agent1", "POST", "/v1/interactions/"+id+"/done", ``))
	fmt.Println(call("stranger", "GET", "/v1/interactions/"+id+"/view", ``))
	// Output:
	// 201 {"interaction":"1"}
	// 200
	// 200
	// 409 {"type":"urn:chatconsult:problem:invalid_transition","title":"invalid transition","status":409,"detail":"still in the chat: leave or end first","kind":"invalid_transition","rule":"R-C8"}
	// 404 {"type":"urn:chatconsult:problem:not_found","title":"not found","status":404,"detail":"no such interaction","kind":"not_found","rule":"R-X6"}
}
