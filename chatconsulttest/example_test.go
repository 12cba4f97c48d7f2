package chatconsulttest_test

import (
	"context"
	"fmt"

	"github.com/chatconsult/chatconsult/chatconsulttest"
)

// A user's property test is one line in a _test.go file:
//
//	func TestDesk(t *testing.T) {
//		rapid.Check(t, chatconsulttest.Property(chatconsulttest.Gen{}))
//	}
//
// rapid draws stories, runs each on a Harness (the library, the reference
// model and the invariant checker after every step), and on a failure
// shrinks the story and prints it in script syntax. This example runs the
// same property on a few fixed draws, the way rapid would.
func ExampleProperty() {
	gen := chatconsulttest.Gen{MaxSteps: 25}
	ctx := context.Background()
	steps := 0
	for seed := 0; seed < 20; seed++ {
		story := gen.Story().Example(seed)
		rep := chatconsulttest.NewHarness().Run(ctx, story)
		if f := rep.Failure(); f != nil {
			fmt.Println(rep)
			return
		}
		steps += len(story.Steps)
	}
	fmt.Println("20 stories, every step as the model says, no invariant broken:", steps > 20)
	// Output: 20 stories, every step as the model says, no invariant broken: true
}

// A harness driven step by step: the model predicts each step, the
// library runs it, and both are compared.
func ExampleHarness() {
	h := chatconsulttest.NewHarness()
	for _, line := range []string{
		`contact open "Hello"`,
		`system assign agent1`,
		`agent1 join`,
		`agent1 consult leg1 agent2`,
		`agent2 accept leg1`,
		`agent2 say leg1 "refund is fine"`,
		`agent2 post "Hi contact"`, // a consultation target does not talk to the contact
	} {
		step, err := chatconsulttest.ParseStep(line)
		if err != nil {
			panic(err)
		}
		rep := h.Do(context.Background(), step)
		fmt.Printf("%-34s -> %s (model agrees: %v)\n", line, chatconsulttest.Result(rep.Err), !rep.Failed())
	}
	// Output:
	// contact open "Hello"               -> ok (model agrees: true)
	// system assign agent1               -> ok (model agrees: true)
	// agent1 join                        -> ok (model agrees: true)
	// agent1 consult leg1 agent2         -> ok (model agrees: true)
	// agent2 accept leg1                 -> ok (model agrees: true)
	// agent2 say leg1 "refund is fine"   -> ok (model agrees: true)
	// agent2 post "Hi contact"           -> refused: not permitted: a consultant does not write to the contact (R-X6) (model agrees: true)
}

// A scenario script: steps and directives, "----", then the output. Run a
// directory of them with RunScenarios(t, "testdata/scenarios"); here one
// script runs from a string and its actual output is printed.
func ExampleRunScript() {
	script := `# R-C5: the contact never sees the consultation; it knows agent1 as agent-1.
contact open "Hello"
system assign agent1
agent1 join
agent1 consult leg1 agent2
agent2 accept leg1
agent1 say leg1 "Can I refund this?"
----

view contact agent2
----
`
	res, err := chatconsulttest.RunScript(context.Background(), script)
	if err != nil {
		panic(err)
	}
	fmt.Print(res.Output)
	fmt.Println("rules broken:", len(res.Problems))
	// Output:
	// # R-C5: the contact never sees the consultation; it knows agent1 as agent-1.
	// contact open "Hello"
	// system assign agent1
	// agent1 join
	// agent1 consult leg1 agent2
	// agent2 accept leg1
	// agent1 say leg1 "Can I refund this?"
	// ----
	// ok
	// ok
	// ok
	// ok
	// ok
	// ok
	//
	// view contact agent2
	// ----
	// contact (contact, joined) · chat active
	//   parties: contact (contact, joined), agent-1 (owner, joined)
	//   #1 contact: Hello
	// agent2 (consultant, joined) · chat active
	//   parties: contact (contact, joined), agent1 (owner, joined), agent2 (consultant, joined)
	//   #1 contact: Hello
	//   #2 [leg1] agent1: Can I refund this?
	//   leg leg1: agent1 -> agent2, chat, active
	// rules broken: 0
}

// The simulator: the same seed gives the same event log, byte for byte.
func ExampleSimulator() {
	run := func(seed uint64) string {
		sim := chatconsulttest.NewSimulator(chatconsulttest.SimConfig{Seed: seed, Agents: 6, Interactions: 5, Check: true})
		res, err := sim.Run(context.Background(), 200)
		if err != nil {
			panic(err)
		}
		if len(res.Violations) > 0 {
			fmt.Println(res.Violations[0])
		}
		h, err := sim.Hash(context.Background())
		if err != nil {
			panic(err)
		}
		return h
	}
	a, b, c := run(42), run(42), run(43)
	fmt.Println("same seed, same log:", a == b)
	fmt.Println("other seed, other log:", a != c)
	// Output:
	// same seed, same log: true
	// other seed, other log: true
}
