// The data product catalog: reads GraphQL `dataProducts` (the same catalog as /catalog.jsonld) and
// shows each product and stream: what it is, who owns it, how fresh and how valid it is (with the
// violations of its latest validation), its fields with their ontology definitions and an example
// query that opens in GraphiQL. A stream's freshness is measured from Kafka: asked for per stream,
// after the list is shown.
import { bindKeyField, graphql } from "../common/apikey.js";
import { navLinks } from "../common/nav.js";

const CATALOG = `{ dataProducts {
  name version title domain owner description status deprecationReason freshnessSla accessRoles tags
  outputShape onViolation graphqlField latest kind validationStatus exampleQuery exampleVariables
  parameters { name type required default description }
  validation { status conforms checkedAt violationCount rowCount parameterSets error
    sampleViolations { row rowKey field constraint message value } }
  fields { path type description allowed ontologyTerm ontologyDefinition glossaryHref }
  stream { inputs key grace emit outputType latencySla consumerGroup
    windows { name kind size step count calendar }
    kafka { topic mediaType } subscription { field path protocol } }
} }`;
const FRESHNESS = `query Freshness($name: String!) { dataProducts(name: $name, kind: STREAM) { version stream { freshness {
  status detail measuredAt consumerLag lastEventTime lastWrittenAt latencyP50Ms latencyP99Ms
  sampledEvents sampledViolations conformanceRate } } } }`;

const $ = (id) => document.getElementById(id);
window.catalog = { ready: false, entries: [] };

const esc = (value) =>
  String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

// Times as a person writes them: 2026-12-01 14:05:09 UTC.
function when(text) {
  if (!text) return "";
  const t = new Date(text);
  return Number.isNaN(t.getTime()) ? text : t.toISOString().replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC");
}

// PT15M → 15 min, P1D → 1 d: ISO 8601 durations read at a glance.
function duration(text) {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?$/.exec(text || "");
  if (!m) return text || "";
  const parts = [[m[1], "d"], [m[2], "h"], [m[3], "min"], [m[4], "s"]].filter(([v]) => v && Number(v) !== 0);
  return parts.length ? parts.map(([v, u]) => `${v} ${u}`).join(" ") : "0 s";
}

function badge(text, cls = text) {
  return `<span class="badge ${esc(cls)}" data-testid="badge">${esc(text)}</span>`;
}

function fact(label, value) {
  return value === "" || value == null ? "" : `<div><dt>${esc(label)}</dt><dd>${value}</dd></div>`;
}

function graphiqlLink(entry) {
  const params = new URLSearchParams({ query: entry.exampleQuery });
  if (entry.exampleVariables && entry.exampleVariables !== "{}") params.set("variables", entry.exampleVariables);
  return `/graphql#${params.toString()}`;
}

function validation(entry) {
  if (entry.kind === "STREAM") {
    return `<p class="muted">Every derived event is checked against the shape before it is produced; one that
      fails is withheld and reported on the violations topic (the conformance rate below measures it).</p>`;
  }
  const v = entry.validation;
  if (!v) return `<p data-testid="validation">${badge("NOT_CHECKED")} not validated yet.</p>`;
  const head = `<p data-testid="validation">${badge(v.status)} checked ${esc(when(v.checkedAt))}:
    ${v.rowCount} rows from ${v.parameterSets} parameter set(s)${v.violationCount != null ? `, ${v.violationCount} violation(s)` : ""}.
    ${v.error ? `<br><strong>Could not check:</strong> ${esc(v.error)}` : ""}</p>`;
  if (!v.sampleViolations.length) return head;
  const rows = v.sampleViolations
    .map((x) => `<tr data-testid="violation"><td>${x.row ?? ""}</td><td>${esc(x.rowKey)}</td><td><code>${esc(x.field)}</code></td>
      <td>${esc(x.constraint)}</td><td>${esc(x.message)}</td><td>${esc(x.value)}</td></tr>`)
    .join("");
  return `${head}<table><thead><tr><th>Row</th><th>Row key</th><th>Field</th><th>Constraint</th><th>Why</th><th>Value</th></tr></thead>
    <tbody>${rows}</tbody></table>`;
}

function fields(entry) {
  if (!entry.fields.length) return "";
  const rows = entry.fields
    .map((f) => {
      const term = f.ontologyTerm
        ? (f.glossaryHref ? `<a href="/glossary/${esc(f.glossaryHref)}">${esc(f.ontologyTerm)}</a>` : esc(f.ontologyTerm))
        : "";
      const allowed = f.allowed.length ? `<br><span class="muted">one of ${esc(f.allowed.join(", "))}</span>` : "";
      return `<tr data-testid="field"><td><code>${esc(f.path)}</code></td><td><code>${esc(f.type)}</code></td>
        <td>${esc(f.description)}${allowed}</td><td>${term}</td><td>${esc(f.ontologyDefinition)}</td></tr>`;
    })
    .join("");
  return `<details data-testid="fields"><summary>${entry.fields.length} fields</summary>
    <table><thead><tr><th>Field</th><th>Type</th><th>In this product</th><th>Ontology term</th><th>Definition</th></tr></thead>
    <tbody>${rows}</tbody></table></details>`;
}

function parameters(entry) {
  if (!entry.parameters.length) return "";
  return entry.parameters
    .map((p) => `<code>${esc(p.name)}: ${esc(p.type)}${p.required ? "!" : ""}</code>${p.default != null ? ` = ${esc(p.default)}` : ""}
      <span class="muted">${esc(p.description)}</span>`)
    .join("<br>");
}

