// The plant dashboard: the figures a shift supervisor reads at a glance. At load it runs the data
// products (equipmentOEE: every unit's OEE in every shift, a shift picker chooses which;
// workInProgress, orderFulfillment); then it stays live over the GraphQL subscriptions
// (graphql-transport-ws, the key in connection_init): the equipmentOee, qualityYield and
// deliveryRisk streams update the tiles and bars as their derived events arrive (qualityYield
// from ALERT_HOURS back, so alerts raised before the page was opened are listed too), and
// dataProductChanged(workInProgress) re-runs the WIP query when the graph it reads changes.
import { createClient } from "graphql-ws";
import { bindKeyField, graphql, storedKey } from "../common/apikey.js";
import { navLinks } from "../common/nav.js";

const $ = (id) => document.getElementById(id);
const esc = (value) =>
  String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
// Exposed for tests and for a curious supervisor's console: what the page shows and how many live events it took.
window.dashboard = { ready: false, live: 0, oee: {}, shifts: {}, shift: "", alerts: [], risk: {} };
const state = window.dashboard;

const OEE_GOOD = 0.85;
const OEE_FAIR = 0.6;
// Quality alerts stay open this long after they were raised (the chart rules have no closing event).
const ALERT_HOURS = 24;
const level = (v) => (v == null ? "none" : v >= OEE_GOOD ? "good" : v >= OEE_FAIR ? "fair" : "poor");
const pct = (v) => (v == null ? "–" : `${(Number(v) * 100).toFixed(1)} %`);
function when(text) {
  if (!text) return "";
  const t = new Date(text);
  return Number.isNaN(t.getTime()) ? text : t.toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

// One request per product, so each panel shows as soon as its own product answers.
const OEE_NOW = `{ equipmentOEE { equipmentId equipmentName shiftId shiftName shiftStart oee availability effectiveness qualityRatio } }`;
const WIP_NOW = `{ workInProgress { workCenterId workCenterName productionOrderNumber behindSchedule } }`;
const ORDERS_NOW = `{ orderFulfillmentV2 { salesOrderNumber customerName requestedDeliveryDate deliveryStatus daysLate } }`;
const OEE_LIVE = `subscription { equipmentOee(where: {final: true}) { key time data {
  equipmentId windowName shiftId shiftName windowStart oee availability effectiveness qualityRatio } } }`;
const OEE_REVISIONS = `subscription { equipmentOee(where: {final: false}) { key time data {
  equipmentId windowName shiftId shiftName windowStart oee availability effectiveness qualityRatio } } }`;
const QUALITY_LIVE = `subscription($since: DateTime) { qualityYield(since: $since) { id key time data {
  equipmentId kind rule scrapRatio upperControlLimit operationId completedAt } } }`;
const RISK_LIVE = `subscription { deliveryRisk { key time data {
  salesOrderNumber riskState slackMinutes dueAt } } }`;
const WIP_CHANGED = `subscription { dataProductChanged(name: "workInProgress") { product reason } }`;

// Every work unit's OEE per shift (state.shifts[shift][unit]), and per unit its latest shift
// (state.oee[unit]: a later shift replaces an earlier one). A revision of a shift replaces it.
const shiftKey = (row) => `${row.shiftStart || ""}|${row.shiftId || ""}`;
function putOee(row) {
  const unit = row.equipmentId;
  const old = state.oee[unit];
  const name = row.equipmentName || old?.name || unit;
  const shift = (state.shifts[shiftKey(row)] ||= { key: shiftKey(row), start: row.shiftStart, name: row.shiftName, units: {} });
  shift.units[unit] = { ...shift.units[unit], ...row, name };
  if (old && old.shiftStart > row.shiftStart) return;
  state.oee[unit] = { ...old, ...row, name };
}

// The shift picker: each unit's latest shift, or one shift of every unit (newest first).
function renderShiftPicker() {
  const picker = $("shift");
  const shifts = Object.values(state.shifts).sort((a, b) => String(b.start).localeCompare(String(a.start)));
  if (state.shift && !state.shifts[state.shift]) state.shift = "";
  picker.innerHTML = `<option value="">each unit's latest shift</option>${shifts
    .map((s) => `<option value="${esc(s.key)}" ${s.key === state.shift ? "selected" : ""}>${esc(when(s.start))} ${esc(s.name || "")} (${Object.keys(s.units).length} units)</option>`)
    .join("")}`;
}

function renderOee() {
  renderShiftPicker();
  const chosen = state.shift ? state.shifts[state.shift] : null;
  const rows = Object.values(chosen ? chosen.units : state.oee).sort((a, b) => a.equipmentId.localeCompare(b.equipmentId));
  $("plant-oee-label").textContent = chosen ? `OEE, ${when(chosen.start)} ${chosen.name || ""} (plant)` : "OEE, latest shift (plant)";
  if (!rows.length) {
    $("oee").innerHTML = `<p class="muted">No OEE figures yet.</p>`;
  } else {
    $("oee").innerHTML = rows
      .map((r) => {
        const width = r.oee == null ? 0 : Math.max(0, Math.min(1, r.oee)) * 100;
        return `<div class="barrow" data-testid="oee-row" data-unit="${esc(r.equipmentId)}" data-shift="${esc(shiftKey(r))}" data-level="${level(r.oee)}">
          <div class="who"><strong>${esc(r.name)}</strong><span class="muted"> ${esc(r.shiftName || "")} ${esc(when(r.shiftStart))}</span></div>
          <div class="track"><div class="fill ${level(r.oee)}" style="width:${width}%"></div>
            <div class="mark" style="left:${OEE_GOOD * 100}%"></div></div>
          <div class="val ${level(r.oee)}" data-testid="oee-value">${pct(r.oee)}</div>
          <div class="abc muted">A ${pct(r.availability)} · P ${pct(r.effectiveness)} · Q ${pct(r.qualityRatio)}</div></div>`;
      })
      .join("");
  }
  const known = rows.filter((r) => r.oee != null);
  const mean = known.length ? known.reduce((s, r) => s + Number(r.oee), 0) / known.length : null;
  $("plant-oee").textContent = pct(mean);
  $("plant-oee").className = `big ${level(mean)}`;
  $("plant-oee-sub").textContent = `mean of ${known.length} work unit(s); ${known.filter((r) => r.oee < OEE_FAIR).length} below ${OEE_FAIR * 100} %`;
}

function renderWip(rows) {
  const centers = {};
  for (const r of rows) {
    const id = r.workCenterId || "(no work center)";
    const c = (centers[id] ||= { id, name: r.workCenterName || id, n: 0, late: 0 });
    c.n += 1;
    if (r.behindSchedule) c.late += 1;
  }
  const list = Object.values(centers).sort((a, b) => b.n - a.n);
  const most = Math.max(1, ...list.map((c) => c.n));
  $("wip").innerHTML = list.length
    ? list.map((c) => `<div class="barrow" data-testid="wip-row" data-center="${esc(c.id)}">
        <div class="who"><strong>${esc(c.name)}</strong></div>
        <div class="track"><div class="fill fair" style="width:${((c.n - c.late) / most) * 100}%"></div><div class="fill poor" style="width:${(c.late / most) * 100}%"></div></div>
        <div class="val">${c.n}</div><div class="abc muted">${c.late} behind schedule</div></div>`).join("")
    : `<p class="muted">Nothing in process.</p>`;
  const late = rows.filter((r) => r.behindSchedule).length;
  $("wip-total").textContent = String(rows.length);
  $("wip-total").className = `big ${late ? "fair" : "good"}`;
  $("wip-sub").textContent = `${late} behind schedule, ${list.length} work center(s)`;
}

function renderAlerts() {
  const open = state.alerts;
  $("alert-count").textContent = String(open.length);
  $("alert-count").className = `big ${open.length ? "poor" : "good"}`;
  if (!open.length) return;
  $("alerts").innerHTML = `<table><thead><tr><th>Work unit</th><th>Rule</th><th>Scrap ratio</th><th>Limit</th><th>Operation</th><th>When</th></tr></thead><tbody>${open
    .map((a) => `<tr data-testid="alert"><td>${esc(a.equipmentId)}</td><td>${esc(a.rule)}</td><td class="poor">${pct(a.scrapRatio)}</td>
      <td>${pct(a.upperControlLimit)}</td><td>${esc(a.operationId)}</td><td>${esc(when(a.completedAt))}</td></tr>`)
    .join("")}</tbody></table>`;
}

function renderRisk() {
  const rows = Object.values(state.risk).filter((r) => r.state === "AT_RISK" || r.state === "OVERDUE");
  rows.sort((a, b) => (a.state === b.state ? a.order.localeCompare(b.order) : a.state === "AT_RISK" ? -1 : 1));
  $("risk-count").textContent = String(rows.length);
  $("risk-count").className = `big ${rows.length ? "poor" : "good"}`;
  $("risk-sub").textContent = `${rows.filter((r) => r.state === "AT_RISK").length} at risk (live), ${rows.filter((r) => r.state === "OVERDUE").length} overdue`;
  $("risk").innerHTML = rows.length
    ? `<table><thead><tr><th>Order</th><th>State</th><th>Customer</th><th>Due</th><th>Detail</th></tr></thead><tbody>${rows
        .map((r) => `<tr data-testid="risk-row" data-order="${esc(r.order)}"><td>${esc(r.order)}</td><td><span class="badge ${r.state === "AT_RISK" ? "FAILED" : "TIMED_OUT"}">${esc(r.state)}</span></td>
          <td>${esc(r.customer || "")}</td><td>${esc(when(r.due))}</td><td>${esc(r.detail || "")}</td></tr>`)
        .join("")}</tbody></table>`
    : `<p class="muted">No open order is overdue or at risk.</p>`;
}

// Every distinct problem stays on screen until the page starts again (a refused product and a
// refused subscription arrive in either order: the later must not hide the earlier).
const problems = new Set();
function showError(error) {
  if (!error) problems.clear();
  else problems.add(String(error.message || error));
  $("error").hidden = problems.size === 0;
  $("error").textContent = [...problems].join(" · ");
}

// graphql-ws ends a refused subscription with its list of GraphQL errors, a closed socket with a CloseEvent
function subscriptionProblem(error) {
  if (error instanceof Error) return error;
  if (Array.isArray(error)) return error.map((e) => e?.message || String(e)).join("; ");
  return `subscription failed: ${error?.reason || error?.code || error}`;
}

// A product the caller may not read answers a null field beside its error: say why, never "no figures".
async function product(query) {
  const body = await graphql(query);
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join("; "));
  return body;
}

