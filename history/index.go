package history

import (
	"encoding/base64"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// indexKey orders interactions by the time they were opened, then by ID,
// so that the order is total and a cursor names one exact place.
type indexKey struct {
	at  int64 // Opened, Unix nanoseconds
	id  interaction.ID
	rec *record
}

func (k indexKey) less(at int64, id interaction.ID) bool {
	return k.at < at || (k.at == at && k.id < id)
}

// timeIndex is a list of interactions sorted by indexKey, oldest first;
// queries walk it from the end (newest first). Interactions mostly arrive
// in the order they were opened, so an insert is mostly an append; one
// that arrives late moves the newer keys up by one.
type timeIndex struct {
	keys []indexKey
}

func (ix *timeIndex) insert(k indexKey) {
	n := len(ix.keys)
	if n == 0 || ix.keys[n-1].less(k.at, k.id) {
		ix.keys = append(ix.keys, k)
		return
	}
	i := ix.below(k.at, k.id)
	ix.keys = append(ix.keys, indexKey{})
	copy(ix.keys[i+1:], ix.keys[i:])
	ix.keys[i] = k
}

// below returns how many keys sort before (at, id).
func (ix *timeIndex) below(at int64, id interaction.ID) int {
	return sort.Search(len(ix.keys), func(i int) bool { return !ix.keys[i].less(at, id) })
}

// cursor is a position in an index: the key of the last entry a page
// returned. The next page starts just below it.
type cursor struct {
	at int64
	id interaction.ID
}

func (c cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.at, 10) + ":" + string(c.id)))
}

func parseCursor(s string) (cursor, error) {
	bad := &interaction.Error{Kind: interaction.ErrBadInput, Op: "history query", Detail: "malformed cursor"}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, bad
	}
	at, id, ok := strings.Cut(string(raw), ":")
	if !ok || id == "" {
		return cursor{}, bad
	}
	n, err := strconv.ParseInt(at, 10, 64)
	if err != nil {
		return cursor{}, bad
	}
	return cursor{at: n, id: interaction.ID(id)}, nil
}

// span returns the keys [lo, hi) opened in [from, to); a zero time leaves
// that side open. A nil index is empty.
func (ix *timeIndex) span(from, to time.Time) (lo, hi int) {
	if ix == nil {
		return 0, 0
	}
	hi = len(ix.keys)
	if !to.IsZero() {
		hi = ix.below(to.UnixNano(), "")
	}
	if !from.IsZero() {
		lo = ix.below(from.UnixNano(), "")
	}
	return lo, hi
}
