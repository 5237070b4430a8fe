// The dispatcher's console. A person decides; the page shows the proposal, its reasons and what
// an override costs, and lists couriers in the API's neutral rotation, never sorted by a figure.
import { Api, ApiError, LiveSocket } from "./api.js";
import { setLanguage, t, translatePage, language } from "./i18n.js";
import { JobMap } from "./map.js";

const OPEN = new Set(["requested", "proposed", "declined", "unassigned"]);
const ACTIVE = new Set(["assigned", "acknowledged", "picked_up"]);
// Events that change a courier's shift state, jobs in hand or ledger (an assignment does not:
// work counts from the courier's acknowledgement).
const COURIER_EVENTS = new Set(["ShiftStarted", "ShiftPaused", "ShiftResumed", "ShiftEnded", "CourierAcknowledged",
  "Delivered", "DeliveryFailed", "CourierDeclined", "JobUnassigned", "JobReassigned", "JobCancelled"]);
const LANE_HOURS = 4;
const $ = (sel) => document.querySelector(sel);

const S = {
  api: null, socket: null, coop: null, jobs: new Map(), couriers: [], ledger: null, plan: null,
  selected: null, filter: "", heavy: 25, map: null, dialog: null, expanded: new Set(), now: minuteNow(),
};
// Measured by benchmarks/bench_console.py: event received on the socket -> shown on screen.
window.__tandem = { shown: [], ready: false };

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
// One formatter per language: toLocaleTimeString builds a new one on every call, which cost
// 150 ms per redraw of 200 jobs in bench_console.py.
const clocks = new Map();
function hhmm(iso) {
  if (!iso) return "–";
  if (!clocks.has(language())) {
    clocks.set(language(), new Intl.DateTimeFormat(language(), { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }));
  }
  return clocks.get(language()).format(new Date(iso));
}
function courierName(id) { return S.couriers.find((c) => c.id === id)?.display_name || "?"; }
function toast(text) {
  const el = $("#toast");
  el.textContent = text; el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 5000);
}
function weightOf(job) { return job.request.parcels.reduce((sum, p) => sum + p.weight_kg, 0); }
// The clock the queue shows, to the minute: rows redraw once a minute, not on every frame.
function minuteNow() { return Math.floor(Date.now() / 60e3) * 60e3; }
// A job a person must look at: the planner could not propose it, a courier declined it, or
// its pickup window has closed (or will close before the proposed pickup).
function lateBy(job) {
  const end = new Date(job.request.pickup_window.end).getTime();
  const eta = job.state === "proposed" && job.proposal?.explanation?.pickup_eta;
  const at = Math.max(S.now, eta ? new Date(eta).getTime() : 0);
  return at > end ? Math.ceil((at - end) / 60e3) : 0;
}
function pinned(job) { return Boolean(job.needs_decision) || job.declines?.length > 0 || lateBy(job) > 0; }
function openJobs() { return [...S.jobs.values()].filter((j) => OPEN.has(j.state)); }
// Decisions first, then the window that closes soonest: the order stays put while you work.
function queueOrder(a, b) {
  return (pinned(b) - pinned(a))
    || a.request.pickup_window.end.localeCompare(b.request.pickup_window.end)
    || a.requested_at.localeCompare(b.requested_at) || a.id.localeCompare(b.id);
}
function visibleOpenJobs() {
  const needle = S.filter.trim().toLowerCase();
  return openJobs()
    .filter((j) => !needle || [j.id, j.request.pickup.address, j.request.dropoff.address].join(" ").toLowerCase().includes(needle))
    .sort(queueOrder);
}
// A job as people name it: where from and where to (never its id, unless it has no address).
function place(p) { return p.address || `${p.lat.toFixed(4)}, ${p.lon.toFixed(4)}`; }
function label(job) { return job ? `${place(job.request.pickup)} → ${place(job.request.dropoff)}` : "?"; }

// ------------------------------------------------------------------ rendering

