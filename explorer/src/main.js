// The DigiSpine explorer: search an entity, see and expand its neighbourhood (whole, or one class
// or relation at a time), read its properties and the events that touched it in time order, and
// open an event's lineage (the entities it touched, with the link's role and kept values).
// Talks to the Explore API (POST /graphql) only.
import cytoscape from "cytoscape";

const NODE = "id class classLabel key label context color properties { name label value masked }";
const $ = (id) => document.getElementById(id);
const state = { lang: localStorage.getItem("digispine.lang") || "en", selected: null, expanded: new Set(), query: null };

// Times as a person writes them: 2026-03-02 06:10:16 UTC, not 2026-03-02T06:10:16.000000000+00:00.
const ISO_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;
function readableTime(text) {
  const m = ISO_TIME.exec(String(text ?? ""));
  if (!m) return text;
  const zone = !m[4] || m[4] === "Z" || m[4] === "+00:00" || m[4] === "-00:00" ? "UTC" : m[4];
  return `${m[1]} ${m[2]} ${zone}`;
}

const cy = cytoscape({
  container: $("graph"),
  style: [
    { selector: "node", style: {
      "background-color": "data(color)", label: "data(caption)", "font-size": 10, color: "#1f2a37",
      "text-valign": "bottom", "text-margin-y": 4, width: 26, height: 26, "text-wrap": "ellipsis", "text-max-width": 110,
      "border-width": 1, "border-color": "#fff",
      // an edge passing behind a label never hides its text
      "text-background-color": "#f6f7f9", "text-background-opacity": 0.85, "text-background-padding": 1 } },
    { selector: "node.center", style: { width: 36, height: 36, "border-width": 3, "border-color": "#1f2a37" } },
    { selector: "node:selected", style: { "border-width": 3, "border-color": "#f0b429" } },
    { selector: "node.cluster", style: { shape: "round-rectangle", width: 44, height: 30, "font-weight": "bold",
      "border-width": 2, "border-color": "#52606d", "text-valign": "center", "text-margin-y": 0, "text-max-width": 160 } },
    { selector: "node.event", style: { shape: "diamond", width: 40, height: 40, "background-color": "#1f2a37",
      "border-width": 3, "border-color": "#f0b429", "font-weight": "bold", "text-max-width": 220 } },
    // the last resort of declutter(): a label that could not be moved clear is not drawn
    { selector: "node.quiet", style: { label: "" } },
    { selector: ".filtered", style: { display: "none" } },
    // Edge labels are drawn on hover only: on a star of 60 edges they would cover the node labels.
    // The relation names are in the filter bar and on the expand buttons.
    { selector: "edge", style: {
      width: 1.5, "line-color": "#9aa5b1", "target-arrow-color": "#9aa5b1", "target-arrow-shape": "triangle",
      "curve-style": "bezier", label: "", "font-size": 9, color: "#1f2a37", "text-rotation": "autorotate",
      "text-background-color": "#fff", "text-background-opacity": 0.85, "text-background-padding": 2 } },
    { selector: "edge.hovered", style: { label: "data(label)", "z-index": 10 } },
  ],
  wheelSensitivity: 0.3,
  minZoom: 0.2,
  maxZoom: 1.4,
});

// For tests and curious users: the page's state.
window.explorer = {
  cy,
  nodeCount: () => cy.nodes().length,
  edgeCount: () => cy.edges().length,
  ready: false,
  // rendered boxes of the labels drawn (tests check that no two intersect)
  labelBoxes: () => cy.nodes(":visible").filter((n) => !n.hasClass("quiet") && n.data("caption"))
    .map((n) => ({ id: n.id(), ...n.renderedBoundingBox({ includeNodes: false, includeEdges: false, includeLabels: true }) })),
  quietCount: () => cy.nodes(".quiet").length,
};
cy.on("mouseover", "edge", (e) => e.target.addClass("hovered"));
cy.on("mouseout", "edge", (e) => e.target.removeClass("hovered"));

