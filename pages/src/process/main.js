// The object-centric process view: the objectProcess data product's directly-follows graph of one
// object type in a period, drawn as SVG. One GraphQL request per period (every object type's rows,
// with the key typed into the page); the object-type picker lists the types the rows hold, so a
// new object type in the ontology shows up without a change here. The layout is layered left to
// right (a small Sugiyama-style pass: cycles broken by a depth-first search from the start event
// types, layers by longest path, order in a layer by barycentre sweeps), so a process reads from
// its first event types to its last.
import { bindKeyField, graphql } from "../common/apikey.js";
import { navLinks } from "../common/nav.js";
import { layout } from "./layout.js";

const $ = (id) => document.getElementById(id);
const esc = (value) =>
  String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
// Exposed for tests and the console: the rows of the period, the type drawn and what was drawn.
window.processView = { ready: false, rows: [], objectType: "", drawn: [], error: "" };
const state = window.processView;

const QUERY = `query ObjectProcess($from: DateTime!, $to: DateTime!) {
  objectProcess(from: $from, to: $to) { objectType fromEventType toEventType frequency objectCount
    meanMinutes medianMinutes p90Minutes minMinutes maxMinutes } }`;
const DAY = 86_400_000;
const NODE_H = 46;
const ROW_GAP = 44;
const COL_GAP = 190; // room for an edge's label between two layers
const MARGIN = 30;

// Minutes as a person reads them: 45 min, 7.5 h, 2.1 d.
export function duration(minutes) {
  if (minutes == null) return "–";
  const m = Number(minutes);
  if (Math.abs(m) < 90) return `${+m.toFixed(1)} min`;
  if (Math.abs(m) < 48 * 60) return `${+(m / 60).toFixed(1)} h`;
  return `${+(m / 1440).toFixed(1)} d`;
}
const edgeLabel = (e) => `${e.frequency}× · mean ${duration(e.meanMinutes)} · median ${duration(e.medianMinutes)}`;
const isoDay = (t) => new Date(t).toISOString().slice(0, 10);

function showError(error) {
  state.error = error ? String(error.message || error) : "";
  $("error").hidden = !error;
  $("error").textContent = state.error;
}

// The period and type from the address (so a view can be linked), else the last 7 days.
function initialControls() {
  const query = new URLSearchParams(location.search);
  const to = query.get("to") || isoDay(Date.now() + DAY);
  const from = query.get("from") || isoDay(Date.parse(to) - 7 * DAY);
  $("from").value = from;
  $("to").value = to;
  state.objectType = query.get("objectType") || "";
}

function remember() {
  const query = new URLSearchParams({ from: $("from").value, to: $("to").value });
  if (state.objectType) query.set("objectType", state.objectType);
  history.replaceState(null, "", `${location.pathname}?${query}`);
}

function renderPicker() {
  const types = [...new Set(state.rows.map((r) => r.objectType))].sort();
  if (!types.includes(state.objectType)) state.objectType = types[0] || "";
  $("object-type").innerHTML = types.length
    ? types.map((t) => `<option value="${esc(t)}" ${t === state.objectType ? "selected" : ""}>${esc(t)}</option>`).join("")
    : `<option value="">(no object type has an edge in this period)</option>`;
}

function nodeWidth(name) {
  return Math.max(130, Math.round(name.length * 7.4) + 28);
}

