package httpapi_test

import (
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/httpapi"
	"github.com/chatconsult/chatconsult/interaction"
)

var updateOpenAPI = flag.Bool("update-openapi", false, "rewrite docs/openapi.json from the handler's routes")

// docs/openapi.json is the OpenAPI document of the routes the handler
// serves: every served method and path is in it with a unique operation
// ID, nothing else is, and a command that reads a body declares its
// schema. Rewrite it with go test ./httpapi -run TestOpenAPI -update-openapi.
func TestOpenAPIMatchesTheRoutes(t *testing.T) {
	h, err := httpapi.New(httpapi.Config{Chats: interaction.NewService(), Auth: httpapi.AuthenticatorFunc(bearer)})
	require.NoError(t, err)
	want, err := h.OpenAPI()
	require.NoError(t, err)
	want = append(want, '\n')
	if *updateOpenAPI {
		require.NoError(t, os.WriteFile("../docs/openapi.json", want, 0o644))
	}
	got, err := os.ReadFile("../docs/openapi.json")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "docs/openapi.json is stale: go test ./httpapi -run TestOpenAPI -update-openapi")

	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(got, &doc))
	assert.Equal(t, "3.1.0", doc.OpenAPI)
	ids := map[string]bool{}
	n := 0
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			n++
			var op struct {
				OperationID string          `json:"operationId"`
				RequestBody json.RawMessage `json:"requestBody"`
			}
			require.NoError(t, json.Unmarshal(raw, &op))
			assert.False(t, ids[op.OperationID], "operation ID %s twice", op.OperationID)
			ids[op.OperationID] = true
			if method == "post" && (strings.HasSuffix(path, "/post") || strings.HasSuffix(path, "/say") || strings.HasSuffix(path, "/consult")) {
				assert.NotEmpty(t, op.RequestBody, "%s %s reads a body", method, path)
			}
		}
	}
	served := 0
	for _, r := range h.Routes() {
		served++
		_, ok := doc.Paths[r.Path][strings.ToLower(r.Method)]
		assert.True(t, ok, "%s %s is served but not in docs/openapi.json", r.Method, r.Path)
	}
	assert.Equal(t, served, n, "docs/openapi.json lists exactly the served routes")
}
