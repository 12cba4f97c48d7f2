package chatconsulttest_test

import (
	"testing"

	"github.com/chatconsult/chatconsult/chatconsulttest"
)

// The seed's walkthroughs, as scenario scripts (testdata/scenarios/*.txt).
// Rewrite their expected output with -chatconsulttest.rewrite.
func TestScenarios(t *testing.T) {
	chatconsulttest.RunScenarios(t, "testdata/scenarios")
}