// The SVG of one object type's edges.
function draw(edges) {
  if (!edges.length) {
    $("graph").innerHTML = `<p class="muted" style="padding:0 16px">No directly-follows edge in this period.</p>`;
    return;
  }
  const plan = layout(edges.map((e) => [e.fromEventType, e.toEventType]));
  const width = Math.max(...plan.nodes.map((n) => nodeWidth(n.name)));
  const tallest = Math.max(...plan.layers.map((l) => l.length));
  const layerOf = Object.fromEntries(plan.nodes.map((n) => [n.name, n.layer]));
  // Edges that would cross nodes are routed around them: one over more than one layer arcs above
  // every node, an edge back (right to left) dips below every node, each a lane further out.
  const span = (e) => layerOf[e.toEventType] - layerOf[e.fromEventType];
  const lanes = (list) => new Map(list.sort((a, b) => Math.abs(span(a)) - Math.abs(span(b))).map((e, i) => [e, i]));
  const over = lanes(edges.filter((e) => span(e) > 1));
  const under = lanes(edges.filter((e) => span(e) < 0));
  const LANE = 20;
  const top = MARGIN + Math.max(50, 34 + LANE * over.size);
  const floor = top + tallest * (NODE_H + ROW_GAP) - ROW_GAP;
  // the control height that puts a cubic's midpoint at peak (B(0.5).y = (y1 + 6c + y2) / 8)
  const control = (peak, y1, y2) => (8 * peak - y1 - y2) / 6;
  const pos = {};
  for (const n of plan.nodes) {
    const size = plan.layers[n.layer].length;
    const offset = ((tallest - size) * (NODE_H + ROW_GAP)) / 2; // each layer centred on the tallest
    const w = nodeWidth(n.name);
    pos[n.name] = { ...n, w, x: MARGIN + n.layer * (width + COL_GAP) + (width - w) / 2,
      y: top + offset + n.index * (NODE_H + ROW_GAP) };
  }
  const most = Math.max(...edges.map((e) => e.frequency));
  const incoming = {};
  const outgoing = {};
  for (const e of edges) {
    incoming[e.toEventType] = (incoming[e.toEventType] || 0) + e.frequency;
    outgoing[e.fromEventType] = (outgoing[e.fromEventType] || 0) + e.frequency;
  }
  const bottom = floor + 30 + LANE * under.size;
  const paths = edges.map((e) => {
    const a = pos[e.fromEventType];
    const b = pos[e.toEventType];
    const stroke = 1.5 + 6.5 * Math.sqrt(e.frequency / most);
    let d;
    let label;
    const isBack = span(e) < 0;
    if (a === b) {
      // a self-loop: an arc over the node
      const cx = a.x + a.w / 2;
      d = `M${cx - 14},${a.y} C${cx - 40},${a.y - 48} ${cx + 40},${a.y - 48} ${cx + 14},${a.y}`;
      label = [cx, a.y - 44];
    } else if (isBack) {
      // from the left of the later event type, below every node, into the right of the earlier one
      const [x1, y1, x2, y2] = [a.x, a.y + NODE_H * 0.7, b.x + b.w + 8, b.y + NODE_H * 0.7];
      const peak = floor + 22 + LANE * under.get(e);
      const c = control(peak, y1, y2);
      d = `M${x1},${y1} C${x1 - 70},${c} ${x2 + 70},${c} ${x2},${y2}`;
      label = [(x1 + x2) / 2, peak + 14];
    } else if (span(e) > 1) {
      // from the right of the earlier event type, above every node, into the left of the later one
      const [x1, y1, x2, y2] = [a.x + a.w, a.y + NODE_H * 0.3, b.x - 8, b.y + NODE_H * 0.3];
      const peak = top - 22 - LANE * over.get(e);
      const c = control(peak, y1, y2);
      d = `M${x1},${y1} C${x1 + 70},${c} ${x2 - 70},${c} ${x2},${y2}`;
      label = [(x1 + x2) / 2, peak - stroke / 2 - 3];
    } else {
      const [x1, y1, x2, y2] = [a.x + a.w, a.y + NODE_H / 2, b.x - 8, b.y + NODE_H / 2];
      const bend = Math.max(60, (x2 - x1) / 2);
      d = `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
      label = [(x1 + 3 * (x1 + bend) + 3 * (x2 - bend) + x2) / 8, (y1 + y2) / 2 - stroke / 2 - 4];
    }
    return `<g class="edge${isBack ? " back" : ""}" data-testid="edge"
        data-from="${esc(e.fromEventType)}" data-to="${esc(e.toEventType)}" data-frequency="${e.frequency}">
      <title>${esc(`${e.fromEventType} → ${e.toEventType}: ${e.frequency} times by ${e.objectCount} object(s); mean ${duration(e.meanMinutes)}, median ${duration(e.medianMinutes)}, p90 ${duration(e.p90Minutes)}, min ${duration(e.minMinutes)}, max ${duration(e.maxMinutes)}`)}</title>
      <path d="${d}" stroke-width="${stroke.toFixed(2)}" marker-end="url(#arrow)"></path>
      <text data-testid="edge-label" x="${label[0].toFixed(1)}" y="${label[1].toFixed(1)}" text-anchor="middle">${esc(edgeLabel(e))}</text></g>`;
  });
  const boxes = plan.nodes.map((n) => {
    const p = pos[n.name];
    const kind = !incoming[n.name] ? " start" : !outgoing[n.name] ? " end" : "";
    return `<g class="node${kind}" data-testid="node" data-event-type="${esc(n.name)}">
      <rect x="${p.x}" y="${p.y}" width="${p.w}" height="${NODE_H}" rx="8"></rect>
      <text x="${p.x + p.w / 2}" y="${p.y + 19}" text-anchor="middle">${esc(n.name)}</text>
      <text class="count" x="${p.x + p.w / 2}" y="${p.y + 36}" text-anchor="middle">in ${incoming[n.name] || 0} · out ${outgoing[n.name] || 0}</text></g>`;
  });
  const svgWidth = MARGIN * 2 + plan.layers.length * (width + COL_GAP) - COL_GAP;
  $("graph").innerHTML = `<svg class="dfg" xmlns="http://www.w3.org/2000/svg" width="${svgWidth}" height="${bottom + MARGIN}"
      role="img" aria-label="${esc(`directly-follows graph of ${state.objectType}`)}">
    <defs><marker id="arrow" viewBox="0 0 10 10" refX="2" refY="5" markerWidth="10" markerHeight="10"
      markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#52606d"></path></marker></defs>
    ${paths.join("")}${boxes.join("")}</svg>`;
}

function renderRows(edges) {
  $("rows").innerHTML = `<table><thead><tr><th>From</th><th>To</th><th>Frequency</th><th>Objects</th><th>Mean</th>
    <th>Median</th><th>p90</th><th>Min</th><th>Max</th></tr></thead><tbody>${edges
    .map((e) => `<tr data-testid="row"><td>${esc(e.fromEventType)}</td><td>${esc(e.toEventType)}</td><td>${e.frequency}</td>
      <td>${e.objectCount}</td><td>${duration(e.meanMinutes)}</td><td>${duration(e.medianMinutes)}</td>
      <td>${duration(e.p90Minutes)}</td><td>${duration(e.minMinutes)}</td><td>${duration(e.maxMinutes)}</td></tr>`)
    .join("")}</tbody></table>`;
}

function render() {
  renderPicker();
  remember();
  const edges = state.rows.filter((r) => r.objectType === state.objectType)
    .sort((a, b) => b.frequency - a.frequency || a.fromEventType.localeCompare(b.fromEventType));
  state.drawn = edges;
  const objects = edges.reduce((n, e) => n + e.frequency, 0);
  $("summary").textContent = state.objectType
    ? `${edges.length} edge(s), ${objects} directly-follows pair(s) of ${state.objectType}`
    : "";
  draw(edges);
  renderRows(edges);
}

let generation = 0;
async function load() {
  const mine = ++generation; // a newer period or key wins: only the last answer is drawn
  state.ready = false;
  showError(null);
  const from = $("from").value;
  const to = $("to").value;
  try {
    if (!from || !to) throw new Error("choose both days of the period");
    const body = await graphql(QUERY, { from: `${from}T00:00:00Z`, to: `${to}T00:00:00Z` });
    // a refused field comes back as data null beside the API's error: show the error, not an empty picture
    if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join("; "));
    if (mine !== generation) return;
    state.rows = body.data?.objectProcess || [];
    render();
  } catch (error) {
    if (mine !== generation) return;
    state.rows = [];
    state.drawn = [];
    $("object-type").innerHTML = "";
    $("graph").innerHTML = "";
    $("rows").innerHTML = "";
    $("summary").textContent = "";
    showError(error);
  }
  state.ready = true;
}

$("nav").innerHTML = navLinks("/process");
initialControls();
$("from").addEventListener("change", load);
$("to").addEventListener("change", load);
$("object-type").addEventListener("change", () => {
  state.objectType = $("object-type").value;
  render();
});
bindKeyField($("api-key"), () => load());
load();
