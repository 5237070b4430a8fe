// The dispatcher's console. A person decides; the page shows the proposal, its reasons and what
// an override costs, and lists couriers in the API's neutral rotation, never sorted by a figure.
import { Api, ApiError, LiveSocket } from "./api.js";
import { courierLabel, loadReasons, sayReason, setLanguage, t, translatePage, language } from "./i18n.js";
import { JobMap, lookAt, lookSwatch } from "./map.js";
import { LiveLedger, RollingLedger, isShiftEvent, shiftStartsFromLog } from "./ledger.js";

const OPEN = new Set(["requested", "proposed", "declined", "unassigned"]);
const ACTIVE = new Set(["assigned", "acknowledged", "picked_up"]);
// Events that change a courier's shift state, jobs in hand or ledger (an assignment does not:
// work counts from the courier's acknowledgement).
const COURIER_EVENTS = new Set(["ShiftStarted", "ShiftPaused", "ShiftResumed", "ShiftEnded", "CourierAcknowledged",
  "Delivered", "DeliveryFailed", "CourierDeclined", "JobUnassigned", "JobReassigned", "JobCancelled",
  "CourierDeactivated", "CourierReactivated", "CourierErased"]);
const LANE_HOURS = 4;
// A courier's look (map.js: a colour, and past the palette a dash pattern), by their place in the
// day's rotation as the API gives it (S.rotation): their lane's swatch, their route on the map and
// its line in the legend. The API's rotation is the cooperative's day's, the same on every screen,
// so two dispatchers see one courier in one look (not by this screen's kept lane order).
function lookOf(courierId) { return lookAt(S.rotation.indexOf(courierId)); }
function colourOf(courierId) { return lookOf(courierId).colour; }
// A shared position this recent draws its courier's way to their first stop (the phone sends one
// every 30 s while sharing: ten minutes without one and where they are is a guess).
const FRESH_POSITION_MIN = 10;
// The day's rotation as this console first saw it: a courier added later joins at the end
// instead of reshuffling the lanes under a dispatcher's eyes (the order stays neutral). The day is
// the cooperative's (today's ledger's day, from the server), not the browser's: a New York browser
// turned its day at 07:00 in Helsinki and reshuffled the lanes mid-shift.
function keepOrder(items, idOf = (x) => x.id) {
  const day = S.ledger?.day;
  if (!day) return items;
  const key = `tandem.rotation.${S.coop?.id}.${day}`;
  let kept = [];
  try { kept = JSON.parse(localStorage.getItem(key) || "[]"); } catch { /* start again */ }
  const rank = new Map(kept.map((id, i) => [id, i]));
  const ordered = items.map((x, i) => ({ x, r: rank.has(idOf(x)) ? rank.get(idOf(x)) : kept.length + i })).sort((a, b) => a.r - b.r).map((o) => o.x);
  const ids = ordered.map(idOf);
  if (ids.length !== kept.length || ids.some((id, i) => id !== kept[i])) localStorage.setItem(key, JSON.stringify([...ids, ...kept.filter((id) => !ids.includes(id))]));
  return ordered;
}
function orderPeople() {
  S.rotation = S.couriers.map((c) => c.id);  // as the API listed them: the looks follow this
  S.couriers = keepOrder(S.couriers);
  if (S.ledger) S.ledger = { ...S.ledger, couriers: keepOrder(S.ledger.couriers, (row) => row.courier_id) };
}
const $ = (sel) => document.querySelector(sel);

