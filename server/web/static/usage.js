// Usage: tokens and cost by day and model (GET /v1/usage), as a chart over time and a table.

import { api, attempt, boot, clear, h, number } from "./common.js";

const ui = {};

boot("/usage", async (main) => {
  ui.range = h("select", { id: "usage-range", "aria-label": "Period" },
    ...[[7, "last 7 days"], [30, "last 30 days"], [90, "last 90 days"], [365, "last year"]].map(([days, text]) =>
      h("option", { value: days, text, selected: days === 30 })));
  ui.range.addEventListener("change", load);
  ui.totals = h("section", { class: "stats", id: "usage-totals", "aria-label": "Totals" });
  ui.chart = h("div", { class: "chart", id: "usage-chart" });
  ui.table = h("tbody", { id: "usage-rows" });
  clear(main,
    h("div", { class: "row" }, h("h1", { class: "grow", text: "Usage" }), ui.range),
    ui.totals,
    h("section", { class: "card" }, h("h2", { text: "Tokens per day" }),
      h("div", { class: "legend" }, h("span", {}, h("span", { class: "swatch in" }), "input"),
        h("span", {}, h("span", { class: "swatch out" }), "output")), ui.chart),
    h("section", { class: "card" }, h("h2", { text: "By day and model" }),
      h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, ...["Day", "Model", "Calls", "Input tokens", "Output tokens", "Cost (USD)"].map((t) => h("th", { text: t })))),
        ui.table))));
  await load();
});

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

async function load() {
  const days = Number(ui.range.value);
  const until = new Date();
  const since = new Date(until.getTime() - (days - 1) * 86400000);
  const report = await attempt(() => api(`/v1/usage?since=${isoDay(since)}&until=${isoDay(until)}`));
  if (!report) return;
  const t = report.totals;
  const card = (label, value) => h("div", { class: "stat" }, h("div", { class: "value", text: value }), h("div", { class: "label", text: label }));
  clear(ui.totals, card("model calls", number(t.calls)), card("input tokens", number(t.input_tokens)),
    card("output tokens", number(t.output_tokens)),
    card(t.unpriced_calls ? `cost (USD; ${t.unpriced_calls} calls to unpriced models)` : "cost (USD)", `$${number(t.cost_usd, 4)}`));
  clear(ui.table, ...report.items.map((item) => h("tr", {},
    h("td", { text: item.day }), h("td", { text: item.model }), h("td", { text: number(item.calls) }),
    h("td", { text: number(item.input_tokens) }), h("td", { text: number(item.output_tokens) }),
    h("td", { text: item.unpriced_calls ? `${number(item.cost_usd, 4)} (+${item.unpriced_calls} unpriced)` : number(item.cost_usd, 4) }))));
  if (!report.items.length) ui.table.append(h("tr", {}, h("td", { colspan: 6, class: "muted", text: "No model calls in this period." })));
  clear(ui.chart, chart(report, days));
}

/** One pair of bars (input, output tokens) per day, all models summed. */
function chart(report, days) {
  const perDay = new Map();
  for (const item of report.items) {
    const day = perDay.get(item.day) ?? { input: 0, output: 0 };
    day.input += item.input_tokens;
    day.output += item.output_tokens;
    perDay.set(item.day, day);
  }
  const first = new Date(`${report.since}T00:00:00Z`);
  const span = Math.min(days, Math.round((new Date(`${report.until}T00:00:00Z`) - first) / 86400000) + 1);
  const width = 720;
  const height = 200;
  const left = 48;
  const bottom = 20;
  const slot = (width - left) / span;
  const most = Math.max(1, ...[...perDay.values()].map((d) => Math.max(d.input, d.output)));
  const svg = h("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "Input and output tokens per day" },
    h("line", { x1: left, y1: height - bottom, x2: width, y2: height - bottom, class: "axis" }),
    h("text", { x: 0, y: 12, text: number(most) }), h("text", { x: 0, y: height - bottom, text: "0" }));
  for (let i = 0; i < span; i += 1) {
    const day = isoDay(new Date(first.getTime() + i * 86400000));
    const value = perDay.get(day) ?? { input: 0, output: 0 };
    const x = left + i * slot;
    const bar = (tokens, offset, cls) => {
      const tall = ((height - bottom - 16) * tokens) / most;
      return h("rect", { x: x + offset, y: height - bottom - tall, width: Math.max(1, slot / 2 - 2), height: tall, class: cls },
        h("title", { text: `${day} ${cls === "bar-in" ? "input" : "output"}: ${number(tokens)} tokens` }));
    };
    svg.append(bar(value.input, 1, "bar-in"), bar(value.output, slot / 2, "bar-out"));
    if (span <= 31 ? i % Math.ceil(span / 8) === 0 : i % Math.ceil(span / 6) === 0) {
      svg.append(h("text", { x, y: height - 4, text: day.slice(5) }));
    }
  }
  return svg;
}