function streamFacts(s) {
  if (!s) return "";
  const windows = s.windows.map((w) => `${esc(w.name)} (${esc(w.kind)} ${esc(duration(w.size) || w.count || w.calendar || "")})`).join(", ");
  return fact("Inputs", esc(s.inputs.join(", "))) + fact("Key", `<code>${esc(s.key)}</code>`) + fact("Windows", windows)
    + fact("Emits", esc(s.emit)) + fact("Latency SLA (p99)", esc(duration(s.latencySla))) + fact("Grace", esc(duration(s.grace)))
    + fact("Kafka topic", `<code>${esc(s.kafka.topic)}</code>`)
    + fact("Subscription", `<code>${esc(s.subscription.field)}</code> on ${esc(s.subscription.path)} (${esc(s.subscription.protocol)})`);
}

function freshnessText(f, sla) {
  if (!f) return "";
  const figures = [
    f.consumerLag != null ? `lag ${f.consumerLag} events` : "",
    f.lastEventTime ? `last event ${when(f.lastEventTime)}` : "",
    f.latencyP99Ms != null ? `latency p50 ${f.latencyP50Ms.toFixed(0)} ms, p99 ${f.latencyP99Ms.toFixed(0)} ms (SLA ${duration(sla)})` : "",
    f.conformanceRate != null ? `conformance ${(100 * f.conformanceRate).toFixed(1)} % of ${f.sampledEvents}` : "",
  ].filter(Boolean);
  return `${badge(f.status)} ${esc(figures.join(" · "))}${f.detail ? ` <span class="muted">${esc(f.detail)}</span>` : ""}
    <span class="muted">(measured ${esc(when(f.measuredAt))})</span>`;
}

function card(entry, index) {
  const status = entry.status === "deprecated" ? badge("deprecated") : "";
  const state = entry.kind === "STREAM" ? "" : badge(entry.validationStatus);
  return `<section class="product" id="${esc(entry.name)}-${esc(entry.version)}" data-testid="product"
      data-name="${esc(entry.name)}" data-version="${esc(entry.version)}" data-index="${index}">
    <h2>${esc(entry.title)} <code>${esc(entry.graphqlField)}</code> ${badge(entry.kind, "kind")} ${status} ${state}</h2>
    <p>${esc(entry.description)}</p>
    ${entry.deprecationReason ? `<p><strong>Deprecated:</strong> ${esc(entry.deprecationReason)}</p>` : ""}
    <dl class="facts">
      ${fact("Name, version", `<code>${esc(entry.name)}</code> ${esc(entry.version)}${entry.latest ? " (latest)" : ""}`)}
      ${fact("Owner", esc(entry.owner))}
      ${fact("Domain", `<a href="/glossary/context-${esc(entry.domain.replace(/[^A-Za-z0-9_-]+/g, "-"))}.html">${esc(entry.domain)}</a>`)}
      ${fact("Status", esc(entry.status))}
      ${fact("Freshness SLA", esc(duration(entry.freshnessSla)))}
      ${fact("Access roles", esc(entry.accessRoles.join(", ")))}
      ${fact("Tags", esc(entry.tags.join(", ")))}
      ${fact("On violation", esc(entry.onViolation))}
      ${fact("Parameters", parameters(entry))}
      ${streamFacts(entry.stream)}
    </dl>
    ${entry.kind === "STREAM" ? `<p data-testid="freshness"><strong>Freshness:</strong> <span class="freshness">measuring…</span></p>` : ""}
    <h3>Latest validation</h3>
    ${validation(entry)}
    ${fields(entry)}
    <details data-testid="example"><summary>Example ${entry.kind === "STREAM" ? "subscription" : "query"}</summary>
      <pre>${esc(entry.exampleQuery)}</pre>
      ${entry.exampleVariables !== "{}" ? `<p class="muted">Variables (fill in):</p><pre>${esc(entry.exampleVariables)}</pre>` : ""}
    </details>
    <p><a data-testid="open-graphiql" href="${esc(graphiqlLink(entry))}">Open in GraphiQL</a></p>
  </section>`;
}

function applyFilter() {
  const text = $("filter").value.trim().toLowerCase();
  let shown = 0;
  document.querySelectorAll("[data-testid=product]").forEach((section) => {
    const hit = !text || section.textContent.toLowerCase().includes(text);
    section.hidden = !hit;
    shown += hit ? 1 : 0;
  });
  $("count").textContent = `${shown} of ${window.catalog.entries.length} shown`;
}

async function measure(name) {
  const body = await graphql(FRESHNESS, { name });
  for (const e of body.data.dataProducts) {
    const section = document.getElementById(`${name}-${e.version}`);
    const entry = window.catalog.entries.find((x) => x.name === name && x.version === e.version);
    if (section) section.querySelector(".freshness").innerHTML = freshnessText(e.stream.freshness, entry.stream.latencySla);
  }
}

function showError(error) {
  $("error").hidden = !error;
  $("error").textContent = error ? String(error.message || error) : "";
}

async function load() {
  window.catalog.ready = false;
  try {
    const body = await graphql(CATALOG);
    const entries = body.data.dataProducts;
    window.catalog.entries = entries;
    $("products").innerHTML = entries.length ? entries.map(card).join("") : "<p>No data products are served.</p>";
    applyFilter();
    showError(null);
    const streams = [...new Set(entries.filter((e) => e.kind === "STREAM").map((e) => e.name))];
    await Promise.all(streams.map((name) => measure(name).catch(() => null)));
  } catch (error) {
    showError(error);
  } finally {
    window.catalog.ready = true;
  }
}

$("nav").innerHTML = navLinks("/catalog");
$("filter").addEventListener("input", applyFilter);
bindKeyField($("api-key"), () => load());
load();
