package httpapi_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/chatconsult/chatconsult/httpapi"
	"github.com/chatconsult/chatconsult/interaction"
)

// docs/http.md lists exactly the handler's routes: a route missing from
// the document, or a documented one the handler does not serve, fails.
func TestRoutesMatchDocs(t *testing.T) {
	h, err := httpapi.New(httpapi.Config{Chats: interaction.NewService(), Auth: httpapi.AuthenticatorFunc(bearer)})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/http.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(GET|POST|PUT) (/v1/[^`]*)`").FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]+" "+m[2]] = true
	}
	served := map[string]bool{}
	for _, r := range h.Routes() {
		served[r.Method+" "+r.Path] = true
		if !documented[r.Method+" "+r.Path] {
			t.Errorf("route %s %s is not in docs/http.md", r.Method, r.Path)
		}
	}
	for d := range documented {
		if !served[d] {
			t.Errorf("docs/http.md lists %s, which the handler does not serve", d)
		}
	}
}
