// The desk's renderer. The server decides what each pane shows and which
// buttons it has; this script draws it, sends clicks to the library's HTTP API (/v1/) and listens
// on /events: a "pane" event is the pane whole (a page of the party's
// view: its last messages), sent when the stream (re)connects or the view
// must be read again; a "delta" event updates it (header, parties,
// consultations, buttons) and carries only the new messages, which are
// appended. Each pane counts both in its data-panes and data-deltas
// attributes.
//
// Chat extras (issue 17): typing in a box sends "typing" (at most every
// two seconds; the draft's scope is the box's: the chat or the
// consultation), and a "typing" event shows "… is typing" until its
// deadline (expiresIn) or that party's next message; a pane marks what it
// shows read ("read", its last message) and shows how far the others read
// ("read up to n", the server's receipts); a file chosen in a box is sent
// as an attachment (its name, type and size: the desk keeps no files) and
// a message shows its attachments' names and sizes.
//
// Each pane first opens itself with POST /login (the demo's sign-in) and
// gets a token: the server takes the acting party from it, never from
// what a request says. Clicks send it in the X-Pane-Token header; the
// event stream, which can not send a header, in its URL.
//
// Every click and box is a command of the library's HTTP API
// (POST /v1/interactions/{id}/<command>, docs/http.md), which the desk
// serves behind its guards with the pane token as the Authenticator's
// credential; the contact's first message opens a chat to the desk's
// group (POST /v1/interactions), which routing offers to agent1.
"use strict";

const panes = {};
const pendingParties = new Set();

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function setup(section) {
  const party = section.dataset.party;
  section.append(document.getElementById("pane-template").content.cloneNode(true));
  section.querySelector(".name").textContent = party;
  section.querySelector(".avatar").textContent = party === "contact" ? "C" : party.replace("agent", "A");
  const pane = { party, section, state: null, token: null, typing: new Map(), read: 0, typedAt: {} };
  panes[party] = pane;

  const submit = (form, body) => {
    const input = form.elements.text, files = form.elements.files;
    const attachments = [...(files.files || [])].map((f) => ({ name: f.name, mediaType: f.type || "application/octet-stream", size: f.size }));
    if (!input.value.trim() && attachments.length === 0) return;
    act(pane, { ...body, text: input.value, attachments }).then((ok) => { if (ok) { input.value = ""; files.value = ""; } });
  };
  section.querySelector(".chat-input").addEventListener("submit", (ev) => {
    ev.preventDefault();
    submit(ev.target, { action: "post" });
  });
  section.querySelector(".say-input").addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!pane.state) return;
    submit(ev.target, { action: "say", leg: pane.state.sayLeg });
  });
  // Typing: told at most every two seconds per box, while there is text.
  section.querySelector(".chat-input input[name=text]").addEventListener("input", (ev) => {
    if (ev.target.value) typing(pane, "chat", {});
  });
  section.querySelector(".say-input input[name=text]").addEventListener("input", (ev) => {
    if (ev.target.value && pane.state && pane.state.sayLeg) typing(pane, "leg", { leg: pane.state.sayLeg });
  });

  pane.ready = login(pane);
}

