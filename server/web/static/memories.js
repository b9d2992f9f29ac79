// The memory dashboard: stats, memories by category with search and filters, each memory's source and
// history (a timeline of its versions and corrections), correct / forget / add, bulk forget, export,
// and "delete everything about me".

import { api, apiKey, attempt, boot, clear, h, notify, number, percent, when } from "./common.js";

const CATEGORIES = [...document.querySelectorAll("#categories option")].map((o) => o.value);
const MAX_LOADED = 2000; // memories listed at once; filters narrow them down
const state = { memories: [], more: false, selected: new Set(), detail: null, chain: [], meaning: null };
const ui = {};

boot("/memories", async (main) => {
  ui.stats = h("section", { class: "stats", id: "stats", "aria-label": "Stats" });
  ui.sources = h("div", { class: "bars", id: "by-category", "aria-label": "Memories by category" });
  ui.category = h("select", { id: "filter-category" }, h("option", { value: "", text: "all" }),
    ...CATEGORIES.map((c) => h("option", { value: c, text: c })));
  ui.search = h("input", { id: "filter-text", type: "search", placeholder: "words in key or value", autocomplete: "off" });
  ui.superseded = h("input", { id: "filter-history", type: "checkbox" });
  ui.category.addEventListener("change", loadMemories);
  ui.superseded.addEventListener("change", loadMemories);
  ui.search.addEventListener("input", () => { state.meaning = null; drawTable(); });
  const filters = h("form", { class: "filters", onsubmit: (event) => { event.preventDefault(); searchByMeaning(); } },
    h("div", {}, h("label", { for: "filter-category", text: "Category" }), ui.category),
    h("div", { class: "grow" }, h("label", { for: "filter-text", text: "Search" }), ui.search),
    h("button", { type: "submit", class: "ghost", id: "search-meaning", text: "Search by meaning" }),
    h("div", { class: "row" }, ui.superseded, h("label", { for: "filter-history", text: "include past versions" })));
  ui.bulk = h("button", { type: "button", class: "danger", id: "forget-selected", text: "Forget selected", disabled: true,
    onclick: forgetSelected });
  ui.table = h("tbody", { id: "memory-rows" });
  ui.count = h("p", { class: "muted", id: "memory-count" });
  ui.detail = h("aside", { class: "card", id: "memory-detail", "aria-live": "polite" },
    h("h2", { text: "Memory" }), h("p", { class: "muted", text: "Choose a memory to see its source and history." }));

  const list = h("section", { class: "card" },
    h("div", { class: "row" }, h("h1", { class: "grow", text: "Memories" }),
      h("button", { type: "button", id: "add-memory", text: "Add", onclick: () => addDialog() }), ui.bulk,
      h("button", { type: "button", class: "ghost", id: "export", text: "Export", onclick: exportAll }),
      h("button", { type: "button", class: "ghost", id: "delete-everything", text: "Delete everything about me", onclick: eraseDialog })),
    filters, ui.count,
    h("div", { class: "table-wrap" }, h("table", { class: "memories" },
      h("thead", {}, h("tr", {},
        h("th", {}, h("input", { type: "checkbox", id: "select-all", "aria-label": "Select all shown", onchange: selectAll })),
        h("th", { text: "Memory" }), h("th", { text: "Category" }), h("th", { text: "Confidence" }), h("th", { text: "Learned" }),
        h("th", { text: "" }))),
      ui.table)));
  clear(main, ui.stats, h("div", { class: "dashboard" }, list,
    h("div", {}, ui.detail, h("section", { class: "card", id: "categories-card" },
      h("h2", { text: "By category" }), ui.sources))));
  await Promise.all([loadStats(), loadMemories()]);
  const wanted = new URLSearchParams(location.search).get("memory");
  if (wanted) await showDetail(wanted);
});

// --- data ----------------------------------------------------------------------------------------

