package desk

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
)

// client is one pane as the page drives it, over the desk's HTTP API
// only: its token, and the chat it follows (the one it opened, or the
// newest of its invitations).
type client struct {
	w     web
	party interaction.PartyID
	token string
	id    interaction.ID
}

func (w web) pane(p interaction.PartyID) *client {
	w.t.Helper()
	return &client{w: w, party: p, token: w.login(p)}
}

// get reads one of the API's documents into out; it answers the status.
func (c *client) get(path string, out any) int {
	c.w.t.Helper()
	code, body := c.w.do(call{method: http.MethodGet, path: path, token: c.token})
	if code == http.StatusOK && out != nil {
		require.NoError(c.w.t, json.Unmarshal(body, out), "%s", body)
	}
	return code
}

// open: the contact's first message opens a chat to the desk's group.
func (c *client) open(text string) interaction.ID {
	c.w.t.Helper()
	code, body := c.w.do(call{method: http.MethodPost, path: "/v1/interactions", token: c.token,
		body: map[string]any{"text": text, "target": map[string]string{"kind": "group", "id": DeskGroup}}})
	require.Equal(c.w.t, http.StatusCreated, code, "%s", body)
	var out struct{ Interaction interaction.ID }
	require.NoError(c.w.t, json.Unmarshal(body, &out))
	c.id = out.Interaction
	return c.id
}

// find is how an agent's pane learns of its chat: its invitations.
func (c *client) find() interaction.ID {
	c.w.t.Helper()
	var out struct {
		Invitations []struct {
			Interaction interaction.ID `json:"interaction"`
		} `json:"invitations"`
	}
	require.Equal(c.w.t, http.StatusOK, c.get("/v1/me/invitations", &out))
	for _, inv := range out.Invitations {
		if inv.Interaction != c.id {
			c.id = inv.Interaction // a new chat: the pane follows it
		}
	}
	return c.id
}

// do sends one command on the pane's chat; it answers the status and body.
func (c *client) do(name string, body any) (int, string) {
	c.w.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	code, out := c.w.do(call{method: http.MethodPost, path: "/v1/interactions/" + string(c.id) + "/" + name, token: c.token, body: body})
	return code, string(out)
}

// must sends a command that the library must accept.
func (c *client) must(name string, body any) {
	c.w.t.Helper()
	code, out := c.do(name, body)
	require.Equal(c.w.t, http.StatusOK, code, "%s %s: %s", c.party, name, out)
}

// page reads the pane's page of its chat (its last PaneWindow messages).
func (c *client) page() interaction.Page {
	c.w.t.Helper()
	var pg interaction.Page
	require.Equal(c.w.t, http.StatusOK, c.get("/v1/interactions/"+string(c.id)+"/page?last=50", &pg), "%s's page", c.party)
	return pg
}

// pending reports whether the pane's party owes an answer in its chat (R-C9).
func (c *client) pending() bool {
	c.w.t.Helper()
	var out struct {
		Pending []struct {
			Interaction interaction.ID `json:"interaction"`
		} `json:"pending"`
	}
	require.Equal(c.w.t, http.StatusOK, c.get("/v1/me/pending", &out))
	for _, p := range out.Pending {
		if p.Interaction == c.id {
			return true
		}
	}
	return false
}

// press presses the pane's button for action, as the page sends it: it
// must be offered.
func (c *client) press(action string) {
	c.w.t.Helper()
	b, ok := button(c.page(), action)
	require.True(c.w.t, ok, "%s has no %q button", c.party, action)
	name, body := command(b)
	c.must(name, body)
}

// stream opens one of the chat's streams ("deltas" or "events") with the
// token in its URL, resuming after after ("" for none).
func (c *client) stream(ctx context.Context, kind, after string) *bufio.Reader {
	c.w.t.Helper()
	path := "/v1/interactions/" + string(c.id) + "/" + kind + "?token=" + url.QueryEscape(c.token)
	if after != "" {
		path += "&after=" + after
	}
	return c.w.stream(ctx, path)
}

// stream opens a stream at path.
func (w web) stream(ctx context.Context, path string) *bufio.Reader {
	w.t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.srv.URL+path, nil)
	require.NoError(w.t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(w.t, err)
	w.t.Cleanup(func() { resp.Body.Close() })
	require.Equal(w.t, http.StatusOK, resp.StatusCode)
	require.Equal(w.t, "text/event-stream", resp.Header.Get("Content-Type"))
	return bufio.NewReader(resp.Body)
}

// nextDelta reads the next event of a delta stream: its kind ("delta",
// "typing", "reminder"), its id, and the delta document it carries.
func nextDelta(t *testing.T, r *bufio.Reader) (string, string, interaction.Delta) {
	t.Helper()
	var kind, id, data string
	for {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		line = strings.TrimRight(line, "\n")
		if line == "" && data != "" {
			break
		}
		if d, ok := strings.CutPrefix(line, "data: "); ok {
			data = d
		}
		if k, ok := strings.CutPrefix(line, "event: "); ok {
			kind = k
		}
		if i, ok := strings.CutPrefix(line, "id: "); ok {
			id = i
		}
	}
	var d interaction.Delta
	require.NoError(t, json.Unmarshal([]byte(data), &d), "%s", data)
	return kind, id, d
}

func texts(pg interaction.Page) []string {
	var out []string
	for _, m := range pg.Messages {
		out = append(out, m.Text)
	}
	return out
}

// Action is one button of a pane, as the page's actionsFor (static/desk.js)
// offers it from the page of the party's view.
type Action struct {
	Action string
	Leg    interaction.InvitationID // the leg, or the request of a request's button (desk.js's b.leg)
	Target interaction.PartyID
}