// Labels that never overlap. Positions and label sizes scale together with the zoom, so boxes
// apart in model coordinates are apart at every zoom level, the default (fit) one included.
// After each layout every visible node's box (its body and its label) is pushed clear of every
// other along the axis that needs the smaller move, the centre staying put, until no two
// intersect; a label still in a collision after MAX_ROUNDS is not drawn (class "quiet"), so the
// promise holds whatever the graph.
const GAP = 6;
const MAX_ROUNDS = 300;
function boxOf(n) {
  const b = n.boundingBox({ includeNodes: true, includeEdges: false, includeLabels: true, includeOverlays: false });
  return { x1: b.x1 - GAP / 2, x2: b.x2 + GAP / 2, y1: b.y1 - GAP / 2, y2: b.y2 + GAP / 2 };
}
function overlap(a, b) {
  return { x: Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1), y: Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1) };
}
function shift(item, dx, dy) {
  const p = item.n.position();
  item.n.position({ x: p.x + dx, y: p.y + dy });
  item.b.x1 += dx; item.b.x2 += dx; item.b.y1 += dy; item.b.y2 += dy;
}
function declutter() {
  cy.nodes().removeClass("quiet");
  const items = cy.nodes(":visible").map((n) => ({ n, b: boxOf(n), fixed: n.hasClass("center") || n.hasClass("event") }));
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let moved = false;
    for (let i = 0; i < items.length; i++) {
      for (let j = i + 1; j < items.length; j++) {
        const a = items[i], b = items[j];
        const o = overlap(a.b, b.b);
        if (o.x <= 0 || o.y <= 0) continue;
        moved = true;
        const ca = a.n.position(), cb = b.n.position();
        const alongX = o.x < o.y;
        const sign = (alongX ? cb.x - ca.x : cb.y - ca.y) >= 0 ? 1 : -1;
        const push = (alongX ? o.x : o.y) + 0.5;
        const [da, db] = a.fixed ? [0, push] : b.fixed ? [push, 0] : [push / 2, push / 2];
        if (alongX) { shift(a, -sign * da, 0); shift(b, sign * db, 0); } else { shift(a, 0, -sign * da); shift(b, 0, sign * db); }
      }
    }
    if (!moved) return;
  }
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const o = overlap(items[i].b, items[j].b);
      if (o.x > 0 && o.y > 0 && !items[i].n.hasClass("quiet")) (items[j].fixed ? items[i] : items[j]).n.addClass("quiet");
    }
  }
}
function relayout() {
  cy.layout({ name: "cose", animate: false, nodeRepulsion: 9000, idealEdgeLength: 90, fit: false, padding: 30 }).run();
  declutter();
  cy.fit(undefined, 30);
}

async function gql(query, variables = {}) {
  const headers = { "Content-Type": "application/json" };
  const key = $("api-key").value.trim();
  if (key) headers.Authorization = `Bearer ${key}`;
  const response = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  if (response.status === 401) throw new Error("401: this server needs an API key (field at the top right)");
  const body = await response.json();
  if (body.errors && body.errors.length) throw new Error(body.errors.map((e) => e.message).join("; "));
  return body.data;
}

function showError(error) {
  $("error").hidden = !error;
  $("error").textContent = error ? String(error.message || error) : "";
}

function addNodes(nodes, center) {
  for (const n of nodes) {
    const data = { id: n.id, caption: `${n.label}`, color: n.color, node: n };
    const existing = cy.getElementById(n.id);
    if (existing.nonempty()) existing.data(data);
    else cy.add({ group: "nodes", data });
  }
  if (center) cy.getElementById(center.id).addClass("center");
}

// Neighbourhoods larger than this show a class's many members as one node with their count.
const CLUSTER_AT = 20;
const CLUSTER_MIN = 4;

function addEdges(edges) {
  for (const e of edges) {
    // an edge to a node shown inside a cluster waits until the cluster is opened
    if (cy.getElementById(e.source).empty() || cy.getElementById(e.target).empty()) continue;
    if (cy.getElementById(e.id).empty()) {
      cy.add({ group: "edges", data: { id: e.id, source: e.source, target: e.target, label: e.label } });
    }
  }
}

