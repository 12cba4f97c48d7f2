// Command walkthrough plays the seed's main story on the in-memory Store
// and Notifier: a contact is with Agent1, Agent1 consults Agent2 privately,
// turns the consultation into a conference, and leaves; Agent2 and the
// contact go on. After each step it prints who did what and what each
// party sees.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "walkthrough:", err)
		os.Exit(1)
	}
}

func run(w *os.File) error {
	ctx := context.Background()
	chats := interaction.NewService(
		interaction.WithClock(chatconsulttest.NewManualClock()),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("")),
	)
	desk := consult.New(chats)
	say := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	show := func(id interaction.ID, parties ...interaction.PartyID) error {
		for _, p := range parties {
			v, err := chats.View(ctx, id, p)
			if err != nil {
				return err
			}
			var lines []string
			for _, m := range v.Messages {
				where := ""
				if m.Scope.Kind == interaction.ScopeLeg {
					where = " [consultation]"
				}
				lines = append(lines, fmt.Sprintf("      %s: %s%s", m.Author, m.Text, where))
			}
			say("   %s sees (%s, %s):", p, v.Role, v.Membership)
			if len(lines) == 0 {
				say("      (nothing)")
			} else {
				say("%s", strings.Join(lines, "\n"))
			}
		}
		return nil
	}
	step := func(err error, format string, args ...any) error {
		if err != nil {
			return err
		}
		say("* "+format, args...)
		return nil
	}

	id, err := chats.Open(ctx, "contact", "Hello, my invoice is wrong")
	if err := step(err, "contact opens a chat: %q", "Hello, my invoice is wrong"); err != nil {
		return err
	}
	if err := step(chats.Assign(ctx, id, interaction.System, "agent1"), "routing offers the chat to agent1"); err != nil {
		return err
	}
	if err := step(chats.Join(ctx, id, "agent1"), "agent1 accepts and owns the chat"); err != nil {
		return err
	}
	if err := step(chats.Post(ctx, id, "agent1", "Let me check that for you."), "agent1 writes to the contact"); err != nil {
		return err
	}
	leg, err := desk.Start(ctx, id, "agent1", interaction.Target{Kind: interaction.TargetAgent, ID: "agent2"}, interaction.MediumChat)
	if err := step(err, "agent1 starts a consultation with agent2 (R-C1, R-C3)"); err != nil {
		return err
	}
	if err := step(desk.Accept(ctx, id, "agent2", leg), "agent2 accepts: it now reads the chat live (R-C6)"); err != nil {
		return err
	}
	if err := step(desk.Say(ctx, id, "agent1", leg, "Can I refund the fee?"), "agent1 asks agent2 privately (R-C5)"); err != nil {
		return err
	}
	if err := step(desk.Say(ctx, id, "agent2", leg, "Yes, I will join."), "agent2 answers privately"); err != nil {
		return err
	}
	if err := show(id, "contact", "agent1", "agent2"); err != nil {
		return err
	}
	req, err := desk.Conference(ctx, id, "agent1", leg)
	if err := step(err, "agent1 asks agent2 to join as a conference (R-F1)"); err != nil {
		return err
	}
	if err := step(desk.AcceptRequest(ctx, id, "agent2", req), "agent2 accepts and sees the whole chat, never the consultation for the contact (R-F2)"); err != nil {
		return err
	}
	if err := step(chats.Post(ctx, id, "agent2", "I have refunded the fee."), "agent2 writes; everyone sees it (R-F3)"); err != nil {
		return err
	}
	if err := step(chats.End(ctx, id, "agent1"), "agent1 ends its session; the chat goes on with agent2 (R-F6)"); err != nil {
		return err
	}
	if err := step(chats.Post(ctx, id, "contact", "Thank you!"), "the contact thanks"); err != nil {
		return err
	}
	if err := show(id, "contact", "agent1", "agent2"); err != nil {
		return err
	}
	if err := step(chats.End(ctx, id, "agent2"), "agent2 ends the session with the contact"); err != nil {
		return err
	}
	if err := step(chats.MarkDone(ctx, id, "agent1"), "agent1 marks done"); err != nil {
		return err
	}
	if err := step(chats.MarkDone(ctx, id, "agent2"), "agent2 marks done (R-C8)"); err != nil {
		return err
	}
	st, err := chats.State(ctx, id)
	if err != nil {
		return err
	}
	say("* the interaction is %s after %d events", st.Status, st.Version)
	return nil
}
