// What every page shares: the API client (key from session storage), sign-in, the header, DOM building
// that only ever sets text (never HTML), a small safe markdown renderer, and formatting helpers.

const KEY = "mnemo.apiKey";
const THEME = "mnemo.theme";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function apiKey() {
  return sessionStorage.getItem(KEY);
}

export function authHeaders(extra = {}) {
  const key = apiKey();
  return key ? { ...extra, Authorization: `Bearer ${key}` } : { ...extra };
}

/** Read an error answer ({error: {code, message}}) into an ApiError; a 401 asks the user to sign in. */
export async function errorOf(response) {
  let code = "error";
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    /* not JSON: keep the status line */
  }
  if (response.status === 401) showSignIn(message);
  return new ApiError(response.status, code, message);
}

/** One API call: JSON in and out; throws ApiError with the server's message. */
export async function api(path, { method = "GET", body, headers = {} } = {}) {
  const init = { method, headers: authHeaders(headers) };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (!response.ok) throw await errorOf(response);
  return response.status === 204 ? null : response.json();
}

/**
 * Build an element. `attrs`: class, text (set as text), on<event> handlers, dataset, and any other
 * attribute by name (set with setAttribute, so it is never parsed as markup). Children: nodes or
 * strings (text nodes); null and false are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const svg = ["svg", "g", "rect", "line", "path", "text", "polyline", "circle", "title", "marker", "defs", "polygon"];
  const node = svg.includes(tag)
    ? document.createElementNS("http://www.w3.org/2000/svg", tag)
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = String(value);
    else if (name === "class") node.setAttribute("class", value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

// --- markdown: a safe subset, built as DOM nodes (no HTML string is ever parsed) -------------------

const SAFE_LINK = /^(https?:\/\/|mailto:)/i;

/** Inline markdown: `code`, **bold**, *italic* / _italic_, [text](http...) links; the rest is text. */
function inline(text) {
  const out = [];
  const pattern = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*|_[^_\s][^_]*_)|(\[[^\]]+\]\([^)\s]+\))/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) out.push(text.slice(last, match.index));
    const token = match[0];
    if (match[1]) out.push(h("code", { text: token.slice(1, -1) }));
    else if (match[2]) out.push(h("strong", {}, ...inline(token.slice(2, -2))));
    else if (match[3]) out.push(h("em", {}, ...inline(token.slice(1, -1))));
    else {
      const [, label, href] = token.match(/^\[([^\]]+)\]\(([^)\s]+)\)$/);
      out.push(SAFE_LINK.test(href) ? h("a", { href, rel: "noopener noreferrer", target: "_blank", text: label }) : token);
    }
    last = match.index + token.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** Block markdown: fenced code, headings, bullet and numbered lists, quotes, paragraphs. */
