package routing

// TreeVisits is how many ranked-set nodes the directory has visited so far
// (every insert, delete and search): benchmarks report it per pick to show
// the index's work grows with log n.
func (d *Directory) TreeVisits() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	var n uint64
	for _, s := range d.sets {
		n += s.visits
	}
	return n
}
