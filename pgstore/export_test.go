package pgstore

// QueueLen is how many appends wait for a writer: a test that holds the
// writers up queues appends one by one, so that they share a transaction
// in a known order.
func QueueLen(s *Store) int { return len(s.queue) }

// SetBeforeCommit makes every writer of s call f after its transaction's
// append statement and before its COMMIT (in a round trip of its own), so
// that a test can make transactions commit out of the order of their IDs.
// Set it before the first Append.
func SetBeforeCommit(s *Store, f func()) { s.beforeCommit = f }

// BatchFunctionOnly makes a Store write every batch through
// chatconsult_append, none through the statements of append_one.go, so
// that the conformance suites run both.
func BatchFunctionOnly() Option {
	return func(s *Store) error {
		s.statementBatch = 0
		return nil
	}
}

// StatementBatch sets the largest batch a Store writes as one statement
// per append (benchmarks and tests compare sizes).
func StatementBatch(n int) Option {
	return func(s *Store) error {
		s.statementBatch = n
		return nil
	}
}

// JoinBatch sets how many appends a writer gathers while another
// writer's transaction is in flight (benchmarks compare sizes).
func JoinBatch(n int) Option {
	return func(s *Store) error {
		s.joinBatch = n
		return nil
	}
}
