// The DigiSpine explorer: search an entity, see and expand its neighbourhood, read its properties
// and the events that touched it. Talks to the Explore API (POST /graphql) only.
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
      "border-width": 1, "border-color": "#fff" } },
    { selector: "node.center", style: { width: 36, height: 36, "border-width": 3, "border-color": "#1f2a37" } },
    { selector: "node:selected", style: { "border-width": 3, "border-color": "#f0b429" } },
    { selector: "node.cluster", style: { shape: "round-rectangle", width: 44, height: 30, "font-weight": "bold",
      "border-width": 2, "border-color": "#52606d", "text-valign": "center", "text-margin-y": 0, "text-max-width": 160 } },
    { selector: ".filtered", style: { display: "none" } },
    { selector: "edge", style: {
      width: 1.5, "line-color": "#9aa5b1", "target-arrow-color": "#9aa5b1", "target-arrow-shape": "triangle",
      "curve-style": "bezier", label: "data(label)", "font-size": 8, color: "#616e7c", "text-rotation": "autorotate" } },
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
};

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

async function expand(cls, key, { layout = true } = {}) {
  const data = await gql(
    `query($c: String!, $k: String!, $lang: String!) { neighbourhood(class: $c, key: $k, depth: 1, limit: 60, lang: $lang) {
      center { ${NODE} } nodes { ${NODE} } edges { id source target label } truncated } }`,
    { c: cls, k: key, lang: state.lang },
  );
  const hood = data.neighbourhood;
  if (!hood) throw new Error(`${cls} ${key} was not found`);
  const groups = {};
  for (const n of hood.nodes) if (cy.getElementById(n.id).empty()) (groups[n.classLabel] ||= []).push(n);
  const clustered = new Set();
  addNodes([hood.center], hood.center); // first: the clusters hang from it
  if (hood.nodes.length > CLUSTER_AT) {
    for (const [label, members] of Object.entries(groups)) {
      if (members.length < CLUSTER_MIN) continue;
      const id = `cluster:${hood.center.id}:${label}`;
      members.forEach((m) => clustered.add(m.id));
      if (cy.getElementById(id).empty()) {
        cy.add({ group: "nodes", classes: "cluster", data: { id, caption: `${label} (${members.length})`, color: members[0].color,
          cluster: { members, edges: hood.edges, label, count: members.length } } });
        const relations = [...new Set(hood.edges.filter((e) => members.some((m) => m.id === e.source || m.id === e.target)).map((e) => e.label))];
        cy.add({ group: "edges", data: { id: `${id}:edge`, source: hood.center.id, target: id, label: relations.join(", ") } });
      }
    }
  }
  addNodes([hood.center, ...hood.nodes.filter((n) => !clustered.has(n.id))], hood.center);
  addEdges(hood.edges);
  renderFilters();
  state.expanded.add(hood.center.id);
  if (layout) cy.layout({ name: "cose", animate: false, nodeRepulsion: 9000, idealEdgeLength: 90, fit: true, padding: 30 }).run();
  if (hood.truncated) showError(new Error(`${hood.center.label}: only the first 60 neighbours are shown`));
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
    <h3>Properties</h3><table data-testid="properties">${rows}</table>
    <h3>Events</h3><ol class="events" data-testid="events"><li class="hint">loading…</li></ol>`;
  try {
    const data = await gql(
      `query($c: String!, $k: String!, $lang: String!) { entityEvents(class: $c, key: $k, limit: 30, lang: $lang) {
        id label time source } }`,
      { c: node.class, k: node.key, lang: state.lang },
    );
    $("details").querySelector("[data-testid=events]").innerHTML = data.entityEvents.length
      ? data.entityEvents.map((e) => `<li data-testid="event">${esc(e.label)}<small data-testid="event-time">${esc(readableTime(e.time))} · ${esc(e.source)}</small></li>`).join("")
      : '<li class="hint">no events</li>';
  } catch (error) {
    showError(error);
  }
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

// Opening a cluster puts its members in the graph.
function openCluster(node) {
  const { members, edges } = node.data("cluster");
  cy.remove(node);
  addNodes(members);
  addEdges(edges);
  cy.layout({ name: "cose", animate: false, nodeRepulsion: 9000, idealEdgeLength: 90, fit: true, padding: 30 }).run();
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
  if (event.target.hasClass("cluster")) return openCluster(event.target);
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
