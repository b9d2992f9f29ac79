// The chat page: threads (new, rename, star, archive, delete), messages with the answer streaming in
// over SSE, and beside it what the turn did: the agent, memories learned, updated and forgotten, hints.

import { api, attempt, authHeaders, boot, clear, errorOf, h, markdown, notify, when } from "./common.js";

const state = { threads: [], current: null, showArchived: false, busy: false };
const ui = {};

boot("/", async (main) => {
  ui.list = h("ul", { id: "thread-list", "aria-label": "Threads" });
  ui.archived = h("input", { type: "checkbox", id: "show-archived", onchange: async (event) => {
    state.showArchived = event.target.checked;
    await loadThreads();
  } });
  const threads = h("aside", { class: "card threads", "aria-label": "Threads" },
    h("div", { class: "row" },
      h("h2", { class: "grow", text: "Threads" }),
      h("button", { type: "button", id: "new-thread", text: "New", onclick: newThread })),
    h("div", { class: "row" }, ui.archived, h("label", { for: "show-archived", text: "show archived" })),
    ui.list);

  ui.title = h("h1", { id: "thread-title", class: "sr-only", text: "Conversation" });
  ui.messages = h("div", { class: "messages", id: "messages", "aria-live": "polite", "aria-label": "Messages" });
  ui.input = h("textarea", { id: "message", rows: 2, placeholder: "Write a message (Enter sends, Shift+Enter adds a line)",
    "aria-label": "Message", maxlength: 20000 });
  ui.input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  ui.agent = h("select", { id: "agent", "aria-label": "Agent" }, h("option", { value: "", text: "agent: automatic" }),
    ...[...document.querySelectorAll("#agents option")].map((o) => h("option", { value: o.value, text: o.value })));
  ui.send = h("button", { type: "submit", id: "send", text: "Send" });
  const composer = h("form", { class: "composer", onsubmit: (event) => { event.preventDefault(); send(); } },
    ui.input, ui.agent, ui.send);
  const conversation = h("section", { class: "card conversation", "aria-labelledby": "thread-title" },
    ui.title, ui.messages, composer);

  ui.turn = h("aside", { class: "card turn", id: "turn", "aria-label": "This turn" },
    h("h2", { text: "This turn" }), h("p", { class: "muted", text: "Send a message: what the agent learns, updates or forgets, and its hints, appear here." }));

  clear(main, h("div", { class: "chat" }, threads, conversation, ui.turn));
  await loadThreads();
  const wanted = new URLSearchParams(location.search).get("thread") ?? state.threads[0]?.id;
  if (wanted) await openThread(wanted);
  else showEmpty();
  ui.input.focus();
});

// --- threads -------------------------------------------------------------------------------------

async function loadThreads() {
  const query = state.showArchived ? "limit=100" : "limit=100&archived=false";
  const page = await attempt(() => api(`/v1/threads?${query}`));
  if (!page) return;
  state.threads = page.items;
  drawThreads();
}

function drawThreads() {
  clear(ui.list, ...state.threads.map((thread) => {
    const title = thread.title || "Untitled thread";
    return h("li", { class: [thread.id === state.current ? "active" : "", thread.archived ? "archived" : ""].join(" "),
      dataset: { id: thread.id } },
    h("button", { type: "button", class: "open", text: `${thread.starred ? "★ " : ""}${title}`, title: title,
      "aria-current": thread.id === state.current ? "true" : null, onclick: () => openThread(thread.id) }),
    h("span", { class: "tools" },
      h("button", { type: "button", text: thread.starred ? "unstar" : "star", "aria-label": `${thread.starred ? "Unstar" : "Star"} ${title}`,
        onclick: () => patchThread(thread, { starred: !thread.starred }) }),
      h("button", { type: "button", text: "rename", "aria-label": `Rename ${title}`, onclick: (event) => rename(thread, event.target.closest("li")) }),
      h("button", { type: "button", text: thread.archived ? "restore" : "archive", "aria-label": `${thread.archived ? "Restore" : "Archive"} ${title}`,
        onclick: () => patchThread(thread, { archived: !thread.archived }) }),
      h("button", { type: "button", text: "delete", "aria-label": `Delete ${title}`, onclick: () => removeThread(thread) })));
  }));
  if (!state.threads.length) ui.list.append(h("li", { class: "muted", text: "No threads yet." }));
}

async function newThread() {
  const thread = await attempt(() => api("/v1/threads", { method: "POST", body: {} }));
  if (!thread) return;
  state.threads.unshift(thread);
  await openThread(thread.id);
  ui.input.focus();
}

