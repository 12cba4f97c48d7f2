package main

import (
	"testing"

	"github.com/chatconsult/chatconsult/examples/internal/golden"
)

// The story runs to completion and prints what it printed before (R-H1–R-H4).
func TestMyHistoryGolden(t *testing.T) { golden.Check(t, run) }
