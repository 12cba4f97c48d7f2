// Package interaction is the aggregate of the library: one contact chat
// session (an interaction) with its parties, transcript, consultation legs
// and transfer or conference requests, as one event stream (R-H1).
//
// # State machines
//
// Every state change goes through a machine declared once, as a
// table of typed states (Status, MemberState, OfferState, RoleState,
// LegState, RequestState, RouteState) and triggers (Trigger), compiled to
// looplab/fsm, in
// machines.go: the interaction (waiting → active → ended → closed), each
// party's membership (invited, joined, declined, withdrawn, left, removed,
// done), each agent's offer of the waiting chat (pending, taken, declined,
// withdrawn: read from its role and membership, never recorded), each
// party's role while it is in the chat (transfer, conference, hand-over,
// barge-in), each consultation leg, each transfer or conference request,
// and who may write in a consultation or in the chat (the consultation
// message and chat message machines, never recorded). Machine.Fire asks a
// pooled looplab/fsm machine of the table whether the transition may fire
// (FSM.Can) and takes its destination from the table; the derived machines (chat
// offer, messages, routed invitation), whose state is read from the
// aggregate and which fire on every message, look their edge up in the
// same table instead (Machine.Derived). State.Apply checks every replayed
// event against the same tables. The membership, role, leg, request, chat
// offer and routed invitation machines also declare who may fire each
// transition (the owner, the invitee, the party itself, the system, or
// only as part of another transition; Transition.By, with its rule), and a transition's side conditions are
// Guards beside it, each with its rule and the kind of its refusal. A
// command author fires transitions through the Decision (Leg, Request,
// Membership, Role, Supervision) and writes no check of its own for who
// may or when: the Decision checks the firers, the state and the guards,
// in that order (who may not fire a transition learns nothing of the
// state), so two commands firing one transition cannot disagree on its
// rules. The command checks its input and looks its leg or request
// up first. The log validator holds a replayed log to the same firers.
// docs/state-machines.md is drawn from the tables, firers and guards
// included, and a test fails when the two drift apart.
//
// # Validating logs
//
// A log no command could have written is refused, wherever it is read
// (validate.go): Apply runs every event through one validator first, so
// Rebuild, a Service loading an interaction from its Store, history and a
// Relay all return ErrCorruptLog (a *LogError naming the rule) rather than
// serve it. Beyond versions and declared transitions it checks who may
// write in which scope (a consultation message stays in its leg, R-C5,
// R-X3; coaching goes from a coaching supervisor to its agent, R-X7), who
// may enter, invite, answer, supervise, and in which role (one contact;
// only supervisors enter uninvited; a leg's target is another agent,
// R-C1, R-X6, R-X7), who is told of each event, one interaction per
// stream, time that never goes backwards, and valid IDs and text (at most
// MaxTextBytes). Each rule names the command that writes what it admits.
// A Decision validates every event it records, so a command cannot write
// what a load would refuse; the Service decides a command no earlier than
// the last event's time, whatever its clock says.
//
// # Commands, events, state
//
// A Command decides on a Decision: pure, no I/O, it reads the state (with
// the effect of the events it has recorded so far) and records events.
// Every event carries its time (from the injected Clock), actor, cause (the
// command's ID) and visibility Scope. Service.Do loads the interaction once
// and caches it, decides, appends the events to the Store with the version
// it decided on (optimistic concurrency), applies them, and only then
// calls the Notifier. A refused command returns an *Error whose Kind is one
// of ErrInvalidTransition, ErrNotPermitted, ErrNotFound, ErrConflict,
// ErrBadInput, and leaves no trace. Rebuild derives the same State from the
// events alone.
//
// # Visibility
//
// Every message and event has a scope: everyone in the chat, one
// consultation leg's two agents (R-C5, R-X3), agents only, one party, or a
// supervisor and the agent it coaches (R-X7). State.CanSee and
// State.Visible decide; views (State.ViewFor), a party's events
// (State.EventsFor: MemoryNotifier, Service.Do), history and exports all
// ask them. A party that joined reads the whole shared transcript, also
// what was said before it came (R-C6, R-F2), until it goes; a leg's
// messages stay with its two agents forever.
//
// Privacy covers metadata (docs/visibility.md): each party has its own
// numbering of events and messages, is told only of actors it may see and
// of its own commands' causes, lists a party from the first of that
// party's changes it may see, and learns nothing after it left; the
// contact sees agents under contact-facing IDs and names (ContactNames)
// and notices rendered from their structure (Notice). sight.go keeps what
// each party was shown; Apply maintains it.
//
// # Pages and deltas
//
// Reads cost what they return (issue 19). Apply keeps, for each party, an
// index of the messages it may read (index.go), so State.Page and
// Service.Page give a party's view with a window over its own messages
// (PageRequest: its last N, or N after or before one of its message
// numbers) for the cost of the window, the parties, the legs and the
// requests, however long the transcript; a Page has a cursor back
// (Earlier). State.DeltasFor, which MemoryNotifier.SubscribeDeltas
// delivers, is each event as a party is shown it with what it changes in
// its view and the position it moves the view to (Delta); Page.Apply keeps
// a page current, and a Reset says to read a page again (the party joined
// and reads the backlog, a supervision window opened). State.MessagesFor
// yields a party's messages one at a time, for streamed exports
// (history.WriteJSONExport). ViewFor stays, whole.
//
// # Decisions where SPEC.md is silent
//
//   - An agent's End ends its own session with the contact; the chat goes
//     on while another engaged agent is there, the earliest member taking
//     over as owner (R-F6). The last engaged agent's End, or the contact's,
//     ends the interaction and every leg and request with it (R-C7).
//   - Every agent who joined at some point must mark done before the
//     interaction closes (R-C8); marking done needs the agent's part to be
//     over. Supervisors who only monitored or coached are not waited for.
//   - A consultation target reads along but neither writes to the contact
//     nor writes agent notes; it talks in its leg.
//   - Messages are at most 4096 bytes of valid UTF-8 and not blank
//     (DefaultLimits; WithLimits may raise it up to MaxTextBytes, 64 KiB).
//     A contact opens its own chat. A command by a party the interaction does not know
//     is bad input; reading the transcript as one is not permitted (R-X6).
//   - Time is an input: the time-out of an invitation is a deadline in the
//     state (Leg.Deadline, Request.Deadline, State.Deadlines), fired by a
//     Scheduler on the injected Clock as an ordinary System command with
//     the deadline's command ID (deadline.go); a time-out before its
//     deadline is refused, in commands and in logs.
//   - An invitation to a group, skill or queue is a route of offers
//     (route.go): its state is in the interaction, so any Service on the
//     Store decides the first accept and the offer on alike.
//   - Several Services may share a Store: a stale cache shows up as a
//     conflict on append (the command is decided again) and a refusal is
//     decided again on what the Store holds before it is returned. Reads
//     (View, State) answer from the cache: monotonic, including this
//     instance's own writes, but they may lag another instance's writes
//     until this instance next writes; WithReadLatest makes every read
//     catch up with the Store first (only the newer events, StreamReader),
//     and Sync does it once.
//   - DoCommand with a caller-chosen command ID applies the command exactly
//     once, across retries and instances; a retry is recognised by the
//     same actor and the same content (Fingerprint), anything else reusing
//     the ID is ErrConflict.
//   - Supervision needs the service's SupervisionPolicy (WithSupervision).
//   - An interaction has at most MaxParties (64) parties.
//
// # Memory and cost
//
// The Service caches each interaction it has used until it closes; a
// closed one is read from the Store when asked for. MemoryStore keeps
// events in a compact form (a message takes 152 bytes; the fields only
// state changes use sit behind one pointer) and expands them back into
// exactly the Event appended; its global log takes no lock. An idle
// interaction with ten messages holds about 7.9 KiB (8,071 B of its 8,192 B
// budget), its events included;
// one of 10 000 messages about 4.4 MB (443 B a message: the state's
// Message, the stored event, its log slot, its command's hash and the
// text, held once: the state and the store share the string).
// Without WithIDs, the command IDs recorded as Cause are 128 random bits
// each (22 characters of base64), from sharded ChaCha8 generators seeded
// from crypto/rand.
// MemoryNotifier queues at most DefaultQueueLimit events per subscription
// (WithQueueLimit); a subscriber that falls behind is told so with a
// LagError and reads what it missed through the Store (EventsSince).
// Figures and the commands that produce
// them: BENCHMARKS.md.
//
// # Restarts
//
// Whatever another instance or a restarted process needs is in the Store,
// decided by the aggregate; process memory is a cache rebuilt from it. The
// Store lists the interactions that are not closed (OpenLister), an index
// it keeps with the events in the same atomic append, so a restarted
// process rebuilds its memory from those, not from the whole log:
// Service.Recover(ctx, syncs...) loads each open interaction into the
// cache and hands its state to routing.Directory.Sync (loads, pending
// invitations), signals.Tracker.Sync (pending responses, reminders) and
// consult.Service.Sync (invitation time-outs). Projections over the whole
// log (history, metrics) resume from their saved position instead (Log,
// FollowLog; pgstore.Store.Project keeps a stored read model's position in
// the transaction of its rows).
//
// The Store and Notifier interfaces are small, with in-memory defaults
// (MemoryStore, MemoryNotifier); package storetest is the conformance
// suite every implementation passes, and module pgstore is the PostgreSQL
// one.
package interaction