async function patchThread(thread, change) {
  const updated = await attempt(() => api(`/v1/threads/${encodeURIComponent(thread.id)}`, { method: "PATCH", body: change }));
  if (!updated) return;
  if (change.archived !== undefined) notify(change.archived ? "Thread archived: what it taught is kept." : "Thread restored.");
  await loadThreads();
}

function rename(thread, item) {
  const input = h("input", { type: "text", value: thread.title ?? "", maxlength: 200, "aria-label": "New title", class: "grow" });
  const done = async (save) => {
    if (save && input.value.trim() !== (thread.title ?? "")) await patchThread(thread, { title: input.value.trim() });
    else drawThreads();
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") done(true);
    if (event.key === "Escape") done(false);
  });
  input.addEventListener("blur", () => done(true), { once: true });
  clear(item, input);
  input.focus();
  input.select();
}

async function removeThread(thread) {
  if (!confirm(`Delete "${thread.title || "Untitled thread"}" and its messages? Memories learned in it stay.`)) return;
  const gone = await attempt(() => api(`/v1/threads/${encodeURIComponent(thread.id)}`, { method: "DELETE" }).then(() => true));
  if (!gone) return;
  if (state.current === thread.id) state.current = null;
  await loadThreads();
  if (!state.current && state.threads[0]) await openThread(state.threads[0].id);
  else if (!state.current) showEmpty();
}

// --- messages ------------------------------------------------------------------------------------

function showEmpty() {
  state.current = null;
  clear(ui.messages, h("p", { class: "muted", text: "Start a conversation: your first message opens a new thread." }));
}

const PAGE = 100; // messages a thread opens with; "Show earlier messages" adds as many again

async function openThread(id) {
  state.current = id;
  history.replaceState(null, "", `/?thread=${encodeURIComponent(id)}`);
  drawThreads();
  const thread = state.threads.find((t) => t.id === id);
  ui.title.textContent = thread?.title || "Conversation";
  const page = await attempt(() => api(`/v1/threads/${encodeURIComponent(id)}/messages?order=desc&limit=${PAGE}`));
  if (!page) { // not the caller's (or gone): start afresh rather than send into it
    history.replaceState(null, "", "/");
    showEmpty();
    drawThreads();
    return;
  }
  clear(ui.messages, ...page.items.reverse().filter((m) => m.role !== "system").map(messageNode));
  if (!page.items.length) ui.messages.append(h("p", { class: "muted", text: "No messages yet." }));
  if (page.next_cursor) ui.messages.prepend(earlierButton(id, page.next_cursor));
  ui.messages.scrollTop = ui.messages.scrollHeight;
}

/** Loads the page of messages before the oldest shown, keeping the view where it was. */
function earlierButton(id, cursor) {
  const button = h("button", { type: "button", class: "ghost small", id: "earlier", text: "Show earlier messages" });
  button.addEventListener("click", async () => {
    button.disabled = true;
    const page = await attempt(() => api(`/v1/threads/${encodeURIComponent(id)}/messages?order=desc&limit=${PAGE}&cursor=${cursor}`));
    if (!page || state.current !== id) { button.disabled = false; return; }
    const fromBottom = ui.messages.scrollHeight - ui.messages.scrollTop;
    button.replaceWith(...page.items.reverse().filter((m) => m.role !== "system").map(messageNode));
    if (page.next_cursor) ui.messages.prepend(earlierButton(id, page.next_cursor));
    ui.messages.scrollTop = ui.messages.scrollHeight - fromBottom;
  });
  return button;
}

function messageNode(message) {
  const node = h("div", { class: `message ${message.role}`, dataset: { id: message.id } });
  if (message.role === "assistant") node.append(markdown(message.content));
  else node.textContent = message.content;
  const agent = message.metadata?.agent;
  node.append(h("div", { class: "meta", text: [agent && `agent: ${agent}`, when(message.created_at)].filter(Boolean).join(" · ") }));
  return node;
}

// --- a turn --------------------------------------------------------------------------------------

