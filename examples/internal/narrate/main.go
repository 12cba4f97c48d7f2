package narrate

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Main is the main function of a story program: run tells the story to
// standard output; on error the program says why and exits with status 1.
func Main(run func(io.Writer) error) {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
		os.Exit(1)
	}
}
