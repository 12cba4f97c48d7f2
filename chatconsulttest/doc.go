// Package chatconsulttest is the harness kit: what the project's own tests
// use, exported so that services embedding the library test their code
// around it just as strongly. The core packages never import it (nor
// rapid); only tests do.
//
// # What is in it
//
//   - ManualClock and NewSequentialIDs: time and IDs that only move when
//     told, so every run replays exactly and no test sleeps.
//   - Step and Story: one command by one party, and a sequence of them,
//     with a one-line text syntax (ParseStep, Step.String) shared with the
//     scenario scripts.
//   - Gen: pgregory.net/rapid generators for parties, targets, texts (valid
//     and bad), single steps, and whole stories (Gen{}.Story().Draw(t,
//     "story")) that a real desk could send, mixed with deliberately invalid
//     ones. Gen.Supervisors adds supervision (R-X7): monitor, coach, barge
//     in and leave, by supervisors and by agents who later take part in
//     another role.
//   - Model: the reference model, a second, plain implementation of the
//     lifecycle and visibility rules of SPEC.md (supervision included),
//     written without the library's State, Apply, CanSee or machines. Compare checks the
//     library's state and every party's view against it and reports each
//     Difference with the rule it breaks.
//   - Checker, Check, CheckState: the invariant checker. It takes the
//     events (all at once, or command by command) and returns every
//     Violation by rule: R-C5 (the contact never sees a consultation
//     message), R-X3 (each leg's messages are seen by exactly its two
//     agents), R-C6/R-F2/R-F3 (present parties read the whole chat), R-C7
//     (no live leg, request or invitation after the session ended), R-C8
//     (closed exactly when every agent who took part marked done), R-F4 (a
//     declined or timed-out request changed nothing else), R-T2 (a transfer
//     hands over), R-H3 (engaged exactly when owner or member), R-X5 (a
//     well-formed stream, declared transitions only, the rebuilt state
//     equals the live one), R-X6 (messages numbered without gaps, no bad
//     text accepted, strangers read nothing), R-X7 (the contact never
//     sees, nor is told of, a coaching message; a supervisor that has not
//     barged in is in no view's parties but its own and its coached
//     agent's, and its events reach nobody else; it writes no note and
//     nothing to the contact).
//   - Harness and Property: a Service on a ManualClock with the model and
//     the checker after every step; Property is the ready rapid property.
//   - Simulator: agents, contacts and supervisors acting at random from a
//     seed, over any Store and Notifier, with configurable Rates; the same
//     seed gives a byte-identical event log (Hash, StoreHash, HashEvents).
//   - Scenario scripts: RunScenarios runs text files of steps and expected
//     views (etcd-io/raft's "interaction" style); -chatconsulttest.rewrite
//     rewrites the expected output.
//
// # Building a harness
//
// The shortest property test of a service around the library:
//
//	func TestDesk(t *testing.T) {
//		rapid.Check(t, chatconsulttest.Property(chatconsulttest.Gen{}))
//	}
//
// Plug your own pieces in with HarnessOption: WithStore (your Store),
// WithNotifier, WithView (your view layer: the model and the checker then
// judge what your users would see), WithSubstitute (your command
// decorator). To drive your own code step by step, write the loop
// yourself:
//
//	rapid.Check(t, func(t *rapid.T) {
//		story := chatconsulttest.Gen{Agents: myAgents}.Story().Draw(t, "story")
//		h := chatconsulttest.NewHarness(chatconsulttest.WithStore(myStore))
//		for _, step := range story.Steps {
//			rep := h.Do(ctx, step) // the library, the model, the checker
//			if rep.Failed() {
//				t.Fatal(rep)
//			}
//			checkMyProjection(t, h) // your code, with your own assertions
//		}
//	})
//
// A service that keeps its own event log can run Check on it after every
// command, and CheckState with its live state; the Simulator produces load
// and logs to run them on.
//
// # Decisions
//
//   - The model predicts, for a refused step, the set of error kinds that
//     the step's broken preconditions call for, and the library must return
//     one of them: the kit does not pin the order in which the library
//     checks preconditions.
//   - Notices (the library's system messages) are compared by author,
//     scope and position, not by wording; text messages in full.
//   - Supervision (R-X7), as the model has it, from interaction's
//     supervision.go and the README: a supervisor reads what the agent it
//     supervises reads (that agent's consultations, coaching and notices
//     included), while it is in the chat itself, plus the shared chat;
//     through a supervisor that barged in, on to that one's agent. Once the
//     supervised agent is no longer engaged with the contact (it left, was
//     transferred away or removed), the supervisor keeps what the agent
//     read until then and no more: not the agent's later consultations in
//     another role ("not the new owner's consultations"); the library does
//     not freeze that sight yet (known bug SupervisorFollowsAgentAfterItLeft).
//     Invited in another role (consulted, asked to join), a former
//     supervisor no longer reads through its agent. The lists of a view
//     (parties, legs) are live, as for every party, not bounded by the
//     viewer's own stay. A supervisor that has not barged in is seen by
//     itself and by the agent it coaches (and whoever reads through that
//     agent); coaching messages by the coach, the coached agent and whoever
//     reads through either. Monitor and coach do not engage (no My
//     History, R-H3, no duty to mark done, R-C8); barging in does.
//   - The checker follows supervision from the events alone (the agent an
//     EventRole names; an invitation ends it) and lets a supervisor see
//     what its agents may, without the stay bounds the model adds.
//   - Known core bugs (knownbugs.go) are steps where the library breaks the
//     rules; the model predicts the rules, the generators leave such steps
//     out, and a Harness stops following the model at one (Stopped says
//     why). Each has a skipped TestCoreBug_… reproduction.
//   - The simulator paces its ManualClock at about three seconds per
//     interaction between two of its commands, so that time-outs happen at
//     the configured rate whatever the number of interactions; it drops an
//     ended interaction that nobody can close any more and counts it as
//     Stuck (today: the known R-C8 bug).
//   - EnsureChecks raises rapid's number of checks for one test (the
//     project's model tests run at least 1,000 stories in every go test
//     run) unless -rapid.checks is on the command line.
//   - The scenario rewrite flag is namespaced (-chatconsulttest.rewrite) so
//     that it never clashes with a package's own -update or -rewrite.
package chatconsulttest
