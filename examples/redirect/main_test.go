package main

import (
	"testing"

	"github.com/chatconsult/chatconsult/examples/internal/golden"
)

// The story runs to completion and prints what it printed before (R-C2, R-X1).
func TestRedirectGolden(t *testing.T) { golden.Check(t, run) }