// Replace only the rows whose markup changed, and keep the order: on a busy day one event
// changes one row, and rebuilding hundreds of rows would make the page lag behind the socket.
function patch(container, items, cache) {
  const seen = new Set();
  let previous = null;
  for (const { key, html } of items) {
    seen.add(key);
    let entry = cache.get(key);
    if (!entry || entry.html !== html) {
      const template = document.createElement("template");
      template.innerHTML = html.trim();
      const el = template.content.firstElementChild;
      if (entry) entry.el.replaceWith(el);
      entry = { html, el };
      cache.set(key, entry);
    }
    const expected = previous ? previous.nextElementSibling : container.firstElementChild;
    if (expected !== entry.el) container.insertBefore(entry.el, expected);
    previous = entry.el;
  }
  for (const [key, entry] of cache) {
    if (!seen.has(key)) { entry.el.remove(); cache.delete(key); }
  }
}
const rows = { jobs: new Map(), lanes: new Map(), fairness: new Map() };

function flags(job) {
  const out = [];
  const weight = weightOf(job);
  const heavy = weight >= S.heavy;
  out.push(`<span class="flag${heavy ? " heavy" : ""}">${weight.toFixed(weight < 10 ? 1 : 0)} kg${heavy ? " ⚠" : ""}</span>`);
  if (job.request.parcels.some((p) => p.bulky)) out.push(`<span class="flag bulky">${t("bulky")}</span>`);
  const longest = Math.max(...job.request.parcels.map((p) => p.longest_side_cm));
  if (longest >= 100) out.push(`<span class="flag long">${longest} cm</span>`);
  const declined = job.state !== "declined" && job.declines?.[job.declines.length - 1];
  if (declined) {
    const name = esc(courierName(declined.courier_id));
    out.push(`<span class="flag declined" title="${t("declined_by_title", { name })}: ${esc(declined.reason)}">✗<span class="vh"> ${t("declined_by_title", { name: "" })}</span> ${name}</span>`);
  }
  return out.join("");
}

function minutes(m) { return m >= 120 ? `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")}` : `${m} min`; }

// How soon the pickup window closes, or how late the job already is.
function closes(job) {
  const late = lateBy(job);
  const end = job.request.pickup_window.end;
  if (late) return `<span class="closes late" title="${t("closes_at", { t: hhmm(end) })}">${t("late_by", { m: minutes(late) })}</span>`;
  const left = Math.max(0, Math.round((new Date(end).getTime() - S.now) / 60e3));
  return `<span class="closes${left <= 15 ? " soon" : ""}" title="${t("closes_at", { t: hhmm(end) })}">${t("closes_in", { m: minutes(left) })}</span>`;
}

// Who would take it and what it adds; or why a person must decide; or that it waits for a round.
function outlook(job) {
  const p = job.state === "proposed" ? job.proposal : null;
  if (job.needs_decision) return `<span class="needs-decision">${t("needs_decision", { reason: esc(job.needs_decision) })}</span>`;
  if (job.state === "declined") {
    const d = job.declines?.[job.declines.length - 1];
    return `<span class="needs-decision" title="${esc(d?.reason)}">${t("declined_by", { name: esc(courierName(d?.courier_id)), reason: esc(d?.reason) })}</span>`;
  }
  if (!p) return `<span class="waiting">${job.state === "unassigned" ? t("taken_back_waiting") : t("no_proposal")}</span>`;
  const extra = p.explanation?.extra_minutes;
  return `<span class="proposal"><span class="name">${esc(courierName(p.courier_id))}</span>${extra != null ? ` <span class="extra">+${extra} min</span>` : ""}</span>`;
}

// The reasons, one keystroke (r) or click away: ETAs, windows, the planner's reasons, declines.
function details(job) {
  const r = job.request;
  const p = job.state === "proposed" ? job.proposal : null;
  const why = p?.explanation || {};
  const lines = [
    `<div>${t("window_pickup")}: ${hhmm(r.pickup_window.start)}–${hhmm(r.pickup_window.end)} · ${t("window_dropoff")}: ${hhmm(r.dropoff_window.start)}–${hhmm(r.dropoff_window.end)}</div>`,
  ];
  if (job.needs_decision) lines.push(`<div class="needs-decision">${t("needs_decision", { reason: esc(job.needs_decision) })}</div>`);
  if (p) {
    lines.push(`<div><strong>${t("proposal")}:</strong> ${esc(courierName(p.courier_id))} · ${t("eta_pickup", { t: hhmm(why.pickup_eta) })} · ${t("eta_dropoff", { t: hhmm(why.dropoff_eta) })}${why.extra_minutes != null ? ` · ${t("extra", { m: why.extra_minutes, name: esc(courierName(p.courier_id)) })}` : ""}</div>`);
    lines.push(...(why.reasons || []).map((reason) => `<div class="reason">${esc(reason)}</div>`));
  }
  lines.push(...(job.declines || []).map((d) => `<div class="declines">${esc(courierName(d.courier_id))} ${t("declined", { reason: esc(d.reason) })}</div>`));
  return `<div class="details" id="why-${job.id}">${lines.join("")}</div>`;
}

