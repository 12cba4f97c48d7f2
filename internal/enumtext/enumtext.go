// Package enumtext is the text form of the library's enums: each enum
// marshals as its name and parses back from it (encoding.TextMarshaler,
// encoding.TextUnmarshaler). The packages that own the enums wrap its
// answers in their own errors (kind interaction.ErrBadInput).
package enumtext

import (
	"strconv"
	"unicode/utf8"
)

// Name returns names[v], or false when v has no name.
func Name[T ~uint8](v T, names []string) (string, bool) {
	if int(v) < len(names) && names[v] != "" {
		return names[v], true
	}
	return "", false
}

// Parse returns the value named text, or false.
func Parse[T ~uint8](text []byte, names []string) (T, bool) {
	for i, n := range names {
		if n != "" && n == string(text) {
			return T(i), true
		}
	}
	return 0, false
}

// In reports whether text is one of names.
func In[S ~string](text []byte, names []S) bool {
	for _, n := range names {
		if string(n) == string(text) {
			return true
		}
	}
	return false
}

// Quote quotes at most 64 bytes of text for an error message: the
// detail of a refusal never echoes a large input back.
func Quote(text []byte) string {
	const max = 64
	if len(text) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		return strconv.Quote(string(text[:cut])) + "…"
	}
	return strconv.Quote(string(text))
}
