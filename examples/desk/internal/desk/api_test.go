package desk

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
)

// The desk serves httpapi under /v1/, the acting party and viewer being
// the pane token's: no token is 401, a party named besides the token is
// refused, and a party reads only its own view.
func TestAPIActsAsThePaneTokensParty(t *testing.T) {
	w := newWeb(t)
	contact, agent1, agent2, chat := w.offered()
	id := string(chat)
	view := "/v1/interactions/" + id + "/view"

	code, _ := w.do(call{method: http.MethodGet, path: view})
	assert.Equal(t, http.StatusUnauthorized, code, "no token")
	code, _ = w.do(call{method: http.MethodGet, path: view, token: "forged"})
	assert.Equal(t, http.StatusUnauthorized, code, "an unknown token")
	code, _ = w.do(call{method: http.MethodGet, path: view + "?token=" + url.QueryEscape(agent1)})
	assert.Equal(t, http.StatusUnauthorized, code, "only the event stream takes the token from its URL")
	code, _ = w.do(call{method: http.MethodGet, path: view + "?party=agent1", token: contact})
	assert.Equal(t, http.StatusUnauthorized, code, "a party named besides the token")

	code, body := w.do(call{method: http.MethodGet, path: view, token: agent1})
	require.Equal(t, http.StatusOK, code, "%s", body)
	var v interaction.View
	require.NoError(t, json.Unmarshal(body, &v))
	assert.Equal(t, interaction.PartyID("agent1"), v.Viewer)
	code, _ = w.do(call{method: http.MethodGet, path: view, token: agent2})
	assert.Equal(t, http.StatusNotFound, code, "agent2 is no party of the chat (R-X6)")

	before := w.events()
	code, body = w.do(call{method: http.MethodPost, path: "/v1/interactions/" + id + "/join", token: agent2, body: map[string]any{}})
	assert.Equal(t, http.StatusNotFound, code, "%s", body)
	code, body = w.do(call{method: http.MethodPost, path: "/v1/interactions/" + id + "/post", token: contact, body: map[string]any{"text": "x", "party": "agent1"}})
	assert.Equal(t, http.StatusBadRequest, code, "a body naming a party: %s", body)
	assert.Equal(t, before, w.events(), "nothing refused was written")
	code, body = w.do(call{method: http.MethodPost, path: "/v1/interactions/" + id + "/join", token: agent1, body: map[string]any{}})
	assert.Equal(t, http.StatusOK, code, "%s", body)
}

// The API is behind the desk's guards: a foreign origin or host is 403, a
// body not declared JSON 415, and nothing is written.
func TestAPIIsGuardedLikeTheDesk(t *testing.T) {
	w := newWeb(t)
	_, agent1, _, id := w.offered()
	join := "/v1/interactions/" + string(id) + "/join"
	before := w.events()
	for _, h := range []map[string]string{
		{"Origin": "http://evil.example"},
		{"Origin": "null"},
		{"Sec-Fetch-Site": "cross-site"},
		{"Host": "evil.example:" + w.port()},
	} {
		code, _ := w.do(call{method: http.MethodPost, path: join, token: agent1, body: map[string]any{}, header: h})
		assert.Equal(t, http.StatusForbidden, code, "%v", h)
		code, _ = w.do(call{method: http.MethodGet, path: "/v1/interactions/" + string(id) + "/view", token: agent1, header: h})
		assert.Equal(t, http.StatusForbidden, code, "%v", h)
	}
	code, _ := w.do(call{method: http.MethodPost, path: join, token: agent1, header: map[string]string{"Content-Type": "text/plain"}})
	assert.Equal(t, http.StatusUnsupportedMediaType, code)
	assert.Equal(t, before, w.events(), "no refused request wrote an event")
	code, _ = w.do(call{method: http.MethodPost, path: join, token: agent1, body: map[string]any{}, header: map[string]string{"Origin": w.srv.URL}})
	assert.Equal(t, http.StatusOK, code, "the desk's own page")
}

// The event stream takes the token from its URL (EventSource sends no
// header) and sends the party's events with their ids.
func TestAPIStreamTakesTheTokenFromItsURL(t *testing.T) {
	w := newWeb(t)
	_, agent1, _, id := w.offered()
	path := "/v1/interactions/" + string(id) + "/events?token="
	code, _ := w.do(call{method: http.MethodGet, path: path + "forged"})
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _ = w.do(call{method: http.MethodGet, path: path + url.QueryEscape(agent1), header: map[string]string{"Origin": "http://evil.example"}})
	assert.Equal(t, http.StatusForbidden, code)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.srv.URL+path+url.QueryEscape(agent1), nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	r := bufio.NewReader(resp.Body)
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(line, "id: "), "the first event has an id: %q", line)
}

// The contact opens a chat over the API to the desk's group: routing
// offers it to agent1, whose pane finds it in its invitations and takes
// it over the API; agent2 is not offered it.
func TestAPIOpensTheDesksChatRoutedToAgent1(t *testing.T) {
	w := newWeb(t)
	contact, agent1, agent2 := w.pane(Contact), w.pane(Agent1), w.pane(Agent2)
	id := contact.open("Hello")
	assert.Equal(t, id, agent1.find(), "the chat opened is on agent1's pane")
	p := agent1.page()
	assert.Equal(t, interaction.RoleOwner, p.Role)
	assert.Equal(t, interaction.MemberInvited, p.Membership)
	_, ok := button(p, "accept-chat")
	assert.True(t, ok, "agent1 is offered the chat")
	assert.Empty(t, agent2.find(), "agent2 is not offered it")

	agent2.id = id
	code, _ := agent2.do("join", nil)
	assert.Equal(t, http.StatusNotFound, code, "agent2 is no party")
	agent1.must("join", nil)
	assert.Equal(t, []string{"Hello"}, texts(agent1.page()))
	t.Logf("interaction %s", id)
}
