package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/examples/desk/internal/desk"
)

// findBrowser returns the Chromium to drive: $CHROMIUM, else the first of
// the usual names on PATH.
func findBrowser() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser starts a headless Chromium on a fresh profile. As root it needs
// --no-sandbox; the networking flags keep it from calling out of a closed
// network.
func browser(t *testing.T) context.Context {
	t.Helper()
	exe := findBrowser()
	if exe == "" && os.Getenv("E2E_REQUIRE_BROWSER") != "" {
		t.Fatal("no Chromium found and E2E_REQUIRE_BROWSER is set: install it (apt-get install -y chromium) or set $CHROMIUM")
	}
	if exe == "" {
		t.Skip("SKIPPED LOUDLY: no Chromium found (set $CHROMIUM or install it: apt-get update && apt-get install -y chromium); the desk's end-to-end test did not run")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 860),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(cancelCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelTimeout)
	return ctx
}

// player clicks and types in one desk page, and reads what its panes show.
type player struct {
	t   *testing.T
	ctx context.Context
}

func (p player) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	require.NoError(p.t, chromedp.Do(p.ctx, steps...), what)
}

// click presses the pane's button for action. The pane is re-rendered
// over Server-Sent Events at any moment, so finding the button and
// clicking it happen in one script turn of the page (a node found by one
// DevTools call may be gone by the next); the script is polled until the
// button is there.
func (p player) click(party, action string) {
	p.t.Helper()
	sel := strconv.Quote(fmt.Sprintf(`#pane-%s .actions button[data-action=%q]`, party, action))
	p.waitJS(party+" clicks "+action, `(() => { const b = document.querySelector(`+sel+`); if (!b) return false; b.click(); return true })()`)
}

// write types text in the pane's chat box ("chat-input") or consultation
// box ("say-input") and sends it.
func (p player) write(party, box, text string) {
	p.t.Helper()
	// One script turn finds the box, fills it and sends it, for the same
	// reason as in click.
	form := strconv.Quote(fmt.Sprintf(`#pane-%s .%s`, party, box))
	p.waitJS(party+" writes "+text, `(() => { const f = document.querySelector(`+form+`); if (!f || f.offsetParent === null) return false;
		const i = f.querySelector("input"), b = f.querySelector("button"); if (!i || !b) return false;
		i.value = `+strconv.Quote(text)+`; b.click(); return true })()`)
	p.waitFor(party, text)
}

// waitFor waits until the pane's transcript shows text.
func (p player) waitFor(party, text string) {
	p.t.Helper()
	js := fmt.Sprintf(`document.querySelector("#pane-%s .transcript").innerText.includes(%s)`, party, strconv.Quote(text))
	p.waitJS(party+" sees "+text, js)
}

// waitJS waits until the expression is true.
func (p player) waitJS(what, js string) {
	p.t.Helper()
	p.run(what, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(20*time.Millisecond)))
}

// line is one transcript line as a pane shows it.
type line struct {
	Author       string `json:"author"`
	Text         string `json:"text"`
	Consultation bool   `json:"consultation"`
}

func (p player) transcript(party string) []line {
	p.t.Helper()
	js := fmt.Sprintf(`[...document.querySelectorAll("#pane-%s .transcript li.msg")].map(li => ({
		author: li.querySelector(".meta").textContent.split(" · ")[0],
		text: li.querySelector(".bubble").textContent,
		consultation: li.dataset.consultation === "true",
	}))`, party)
	out, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]line](js))
	require.NoError(p.t, err, "read "+party)
	return out
}

func (p player) text(sel string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(p.t, err, "read "+sel)
	return s
}

func texts(lines []line) []string {
	var out []string
	for _, l := range lines {
		out = append(out, l.Text)
	}
	return out
}

// consultationFile is attached in the consultation; the contact pane
// must never show it (R-C5). chatFile is attached in the chat.
const (
	consultationFile = "ledger.xlsx"
	chatFile         = "invoice.pdf"
)