function jobRow(job) {
  const open = S.expanded.has(job.id);
  const selected = job.id === S.selected;
  return `<li class="job${pinned(job) ? " pinned" : ""}" tabindex="-1" draggable="true" data-job-id="${job.id}" data-state="${job.state}" data-seq="${job.last_seq}"${selected ? ' aria-current="true"' : ""}>
    <div class="line">
      ${closes(job)}
      <span class="where" title="${esc(label(job))}">${esc(label(job))}</span>
      <span class="flags">${flags(job)}</span>
      <span class="outlook">${outlook(job)}</span>
      <span class="acts">
        <button type="button" class="why" data-act="why" aria-expanded="${open}" aria-controls="why-${job.id}">${t("why")}</button>
        ${job.state === "proposed" ? `<button type="button" class="primary" data-act="accept">${t("accept")}</button>` : ""}
        <button type="button" data-act="override">${t("give")}</button>
      </span>
    </div>
    ${open ? details(job) : ""}
  </li>`;
}

// Counts per state, over the whole day's open and running jobs (not only the filtered list).
function renderCounts() {
  const counts = new Map();
  let decide = 0;
  for (const job of S.jobs.values()) {
    if (!OPEN.has(job.state) && !ACTIVE.has(job.state)) continue;
    counts.set(job.state, (counts.get(job.state) || 0) + 1);
    if (OPEN.has(job.state) && pinned(job)) decide += 1;
  }
  const parts = [`<span data-count="decide" class="${decide ? "needs-decision" : ""}">${t("count_decide", { n: decide })}</span>`];
  for (const state of ["requested", "proposed", "declined", "unassigned", "assigned", "acknowledged", "picked_up"]) {
    if (counts.get(state)) parts.push(`<span data-count="${state}">${t(`state_${state}`)} ${counts.get(state)}</span>`);
  }
  const html = parts.join(" · ");
  if (renderCounts.last !== html) { $("#counts").innerHTML = html; renderCounts.last = html; }
}

function renderQueue() {
  const jobs = visibleOpenJobs();
  $("#open-count").textContent = `(${jobs.length})`;
  renderCounts();
  patch($("#jobs"), jobs.map((j) => ({ key: j.id, html: jobRow(j) })), rows.jobs);
}

function renderLanes() {
  const start = Math.floor(Date.now() / 300e3) * 300e3;  // steady for five minutes: lanes redraw only on change
  const span = LANE_HOURS * 3600e3;
  $("#timeline-axis").innerHTML = Array.from({ length: LANE_HOURS + 1 }, (_, h) =>
    `<span style="left:${(100 * h) / LANE_HOURS}%">${hhmm(new Date(start + h * 3600e3).toISOString())}</span>`).join("");
  const routes = S.plan?.routes || {};
  const lanes = S.couriers.map((c) => ({ key: c.id, html: laneHtml(c, routes, start, span) }));
  patch($("#lanes"), lanes, rows.lanes);
}

