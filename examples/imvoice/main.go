// Command imvoice plays the story "consult by IM and by voice": agent1
// consults agent2 by instant message, then agent3 by a voice call
// (R-C10). A voice consultation has no transcript, and it can be turned
// into a conference like a chat consultation (R-C11).
//
//	go run ./examples/imvoice
package main

import (
	"io"

	"github.com/chatconsult/chatconsult/examples/internal/narrate"
	"github.com/chatconsult/chatconsult/interaction"
)

func main() { narrate.Main(run) }

func run(w io.Writer) error {
	s := narrate.New(w, []narrate.PartyID{"contact", "agent1", "agent2", "agent3"})
	s.Title("Consult by IM and by voice")

	s.Open("contact", "My parcel arrived damaged.")
	s.Connect("agent1")

	im := s.Consult("agent1", "agent2", interaction.MediumIM)
	s.Accept("agent2", im)
	s.Say("agent1", im, "Do we need photos for a damage claim?")
	s.Say("agent2", im, "Yes, two photos.")
	s.EndConsultation("agent1", im)
	s.Post("agent1", "Could you send two photos of the parcel?")

	voice := s.Consult("agent1", "agent3", interaction.MediumVoice)
	s.Accept("agent3", voice)
	s.Refused("agent1", "write in the voice consultation", func() error {
		return s.Desk.Say(s.Context(), s.ID, "agent1", voice, "hello?")
	})
	s.Note("R-C10: a voice consultation is a call; it has no transcript")
	req := s.Conference("agent1", voice)
	s.AcceptRequest("agent3", req)
	s.Note("R-C11: the voice consultation became a conference with its target")
	s.Post("agent3", "Claims here: I have opened your claim.")
	s.Show("contact", "agent1", "agent2", "agent3")

	s.End("agent1")
	s.End("agent3")
	s.MarkDone("agent1")
	s.MarkDone("agent2")
	s.MarkDone("agent3")
	s.Status()
	s.MyHistory("agent1", "agent2", "agent3")
	return s.Err()
}
