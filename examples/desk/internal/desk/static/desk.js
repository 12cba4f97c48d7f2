// The desk's page: a client of the library's HTTP API (/v1/, docs/http.md)
// and of nothing else of the desk's but /login. Each pane builds its party's
// pane itself: it reads a page of its view (GET /v1/interactions/{id}/page,
// chatconsult.page/v1: the last messages), then keeps it current with the
// deltas of its stream (GET /v1/interactions/{id}/deltas,
// chatconsult.delta/v2, applied as interaction.Page.Apply does), and reads
// a page again only when a delta says Reset (it joined and reads the
// backlog, say) or one was missed. It counts both in its data-panes and
// data-deltas attributes. The buttons, whether it may write and in which
// consultation, come from the page (paneOf, actionsFor): the library still
// decides, and a refused click shows its problem's detail.
//
// An agent's pane learns of the chat it is offered or invited to from its
// invitations (GET /v1/me/invitations), and whether it owes an answer
// (R-C9) from GET /v1/me/pending; reminders come on its stream
// ("reminder"). The contact's pane opens its chat itself
// (POST /v1/interactions, to the desk's group, which routing offers to
// agent1).
//
// Chat extras (issue 17): typing in a box sends "typing" (at most every
// two seconds; the draft's scope is the box's: the chat or the
// consultation), and a "typing" event shows "… is typing" until its
// deadline or that party's next message; a pane marks what it shows read
// ("read", its last message) and shows how far the others read (the
// page's receipts); a file chosen in a box is sent as an attachment (its
// name, type and size: the desk keeps no files) and a message shows its
// attachments' names and sizes.
//
// Each pane first opens itself with POST /login (the demo's sign-in) and
// gets a token: the server takes the acting party from it, never from
// what a request says. Requests send it in the X-Pane-Token header; the
// event stream, which can not send a header, in its URL.
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
  const pane = { party, section, state: null, token: null, typing: new Map(), read: 0, typedAt: {}, id: null, page: null, events: null, seen: new Set(), pending: false, reminders: 0 };
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

// login opens the pane: it gets the pane's token, draws the pane without
// a chat and, for an agent, starts watching its invitations.
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
  draw(pane);
  if (pane.party !== "contact") watch(pane);
  return true;
}

// get reads one of the API's JSON documents as the pane's party.
async function get(pane, path) {
  const resp = await fetch(path, { headers: { "X-Pane-Token": pane.token } });
  if (resp.status === 401) { pane.section.querySelector(".error").textContent = signedOut; pane.out = true; }
  if (!resp.ok) return null;
  return resp.json();
}

// watch polls an agent's invitations (a chat offered to it, a
// consultation, transfer or conference it is asked to: the pane follows
// the newest chat) and its pending answers (R-C9).
async function watch(pane) {
  while (!pane.out) {
    try {
      const inv = await get(pane, "/v1/me/invitations");
      for (const i of (inv && inv.invitations) || []) {
        if (i.interaction !== pane.id && !pane.seen.has(i.interaction)) await connect(pane, i.interaction);
      }
      const p = await get(pane, "/v1/me/pending");
      const pending = !!p && (p.pending || []).some((x) => x.interaction === pane.id);
      if (pending !== pane.pending) { pane.pending = pending; draw(pane); }
    } catch (err) { /* the next round tries again */ }
    await new Promise((done) => setTimeout(done, 300));
  }
}

// connect puts chat id on the pane: a page read, then its delta stream.
async function connect(pane, id) {
  if (pane.events) pane.events.close();
  pane.seen.add(id);
  pane.id = id;
  pane.page = null;
  pane.reminders = 0;
  pane.read = 0;
  if (!(await readPage(pane))) return;
  const url = "/v1/interactions/" + encodeURIComponent(id) + "/deltas?after=" + pane.page.changes + "&token=" + encodeURIComponent(pane.token);
  const events = new EventSource(url);
  pane.events = events;
  events.addEventListener("delta", (ev) => { if (pane.events === events) onDelta(pane, JSON.parse(ev.data)); });
  events.addEventListener("typing", (ev) => { if (pane.events === events) onTyping(pane, JSON.parse(ev.data).event); });
  events.addEventListener("reminder", () => { if (pane.events === events) { pane.reminders++; draw(pane); } });
  events.addEventListener("error", () => {
    // A refused stream is closed for good (a lost one is retried): the
    // token was replaced, most likely by the desk opened in another tab.
    if (events.readyState === EventSource.CLOSED && pane.events === events) pane.section.querySelector(".error").textContent = signedOut;
  });
}