function laneHtml(c, routes, start, span) {
    // Only stops of jobs still proposed to, or still in the hands of, this courier: a plan ages
    // as people decide, and the lane must not show a job where it no longer is.
    const stops = (routes[c.id] || []).filter((s) => {
      const job = S.jobs.get(s.job_id);
      if (!job) return false;
      if (ACTIVE.has(job.state)) return job.courier_id === c.id;
      return OPEN.has(job.state) && job.proposal?.courier_id === c.id;
    });
    const maxLoad = Math.max(0, ...stops.map((s) => s.load_kg_after));
    const track = stops.map((s) => {
      const left = Math.min(98, Math.max(0, (100 * (new Date(s.eta) - start)) / span));
      return `<span class="stop ${s.kind}" style="left:${left}%" title="${esc(s.kind)} ${hhmm(s.eta)}">${s.kind === "pickup" ? "↑" : "↓"}${hhmm(s.eta)}</span>`;
    }).join("");
    const mine = [...S.jobs.values()].filter((j) => j.courier_id === c.id && (ACTIVE.has(j.state) || j.state === "delivered"));
    const chips = mine.map((j) => `<span class="chip ${j.state}" draggable="${ACTIVE.has(j.state)}" data-job-id="${j.id}" title="${esc(j.request.dropoff.address)}">${esc(j.request.dropoff.address || j.id.slice(0, 6))} · ${t(`state_${j.state}`)}</span>`).join("");
    const declines = [...S.jobs.values()].flatMap((j) => (j.declines || []).filter((d) => d.courier_id === c.id).map((d) => d.reason));
    const status = c.on_shift ? (c.paused ? t("paused") : t("on_shift")) : t("off_shift");
    return `<div class="lane" data-courier-id="${c.id}" aria-label="${esc(c.display_name)}">
      <div class="who"><strong>${esc(c.display_name)}</strong>${esc(c.vehicle.kind.replace(/_/g, " "))} · ${status}
        ${c.planned_end ? ` · ${t("shift_end", { t: hhmm(c.planned_end) })}` : ""}
        <div class="load" title="${t("load", { kg: maxLoad.toFixed(0), cap: c.vehicle.payload_kg })}"><div style="width:${Math.min(100, (100 * maxLoad) / c.vehicle.payload_kg)}%"></div></div>
        ${declines.map((reason) => `<div class="declines">${t("declined", { reason: esc(reason) })}</div>`).join("")}
      </div>
      <div class="track">${track}<div class="chips">${chips}</div></div>
    </div>`;
}

function renderFairness() {
  if (!S.ledger) return;
  $("#fairness-weight").textContent = t("fairness_weight", { w: S.ledger.fairness_weight });
  patch($("#fairness tbody"), S.ledger.couriers.map((row) => ({ key: row.courier_id, html: fairnessRow(row) })), rows.fairness);
}

function fairnessRow(row) {
    const shift = row.planned_shift_minutes || row.shift_minutes;
    const share = shift > 0 ? Math.min(100, (100 * row.worked_minutes) / shift) : 0;
    return `<tr data-courier-id="${row.courier_id}">
      <td>${esc(courierName(row.courier_id))}</td>
      <td class="bar-cell"><span class="worked">${row.worked_minutes.toFixed(1)}</span> min<div class="meter"><div style="width:${share}%"></div></div></td>
      <td>${shift.toFixed(0)} min</td>
      <td class="heavy">${row.heavy_kg.toFixed(0)}</td></tr>`;
}

// The map redraws when the stream of events pauses (a second without one), at the latest five
// seconds after the first change it has not shown, when the page is idle, and only when what it
// shows changed. Drawing it is the costliest thing on the page (benchmarks/bench_console.py:
// each redraw of 200 jobs holds the next frame back by a few hundred milliseconds without a
// GPU), so on a busy lunchtime the lists, where people decide, never wait for it.
const MAP_QUIET_MS = 1000;
const MAP_LATEST_MS = 5000;
let mapTimer = null;
let mapDue = 0;
let mapDrawn = "";
function renderMap() {
  if (!S.map) return;
  const now = performance.now();
  if (!mapDue) mapDue = now + MAP_LATEST_MS;
  clearTimeout(mapTimer);
  mapTimer = setTimeout(() => {
    mapTimer = null;
    mapDue = 0;
    const idle = window.requestIdleCallback || ((f) => setTimeout(f, 0));
    idle(() => drawMap(), { timeout: 500 });
  }, Math.max(0, Math.min(MAP_QUIET_MS, mapDue - now)));
}

function drawMap() {
  const jobs = [...S.jobs.values()].filter((j) => OPEN.has(j.state) || ACTIVE.has(j.state));
  const colours = ["#0b5cad", "#8a4b00", "#17663a", "#6f42c1", "#a3151c", "#0a7d8c"];
  const lines = Object.entries(S.plan?.routes || {}).map(([cid, stops], i) => {
    const coordinates = stops.map((s) => {
      const job = S.jobs.get(s.job_id);
      return job ? [job.request[s.kind].lon, job.request[s.kind].lat] : null;
    }).filter(Boolean);
    return coordinates.length > 1
      ? { type: "Feature", geometry: { type: "LineString", coordinates }, properties: { courier_id: cid, colour: colours[i % colours.length] } }
      : null;
  }).filter(Boolean);
  const key = JSON.stringify([jobs.map((j) => [j.id, j.state]), S.selected, lines.map((l) => l.geometry.coordinates)]);
  if (key === mapDrawn) return;
  mapDrawn = key;
  S.map.setJobs(jobs, S.selected);
  S.map.setRoutes(lines);
}

