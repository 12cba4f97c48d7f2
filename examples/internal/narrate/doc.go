// Package narrate plays the example stories on the in-memory Store and
// Notifier and prints them as a narrated session: one entry per step,
// saying who did what, when, and which parties were told about it.
//
// "Who was told" is not written by hand: every party of the story's cast
// subscribes to the Notifier (interaction.MemoryNotifier.Subscribe) before
// the story starts, and after each step the narrator lists the parties
// whose subscription received an event. The output is therefore a
// statement of what the library actually delivered, and a change of
// visibility shows up as a change of the golden files.
//
// A Story keeps the first error and skips every later step (the pattern of
// bufio.Scanner), so a story reads as a straight list of steps and checks
// Err once at the end. It also fails the story when the contact is ever
// handed a consultation message (R-C5), whatever the story does.
//
// Time comes from a chatconsulttest.ManualClock that moves one second per
// step, and IDs from sequential IDs, so that every run prints the same
// text. An invitation that nobody answers times out only when a story
// calls Wait; the clock's time-outs are narrated as steps of "system".
package narrate