// attach chooses a file of size bytes in the pane's box: the desk sends
// its name, type and size with the next message.
func (p player) attach(party, box, name, mediaType string, size int) {
	p.t.Helper()
	input := strconv.Quote(fmt.Sprintf(`#pane-%s .%s input[type=file]`, party, box))
	p.waitJS(party+" attaches "+name, fmt.Sprintf(`(() => { const i = document.querySelector(%s); if (!i) return false;
		const dt = new DataTransfer(); dt.items.add(new File([new Uint8Array(%d)], %q, {type: %q})); i.files = dt.files; return i.files.length === 1 })()`,
		input, size, name, mediaType))
}

// attachments are the names of the attachments the pane's transcript shows.
func (p player) attachments(party string) []string {
	p.t.Helper()
	out, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]string](fmt.Sprintf(
		`[...document.querySelectorAll("#pane-%s .transcript .attachment")].map(a => a.dataset.name)`, party)))
	require.NoError(p.t, err)
	return out
}

// typeIn types text in the pane's box without sending it: the page tells
// the desk that the party is typing there.
func (p player) typeIn(party, box, text string) {
	p.t.Helper()
	input := strconv.Quote(fmt.Sprintf(`#pane-%s .%s input[name=text]`, party, box))
	p.waitJS(party+" types in "+box, fmt.Sprintf(`(() => { const i = document.querySelector(%s); if (!i || i.offsetParent === null) return false;
		i.value = %q; i.dispatchEvent(new Event("input", {bubbles: true})); return true })()`, input, text))
}

// watchContactTyping records every "… is typing" the contact pane ever
// shows, from now on.
func (p player) watchContactTyping() {
	p.t.Helper()
	p.run("watch the contact's typing line", chromedp.Evaluate[chromedp.Void](`(() => {
		window.contactTyping = [];
		const box = document.querySelector("#pane-contact .typing");
		new MutationObserver(() => { if (box.textContent) window.contactTyping.push(box.textContent + (box.dataset.consultation === "true" ? " [consultation]" : "")) })
			.observe(box, {childList: true, characterData: true, subtree: true, attributes: true});
	})()`))
}

func (p player) contactTyping() []string {
	p.t.Helper()
	out, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]string](`window.contactTyping`))
	require.NoError(p.t, err)
	return out
}

// consultationSecrets are written in the consultation; the contact pane
// must never show them (R-C5).
var consultationSecrets = []string{"Can I refund the late fee?", "Yes, bring me in."}

func (p player) contactSeesNoConsultation() {
	p.t.Helper()
	for _, name := range p.attachments("contact") {
		assert.NotEqual(p.t, consultationFile, name, "R-C5: the contact pane shows a consultation attachment")
	}
	receipts := p.text(`#pane-contact .receipts`)
	assert.NotContains(p.t, receipts, "agent2", "the contact pane shows an internal agent ID in a receipt")
	lines := p.transcript("contact")
	for _, l := range lines {
		assert.False(p.t, l.Consultation, "R-C5: the contact pane shows a consultation message: %q", l.Text)
		for _, secret := range consultationSecrets {
			assert.NotContains(p.t, l.Text, secret, "R-C5: the contact pane shows a consultation message")
		}
	}
}

