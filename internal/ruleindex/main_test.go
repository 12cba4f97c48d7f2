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

// The checks can fail: a rule nobody cites, and a citation of an unknown rule.
func TestRuleIndexProblems(t *testing.T) {
	c := Citations{Code: map[string]map[string]int{"R-C1": {"a.go": 1}, "R-C9": {"b.go": 1}},
		Tests: map[string]map[string]int{"R-C1": {"a_test.go": 2}}}
	assert.Equal(t, []string{"R-C2 is cited by no library code", "R-C2 is cited by no test", "b.go cites R-C9, which docs/rules.md does not have"},
		Problems([]string{"R-C1", "R-C2"}, c))
	assert.Contains(t, Render([]string{"R-C1"}, c), "| R-C1 | `a.go` | `a_test.go` |")
}
