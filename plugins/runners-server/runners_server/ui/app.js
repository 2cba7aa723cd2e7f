// The runners serve web UI: plain JavaScript over the server's own API, no build step.
// The view lives in the URL hash (#/app/user/session), so a reload shows the same session.
"use strict";

const $ = (id) => document.getElementById(id);
const PAGE = 20;
const view = {
  app: "", user: localStorage.getItem("runners.user") || "user",
  token: sessionStorage.getItem("runners.token") || "", session: "", nextPage: null,
};

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function status(text) { $("status").textContent = text || ""; }

function headers(json) {
  const h = json ? { "Content-Type": "application/json" } : {};
  if (view.token) h.Authorization = `Bearer ${view.token}`;
  return h;
}

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options, headers: headers(options.body !== undefined),
  });
  if (response.status === 401) {
    $("token-label").hidden = false;
    throw new Error("this server needs a token: enter it and press Switch");
  }
  const body = await response.text();
  const data = body ? JSON.parse(body) : null;
  if (!response.ok) {
    const detail = data && data.detail;
    throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
  }
  return { data, response };
}

const userBase = () =>
  `/apps/${encodeURIComponent(view.app)}/users/${encodeURIComponent(view.user)}`;
const sessionBase = () => `${userBase()}/sessions/${encodeURIComponent(view.session)}`;

// ---------------------------------------------------------------- navigation

function go(session) {
  location.hash = `#/${encodeURIComponent(view.app)}/${encodeURIComponent(view.user)}` +
    (session ? `/${encodeURIComponent(session)}` : "");
}

