package interaction

import (
	"encoding/base64"
	mathrand "math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Command IDs are the URL alphabet's base64 of their 128 bits, as
// encoding/base64 writes it (commandIDText unrolls it).
func TestCommandIDTextIsRawURLBase64(t *testing.T) {
	gen := mathrand.NewChaCha8([32]byte{1})
	for i := 0; i < 10000; i++ {
		var raw [16]byte
		_, _ = gen.Read(raw[:])
		if i == 0 {
			raw = [16]byte{}
		} else if i == 1 {
			for j := range raw {
				raw[j] = 0xff
			}
		}
		require.Equal(t, base64.RawURLEncoding.EncodeToString(raw[:]), commandIDText(&raw))
	}
}
