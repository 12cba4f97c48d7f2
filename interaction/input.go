package interaction

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Input rules (R-X6: bad input gets a clear error, and nothing is lost).
//
// Every identifier a caller hands in and the library stores (party IDs,
// interaction IDs, consultation leg and request IDs, target IDs) must be a
// plain, visible token. CheckID and CheckPartyID refuse, as ErrBadInput
// with rule R-X6:
//
//   - an empty ID, one longer than MaxIDBytes (MaxPartyIDBytes for a party)
//     bytes, or one that is not valid UTF-8;
//   - any control character (Unicode Cc: NUL, newline, tab, ESC, DEL, the
//     C1 controls U+0080–U+009F), anywhere;
//   - any whitespace (Unicode White_Space: space, no-break space, the
//     U+2000 spaces, line and paragraph separators, ideographic space…),
//     anywhere, so blank, whitespace-only and padded IDs are all refused;
//   - any invisible character, anywhere: format characters (Unicode Cf:
//     zero-width space U+200B, ZWNJ, ZWJ, word joiner, soft hyphen, the BOM
//     U+FEFF, the bidi controls U+202A–U+202E and U+2066–U+2069, tags…),
//     the other default-ignorable code points (Hangul fillers U+115F,
//     U+1160, U+3164, U+FFA0, the combining grapheme joiner U+034F…),
//     variation selectors, and the braille blank U+2800.
//
// A party ID must also not be, or look like, the reserved System ("system").
// The normalisation: since every invisible character is refused already,
// the ID is compared as it stands after folding compatibility forms of the
// Latin letters to ASCII — fullwidth forms U+FF01–U+FF5E to U+0021–U+007E,
// the mathematical alphanumeric letters U+1D400–U+1D6A3 (bold, italic,
// script, fraktur, double-struck, sans-serif, monospace) to A–Z and a–z,
// and the circled letters U+24B6–U+24E9 to A–Z and a–z — and then with
// strings.EqualFold (Unicode simple case folding, so "SYSTEM", "System" and
// "ſystem" with a long s match). The Go standard library has no NFKC; this
// fold is written here by hand and covers only those blocks. It is not a
// confusables check (Unicode TS #39): a look-alike written in another
// script, such as Cyrillic "ѕуѕтем", is accepted as an ordinary ID.
//
// Message text (Decision.CheckText) is at most Limits.MaxMessageBytes bytes
// of valid UTF-8 and not blank. Blank means made only of whitespace,
// control characters and invisible characters (the same classes as
// above): "\u200b", "\x00", "\ufeff\u200d" and " \t\u3000" are all blank.
// Control and invisible characters inside text with something visible are
// kept as written (a NUL, a tab, a ZWJ in an emoji sequence): they are
// stored as sent, and the text exports escape what needs escaping.
//
// Every check is a pure function of its input: the same ID or text gets
// the same answer on every Service and every Store.

// MaxIDBytes bounds an interaction, leg, request or target ID.
const MaxIDBytes = 256

// CheckID refuses an identifier that breaks the input rules above, as an
// *Error of kind ErrBadInput, rule R-X6. kind names the identifier in the
// error ("leg", "request", "target", "interaction").
func CheckID(kind, id string) error {
	if why := idProblem(id, MaxIDBytes); why != "" {
		return &Error{Kind: ErrBadInput, Op: "check " + kind + " ID", Rule: "R-X6", Detail: kind + " ID " + why}
	}
	return nil
}

// CheckPartyID refuses a party ID that breaks the input rules above, or
// looks like the reserved System, as an *Error of kind ErrBadInput, rule
// R-X6. Decision.CheckPartyID is the same check inside a command.
func CheckPartyID(p PartyID) error {
	if why := partyIDProblem(p); why != "" {
		return &Error{Kind: ErrBadInput, Op: "check party ID", Party: p, Rule: "R-X6", Detail: "party ID " + why}
	}
	return nil
}