let frame = null;
const pendingShown = [];
function render(seq, receivedAt, type, fetchMs) {
  if (seq != null) pendingShown.push({ seq, receivedAt, type, fetchMs });
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = null;
    const drawStart = performance.now();
    renderQueue(); renderLanes(); renderFairness(); renderMap();
    const drawMs = performance.now() - drawStart;
    const done = pendingShown.splice(0);
    // after this frame is painted
    requestAnimationFrame(() => {
      const now = performance.now();
      for (const p of done) {
        window.__tandem.shown.push({ seq: p.seq, type: p.type, ms: now - p.receivedAt, fetchMs: p.fetchMs, drawMs });
      }
    });
  });
}

// ------------------------------------------------------------------ data

async function refreshJob(id) {
  const job = await S.api.get(`/v1/jobs/${id}`);
  const known = S.jobs.get(id);
  if (!known || known.last_seq <= job.last_seq) S.jobs.set(id, job);
}
let peopleRun = null;
let peopleAgain = false;
function refreshPeople() {
  // One fetch at a time; events arriving meanwhile make exactly one more.
  if (peopleRun) { peopleAgain = true; return peopleRun; }
  peopleRun = (async () => {
    do {
      peopleAgain = false;
      const [couriers, ledger] = await Promise.all([S.api.get("/v1/couriers"), S.api.get("/v1/ledger")]);
      S.couriers = couriers.couriers; S.ledger = ledger;
    } while (peopleAgain);
  })().finally(() => { peopleRun = null; });
  return peopleRun;
}
let planPromise = null;
function refreshPlan() {
  if (!planPromise) {
    planPromise = new Promise((resolve) => setTimeout(async () => {
      planPromise = null;
      try { S.plan = await S.api.get("/v1/plan"); } catch (e) { if (!(e instanceof ApiError)) throw e; } finally { resolve(); }
    }, 250));
  }
  return planPromise;
}

async function onEvent(message, receivedAt) {
  const event = message.data;
  const work = [];
  if (event.payload.job_id) work.push(refreshJob(event.payload.job_id));
  if (event.type === "ProposalMade") work.push(refreshPlan());
  if (COURIER_EVENTS.has(event.type)) work.push(refreshPeople());
  try { await Promise.all(work); } catch (e) { console.error(e); }
  render(message.seq, receivedAt, event.type, performance.now() - receivedAt);
}

// ------------------------------------------------------------------ decisions

function conflictText(error) {
  return t("conflict", { who: error.body.by_name || error.body.by || "?", act: error.body.last_act || "" });
}

async function decide(jobId, body) {
  const job = S.jobs.get(jobId);
  try {
    await S.api.post(`/v1/jobs/${jobId}/decisions`, { ...body, expected_seq: job?.last_seq });
    await refreshJob(jobId);
    render();
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 409 && e.body.code === "conflict") {
      toast(conflictText(e));
      await refreshJob(jobId); render();
      return false;
    }
    throw e;
  }
}

async function accept(jobId) {
  try { await decide(jobId, { action: "accept" }); } catch (e) { toast(e.message); }
}

async function unassign(jobId) {
  try { await decide(jobId, { action: "unassign" }); } catch (e) { toast(e.message); }
}

async function acceptAllVisible() {
  const ids = visibleOpenJobs().filter((j) => j.state === "proposed").map((j) => j.id);
  if (!ids.length) { toast(t("nothing_visible")); return; }
  const result = await S.api.post("/v1/decisions/accept-all", { jobs: ids });
  await Promise.all(ids.map(refreshJob));
  render();
  toast(t("accepted_n", { n: result.accepted }));
}

async function showCost(jobId, courierId) {
  const cost = $("#decide-cost");
  cost.textContent = t("cost_loading");
  try {
    const report = await S.api.get(`/v1/jobs/${jobId}/override-cost?courier_id=${encodeURIComponent(courierId)}`);
    if ($("#decide-courier").value !== courierId) return;
    cost.textContent = report.summary;
    $("#decide-force-row").hidden = !(report.breaks || []).length;
  } catch (e) { cost.textContent = e.message; }
}

