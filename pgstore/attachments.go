package pgstore

import (
	"encoding/binary"
	"errors"

	"github.com/chatconsult/chatconsult/interaction"
)

// Attachments are kept in chatconsult_events.attachments (migration
// 0011) in a binary form of their own, so any string the core holds comes
// back byte for byte (PostgreSQL text would refuse NUL, JSON would mend
// invalid UTF-8): a version byte, then per attachment its name, media
// type and reference, each as a uvarint length and its bytes, and its
// size as a varint. No attachments: empty.
const attachmentsV1 = 1

func encodeAttachments(f interaction.Files) []byte {
	list := f.List()
	if len(list) == 0 {
		return []byte{}
	}
	b := []byte{attachmentsV1}
	for _, a := range list {
		for _, s := range [...]string{a.Name, a.MediaType, a.Ref} {
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		}
		b = binary.AppendVarint(b, a.Size)
	}
	return b
}

var errAttachments = errors.New("pgstore: attachments column: not in the form 0011 writes")

func decodeAttachments(b []byte) (interaction.Files, error) {
	if len(b) == 0 {
		return interaction.Files{}, nil
	}
	if b[0] != attachmentsV1 {
		return interaction.Files{}, errAttachments
	}
	b = b[1:]
	var list []interaction.Attachment
	for len(b) > 0 {
		var a interaction.Attachment
		for _, s := range [...]*string{&a.Name, &a.MediaType, &a.Ref} {
			n, k := binary.Uvarint(b)
			if k <= 0 || n > uint64(len(b)-k) {
				return interaction.Files{}, errAttachments
			}
			*s, b = string(b[k:k+int(n)]), b[k+int(n):]
		}
		size, k := binary.Varint(b)
		if k <= 0 {
			return interaction.Files{}, errAttachments
		}
		a.Size, b = size, b[k:]
		list = append(list, a)
	}
	return interaction.NewFiles(list), nil
}