export function markdown(source) {
  const fragment = document.createDocumentFragment();
  const lines = String(source ?? "").replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^```/.test(line)) {
      const body = [];
      for (i += 1; i < lines.length && !/^```/.test(lines[i]); i += 1) body.push(lines[i]);
      i += 1;
      fragment.append(h("pre", {}, h("code", { text: body.join("\n") })));
    } else if (/^#{1,6}\s/.test(line)) {
      const level = Math.min(line.match(/^#+/)[0].length + 2, 6); // inside a message: h3..h6
      fragment.append(h(`h${level}`, {}, ...inline(line.replace(/^#+\s+/, ""))));
      i += 1;
    } else if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
      const ordered = /^\s*\d/.test(line);
      const list = h(ordered ? "ol" : "ul");
      for (; i < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[i]); i += 1) {
        list.append(h("li", {}, ...inline(lines[i].replace(/^\s*([-*+]|\d+[.)])\s+/, ""))));
      }
      fragment.append(list);
    } else if (/^>\s?/.test(line)) {
      const quote = [];
      for (; i < lines.length && /^>\s?/.test(lines[i]); i += 1) quote.push(lines[i].replace(/^>\s?/, ""));
      fragment.append(h("blockquote", {}, ...inline(quote.join(" "))));
    } else if (!line.trim()) {
      i += 1;
    } else {
      const para = [];
      for (; i < lines.length && lines[i].trim() && !/^(```|#{1,6}\s|>|\s*([-*+]|\d+[.)])\s)/.test(lines[i]); i += 1) {
        para.push(lines[i]);
      }
      const p = h("p");
      para.forEach((text, n) => {
        if (n) p.append(h("br"));
        append(p, inline(text));
      });
      fragment.append(p);
    }
  }
  return fragment;
}

// --- formatting ----------------------------------------------------------------------------------

export function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function number(value, digits = 0) {
  return Number(value ?? 0).toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function percent(ratio) {
  return ratio === null || ratio === undefined ? "–" : `${(ratio * 100).toFixed(0)}%`;
}

// --- notices -------------------------------------------------------------------------------------

export function notify(message, kind = "info") {
  const area = document.getElementById("notices");
  const note = h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status", text: message });
  area.append(note);
  setTimeout(() => note.remove(), kind === "error" ? 8000 : 4000);
}

/** Run an action; an ApiError (or a network failure) becomes an error notice instead of an exception. */
export async function attempt(action) {
  try {
    return await action();
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) {
      notify(error instanceof ApiError ? error.message : `Network error: ${error.message}`, "error");
    }
    return undefined;
  }
}

// --- theme and header ----------------------------------------------------------------------------

function applyTheme(theme) {
  if (theme) document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

function themeToggle() {
  const button = h("button", { type: "button", class: "ghost", id: "theme", "aria-label": "Switch light or dark theme" });
  const label = () => {
    const dark = document.documentElement.dataset.theme === "dark" ||
      (!document.documentElement.dataset.theme && matchMedia("(prefers-color-scheme: dark)").matches);
    button.textContent = dark ? "Light" : "Dark";
  };
  button.addEventListener("click", () => {
    const next = button.textContent === "Dark" ? "dark" : "light";
    localStorage.setItem(THEME, next);
    applyTheme(next);
    label();
  });
  label();
  return button;
}

function header(page, who) {
  const links = [["/", "Chat"], ["/memories", "Memories"], ["/graph", "Graph"], ["/usage", "Usage"]];
  const nav = h("nav", { "aria-label": "Pages" }, ...links.map(([href, text]) =>
    h("a", { href, text, "aria-current": href === page ? "page" : null })));
  const signOut = apiKey()
    ? h("button", { type: "button", class: "ghost", text: "Sign out", onclick: () => {
      sessionStorage.removeItem(KEY);
      location.reload();
    } })
    : null;
  return h("header", { class: "top" },
    h("a", { href: "/", class: "brand", text: "Mnemo" }), nav,
    h("span", { class: "who", id: "who", text: who }), themeToggle(), signOut);
}

// --- sign-in -------------------------------------------------------------------------------------

let signInShown = false;

export function showSignIn(reason) {
  if (signInShown) return;
  signInShown = true;
  const input = h("input", { id: "api-key", type: "password", autocomplete: "off", required: true,
    placeholder: "mnemo_…", "aria-describedby": "sign-in-help" });
  const error = h("p", { class: "error", role: "alert", text: apiKey() && reason ? reason : "" });
  const form = h("form", { class: "card sign-in", "aria-labelledby": "sign-in-title" },
    h("h1", { id: "sign-in-title", text: "Sign in to Mnemo" }),
    h("p", { id: "sign-in-help", text: "Paste an API key (create one with `mnemo keys create`). It stays in this tab's session storage and is sent only to this server." }),
    h("label", { for: "api-key", text: "API key" }), input, error,
    h("button", { type: "submit", text: "Sign in" }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    const probe = await fetch("/v1/threads?limit=1", { headers: { Authorization: `Bearer ${key}` } });
    if (!probe.ok) {
      let message = "That key was refused.";
      try { message = (await probe.json()).error?.message ?? message; } catch { /* keep */ }
      error.textContent = message;
      input.select();
      return;
    }
    sessionStorage.setItem(KEY, key);
    location.reload();
  });
  clear(document.getElementById("main"), form);
  input.focus();
}

/**
 * Start a page: theme, header, and the sign-in check (a request without a key answers 200 in local
 * mode); then `start()` fills #main.
 */
export async function boot(page, start) {
  applyTheme(localStorage.getItem(THEME));
  const probe = await fetch("/v1/threads?limit=1", { headers: authHeaders() });
  const who = probe.ok ? (apiKey() ? "signed in with a key" : "local mode") : "";
  document.body.prepend(header(page, who));
  if (probe.status === 401) {
    let reason = "";
    try { reason = (await probe.json()).error?.message ?? ""; } catch { /* keep */ }
    showSignIn(reason);
    return;
  }
  if (!probe.ok) {
    notify(`The server answered ${probe.status}; try again in a moment.`, "error");
    return;
  }
  await start(document.getElementById("main"));
  document.body.dataset.ready = "true"; // for tests and screenshots: the page has drawn its data
}