async function expand(cls, key, { layout = true, classes = null, relations = null } = {}) {
  const restricted = Boolean(classes || relations);
  const data = await gql(
    `query($c: String!, $k: String!, $lang: String!, $l: Int!, $cs: [String!], $rs: [String!]) {
      neighbourhood(class: $c, key: $k, depth: 1, limit: $l, lang: $lang, classes: $cs, relations: $rs) {
      center { ${NODE} } nodes { ${NODE} } edges { id source target label } truncated } }`,
    // one class or relation asked for: all of it (the server's bound), not the first 60
    { c: cls, k: key, lang: state.lang, l: restricted ? 500 : 60, cs: classes, rs: relations },
  );
  const hood = data.neighbourhood;
  if (!hood) throw new Error(`${cls} ${key} was not found`);
  const groups = {};
  for (const n of hood.nodes) if (cy.getElementById(n.id).empty()) (groups[n.classLabel] ||= []).push(n);
  const clustered = new Set();
  addNodes([hood.center], hood.center); // first: the clusters hang from it
  if (!restricted && hood.nodes.length > CLUSTER_AT) {
    for (const [label, members] of Object.entries(groups)) {
      if (members.length < CLUSTER_MIN) continue;
      const id = `cluster:${hood.center.id}:${label}`;
      members.forEach((m) => clustered.add(m.id));
      if (cy.getElementById(id).empty()) {
        cy.add({ group: "nodes", classes: "cluster", data: { id, caption: `${members.length} × ${label}`, color: members[0].color,
          cluster: { members, edges: hood.edges, label, count: members.length, center: hood.center } } });
        const relations = [...new Set(hood.edges.filter((e) => members.some((m) => m.id === e.source || m.id === e.target)).map((e) => e.label))];
        cy.add({ group: "edges", data: { id: `${id}:edge`, source: hood.center.id, target: id, label: relations.join(", ") } });
      }
    }
  }
  addNodes([hood.center, ...hood.nodes.filter((n) => !clustered.has(n.id))], hood.center);
  addEdges(hood.edges);
  // a cluster whose members are all drawn now has nothing left to stand for
  cy.nodes(".cluster").forEach((c) => { if (c.data("cluster").members.every((m) => cy.getElementById(m.id).nonempty())) cy.remove(c); });
  renderFilters();
  if (!restricted) state.expanded.add(hood.center.id);
  if (layout) relayout();
  else declutter();
  if (hood.truncated) showError(new Error(`${hood.center.label}: only the first ${restricted ? 500 : 60} neighbours are shown`));
  return hood.center;
}

async function select(node) {
  state.selected = node;
  cy.$(":selected").unselect();
  cy.getElementById(node.id).select();
  const rows = node.properties
    .map((p) => `<tr><td title="${esc(p.name)}">${esc(p.label)}</td><td class="${p.masked ? "masked" : ""}">${
      p.masked ? "masked (personal data)" : esc(readableTime(p.value ?? ""))}</td></tr>`)
    .join("");
  $("details").innerHTML = `<h2 data-testid="selected-title"><span class="swatch" style="background:${node.color}"></span>${
    esc(node.label)}</h2><div>${esc(node.classLabel)} · ${esc(node.key)}</div>
    <h3>Expand</h3><div class="expand" data-testid="expand"><span class="hint">loading…</span></div>
    <h3>Properties</h3><table data-testid="properties">${rows}</table>
    <h3>Events <small class="hint">in time order; click one for its lineage</small></h3>
    <ol class="events" data-testid="events"><li class="hint">loading…</li></ol>`;
  try {
    const data = await gql(
      `query($c: String!, $k: String!, $lang: String!) {
        entityEvents(class: $c, key: $k, limit: 30, lang: $lang) { id label time source role }
        neighbourSummary(class: $c, key: $k, lang: $lang) { classes { name label count } relations { name label count } } }`,
      { c: node.class, k: node.key, lang: state.lang },
    );
    if (state.selected !== node) return; // another node was clicked meanwhile
    renderExpand(node, data.neighbourSummary);
    // the 30 latest, read in time order (oldest first)
    const events = [...data.entityEvents].reverse();
    const list = $("details").querySelector("[data-testid=events]");
    list.innerHTML = events.length
      ? events.map((e, i) => `<li data-testid="event"><button class="link" data-index="${i}">${esc(e.label)}</button>${
        e.role ? ` <span class="role">${esc(e.role)}</span>` : ""}<small data-testid="event-time">${esc(readableTime(e.time))} · ${esc(e.source)}</small></li>`).join("")
      : '<li class="hint">no events</li>';
    list.querySelectorAll("button").forEach((b) => b.addEventListener("click", () => lineage(events[Number(b.dataset.index)]).catch(showError)));
  } catch (error) {
    showError(error);
  }
}

// Expand one class or one relation of the selected node: the server sends just those neighbours.
function renderExpand(node, summary) {
  const box = $("details").querySelector("[data-testid=expand]");
  if (!summary || (!summary.classes.length && !summary.relations.length)) {
    box.innerHTML = '<span class="hint">no neighbours</span>';
    return;
  }
  const button = (kind, g) => `<button data-testid="expand-${kind}" data-kind="${kind}" data-name="${esc(g.name)}">${g.count} × ${esc(g.label)}</button>`;
  box.innerHTML = `<div><small>by class</small> ${summary.classes.map((g) => button("class", g)).join("")}</div>
    <div><small>by relation</small> ${summary.relations.map((g) => button("relation", g)).join("")}</div>`;
  box.querySelectorAll("button").forEach((b) => b.addEventListener("click", () => {
    const only = b.dataset.kind === "class" ? { classes: [b.dataset.name] } : { relations: [b.dataset.name] };
    expand(node.class, node.key, only).then(() => { window.explorer.expandedBy = b.dataset.name; }).catch(showError);
  }));
}

