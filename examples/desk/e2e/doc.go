// Package e2e holds the desk's end-to-end test in a real headless
// Chromium, driven with chromedp. It is a module of its own so that
// chromedp never enters the library's go.mod.
//
//	command -v chromium || (apt-get update && apt-get install -y chromium)
//	(cd examples/desk/e2e && go test -count=1 -v ./...)
//	(cd examples/desk/e2e && UPDATE_SCREENSHOT=1 go test -count=1 ./...)  # rewrites docs/desk.png
//
// The test finds the browser in $CHROMIUM, then as chromium,
// chromium-browser, google-chrome on PATH. With none it is skipped with a
// message saying how to install one (-v shows it), or fails when
// E2E_REQUIRE_BROWSER is set, for a CI that must run it.
package e2e
