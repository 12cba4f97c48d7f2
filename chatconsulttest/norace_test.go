//go:build !race

package chatconsulttest_test

// privacyStories is how many stories TestPrivacyProperty runs by default.
const privacyStories = 10000

// multiStories is how many stories TestSimulatorMultiInstanceRX1 runs.
const multiStories = 1000
