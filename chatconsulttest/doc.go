// Package chatconsulttest is the harness kit: what the project's own tests
// use, exported so that services embedding the library test their code
// around it just as strongly. It holds a manual Clock, a sequential ID
// source, rapid generators, the reference model, the invariant checker,
// the simulator and the scenario-script runner.
//
// The core packages never import it (nor rapid); only tests do.
package chatconsulttest
