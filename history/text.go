package history

import (
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/internal/enumtext"
)

var formatNames = []string{"json", "text"}

// String names the format.
func (f Format) String() string {
	if s, ok := enumtext.Name(f, formatNames); ok {
		return s
	}
	return "unknown"
}

// MarshalText implements encoding.TextMarshaler ("json", "text").
func (f Format) MarshalText() ([]byte, error) {
	if s, ok := enumtext.Name(f, formatNames); ok {
		return []byte(s), nil
	}
	return nil, &interaction.Error{Kind: interaction.ErrBadInput, Op: "marshal format", Detail: "format value has no name"}
}

// UnmarshalText implements encoding.TextUnmarshaler; an unknown name is
// an *interaction.Error of kind ErrBadInput.
func (f *Format) UnmarshalText(text []byte) error {
	v, ok := enumtext.Parse[Format](text, formatNames)
	if !ok {
		return &interaction.Error{Kind: interaction.ErrBadInput, Op: "parse format", Detail: "unknown format " + enumtext.Quote(text)}
	}
	*f = v
	return nil
}