async function loadOee() {
  const body = await product(OEE_NOW);
  state.oee = {};
  state.shifts = {};
  for (const row of body.data?.equipmentOEE || []) putOee(row);
  renderOee();
}

async function loadWip() {
  const body = await product(WIP_NOW);
  renderWip(body.data?.workInProgress || []);
}

async function loadOrders() {
  const body = await product(ORDERS_NOW);
  for (const key of Object.keys(state.risk)) if (state.risk[key].state === "OVERDUE") delete state.risk[key];
  for (const o of body.data?.orderFulfillmentV2 || []) {
    if (o.deliveryStatus === "OVERDUE" && !state.risk[o.salesOrderNumber]) {
      state.risk[o.salesOrderNumber] = { order: o.salesOrderNumber, state: "OVERDUE", customer: o.customerName,
        due: o.requestedDeliveryDate, detail: `${o.daysLate} day(s) late` };
    }
  }
  renderRisk();
}

async function loadInitial() {
  renderAlerts();
  const results = await Promise.allSettled([loadOee(), loadWip(), loadOrders()]);
  const failed = results.filter((r) => r.status === "rejected").map((r) => r.reason?.message || String(r.reason));
  if (failed.length) showError(failed.join("; "));
}

let client = null;
function setLive(text, cls) {
  $("live").textContent = text;
  $("live").className = `live ${cls}`;
}