// The lineage of an event: the event in the middle, the entities it touched around it (the link's
// role in their caption), and in the side panel each link's role and the values kept on it.
async function lineage(event) {
  showError(null);
  const data = await gql(
    `query($id: ID!, $s: String, $lang: String!) { eventLineage(id: $id, source: $s, lang: $lang) {
      event { id type label time source } truncated
      touched { node { ${NODE} } role kept { name label value masked } } } }`,
    { id: event.id, s: event.source, lang: state.lang },
  );
  const found = data.eventLineage;
  if (!found) throw new Error(`event ${event.id} was not found`);
  cy.elements().remove();
  state.expanded.clear();
  const eventId = `event:${found.event.source}:${found.event.id}`;
  cy.add({ group: "nodes", classes: "event", data: { id: eventId, caption: `${found.event.label} · ${readableTime(found.event.time)}`, event: found.event } });
  for (const t of found.touched) {
    cy.add({ group: "nodes", data: { id: t.node.id, caption: t.role ? `${t.node.label} (${t.role})` : t.node.label, color: t.node.color, node: t.node } });
    cy.add({ group: "edges", data: { id: `${eventId}->${t.node.id}`, source: eventId, target: t.node.id, label: t.role || "affected" } });
  }
  state.selected = null;
  renderFilters();
  cy.layout({ name: "concentric", animate: false, fit: false, minNodeSpacing: 30, concentric: (n) => (n.hasClass("event") ? 2 : 1), levelWidth: () => 1 }).run();
  declutter();
  cy.fit(undefined, 30);
  const kept = (t) => t.kept.map((p) => `${esc(p.label)} = ${p.masked ? '<span class="masked">masked (personal data)</span>' : esc(readableTime(p.value ?? ""))}`).join("<br>");
  $("details").innerHTML = `<h2 data-testid="selected-title"><span class="swatch" style="background:#1f2a37"></span>${esc(found.event.label)}</h2>
    <div data-testid="lineage-event">${esc(readableTime(found.event.time))} · ${esc(found.event.source)} · ${esc(found.event.id)}</div>
    <h3>Touched</h3><table data-testid="lineage"><tr><th>entity</th><th>role</th><th>kept values</th></tr>${found.touched.map((t) =>
      `<tr data-testid="lineage-row"><td><span class="swatch" style="background:${t.node.color}"></span>${esc(t.node.label)}<small> ${esc(t.node.classLabel)} · ${esc(t.node.key)}</small></td>
      <td data-testid="lineage-role">${esc(t.role ?? "")}</td><td>${kept(t)}</td></tr>`).join("")}</table>
    ${found.truncated ? '<p class="hint">only the first entities are shown</p>' : ""}`;
  window.explorer.lineageOf = found.event.id;
  return found;
}

async function search(text, { openFirst = true } = {}) {
  showError(null);
  state.query = text;
  const data = await gql(
    `query($t: String!, $lang: String!) { searchEntities(text: $t, limit: 20, lang: $lang) { ${NODE} } }`,
    { t: text, lang: state.lang },
  );
  const found = data.searchEntities;
  $("results").innerHTML = found.length
    ? found.map((n, i) => `<button class="result" data-testid="result" data-index="${i}"><span class="swatch" style="background:${
      n.color}"></span>${esc(n.label)}<small>${esc(n.classLabel)} · ${esc(n.key)}</small></button>`).join("")
    : '<p class="hint">Nothing found.</p>';
  $("results").querySelectorAll(".result").forEach((button) => {
    button.addEventListener("click", () => open(found[Number(button.dataset.index)]).catch(showError));
  });
  if (found.length && openFirst) await open(found[0]);
}

async function open(node) {
  cy.elements().remove();
  state.expanded.clear();
  const center = await expand(node.class, node.key);
  await select(center);
}

async function legend() {
  const data = await gql(`query($lang: String!) { explorerLegend(lang: $lang) { context label color } }`, { lang: state.lang });
  $("legend").innerHTML = data.explorerLegend
    .map((c) => `<span data-testid="legend-item"><span class="swatch" style="background:${c.color}"></span>${esc(c.label)}</span>`)
    .join("");
}

function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