async function loadStats() {
  const stats = await attempt(() => api("/v1/memories/stats"));
  if (!stats) return;
  const hints = stats.hints;
  const rate = (n) => (hints.shown ? n / hints.shown : null);
  const sources = Object.entries(stats.by_source).map(([k, v]) => `${k} ${v}`).join(" · ") || "none";
  const card = (label, value, id) => h("div", { class: "stat", id }, h("div", { class: "value", text: value }),
    h("div", { class: "label", text: label }));
  clear(ui.stats,
    card("current memories", number(stats.current), "stat-current"),
    card("past versions", number(stats.superseded), "stat-superseded"),
    card("corrections", number(stats.corrections), "stat-corrections"),
    card(`written by: ${sources}`, number(Object.values(stats.by_source).reduce((a, b) => a + b, 0)), "stat-sources"),
    card(`cache hit rate (${number(stats.cache.hits + stats.cache.misses)} lookups, this server)`, percent(stats.cache.hit_rate), "stat-cache"),
    card(`hints shown · applied ${percent(rate(hints.applied))}, dismissed ${percent(rate(hints.dismissed))}, snoozed ${percent(rate(hints.snoozed))}`,
      number(hints.shown), "stat-hints"));
  const counts = Object.entries(stats.by_category).sort((a, b) => b[1].current - a[1].current);
  const most = Math.max(1, ...counts.map(([, c]) => c.current));
  clear(ui.sources, ...(counts.length ? counts.map(([category, c]) => {
    const fill = h("div", { class: "fill" });
    fill.style.width = `${(100 * c.current) / most}%`;
    return h("div", { class: "bar" }, h("span", { text: category }), h("div", { class: "track", "aria-hidden": "true" }, fill),
      h("span", { text: number(c.current) }));
  }) : [h("p", { class: "muted", text: "No memories yet." })]));
}

async function loadMemories() {
  const params = new URLSearchParams({ limit: "200" });
  if (ui.category.value) params.set("category", ui.category.value);
  if (ui.superseded.checked) params.set("include_superseded", "true");
  const rows = [];
  let cursor = null;
  do {
    if (cursor) params.set("cursor", cursor);
    const page = await attempt(() => api(`/v1/memories?${params}`));
    if (!page) return;
    rows.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && rows.length < MAX_LOADED);
  state.memories = rows;
  state.more = Boolean(cursor); // more than MAX_LOADED: the filters (category, by meaning) reach the rest
  state.selected = new Set([...state.selected].filter((id) => rows.some((m) => m.id === id)));
  drawTable();
}

function shown() {
  if (state.meaning) return state.meaning;
  const words = ui.search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  return state.memories.filter((m) => words.every((w) => `${m.key} ${m.value}`.toLowerCase().includes(w)));
}

async function searchByMeaning() {
  const query = ui.search.value.trim();
  if (!query) { state.meaning = null; drawTable(); return; }
  const body = { query, k: 50, types: ["memory"], min_score: 0.3 };
  if (ui.category.value) body.categories = [ui.category.value];
  const found = await attempt(() => api("/v1/search", { method: "POST", body }));
  if (!found) return;
  const byId = new Map(state.memories.map((m) => [m.id, m]));
  const missing = found.results.filter((r) => !byId.has(r.id)); // older than the rows loaded
  const fetched = await Promise.all(missing.map((r) => api(`/v1/memories/${r.id}`).catch(() => null)));
  for (const memory of fetched) if (memory) byId.set(memory.id, memory);
  state.meaning = found.results.map((r) => byId.get(r.id)).filter(Boolean);
  drawTable();
}

// --- table and detail ----------------------------------------------------------------------------

function validity(memory) {
  const until = memory.valid_until ?? memory.expires_at;
  return until ? `${when(memory.valid_from)} → ${when(until)}` : `since ${when(memory.valid_from)}`;
}

function drawTable() {
  const rows = shown();
  ui.count.textContent = `${rows.length} shown of ${state.memories.length}${state.more ? " (the newest; pick a category or search by meaning for older ones)" : ""}${state.meaning ? " (by meaning)" : ""}`;
  clear(ui.table, ...rows.map((memory) => {
    const past = Boolean(memory.valid_until);
    return h("tr", { dataset: { id: memory.id }, class: state.detail === memory.id ? "selected" : null },
      h("td", {}, h("input", { type: "checkbox", "aria-label": `Select ${memory.key}`, checked: state.selected.has(memory.id),
        onchange: (event) => {
          if (event.target.checked) state.selected.add(memory.id);
          else state.selected.delete(memory.id);
          ui.bulk.disabled = !state.selected.size;
        } })),
      h("td", { class: "value" }, h("strong", { text: memory.key }), h("br"),
        h("span", { class: past ? "old" : "", text: `${memory.polarity === "negative" ? "not " : ""}${memory.value}` }),
        past ? h("span", { class: "badge", text: " past" }) : null),
      h("td", {}, h("span", { class: "badge", text: memory.category })),
      h("td", { text: number(memory.confidence, 2) }),
      h("td", { text: when(memory.created_at) }),
      h("td", {}, h("button", { type: "button", class: "small ghost", text: "Open", "aria-label": `Open ${memory.key}`,
        onclick: () => showDetail(memory.id) })));
  }));
  if (!rows.length) ui.table.append(h("tr", {}, h("td", { colspan: 6, class: "muted", text: "No memory matches." })));
  ui.bulk.disabled = !state.selected.size;
}

