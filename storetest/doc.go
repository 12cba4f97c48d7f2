// Package storetest is the conformance suite for interaction.Store,
// interaction.Log and the notification side (interaction.Notifier plus a
// Log that followers wait on). Every implementation runs the same suite,
// the in-memory ones (see memory_test.go) and the PostgreSQL adapter
// (module github.com/chatconsult/chatconsult/pgstore) alike, the way
// database/sql drivers or watermill adapters share theirs:
//
//	func TestMyStore(t *testing.T) {
//		storetest.TestStore(t, func(t *testing.T) interaction.Store { return newEmptyStore(t) })
//	}
//	func TestMyOpenLister(t *testing.T) {
//		storetest.TestOpenLister(t, func(t *testing.T, n int) []interaction.Store { return newStoresOnOneDatabase(t, n) })
//	}
//	func TestMyNotifier(t *testing.T) {
//		storetest.TestNotifier(t, func(t *testing.T, n int) []storetest.Instance { return newInstances(t, n) })
//	}
//	func TestMyDeadlines(t *testing.T) {
//		storetest.TestDeadlineQueue(t, func(t *testing.T) storetest.DeadlineSetup { return newDeadlineSetup(t) })
//	}
//
// It is a non-test package (like eventhorizon's acceptance suite) so that
// adapters in other modules can import it. It uses testify.
//
// What it pins down beyond the interface comments:
//
//   - every Event field comes back exactly (Time as the same instant, to the
//     nanosecond; its Location may differ), also a 4 KiB message with
//     multi-byte and NUL characters (R-X5: the events are the truth);
//   - saves racing on one stream at one version: exactly one wins, every
//     other gets ErrConflict and writes nothing, never a fork (the race that
//     eventhorizon's suite does not run);
//   - a command is applied once: an Append whose first Cause is already in
//     the stream is a conflict, so Service.DoCommand is exactly-once even
//     when the retry reaches another instance whose cache moved past it;
//   - the Log gives every event once, in commit order, and a reader that
//     polls it while writers commit never skips one (the bigserial trap of
//     PRIOR-ART.md);
//   - the open-interactions index (interaction.OpenLister) lists an
//     interaction from its first event until the append that closes it
//     (interaction.Closes), in ascending ID order, page by page; every
//     instance on one database lists the same; an append that fails
//     (conflict, bad input, cancelled), also one that lost a race inside a
//     group commit, changes nothing in it; and a Service started on the
//     store recovers the open interactions only (Service.Recover);
//   - followers (interaction.FollowLog) on any instance get every event of
//     every instance, resume from a saved position, and get events whose
//     writer never notified (it crashed between append and notify); party
//     subscriptions get exactly what the party may see (R-C5).
//
// The factories return fresh, empty stores: tests count positions from 0.
package storetest
