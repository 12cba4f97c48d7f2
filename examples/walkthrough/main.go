// Command walkthrough plays the seed's main story on the in-memory Store
// and Notifier: a contact is with agent1; agent1 consults agent2 privately
// and turns the consultation into a conference; agent3 joins the
// conference and is removed from it; agent1 leaves, and agent2 and the
// contact go on. Every step says who did it and which parties were told.
//
//	go run ./examples/walkthrough
package main

import (
	"io"

	"github.com/chatconsult/chatconsult/examples/internal/narrate"
	"github.com/chatconsult/chatconsult/interaction"
)

func main() { narrate.Main(run) }

func run(w io.Writer) error {
	s := narrate.New(w, []narrate.PartyID{"contact", "agent1", "agent2", "agent3"})
	s.Title("Consult, conference, remove a member, owner leaves")

	s.Open("contact", "Hello, my invoice is wrong")
	s.Connect("agent1")
	s.Post("agent1", "Let me check that for you.")

	leg := s.Consult("agent1", "agent2", interaction.MediumChat)
	s.Note("R-C1, R-C3: only an invitation so far; the contact is told nothing")
	s.Accept("agent2", leg)
	s.Note("R-C6: agent2 now reads the chat between agent1 and the contact, live")
	s.Say("agent1", leg, "Can I refund the late fee?")
	s.Say("agent2", leg, "Yes. Bring me in and I will do it.")
	s.Note("R-C5: consultation messages reach agent1 and agent2 only")
	s.Show("contact", "agent1", "agent2")

	req := s.Conference("agent1", leg)
	s.AcceptRequest("agent2", req)
	s.Note("R-F2: agent2 is in the chat and sees all of it; the consultation stays private (R-C5)")
	s.Post("agent2", "I have refunded the late fee.")
	s.Note("R-F3: from now on every message is seen by the contact and both agents")

	req = s.ConferenceWith("agent1", "agent3")
	s.AcceptRequest("agent3", req)
	s.Post("agent3", "Billing here: the refund will show in 3 days.")
	s.Remove("agent1", "agent3")
	s.Note("R-F5: agent3 is out of the conference; it keeps what it saw, nothing after")
	s.Refused("agent3", "write in the chat", func() error {
		return s.Chats.Post(s.Context(), s.ID, "agent3", "One more thing")
	})

	s.End("agent1")
	s.Note("R-F6: agent1 has left; the chat goes on between agent2, now the owner, and the contact")
	s.Post("contact", "Thank you both!")
	s.Show("contact", "agent1", "agent2", "agent3")

	s.End("agent2")
	s.MarkDone("agent1")
	s.MarkDone("agent2")
	s.MarkDone("agent3")
	s.Note("R-C8: the interaction closes once every agent who took part has marked it done")
	s.Status()
	s.MyHistory("agent1", "agent2", "agent3")
	return s.Err()
}
