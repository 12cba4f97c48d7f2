package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/httpapi"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// The Team Communicator over HTTP (R-C2): a registered agent finds the
// agents, groups, skills and queues it may consult; a contact, or anyone
// the directory does not know, gets the very answer a server without
// routing gives, and learns no internal agent (R-X6, docs/visibility.md).
func TestDirectorySearchIsForAgentsOnly(t *testing.T) {
	dir := routing.NewDirectory()
	for _, a := range []routing.Agent{
		{ID: "agent1", Name: "Ann", Skills: map[string]int{"support": 1}},
		{ID: "agent2", Name: "Bob", Skills: map[string]int{"billing": 1}},
	} {
		require.NoError(t, dir.Put(a))
		require.NoError(t, dir.SetPresence(context.Background(), a.ID, routing.Ready))
	}
	serve := func(d *routing.Directory) *httptest.Server {
		cfg := httpapi.Config{Chats: interaction.NewService(), Auth: httpapi.AuthenticatorFunc(bearer)}
		if d != nil {
			cfg.Directory = d
		}
		h, err := httpapi.New(cfg)
		require.NoError(t, err)
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv
	}
	get := func(srv *httptest.Server, token, path string) (int, string) {
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	with, without := serve(dir), serve(nil)

	status, body := get(with, "t-agent1", "/v1/directory?q=bil")
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, `"kind":"skill","id":"billing"`)
	assert.Contains(t, body, `"agents":1,"available":1`, "Bob, ready, has the billing skill")
	status, body = get(with, "t-agent1", "/v1/directory?q=agent")
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, `"agent1"`)
	assert.Contains(t, body, `"agent2"`)
	status, body = get(with, "t-agent1", "/v1/directory?q=bob&available=true&limit=1")
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, `"name":"Bob"`)
	assert.Contains(t, body, `"presence":"ready"`)

	for _, token := range []string{"t-contact", "t-agent9"} {
		status, body := get(with, token, "/v1/directory?q=")
		wantStatus, wantBody := get(without, token, "/v1/directory?q=")
		assert.Equal(t, http.StatusNotFound, status, token)
		assert.Equal(t, wantBody, body, "%s learns nothing, not even that there is a directory", token)
		assert.NotContains(t, body, "agent2")
		assert.Equal(t, wantStatus, status)
	}
	status, _ = get(with, "t-agent1", "/v1/directory?limit=x")
	assert.Equal(t, http.StatusBadRequest, status)
}
