package routing

// rankedSet holds the available agents of one target for one medium,
// sorted by rank: a treap (a binary search tree kept balanced in
// expectation by random heap priorities), so insert, delete and "first
// after k" cost O(log n). Priorities come from the agent's sequence number
// through a mixing function, so a run replays exactly.
type rankedSet struct {
	root   *rankNode
	size   int
	cursor uint64 // Rotating strategies: Seq of the agent picked last
	visits uint64 // nodes visited, all operations: the cost benchmarks report
}

type rankKey struct {
	primary, secondary int64
	seq                uint64
}

func (a rankKey) less(b rankKey) bool {
	if a.primary != b.primary {
		return a.primary < b.primary
	}
	if a.secondary != b.secondary {
		return a.secondary < b.secondary
	}
	return a.seq < b.seq
}

type rankNode struct {
	key         rankKey
	prio        uint64
	agent       *agentRecord
	left, right *rankNode
}

// mix is splitmix64's finaliser: a well-spread priority from a sequence number.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// insert adds agent a under key k, in node n if not nil (a node taken out
// earlier, reused to spare an allocation), and returns the node.
func (s *rankedSet) insert(k rankKey, a *agentRecord, n *rankNode) *rankNode {
	if n == nil {
		n = &rankNode{}
	}
	*n = rankNode{key: k, prio: mix(k.seq), agent: a}
	s.root = s.insertAt(s.root, n)
	s.size++
	return n
}

func (s *rankedSet) delete(k rankKey) {
	var found bool
	s.root, found = s.deleteAt(s.root, k)
	if found {
		s.size--
	}
}

// first returns the smallest node, or nil.
func (s *rankedSet) first() *rankNode {
	n := s.root
	if n == nil {
		return nil
	}
	for n.left != nil {
		s.visits++
		n = n.left
	}
	return n
}

// after returns the smallest node with a key greater than k, or nil.
func (s *rankedSet) after(k rankKey) *rankNode {
	var best *rankNode
	for n := s.root; n != nil; {
		s.visits++
		if k.less(n.key) {
			best = n
			n = n.left
		} else {
			n = n.right
		}
	}
	return best
}

// afterSeq returns the smallest node whose seq is greater than seq, for a
// set whose keys differ only by seq (Rotating strategies rank all alike).
func (s *rankedSet) afterSeq(seq uint64) *rankNode {
	var best *rankNode
	for n := s.root; n != nil; {
		s.visits++
		if n.key.seq > seq {
			best = n
			n = n.left
		} else {
			n = n.right
		}
	}
	return best
}

// each calls f on the nodes in order, starting at start, until f returns
// false. With wrap it continues from the smallest node up to start (and a
// nil start means the smallest node).
func (s *rankedSet) each(start *rankNode, wrap bool, f func(*rankNode) bool) {
	if start == nil && wrap {
		start, wrap = s.first(), false
	}
	n := start
	for n != nil {
		if !f(n) {
			return
		}
		n = s.after(n.key)
	}
	if !wrap || start == nil {
		return
	}
	for n = s.first(); n != nil && n != start; n = s.after(n.key) {
		if !f(n) {
			return
		}
	}
}

func (s *rankedSet) split(t *rankNode, k rankKey) (l, r *rankNode) {
	if t == nil {
		return nil, nil
	}
	s.visits++
	if t.key.less(k) {
		t.right, r = s.split(t.right, k)
		return t, r
	}
	l, t.left = s.split(t.left, k)
	return l, t
}

func (s *rankedSet) merge(l, r *rankNode) *rankNode {
	switch {
	case l == nil:
		return r
	case r == nil:
		return l
	}
	s.visits++
	if l.prio > r.prio {
		l.right = s.merge(l.right, r)
		return l
	}
	r.left = s.merge(l, r.left)
	return r
}

func (s *rankedSet) insertAt(t, n *rankNode) *rankNode {
	if t == nil {
		return n
	}
	s.visits++
	if n.prio > t.prio {
		n.left, n.right = s.split(t, n.key)
		return n
	}
	if n.key.less(t.key) {
		t.left = s.insertAt(t.left, n)
	} else {
		t.right = s.insertAt(t.right, n)
	}
	return t
}

func (s *rankedSet) deleteAt(t *rankNode, k rankKey) (*rankNode, bool) {
	if t == nil {
		return nil, false
	}
	s.visits++
	var found bool
	switch {
	case k == t.key:
		return s.merge(t.left, t.right), true
	case k.less(t.key):
		t.left, found = s.deleteAt(t.left, k)
	default:
		t.right, found = s.deleteAt(t.right, k)
	}
	return t, found
}
