package pgstore

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
)

// Attachments come back from their column byte for byte, whatever their
// strings hold, and a column not in 0011's form is an error, not a panic.
func TestAttachmentsColumnRoundTrip(t *testing.T) {
	files := interaction.NewFiles([]interaction.Attachment{
		{Name: "invoice.pdf", MediaType: "application/pdf", Size: 48213, Ref: "obj-1"},
		{Name: "Grüße\x00\xff", MediaType: "image/png", Size: 1 << 40, Ref: ""},
	})
	got, err := decodeAttachments(encodeAttachments(files))
	require.NoError(t, err)
	assert.Equal(t, files.List(), got.List())
	none, err := decodeAttachments(encodeAttachments(interaction.Files{}))
	require.NoError(t, err)
	assert.Zero(t, none.Len())

	whole := encodeAttachments(files)
	for i := 1; i < len(whole); i++ {
		f, err := decodeAttachments(whole[:i])
		if err == nil {
			assert.Less(t, f.Len(), 2, "a cut at %d cannot decode both", i)
			continue
		}
		assert.True(t, errors.Is(err, errAttachments))
	}
	_, err = decodeAttachments([]byte{2})
	assert.ErrorIs(t, err, errAttachments)
}

func FuzzAttachmentsColumn(f *testing.F) {
	f.Add(encodeAttachments(interaction.NewFiles([]interaction.Attachment{{Name: "a", MediaType: "text/plain", Size: 1, Ref: "r"}})))
	f.Add([]byte{1, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		files, err := decodeAttachments(b)
		if err != nil {
			return
		}
		again, err := decodeAttachments(encodeAttachments(files))
		require.NoError(t, err)
		assert.Equal(t, files.List(), again.List(), "what decodes re-encodes to the same attachments")
	})
}
