package history

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"iter"

	"github.com/chatconsult/chatconsult/interaction"
)

// Streamed exports (issue 19). NewExport builds the viewer's whole view and
// then the whole Export, and WriteJSON encodes all of it before writing
// anything: three copies of the transcript. WriteJSONExport and
// WriteTextExport write the same bytes as NewExport followed by
// Export.WriteJSON or Export.WriteText, but as they go: the header from a
// page with no messages (State.Page), then one message at a time as the
// viewer's read index yields it (State.MessagesFor), through a buffered
// writer. What they hold is the header (parties and consultations) and one
// message, whatever the transcript's length.
//
// The state is read while w is written to, so the caller holds whatever
// keeps it from changing (Service.Read, or a Projection's lock, as
// Projection.WriteExport does): give them a fast writer (a buffer, a file)
// rather than a slow network client, or a live interaction waits for it.

// WriteJSONExport writes viewer's export of st (schema SchemaV1) to w: byte
// for byte what NewExport and Export.WriteJSON write, with memory
// independent of the transcript's length. A party that was never in the
// interaction gets interaction.ErrNotPermitted (R-X6) and nothing is
// written.
//
// Decides R-X8: a transcript exported per viewer, with the viewer's visibility.
func WriteJSONExport(w io.Writer, st *interaction.State, viewer interaction.PartyID) error {
	x, msgs, err := streamed(st, viewer)
	if err != nil {
		return err
	}
	var head bytes.Buffer
	if err := x.WriteJSON(&head); err != nil {
		return err
	}
	// The header ends with the empty list of messages: write it up to the
	// list, then the list one message at a time, indented as the whole
	// Export's encoding indents it.
	const empty = "[]\n}\n"
	h := head.Bytes()
	if !bytes.HasSuffix(h, []byte(empty)) {
		return &interaction.Error{Kind: interaction.ErrBadInput, Op: "export", Detail: "unexpected JSON form"}
	}
	b := bufio.NewWriter(w)
	b.Write(h[:len(h)-len(empty)])
	var one bytes.Buffer
	enc := json.NewEncoder(&one)
	enc.SetIndent("    ", "  ")
	enc.SetEscapeHTML(false)
	n := 0
	for m := range msgs {
		if n == 0 {
			b.WriteString("[\n")
		} else {
			b.WriteString(",\n")
		}
		n++
		one.Reset()
		em := exportMessage(&m)
		em.Attachments = exportAttachments(st.AttachmentsFor(viewer, m.Seq))
		if err := enc.Encode(&em); err != nil {
			return err
		}
		b.WriteString("    ")
		if _, err := b.Write(bytes.TrimSuffix(one.Bytes(), []byte("\n"))); err != nil {
			return err // the writer failed (a client gone): stop reading
		}
	}
	if n == 0 {
		b.WriteString(empty)
	} else {
		b.WriteString("\n  ]\n}\n")
	}
	return b.Flush()
}

// WriteTextExport writes viewer's export of st in the text form for
// people: byte for byte what NewExport and Export.WriteText write, with
// memory independent of the transcript's length (R-X6 as WriteJSONExport).
func WriteTextExport(w io.Writer, st *interaction.State, viewer interaction.PartyID) error {
	x, msgs, err := streamed(st, viewer)
	if err != nil {
		return err
	}
	b := bufio.NewWriter(w)
	x.writeTextHead(b)
	for m := range msgs {
		em := exportMessage(&m)
		em.Attachments = exportAttachments(st.AttachmentsFor(viewer, m.Seq))
		writeTextLine(b, &em)
		if _, err := b.Write(nil); err != nil { // what an earlier flush met
			return err // the writer failed (a client gone): stop reading
		}
	}
	return b.Flush()
}

// streamed returns the export's header (no messages) and the viewer's
// messages, one at a time.
func streamed(st *interaction.State, viewer interaction.PartyID) (Export, iter.Seq[interaction.Message], error) {
	// A page of no messages: the messages before the first.
	pg, err := st.Page(viewer, interaction.PageRequest{Before: 1}, nil)
	if err != nil {
		return Export{}, nil, err
	}
	msgs, err := st.MessagesFor(viewer, 0, nil)
	if err != nil {
		return Export{}, nil, err
	}
	return exportHead(st, &pg.View), msgs, nil
}

// Format is the form of a streamed export.
type Format uint8

const (
	// FormatJSON is schema SchemaV1 (Export.WriteJSON).
	FormatJSON Format = iota
	// FormatText is the text form for people (Export.WriteText).
	FormatText
)

// WriteExport streams interaction id's export for viewer to w in format f
// (WriteJSONExport, WriteTextExport), under the projection's read lock:
// the projection applies no event while w is written to.
func (p *Projection) WriteExport(ctx context.Context, id interaction.ID, viewer interaction.PartyID, f Format, w io.Writer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	rec, err := p.lookup("export", id)
	if err != nil {
		return err
	}
	if f == FormatText {
		return WriteTextExport(w, rec.st, viewer)
	}
	return WriteJSONExport(w, rec.st, viewer)
}
