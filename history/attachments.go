package history

import (
	"context"

	"github.com/chatconsult/chatconsult/interaction"
)

// Attachments in history (issue 17). A history transcript (Transcript)
// holds the chat and the agent notes a viewer could see, never a
// consultation message (R-H2); the attachments of those messages, and only
// of those, are in its history, as its view shows them. Read receipts are
// not part of history: My History, contact history and the metrics follow
// the transcript and the parties' stays, not what anyone read.

// TranscriptAttachments returns the attachments of the messages of
// viewer's history transcript of interaction id, by the messages' Seq (as
// Transcript numbers them); nil when none carries any. Who may ask is who
// may read Transcript (R-H3).
func (p *Projection) TranscriptAttachments(ctx context.Context, id interaction.ID, viewer interaction.PartyID) (map[uint32][]interaction.Attachment, error) {
	const op = "history attachments"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	rec, err := p.lookup(op, id)
	if err != nil {
		return nil, err
	}
	if viewer != rec.st.Contact && !rec.engagedAgent(viewer) {
		return nil, &interaction.Error{Kind: interaction.ErrNotPermitted, Op: op, Interaction: id, Party: viewer, Rule: "R-H3", Detail: "only the contact and the engaged agents have this interaction in their history"}
	}
	v, err := rec.st.ViewFor(viewer)
	if err != nil {
		return nil, err
	}
	var out map[uint32][]interaction.Attachment
	for _, m := range historyMessages(v) {
		if a := v.Attachments[m.Seq]; len(a) > 0 {
			if out == nil {
				out = map[uint32][]interaction.Attachment{}
			}
			out[m.Seq] = a
		}
	}
	return out, nil
}