const S = {
  api: null, socket: null, coop: null, jobs: new Map(), couriers: [], ledger: null, plan: null,
  rotation: [], selected: null, filter: "", heavy: 25, map: null, dialog: null, expanded: new Set(), now: minuteNow(),
  live: new LiveLedger(),
  members: new Map(),  // dispatcher id -> name (nameOf)
  proofs: new Map(),  // job id -> what its Delivered event said of its proof (kinds), seen on the socket
  hideOffShift: localStorage.getItem("tandem.hideOffShift") === "1",
};
// Measured by benchmarks/bench_console.py: event received on the socket -> shown on screen.
// lastSeq: the last event whose change is on screen (tests wait on it instead of sleeping).
window.__tandem = { shown: [], ready: false, lastSeq: 0 };

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
// A number as the reader writes it ("2,0 kg" in French): one formatter per language and number
// of decimals (digits), built once like the clocks above; without digits, at most two decimals.
const numbers = new Map();
function num(value, digits) {
  const key = `${language()} ${digits ?? ""}`;
  if (!numbers.has(key)) {
    const fixed = digits == null ? { maximumFractionDigits: 2 } : { minimumFractionDigits: digits, maximumFractionDigits: digits };
    numbers.set(key, new Intl.NumberFormat(language(), fixed));
  }
  return value == null || Number.isNaN(Number(value)) ? "?" : numbers.get(key).format(Number(value));
}
// A vehicle's kind in the reader's language (a kind the page does not know is shown as sent).
function vehicleName(kind) { const key = `vehicle_${kind}`; return t(key) === key ? String(kind).replace(/_/g, " ") : t(key); }
// A courier's name as the page says it (an erased one as "former courier" in its language, never an id).
function nameOfCourier(c) { return courierLabel(c.id, c.display_name); }
function courierName(id) { const c = S.couriers.find((x) => x.id === id); return c ? nameOfCourier(c) : "?"; }
// A planner's reason in the selected language, couriers named (an old event's text as it is).
function said(reason) { return sayReason(reason, (id) => { const c = S.couriers.find((x) => x.id === id); return c ? nameOfCourier(c) : undefined; }); }
// A message at the bottom; with an action (Undo), the action is offered until the message goes.
function toast(text, { action = null, ms = 5000 } = {}) {
  const el = $("#toast");
  $("#toast-text").textContent = text;
  const button = $("#toast-action");
  S.toastAction = action;
  button.hidden = !action;
  if (action) button.textContent = action.label;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; S.toastAction = null; }, ms);
}
function runToastAction() {
  const action = S.toastAction;
  if (!action) return false;
  S.toastAction = null;
  clearTimeout(toast.timer);
  $("#toast").hidden = true;
  action.run();
  return true;
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
  return (b.pin - a.pin) || (a.end - b.end) || (a.at - b.at) || (a.job.id < b.job.id ? -1 : 1);
}
function visibleOpenJobs() {
  const needle = S.filter.trim().toLowerCase();
  return openJobs()
    .filter((j) => !needle || [j.id, j.request.pickup.address, j.request.dropoff.address].join(" ").toLowerCase().includes(needle))
    .map((job) => ({ job, pin: pinned(job) ? 1 : 0, end: Date.parse(job.request.pickup_window.end), at: Date.parse(job.requested_at) }))
    .sort(queueOrder)
    .map((x) => x.job);
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
  out.push(`<span class="flag${heavy ? " heavy" : ""}">${num(weight, weight < 10 ? 1 : 0)} kg${heavy ? " ⚠" : ""}</span>`);
  if (job.request.parcels.some((p) => p.bulky)) out.push(`<span class="flag bulky">${t("bulky")}</span>`);
  const longest = Math.max(...job.request.parcels.map((p) => p.longest_side_cm));
  if (longest >= 100) out.push(`<span class="flag long">${longest} cm</span>`);
  const declined = job.state !== "declined" && job.declines?.[job.declines.length - 1];
  if (declined) {
    const name = esc(courierName(declined.courier_id));
    out.push(`<span class="flag declined" title="${t("declined_by_why", { name, reason: esc(said(declined.reason)) })}">✗<span class="vh"> ${t("declined_by_title", { name: "" })}</span> ${name}</span>`);
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
  if (job.needs_decision) return `<span class="needs-decision">${t("needs_decision", { reason: esc(said(job.needs_decision)) })}</span>`;
  if (job.state === "declined") {
    const d = job.declines?.[job.declines.length - 1];
    return `<span class="needs-decision" title="${esc(said(d?.reason))}">${t("declined_by", { name: esc(courierName(d?.courier_id)), reason: esc(said(d?.reason)) })}</span>`;
  }
  if (!p) return `<span class="waiting">${job.state === "unassigned" ? t("taken_back_waiting") : t("no_proposal")}</span>`;
  const extra = p.explanation?.extra_minutes;
  return `<span class="proposal"><span class="name">${esc(courierName(p.courier_id))}</span>${extra != null ? ` <span class="extra">+${num(extra)} min</span>` : ""}</span>`;
}

// The reasons, one keystroke (r) or click away: ETAs, windows, the planner's reasons, declines.
function details(job) {
  const r = job.request;
  const p = job.state === "proposed" ? job.proposal : null;
  const why = p?.explanation || {};
  const lines = [
    `<div>${t("window_pickup_is", { a: hhmm(r.pickup_window.start), b: hhmm(r.pickup_window.end) })} · ${t("window_dropoff_is", { a: hhmm(r.dropoff_window.start), b: hhmm(r.dropoff_window.end) })}</div>`,
  ];
  if (job.needs_decision) lines.push(`<div class="needs-decision">${t("needs_decision", { reason: esc(said(job.needs_decision)) })}</div>`);
  if (p) {
    lines.push(`<div><strong>${t("proposal_is")}</strong> ${esc(courierName(p.courier_id))} · ${t("eta_pickup", { t: hhmm(why.pickup_eta) })} · ${t("eta_dropoff", { t: hhmm(why.dropoff_eta) })}${why.extra_minutes != null ? ` · ${t("extra", { m: num(why.extra_minutes), name: esc(courierName(p.courier_id)) })}` : ""}</div>`);
    lines.push(...(why.reasons || []).map((reason) => `<div class="reason">${esc(said(reason))}</div>`));
  }
  lines.push(...(job.declines || []).map((d) => `<div class="declines">${esc(courierName(d.courier_id))} ${t("declined", { reason: esc(said(d.reason)) })}</div>`));
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

// A stop label's width as a share of the track (measured once, and again when the window resizes).
let labelShare = null;
function labelWidth() {
  if (labelShare == null) {
    const track = document.querySelector(".lane .track");
    const width = track ? track.clientWidth : 0;
    if (!width) return 12;
    labelShare = (100 * 60) / width;
  }
  return labelShare;
}
window.addEventListener("resize", () => { labelShare = null; });

function renderLanes() {
  const start = Math.floor(Date.now() / 300e3) * 300e3;  // steady for five minutes: lanes redraw only on change
  const span = LANE_HOURS * 3600e3;
  $("#timeline-axis").innerHTML = Array.from({ length: LANE_HOURS + 1 }, (_, h) =>
    `<span style="left:${(100 * h) / LANE_HOURS}%">${hhmm(new Date(start + h * 3600e3).toISOString())}</span>`).join("");
  const routes = S.plan?.routes || {};
  const shown = S.couriers.filter((c) => !S.hideOffShift || c.on_shift || holdsJobs(c));
  const hidden = S.couriers.length - shown.length;
  const note = hidden ? t("hidden_off_shift", { n: hidden }) : "";
  if ($("#hidden-count").textContent !== note) $("#hidden-count").textContent = note;
  const lanes = shown.map((c) => ({ key: c.id, html: laneHtml(c, routes, start, span) }));
  patch($("#lanes"), lanes, rows.lanes);
}

// A courier off shift who still holds a job is never hidden: their lane says so with an alert.
function holdsJobs(c) {
  return (c.jobs_in_hand || []).length > 0 || [...S.jobs.values()].some((j) => j.courier_id === c.id && ACTIVE.has(j.state));
}

// A courier's breaks on their lane: where the latest plan takes each (every ETA after it
// includes it), and the window of one no plan has placed yet (an idle courier's, say).
function breakBlocks(c, start, span, height) {
  if (!c.on_shift) return "";
  const planned = S.plan?.breaks?.[c.id] || [];
  const at = (iso) => (100 * (Date.parse(iso) - start)) / span;
  const block = (from, to, cls, text, title) => {
    const left = Math.max(0, at(from));
    const right = Math.min(100, at(to));
    if (right <= 0 || left >= 100 || right <= left) return "";
    return `<span class="break ${cls}" style="left:${left.toFixed(2)}%;width:${(right - left).toFixed(2)}%;height:${height}px" title="${esc(title)}">${esc(text)}</span>`;
  };
  const placed = planned.map((b) => block(b.start, b.end, "planned", t("break_planned", { m: b.minutes }),
    t("break_planned_title", { from: hhmm(b.start), to: hhmm(b.end) })));
  // a planned break belongs to the window it lies in (give or take the planner's whole seconds)
  const within = (b, w) => Date.parse(b.start) > Date.parse(w.earliest) - 60e3 && Date.parse(b.end) < Date.parse(w.latest) + 60e3;
  const unplaced = (c.breaks || []).filter((w) => !planned.some((b) => within(b, w)));
  const windows = unplaced.map((w) => block(w.earliest, w.latest, "window", t("break_window", { m: w.minutes }),
    t("break_window_title", { m: w.minutes, from: hhmm(w.earliest), to: hhmm(w.latest) })));
  return [...placed, ...windows].join("");
}

// Only stops of jobs still proposed to, or still in the hands of, this courier: a plan ages
// as people decide, and a lane must not show a job where it no longer is.
function laneStops(courierId, routes = S.plan?.routes || {}) {
  return (routes[courierId] || []).filter((s) => {
    const job = S.jobs.get(s.job_id);
    if (!job) return false;
    if (ACTIVE.has(job.state)) return job.courier_id === courierId;
    return OPEN.has(job.state) && job.proposal?.courier_id === courierId;
  });
}

function laneHtml(c, routes, start, span) {
    const stops = laneStops(c.id, routes);
    const maxLoad = Math.max(0, ...stops.map((s) => s.load_kg_after));
    // stops that would overlap go to the next row (three at most; past that, a tick with its title)
    const rowsEnd = [];
    const placed = stops.map((s) => ({ s, left: Math.min(98, Math.max(0, (100 * (new Date(s.eta) - start)) / span)) }))
      .sort((a, b) => a.left - b.left)
      .map((p) => {
        let row = rowsEnd.findIndex((end) => end <= p.left);
        if (row < 0 && rowsEnd.length < 3) { row = rowsEnd.length; rowsEnd.push(0); }
        if (row >= 0) rowsEnd[row] = p.left + labelWidth();
        return { ...p, row };
      });
    const track = placed.map(({ s, left, row }) => {
      const place = S.jobs.get(s.job_id)?.request[s.kind];
      const title = `${t(s.kind === "pickup" ? "window_pickup" : "window_dropoff")} ${hhmm(s.eta)}${place ? ` · ${place.address || ""}` : ""}`;
      return row < 0
        ? `<span class="stop tick ${s.kind}" style="left:${left}%;top:${2 + 22 * 3}px" title="${esc(title)}"></span>`
        : `<span class="stop ${s.kind}" style="left:${left}%;top:${2 + 22 * row}px" title="${esc(title)}">${s.kind === "pickup" ? "↑" : "↓"}${hhmm(s.eta)}</span>`;
    }).join("");
    const ticks = placed.some((p) => p.row < 0);
    const trackTop = 4 + 22 * Math.max(1, rowsEnd.length) + (ticks ? 10 : 0);
    const mine = [...S.jobs.values()].filter((j) => j.courier_id === c.id && (ACTIVE.has(j.state) || j.state === "delivered"));
    // a chip names its job as people do, pickup -> drop-off, and what is happening to it
    const chips = mine.map((j) => ACTIVE.has(j.state)
      ? `<button type="button" class="chip ${j.state}" draggable="true" data-job-id="${j.id}" title="${esc(label(j))}"${j.id === S.selected ? ' aria-current="true"' : ""}>${chipText(j)}</button>`
      : `<span class="chip ${j.state}" data-job-id="${j.id}" title="${esc(label(j))}">${chipText(j)}</span>${proofLink(j)}`).join("");
    const declines = [...S.jobs.values()].flatMap((j) => (j.declines || []).filter((d) => d.courier_id === c.id).map((d) => said(d.reason)));
    const status = c.on_shift ? (c.paused ? t("paused") : t("on_shift")) : t("off_shift");
    const inHand = mine.filter((j) => ACTIVE.has(j.state)).length;
    const stranded = !c.on_shift && inHand > 0;
    const now = Math.min(100, Math.max(0, (100 * (S.now - start)) / span));
    const load = t("load", { kg: num(maxLoad, 0), cap: num(c.vehicle.payload_kg) });
    return `<div class="lane${stranded ? " stranded" : ""}" data-courier-id="${c.id}" aria-label="${esc(nameOfCourier(c))}">
      <div class="who"><strong><span class="look" title="${t("route_colour")}">${lookSwatch(lookOf(c.id))}</span>${esc(nameOfCourier(c))}</strong>${esc(vehicleName(c.vehicle.kind))} · ${status}
        ${c.planned_end ? ` · ${t("shift_end", { t: hhmm(c.planned_end) })}` : ""}
        ${positionNote(c.id)}
        ${stranded ? `<div class="alert">⚠ ${t("off_shift_with_jobs", { n: inHand })}</div>` : ""}
        <div class="load-text">${load}</div><div class="load" aria-hidden="true"><div style="width:${Math.min(100, (100 * maxLoad) / c.vehicle.payload_kg)}%"></div></div>
        ${declines.map((reason) => `<div class="declines">${t("declined", { reason: esc(reason) })}</div>`).join("")}
      </div>
      <div class="track">${breakBlocks(c, start, span, trackTop - 4)}<div class="now-line" style="left:${now.toFixed(2)}%" title="${t("now")}"></div>${track}<div class="chips" style="margin-top:${trackTop}px">${chips}</div></div>
    </div>`;
}

function chipText(job) {
  return `<span class="from">${esc(place(job.request.pickup))}</span> → <span class="to">${esc(place(job.request.dropoff))}</span> · <span class="chip-state">${t(`state_${job.state}`)}</span>`;
}

// A delivered job whose Delivered event named a proof: a link to it (photo, signature, name, code).
function proofLink(job) {
  if (job.state !== "delivered" || !S.proofs.has(job.id)) return "";
  return `<button type="button" class="proof-link" data-proof-job="${job.id}" title="${esc(t("proof_link_title", { job: label(job) }))}">${t("proof_link")}</button>`;
}

// The proof as the console reads it (GET /v1/jobs/{id}/proof); the files are fetched with the
// dispatcher's token and shown from memory (a plain link could not carry the token).
async function showProof(jobId) {
  const body = $("#proof-body");
  $("#proof-job").textContent = label(S.jobs.get(jobId));
  body.textContent = t("proof_loading");
  $("#proof-dialog").showModal();
  for (const url of showProof.urls || []) URL.revokeObjectURL(url);
  showProof.urls = [];
  try {
    const summary = await S.api.get(`/v1/jobs/${encodeURIComponent(jobId)}/proof`);
    const items = await Promise.all(summary.proofs.map(proofItem));
    const needs = summary.needs.map((k) => t(`proof_kind_${k}`)).join(", ");
    body.innerHTML = `${needs ? `<p class="note">${esc(t("proof_needed", { what: needs }))}</p>` : ""}${items.join("") || `<p>${t("proof_none")}</p>`}`;
  } catch (e) {
    body.textContent = t("proof_failed", { why: plain(e.message) });
  }
}
async function proofItem(p) {
  const kind = t(`proof_file_${p.kind}`);
  if (p.kind === "name") return `<p class="proof-name">${esc(t("proof_recipient", { name: p.recipient_name || "–" }))}</p>`;
  if (p.kind === "code") return `<p>${t("proof_code_checked")}</p>`;
  if (p.status === "purged" || !p.url) return `<p class="note">${esc(t("proof_purged", { kind }))}</p>`;
  const response = await fetch(p.url, { headers: { Authorization: `Bearer ${S.api.token}` } });
  if (!response.ok) return `<p class="error">${esc(t("proof_failed", { why: `HTTP ${response.status}` }))}</p>`;
  const url = URL.createObjectURL(await response.blob());
  showProof.urls.push(url);
  return `<figure class="proof-file"><img src="${url}" alt="${esc(kind)}"><figcaption><a href="${url}" target="_blank" rel="noopener">${esc(t("proof_open_kind", { kind }))}</a> · ${hhmm(p.created_at)}</figcaption></figure>`;
}

function renderFairness() {
  if (!S.ledger) return;
  $("#fairness-weight").textContent = t("fairness_weight", { w: num(S.ledger.fairness_weight) });
  patch($("#fairness tbody"), S.ledger.couriers.map((row) => ({ key: row.courier_id, html: fairnessRow(row) })), rows.fairness);
}

// Worked and shift minutes as of this minute: a running shift counts (ledger.js).
function fairnessRow(row) {
    const f = S.live.figures(row, S.couriers.find((c) => c.id === row.courier_id), S.now);
    const shift = f.known ? minutes(Math.floor(f.shift)) : f.shift >= 1 ? `${minutes(Math.floor(f.shift))}+` : t("on_shift");
    const planned = f.planned ? ` <span class="planned">${t("of_planned", { m: minutes(Math.round(f.planned)) })}</span>` : "";
    return `<tr data-courier-id="${row.courier_id}">
      <td>${esc(courierName(row.courier_id))}</td>
      <td class="bar-cell"><span class="worked">${minutes(Math.floor(f.worked))}</span><div class="meter" role="img" aria-label="${t("worked_share", { p: Math.round(f.share) })}"><div style="width:${f.share.toFixed(1)}%"></div></div></td>
      <td class="shift" data-known="${f.known}"${f.known ? "" : ` title="${t("shift_since_unknown")}"`}>${shift}${planned}</td>
      <td class="heavy">${num(row.heavy_kg, 0)}</td></tr>`;
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
const mapDrawn = { jobs: "", routes: "", approach: "" };
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

// The plan's routes along the streets (GET /v1/plan/streets: one line per leg, for the courier's
// vehicle), asked once per plan when the map is drawn: until they come the map shows each route
// as straight lines from stop to stop, and no frame ever waits for them.
const streets = { plannedAt: null, legs: [], asked: null };
function askStreets() {
  const at = S.plan?.planned_at;
  if (!at || streets.asked === at) return;
  streets.asked = at;
  S.api.get("/v1/plan/streets").then((answer) => {
    Object.assign(streets, { plannedAt: answer.planned_at, legs: answer.features });
    renderMap();
  }).catch(() => { /* straight lines until the next plan */ });
}
const stopKey = (s) => `${s.job_id}:${s.kind}`;

// One courier's route as the map draws it: the legs between the stops still on their lane.
function routeLines(courierId, legs) {
  const stops = laneStops(courierId);
  const look = lookOf(courierId);
  const properties = { courier_id: courierId, colour: look.colour, pattern: look.pattern, look: look.key };
  if (legs) {
    const on = new Set(stops.map(stopKey));
    return legs.filter((l) => l.properties.courier_id === courierId && on.has(stopKey(l.properties.start)) && on.has(stopKey(l.properties.end)))
      .map((l) => ({ type: "Feature", geometry: l.geometry, properties: { ...properties, start: stopKey(l.properties.start) } }));
  }
  const coordinates = stops.map((s) => [S.jobs.get(s.job_id).request[s.kind].lon, S.jobs.get(s.job_id).request[s.kind].lat]);
  return coordinates.length > 1 ? [{ type: "Feature", geometry: { type: "LineString", coordinates }, properties }] : [];
}

// The first stop still ahead on a courier's lane (a pickup already made is behind them).
function firstStop(courierId) {
  const s = laneStops(courierId).find((st) => !(st.kind === "pickup" && S.jobs.get(st.job_id)?.state === "picked_up"));
  return s && S.jobs.get(s.job_id).request[s.kind];
}
// From each fresh shared position to that courier's first planned stop, dotted in their colour.
function approachLines() {
  return [...S.positions.values()].flatMap((p) => {
    const stop = positionAge(p) <= FRESH_POSITION_MIN && S.couriers.some((c) => c.id === p.courier_id) && firstStop(p.courier_id);
    if (!stop) return [];
    return [{ type: "Feature", geometry: { type: "LineString", coordinates: [[p.lon, p.lat], [stop.lon, stop.lat]] },
      properties: { courier_id: p.courier_id, colour: colourOf(p.courier_id) } }];
  });
}

function drawMap() {
  askStreets();
  const jobs = [...S.jobs.values()].filter((j) => OPEN.has(j.state) || ACTIVE.has(j.state));
  const legs = streets.plannedAt && streets.plannedAt === S.plan?.planned_at ? streets.legs : null;
  const routed = S.couriers.filter((c) => S.plan?.routes?.[c.id]);
  const lines = routed.flatMap((c) => routeLines(c.id, legs));
  const approach = approachLines();
  // jobs and routes apart: a selection moves a dot, and thousands of street points stay put
  const jobsKey = JSON.stringify([jobs.map((j) => [j.id, j.state]), S.selected]);
  const routesKey = JSON.stringify([Boolean(legs), S.plan?.planned_at, lines.map((l) => l.properties.start || l.geometry.coordinates.length),
    routed.map((c) => c.id), language(), Boolean(approach.length)]);
  if (jobsKey !== mapDrawn.jobs) S.map.setJobs(jobs, S.selected);
  mapDrawn.jobs = jobsKey;
  const approachKey = JSON.stringify(approach.map((l) => [l.properties.courier_id, l.properties.colour, l.geometry.coordinates]));
  if (approachKey !== mapDrawn.approach) S.map.setApproach(approach);
  mapDrawn.approach = approachKey;
  if (routesKey === mapDrawn.routes) return;
  mapDrawn.routes = routesKey;
  S.map.setRoutes(lines);
  const drawn = new Set(lines.map((l) => l.properties.courier_id));
  const symbols = [{ kind: "pickup", name: t("window_pickup") }, { kind: "dropoff", name: t("window_dropoff") }, { kind: "path", name: t("legend_path") }];
  if (approach.length) symbols.push({ kind: "approach", name: t("legend_approach") });
  S.map.setLegend(t("map_legend"), routed.filter((c) => drawn.has(c.id)).map((c) => ({ courier_id: c.id, look: lookOf(c.id), name: nameOfCourier(c) })), symbols);
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
        window.__tandem.lastSeq = Math.max(window.__tandem.lastSeq, p.seq);
      }
    });
  });
}