// The desk plays the seed's main story by clicking its buttons in a real
// browser: consult (R-C1, R-C3, R-C6) → conference (R-F1–R-F3) → the owner
// leaves and the chat goes on (R-F6). Each pane shows exactly its party's
// view; the contact pane never shows a consultation message (R-C5), and
// an unanswered message flashes the tab title (R-C9).
func TestDeskConsultConferenceOwnerLeaves(t *testing.T) {
	// The server first: cleanups run in reverse, so the browser, whose
	// event streams keep requests open, is gone before the server closes.
	srv := httptest.NewServer(desk.New(desk.Config{InviteTimeout: 5 * time.Minute}).Handler())
	t.Cleanup(srv.Close)
	ctx := browser(t)
	p := player{t: t, ctx: ctx}

	p.run("open the desk", chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.CSS(`#pane-contact .chat-input input`)))
	p.watchContactTyping()
	p.write("contact", "chat-input", "Hello, my invoice is wrong")
	p.click("agent1", "accept-chat")
	p.waitFor("agent1", "Hello, my invoice is wrong")
	p.waitJS("R-C9: agent1 owes the contact an answer", `document.body.dataset.pending === "agent1"`)
	p.write("agent1", "chat-input", "Let me check that for you.")
	p.waitJS("agent1 answered", `document.body.dataset.pending === ""`)

	// Consult (R-C1, R-C3): agent2 is invited, accepts, and reads the chat (R-C6).
	p.click("agent1", "consult")
	p.click("agent2", "accept")
	p.waitFor("agent2", "Let me check that for you.")
	// Read receipts: the pane marks what it shows read. The contact sees
	// that its agent read, under the agent's contact-facing name.
	p.waitJS("the contact sees agent1's receipt", `document.querySelector("#pane-contact .receipts").textContent.includes("Agent 1 read up to")`)
	p.waitJS("agent1 sees the contact's receipt", `!!document.querySelector('#pane-agent1 .receipts .receipt[data-party="contact"]')`)

	// Typing in the consultation (issue 17): agent2 is told, the contact
	// never (R-C5). Checked over a while after agent2 saw it: both would
	// have been told at the same moment.
	p.typeIn("agent1", "say-input", "Can I")
	p.waitJS("agent2 sees agent1 typing in the consultation", `document.querySelector("#pane-agent2 .typing").textContent === "agent1 is typing (consultation)"`)
	for range 15 {
		assert.Empty(t, p.text(`#pane-contact .typing`), "R-C5: the contact pane shows typing from a consultation")
		time.Sleep(100 * time.Millisecond)
	}
	assert.Empty(t, p.contactTyping(), "R-C5: the contact pane showed typing from a consultation")

	p.attach("agent1", "say-input", consultationFile, "application/vnd.ms-excel", 2048)
	p.write("agent1", "say-input", consultationSecrets[0])
	p.waitFor("agent2", consultationSecrets[0])
	p.waitJS("agent2's typing line ends with agent1's message", `document.querySelector("#pane-agent2 .typing").textContent === ""`)
	p.waitJS("agent2 sees the consultation's attachment, its name and size",
		`[...document.querySelectorAll("#pane-agent2 .attachment")].some(a => a.textContent === "📎 ledger.xlsx (2.0 KB)")`)
	p.waitJS("agent1 sees that agent2 read the consultation", `!!document.querySelector('#pane-agent1 .receipts .receipt[data-party="agent2"]')`)
	p.write("agent2", "say-input", consultationSecrets[1])
	p.waitFor("agent1", consultationSecrets[1])
	p.contactSeesNoConsultation()
	assert.Equal(t, []string{"Hello, my invoice is wrong", "Let me check that for you."}, texts(p.transcript("contact")))
	assert.Empty(t, p.attachments("contact"), "R-C5: the contact pane shows the consultation's attachment")

	// Typing in the chat: the contact is told, by the agent's
	// contact-facing name.
	p.typeIn("agent1", "chat-input", "One moment")
	p.waitJS("the contact sees Agent 1 typing", `document.querySelector("#pane-contact .typing").textContent === "Agent 1 is typing"`)
	assert.Equal(t, []string{"Agent 1 is typing"}, p.contactTyping(), "the contact pane showed only the chat's typing")
	agent2 := p.transcript("agent2")
	require.Len(t, agent2, 4)
	assert.True(t, agent2[2].Consultation && agent2[3].Consultation, "agent2 sees the consultation marked as such")

	// Conference (R-F1): agent2 accepts and joins the chat (R-F2); from now
	// on everyone sees every message (R-F3).
	p.click("agent1", "conference")
	p.click("agent2", "accept-request")
	p.waitFor("contact", "Agent 2 joined the conference") // the contact never sees internal IDs
	p.write("agent2", "chat-input", "I have refunded the late fee.")
	p.waitFor("contact", "I have refunded the late fee.")
	p.waitFor("agent1", "I have refunded the late fee.")
	p.attach("contact", "chat-input", chatFile, "application/pdf", 3*1024*1024)
	p.write("contact", "chat-input", "Great, thank you!")
	for _, party := range []string{"agent1", "agent2", "contact"} {
		p.waitJS(party+" sees the chat's attachment", fmt.Sprintf(
			`[...document.querySelectorAll("#pane-%s .attachment")].some(a => a.textContent === "📎 invoice.pdf (3.0 MB)")`, party))
	}
	p.waitFor("agent1", "Great, thank you!")
	p.waitFor("agent2", "Great, thank you!")
	p.waitJS("R-C9: both agents owe the contact an answer", `document.body.dataset.pending === "agent1 agent2"`)
	p.waitJS("R-C9: the tab title flashes", `document.title.startsWith("(!) Reply pending")`)
	p.contactSeesNoConsultation()
	p.screenshot()

	// The owner leaves (R-F6): agent2 becomes the owner, the chat goes on.
	p.click("agent1", "end")
	p.waitJS("agent2 is the owner now", `document.querySelector("#pane-agent2 .badge.role").textContent === "owner"`)
	p.write("contact", "chat-input", "Is the refund already visible?")
	p.waitFor("agent2", "Is the refund already visible?")
	assert.NotContains(t, texts(p.transcript("agent1")), "Is the refund already visible?", "agent1 left: it reads nothing new")
	assert.Contains(t, p.text(`#pane-agent1 .actions`), "Mark done", "agent1's part is over: it marks done (R-C8)")
	p.write("agent2", "chat-input", "Yes, it is.")
	p.contactSeesNoConsultation()
	assert.Equal(t, []string{chatFile}, p.attachments("contact"), "the contact's pane shows the chat's attachment only")
	for _, shown := range p.contactTyping() {
		assert.NotContains(t, shown, "consultation", "R-C5: the contact pane showed typing from a consultation")
		assert.NotContains(t, shown, "agent", "the contact pane showed an internal agent ID as typing")
	}
	assert.Equal(t, []string{
		"Hello, my invoice is wrong", "Let me check that for you.", "Agent 2 joined the conference",
		"I have refunded the late fee.", "Great, thank you!", "Is the refund already visible?", "Yes, it is.",
	}, texts(p.transcript("contact")), "the contact's pane shows the chat and nothing else")

	// Wrap up (R-C8): the chat closes once both agents marked done.
	p.click("agent2", "end")
	p.click("agent1", "done")
	p.click("agent2", "done")
	p.waitJS("the chat is closed", `document.querySelector("#pane-agent2 .badge.status").textContent === "chat closed"`)
	p.panesFollowDeltas()
}

