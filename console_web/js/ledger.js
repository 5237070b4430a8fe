// Today's ledger as it stands this minute. The API's rows count closed stretches of shift and
// worked time up to when they were read (worked minutes include the stretch being ridden);
// a shift still running counts from when it began (or resumed), so the meters move all day
// instead of showing "Shift 0 min" until the shift ends (issue 17).
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
