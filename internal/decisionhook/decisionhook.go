// Package decisionhook lets the library's own packages do to an
// interaction.Decision what no command may: decide part of a command as
// the system (consult's composite of an agent's decline and routing's
// offering on, one write), and give a Decision made without a Service the
// supervision policy it checks, or write a message past the message
// machines (the harness kit's tests of planted bugs). It is internal,
// so a command author outside this module cannot reach it; interaction
// sets the hooks when it is loaded.
package decisionhook

// AsSystem runs f with the Decision d (an *interaction.Decision) acting
// as interaction.System, then restores its actor.
var AsSystem func(d any, f func() error) error

// SetSupervision gives the Decision d the supervision policy p (an
// interaction.SupervisionPolicy) it checks R-X7 against.
var SetSupervision func(d any, p any)

// Message records a party's message with text in scope sc (an
// interaction.Scope) on the Decision d without firing the message
// machines: what a broken command would write, for the tests that show
// the log validator refuses it.
var Message func(d any, text string, sc any) error
