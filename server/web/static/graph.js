// The turn graph (GET /v1/graph) drawn as SVG, with the caller's last turn on it: the nodes it ran,
// the path between them, and each node's time.

import { api, attempt, boot, clear, h, number, when } from "./common.js";

const BOX_W = 170;
const BOX_H = 44;
const GAP_Y = 28;
const GAP_X = 24;

boot("/graph", async (main) => {
  const graph = await attempt(() => api("/v1/graph"));
  if (!graph) return;
  const last = graph.last_turn;
  const summary = last
    ? h("p", { id: "last-turn" }, `Last turn: ${when(last.at)}, agent `, h("span", { class: "badge", text: last.agent }),
      `, ${number(Object.values(last.node_ms).reduce((a, b) => a + b, 0), 1)} ms in the nodes · `,
      h("a", { href: `/?thread=${encodeURIComponent(last.thread_id)}`, text: "open its thread" }))
    : h("p", { id: "last-turn", class: "muted", text: "No turn recorded yet: chat once and its path shows here." });
  clear(main,
    h("div", { class: "split" },
      h("section", { class: "card graph" }, h("h1", { text: "Turn graph" }), summary, draw(graph, last)),
      h("section", { class: "card" }, h("h2", { text: "Time per node, last turn" }), timings(graph, last),
        h("details", {}, h("summary", { text: "Mermaid source" }), h("pre", {}, h("code", { id: "mermaid", text: graph.mermaid }))))));
});

/** Layers by longest path from the start, so every edge points down. */
function layers(nodes, edges) {
  const depth = new Map(nodes.map((n) => [n, 0]));
  for (let pass = 0; pass < nodes.length; pass += 1) {
    for (const e of edges) {
      if (e.source !== e.target && depth.has(e.source) && depth.has(e.target)) {
        depth.set(e.target, Math.max(depth.get(e.target), depth.get(e.source) + 1));
      }
    }
  }
  const rows = [];
  for (const node of nodes) (rows[depth.get(node)] ??= []).push(node);
  return rows.filter(Boolean);
}

function draw(graph, last) {
  const nodes = ["__start__", ...graph.nodes, "__end__"];
  const merged = new Map(); // one arrow per (source, target); conditional labels joined
  for (const e of graph.edges) {
    const key = `${e.source}>${e.target}`;
    const seen = merged.get(key);
    const label = e.conditional ? (e.label ?? "") : "";
    if (seen) seen.labels.push(label);
    else merged.set(key, { ...e, labels: [label] });
  }
  const edges = [...merged.values()];
  const rows = layers(nodes, edges);
  const width = Math.max(...rows.map((r) => r.length)) * (BOX_W + GAP_X) + GAP_X;
  const height = rows.length * (BOX_H + GAP_Y) + GAP_Y;
  const at = new Map();
  rows.forEach((row, y) => row.forEach((node, x) => {
    const rowWidth = row.length * (BOX_W + GAP_X) - GAP_X;
    at.set(node, { x: (width - rowWidth) / 2 + x * (BOX_W + GAP_X), y: GAP_Y / 2 + y * (BOX_H + GAP_Y) });
  }));
  const ran = new Set(last?.path ?? []);
  const walked = new Set();
  if (last?.path?.length) {
    const path = ["__start__", ...last.path, "__end__"];
    path.slice(1).forEach((node, i) => walked.add(`${path[i]}>${node}`));
  }
  const slowest = last ? Object.entries(last.node_ms).sort((a, b) => b[1] - a[1])[0]?.[0] : null;
  const svg = h("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", id: "turn-graph",
    "aria-label": `The turn graph: ${graph.nodes.join(", ")}` },
  h("defs", {}, h("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
    h("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrow" }))));
  for (const e of edges) {
    const from = at.get(e.source);
    const to = at.get(e.target);
    if (!from || !to) continue;
    const x1 = from.x + BOX_W / 2;
    const y1 = from.y + BOX_H;
    const x2 = to.x + BOX_W / 2;
    const y2 = to.y;
    const line = h("path", { d: `M ${x1} ${y1} C ${x1} ${y1 + GAP_Y / 2}, ${x2} ${y2 - GAP_Y / 2}, ${x2} ${y2}`,
      class: `edge${walked.has(`${e.source}>${e.target}`) ? " ran" : ""}`, "marker-end": "url(#arrow)" });
    if (e.conditional) line.setAttribute("stroke-dasharray", "5 4");
    svg.append(line);
  }
  for (const node of nodes) {
    const { x, y } = at.get(node);
    const terminal = node.startsWith("__");
    const ms = last?.node_ms?.[node];
    const group = h("g", { class: `node${ran.has(node) ? " ran" : ""}${node === slowest ? " slowest" : ""}`, dataset: { node } },
      h("title", { text: ms === undefined ? node : `${node}: ${number(ms, 1)} ms` }),
      h("rect", { x, y, width: BOX_W, height: BOX_H, rx: terminal ? BOX_H / 2 : 8 }),
      h("text", { x: x + 12, y: y + (ms === undefined ? 27 : 20), text: terminal ? node.replaceAll("_", "") : node }));
    if (ms !== undefined) group.append(h("text", { x: x + 12, y: y + 36, class: "ms", text: `${number(ms, 1)} ms` }));
    svg.append(group);
  }
  return svg;
}

function timings(graph, last) {
  if (!last) return h("p", { class: "muted", text: "No turn yet." });
  const entries = (last.path.length ? last.path : graph.nodes).map((node) => [node, last.node_ms[node] ?? 0]);
  const most = Math.max(1, ...entries.map(([, ms]) => ms));
  return h("div", { class: "bars", id: "node-times" }, ...entries.map(([node, ms]) => {
    const fill = h("div", { class: "fill" });
    fill.style.width = `${(100 * ms) / most}%`;
    return h("div", { class: "bar", dataset: { node } }, h("span", { text: node }),
      h("div", { class: "track", "aria-hidden": "true" }, fill), h("span", { text: number(ms, 1) }));
  }), h("p", { class: "muted", text: "milliseconds, as measured around each node (LangGraph's own work between nodes is not counted)" }));
}
