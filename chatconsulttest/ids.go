package chatconsulttest

import "github.com/chatconsult/chatconsult/interaction"

// NewSequentialIDs returns an ID source that yields prefix-1, prefix-2, …
func NewSequentialIDs(prefix string) *interaction.SequentialIDs {
	return &interaction.SequentialIDs{Prefix: prefix}
}