// ------------------------------------------------------------------ data

// Shared positions (GET /v1/positions: a courier shares only with a job in hand, each kept a
// limited time): a dot in their colour on the map, and on their lane how long ago it was sent.
S.positions = new Map();
async function refreshPositions() {
  try {
    const { positions } = await S.api.get("/v1/positions");
    S.positions = new Map(positions.map((p) => [p.courier_id, p]));
  } catch { return; }
  S.map?.setPositions([...S.positions.values()].map((p) => ({
    ...p, colour: colourOf(p.courier_id), label: t("position_on_map", { name: courierName(p.courier_id), m: minutes(positionAge(p)) }),
  })));
  render();
}
// whole minutes, as a clock says them: the map's label and the lane's note agree
function positionAge(p) { return Math.max(0, Math.floor((Date.now() - Date.parse(p.at)) / 60e3)); }
function positionNote(courierId) {
  const p = S.positions.get(courierId);
  if (!p) return "";
  return `<div class="position">${t("position_age", { m: minutes(positionAge(p)) })}</div>`;
}

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
      S.couriers = couriers.couriers; S.ledger = ledger; S.live.read(); orderPeople();
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
  if (event.type === "ProposalMade" || event.type === "ShiftStarted" || event.type === "ShiftEnded") work.push(refreshPlan());
  if (event.type === "Delivered" && event.payload.proof) S.proofs.set(event.payload.job_id, event.payload.proof.kinds || []);
  if (isShiftEvent(event.type)) { S.live.shiftEvent(event); S.rolling?.refresh(); }
  if (COURIER_EVENTS.has(event.type)) work.push(refreshPeople());
  try { await Promise.all(work); } catch (e) { console.error(e); }
  if (event.payload.job_id) dialogJobChanged({ ...event, seq: message.seq });
  render(message.seq, receivedAt, event.type, performance.now() - receivedAt);
}

