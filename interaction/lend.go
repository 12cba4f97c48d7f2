package interaction

// borrowsEvents reports whether a Store or Notifier is known to read the
// events handed to it only during the call and to keep nothing of the
// slice: the MemoryStore stores its own form of them, and this package's
// Notifiers copy what they queue. A Service whose Store and Notifier both
// borrow hands them the Decision's events without copying them (run).
//
// It asks for the exact types, not for a method: a type embedding a
// MemoryStore to record what it is given would otherwise inherit the
// promise without keeping it.
func borrowsEvents(x any) bool {
	switch x := x.(type) {
	case *MemoryStore, *MemoryNotifier, *MemoryDeadlines, NopNotifier:
		return true
	case Notifiers:
		for _, n := range x {
			if !borrowsEvents(n) {
				return false
			}
		}
		return true
	}
	return false
}