function subscribe(query, onData, variables = {}) {
  client.subscribe({ query, variables }, {
    next: (result) => {
      if (result.errors?.length) return showError(result.errors.map((e) => e.message).join("; "));
      state.live += 1;
      onData(result.data);
    },
    error: (error) => showError(subscriptionProblem(error)),
    complete: () => {},
  });
}

let wipTimer = null;
function connect() {
  if (client) client.dispose();
  const key = storedKey();
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
  client = createClient({ url, connectionParams: () => (key ? { apiKey: key } : {}), retryAttempts: 1000,
    shouldRetry: () => true, on: {
      connected: () => { setLive("live", "on"); state.connected = true; },
      closed: () => { setLive("reconnecting…", "off"); state.connected = false; },
    } });
  const oee = (data) => {
    const e = data.equipmentOee;
    if (e.data.windowName !== "shift") return; // the hourly windows are for the trend, not the tiles
    putOee({ equipmentId: e.data.equipmentId, shiftId: e.data.shiftId, shiftName: e.data.shiftName,
      shiftStart: e.data.windowStart, oee: e.data.oee, availability: e.data.availability,
      effectiveness: e.data.effectiveness, qualityRatio: e.data.qualityRatio });
    renderOee();
  };
  subscribe(OEE_LIVE, oee);
  subscribe(OEE_REVISIONS, oee);
  // from ALERT_HOURS back: the stream's topic is read back first, then live events follow
  const since = new Date(Date.now() - ALERT_HOURS * 3600_000).toISOString();
  state.alerts = [];
  subscribe(QUALITY_LIVE, (data) => {
    const e = data.qualityYield.data;
    if (e.kind !== "alert") return;
    state.alerts = [e, ...state.alerts].slice(0, 50);
    renderAlerts();
  }, { since });
  subscribe(RISK_LIVE, (data) => {
    const e = data.deliveryRisk.data;
    if (e.riskState === "AT_RISK") {
      state.risk[e.salesOrderNumber] = { ...state.risk[e.salesOrderNumber], order: e.salesOrderNumber, state: "AT_RISK",
        due: e.dueAt, detail: `slack ${e.slackMinutes} min` };
    } else delete state.risk[e.salesOrderNumber];
    renderRisk();
  });
  subscribe(WIP_CHANGED, () => {
    clearTimeout(wipTimer); // a burst of changes re-runs the query once
    wipTimer = setTimeout(() => loadWip().catch(showError), 500);
  });
}

let generation = 0;
async function start() {
  const mine = ++generation; // a key typed while the products run starts over: only the last start counts
  state.ready = false;
  showError(null);
  connect(); // first, so no live event is missed while the products run
  await loadInitial();
  if (mine === generation) state.ready = true;
}

$("nav").innerHTML = navLinks("/dashboard");
$("shift").addEventListener("change", () => {
  state.shift = $("shift").value;
  renderOee();
});
bindKeyField($("api-key"), () => start());
start();