// ------------------------------------------------------------------ decisions

// ------------------------------------------------------------------ errors in plain words

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const EVENT_NAME = /\b(JobRequested|JobCancelled|ProposalMade|ProposalWithheld|ProposalAccepted|JobOverridden|JobReassigned|JobUnassigned|CourierAcknowledged|CourierDeclined|PickedUp|Delivered|DeliveryFailed|ShiftStarted|ShiftPaused|ShiftResumed|ShiftEnded|ParcelReweighed|CourierDeactivated|CourierReactivated|CourierErased|MemberLoginRevoked|MemberPasswordReset|ClientKeyRevoked|ClientKeyRotated|CooperativeSettingsChanged)\b/g;
function quoted(job) { return `“${label(job)}”`; }
// What a past act was, in words ("accepted"), never the event's class name.
function actWords(eventType) { return t(`did_${eventType}`) === `did_${eventType}` ? t("did_other") : t(`did_${eventType}`); }
// Who acted, from a conflict's answer: their name, or what kind of actor they were.
function whoActed(body) {
  if (body.by_name) return body.by_name;
  const kind = String(body.by || "").split(" ")[0];
  return t(`actor_${kind}`) === `actor_${kind}` ? t("actor_someone") : t(`actor_${kind}`);
}
// Any text from the server, with ids replaced by what people call things and event names by words.
function plain(text) {
  return String(text || "")
    .replace(UUID, (id) => (S.jobs.has(id) ? quoted(S.jobs.get(id)) : S.couriers.some((c) => c.id === id) ? courierName(id) : "…"))
    .replace(EVENT_NAME, (name) => actWords(name));
}
function conflictText(error, jobId) {
  return t("conflict", { who: whoActed(error.body), act: actWords(error.body.last_act), job: quoted(S.jobs.get(jobId)) });
}
// A failed act as a sentence: what could not be done to which job, and why, without ids.
function plainError(error, jobId, action) {
  const job = quoted(S.jobs.get(jobId));
  if (!(error instanceof ApiError)) return t("err_network", { job, act: t(`verb_${action}`) });
  // a conflict, or a job taken meanwhile (an override after another desk's accept): who did what
  if (error.body.code === "conflict" || (error.body.by && error.body.last_act)) return conflictText(error, jobId);
  if (error.body.code === "not_found") return t("err_gone", { job });
  if (error.body.code === "illegal_transition" || error.body.code === "invalid_input") {
    const state = S.jobs.get(jobId)?.state;
    if (state) return t("err_state", { job, act: t(`verb_${action}`), state: t(`state_${state}`) });
  }
  return t("err_other", { job, act: t(`verb_${action}`), why: plain(error.message) });
}