// CheckTarget refuses a target of an unknown kind (beyond TargetQueue) or
// with an ID that breaks the input rules above, as an *Error of kind
// ErrBadInput, rule R-X6.
func CheckTarget(t Target) error {
	if why := targetProblem(t); why != "" {
		return &Error{Kind: ErrBadInput, Op: "check target", Rule: "R-X6", Detail: why}
	}
	return nil
}

// CheckID is CheckID inside a command: the refusal names the command, the
// interaction and the acting party.
func (d *Decision) CheckID(kind, id string) error {
	if why := idProblem(id, MaxIDBytes); why != "" {
		return d.Refuse(ErrBadInput, "R-X6", kind+" ID "+why)
	}
	return nil
}

// CheckTarget is CheckTarget inside a command.
func (d *Decision) CheckTarget(t Target) error {
	if why := targetProblem(t); why != "" {
		return d.Refuse(ErrBadInput, "R-X6", why)
	}
	return nil
}

func targetProblem(t Target) string {
	if t.Kind > TargetQueue {
		return "unknown target kind"
	}
	if why := idProblem(t.ID, MaxIDBytes); why != "" {
		return "target ID " + why
	}
	return ""
}

// partyIDProblem says what is wrong with party ID p, "" if nothing.
func partyIDProblem(p PartyID) string {
	if why := idProblem(string(p), MaxPartyIDBytes); why != "" {
		return why
	}
	if looksLikeSystem(string(p)) {
		return "is or looks like the reserved " + string(System)
	}
	return ""
}

// idProblem says what is wrong with identifier id, "" if nothing.
func idProblem(id string, max int) string {
	switch {
	case id == "":
		return "missing"
	case len(id) > max:
		return "longer than the limit"
	case !utf8.ValidString(id):
		return "is not valid UTF-8"
	}
	for _, r := range id {
		if r < utf8.RuneSelf && r > ' ' && r != 0x7f {
			continue // printable ASCII, as IDs mostly are: none of the below
		}
		switch {
		case unicode.IsControl(r):
			return "has a control character"
		case unicode.IsSpace(r):
			return "has whitespace"
		case invisible(r):
			return "has an invisible character"
		}
	}
	return ""
}

// blank reports whether text has nothing visible: only whitespace,
// control and invisible characters (or nothing at all).
func blank(text string) bool {
	for _, r := range text {
		if r < utf8.RuneSelf {
			if r > ' ' && r != 0x7f {
				return false // the common case: a printable ASCII character
			}
			continue
		}
		if !unicode.IsSpace(r) && !unicode.IsControl(r) && !invisible(r) {
			return false
		}
	}
	return true
}

// invisible reports whether r is drawn as nothing outside of whitespace and
// control characters: a format character (Cf), another default-ignorable
// code point, a variation selector, or the braille blank.
func invisible(r rune) bool {
	if r < utf8.RuneSelf {
		return false
	}
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) ||
		unicode.Is(unicode.Variation_Selector, r) || r == '\u2800'
}

// looksLikeSystem reports whether id, its Latin compatibility forms folded
// to ASCII (see the input rules above), equals System under Unicode simple
// case folding.
func looksLikeSystem(id string) bool {
	if len(id) < len(System) {
		return false
	}
	var b strings.Builder
	for _, r := range id {
		b.WriteRune(foldLatin(r))
	}
	return strings.EqualFold(b.String(), string(System))
}

// foldLatin maps the fullwidth ASCII forms, the mathematical alphanumeric
// letters and the circled letters to their ASCII character; any other
// rune is returned as it is.
func foldLatin(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // fullwidth ！ … ～
		return r - 0xFF01 + '!'
	case r >= 0x1D400 && r <= 0x1D6A3: // 𝐀 … 𝚣: 13 alphabets of A–Z, a–z
		i := (r - 0x1D400) % 52
		if i < 26 {
			return 'A' + i
		}
		return 'a' + i - 26
	case r >= 0x24B6 && r <= 0x24CF: // Ⓐ … Ⓩ
		return r - 0x24B6 + 'A'
	case r >= 0x24D0 && r <= 0x24E9: // ⓐ … ⓩ
		return r - 0x24D0 + 'a'
	}
	return r
}
