package chatconsulttest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/chatconsult/chatconsult/interaction"
)

// Scenario scripts, in the style of etcd-io/raft's testdata "interaction"
// scripts: plain text, blocks of input lines, a "----" line, and the
// expected output, ending at a blank line. Lines starting with # outside a
// block's output are comments and are kept as they are.
//
//	# The contact is with agent1, who consults agent2.
//	contact open "Hello"
//	system assign agent1
//	agent1 join
//	----
//	ok
//	ok
//	ok
//
//	view contact
//	----
//	contact (contact, joined) · chat active
//	...
//
// An input line is a step (see Step for the syntax; every step prints "ok"
// or "refused: …") or a directive:
//
//	view PARTY...   what each party sees (its View)
//	state           the interaction as the library holds it
//
// Every step also runs through a Harness: the reference model and the
// invariant checker check it, and any rule broken fails the script, even
// when its output matches. Run the scripts of a directory with
// RunScenarios; with -chatconsulttest.rewrite, the expected output is
// rewritten from what the library does now (check the diff before you
// commit it).

var rewrite = flag.Bool("chatconsulttest.rewrite", false, "rewrite the expected output of scenario scripts")

// ScriptResult is what running a script gave.
type ScriptResult struct {
	// Output is the script with the output the library gives now: what
	// -chatconsulttest.rewrite writes.
	Output string
	// Problems lists the rules broken (model differences, invariant
	// violations), each with its line.
	Problems []string
	// Notes says where the harness stopped following the model (a known
	// core bug), if it did.
	Notes []string

	blocks []scriptBlock
}

type scriptBlock struct {
	prose  []string // comments and blank lines before the block
	input  []string
	output []string // as written in the script
	got    []string // as the library gives it now
	line   int      // line of the first input line
}

func parseScript(src string) (blocks []scriptBlock, trailer []string, err error) {
	lines := strings.Split(strings.TrimSuffix(src, "\n"), "\n")
	var cur scriptBlock
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		trimmed := strings.TrimSpace(l)
		if len(cur.input) == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			cur.prose = append(cur.prose, l)
			continue
		}
		if trimmed != "----" {
			if len(cur.input) == 0 {
				cur.line = i + 1
			}
			cur.input = append(cur.input, l)
			continue
		}
		if len(cur.input) == 0 {
			return nil, nil, fmt.Errorf("line %d: ---- without input", i+1)
		}
		for i+1 < len(lines) && lines[i+1] != "" {
			i++
			cur.output = append(cur.output, lines[i])
		}
		blocks = append(blocks, cur)
		cur = scriptBlock{}
	}
	if len(cur.input) > 0 {
		return nil, nil, fmt.Errorf("line %d: input without ---- and output", cur.line)
	}
	return blocks, cur.prose, nil
}

// RunScript runs a scenario script on a new Harness (with opts) and
// returns the output it gives. err is only for a script that cannot be
// read (syntax); refusals and broken rules are in the result.
func RunScript(ctx context.Context, src string, opts ...HarnessOption) (ScriptResult, error) {
	blocks, trailer, err := parseScript(src)
	if err != nil {
		return ScriptResult{}, err
	}
	var res ScriptResult
	h := NewHarness(opts...)
	for bi := range blocks {
		b := &blocks[bi]
		for li, line := range b.input {
			lineNo := b.line + li
			got, err := runLine(ctx, h, strings.TrimSpace(line), &res, lineNo)
			if err != nil {
				return ScriptResult{}, fmt.Errorf("line %d: %w", lineNo, err)
			}
			b.got = append(b.got, got...)
		}
	}
	var out strings.Builder
	for _, b := range blocks {
		for _, l := range b.prose {
			out.WriteString(l + "\n")
		}
		for _, l := range b.input {
			out.WriteString(l + "\n")
		}
		out.WriteString("----\n")
		for _, l := range b.got {
			out.WriteString(l + "\n")
		}
	}
	for _, l := range trailer {
		out.WriteString(l + "\n")
	}
	res.Output = out.String()
	res.blocks = blocks
	return res, nil
}

func runLine(ctx context.Context, h *Harness, line string, res *ScriptResult, lineNo int) ([]string, error) {
	if line == "" || strings.HasPrefix(line, "#") {
		return nil, nil
	}
	toks, err := tokenize(line)
	if err != nil {
		return nil, err
	}
	switch toks[0].val {
	case "view":
		if len(toks) < 2 {
			return nil, fmt.Errorf("view PARTY...")
		}
		var out []string
		err := h.Chats.Read(ctx, h.ID, func(st *interaction.State) error {
			for _, t := range toks[1:] {
				v, err := h.view(st, interaction.PartyID(t.val))
				if err != nil {
					out = append(out, t.val+": "+Result(err))
					continue
				}
				out = append(out, strings.Split(FormatView(v), "\n")...)
			}
			return nil
		})
		if err != nil {
			return []string{Result(err)}, nil
		}
		return out, nil
	case "state":
		var out []string
		err := h.Chats.Read(ctx, h.ID, func(st *interaction.State) error {
			out = strings.Split(FormatState(st), "\n")
			return nil
		})
		if err != nil {
			return []string{Result(err)}, nil
		}
		return out, nil
	}
	step, err := ParseStep(line)
	if err != nil {
		return nil, err
	}
	stopped := h.Stopped()
	rep := h.Do(ctx, step)
	for _, d := range rep.Differences {
		res.Problems = append(res.Problems, fmt.Sprintf("line %d: %s: model: %s", lineNo, line, d))
	}
	for _, v := range rep.Violations {
		res.Problems = append(res.Problems, fmt.Sprintf("line %d: %s: invariant: %s", lineNo, line, v))
	}
	if stopped == "" && h.Stopped() != "" {
		res.Notes = append(res.Notes, fmt.Sprintf("line %d: %s: the model stops here: %s", lineNo, line, h.Stopped()))
	}
	return []string{Result(rep.Err)}, nil
}

