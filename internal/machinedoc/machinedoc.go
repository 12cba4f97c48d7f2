// Package machinedoc draws the domain's state machines for the docs
// (docs/state-machines.md, docs/routing-machine.md): a Mermaid diagram of
// each table, through looplab/fsm's own visualiser, and the table of who
// may fire each transition. The tests that keep those pages current call
// it; the library itself never draws.
package machinedoc

import (
	"strconv"
	"strings"

	"github.com/looplab/fsm"

	"github.com/chatconsult/chatconsult/interaction"
)

// Document is a Markdown page with a title, an introduction and one
// Mermaid diagram per machine.
func Document(title, intro string, machines ...*interaction.Chart) string {
	var b strings.Builder
	b.WriteString("# " + title + "\n\n" + intro)
	for _, m := range machines {
		b.WriteString("\n## " + m.Name + "\n\n```mermaid\n")
		b.WriteString(Mermaid(m))
		b.WriteString("```\n")
		b.WriteString(permissions(m))
	}
	return b.String()
}

// Mermaid renders m's table as a Mermaid state diagram; each edge of a
// machine that declares its firers names them ("inviting --> active:
// accept [invitee]"), and an edge with guards says how many ("none -->
// inviting: invite [owner|system] (7 guards)"); the table under the
// diagram lists them.
func Mermaid(m *interaction.Chart) string {
	out, err := fsm.VisualizeWithType(fsm.NewFSM(m.Initial, m.Table, nil), fsm.MermaidStateDiagram)
	if err != nil {
		panic(err) // only for an unknown visualise type, which is a constant here
	}
	if len(m.Entries) > 0 {
		start := "    [*] --> " + m.Initial + "\n"
		var entries strings.Builder
		for _, e := range m.Entries {
			entries.WriteString("    [*] --> " + e + "\n")
		}
		out = strings.Replace(out, start, entries.String(), 1)
	}
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if j := strings.LastIndex(l, ": "); j > 0 && strings.Contains(l, " --> ") {
			t := interaction.Trigger(l[j+2:])
			if p, ok := m.Firers(t); ok {
				lines[i] += " [" + p.By.String() + "]"
			}
			from := strings.TrimSpace(l[:strings.Index(l, " --> ")])
			switch n := len(m.Guards(from, t)); n {
			case 0:
			case 1:
				lines[i] += " (1 guard)"
			default:
				lines[i] += " (" + strconv.Itoa(n) + " guards)"
			}
		}
	}
	return strings.Join(lines, "\n")
}

// permissions renders, for each transition of m, who may fire it, its
// rule and its guards as a Markdown table, "" for a machine whose
// transitions declare none of them.
func permissions(m *interaction.Chart) string {
	declared := false
	for _, e := range m.Table {
		_, fires := m.Firers(interaction.Trigger(e.Name))
		declared = declared || fires || m.Rule(interaction.Trigger(e.Name)) != "" || len(m.Guards(e.Src[0], interaction.Trigger(e.Name))) > 0
	}
	if !declared {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n| event | from → to | who fires it | rule | guards |\n|---|---|---|---|---|\n")
	for _, e := range m.Table {
		t := interaction.Trigger(e.Name)
		who := "part of another transition"
		if len(m.Guards(e.Src[0], t)) > 0 {
			who = "the party acting, as its guards say"
		}
		if p, ok := m.Firers(t); ok {
			who = words(p.By)
			switch {
			case p.By == interaction.ByCascade:
				who = "only as part of another transition"
			case p.By&interaction.ByCascade != 0:
				who += "; also as part of another transition"
			}
		}
		var guards []string
		for _, g := range m.Guards(e.Src[0], t) {
			guards = append(guards, g.Name+" ("+g.Rule+", "+g.Kind.Error()+")")
		}
		b.WriteString("| " + e.Name + " | " + strings.Join(e.Src, ", ") + " → " + e.Dst + " | " + who + " | " + m.Rule(t) + " | " + strings.Join(guards, "; ") + " |\n")
	}
	return b.String()
}

// words names the firers other than ByCascade in a sentence ("the owner or
// the system").
func words(f interaction.Firers) string {
	var parts []string
	for _, n := range []struct {
		by   interaction.Firers
		name string
	}{{interaction.ByOwner, "the owner"}, {interaction.ByInvitee, "the invitee"}, {interaction.BySelf, "the party itself"}, {interaction.BySystem, "the system"}} {
		if f&n.by != 0 {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, " or ")
}
