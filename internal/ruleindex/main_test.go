package ruleindex

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var write = flag.Bool("write", false, "rewrite docs/rule-index.md")

// Every rule of docs/rules.md is implemented and tested somewhere, no code
// cites a rule that does not exist, and docs/rule-index.md is current
// (go test ./internal/ruleindex -write, or go run ./internal/ruleindex/write, rewrites it).
func TestRuleIndex(t *testing.T) {
	root := filepath.Join("..", "..")
	rules, err := Rules(filepath.Join(root, "docs", "rules.md"))
	require.NoError(t, err)
	require.Len(t, rules, 31, "the rules of docs/rules.md")
	c, err := Scan(root)
	require.NoError(t, err)
	assert.Empty(t, Problems(rules, c))
	want := Render(rules, c)
	path := filepath.Join(root, "docs", "rule-index.md")
	if *write {
		require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./internal/ruleindex -write")
	assert.Equal(t, want, string(got), "docs/rule-index.md is stale: go test ./internal/ruleindex -write")
}

// The checks can fail: a rule decided nowhere, one decided in too many
// files or outside the library, a rule no test cites, and a citation of
// an unknown rule.
func TestRuleIndexProblems(t *testing.T) {
	c := Citations{
		Code: map[string]map[string]int{"R-C1": {"interaction/a.go": 1, "docs.go": 1}, "R-C9": {"b.go": 1},
			"R-C3": {"interaction/a.go": 1, "consult/b.go": 1, "routing/c.go": 1, "history/d.go": 1}},
		Tests: map[string]map[string]int{"R-C1": {"a_test.go": 2}, "R-C3": {"c_test.go": 1}, "R-C4": {"d_test.go": 1}},
		Decided: map[string]map[string]int{"R-C1": {"interaction/a.go": 1},
			"R-C3": {"interaction/a.go": 1, "consult/b.go": 1, "routing/c.go": 1, "history/d.go": 1},
			"R-C4": {"chatconsulttest/model.go": 1}},
	}
	assert.Equal(t, []string{
		"R-C2 is cited by no test",
		"R-C2 is decided nowhere: no `// Decides R-C2:` line in the library",
		"R-C3 is decided in 4 files, more than 3",
		"b.go cites R-C9, which docs/rules.md does not have",
		"chatconsulttest/model.go decides R-C4, but only the library's packages decide rules",
	}, Problems([]string{"R-C1", "R-C2", "R-C3", "R-C4"}, c))
	assert.Contains(t, Render([]string{"R-C1"}, c), "| R-C1 | `interaction/a.go` | `docs.go` | `a_test.go` |")
}

// A Decides line names one rule or several, and only a comment line that
// starts with it counts.
func TestDecidesLines(t *testing.T) {
	src := "// Decides R-X1: the next agent.\n\t// Decides R-C5, R-X3: who reads a leg.\nx := \"// Decides R-C1: no\"\n// see Decides R-C2: no\n"
	var got []string
	for _, m := range decides.FindAllStringSubmatch(src, -1) {
		got = append(got, citation.FindAllString(m[1], -1)...)
	}
	assert.Equal(t, []string{"R-X1", "R-C5", "R-X3"}, got)
}
