package chatconsulttest

import (
	"github.com/chatconsult/chatconsult/interaction"
)

// Offers is a fan-out (R-X1): the first offers of one routed invitation,
// or the offers of one made later, written in one append, as
// consult.Service.Start, TransferTo and ConferenceWith write them when the
// Router offers a target to several agents at once. Each element is a
// consult.Start (a consultation) or a consult.Direct (a transfer or
// conference request) naming the same Route, one per agent. The stories
// of Gen send it through interaction.Service.Do like any other command, so
// that the harness drives fan-out without a Router: the agents offered
// are the story's choice (the model's directory, see Gen.Routes), and the
// model checks them against the rules.
//
// Offers decides its commands in order on one Decision: if one is refused
// nothing is written, and the refusal is that command's.
type Offers []interaction.Command

// Decide implements interaction.Command.
func (o Offers) Decide(d *interaction.Decision) error {
	for _, c := range o {
		if err := c.Decide(d); err != nil {
			return err
		}
	}
	return nil
}