async function send() {
  const text = ui.input.value.trim();
  if (!text || state.busy) return;
  state.busy = true;
  ui.send.disabled = true;
  if (ui.messages.querySelector("p.muted")) clear(ui.messages);
  ui.messages.append(h("div", { class: "message user", text }));
  const answer = h("div", { class: "message assistant streaming", id: "streaming", "aria-busy": "true" });
  ui.messages.append(answer);
  ui.messages.scrollTop = ui.messages.scrollHeight;
  ui.input.value = "";
  try {
    const body = { message: text, stream: true, thread_id: state.current ?? undefined, agent: ui.agent.value || undefined };
    const response = await fetch("/v1/chat", { method: "POST", headers: authHeaders({ "Content-Type": "application/json" }),
      body: JSON.stringify(body) });
    if (!response.ok) throw await errorOf(response);
    let result = null;
    for await (const [event, data] of sse(response)) {
      if (event === "token") {
        answer.textContent += data.text;
        ui.messages.scrollTop = ui.messages.scrollHeight;
      } else if (event === "done") {
        result = data;
      } else if (event === "error") {
        throw new Error(data.error?.message ?? "the turn failed");
      }
    }
    if (!result) throw new Error("the stream ended before the answer was complete");
    answer.classList.remove("streaming");
    answer.removeAttribute("id");
    answer.removeAttribute("aria-busy");
    clear(answer, markdown(result.reply), h("div", { class: "meta", text: `agent: ${result.agent}` }));
    answer.dataset.id = result.message_id;
    drawTurn(result);
    if (state.current !== result.thread_id) {
      state.current = result.thread_id;
      history.replaceState(null, "", `/?thread=${encodeURIComponent(result.thread_id)}`);
    }
    await loadThreads();
  } catch (error) {
    answer.classList.remove("streaming");
    answer.removeAttribute("id");
    answer.classList.add("failed");
    clear(answer, h("p", { class: "error", text: `Not answered: ${error.message}` }));
    ui.input.value = text; // nothing of a failed turn is stored: the message is given back to resend
  } finally {
    state.busy = false;
    ui.send.disabled = false;
    ui.input.focus();
    document.body.dataset.turns = String(Number(document.body.dataset.turns ?? 0) + 1); // turns ended here (tests wait on it)
  }
}

/** The (event, data) pairs of a server-sent event stream read from a fetch response. */
async function* sse(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) yield [event, JSON.parse(data.join("\n"))];
    }
  }
}

function memoryLine(memory) {
  return h("li", {}, h("a", { href: `/memories?memory=${encodeURIComponent(memory.id)}`, text: memory.key }),
    ": ", memory.polarity === "negative" ? "not " : "", memory.value);
}

function drawTurn(result) {
  const learned = result.memories.filter((m) => m.action !== "updated");
  const updated = result.memories.filter((m) => m.action === "updated");
  const section = (title, id, items, draw) => h("section", { id },
    h("h3", { text: `${title} (${items.length})` }),
    items.length ? h("ul", {}, ...items.map(draw)) : h("p", { class: "muted", text: "nothing" }));
  clear(ui.turn,
    h("h2", { text: "This turn" }),
    h("p", {}, "Agent: ", h("span", { class: "badge", id: "turn-agent", text: result.agent })),
    section("Learned", "turn-learned", learned, memoryLine),
    section("Updated", "turn-updated", updated, memoryLine),
    section("Forgotten", "turn-forgotten", result.forgotten, (m) => h("li", { text: `${m.key}: ${m.value}` })),
    h("section", { id: "turn-hints" }, h("h3", { text: `Hints (${result.hints.length})` }),
      result.hints.length ? result.hints.map(hintCard) : h("p", { class: "muted", text: "no hint this turn" })),
    h("p", { class: "muted", text: `${result.usage.input_tokens} tokens in, ${result.usage.output_tokens} out · ${result.usage.model}` }));
}

function hintCard(hint) {
  const status = h("span", { class: "badge", text: hint.type ?? "hint" });
  const card = h("div", { class: "hint", dataset: { id: hint.id } }, h("div", { class: "row" }, status),
    h("p", { text: hint.text }));
  const act = async (action) => {
    const body = action === "snoozed" ? { action, snooze_seconds: 86400 } : { action };
    const saved = await attempt(() => api(`/v1/hints/${encodeURIComponent(hint.id)}/feedback`, { method: "POST", body }));
    if (!saved) return;
    card.classList.add("done");
    status.textContent = action;
    card.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    notify(action === "dismissed" ? "Dismissed: this hint will not come back." : action === "snoozed" ? "Snoozed for a day." : "Applied.");
  };
  card.append(h("div", { class: "row" },
    h("button", { type: "button", class: "small", text: "Apply", onclick: () => act("applied") }),
    h("button", { type: "button", class: "small ghost", text: "Dismiss", onclick: () => act("dismissed") }),
    h("button", { type: "button", class: "small ghost", text: "Snooze", onclick: () => act("snoozed") })));
  return card;
}
