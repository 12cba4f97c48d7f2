// Package signals tells an agent desk which conversations wait for the
// agent's answer, and reminds the agent of them (R-C9).
//
// A Tracker is an interaction.Notifier: put it among the Service's
// notifiers (interaction.Notifiers{memory, tracker}) and it follows every
// committed event. The desk tells it which conversation the agent has in
// focus (Focus) and the agent's answer-reminder setting
// (SetAnswerReminders); reminders go to a Sink.
//
// # Pending response
//
// A conversation is the chat with the contact or one consultation leg; a
// leg counts on its own (R-C3: it is a chat of its own on the desk). It
// waits for an agent's answer (a pending response) when:
//
//   - chat: the last text message of the chat (scope everyone) came from
//     the contact, and the agent is engaged with the contact (owner or
//     conference member, present). The engaged agents answer the contact
//     as one desk: an answer by any of them settles it for all of them, and
//     a message between agents in a conference does not make the others
//     owe an answer.
//   - leg: the leg is active and its last text message came from the other
//     agent of the leg: a question from the target waits for the owner's
//     answer there, and the other way round.
//
// Notices written by the library (KindNotice), agent notes (scope agents)
// and coaching messages (scope coach, R-X7) neither ask nor answer. A
// monitoring or coaching supervisor owes no answer; one that barged in is a
// conference member and does. The pending response is settled when the
// agent (or, in the chat, another engaged agent) answers, when the agent
// leaves, when the leg ends and when the session with the contact ends;
// its reminders stop with it.
//
// Read receipts (interaction.MarkRead, issue 17) neither settle nor delay
// a pending response: reading is not answering, and a customer who sees
// "read" and no answer is still waiting, so its agent is still reminded.
// Attachments count as the message they travel with: a contact's picture
// without text asks like any message, an agent's file answers.
//
// # Reminders
//
// Whatever the agent's setting says, a pending response in a conversation
// that is not the agent's focused one raises a reminder, Delay after it
// became pending (or after the agent moved its focus away from it): once
// with the setting off (again each time the focus moves away), and every
// Interval after that with the setting on (R-C9). The setting also governs
// the focused conversation: with it on, a pending response there is
// reminded of on the same schedule; with it off, never. The setting is off
// until the desk sets it (see WithAnswerReminders for another default).
// Defaults: Delay 10 s, Interval 30 s.
//
// Reminders are not events of the interaction: they change nothing in it,
// they depend on the desk's focus (which the interaction does not know),
// and keeping them out of the event stream keeps the streams small and
// replay free of desk state. They go to a Sink (a push to the desk, a
// metric, an event bus of the embedding service); NotifierSink hands them
// to the agent's MemoryNotifier subscriptions as interaction.EventReminder,
// next to the events the agent may see.
//
// # Cost
//
// Armed reminders sit in one min-heap keyed by due time, behind a single
// Clock timer set for the earliest one. A Clock tick pops only the
// reminders due, so its cost is O(due · log armed), independent of the
// number of live interactions (see BENCHMARKS.md). A pending
// response costs one small record (≈ 100 bytes) indexed by its agent;
// nothing is kept per idle interaction. One mutex guards the tracker;
// Notify holds it for the few entries of one interaction, and the Sink is
// called after it is released, so a Sink may call the Tracker.
package signals