// command is the httpapi command a button sends (desk.js's command).
func command(a Action) (string, any) {
	switch a.Action {
	case "accept-chat":
		return "join", nil
	case "end", "done":
		return a.Action, nil
	case "consult":
		return "consult", map[string]any{"target": map[string]string{"kind": "agent", "id": string(a.Target)}, "medium": "chat"}
	case "remove":
		return "remove", map[string]any{"member": a.Target}
	case "accept-request", "decline-request", "cancel-request":
		return a.Action, map[string]any{"request": a.Leg}
	}
	return a.Action, map[string]any{"leg": a.Leg}
}

func button(pg interaction.Page, action string) (Action, bool) {
	for _, a := range actionsFor(pg) {
		if a.Action == action {
			return a, true
		}
	}
	return Action{}, false
}

// actionsFor is desk.js's actionsFor, line for line: the buttons the
// page's viewer may press, from its view alone.
func actionsFor(pg interaction.Page) []Action {
	party := pg.Viewer
	present, active := pg.Membership == interaction.MemberJoined, pg.Status == interaction.StatusActive
	if onlyOff(pg) {
		return nil
	}
	if party == Contact {
		if present {
			return []Action{{Action: "end"}}
		}
		return nil
	}
	var out []Action
	if pg.Role == interaction.RoleOwner && pg.Membership == interaction.MemberInvited {
		out = append(out, Action{Action: "accept-chat"})
	}
	for _, l := range pg.Legs {
		if l.Owner != party && l.Invitee != party {
			continue
		}
		other := l.Invitee
		if party == l.Invitee {
			other = l.Owner
		}
		switch {
		case l.State == interaction.LegInviting && party == l.Invitee:
			out = append(out, Action{Action: "accept", Leg: interaction.InvitationID(l.ID)}, Action{Action: "decline", Leg: interaction.InvitationID(l.ID)})
		case l.State == interaction.LegInviting:
			out = append(out, Action{Action: "cancel", Leg: interaction.InvitationID(l.ID), Target: other})
		case l.State == interaction.LegActive:
			out = append(out, Action{Action: "end-consultation", Leg: interaction.InvitationID(l.ID)})
			asked := false
			for _, r := range pg.Requests {
				asked = asked || r.Via == l.ID && r.State == interaction.RequestPending
			}
			if party == l.Owner && pg.Role == interaction.RoleOwner && present && active && !asked {
				out = append(out, Action{Action: "transfer", Leg: interaction.InvitationID(l.ID), Target: other}, Action{Action: "conference", Leg: interaction.InvitationID(l.ID), Target: other})
			}
		}
	}
	for _, r := range pg.Requests {
		switch {
		case r.State != interaction.RequestPending:
		case party == r.Invitee:
			out = append(out, Action{Action: "accept-request", Leg: interaction.InvitationID(r.ID)}, Action{Action: "decline-request", Leg: interaction.InvitationID(r.ID)})
		case party == r.Owner:
			out = append(out, Action{Action: "cancel-request", Leg: interaction.InvitationID(r.ID)})
		}
	}
	if pg.Role == interaction.RoleOwner && present && active {
		for _, a := range Agents {
			var q *interaction.PartyView
			for k := range pg.Parties {
				if pg.Parties[k].ID == a {
					q = &pg.Parties[k]
				}
			}
			if a != party && (q == nil || q.Membership != interaction.MemberJoined && q.Membership != interaction.MemberInvited) {
				out = append(out, Action{Action: "consult", Target: a})
			}
		}
		for _, q := range pg.Parties {
			if q.Role == interaction.RoleMember && q.Membership == interaction.MemberJoined {
				out = append(out, Action{Action: "remove", Target: q.ID})
			}
		}
	}
	if present && pg.Role.Engaged() && active {
		out = append(out, Action{Action: "end"})
	}
	if tookPart(pg) && pg.Membership != interaction.MemberDone && (!present || pg.Status == interaction.StatusEnded) && pg.Status != interaction.StatusClosed {
		out = append(out, Action{Action: "done"})
	}
	return out
}

// onlyOff: the chat is not on the viewer's desk (it declined, or its
// invitation was withdrawn): desk.js's paneOf shows no chat.
func onlyOff(pg interaction.Page) bool {
	switch pg.Membership {
	case interaction.MemberNone, interaction.MemberDeclined, interaction.MemberWithdrawn:
		return true
	}
	return false
}

func tookPart(pg interaction.Page) bool {
	return !onlyOff(pg) && pg.Membership != interaction.MemberInvited
}

// sayLeg is the consultation the pane writes in (desk.js: the first active
// one not by voice).
func sayLeg(pg interaction.Page) interaction.LegID {
	for _, l := range pg.Legs {
		if l.State == interaction.LegActive && l.Medium != interaction.MediumVoice {
			return l.ID
		}
	}
	return ""
}

// canPost is desk.js's: whether the pane shows its chat box.
func canPost(pg interaction.Page) bool {
	live := pg.Status == interaction.StatusWaiting || pg.Status == interaction.StatusActive
	present := pg.Membership == interaction.MemberJoined
	if pg.Viewer == Contact {
		return !live || present
	}
	return present && pg.Role.Engaged() && pg.Status == interaction.StatusActive
}

// receipts are how far the others read, as the page shows them.
func receipts(pg interaction.Page) []string {
	var out []string
	for _, r := range pg.Receipts {
		if r.Party != pg.Viewer {
			out = append(out, fmt.Sprintf("%s:%d", r.Party, r.Seq))
		}
	}
	sort.Strings(out)
	return out
}
