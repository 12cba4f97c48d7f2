package chatconsulttest

import (
	"github.com/chatconsult/chatconsult/interaction"
)

// decideRoute decides the commands on routed invitations (R-X1).
func (m *Model) decideRoute(actor interaction.PartyID, cmd interaction.Command, f *faults) (effect func(), rule string, known bool) {
	return nil, "", false
}
