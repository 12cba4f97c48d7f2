package signals

// dueHeap is a 4-ary min-heap of armed entries, ordered by due time and
// then by arming order (so that reminders due at the same instant come out
// in a reproducible order). The keys sit in the slots, not behind the
// entry pointers, so sifting reads contiguous memory; each entry knows its
// slot, so disarming one is O(log n) without a search.
type dueHeap []slot

type slot struct {
	due int64 // Unix ns
	seq uint64
	e   *entry
}

func (h dueHeap) less(i, j int) bool {
	if h[i].due != h[j].due {
		return h[i].due < h[j].due
	}
	return h[i].seq < h[j].seq
}

func (h dueHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].e.index = int32(i)
	h[j].e.index = int32(j)
}

func (h *dueHeap) push(s slot) {
	s.e.index = int32(len(*h))
	*h = append(*h, s)
	h.up(len(*h) - 1)
}

// remove takes the entry at index i out of the heap.
func (h *dueHeap) remove(i int) {
	old := *h
	n := len(old) - 1
	e := old[i].e
	if i != n {
		old.swap(i, n)
	}
	old[n] = slot{}
	*h = old[:n]
	if i != n {
		h.fix(i)
	}
	e.index = -1
}

// fix restores the order after the key of the slot at i changed.
func (h dueHeap) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

// arity 4 halves the depth of a binary heap: fewer swaps, hence fewer
// writes to entries' index fields, which are the cache misses of a sift.
const arity = 4

func (h dueHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / arity
		if !h.less(j, i) {
			return
		}
		h.swap(i, j)
		j = i
	}
}

func (h dueHeap) down(i0 int) bool {
	i, n := i0, len(h)
	for {
		first := arity*i + 1
		if first >= n {
			break
		}
		j := first
		for c := first + 1; c < first+arity && c < n; c++ {
			if h.less(c, j) {
				j = c
			}
		}
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}