// Opening a cluster asks the server for the centre's neighbours of the cluster's class(es): all
// of them, also those beyond the first 60 the centre's expansion brought.
async function openCluster(node) {
  const { members, center } = node.data("cluster");
  const classes = [...new Set(members.map((m) => m.class))];
  await expand(center.class, center.key, { classes });
  if (node.inside()) cy.remove(node);
  renderFilters();
}

// Filters: the classes and relation types in the graph, with counts; unticked ones are hidden.
const hidden = { classes: new Set(), relations: new Set() };
function renderFilters() {
  const classes = {};
  const relations = {};
  cy.nodes().forEach((n) => {
    const label = n.data("node")?.classLabel || n.data("cluster")?.label;
    if (label) classes[label] = (classes[label] || 0) + (n.data("cluster")?.count || 1);
  });
  cy.edges().forEach((e) => {
    for (const r of String(e.data("label") || "").split(", ")) if (r) relations[r] = (relations[r] || 0) + 1;
  });
  const box = (kind, name, count) => `<label data-testid="filter-${kind}"><input type="checkbox" data-kind="${kind}" value="${esc(name)}" ${
    hidden[kind].has(name) ? "" : "checked"}> ${esc(name)} <small>${count}</small></label>`;
  $("filters").innerHTML = `<strong>Classes</strong> ${Object.entries(classes).sort().map(([k, v]) => box("classes", k, v)).join("")}
    <strong>Relations</strong> ${Object.entries(relations).sort().map(([k, v]) => box("relations", k, v)).join("")}`;
  $("filters").querySelectorAll("input").forEach((input) => input.addEventListener("change", () => {
    if (input.checked) hidden[input.dataset.kind].delete(input.value);
    else hidden[input.dataset.kind].add(input.value);
    applyFilters();
    declutter(); // what is shown again must not land on a label
  }));
  applyFilters();
}
function applyFilters() {
  cy.nodes().forEach((n) => {
    const label = n.data("node")?.classLabel || n.data("cluster")?.label;
    n.toggleClass("filtered", hidden.classes.has(label) && !n.hasClass("center"));
  });
  cy.edges().forEach((e) => e.toggleClass("filtered", String(e.data("label") || "").split(", ").every((r) => hidden.relations.has(r))));
}

// A click shows the node's properties and events and expands its neighbourhood (once).
cy.on("tap", "node", (event) => {
  if (event.target.hasClass("cluster")) return openCluster(event.target).catch(showError);
  if (event.target.hasClass("event")) return lineage(event.target.data("event")).catch(showError);
  const node = event.target.data("node");
  const grow = state.expanded.has(node.id) ? Promise.resolve() : expand(node.class, node.key);
  grow.then(() => select(node)).catch(showError);
});

$("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("search").value.trim();
  if (text) search(text).catch(showError);
});
$("lang").value = state.lang;
$("lang").addEventListener("change", async () => {
  state.lang = $("lang").value;
  localStorage.setItem("digispine.lang", state.lang);
  // The graph stays: every expanded node is fetched again in the new language (labels, edges,
  // properties), the result list too, and the selected node stays selected.
  try {
    await legend();
    if (state.query) await search(state.query, { openFirst: false });
    const expanded = [...state.expanded].map((id) => cy.getElementById(id).data("node")).filter(Boolean);
    for (const node of expanded) await expand(node.class, node.key, { layout: false });
    if (state.selected) {
      const again = cy.getElementById(state.selected.id).data("node");
      if (again) await select(again);
    }
    declutter();
    window.explorer.relabelled = state.lang;
  } catch (error) {
    showError(error);
  }
});
$("api-key").value = localStorage.getItem("digispine.apiKey") || "";
$("api-key").addEventListener("change", () => {
  localStorage.setItem("digispine.apiKey", $("api-key").value.trim());
  legend().then(() => showError(null)).catch(showError);
});

// Fit and zoom: buttons beside the graph (the wheel zooms too).
$("fit").addEventListener("click", () => cy.fit(undefined, 30));
$("zoom-in").addEventListener("click", () => cy.zoom({ level: cy.zoom() * 1.25, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } }));
$("zoom-out").addEventListener("click", () => cy.zoom({ level: cy.zoom() / 1.25, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } }));

const initial = new URLSearchParams(location.search).get("q");
legend()
  .then(() => (initial ? ($("search").value = initial, search(initial)) : null))
  .catch(showError)
  .finally(() => { window.explorer.ready = true; });

// Expanding by API for tests and keyboard users: window.explorer.expand("SalesOrder", "SO-000001").
window.explorer.expand = (cls, key) => expand(cls, key);
window.explorer.openCluster = (id) => openCluster(cy.getElementById(id));
window.explorer.declutter = declutter;
