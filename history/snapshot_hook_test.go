package history

import "github.com/chatconsult/chatconsult/interaction"

// ReencodedLog returns interaction id's record log as the Projection holds
// it (for a restored one: the bytes it was given) and the same events
// decoded and encoded again, for the fuzz targets' oracle: a record that
// restores is in the one encoding appendEvent writes.
func ReencodedLog(p *Projection, id interaction.ID) (held, again []byte, err error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	rec := p.records[id]
	if rec == nil {
		return nil, nil, nil
	}
	d := &decoder{buf: rec.log}
	var prev, prev2 prevEvent
	for v := uint64(1); v <= rec.logN; v++ {
		ev := d.event(id, v, &prev)
		if d.err != nil {
			return nil, nil, d.err
		}
		again = appendEvent(again, &ev, &prev2, false)
	}
	return rec.log, again, nil
}