// readPage reads the pane's page of its chat and draws it whole.
async function readPage(pane) {
  const id = pane.id;
  const pg = await get(pane, "/v1/interactions/" + encodeURIComponent(id) + "/page?last=" + keep);
  if (!pg || pane.id !== id) return false;
  pg.files = {};
  for (const a of pg.attachments || []) (pg.files[a.seq] = pg.files[a.seq] || []).push(a);
  pane.page = pg;
  count(pane, "panes");
  draw(pane);
  return true;
}

// onDelta applies one delta to the page, or reads the page again.
async function onDelta(pane, d) {
  const pg = pane.page;
  if (!pg || d.interaction !== pane.id || pane.reading) return;
  const before = pg.messages.length ? pg.messages[pg.messages.length - 1].seq : 0;
  const had = pg.changes;
  if (!apply(pg, d)) {
    pane.reading = readPage(pane).finally(() => { pane.reading = null; });
    return;
  }
  if (pg.changes === had) return; // the page had it
  if (pg.messages.length > keep) pg.messages = pg.messages.slice(-keep);
  const fresh = pg.messages.filter((m) => m.seq > before);
  count(pane, "deltas");
  draw(pane, fresh);
  endTyping(pane, paneOf(pane).messages.filter((m) => m.seq > before));
}

// apply is interaction.Page.Apply: it brings page pg up to date with delta
// d, or answers false when the page must be read again.
function apply(pg, d) {
  if (d.changes <= pg.changes) return true;
  if (d.reset || d.changes !== pg.changes + 1) return false;
  const m = d.message;
  if (m && (m.seq !== pg.total + 1 || d.total !== m.seq)) return false;
  if (!m && d.total !== pg.total) return false;
  const last = pg.messages.length ? pg.messages[pg.messages.length - 1].seq : 0;
  if (m && (pg.messages.length === 0 || last === pg.total)) {
    pg.messages.push(m);
    const atts = (d.event && d.event.attachments) || [];
    if (atts.length) pg.files[m.seq] = atts;
  }
  if (d.receipt) {
    pg.receipts = (pg.receipts || []).filter((r) => r.party !== d.receipt.party).concat([d.receipt]);
    pg.receipts.sort((a, b) => (a.party < b.party ? -1 : a.party > b.party ? 1 : 0));
  }
  Object.assign(pg, { total: d.total, changes: d.changes, version: d.version, role: d.role, membership: d.membership, status: d.status, ended: d.ended });
  pg.parties = pg.parties || [];
  if (d.party) {
    const k = pg.parties.findIndex((p) => p.id === d.party.id);
    if (k >= 0) pg.parties[k] = d.party;
    else pg.parties.splice(Math.min(Math.max(d.party_at || 0, 0), pg.parties.length), 0, d.party);
  }
  for (const p of pg.parties) if (p.id === pg.viewer) { p.role = d.role; p.membership = d.membership; }
  const upsert = (list, x) => { const k = (list || []).findIndex((y) => y.id === x.id); list = list || []; if (k >= 0) list[k] = x; else list.push(x); return list; };
  if (d.consultation) pg.consultations = upsert(pg.consultations, d.consultation);
  if (d.request) pg.requests = upsert(pg.requests, d.request);
  return true;
}

// onTyping shows a typing signal (an event document) as the pane's party
// is told it.
function onTyping(pane, ev) {
  if (!ev || !pane.page) return;
  showTyping(pane, { party: ev.actor, name: nameIn(pane.page, ev.actor), consultation: ev.scope && ev.scope.kind === "leg", leg: ev.leg,
    expiresIn: Math.max(0, Date.parse(ev.deadline) - Date.now()) });
}

// nameIn is how the page's viewer names party p: its name when the view
// gives one (the contact's "Agent 1"), else its ID.
function nameIn(pg, p) {
  const q = (pg.parties || []).find((x) => x.id === p);
  return q && q.name ? q.name : p;
}

// The agents of the desk, in order (a consult button per other agent).
const agents = ["agent1", "agent2"];

