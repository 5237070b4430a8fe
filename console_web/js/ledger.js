// Today's ledger as it stands this minute. The API's rows count closed stretches of shift and
// worked time up to when they were read (worked minutes include the stretch being ridden);
// a shift still running counts from when it began (or resumed), so the meters move all day
// instead of showing "Shift 0 min" until the shift ends (issue 17).
import { language, t, translatePage } from "./i18n.js";

const SHIFT_EVENTS = new Set(["ShiftStarted", "ShiftResumed", "ShiftPaused", "ShiftEnded"]);

export class LiveLedger {
  constructor() {
    this.since = new Map();  // courier id -> ISO time the shift stretch being counted began
    this.readAt = Date.now();  // when the ledger rows were read
  }

  read() { this.readAt = Date.now(); }

  // A shift event seen on a socket (or in the log): where the running stretch starts or stops.
  shiftEvent(event) {
    if (!SHIFT_EVENTS.has(event.type)) return;
    const id = event.payload.courier_id;
    if (event.type === "ShiftStarted" || event.type === "ShiftResumed") this.since.set(id, event.at);
    else this.since.set(id, null);
  }

  // The start of the running stretch: the server's (when it says), else what we saw.
  sinceOf(row) { return row.shift_open_since !== undefined ? row.shift_open_since : this.since.get(row.courier_id); }

  // Whether the start of a running shift is still unknown (to be looked up in the log).
  unknown(row, courier) {
    return Boolean(courier?.on_shift && !courier.paused) && this.sinceOf(row) === undefined;
  }

  // {worked, shift, planned, share, counting}: minutes as of `now` (ms), for a row and its courier.
  figures(row, courier, now) {
    const counting = Boolean(courier?.on_shift && !courier.paused);
    const since = counting ? this.sinceOf(row) : null;
    const working = counting && (courier.jobs_in_hand || []).length > 0;
    const worked = row.worked_minutes + (working ? Math.max(0, (now - this.readAt) / 60e3) : 0);
    const open = since ? Math.max(0, (now - Date.parse(since)) / 60e3) : 0;
    const shift = row.shift_minutes + open;
    const planned = row.planned_shift_minutes || 0;
    const basis = shift > 0 ? shift : planned;
    return { worked, shift, planned, counting, known: !counting || Boolean(since), share: basis > 0 ? Math.min(100, (100 * worked) / basis) : 0 };
  }
}

export function isShiftEvent(type) { return SHIFT_EVENTS.has(type); }

// The start of each running shift, read backwards from the log (GET /v1/events, for dispatchers)
// until every courier in `wanted` is found or `pages` pages of 1000 events are read.
export async function shiftStartsFromLog(api, live, wanted, lastSeq, pages = 12) {
  const left = new Set(wanted);
  let before = lastSeq;
  for (let page = 0; left.size && before > 0 && page < pages; page += 1) {
    const after = Math.max(0, before - 1000);
    const { events } = await api.get(`/v1/events?after_seq=${after}&limit=${before - after}`);
    for (const event of events.reverse()) {
      const id = event.payload?.courier_id;
      if (!SHIFT_EVENTS.has(event.type) || !left.has(id)) continue;
      left.delete(id);
      // a newer event seen on the socket meanwhile wins
      if (!live.since.has(id)) live.since.set(id, event.type === "ShiftStarted" || event.type === "ShiftResumed" ? event.at : null);
    }
    before = after;
  }
  return left;
}

// ------------------------------------------------------------------ the week view (issue 23)
// The fairness ledger summed over the last 7 or 28 days (GET /v1/ledger/rolling), the same view
// for every member: couriers in today's rotation, as the server lists them, never sorted by a
// figure. A switch in the fairness panel chooses today (the live table above), 7 or 28 days.
const SPANS = ["today", "7", "28"];
const esc = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const hm = (m) => (m >= 120 ? `${Math.floor(m / 60)} h ${String(Math.round(m % 60)).padStart(2, "0")}` : `${Math.round(m)} min`);
const localDay = (iso) => new Date(`${iso}T12:00:00`).toLocaleDateString(language(), { day: "numeric", month: "short" });

export class RollingLedger {
  // panel: the fairness panel; nameOf: courier id -> name.
  constructor(api, panel, nameOf) {
    this.api = api; this.nameOf = nameOf; this.span = "today"; this.data = null; this.asked = 0;
    this.today = panel.querySelector("#fairness");
    const group = document.createElement("div");
    group.className = "span-switch"; group.setAttribute("role", "group"); group.setAttribute("aria-label", t("ledger_span"));
    group.innerHTML = SPANS.map((s) => `<button type="button" data-span="${s}" aria-pressed="${s === "today"}" data-i18n="span_${s}"></button>`).join("");
    this.note = document.createElement("p");
    this.note.className = "note"; this.note.id = "fairness-span-note"; this.note.setAttribute("aria-live", "polite");
    this.table = document.createElement("table");
    this.table.id = "fairness-rolling"; this.table.className = "fairness"; this.table.hidden = true;
    this.table.innerHTML = `<thead><tr><th data-i18n="courier"></th><th data-i18n="shift"></th><th data-i18n="worked"></th><th data-i18n="days_on_shift"></th><th data-i18n="heavy_kg"></th></tr></thead><tbody></tbody>`;
    this.today.before(group);
    this.today.after(this.note, this.table);
    group.addEventListener("click", (e) => { const b = e.target.closest("button[data-span]"); if (b) this.choose(b.dataset.span); });
    this.group = group;
    translatePage();
  }

  async choose(span) {
    this.span = span;
    for (const b of this.group.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.span === span));
    this.today.hidden = span !== "today";
    this.table.hidden = span === "today";
    if (span === "today") { this.note.textContent = ""; return; }
    await this.refresh();
  }

  // Read the span again (after a shift pauses or ends); the answer to the latest ask wins.
  async refresh() {
    if (this.span === "today") return;
    const asked = ++this.asked;
    try {
      const data = await this.api.get(`/v1/ledger/rolling?days=${this.span}`);
      if (asked === this.asked) { this.data = data; this.render(); }
    } catch (e) {
      if (asked === this.asked) this.note.textContent = t("span_failed", { why: e.message });
    }
  }

  render() {
    if (!this.data || this.span === "today") return;
    const d = this.data;
    this.group.setAttribute("aria-label", t("ledger_span"));
    this.note.textContent = t("span_note", { first: localDay(d.first), last: localDay(d.last) });
    this.table.tBodies[0].innerHTML = d.couriers.map((row) => {
      const share = row.worked_share_of_shift == null ? 0 : Math.min(100, 100 * row.worked_share_of_shift);
      return `<tr data-courier-id="${esc(row.courier_id)}"><td>${esc(this.nameOf(row.courier_id))}</td>
        <td class="shift">${hm(row.shift_minutes)}</td>
        <td class="bar-cell"><span class="worked">${hm(row.worked_minutes)}</span><div class="meter" role="img" aria-label="${t("worked_share", { p: Math.round(share) })}"><div style="width:${share.toFixed(1)}%"></div></div></td>
        <td class="days">${row.days_on_shift}</td><td class="heavy">${row.heavy_kg.toFixed(0)}</td></tr>`;
    }).join("");
  }
}
