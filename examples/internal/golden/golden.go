// Package golden compares an example program's output with its golden
// file, testdata/<program>.golden next to the program. Run the tests with
// -update to rewrite the golden files after a deliberate change:
//
//	go test ./examples/... -update
package golden

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the examples' golden files")

// Check runs the program's run function to completion in-process and
// compares what it printed with the golden file. The test runs in the
// program's folder, whose name names the file.
func Check(t *testing.T, run func(io.Writer) error) {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, run(&out), "the example must run to completion")
	dir, err := os.Getwd()
	require.NoError(t, err)
	path := filepath.Join("testdata", filepath.Base(dir)+".golden")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, out.Bytes(), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no golden file: run go test with -update")
	assert.Equal(t, string(want), out.String(), "output drifted from %s; if the change is deliberate, run go test with -update", path)
}