// paneOf is what the pane shows: its page, as its party sees it, with the
// buttons it may press.
function paneOf(pane) {
  const party = pane.party, contact = party === "contact", pg = pane.page;
  const s = { party, contact, parties: [], messages: [], consultations: [], actions: [], receipts: [], canPost: contact, pending: false, reminders: 0 };
  // A party that declined or whose invitation was withdrawn never took
  // part: the chat is not on its desk.
  if (!pg || ["none", "declined", "withdrawn"].includes(pg.membership)) return s;
  const present = pg.membership === "joined";
  const live = pg.status === "waiting" || pg.status === "active";
  Object.assign(s, { interaction: pg.interaction, status: pg.status, role: pg.role, membership: pg.membership, total: pg.total,
    pending: pane.pending, reminders: pane.reminders });
  s.parties = (pg.parties || []).map((p) => ({ id: p.id, role: p.role, membership: p.membership }));
  s.receipts = (pg.receipts || []).filter((r) => r.party !== party).map((r) => ({ party: r.party, name: nameIn(pg, r.party), seq: r.seq }));
  s.messages = (pg.messages || []).map((m) => ({
    seq: m.seq, time: new Date(m.time).toISOString().substr(11, 8), author: m.author, text: m.text, notice: m.kind === "notice",
    consultation: m.scope && m.scope.kind === "leg", onlyYou: m.scope && m.scope.kind === "party",
    attachments: (pg.files[m.seq] || []).map((a) => ({ name: a.name, mediaType: a.media_type, size: a.size })),
  }));
  s.consultations = (pg.consultations || []).map((l) => ({ id: l.id, owner: l.owner, agent: l.invitee, medium: l.medium, state: l.state }));
  const say = (pg.consultations || []).find((l) => l.state === "active" && l.medium !== "voice");
  if (say) s.sayLeg = say.id;
  s.canPost = contact ? (!live || present) : present && (pg.role === "owner" || pg.role === "member") && pg.status === "active";
  s.actions = actionsFor(pg, party);
  return s;
}

// actionsFor lists the buttons the page's viewer may press now: what the
// library would accept in this state, as far as the view shows it.
function actionsFor(pg, party) {
  const present = pg.membership === "joined", active = pg.status === "active";
  if (party === "contact") return present ? [{ action: "end", label: "End chat" }] : [];
  const out = [];
  if (pg.role === "owner" && pg.membership === "invited") out.push({ action: "accept-chat", label: "Accept chat", primary: true });
  const requests = pg.requests || [];
  for (const l of pg.consultations || []) {
    if (l.owner !== party && l.invitee !== party) continue;
    const other = party === l.invitee ? l.owner : l.invitee;
    if (l.state === "inviting" && party === l.invitee) {
      out.push({ action: "accept", label: "Accept " + l.medium + " consultation", leg: l.id, primary: true },
        { action: "decline", label: "Decline consultation", leg: l.id });
    } else if (l.state === "inviting") {
      out.push({ action: "cancel", label: "Cancel invitation to " + other, leg: l.id });
    } else if (l.state === "active") {
      out.push({ action: "end-consultation", label: "End consultation", leg: l.id });
      const asked = requests.some((r) => r.via === l.id && r.state === "pending");
      if (party === l.owner && pg.role === "owner" && present && active && !asked) {
        out.push({ action: "transfer", label: "Transfer to " + other, leg: l.id },
          { action: "conference", label: "Conference with " + other, leg: l.id });
      }
    }
  }
  for (const r of requests) {
    if (r.state !== "pending") continue;
    if (party === r.invitee) {
      out.push({ action: "accept-request", label: "Accept " + r.kind, leg: r.id, primary: true },
        { action: "decline-request", label: "Decline " + r.kind, leg: r.id });
    } else if (party === r.owner) {
      out.push({ action: "cancel-request", label: "Cancel " + r.kind + " request", leg: r.id });
    }
  }
  const parties = pg.parties || [];
  if (pg.role === "owner" && present && active) {
    for (const a of agents) {
      const q = parties.find((p) => p.id === a);
      if (a !== party && (!q || q.membership !== "joined" && q.membership !== "invited")) out.push({ action: "consult", label: "Consult " + a, target: a, medium: true });
    }
    for (const q of parties) if (q.role === "member" && q.membership === "joined") out.push({ action: "remove", label: "Remove " + q.id, target: q.id });
  }
  if (present && (pg.role === "owner" || pg.role === "member") && active) out.push({ action: "end", label: "End my session" });
  const tookPart = !["invited", "none", "declined", "withdrawn"].includes(pg.membership);
  if (tookPart && pg.membership !== "done" && (!present || pg.status === "ended") && pg.status !== "closed") {
    out.push({ action: "done", label: "Mark done", primary: true });
  }
  return out;
}

// draw draws the pane; fresh, when given, are the messages a delta added
// (only they are drawn).
function draw(pane, fresh) {
  const s = paneOf(pane);
  const seqs = fresh ? new Set(fresh.map((m) => m.seq)) : null;
  render(pane, s, seqs ? s.messages.filter((m) => seqs.has(m.seq)) : undefined);
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
    if (resp.ok) connect(pane, out.interaction);
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

// render draws pane state s; appended, when given, are the messages added
// to what is on screen (only they are drawn), else the transcript is
// drawn whole.
function render(pane, s, appended) {
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
