// Package chatconsult is a library for contact-center chat consultation:
// an agent in a live chat with a customer privately consults another agent,
// skill, group or queue, then turns that consultation into a transfer or a
// conference, with a history that follows the rules real agent desktops
// follow.
//
// The behaviour is specified, rule by rule, in docs/rules.md (R-C… consultation,
// R-H… history, R-T… transfer, R-F… conference, R-X… beyond the seed);
// tests and docs cite those numbers.
//
// # Words
//
// A contact (the customer) chats with an owner (the agent engaged with
// it). One contact chat session, from the contact's first message until
// every agent has marked it done, is an interaction. A consultation (leg)
// is a private side conversation about an interaction between an owner and
// one internal target; it belongs to the interaction and is never an
// interaction of its own. A target is an agent, an agent group, a skill or
// an interaction queue; routing resolves the last three to one agent.
//
// # Packages
//
//   - interaction: the aggregate. Parties with a membership state machine,
//     the interaction state machine, the transcript with a visibility scope
//     on every message, per-viewer views, the Store and Notifier interfaces
//     with in-memory defaults, the Service that runs commands, and
//     supervision (monitor, coach, barge in, R-X7). The aggregate's state
//     machines are declared once, as looplab/fsm tables, in
//     interaction/machines.go; docs/state-machines.md is drawn from them.
//   - consult: consultation legs, transfer and conference, as commands on
//     the same aggregate (one event stream per interaction, R-H1).
//   - routing: agents, presence, skills, groups, queues, capacity and the
//     pick of the next agent for an invitation to a group, skill or queue
//     (R-C2, R-X1); the invitation's route itself is state of the
//     interaction (consult decides on it).
//   - signals: pending responses, focus and answer reminders (R-C9).
//   - history: My History, contact history, metrics and transcript export,
//     all derived from the events (R-H1–R-H4, R-X5, R-X8).
//   - chatconsulttest: the harness kit (manual clock, sequential IDs, rapid
//     generators, reference model, invariant checker, simulator, scenario
//     scripts) that the project's own tests use.
//   - storetest: the conformance suite every Store and Notifier passes.
//   - pgstore (a nested module, so the core pulls in no driver): the
//     PostgreSQL Store and Notifier.
//   - examples: runnable stories; examples/walkthrough is the main one and
//     examples/desk the browser agent desk.
//
// # How it fits
//
// Every command names its acting party. The Service loads the interaction
// (once; then it is cached), decides the command on a Decision (pure, no
// I/O: state machine transitions through looplab/fsm, visibility scopes,
// permission checks), appends the resulting events to the Store with the
// version it decided on (optimistic concurrency), applies them, and only
// then notifies. A refused command returns an *interaction.Error whose
// kind (ErrInvalidTransition, ErrNotPermitted, ErrNotFound, ErrConflict,
// ErrBadInput) errors.Is recognises, and leaves no trace. Time and IDs come
// from an injected Clock and IDSource, so a run replays exactly.
//
// Privacy covers metadata (docs/visibility.md): every number, name,
// actor, cause and party list a party receives is derived from what it
// may see; the contact sees agents under contact-facing IDs and names;
// supervision needs the service's SupervisionPolicy; a log no command
// could have written is refused on load (interaction.ErrCorruptLog).
//
// Whatever another instance or a restarted process needs is in the Store:
// routed invitations (who was offered what, who won) and deadlines are
// state of the aggregate, fired by a Scheduler as commands with
// deterministic IDs; the Store lists the open interactions, from which a
// restarted process recovers routing, reminders and deadlines.
//
// # Example
//
//	chats := interaction.NewService()
//	desk := consult.New(chats)
//	id, _ := chats.Open(ctx, "contact", "Hello")
//	_ = chats.Assign(ctx, id, interaction.System, "agent1")
//	_ = chats.Join(ctx, id, "agent1")
//	leg, _ := desk.Start(ctx, id, "agent1", interaction.Target{Kind: interaction.TargetAgent, ID: "agent2"}, interaction.MediumChat)
//	_ = desk.Accept(ctx, id, "agent2", leg)
//	_ = desk.Say(ctx, id, "agent1", leg, "Can I refund this?") // never seen by the contact (R-C5)
//	_ = desk.Transfer(ctx, id, "agent1", leg)                  // agent2 now owns the chat (R-T1)
package chatconsult
