package main

import (
	"testing"

	"github.com/chatconsult/chatconsult/examples/internal/golden"
)

// The main story runs to completion and prints what it printed before
// (R-C1, R-C3, R-C5, R-C6, R-F1–R-F6, R-X4, R-C8).
func TestWalkthroughGolden(t *testing.T) { golden.Check(t, run) }
