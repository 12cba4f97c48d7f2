package interaction

import "context"

// StreamReader is a Store that reads one stream from a version on, so that
// a cache catches up with what other instances wrote without reading the
// whole stream again. MemoryStore and pgstore's Store implement it.
type StreamReader interface {
	// LoadFrom returns the events of the interaction with Version > after,
	// in order; none when there are no newer ones.
	LoadFrom(ctx context.Context, id ID, after uint64) ([]Event, error)
}

var _ StreamReader = (*MemoryStore)(nil)

// LoadFrom implements StreamReader.
func (m *MemoryStore) LoadFrom(ctx context.Context, id ID, after uint64) ([]Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sh := m.shard(id)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	s := sh.streams[id]
	if s == nil || after >= uint64(s.n) {
		return nil, nil
	}
	out := make([]Event, uint64(s.n)-after)
	for i := range out {
		s.at(uint32(after)+uint32(i)).expand(s.id, &out[i])
	}
	return out, nil
}
