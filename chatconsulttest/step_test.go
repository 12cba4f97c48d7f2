package chatconsulttest_test

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/chatconsult/chatconsult/chatconsulttest"
)

// Every step, valid or not, prints in script syntax and parses back to
// itself, so a shrunk story can be pasted into a scenario script.
func TestStepSyntaxRoundTrips(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := chatconsulttest.Gen{}.Step().Draw(t, "step")
		back, err := chatconsulttest.ParseStep(s.String())
		if err != nil {
			t.Fatalf("%q: %v", s.String(), err)
		}
		if !reflect.DeepEqual(back, s) {
			t.Fatalf("%q parsed as %#v, want %#v", s.String(), back, s)
		}
	})
}

func TestStorySyntaxRoundTrips(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		story := chatconsulttest.Gen{MaxSteps: 20}.Story().Draw(t, "story")
		for _, s := range story.Steps {
			back, err := chatconsulttest.ParseStep(s.String())
			if err != nil || !reflect.DeepEqual(back, s) {
				t.Fatalf("%q: %v %#v", s.String(), err, back)
			}
		}
	})
}

func TestParseStepExamples(t *testing.T) {
	for line, want := range map[string]string{
		`contact open "Hi"`:                           `contact open "Hi"`,
		`contact open`:                                `contact open`,
		`system open "Hi" contact=c2`:                 `system open "Hi" contact=c2`,
		`agent1 consult leg1 agent2 medium=voice`:     `agent1 consult leg1 agent2 medium=voice`,
		`agent1 consult leg1 agent7 target=skill:x`:   `agent1 consult leg1 agent7 target=skill:x`,
		`agent1 direct r1 conference agent5`:          `agent1 direct r1 conference agent5`,
		`agent1 post "x"*4097`:                        `agent1 post "x"*4097`,
		`agent1 post "a\xffb"`:                        `agent1 post "a\xffb"`,
		`"" post "hi"`:                                `"" post "hi"`,
		`@nowhere contact post "hi"`:                  `@nowhere contact post "hi"`,
		`agent2 decline leg1`:                         `agent2 decline leg1`,
		`agent2 decline`:                              `agent2 decline`,
		`agent2 end leg1`:                             `agent2 end leg1`,
		`agent2 end`:                                  `agent2 end`,
		"agent1   say  leg1\t\"tab  and  spaces\"":    `agent1 say leg1 "tab  and  spaces"`,
		`agent1 direct r1 transfer "agent with sp"`:   `agent1 direct r1 transfer "agent with sp"`,
		`agent1 consult leg1 agent2 medium=3`:         `agent1 consult leg1 agent2 medium=3`,
		`agent1 direct r1 kind0 agent2`:               `agent1 direct r1 kind0 agent2`,
		`agent1 consult leg1 agent2 target=queue:vip`: `agent1 consult leg1 agent2 target=queue:vip`,
	} {
		s, err := chatconsulttest.ParseStep(line)
		require.NoError(t, err, line)
		assert.Equal(t, want, s.String(), line)
	}
	for _, bad := range []string{
		``, `contact`, `contact fly`, `contact post`, `contact post "unterminated`, `agent1 consult leg1`,
		`agent1 consult leg1 agent2 medium=fax`, `agent1 direct r1 merge agent2`, `agent1 post "x" colour=red`,
		`agent1 consult leg1 agent2 target=nokind`, `agent1 post "x"*`,
	} {
		_, err := chatconsulttest.ParseStep(bad)
		assert.Error(t, err, bad)
	}
}