// ------------------------------------------------------------------ confirmation

// Ask before an act that is hard to take back; resolves true on Confirm, false on Cancel or Escape.
// A dialog's "close" event comes a task after it closes: a quick second question must not take
// the first one's answer, so each question knows whether it is still the one asked.
let asking = 0;
function ask(text, okLabel) {
  const dialog = $("#confirm-dialog");
  const mine = ++asking;
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = okLabel || t("confirm");
  if (dialog.open) dialog.close();
  dialog.returnValue = "";
  dialog.showModal();
  $("#confirm-ok").focus();
  return new Promise((resolve) => {
    const answered = () => {
      if (mine === asking && dialog.open) return;  // an earlier question's close
      dialog.removeEventListener("close", answered);
      resolve(mine === asking && dialog.returnValue === "ok");
    };
    dialog.addEventListener("close", answered);
  });
}

// ------------------------------------------------------------------ selection after an act

// The job to select once this one is dealt with: the next in its list (the queue, or the lanes'
// chips), else the previous, else the top of the queue.
function neighbour(jobId) {
  const job = S.jobs.get(jobId);
  const ids = job && OPEN.has(job.state)
    ? visibleOpenJobs().map((j) => j.id)
    : [...document.querySelectorAll(".chip[data-job-id]")].map((c) => c.dataset.jobId).filter((id) => ACTIVE.has(S.jobs.get(id)?.state));
  const i = ids.indexOf(jobId);
  return (i < 0 ? ids[0] : ids[i + 1] ?? ids[i - 1]) ?? null;
}
function selectAfter(next) {
  const id = next && S.jobs.has(next) && (OPEN.has(S.jobs.get(next).state) || ACTIVE.has(S.jobs.get(next).state)) ? next : visibleOpenJobs()[0]?.id;
  if (id) select(id, { focusMap: false }); else { S.selected = null; render(); $("#jobs").focus(); }
}
// Focus back on the list, after the frame that draws any pending change (a filter typed, a
// job gone); not while a dialog is open.
function focusSelected() {
  requestAnimationFrame(() => {
    if (document.querySelector("dialog[open]")) return;
    const el = S.selected && document.querySelector(`.job[data-job-id="${S.selected}"], .chip[data-job-id="${S.selected}"]`);
    if (el) { el.focus({ preventScroll: true }); return; }
    const first = visibleOpenJobs()[0];
    if (first) select(first.id, { focusMap: false }); else $("#jobs").focus();
  });
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
      toast(conflictText(e, jobId));
      await refreshJob(jobId); render();
      return false;
    }
    throw e;
  }
}

// An act on one job; on success the next job is selected and `done` (if any) is said.
async function act(jobId, body, done) {
  const next = neighbour(jobId);
  try {
    if (await decide(jobId, body)) {
      if (done) toast(done);
      selectAfter(next);
      return true;
    }
  } catch (e) { toast(plainError(e, jobId, body.action)); }
  return false;
}

async function accept(jobId) {
  const job = S.jobs.get(jobId);
  if (job?.state !== "proposed") { toast(t("nothing_to_accept", { job: quoted(job) })); return; }
  await act(jobId, { action: "accept" });
}

// Take a job back from its courier: asked first, and said when done.
async function unassign(jobId) {
  const job = S.jobs.get(jobId);
  if (!job) return;
  if (OPEN.has(job.state)) { toast(t("nothing_to_take_back", { job: quoted(job) })); return; }
  if (job.state === "picked_up") { toast(t("already_picked_up", { job: quoted(job), name: courierName(job.courier_id) })); return; }
  if (!ACTIVE.has(job.state)) { toast(t("err_state", { job: quoted(job), act: t("verb_unassign"), state: t(`state_${job.state}`) })); return; }
  const name = courierName(job.courier_id);
  if (!(await ask(t("ask_unassign", { job: quoted(job), name }), t("unassign")))) { focusSelected(); return; }
  await act(jobId, { action: "unassign", reason: "" }, t("unassigned_done", { job: quoted(job), name }));
}

const UNDO_MS = 10000;
async function acceptAllVisible() {
  const ids = visibleOpenJobs().filter((j) => j.state === "proposed").map((j) => j.id);
  if (!ids.length) { toast(t("nothing_visible")); return; }
  const question = S.filter.trim() ? t("ask_accept_filtered", { n: ids.length, filter: S.filter.trim() }) : t("ask_accept_all", { n: ids.length });
  if (!(await ask(question, t("accept_n", { n: ids.length })))) { focusSelected(); return; }
  let result;
  try { result = await S.api.post("/v1/decisions/accept-all", { jobs: ids }); } catch (e) {
    toast(e instanceof ApiError ? plain(e.message) : t("err_network_all"));
    return;
  }
  // What the answer says is what the log now holds: each accepted job is with its proposed
  // courier (the socket's events confirm it); no need to fetch every job again.
  for (const r of result.results) {
    const job = S.jobs.get(r.job_id);
    if (r.ok && job && job.last_seq < r.seq) S.jobs.set(r.job_id, { ...job, state: "assigned", courier_id: job.proposal?.courier_id ?? null, last_seq: r.seq });
  }
  render();
  selectAfter(null);
  const accepted = result.results.filter((r) => r.ok);
  const refused = result.results.filter((r) => !r.ok);
  const text = [t("accepted_n", { n: accepted.length }), refusals(refused)].filter(Boolean).join(" ");
  toast(text, accepted.length ? { action: { label: t("undo"), run: () => undoAccepts(accepted) }, ms: UNDO_MS } : { ms: 8000 });
  // the refused jobs as they are now (the socket's events would bring them too, a moment later)
  Promise.all(refused.slice(0, 20).map((r) => refreshJob(r.job_id).catch(() => {}))).then(() => render());
}

