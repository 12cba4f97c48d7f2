// Package history derives what agents and supervisors look back at from
// the interaction events alone (R-X5): My History per agent, contact
// history per contact, the activity history, metrics, and transcript
// exports per viewer (R-X8). It keeps no bookkeeping of its own beside
// the events: a Projection folds each interaction's events with
// interaction.State.Apply and answers every question from that state, with
// the visibility rules of package interaction (State.CanSee, State.ViewFor).
//
// # Keeping a Projection current
//
// A Projection is built in either of two ways, and both give the same
// result (the tests replay a Store and compare with a live projection):
//
//   - Replay reads a Store's global log (interaction.Log) from the last
//     position it read, page by page; Rebuild is New followed by Replay.
//   - As an interaction.Notifier (pass it to interaction.WithNotifier,
//     alone or in interaction.Notifiers) it folds every committed batch.
//
// Both can run on one Projection at the same time. Events are applied per
// interaction in stream order (Event.Version): an event already applied is
// ignored, so delivery may be at-least-once and a Replay may overlap what
// the Notifier delivered; an event that arrives before the ones it follows
// is held until they come. Some never come by the Notifier: when an append
// committed but the Store reported an error (a cut connection), the
// Service notifies nobody of it. A Projection made with
// New(WithStore(store)) then reads the missing events of that interaction
// from the Store (Store.Load) as soon as it sees the gap, and applies them
// before the new ones; without a Store the interaction waits for the next
// Replay. In a Store, a Position names exactly one
// (interaction, Version) pair, so this is deduplication by Position too;
// keying on the Version also covers events that carry no Position
// (decided without a Store). The global Position is used only by Replay,
// which remembers the last one it read (Checkpoint): across interactions
// the Notifier may deliver out of Position order, so live delivery never
// moves it. A stream that does not replay
// (interaction.ErrCorruptLog) stops at its last good event, and Apply and
// Replay report the error. A Projection is safe for concurrent use.
//
// A Projection lives in memory: it holds the folded state of every
// interaction it was given (about 2.5 KB for a finished interaction with
// one consultation, see BENCHMARKS.md). It keeps its position while it
// lives: each Replay reads only what was written after its Checkpoint.
// What a restarted process needs of the interactions under way (routing
// loads, reminders) it gets from the open interactions the Store lists,
// not from a projection (interaction.Service.Recover).
//
// # Surviving a restart: snapshots
//
// To resume after a restart instead of replaying the log from position 0,
// make the Projection with WithSnapshots, drive it with Replay, and save
// snapshots of it; a restarted process restores the snapshot and Replays
// from there, reading only the events written after the snapshot's
// Checkpoint:
//
//	p := history.New(history.WithSnapshots())
//	_ = p.Replay(ctx, store)          // now and then, or on every LogWatcher wake-up
//	_ = p.WriteSnapshot(file)         // whole, with its Checkpoint
//	// … after the restart:
//	p, err := history.ReadSnapshot(file)
//	_ = p.Replay(ctx, store)          // the events after the Checkpoint only
//
// Snapshot(mark) gives the same incrementally: the records of the
// interactions that changed after mark, one per interaction, with the
// Checkpoint and the next mark; a read model that keeps, per interaction,
// the record with the highest Version and the Checkpoint of the last
// snapshot it saved, in one atomic write, restores with Restore. On
// PostgreSQL, pgstore.HistoryFollower does that in one transaction per
// save (pgstore.Store.SaveHistory, LoadHistory).
//
// What a snapshot holds, and why: per interaction, the events the
// Projection folded (and the ones it holds, waiting for those before
// them), not the folded state. Restoring folds them again with
// interaction.State.Apply, the code a Replay from position 0 runs, so a
// restored Projection answers every query of every party exactly as a
// replayed one: who may read what (R-H2, R-H3, R-C5, R-X7) depends on
// bookkeeping of the State (what each party was shown, and when) that only
// Apply writes, and a second encoding of that state could drift from it.
// The price: WithSnapshots keeps each interaction's events encoded beside
// its state (about 65 bytes per event, and the transcript's text a second
// time: some 1.5 KB for a finished interaction with one consultation,
// which is why it is an option), and a restore costs the fold of every
// saved event (a Replay's CPU without its reads). A restart reads from the
// Log only the events after the Checkpoint.
//
// Consistency: a snapshot is a cut that holds every event up to its
// Checkpoint, and maybe some after it that the Notifier delivered; the
// Replay after a restore skips those, so the restored Projection, once it
// has replayed, is the one replayed from 0. The events are checksummed
// (CRC-32C, per record and per snapshot) and every value has one encoding:
// a snapshot that is cut short, altered, or holds events that do not
// replay is an error wrapping interaction.ErrCorruptLog, never a panic or
// a Projection that answers otherwise (FuzzReadSnapshot,
// FuzzSnapshotRecord). A stream that stopped at an event that does not
// replay is restored stopped, as it was. A snapshot's times come back as
// the same instants in the same zones, without monotonic clock readings.
//
// # What each view holds
//
//   - My History (MyHistory) lists the interactions in which the agent
//     was engaged with the contact at some point: first owner, transfer
//     target after the transfer, conference member after joining
//     (interaction.Party.WasEngaged). A consulted agent who never engaged
//     gets no entry (R-H3, R-H4); neither does a declined or withdrawn
//     chat offer, nor a supervisor who only monitored or coached (one who
//     barged in is a conference member and does, R-X7). The entry appears
//     the moment the agent becomes engaged, while the chat goes on
//     (Entry.Status tells), and stays after the agent leaves.
//   - Contact history (ContactHistory) lists one contact's interactions.
//   - The activity history (Activity) lists interactions, one entry each;
//     its consultations are nested in their interaction, never entries of
//     their own (R-H1). It is the staff view and carries no transcript.
//     Its agent filter matches any agent who was a party in any role
//     (owner, member, consultation target, invited, supervisor).
//
// Entries are ordered newest first by the time the interaction was opened
// (a key that never changes, so a cursor stays valid while new
// interactions arrive), and paged with an opaque cursor. Each view keeps a
// time-sorted index per agent, per contact and overall, so one page costs
// O(log n + page), not O(n). From is inclusive, To exclusive. A second
// filter (a contact in My History, an agent in contact history or in
// Activity with a contact) is checked entry by entry on the first one's
// index.
//
// # What a history transcript leaves out (R-H2)
//
// The transcript in a My History or contact history entry is what the
// viewer could see in the interaction (State.CanSee: also what was said
// before it came, R-C6, R-F2; nothing after it left), restricted to:
//
//   - the chat itself (scope everyone), and
//   - agent notes (scope agents), which CanSee never shows the contact.
//
// Everything else is left out for every viewer, including the agents who
// wrote it: consultation messages (scope leg, R-H2, R-C5), notices to one
// party (scope party: "declined", "did not answer", which are the
// consultation and request part too), and coaching (scope coach, R-X7).
// The contact history's transcript is always the contact's own, whoever
// asks for it, so it never shows anything the contact could not see; its
// entries name only the contact and the engaged agents, whom the contact
// saw, never a consultation. A history transcript can be asked for only
// by the contact or an agent who was engaged (Transcript); anyone else,
// a consulted agent included, gets interaction.ErrNotPermitted.
//
// # Export (R-X8)
//
// NewExport and Projection.Export give one viewer's transcript with
// exactly that viewer's visibility (interaction.State.ViewFor): unlike
// history, an export for one of a consultation's two agents holds that
// consultation, since it is their own record of it (R-C5 keeps it from
// everyone else, the contact first; a supervisor sees what its agent saw,
// R-X7). The JSON form carries "schema": "chatconsult.transcript/v1"
// (SchemaV1) and is described field by field in
// docs/transcript-schema.md. The plain-text form (WriteText) is for
// people: one line per message, with every line break, control and
// invisible format character in any field escaped as in a Go string
// literal (\n, \u2028, \u202e; a backslash as \\), so that no message
// can pass for a line of its own or for another party's (R-X8, R-C5), and
// each message line reads back exactly. Programs should read the JSON form.
//
// # Metrics (R-X5)
//
// Metrics come from the same folded state and events:
//
//   - consultations started, accepted, declined, cancelled, timed out;
//     time to accept (invitation to acceptance, accepted legs only);
//     consultation duration (acceptance to the end of the leg, whether it
//     ended, became a transfer or a conference; legs still active count
//     nothing yet);
//   - transfers (a consultation turned into a transfer, or a direct
//     transfer accepted) and conferences (a conference request accepted);
//     an agent's rates are per interaction it handled (AgentMetrics),
//     overall rates the share of interactions with at least one (Totals);
//   - handle time per engaged agent: engaged time (while it was engaged
//     with the contact in an active chat) plus wrap-up (from the end of its
//     last engaged spell until it marked the interaction done). A spell
//     that has not ended yet counts nothing.
//
// Per agent (AgentMetrics), consultations are counted twice over: those it
// started as an owner (Started) and the invitations it received as a
// target (Received).
package history