async function route() {
  const [app, user, session] = location.hash.replace(/^#\/?/, "").split("/")
    .map((part) => decodeURIComponent(part || ""));
  const apps = [...$("app").options].map((option) => option.value);
  const nextApp = apps.includes(app) ? app : apps[0] || "";
  const nextUser = user || view.user;
  const listChanged = nextApp !== view.app || nextUser !== view.user || !$("sessions").dataset.loaded;
  view.app = nextApp; view.user = nextUser; view.session = session || "";
  $("app").value = view.app; $("user").value = view.user;
  localStorage.setItem("runners.user", view.user);
  status("");
  try {
    if (listChanged) await loadSessions(true);
    markCurrent();
    if (view.session) await openSession(); else showEmpty();
  } catch (error) { status(error.message); }
}

async function loadApps() {
  const { data } = await api("/list-apps");
  $("app").replaceChildren(...data.map((name) => el("option", { value: name }, name)));
}

// ---------------------------------------------------------------- sessions

async function loadSessions(reset) {
  const list = $("sessions");
  if (reset) { list.replaceChildren(); view.nextPage = null; }
  const params = new URLSearchParams({ pageSize: PAGE });
  if (!reset && view.nextPage) params.set("pageToken", view.nextPage);
  const { data, response } = await api(`${userBase()}/sessions?${params}`);
  for (const session of data) {
    const link = el("a", { href: "#", "data-session": session.id, title: session.id },
      session.id);
    link.addEventListener("click", (event) => { event.preventDefault(); go(session.id); });
    list.append(el("li", {}, link));
  }
  list.dataset.loaded = "1";
  view.nextPage = response.headers.get("X-Next-Page-Token");
  $("more-sessions").hidden = !view.nextPage;
}

function markCurrent() {
  for (const link of $("sessions").querySelectorAll("a")) {
    link.classList.toggle("current", link.dataset.session === view.session);
  }
}

function showEmpty() {
  $("session").hidden = true; $("side-pane").hidden = true; $("empty").hidden = false;
}

async function newSession() {
  const { data } = await api(`${userBase()}/sessions`, { method: "POST", body: "{}" });
  await loadSessions(true);
  go(data.id);
}

async function openSession() {
  const { data } = await api(sessionBase());
  $("empty").hidden = true; $("session").hidden = false; $("side-pane").hidden = false;
  $("session-title").textContent = `Session ${data.id}`;
  const timeline = $("timeline");
  timeline.replaceChildren(...data.events.map((event) => eventCard(event)));
  timeline.scrollTop = timeline.scrollHeight;
  renderState(data.state);
  await loadArtifacts();
}

// ---------------------------------------------------------------- timeline

function eventCard(event) {
  const kind = event.author === "user" ? "user" : "agent";
  const card = el("li", {
    class: `event ${kind}${event.partial ? " partial" : ""}`,
    "data-id": event.id || "", "data-author": event.author,
  });
  fillCard(card, event);
  return card;
}

function fillCard(card, event) {
  const when = event.timestamp ? new Date(event.timestamp * 1000).toLocaleTimeString() : "";
  const flags = [event.partial && "streaming", event.turnComplete && "turn complete"]
    .filter(Boolean).join(", ");
  card.replaceChildren(el("div", { class: "meta" },
    `${event.author} · ${when}${flags ? ` · ${flags}` : ""}`));
  for (const part of (event.content && event.content.parts) || []) {
    if (part.text != null) card.append(el("div", { class: "text" }, part.text));
    if (part.functionCall) {
      card.append(el("div", { class: "call" },
        `call ${part.functionCall.name}(${JSON.stringify(part.functionCall.args || {})})`));
    }
    if (part.functionResponse) {
      card.append(el("div", { class: "response" },
        `${part.functionResponse.name} → ${JSON.stringify(part.functionResponse.response || {})}`));
    }
    if (part.inlineData) {
      card.append(el("div", { class: "call" }, `[${part.inlineData.mimeType || "bytes"}]`));
    }
  }
  const actions = event.actions || {};
  if (actions.stateDelta && Object.keys(actions.stateDelta).length) {
    card.append(el("div", { class: "delta state-delta" },
      `state: ${JSON.stringify(actions.stateDelta)}`));
  }
  if (actions.artifactDelta && Object.keys(actions.artifactDelta).length) {
    const delta = el("div", { class: "delta artifact-delta" }, "artifacts: ");
    for (const [name, version] of Object.entries(actions.artifactDelta)) {
      const link = el("a", { href: "#" }, `${name} v${version}`);
      link.addEventListener("click", (e) => { e.preventDefault(); showArtifact(name, version); });
      delta.append(link, " ");
    }
    card.append(delta);
  }
  if (actions.transferToAgent) {
    card.append(el("div", { class: "delta" }, `transfer to ${actions.transferToAgent}`));
  }
  if (event.errorMessage) card.append(el("div", { class: "delta" }, event.errorMessage));
}

function addCard(event) {
  const timeline = $("timeline");
  const same = event.id && timeline.querySelector(`li.event:not(.partial)[data-id="${event.id}"]`);
  if (same) {
    // ADK sends an event with content and an artifact change as two frames with one id.
    const merged = JSON.parse(same.dataset.json);
    merged.actions = { ...(merged.actions || {}), ...(event.actions || {}) };
    merged.actions.artifactDelta = {
      ...((JSON.parse(same.dataset.json).actions || {}).artifactDelta || {}),
      ...((event.actions || {}).artifactDelta || {}),
    };
    same.dataset.json = JSON.stringify(merged);
    fillCard(same, merged);
    return;
  }
  const card = eventCard(event);
  card.dataset.json = JSON.stringify(event);
  timeline.append(card);
  timeline.scrollTop = timeline.scrollHeight;
}

// ---------------------------------------------------------------- chat (streamed)

async function send(text) {
  const timeline = $("timeline");
  addCard({ author: "user", content: { role: "user", parts: [{ text }] },
    timestamp: Date.now() / 1000 });
  timeline.dataset.partials = "0";
  let live = null;
  const response = await fetch("/run_sse", {
    method: "POST", headers: headers(true),
    body: JSON.stringify({
      appName: view.app, userId: view.user, sessionId: view.session, streaming: true,
      newMessage: { role: "user", parts: [{ text }] },
    }),
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(typeof body.detail === "string" ? body.detail : `HTTP ${response.status}`);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!frame.startsWith("data: ")) continue;
      const event = JSON.parse(frame.slice(6));
      if (event.error) {
        timeline.append(el("li", { class: "event error" }, event.error));
        continue;
      }
      if (event.partial) {
        timeline.dataset.partials = String(Number(timeline.dataset.partials) + 1);
        if (!live) {
          live = eventCard({ ...event, content: { parts: [{ text: "" }] } });
          live.classList.add("live");
          timeline.append(live);
        }
        const shown = live.querySelector(".text");
        shown.textContent += (event.content.parts || []).map((p) => p.text || "").join("");
        timeline.scrollTop = timeline.scrollHeight;
        continue;
      }
      if (live) { live.remove(); live = null; }
      addCard(event);
    }
  }
  if (live) live.remove();
  const { data } = await api(sessionBase());
  renderState(data.state);
  await loadArtifacts();
}