// Why accept-all left jobs alone, in words: "Sami already accepted “A → B”." for the first
// three (the answer says, per refusal, what was done last and by whom), then how many more.
function refusals(refused) {
  if (!refused.length) return "";
  const said = refused.slice(0, 3).map((r) => {
    const job = quoted(S.jobs.get(r.job_id));
    if (!r.last_act) return t("refused_state", { job, state: r.state ? t(`state_${r.state}`) : t("state_gone") });
    return t("refused_by", { who: whoActed(r), act: actWords(r.last_act), job });
  });
  if (refused.length > 3) said.push(t("refused_more", { n: refused.length - 3 }));
  return [...said, t("refused_look")].join(" ");
}

// Undo an "accept all": take back what it accepted, unless someone acted on a job since.
async function undoAccepts(accepted) {
  const outcomes = await Promise.all(accepted.map(async ({ job_id: id, seq }) => {
    try {
      await S.api.post(`/v1/jobs/${id}/decisions`, { action: "unassign", reason: "undo: accept all", expected_seq: seq });
      return null;
    } catch (e) {
      return e instanceof ApiError && e.body.code === "conflict" ? conflictText(e, id) : plainError(e, id, "unassign");
    } finally {
      try { await refreshJob(id); } catch { /* shown on the next event */ }
    }
  }));
  render();
  const problems = outcomes.filter(Boolean);
  toast([t("undone_n", { n: outcomes.length - problems.length }), ...problems].join(" "), { ms: 8000 });
  focusSelected();
}

// The override dialog (issue 17, item 4): every courier in the day's rotation on one table, side
// by side, with their shift, their load against the vehicle's capacity and what giving them the
// job costs; a physical limit, or a courier not riding now (off shift, on a pause), is a refusal
// (its own colour, not a cost, not selectable but through its force button, as the API wants force). Never
// sorted by a figure: the rotation's order, as everywhere. An open job's lines come in one answer
// (override-options); a job someone has is moved by reassign, its cost asked for the chosen line.
function chosenCourier() { return document.querySelector("#decide-couriers input[name=decide-courier]:checked")?.value || ""; }

async function showCost(jobId, courierId) {
  const cost = $("#decide-cost");
  cost.textContent = t("cost_loading");
  try {
    const report = await S.api.get(`/v1/jobs/${jobId}/override-cost?courier_id=${encodeURIComponent(courierId)}`);
    if (chosenCourier() !== courierId) return;
    const breaks = report.breaks || [];
    // a physical limit is a refusal, not a cost: said as such, with what it breaks
    cost.classList.toggle("refusal", breaks.length > 0);
    const summary = Array.isArray(report.summary) ? report.summary.map(said).join("; ") : plain(report.summary);
    cost.textContent = breaks.length ? `${t("limit_broken", { name: courierName(courierId) })} ${breaks.map(said).join("; ")}.` : summary;
    if (breaks.length) showForceBox(courierId, breaks); else hideForceBox();
  } catch (e) {
    if (chosenCourier() !== courierId) return;
    cost.classList.remove("refusal"); cost.textContent = plain(e.message); hideForceBox();
  }
}

// The force checkbox belongs to the one courier whose limit it was shown for (S.dialog.forceFor):
// hidden, it is unticked and forgotten, and choosing another courier hides it at once, so a box
// ticked for A never forces (nor asks a reason for) a plain move to B, even one confirmed before
// B's cost arrives.
function hideForceBox() {
  $("#decide-force").checked = false;
  $("#decide-force-row").hidden = true;
  $("#decide-force-row span").textContent = t("force");
  if (S.dialog) S.dialog.forceFor = null;
}
// limits: what it forces past, named on the box as the override table's control names it (null:
// the words stay, or say "force" for a courier it was not shown for).
function showForceBox(courierId, limits = null) {
  const same = S.dialog.forceFor === courierId;
  if (!same) $("#decide-force").checked = false;
  S.dialog.forceFor = courierId;
  $("#decide-force-row").hidden = false;
  const limit = limits && limitNames({ limits });
  if (limits || !same) $("#decide-force-row span").textContent = limit ? t("force_past", { limit }) : t("force");
}
// Whether Confirm forces past a limit by the box: only the chosen courier's, shown and ticked.
function boxForces(courierId) {
  return S.dialog?.forceFor === courierId && !$("#decide-force-row").hidden && $("#decide-force").checked;
}

// One line of the table from the API's answer (an open job): every refusal is a limit to force
// past, being off shift or on a pause too (the API answers 409 physical_limit without force) ...
function lineFromAnswer(o) {
  return { ...o, id: o.courier_id, name: courierLabel(o.courier_id, o.display_name), kind: o.vehicle, limits: o.refusals };
}
// ... or from the console's own state (a job someone has: the cost is asked for the chosen line).
function lineFromConsole(c) {
  const kg = Math.max(0, ...laneStops(c.id).map((st) => st.load_kg_after));
  return { id: c.id, name: nameOfCourier(c), kind: c.vehicle.kind, on_shift: c.on_shift, paused: c.paused, proposed: false,
    load_kg: kg, load_l: null, payload_kg: c.vehicle.payload_kg, volume_l: c.vehicle.volume_l, with_job_kg: null,
    cost: null, limits: [] };
}

// The limits a line breaks, named ("payload", "volume"...): what a dispatcher forces past. A
// refusal with no short name (the planner found no room) is said in full beside the control.
function limitNames(l) {
  return [...new Set(l.limits.map((r) => `limit_${r.code}`).filter((key) => t(key) !== key).map((key) => t(key)))].join(", ");
}
function forceWords(key, l) {
  const limit = limitNames(l);
  return limit ? t(key, { name: l.name, limit }) : t(`${key}_plain`, { name: l.name });
}

// The second step past a refusal: the line becomes choosable, is chosen, and Confirm will send
// the API's force flag with the reason the log keeps (the API wants one). Choosing another line
// takes it back (stopForcing).
function startForcing(courierId, { focus = true } = {}) {
  const row = document.querySelector(`#decide-couriers tr.refused[data-courier-id="${courierId}"]`);
  const line = S.dialog?.lines?.find((l) => l.id === courierId);
  if (!row || !line) return;
  stopForcing();
  S.dialog.forcing = courierId;
  const input = row.querySelector("input");
  input.disabled = false;
  input.checked = true;
  row.classList.add("forcing");
  $("#decide-forcing").textContent = forceWords("forcing_note", line);
  $("#decide-forcing").hidden = false;
  $("#decide-error").textContent = "";
  if (focus) $("#decide-reason").focus();
}
function stopForcing() {
  const id = S.dialog?.forcing;
  if (S.dialog) S.dialog.forcing = null;
  $("#decide-forcing").hidden = true;
  $("#decide-forcing").textContent = "";
  const row = id && document.querySelector(`#decide-couriers tr[data-courier-id="${id}"]`);
  if (!row) return;
  row.classList.remove("forcing");
  const input = row.querySelector("input");
  if (row.classList.contains("refused")) { input.checked = false; input.disabled = true; }
}

