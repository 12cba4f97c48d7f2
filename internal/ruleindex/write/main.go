// Command write rewrites docs/rule-index.md from docs/rules.md and the Go
// files. Run it from the repository's root: go run ./internal/ruleindex/write
package main

import (
	"log"
	"os"
	"path/filepath"

	"github.com/chatconsult/chatconsult/internal/ruleindex"
)

func main() {
	rules, err := ruleindex.Rules(filepath.Join("docs", "rules.md"))
	if err != nil {
		log.Fatal(err)
	}
	c, err := ruleindex.Scan(".")
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range ruleindex.Problems(rules, c) {
		log.Print(p)
	}
	if err := os.WriteFile(filepath.Join("docs", "rule-index.md"), []byte(ruleindex.Render(rules, c)), 0o644); err != nil {
		log.Fatal(err)
	}
}