function openDecide(jobId, courierId) {
  const job = S.jobs.get(jobId);
  if (!job) return;
  const moving = ACTIVE.has(job.state);
  S.dialog = { jobId, action: moving ? "reassign" : "override" };
  $("#decide-title").textContent = moving ? t("reassign_title") : t("override_title");
  $("#decide-job").textContent = `${job.request.pickup.address} → ${job.request.dropoff.address}`;
  const options = S.couriers.filter((c) => c.id !== job.courier_id);
  $("#decide-courier").innerHTML = options.map((c) => `<option value="${c.id}">${esc(c.display_name)} (${esc(c.vehicle.kind.replace(/_/g, " "))})</option>`).join("");
  const preset = courierId && options.some((c) => c.id === courierId) ? courierId : options.find((c) => c.id !== job.proposal?.courier_id)?.id;
  if (preset) $("#decide-courier").value = preset;
  $("#decide-reason").value = "";
  $("#decide-force").checked = false;
  $("#decide-force-row").hidden = true;
  $("#decide-error").textContent = "";
  $("#decide-dialog").showModal();
  showCost(jobId, $("#decide-courier").value);
}

async function confirmDecide(event) {
  event.preventDefault();
  const { jobId, action } = S.dialog;
  try {
    const ok = await decide(jobId, {
      action, courier_id: $("#decide-courier").value, reason: $("#decide-reason").value,
      force: $("#decide-force").checked,
    });
    $("#decide-dialog").close();
    if (ok) refreshPeople().then(() => render());
  } catch (e) {
    $("#decide-error").textContent = e.message;
    if (e instanceof ApiError && e.body.code === "physical_limit") $("#decide-force-row").hidden = false;
  }
}

// ------------------------------------------------------------------ selection, keys, drag

async function select(jobId, { focusMap = true, focusRow = true } = {}) {
  S.selected = jobId;
  render();
  requestAnimationFrame(() => {
    const row = document.querySelector(`.job[data-job-id="${jobId}"], .chip[data-job-id="${jobId}"]`);
    row?.scrollIntoView({ block: "nearest" });
    if (focusRow) row?.focus({ preventScroll: true });
  });
  const job = S.jobs.get(jobId);
  if (S.map && job) {
    if (focusMap) S.map.focus(job);
    try { S.map.setPath(await S.api.get(`/v1/jobs/${jobId}/path`)); } catch { S.map.setPath(null); }
  }
}

function toggleReasons(jobId) {
  if (!jobId) return;
  if (S.expanded.has(jobId)) S.expanded.delete(jobId); else S.expanded.add(jobId);
  render();
}

function moveSelection(step) {
  const jobs = visibleOpenJobs();
  if (!jobs.length) return;
  const i = jobs.findIndex((j) => j.id === S.selected);
  const next = jobs[Math.max(0, Math.min(jobs.length - 1, i < 0 ? 0 : i + step))];
  select(next.id);
}

function onKey(e) {
  if (e.target.closest("input, select, textarea, dialog")) return;
  if (e.key === "j" || e.key === "ArrowDown") { moveSelection(1); e.preventDefault(); }
  else if (e.key === "k" || e.key === "ArrowUp") { moveSelection(-1); e.preventDefault(); }
  else if (e.key === "A" && e.shiftKey) { acceptAllVisible(); }
  else if (e.key === "a" && S.selected) { accept(S.selected); }
  else if (e.key === "o" && S.selected) { openDecide(S.selected); }
  else if (e.key === "u" && S.selected) { unassign(S.selected); }
  else if ((e.key === "r" || (e.key === "Enter" && !e.target.closest("button"))) && S.selected) { toggleReasons(S.selected); e.preventDefault(); }
  else if (e.key === "/") { $("#filter").focus(); e.preventDefault(); }
  else if (e.key === "?") { $("#help-dialog").showModal(); }
}