// login opens the pane: it gets the pane's token, then its event stream.
async function login(pane) {
  const errorBox = pane.section.querySelector(".error");
  try {
    const resp = await fetch("/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ party: pane.party }) });
    const out = await resp.json();
    if (!resp.ok || !out.token) throw new Error(out.error || "login refused");
    pane.token = out.token;
  } catch (err) {
    errorBox.textContent = "Could not open this pane: " + err.message;
    return false;
  }
  const events = new EventSource("/events?token=" + encodeURIComponent(pane.token));
  events.addEventListener("pane", (ev) => { count(pane, "panes"); render(pane, JSON.parse(ev.data)); });
  events.addEventListener("delta", (ev) => { count(pane, "deltas"); update(pane, JSON.parse(ev.data)); });
  events.addEventListener("typing", (ev) => showTyping(pane, JSON.parse(ev.data)));
  events.addEventListener("error", () => {
    // A refused stream is closed for good (a lost one is retried): the
    // token was replaced, most likely by the desk opened in another tab.
    if (events.readyState === EventSource.CLOSED) errorBox.textContent = signedOut;
  });
  return true;
}

const signedOut = "This pane was opened elsewhere: reload the page to take it back.";

// command is the httpapi command a click or a box sends: its name and
// body (docs/http.md). The contact's first message, which opens a chat
// (POST /v1/interactions) is opened to the desk's group, whose one agent
// is agent1.
function command(pane, b) {
  const atts = (b.attachments || []).map((a) => ({ name: a.name, media_type: a.mediaType, size: a.size, ref: fileRef() }));
  const leg = { leg: b.leg };
  switch (b.action) {
    case "post": return ["post", { text: b.text, attachments: atts }];
    case "say": return ["say", { leg: b.leg, text: b.text, attachments: atts }];
    case "typing": return ["typing", b.leg ? leg : {}];
    case "read": return ["read", { seq: b.seq }];
    case "accept-chat": return ["join", {}];
    case "end": case "done": return [b.action, {}];
    case "consult": return ["consult", { target: { kind: "agent", id: b.target }, medium: b.medium || "chat" }];
    case "remove": return ["remove", { member: b.target }];
    case "accept-request": case "decline-request": case "cancel-request": return [b.action, { request: b.leg }];
  }
  return [b.action, leg]; // accept, decline, cancel, end-consultation, transfer, conference
}

// fileRef names an attachment: the desk keeps no files (a real service
// would name the object it stored).
let files = 0;
function fileRef() { return "desk-file-" + Date.now().toString(36) + "-" + (++files); }

// opens: the contact writes with no chat going on (its message opens one).
function opens(pane, body) {
  const s = pane.state;
  return pane.party === "contact" && body.action === "post" && !(s && (s.status === "waiting" || s.status === "active"));
}

// send sends a click or a box over the API (or, for a contact's first
// message, POST /v1/interactions) and answers the response and the error
// to show ("" when none).
async function send(pane, body) {
  const headers = { "Content-Type": "application/json", "X-Pane-Token": pane.token };
  if (opens(pane, body)) {
    if ((body.attachments || []).length > 0) return [null, "the first message of a chat carries no attachments"];
    const resp = await fetch("/v1/interactions", { method: "POST", headers, body: JSON.stringify({ text: body.text, target: { kind: "group", id: "desk" } }) });
    const out = await resp.json();
    return [resp, resp.ok ? "" : (out.detail || out.title || "refused")];
  }
  if (!pane.state || !pane.state.interaction) return [null, "no chat yet: the contact writes first"];
  const [name, b] = command(pane, body);
  const resp = await fetch("/v1/interactions/" + encodeURIComponent(pane.state.interaction) + "/" + name, { method: "POST", headers, body: JSON.stringify(b) });
  const out = await resp.json();
  return [resp, resp.ok ? "" : (out.detail || out.title || "refused")];
}

async function act(pane, body) {
  const errorBox = pane.section.querySelector(".error");
  if (!(await pane.ready)) return false;
  try {
    const [resp, error] = await send(pane, body);
    errorBox.textContent = resp && resp.status === 401 ? signedOut : error;
    return !error;
  } catch (err) {
    errorBox.textContent = String(err);
    return false;
  }
}

// quiet sends a command whose answer the pane does not show (typing, read):
// the event stream brings what it changes.
async function quiet(pane, body) {
  if (!(await pane.ready)) return;
  try { await send(pane, body); } catch (err) { /* a lost signal is no harm */ }
}

function typing(pane, box, body) {
  const now = Date.now();
  if (now - (pane.typedAt[box] || 0) < 2000) return;
  pane.typedAt[box] = now;
  quiet(pane, { action: "typing", ...body });
}

// showTyping shows one typing signal until its deadline.
function showTyping(pane, t) {
  const key = t.party + " " + (t.leg || "");
  const old = pane.typing.get(key);
  if (old) clearTimeout(old.timer);
  t.timer = setTimeout(() => { pane.typing.delete(key); drawTyping(pane); }, t.expiresIn);
  pane.typing.set(key, t);
  drawTyping(pane);
}

// endTyping: a party's message ends its typing in that scope.
function endTyping(pane, msgs) {
  for (const m of msgs) {
    for (const [key, t] of pane.typing) {
      if (t.party === m.author && t.consultation === !!m.consultation) { clearTimeout(t.timer); pane.typing.delete(key); }
    }
  }
  drawTyping(pane);
}

function drawTyping(pane) {
  const box = pane.section.querySelector(".typing");
  box.textContent = [...pane.typing.values()].map((t) => t.name + " is typing" + (t.consultation ? " (consultation)" : "")).join(" · ");
  box.dataset.consultation = [...pane.typing.values()].some((t) => t.consultation) ? "true" : "false";
}

// markRead marks the pane's last message read, once per message.
function markRead(pane, s) {
  const msgs = s.messages || [];
  if (!s.status || s.membership !== "joined" || msgs.length === 0) return;
  const last = msgs[msgs.length - 1].seq;
  if (last <= pane.read) return;
  pane.read = last;
  quiet(pane, { action: "read", seq: last });
}

function size(n) {
  if (n < 1024) return n + " B";
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KB";
  return (n / 1024 / 1024).toFixed(1) + " MB";
}

// keep is how many messages a pane keeps on screen (the server's window).
const keep = 50;

function count(pane, what) {
  pane.section.dataset[what] = String(Number(pane.section.dataset[what] || 0) + 1);
}

// update applies a "delta": the new messages are appended to those the
// pane holds, the rest replaces what it shows. A delta older than what
// the pane shows (an answer to a click came first) or of another chat is
// dropped: what it carries is in the newer pane.
function update(pane, d) {
  if (!pane.state || d.seq < pane.state.seq || d.interaction !== pane.state.interaction) return;
  const held = pane.state.messages || [];
  const last = held.length ? held[held.length - 1].seq : 0;
  const fresh = (d.messages || []).filter((m) => m.seq > last);
  render(pane, { ...d, messages: held.concat(fresh).slice(-keep) }, fresh);
  endTyping(pane, fresh);
}

// render draws pane state s; appended, when given, are the messages added
// to what is on screen (only they are drawn), else the transcript is
// drawn whole.
function render(pane, s, appended) {
  if (pane.state && s.seq < pane.state.seq) return; // an older pane, overtaken
  const drawn = pane.state;
  pane.state = s;
  const q = (sel) => pane.section.querySelector(sel);
  const agent = !s.contact;

  const role = q(".badge.role");
  role.textContent = s.status ? (s.role + (s.membership !== "joined" ? " · " + s.membership : "")) : "";
  const status = q(".badge.status");
  status.textContent = s.status ? "chat " + s.status : "no chat";
  status.className = "badge status " + (s.status || "");
  pane.section.classList.toggle("is-pending", !!s.pending);
  q(".badge.pending").textContent = "reply pending" + (s.pending && s.reminders ? " · reminded " + s.reminders + "×" : "");
  if (s.pending) pendingParties.add(s.party); else pendingParties.delete(s.party);

  const parties = q(".parties");
  parties.replaceChildren(...(s.parties || []).filter((p) => p.id !== s.party).map((p) => {
    const chip = el("span", "chip");
    chip.append(el("b", "", p.id), " " + p.role + (p.membership !== "joined" ? " · " + p.membership : ""));
    return chip;
  }));

  const legs = q(".consultations");
  legs.replaceChildren(...(s.consultations || []).filter((l) => l.state === "inviting" || l.state === "active").map((l) => {
    const other = l.owner === s.party ? l.agent : l.owner;
    return el("span", "chip leg", l.medium + " consultation with " + other + ": " + l.state);
  }));

  const list = q(".transcript");
  const msgs = s.messages || [];
  const line = (m) => {
    const li = el("li", "msg");
    li.dataset.seq = m.seq;
    if (m.notice) li.classList.add("notice");
    if (m.consultation) { li.classList.add("consultation"); li.dataset.consultation = "true"; }
    if (m.author === s.party) li.classList.add("mine");
    li.append(el("div", "meta", (m.author === s.party ? "you" : m.author) + " · " + m.time), el("div", "bubble", m.text));
    for (const a of m.attachments || []) {
      const att = el("div", "attachment", "📎 " + a.name + " (" + size(a.size) + ")");
      att.dataset.name = a.name;
      att.dataset.size = String(a.size);
      li.append(att);
    }
    return li;
  };
  if (msgs.length === 0) {
    const hint = s.contact ? "Write below to start a chat." : (s.status ? "Nothing to read yet." : "No chat for you yet.");
    list.replaceChildren(el("li", "empty", hint));
  } else if (appended && drawn && (drawn.messages || []).length > 0) {
    // Only the new lines; the oldest go once the pane holds more than keep.
    list.append(...appended.map(line));
    while (list.children.length > msgs.length) list.firstElementChild.remove();
  } else {
    list.replaceChildren(...msgs.map(line));
  }
  if (!appended || appended.length > 0) list.scrollTop = list.scrollHeight;

  q(".receipts").replaceChildren(...(s.receipts || []).map((r) => {
    const chip = el("span", "receipt", r.name + " read up to " + r.seq);
    chip.dataset.party = r.party;
    return chip;
  }));
  markRead(pane, s);

  const actions = q(".actions");
  const nodes = [];
  let medium = null;
  for (const a of s.actions || []) {
    if (a.medium && !medium) {
      medium = el("select", "medium");
      medium.setAttribute("aria-label", "consultation medium");
      for (const [v, label] of [["chat", "by chat"], ["im", "by IM"], ["voice", "by voice"]]) {
        const o = el("option", "", label);
        o.value = v;
        medium.append(o);
      }
    }
    const b = el("button", a.primary ? "primary" : "", a.label);
    b.type = "button";
    b.dataset.action = a.action;
    if (a.leg) b.dataset.leg = a.leg;
    if (a.target) b.dataset.target = a.target;
    b.addEventListener("click", () => act(pane, {
      action: a.action, leg: a.leg, target: a.target, medium: a.medium && medium ? medium.value : undefined,
    }));
    nodes.push(b);
  }
  if (medium) nodes.push(medium);
  actions.replaceChildren(...nodes);

  const chat = q(".chat-input");
  chat.hidden = !s.canPost;
  chat.elements.text.placeholder = s.contact ? (s.status === "waiting" || s.status === "active" ? "Message the agent" : "Start a chat") : "Message the contact";
  const say = q(".say-input");
  say.hidden = !s.sayLeg;
  if (s.sayLeg) {
    const leg = (s.consultations || []).find((l) => l.id === s.sayLeg);
    const other = leg ? (leg.owner === s.party ? leg.agent : leg.owner) : "";
    say.elements.text.placeholder = "Consultation with " + other + " (private)";
  }
  updateTitle();
}

// R-C9: while an agent owes an answer, the tab title flashes.
let flashOn = false;
function updateTitle() {
  document.body.dataset.pending = [...pendingParties].sort().join(" ");
  if (pendingParties.size === 0) document.title = "Agent desk";
}
setInterval(() => {
  if (pendingParties.size === 0) return;
  flashOn = !flashOn;
  document.title = flashOn ? "(!) Reply pending: " + [...pendingParties].sort().join(", ") : "Agent desk";
}, 800);

document.querySelectorAll(".pane").forEach(setup);