// RunScenarios runs every *.txt script in dir as a subtest. A script fails
// when the library's output differs from the expected one, or when the
// model or the checker finds a broken rule. With -chatconsulttest.rewrite
// the expected outputs are rewritten instead (rules broken still fail).
func RunScenarios(t *testing.T, dir string, opts ...HarnessOption) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no scenario scripts (*.txt) in %s", dir)
	}
	sort.Strings(files)
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			res, err := RunScript(context.Background(), string(src), opts...)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			for _, n := range res.Notes {
				t.Logf("%s: %s", file, n)
			}
			for _, p := range res.Problems {
				t.Errorf("%s: %s", file, p)
			}
			if *rewrite {
				if res.Output != string(src) {
					if err := os.WriteFile(file, []byte(res.Output), 0o644); err != nil {
						t.Fatal(err)
					}
					t.Logf("rewrote %s", file)
				}
				return
			}
			for _, b := range res.blocks {
				if strings.Join(b.output, "\n") != strings.Join(b.got, "\n") {
					t.Errorf("%s:%d:\n%s\n----\nwant:\n%s\ngot:\n%s\n(run with -chatconsulttest.rewrite to accept)",
						file, b.line, strings.Join(b.input, "\n"), indent(b.output), indent(b.got))
				}
			}
		})
	}
}

func indent(lines []string) string {
	return "    " + strings.Join(lines, "\n    ")
}

// FormatView renders a view as the scenario scripts show it: the viewer,
// the parties it sees, each message it sees (with its scope when it is
// not the whole chat) and its consultations.
func FormatView(v interaction.View) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s, %s) · chat %s\n", v.Viewer, v.Role, v.Membership, v.Status)
	var ps []string
	for _, p := range v.Parties {
		ps = append(ps, fmt.Sprintf("%s (%s, %s)", p.ID, p.Role, p.Membership))
	}
	fmt.Fprintf(&b, "  parties: %s", strings.Join(ps, ", "))
	for _, m := range v.Messages {
		fmt.Fprintf(&b, "\n  #%d %s%s: %s", m.Seq, scopeTag(m.Scope), m.Author, printable(m.Text))
	}
	for _, l := range v.Legs {
		fmt.Fprintf(&b, "\n  leg %s: %s -> %s, %s, %s", l.ID, l.Owner, l.Invitee, l.Medium, l.State)
	}
	return b.String()
}

// FormatState renders the interaction's state: status, parties (with
// whether they took part, R-C8, and were engaged with the contact, which
// puts the interaction in their My History, R-H3), legs and requests.
func FormatState(st *interaction.State) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status %s", st.Status)
	for _, p := range st.Parties {
		fmt.Fprintf(&b, "\nparty %s: %s, %s", p.ID, p.Role, p.Membership)
		if p.TookPart {
			b.WriteString(", took part")
		}
		if p.WasEngaged {
			b.WriteString(", engaged")
		}
	}
	for _, l := range st.Legs {
		fmt.Fprintf(&b, "\nleg %s: %s -> %s, %s, %s", l.ID, l.Owner, l.Invitee, l.Medium, l.State)
	}
	for _, r := range st.Requests {
		via := ""
		if r.Via != "" {
			via = " via " + string(r.Via)
		}
		fmt.Fprintf(&b, "\nrequest %s: %s %s -> %s%s, %s", r.ID, r.Kind, r.Owner, r.Invitee, via, r.State)
	}
	fmt.Fprintf(&b, "\nmessages %d", len(st.Messages))
	return b.String()
}

func scopeTag(sc interaction.Scope) string {
	switch sc.Kind {
	case interaction.ScopeEveryone:
		return ""
	case interaction.ScopeLeg:
		return "[" + string(sc.Invitation) + "] "
	case interaction.ScopeAgents:
		return "[agents] "
	case interaction.ScopeParty:
		return "[to " + string(sc.Party) + "] "
	case interaction.ScopeCoach:
		return "[coach " + string(sc.Party) + "] "
	}
	return "[" + sc.Kind.String() + "] "
}

// printable keeps a message on one line.
func printable(s string) string {
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			return strconv.Quote(s)
		}
	}
	return s
}
