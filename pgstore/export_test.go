package pgstore

// QueueLen is how many appends wait for a writer: a test that holds the
// writers up queues appends one by one, so that they share a transaction
// in a known order.
func QueueLen(s *Store) int { return len(s.queue) }