function selectAll(event) {
  for (const memory of shown()) {
    if (event.target.checked) state.selected.add(memory.id);
    else state.selected.delete(memory.id);
  }
  drawTable();
}

async function showDetail(id) {
  const history = await attempt(() => api(`/v1/memories/${encodeURIComponent(id)}/history`));
  if (!history) return;
  state.detail = id;
  state.chain = history.versions.map((v) => v.id); // forgetting any of them clears the panel
  drawTable();
  const memory = history.versions.find((v) => v.id === id) ?? history.versions.at(-1);
  const current = history.versions.find((v) => v.is_current);
  const field = (label, ...value) => [h("dt", { text: label }), h("dd", {}, ...value)];
  const source = memory.thread_id
    ? h("a", { href: `/?thread=${encodeURIComponent(memory.thread_id)}`, id: "memory-source", text: "the conversation it came from" })
    : h("span", { class: "muted", text: "added directly (no conversation)" });
  clear(ui.detail,
    h("h2", { text: memory.key }),
    h("p", { id: "memory-value", class: memory.is_current ? "" : "old", text: `${memory.polarity === "negative" ? "not " : ""}${memory.value}` }),
    h("dl", {},
      ...field("Category", memory.category),
      ...field("Confidence", number(memory.confidence, 2)),
      ...field("Source", source),
      ...field("Valid", validity(memory)),
      ...field("Status", memory.is_current ? "current" : current ? "replaced (see history)" : "no longer current")),
    h("div", { class: "row" },
      current ? h("button", { type: "button", id: "correct-memory", text: "Correct", onclick: () => correctDialog(current) }) : null,
      h("button", { type: "button", class: "danger", id: "forget-memory", text: "Forget", onclick: () => forget([(current ?? memory).id], (current ?? memory).key) })),
    h("h3", { text: "History" }),
    timeline(history));
}

/** Versions and corrections in time order: the picture of how the memory changed. */
function timeline(history) {
  const byNew = new Map(history.corrections.map((c) => [c.new_memory_id, c]));
  const items = [];
  history.versions.forEach((version, n) => {
    const correction = byNew.get(version.id);
    if (correction) {
      items.push(h("li", { class: "correction" },
        h("strong", { text: "Corrected " }), h("span", { class: "old", text: correction.old_value }), " → ",
        h("span", { text: correction.new_value }), h("br"),
        h("span", { class: "muted", text: `${when(correction.created_at)}${correction.reason ? ` · reason: ${correction.reason}` : ""}` })));
    } else if (n > 0) {
      items.push(h("li", { class: "correction" }, h("strong", { text: "Replaced" }),
        h("span", { class: "muted", text: " by a later statement" })));
    }
    items.push(h("li", { class: version.is_current ? "current" : "" },
      h("span", { class: version.is_current ? "" : "old", text: version.value }),
      version.is_current ? h("span", { class: "badge good", text: "current" }) : null, h("br"),
      h("span", { class: "muted", text: `${when(version.valid_from)}${version.valid_until ? ` → ${when(version.valid_until)}` : ""}` })));
  });
  return h("ol", { class: "timeline", id: "memory-history", "aria-label": "History, oldest first" }, ...items);
}

// --- changes -------------------------------------------------------------------------------------

function dialog(title, fields, submitText, onSubmit) {
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { method: "dialog" }, h("h2", { text: title }), ...fields, error,
    h("div", { class: "row" },
      h("button", { type: "submit", text: submitText }),
      h("button", { type: "button", class: "ghost", text: "Cancel", onclick: () => box.close() })));
  const box = h("dialog", { "aria-label": title }, form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await onSubmit(new FormData(form));
      box.close();
    } catch (failure) {
      error.textContent = failure.message;
    }
  });
  box.addEventListener("close", () => box.remove());
  document.body.append(box);
  box.showModal();
  return box;
}

