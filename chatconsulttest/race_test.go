//go:build race

package chatconsulttest_test

// privacyStories is how many stories TestPrivacyProperty runs by default:
// fewer under the race detector, which is ten times slower.
const privacyStories = 300

// multiStories is how many stories TestSimulatorMultiInstanceRX1 runs
// under the race detector.
const multiStories = 150