// panesFollowDeltas: issue 19, the panes were kept by updates ("delta"
// events: the new messages only), and read whole ("pane") only when their
// stream connected or their view had to be read again (a party joins and
// reads the backlog, a chat comes onto the desk), never once per message.
func (p player) panesFollowDeltas() {
	p.t.Helper()
	for _, party := range []string{"contact", "agent1", "agent2"} {
		counts, err := chromedp.Run(p.ctx, chromedp.Evaluate[map[string]string](fmt.Sprintf(
			`(() => { const d = document.querySelector("#pane-%s").dataset; return {panes: d.panes || "0", deltas: d.deltas || "0"} })()`, party)))
		require.NoError(p.t, err)
		panes, _ := strconv.Atoi(counts["panes"])
		deltas, _ := strconv.Atoi(counts["deltas"])
		p.t.Logf("%s: %d panes read whole, %d updates from deltas", party, panes, deltas)
		assert.Greater(p.t, deltas, panes, "%s's pane follows deltas, not a pane per event", party)
		assert.LessOrEqual(p.t, panes, 5, "%s's pane is read whole only when it connects, joins or a chat comes", party)
	}
}

// screenshot takes the desk mid-conference. With UPDATE_SCREENSHOT=1 it
// replaces docs/desk.png; otherwise it only checks that one was taken.
func (p player) screenshot() {
	p.t.Helper()
	// Freeze the blinking badge so that the picture shows it.
	p.run("freeze the reminder", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll(".badge.pending").forEach(b => b.style.animation = "none")`))
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	require.NoError(p.t, err, "screenshot")
	require.True(p.t, bytes.HasPrefix(png, []byte("\x89PNG")), "a PNG screenshot")
	path := filepath.Join(p.t.TempDir(), "desk.png")
	if os.Getenv("UPDATE_SCREENSHOT") != "" {
		path = filepath.Join("..", "..", "..", "docs", "desk.png")
	}
	require.NoError(p.t, os.WriteFile(path, png, 0o644))
	p.t.Logf("screenshot: %s (%d bytes)", path, len(png))
}

// seen is one request that reached the desk, with the answer it got.
type seen struct {
	Method, Path, Origin string
	Status               int
}

// recorder serves the desk and keeps the requests sent from a foreign
// origin, so that a test can show they arrived and were refused.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	got  []seen
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	rec.next.ServeHTTP(sw, r)
	if o := r.Header.Get("Origin"); o != "" {
		rec.mu.Lock()
		rec.got = append(rec.got, seen{r.Method, r.URL.Path, o, sw.status})
		rec.mu.Unlock()
	}
}

func (rec *recorder) requests() []seen {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]seen(nil), rec.got...)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }
func (w *statusWriter) Flush()               { w.ResponseWriter.(http.Flusher).Flush() }

// attackPage is a foreign web page open in the same browser as the desk.
// It tries what the desk once allowed: accept the chat as agent1 with a
// request that needs no CORS preflight (text/plain) on the library's API (the
// chat is the desk's first, "1"), post in it as agent1, take over agent1's
// pane with a login, and read agent1's pane from its delta stream.
const attackPage = `<!doctype html><title>foreign</title><script>
const desk = %q;
const plain = (path, body) => fetch(desk + path, { method: "POST", mode: "no-cors", headers: { "Content-Type": "text/plain" }, body: JSON.stringify(body) });
Promise.allSettled([
  plain("/v1/interactions/1/post", { party: "agent1", text: "forged" }),
  plain("/v1/interactions/1/join", {}),
  plain("/login", { party: "agent1" }),
  fetch(desk + "/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"party":"agent1"}' }),
  new Promise((done) => { const es = new EventSource(desk + "/v1/interactions/1/deltas?party=agent1"); es.onerror = () => { es.close(); done() }; es.onmessage = () => { window.leaked = true } }),
]).then(() => { window.done = true });
</script>`

// Another web page open in the same browser can not drive the desk: its
// requests reach the server and are refused (foreign Origin), nothing
// changes on the desk, and agent1's own pane still works afterwards (its
// token was not replaced). R-X6: only the pane's party acts.
func TestForeignPageCannotDriveTheDesk(t *testing.T) {
	rec := &recorder{next: desk.New(desk.Config{InviteTimeout: 5 * time.Minute}).Handler()}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, attackPage, srv.URL)
	}))
	t.Cleanup(evil.Close)
	ctx := browser(t)
	p := player{t: t, ctx: ctx}

	p.run("open the desk", chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.CSS(`#pane-contact .chat-input input`)))
	p.write("contact", "chat-input", "Hello")
	p.waitJS("agent1 is offered the chat", `!!document.querySelector('#pane-agent1 .actions button[data-action="accept-chat"]')`)

	tab, closeTab := chromedp.NewContext(ctx) // a second tab in the same browser
	defer closeTab()
	foreign := player{t: t, ctx: tab}
	foreign.run("open the foreign page", chromedp.Navigate(evil.URL))
	foreign.waitJS("the foreign page tried everything", `window.done === true`)
	leaked, err := chromedp.Run(tab, chromedp.Evaluate[bool](`window.leaked === true`))
	require.NoError(t, err)
	assert.False(t, leaked, "the foreign page read a pane")

	got := rec.requests()
	reached := map[string]bool{}
	for _, r := range got {
		if r.Origin != evil.URL {
			continue
		}
		reached[r.Method+" "+r.Path] = true
		t.Logf("from the foreign page: %s %s → %d", r.Method, r.Path, r.Status)
		if r.Method == http.MethodOptions {
			assert.GreaterOrEqual(t, r.Status, 400, "a CORS preflight is never granted: %+v", r)
			continue
		}
		assert.Equal(t, http.StatusForbidden, r.Status, "a foreign request is refused: %+v", r)
	}
	for _, want := range []string{"POST /v1/interactions/1/post", "POST /v1/interactions/1/join", "POST /login", "GET /v1/interactions/1/deltas"} {
		assert.True(t, reached[want], "the foreign page's %s reached the desk (and was refused); seen: %+v", want, got)
	}

	// Nothing changed, and agent1's pane is still agent1's.
	assert.Equal(t, "owner · invited", p.text(`#pane-agent1 .badge.role`), "agent1 is still only offered the chat")
	p.click("agent1", "accept-chat")
	p.waitJS("agent1 took the chat from its own pane", `document.querySelector("#pane-agent1 .badge.role").textContent === "owner"`)
	assert.Empty(t, p.text(`#pane-agent1 .error`), "agent1's pane was not signed out")
}
