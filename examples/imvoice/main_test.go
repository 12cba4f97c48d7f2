package main

import (
	"testing"

	"github.com/chatconsult/chatconsult/examples/internal/golden"
)

// The story runs to completion and prints what it printed before (R-C10, R-C11).
func TestIMVoiceGolden(t *testing.T) { golden.Check(t, run) }
