package consult

import (
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/internal/enumtext"
)

var rerouteReasonNames = []string{"", "timed_out", "declined", "rescinded"}

// String names the reason.
func (r RerouteReason) String() string {
	if s, ok := enumtext.Name(r, rerouteReasonNames); ok {
		return s
	}
	return "unknown"
}

// MarshalText implements encoding.TextMarshaler ("timed_out", "declined", "rescinded").
func (r RerouteReason) MarshalText() ([]byte, error) {
	if s, ok := enumtext.Name(r, rerouteReasonNames); ok {
		return []byte(s), nil
	}
	return nil, &interaction.Error{Kind: interaction.ErrBadInput, Op: "marshal reroute reason", Detail: "reroute reason value has no name"}
}

// UnmarshalText implements encoding.TextUnmarshaler; an unknown name is
// an *interaction.Error of kind ErrBadInput.
func (r *RerouteReason) UnmarshalText(text []byte) error {
	v, ok := enumtext.Parse[RerouteReason](text, rerouteReasonNames)
	if !ok {
		return &interaction.Error{Kind: interaction.ErrBadInput, Op: "parse reroute reason", Detail: "unknown reroute reason " + enumtext.Quote(text)}
	}
	*r = v
	return nil
}
