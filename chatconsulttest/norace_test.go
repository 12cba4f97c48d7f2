//go:build !race

package chatconsulttest_test

// privacyStories is how many stories TestPrivacyProperty runs by default.
const privacyStories = 10000