function wire() {
  $("#jobs").addEventListener("click", (e) => {
    const row = e.target.closest(".job");
    if (!row) return;
    const act = e.target.closest("button")?.dataset.act;
    if (act === "accept") accept(row.dataset.jobId);
    else if (act === "override") openDecide(row.dataset.jobId);
    else if (act === "why") { toggleReasons(row.dataset.jobId); select(row.dataset.jobId, { focusRow: false }); }
    else select(row.dataset.jobId);
  });
  $("#lanes").addEventListener("click", (e) => {
    const chip = e.target.closest(".chip");
    if (chip) select(chip.dataset.jobId);
  });
  document.addEventListener("dragstart", (e) => {
    const item = e.target.closest?.("[data-job-id]");
    if (item) e.dataTransfer.setData("text/plain", item.dataset.jobId);
  });
  $("#lanes").addEventListener("dragover", (e) => {
    const lane = e.target.closest(".lane");
    if (!lane) return;
    e.preventDefault();
    document.querySelectorAll(".lane.drop-target").forEach((l) => l.classList.remove("drop-target"));
    lane.classList.add("drop-target");
  });
  $("#lanes").addEventListener("drop", (e) => {
    const lane = e.target.closest(".lane");
    document.querySelectorAll(".lane.drop-target").forEach((l) => l.classList.remove("drop-target"));
    const jobId = e.dataTransfer.getData("text/plain");
    if (lane && jobId) { e.preventDefault(); openDecide(jobId, lane.dataset.courierId); }
  });
  $("#filter").addEventListener("input", (e) => { S.filter = e.target.value; render(); });
  $("#accept-all").addEventListener("click", acceptAllVisible);
  $("#plan-now").addEventListener("click", async () => { await S.api.post("/v1/planning/rounds"); toast(t("planning_asked")); });
  $("#decide-form").addEventListener("submit", confirmDecide);
  $("#decide-cancel").addEventListener("click", () => $("#decide-dialog").close());
  $("#decide-courier").addEventListener("change", (e) => showCost(S.dialog.jobId, e.target.value));
  $("#help-button").addEventListener("click", () => $("#help-dialog").showModal());
  $("#logout").addEventListener("click", async () => {
    try { await S.api.post("/v1/auth/logout"); } catch { /* already gone */ }
    sessionStorage.removeItem("tandem.session");
    location.reload();
  });
  $("#lang").addEventListener("change", (e) => { setLanguage(e.target.value); render(); setConnection(S.connection); });
  document.addEventListener("keydown", onKey);
  // "closes in N min" moves with the clock: redraw when the minute changes.
  setInterval(() => { const now = minuteNow(); if (now !== S.now) { S.now = now; render(); } }, 5000);
}

function setConnection(state) {
  S.connection = state;
  const el = $("#connection");
  el.dataset.state = state;
  el.textContent = t(state);
}

// ------------------------------------------------------------------ start

async function start(session) {
  S.api = new Api(session.token);
  const state = await S.api.get("/v1/console/state");
  S.coop = state.cooperative;
  S.heavy = state.heavy_threshold_kg;
  S.couriers = state.couriers;
  S.ledger = state.ledger;
  S.plan = state.plan;
  S.jobs = new Map(state.jobs.map((j) => [j.id, j]));
  $("#coop-name").textContent = S.coop.name;
  $("#login").hidden = true;
  $("#app").hidden = false;
  $("#logout").hidden = false;
  try {
    if (new URLSearchParams(location.search).has("nomap")) throw new Error("map switched off");
    S.map = new JobMap($("#map"), { tileUrl: state.map.tile_url, bounds: state.map.bounds, onSelect: (id) => select(id, { focusMap: false }) });
    if (!state.map.tile_url) S.api.get("/v1/city/streets").then((g) => S.map.setStreets(g));
  } catch (e) {
    S.map = null;
    $("#map-note").textContent = t("map_unavailable");
    $("#map-note").hidden = false;
  }
  render();
  setConnection("reconnecting");
  S.socket = new LiveSocket({
    path: "/v1/console/ws", token: session.token, lastSeq: state.last_seq,
    onEvent: (message, at) => onEvent(message, at), onState: setConnection,
  });
  window.__tandem.ready = true;
}

async function login(e) {
  e.preventDefault();
  const form = new FormData(e.target);
  try {
    const answer = await new Api(null).post("/v1/auth/login", Object.fromEntries(form.entries()));
    if (answer.role !== "dispatcher") throw new Error(t("login_failed"));
    const session = { token: answer.token, cooperative_id: answer.cooperative_id };
    sessionStorage.setItem("tandem.session", JSON.stringify(session));
    await start(session);
  } catch (err) {
    $("#login-error").textContent = err instanceof ApiError && err.status === 401 ? t("login_failed") : err.message;
  }
}

function main() {
  $("#lang").value = language();
  setLanguage(language());
  translatePage();
  setConnection("offline");
  wire();
  $("#login").addEventListener("submit", login);
  const saved = sessionStorage.getItem("tandem.session");
  if (saved) start(JSON.parse(saved)).catch(() => { sessionStorage.removeItem("tandem.session"); $("#login").hidden = false; });
  else $("#login").hidden = false;
}

main();