// ---------------------------------------------------------------- state and artifacts

function renderState(state) {
  const scopes = { session: {}, "user:": {}, "app:": {} };
  for (const [key, value] of Object.entries(state || {})) {
    const scope = key.startsWith("app:") ? "app:" : key.startsWith("user:") ? "user:" : "session";
    scopes[scope][key] = value;
  }
  $("state").replaceChildren(...Object.entries(scopes).map(([scope, values]) => {
    const rows = Object.entries(values).map(([key, value]) =>
      el("tr", {}, el("td", {}, key), el("td", {}, JSON.stringify(value))));
    return el("div", { class: "scope", "data-scope": scope },
      el("h3", {}, scope === "session" ? "session" : `${scope} (shared)`),
      rows.length ? el("table", {}, ...rows) : el("div", { class: "meta" }, "empty"));
  }));
}

async function loadArtifacts() {
  const { data } = await api(`${sessionBase()}/artifacts`);
  $("artifacts").replaceChildren(...data.map((name) => {
    const link = el("a", { href: "#", "data-artifact": name }, name);
    link.addEventListener("click", (event) => { event.preventDefault(); showArtifact(name); });
    return el("li", {}, link);
  }));
  if (!data.length) $("artifacts").append(el("li", { class: "meta" }, "none"));
}

const artifactPath = (name) => `${sessionBase()}/artifacts/${name.split("/")
  .map(encodeURIComponent).join("/")}`;

async function showArtifact(name, version) {
  const { data: versions } = await api(`${artifactPath(name)}/versions/metadata`);
  const chosen = version ?? versions[versions.length - 1].version;
  $("artifact-view").hidden = false;
  $("artifact-name").textContent = name;
  $("artifact-versions").replaceChildren(...versions.map((info) => {
    const button = el("button", {
      type: "button", class: info.version === chosen ? "current" : "",
      title: new Date(info.createTime * 1000).toLocaleString(),
    }, `v${info.version}`);
    button.addEventListener("click", () => showArtifact(name, info.version));
    return button;
  }));
  const { data: part } = await api(`${artifactPath(name)}/versions/${chosen}`);
  const body = $("artifact-body");
  const filename = name.split("/").pop().replace(/^user:/, "");
  if (part.text != null) {
    const url = URL.createObjectURL(new Blob([part.text], { type: "text/plain" }));
    body.replaceChildren(el("pre", {}, part.text),
      el("a", { href: url, download: filename }, "Download"));
  } else if (part.inlineData) {
    const bytes = fromBase64(part.inlineData.data || "");
    const type = part.inlineData.mimeType || "application/octet-stream";
    const url = URL.createObjectURL(new Blob([bytes], { type }));
    body.replaceChildren(
      type.startsWith("image/") ? el("img", { src: url, alt: name }) :
        el("div", { class: "meta" }, `${bytes.length} bytes of ${type}`),
      el("a", { href: url, download: filename }, "Download"));
  } else {
    body.replaceChildren(el("pre", {}, JSON.stringify(part, null, 2)));
  }
}

function fromBase64(text) {
  const standard = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(standard + "=".repeat((4 - (standard.length % 4)) % 4));
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

// ---------------------------------------------------------------- wiring

$("app").addEventListener("change", () => { view.app = $("app").value; go(""); });
$("user-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  view.token = $("token").value.trim() || view.token;
  sessionStorage.setItem("runners.token", view.token);
  view.user = $("user").value.trim();
  $("sessions").dataset.loaded = "";
  try { if (!$("app").options.length) await loadApps(); } catch (error) { status(error.message); }
  const before = location.hash;
  go("");
  if (location.hash === before) route();  // else the hashchange routes
});
$("new-session").addEventListener("click", () => newSession().catch((e) => status(e.message)));
$("more-sessions").addEventListener("click", () => loadSessions(false)
  .then(markCurrent).catch((e) => status(e.message)));
$("chat").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("message").value.trim();
  if (!text) return;
  $("message").value = "";
  send(text).catch((error) => status(error.message));
});
window.addEventListener("hashchange", route);

(async () => {
  $("user").value = view.user;
  try { await loadApps(); } catch (error) { status(error.message); return; }
  route();
})();
