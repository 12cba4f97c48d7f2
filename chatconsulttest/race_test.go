//go:build race

package chatconsulttest_test

// privacyStories is how many stories TestPrivacyProperty runs by default:
// fewer under the race detector, which is ten times slower.
const privacyStories = 300