function optionRow(l) {
  const status = l.on_shift ? (l.paused ? t("paused") : t("on_shift")) : t("off_shift");
  let load = t("load", { kg: num(l.load_kg, 0), cap: num(l.payload_kg) });
  if (l.load_l != null) load += ` · ${t("load_l", { l: num(l.load_l, 0), cap: num(l.volume_l) })}`;
  if (l.with_job_kg != null) load += ` · ${t("with_job", { kg: num(l.with_job_kg, 0) })}`;
  let cost = "";
  // a refusal stays a refusal; forcing past it is a second, deliberate step that names the limit
  if (l.limits.length) cost = `<span class="refusal">${esc(t("limit_broken", { name: l.name }))} ${esc(l.limits.map(said).join("; "))}</span>`
    + `<button type="button" class="force-limit" data-force="${l.id}" aria-controls="decide-forcing">${esc(forceWords("force_past", l))}</button>`;
  else if (l.cost) cost = `<span class="figure">${esc(said(l.cost[0]))}</span>${l.cost.length > 1 ? `; <span class="note">${esc(l.cost.slice(1).map(said).join("; "))}</span>` : ""}`;
  const id = `decide-to-${l.id}`;
  const classes = ["option", l.limits.length ? "refused" : "", l.on_shift && !l.paused ? "" : "away", l.proposed ? "proposed" : ""].filter(Boolean).join(" ");
  return `<tr data-courier-id="${l.id}" class="${classes}">
    <td><input type="radio" name="decide-courier" id="${id}" value="${l.id}"${l.limits.length ? " disabled" : ""}></td>
    <td><label for="${id}">${esc(l.name)}</label> <span class="note">${esc(vehicleName(l.kind))}</span>${l.proposed ? ` <span class="tag">${t("opt_proposed")}</span>` : ""}</td>
    <td>${esc(status)}</td><td class="opt-load">${esc(load)}</td><td class="opt-cost">${cost}</td></tr>`;
}

// Fill the table (again, when the job changed under it): the line a person chose stays chosen
// (a lane they dropped the job on too); else the first courier in rotation who is on shift, not
// paused and not the one proposed; never a refused one (off shift and paused ones are refused),
// and nobody when the lane they dropped it on is refused.
async function loadOptions() {
  const d = S.dialog;
  const job = S.jobs.get(d.jobId);
  const keep = chosenCourier() || d.dropped;
  const forcing = d.forcing;
  let lines;
  if (d.action === "override") {
    try {
      const answer = await S.api.get(`/v1/jobs/${d.jobId}/override-options`);
      if (S.dialog !== d) return;
      lines = answer.couriers.map(lineFromAnswer);
    } catch (e) {
      if (S.dialog !== d) return;
      $("#decide-couriers").innerHTML = "";
      $("#decide-error").textContent = plainError(e, d.jobId, "override");
      return;
    }
  } else {
    lines = S.couriers.filter((c) => c.id !== job?.courier_id && c.active !== false).map(lineFromConsole);
  }
  d.lines = lines;
  $("#decide-couriers").innerHTML = lines.map(optionRow).join("");
  // a line being forced stays forced while it is still refused (the job changed under the dialog)
  if (forcing && lines.some((l) => l.id === forcing && l.limits.length)) { startForcing(forcing, { focus: false }); return; }
  stopForcing();
  const open = lines.filter((l) => !l.limits.length);
  const working = open.filter((l) => l.on_shift && !l.paused);
  // dropped on a lane whose courier is refused: nobody is chosen for the dispatcher (the job must
  // never slip to a colleague they did not pick); that line offers its force, or they choose
  const droppedRefused = d.dropped && !chosenCourier() && !open.some((l) => l.id === d.dropped);
  const preset = droppedRefused ? null : open.find((l) => l.id === keep) || working.find((l) => !l.proposed) || working[0];
  const input = preset && document.getElementById(`decide-to-${preset.id}`);
  if (input) input.checked = true;
  if (d.action === "reassign" && input) showCost(d.jobId, input.value);
}

// The dialog's job changed under it (another dispatcher, a courier, the planner): a job that can
// still be given keeps the dialog with fresh costs and a word on what happened; else it closes
// and says who acted.
function dialogJobChanged(event) {
  const dialog = $("#decide-dialog");
  if (!dialog.open || !S.dialog || event.payload.job_id !== S.dialog.jobId || event.seq <= S.dialog.seq) return;
  if (event.actor.kind === "dispatcher" && event.actor.id === S.me?.id) return;
  const job = S.jobs.get(S.dialog.jobId);
  const who = whoActed({ by: `${event.actor.kind} ${event.actor.id || ""}`.trim(), by_name: event.actor.kind === "system" ? null : nameOf(event.actor) });
  const what = t("conflict_short", { who, act: actWords(event.type), job: quoted(job) });
  const stillOpen = job && (S.dialog.action === "override" ? OPEN.has(job.state) : ACTIVE.has(job.state));
  if (!stillOpen) {
    S.dialog = null;
    dialog.close();
    toast(`${what} ${t("dialog_closed")}`, { ms: 8000 });
    return;
  }
  S.dialog.seq = event.seq;
  $("#decide-error").textContent = `${what} ${t("cost_again")}`;
  loadOptions();
}
// A person's name from an event's actor, when the console knows it: a courier's from the day's
// couriers, another dispatcher's from the cooperative's members (an event carries only the
// actor's id); else null, and the role is said instead.
function nameOf(actor) {
  if (actor.name) return actor.name;
  if (actor.kind === "courier") { const c = S.couriers.find((x) => x.id === actor.id); return c ? nameOfCourier(c) : null; }
  return actor.kind === "dispatcher" ? S.members.get(actor.id) || null : null;
}
// The cooperative's dispatchers by id (GET /v1/members, which a dispatcher may read), so that
// "Sami just accepted it" names who; a failed read leaves the role to be said.
async function dispatchersByName() {
  try {
    const { members } = await S.api.get("/v1/members");
    return new Map(members.map((m) => [m.id, m.name]));
  } catch (e) {
    console.error(e);
    return new Map();
  }
}
// MapLibre's own words (the canvas's label, a marker's, the credits' button) in the reader's language.
function mapWords() {
  return {
    "Map.Title": t("map_label"), "Marker.Title": t("map_marker"),
    "AttributionControl.ToggleAttribution": t("map_attribution"), "AttributionControl.MapFeedback": t("map_attribution"),
  };
}

function openDecide(jobId, courierId) {
  const job = S.jobs.get(jobId);
  if (!job) return;
  if (courierId && job.courier_id === courierId) return;  // dropped on its own lane: nothing to decide
  const moving = ACTIVE.has(job.state);
  S.dialog = { jobId, action: moving ? "reassign" : "override", seq: job.last_seq, dropped: courierId || null };
  $("#decide-title").textContent = moving ? t("reassign_title") : t("override_title");
  $("#decide-job").textContent = label(job);
  $("#decide-couriers").innerHTML = `<tr><td colspan="5" class="note">${esc(t("cost_loading"))}</td></tr>`;
  $("#decide-reason").value = "";
  hideForceBox();
  $("#decide-forcing").hidden = true;
  $("#decide-error").textContent = "";
  $("#decide-cost").classList.remove("refusal");
  $("#decide-cost").textContent = "";
  $("#decide-cost").hidden = !moving;  // an open job's costs are in the table
  $("#decide-dialog").showModal();
  loadOptions();
}