const labelled = (label, control) => h("div", { class: "field" }, h("label", { for: control.id, text: label }), h("br"), control);

function correctDialog(memory) {
  dialog(`Correct ${memory.key}`, [
    labelled("Value", h("input", { id: "correct-value", name: "value", value: memory.value, required: true, maxlength: 1000 })),
    labelled("Polarity", h("select", { id: "correct-polarity", name: "polarity" },
      h("option", { value: "positive", text: "positive", selected: memory.polarity === "positive" }),
      h("option", { value: "negative", text: "negative (the user does not…)", selected: memory.polarity === "negative" }))),
    labelled("Reason (kept in the history)", h("input", { id: "correct-reason", name: "reason", maxlength: 500 })),
  ], "Save correction", async (data) => {
    const body = { value: data.get("value"), polarity: data.get("polarity") };
    if (data.get("reason")) body.reason = data.get("reason");
    const updated = await api(`/v1/memories/${encodeURIComponent(memory.id)}`, { method: "PATCH", body });
    notify(updated.correction ? "Corrected: the old value is kept in the history." : "Nothing changed.");
    await Promise.all([loadMemories(), loadStats()]);
    await showDetail(updated.id);
  });
}

function addDialog() {
  dialog("Add a memory", [
    labelled("Category", h("select", { id: "add-category", name: "category" }, ...CATEGORIES.map((c) => h("option", { value: c, text: c })))),
    labelled("Key (lowercase words joined by dots or underscores)", h("input", { id: "add-key", name: "key", required: true,
      pattern: "[a-z0-9_]+(\\.[a-z0-9_]+)*", placeholder: "food.diet", maxlength: 100 })),
    labelled("Value", h("input", { id: "add-value", name: "value", required: true, maxlength: 1000 })),
  ], "Add", async (data) => {
    const memory = await api("/v1/memories", { method: "POST", body: {
      category: data.get("category"), key: data.get("key"), value: data.get("value") } });
    notify(`Remembered ${memory.key}.`);
    await Promise.all([loadMemories(), loadStats()]);
    await showDetail(memory.id);
  });
}

async function forget(ids, what) {
  if (!confirm(`Forget ${what}? It is deleted with its history, and the agent stops using it.`)) return;
  const done = await attempt(() => api("/v1/memories/forget", { method: "POST", body: { ids } }));
  if (!done) return;
  for (const id of ids) state.selected.delete(id);
  const shownHere = ids.some((id) => state.chain.includes(id));
  if (shownHere) {
    state.detail = null;
    state.chain = [];
  }
  await Promise.all([loadMemories(), loadStats()]); // the list is redrawn before "Forgotten." is said
  if (shownHere) clear(ui.detail, h("h2", { text: "Memory" }), h("p", { class: "muted", text: "Forgotten." }));
  notify(`Forgot ${done.forgotten} ${done.forgotten === 1 ? "memory" : "memories"}.`);
}

function forgetSelected() {
  const ids = [...state.selected];
  if (ids.length) forget(ids, `${ids.length} selected ${ids.length === 1 ? "memory" : "memories"}`);
}

async function exportAll() {
  const data = await attempt(() => api("/v1/memories/export"));
  if (!data) return;
  const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
  const link = h("a", { href: url, download: `mnemo-export-${new Date().toISOString().slice(0, 10)}.json` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  notify("Export downloaded: everything stored about you, as JSON.");
}

function eraseDialog() {
  dialog("Delete everything about me", [
    h("p", { text: "This deletes every thread, message, memory, hint and usage record of yours, and your API keys. It cannot be undone. Export first if you want a copy." }),
    labelled('Type "delete" to confirm', h("input", { id: "erase-confirm", name: "confirm", required: true, autocomplete: "off" })),
  ], "Delete everything", async (data) => {
    if (data.get("confirm").trim().toLowerCase() !== "delete") throw new Error('Type "delete" to confirm.');
    await api("/v1/me", { method: "DELETE" });
    if (apiKey()) sessionStorage.removeItem("mnemo.apiKey");
    location.assign("/memories");
  });
}
