package chatconsulttest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"

	"github.com/chatconsult/chatconsult/interaction"
)

// HashEvents returns the SHA-256, in hex, of a canonical encoding of the
// events: every field in a fixed order, strings length-prefixed, times as
// UTC nanoseconds. Position is left out: it is the store's bookkeeping,
// and two stores may number their global logs differently.
func HashEvents(events []interaction.Event) string {
	h := sha256.New()
	for i := range events {
		encodeEvent(h, &events[i])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// StoreHash is HashEvents over the streams of ids, loaded from st one by
// one, in the order given: it works on any Store.
func StoreHash(ctx context.Context, st interaction.Store, ids []interaction.ID) (string, error) {
	h := sha256.New()
	for _, id := range ids {
		events, err := st.Load(ctx, id)
		if err != nil {
			return "", err
		}
		for i := range events {
			encodeEvent(h, &events[i])
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func encodeEvent(h hash.Hash, ev *interaction.Event) {
	var buf [binary.MaxVarintLen64]byte
	u := func(v uint64) { h.Write(buf[:binary.PutUvarint(buf[:], v)]) }
	s := func(v string) { u(uint64(len(v))); h.Write([]byte(v)) }
	s(string(ev.Interaction))
	u(ev.Version)
	u(uint64(ev.Time.UTC().UnixNano()))
	s(string(ev.Actor))
	s(ev.Cause)
	u(uint64(ev.Type))
	u(uint64(ev.Scope.Kind))
	s(string(ev.Scope.Invitation))
	s(string(ev.Scope.Party))
	s(string(ev.Party))
	u(uint64(ev.Role))
	s(ev.From)
	s(ev.To)
	s(string(ev.Trigger))
	s(string(ev.Leg) + string(ev.RequestID)) // one of them is set: the hash of a run is the same as when both were Leg
	s(string(ev.Via))
	u(uint64(ev.Target.Kind))
	s(ev.Target.ID)
	s(string(ev.Supervised))
	u(uint64(ev.Medium))
	u(uint64(ev.RequestKind))
	s(ev.Text)
	u(uint64(ev.Kind))
	u(uint64(ev.Seq))
}