async function confirmDecide(event) {
  event.preventDefault();
  const { jobId, action } = S.dialog;
  const courier = chosenCourier();
  if (!courier) { $("#decide-error").textContent = t("choose_courier"); return; }
  // a refused line goes only through "Force past this limit"; a forced one needs a reason
  const forcing = S.dialog.forcing === courier;
  const line = S.dialog.lines?.find((l) => l.id === courier);
  if (line?.limits.length && !forcing) { $("#decide-error").textContent = t("force_first", { name: line.name }); return; }
  const forced = forcing || boxForces(courier);
  if (forced && !$("#decide-reason").value.trim()) { $("#decide-error").textContent = t("force_needs_reason"); $("#decide-reason").focus(); return; }
  const next = neighbour(jobId);
  try {
    const ok = await decide(jobId, {
      action, courier_id: courier, reason: $("#decide-reason").value,
      force: forced,
    });
    $("#decide-dialog").close();
    if (ok) { selectAfter(next); refreshPeople().then(() => render()); }
  } catch (e) {
    $("#decide-error").textContent = e instanceof ApiError && e.body.code === "physical_limit" ? plain(e.message) : plainError(e, jobId, action);
    if (e instanceof ApiError && e.body.code === "physical_limit" && S.dialog && chosenCourier() === courier) showForceBox(courier);
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
  // Escape leaves any field (the filter, the language): focus goes back to the list.
  if (e.key === "Escape" && e.target.closest("input, select, textarea") && !e.target.closest("dialog[open]")) {
    e.preventDefault(); e.target.blur(); focusSelected(); return;
  }
  if (e.key === "Enter" && e.target.id === "filter") { e.preventDefault(); focusSelected(); return; }
  if (e.target.closest("input, select, textarea, dialog[open]")) return;
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === "z" && S.toastAction) { runToastAction(); e.preventDefault(); return; }
  if (e.key === "j" || e.key === "ArrowDown") { moveSelection(1); e.preventDefault(); }
  else if (e.key === "k" || e.key === "ArrowUp") { moveSelection(-1); e.preventDefault(); }
  else if (e.key === "A" && e.shiftKey) { acceptAllVisible(); }
  else if (e.key === "a" && S.selected) { accept(S.selected); }
  else if (e.key === "o" && S.selected) { e.preventDefault(); openDecide(S.selected); }  // the "o" must not land in the dialog's reason
  else if (e.key === "u" && S.selected) { unassign(S.selected); }
  else if ((e.key === "r" || (e.key === "Enter" && !e.target.closest("button, a[href]"))) && S.selected) { toggleReasons(S.selected); e.preventDefault(); }
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
    const proof = e.target.closest(".proof-link");
    if (proof) { showProof(proof.dataset.proofJob); return; }
    const chip = e.target.closest(".chip");
    if (chip) select(chip.dataset.jobId);
  });
  // a chip reached with Tab is the selected job: u takes it back, o moves it
  $("#lanes").addEventListener("focusin", (e) => {
    const chip = e.target.closest(".chip");
    if (chip && S.selected !== chip.dataset.jobId) select(chip.dataset.jobId, { focusMap: false });
  });
  $("#toast-action").addEventListener("click", runToastAction);
  // past the queue's three buttons a row: to the lanes in one keystroke (the next Tab is a chip)
  $("#skip-to-lanes").addEventListener("click", (e) => {
    e.preventDefault();
    $("#lanes-panel").focus();
    $("#lanes-panel").scrollIntoView({ block: "nearest" });
  });
  for (const dialog of document.querySelectorAll("dialog")) dialog.addEventListener("close", focusSelected);
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
    if (!lane || !jobId) return;
    e.preventDefault();
    const job = S.jobs.get(jobId);
    const target = lane.dataset.courierId;
    if (job && ACTIVE.has(job.state) && job.courier_id === target) { toast(t("already_with", { job: quoted(job), name: courierName(target) })); return; }
    // onto the courier it is proposed to: that is accepting the proposal (its cost is the proposal's)
    if (job?.state === "proposed" && job.proposal?.courier_id === target) { accept(jobId); return; }
    openDecide(jobId, target);
  });
  $("#filter").addEventListener("input", (e) => { S.filter = e.target.value; render(); });
  $("#hide-off-shift").checked = S.hideOffShift;
  $("#hide-off-shift").addEventListener("change", (e) => {
    S.hideOffShift = e.target.checked;
    localStorage.setItem("tandem.hideOffShift", S.hideOffShift ? "1" : "0");
    render();
  });
  $("#accept-all").addEventListener("click", acceptAllVisible);
  $("#plan-now").addEventListener("click", async () => { await S.api.post("/v1/planning/rounds"); toast(t("planning_asked")); });
  $("#decide-form").addEventListener("submit", confirmDecide);
  $("#decide-cancel").addEventListener("click", () => $("#decide-dialog").close());
  $("#decide-couriers").addEventListener("change", () => {
    if (S.dialog?.forcing && S.dialog.forcing !== chosenCourier()) stopForcing();
    if (S.dialog && S.dialog.forceFor !== chosenCourier()) hideForceBox();
    if (S.dialog?.action === "reassign") showCost(S.dialog.jobId, chosenCourier());
  });
  // a click anywhere on a line chooses it (not a refused one: its radio is disabled, until forced)
  $("#decide-couriers").addEventListener("click", (e) => {
    const force = e.target.closest("button[data-force]");
    if (force) { startForcing(force.dataset.force); return; }
    const input = e.target.closest("tr[data-courier-id]")?.querySelector("input");
    if (!input || input.disabled || e.target === input || e.target.closest("label")) return;
    input.checked = true;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
  $("#help-button").addEventListener("click", () => $("#help-dialog").showModal());
  $("#logout").addEventListener("click", async () => {
    try { await S.api.post("/v1/auth/logout"); } catch { /* already gone */ }
    sessionStorage.removeItem("tandem.session");
    location.reload();
  });
  $("#lang").addEventListener("change", (e) => {
    setLanguage(e.target.value); render(); S.rolling?.render(); setConnection(S.connection); S.map?.relabel(mapWords());
  });
  document.addEventListener("keydown", onKey);
  // "closes in N min" moves with the clock: redraw when the minute changes.
  setInterval(() => { const now = minuteNow(); if (now !== S.now) { S.now = now; render(); } }, 1000);
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
  const [state, , members] = await Promise.all([S.api.get("/v1/console/state"), loadReasons(S.api), dispatchersByName()]);
  S.coop = state.cooperative;
  S.me = state.me;
  S.members = members;
  S.heavy = state.heavy_threshold_kg;
  S.couriers = state.couriers;
  S.ledger = state.ledger;
  S.live.read();
  S.rolling ??= new RollingLedger(S.api, $("#fairness-panel"), courierName);
  orderPeople();
  S.plan = state.plan;
  S.jobs = new Map(state.jobs.map((j) => [j.id, j]));
  window.__tandem.lastSeq = state.last_seq;
  $("#coop-name").textContent = S.coop.name;
  $("#login").hidden = true;
  $("#app").hidden = false;
  $("#logout").hidden = false;
  $("#hide-off").hidden = false;
  try {
    if (new URLSearchParams(location.search).has("nomap")) throw new Error("map switched off");
    S.map = new JobMap($("#map"), {
      tileUrl: state.map.tile_url, bounds: state.map.bounds, locale: mapWords(), onSelect: (id) => select(id, { focusMap: false }),
    });
    window.__tandem.map = S.map;  // the browser tests read what each layer shows
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
  findShiftStarts(state.last_seq);
  refreshPositions();
  setInterval(refreshPositions, 30000);
}

// When each running shift began, from the log, for the meters; until then they say "0 min+".
async function findShiftStarts(lastSeq) {
  const wanted = (S.ledger?.couriers || [])
    .filter((row) => S.live.unknown(row, S.couriers.find((c) => c.id === row.courier_id)))
    .map((row) => row.courier_id);
  if (!wanted.length) return;
  try { await shiftStartsFromLog(S.api, S.live, wanted, lastSeq); } catch (e) { console.error(e); }
  render();
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
