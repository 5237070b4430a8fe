// The courier's phone page. Acts are queued on the phone and sent once the socket is back; each
// carries an id, so a resend after a dead zone is recorded once. No score, no ranking: the only
// figures shown are the cooperative's ledger of work, the same for everyone.
import { Api, ApiError, LiveSocket, saveBlob } from "../js/api.js";
import { language, setLanguage, t, translatePage } from "../js/i18n.js";
import { JobMap } from "../js/map.js";
import { LiveLedger, isShiftEvent } from "../js/ledger.js";

const $ = (sel) => document.querySelector(sel);
const KEY = {
  session: "tandem.courier.session", seq: "tandem.courier.seq", outbox: "tandem.courier.outbox",
  since: "tandem.courier.shiftSince", given: "tandem.courier.given",
};
const DECLINE_REASONS = ["r_heavy", "r_bike", "r_far", "r_personal"];
const FAIL_REASONS = ["r_nobody", "r_address", "r_damaged"];
const AFTER = { acknowledge: "acknowledged", picked_up: "picked_up", delivered: "delivered", failed: "failed", decline: "declined" };
const IN_HAND = new Set(["assigned", "acknowledged", "picked_up"]);
// The words of what the phone added for issue 18 (a parcel heavier than declared, breaks in the
// route), in English and French; said with the page's language like every other text.
const WORDS = {
  en: {
    heavier: "Heavier than declared",
    weight_title: "Heavier than declared",
    weight_declared: "Declared: {kg} kg. What do the parcels weigh, all together?",
    weight_label: "Real weight (kg)",
    weight_send: "Report weight",
    weight_size: "Bigger than declared too? (optional)",
    volume_label: "Volume, all together (L)",
    longest_label: "Longest side (cm)",
    weight_invalid: "Give the weight (above 0, at most 1000 kg), the size (at most 10000 L, 1000 cm), or both.",
    weight_offline: "Reporting a weight needs a connection: try again in a moment.",
    weight_kept: "{kg} kg reported (declared {declared} kg): the job stays yours.",
    weight_back: "{kg} kg reported: more than your vehicle carries. The job goes back to dispatch.",
    size_kept: "Size reported: the job stays yours.",
    size_back: "Size reported: more than your vehicle takes. The job goes back to dispatch.",
    weight_refused: "Weight not reported: {why}",
    route_break: "Break {m} min, ~{t}",
    my_week: "My week",
    avail_note: "When you can work. Dispatch builds the week's rota from it; nothing changes until you save.",
    contract: "Your contract: {min}–{max} h a week.",
    every_week: "Every week",
    day: "Day", from: "From", to: "To", add_window: "Add these hours",
    exceptions: "Exceptions and holidays",
    kind: "What", kind_holiday: "Holiday (not available)", kind_hours: "Only these hours that day",
    first_day: "Day (first)", last_day: "Last day",
    add_exception: "Add",
    save_availability: "Save my availability",
    remove: "Remove",
    no_windows: "No hours yet: add when you can work.",
    no_exceptions: "None.",
    off_day: "{day}: not available",
    only_hours: "{day}: only {hours}",
    holiday: "Holiday {first} – {last}",
    window_order: "The end comes after the start, within one day.",
    need_day: "Give the day.",
    unsaved: "Not saved yet.",
    saved: "Saved at {t}: {w} weekly window(s), {e} exception(s), {h} holiday(s). Dispatch sees it now.",
    not_saved: "Not saved: {why}",
    changed_meanwhile: "{why}. Here is your availability as it stands now, with your unsaved changes on top: check it and save again.",
    my_hours: "My hours",
    hours_note: "Your own time sheet, as payroll reads it, in hours and minutes (h:mm). Overtime is what dispatch decided; cover is planned time covering for a colleague.",
    prev_week: "‹ Previous week", next_week: "Next week ›",
    week_of: "Week of {first} – {last}",
    h_worked: "Worked", h_breaks: "Breaks", h_planned: "Planned", h_overtime: "Overtime", h_cover: "Cover",
    total: "Total",
    open: "on shift: counted when it ends",
    month_total: "{month}: {worked} worked, {breaks} breaks, {planned} planned, {overtime} overtime, {cover} cover.",
    download: "Download",
    dl_week: "This week · {form}", dl_month: "{month} · {form}", form_csv: "CSV", form_xlsx: "spreadsheet (xlsx)",
    downloaded: "Saved {file}.",
    not_downloaded: "Not downloaded: {why}",
    hours_unavailable: "Your hours could not be read: {why}",
    rolling_title: "My last 7 and 28 days",
    last_7: "7 days", last_28: "28 days",
    r_shift: "On shift", r_worked: "With a job in hand", r_days: "Days on shift", r_heavy: "Heavy jobs",
    rolling_note: "Your own figures from the fairness ledger, today included; everyone's are summed the same way.",
    my_shifts: "My shifts",
    shifts_note: "Your shifts in the rota dispatch published, and why each one is yours. A shift still to come can be handed to a colleague: a dispatcher confirms or refuses.",
    rota_weeks: "{first} – {last}",
    this_week: "this week", coming_week: "next week",
    no_rota: "No rota published for this week yet.",
    no_shift: "No shift for you this week.",
    shift_when: "{day}, {start}–{end}",
    f_cover: "Cover", f_cargo: "Cargo bike", f_absent: "Marked absent", f_past: "Begun or past", f_pending: "Swap asked",
    why: "Why",
    ask_swap: "Ask a swap",
    swap_with: "Hand this shift to",
    swap_note: "A word for dispatch (optional)",
    send_swap: "Send the request", swap_cancel: "Cancel",
    no_colleague: "No colleague to ask.",
    former_courier: "Former courier {ref}",
    swap_asked: "Swap asked: {shift} to {name}. A dispatcher confirms or refuses it; until then the shift is yours.",
    swap_not_asked: "Swap not asked: {why}",
    swaps_title: "My swap requests",
    a_shift: "a shift",
    swap_line: "{shift} → {name}",
    state_pending: "waiting for a dispatcher",
    state_confirmed: "confirmed: the shift is {name}'s now",
    state_refused: "refused by a dispatcher",
    state_refused_why: "refused by a dispatcher: {why}",
    asked_title: "Swaps colleagues ask of you",
    asked_line: "{name} asks you to take {shift}",
    asked_pending: "waiting for a dispatcher to confirm or refuse; until then the shift is {name}'s",
    asked_confirmed: "confirmed by a dispatcher: the shift is yours now",
    asked_refused: "refused by a dispatcher: the shift stays {name}'s",
    shifts_unavailable: "Your shifts could not be read: {why}",
  },
  fr: {
    heavier: "Plus lourd que déclaré",
    weight_title: "Plus lourd que déclaré",
    weight_declared: "Déclaré : {kg} kg. Combien pèsent les colis, en tout ?",
    weight_label: "Poids réel (kg)",
    weight_send: "Signaler le poids",
    weight_size: "Plus grand que déclaré aussi ? (facultatif)",
    volume_label: "Volume, en tout (L)",
    longest_label: "Côté le plus long (cm)",
    weight_invalid: "Indiquez le poids (plus de 0, au plus 1000 kg), la taille (au plus 10000 L, 1000 cm), ou les deux.",
    weight_offline: "Signaler un poids demande une connexion : réessayez dans un instant.",
    weight_kept: "{kg} kg signalés (déclarés {declared} kg) : la course reste à vous.",
    weight_back: "{kg} kg signalés : plus que ne porte votre véhicule. La course retourne au dispatch.",
    size_kept: "Taille signalée : la course reste à vous.",
    size_back: "Taille signalée : plus que ne prend votre véhicule. La course retourne au dispatch.",
    weight_refused: "Poids non signalé : {why}",
    route_break: "Pause {m} min, ~{t}",
    my_week: "Mes disponibilités",
    avail_note: "Quand tu peux travailler. Le dispatch en tire le planning de la semaine ; rien ne change avant que tu enregistres.",
    contract: "Ton contrat : {min}–{max} h par semaine.",
    every_week: "Chaque semaine",
    day: "Jour", from: "De", to: "À", add_window: "Ajouter ces heures",
    exceptions: "Exceptions et congés",
    kind: "Quoi", kind_holiday: "Congé (pas disponible)", kind_hours: "Seulement ces heures ce jour-là",
    first_day: "Jour (premier)", last_day: "Dernier jour",
    add_exception: "Ajouter",
    save_availability: "Enregistrer mes disponibilités",
    remove: "Retirer",
    no_windows: "Pas encore d'heures : ajoute quand tu peux travailler.",
    no_exceptions: "Aucune.",
    off_day: "{day} : pas disponible",
    only_hours: "{day} : seulement {hours}",
    holiday: "Congé du {first} au {last}",
    window_order: "La fin vient après le début, dans la même journée.",
    need_day: "Indique le jour.",
    unsaved: "Pas encore enregistré.",
    saved: "Enregistré à {t} : {w} plage(s) par semaine, {e} exception(s), {h} congé(s). Le dispatch le voit maintenant.",
    not_saved: "Non enregistré : {why}",
    changed_meanwhile: "{why}. Voici tes disponibilités telles qu'elles sont maintenant, avec tes changements non enregistrés par-dessus : vérifie-les et enregistre à nouveau.",
    my_hours: "Mes heures",
    hours_note: "Ta feuille de temps, telle que la paie la lit, en heures et minutes (h:mm). Les heures sup. sont celles que le dispatch a décidées ; le remplacement est le temps planifié pour remplacer un·e collègue.",
    prev_week: "‹ Semaine précédente", next_week: "Semaine suivante ›",
    week_of: "Semaine du {first} au {last}",
    h_worked: "Travaillé", h_breaks: "Pauses", h_planned: "Planifié", h_overtime: "Heures sup.", h_cover: "Rempla\u00adcement",
    total: "Total",
    open: "en service : compté à la fin",
    month_total: "{month} : {worked} travaillé, {breaks} de pauses, {planned} planifié, {overtime} d'heures sup., {cover} de remplacement.",
    download: "Télécharger",
    dl_week: "Cette semaine · {form}", dl_month: "{month} · {form}", form_csv: "CSV", form_xlsx: "tableur (xlsx)",
    downloaded: "{file} enregistré.",
    not_downloaded: "Non téléchargé : {why}",
    hours_unavailable: "Tes heures n'ont pas pu être lues : {why}",
    rolling_title: "Mes 7 et 28 derniers jours",
    last_7: "7 jours", last_28: "28 jours",
    r_shift: "En service", r_worked: "Avec une course en main", r_days: "Jours en service", r_heavy: "Courses lourdes",
    rolling_note: "Tes propres chiffres du registre d'équité, aujourd'hui compris ; ceux de chacun·e sont additionnés de la même façon.",
    my_shifts: "Mes services",
    shifts_note: "Tes services dans le planning publié par le dispatch, et pourquoi chacun est à toi. Un service à venir peut être donné à un·e collègue : le dispatch confirme ou refuse.",
    rota_weeks: "{first} – {last}",
    this_week: "cette semaine", coming_week: "semaine prochaine",
    no_rota: "Pas encore de planning publié pour cette semaine.",
    no_shift: "Aucun service pour toi cette semaine.",
    shift_when: "{day}, {start}–{end}",
    f_cover: "Remplacement", f_cargo: "Vélo cargo", f_absent: "Absence notée", f_past: "Commencé ou passé", f_pending: "Échange demandé",
    why: "Pourquoi",
    ask_swap: "Demander un échange",
    swap_with: "Donner ce service à",
    swap_note: "Un mot pour le dispatch (facultatif)",
    send_swap: "Envoyer la demande", swap_cancel: "Annuler",
    no_colleague: "Aucun·e collègue à qui demander.",
    former_courier: "Ancien·ne coursier·e {ref}",
    swap_asked: "Échange demandé : {shift} à {name}. Le dispatch le confirme ou le refuse ; d'ici là, le service reste à toi.",
    swap_not_asked: "Échange non demandé : {why}",
    swaps_title: "Mes demandes d'échange",
    a_shift: "un service",
    swap_line: "{shift} → {name}",
    state_pending: "en attente du dispatch",
    state_confirmed: "confirmé : le service est à {name} maintenant",
    state_refused: "refusé par le dispatch",
    state_refused_why: "refusé par le dispatch : {why}",
    asked_title: "Échanges que des collègues te demandent",
    asked_line: "{name} te demande de prendre {shift}",
    asked_pending: "en attente du dispatch, qui confirme ou refuse ; d'ici là, le service reste à {name}",
    asked_confirmed: "confirmé par le dispatch : le service est à toi maintenant",
    asked_refused: "refusé par le dispatch : le service reste à {name}",
    shifts_unavailable: "Tes services n'ont pas pu être lus : {why}",
  },
};
function say(key, vars = {}) {
  const text = (WORDS[language()] || WORDS.en)[key] ?? WORDS.en[key];
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}
// A colleague's name as the page says it: an erased courier's stored name is the English label
// "Former courier <their id's first 8 characters>" (dispatch/store/erasure.py), said here in the
// page's language; never a bare id.
function nameOf(courier) {
  if (!courier) return "?";
  const ref = courier.id.slice(0, 8);
  return courier.display_name === `Former courier ${ref}` ? say("former_courier", { ref }) : courier.display_name;
}
function kg(value) {
  const text = String(Math.round(Number(value) * 10) / 10);
  return language() === "fr" ? text.replace(".", ",") : text;
}

const S = {
  api: null, socket: null, me: null, jobs: new Map(), shift: { on_shift: false, paused: false },
  outbox: JSON.parse(localStorage.getItem(KEY.outbox) || "[]"), sentNow: new Set(), couriers: [], map: null,
  heavy: 25, watch: null, lastPosition: 0, route: [], breaks: [], retentionHours: 24,
  live: new LiveLedger(), ledger: null, focusJob: null,
};
window.__tandem = { ready: false, sharing: false };

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
const clocks = new Map();
function hhmm(iso) {
  if (!iso) return "–";
  if (!clocks.has(language())) clocks.set(language(), new Intl.DateTimeFormat(language(), { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }));
  return clocks.get(language()).format(new Date(iso));
}
function toast(text) {
  const el = $("#toast"); el.textContent = text; el.hidden = false;
  clearTimeout(toast.timer); toast.timer = setTimeout(() => { el.hidden = true; }, 5000);
}
function newId() {
  return (crypto.randomUUID && crypto.randomUUID()) || `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}
// The outbox lives in localStorage so that a reload or a dead battery loses nothing; an act's
// proof (a resized photo, a signature) travels in it too. A phone out of room keeps it in memory.
function saveOutbox() {
  try { localStorage.setItem(KEY.outbox, JSON.stringify(S.outbox)); } catch { toast(t("proof_unsaved")); }
}
function placeOf(p) { return p.address || `${p.lat.toFixed(4)}, ${p.lon.toFixed(4)}`; }

// ------------------------------------------------------------------ acts: queue, send, confirm

function act(type, data = {}, proof = null) {
  const item = { id: newId(), type, data, ...(proof ? { proof } : {}) };
  S.outbox.push(item);
  saveOutbox();
  if (data.job_id) S.focusJob = data.job_id;
  if (type === "shift_end") { $("#share").checked = false; stopSharing(); }
  flush();
  // said at once when it cannot be sent now; otherwise when the server has it (settle)
  if (!S.sentNow.has(item.id) && !S.socket?.live) toast(t("saved_offline", { what: doneText(item) }));
  render();
}

// What an act did, in words, for the confirmation after it.
function doneText(item) {
  const job = S.jobs.get(item.data.job_id);
  const pickup = job ? placeOf(job.pickup) : "";
  const dropoff = job ? placeOf(job.dropoff) : "";
  return t(`done_${item.type}`, { pickup, dropoff });
}

// Acts go in the order they were made; an act with a proof waits until its files are uploaded
// (and so do the acts after it), then goes like any other.
function flush() {
  for (const item of S.outbox) {
    if (S.sentNow.has(item.id)) continue;
    if (item.proof) { uploadProof(item); return; }
    if (!S.socket?.send({ type: item.type, id: item.id, data: item.data })) return;
    S.sentNow.add(item.id);
  }
}

// Upload an act's photo and signature (HTTP, once the socket says the server is there). Each file
// leaves the outbox once the server has it; a resend of the same file is answered with the one
// kept, so a dead zone mid-upload stores it once. A refusal (not an image, too large) drops the act.
async function uploadProof(item) {
  if (S.uploading || !S.socket?.live) return;
  S.uploading = true;
  try {
    for (const [kind, image] of Object.entries(item.proof)) {
      await S.api.post("/v1/courier/proofs", { job_id: item.data.job_id, kind, image });
      delete item.proof[kind];
      saveOutbox();
    }
    delete item.proof;
    saveOutbox();
  } catch (err) {
    S.uploading = false;
    if (err instanceof ApiError && err.status !== 429) {
      S.outbox.splice(S.outbox.indexOf(item), 1);
      saveOutbox();
      toast(t("act_refused", { what: doneText(item), why: err.message }));
      refresh().catch(() => {});
    }
    render();
    return;  // offline again: tried when the socket is back
  }
  S.uploading = false;
  flush();
  render();
}

function settle(message) {
  const i = S.outbox.findIndex((item) => item.id === message.id);
  if (i < 0) return;
  const [item] = S.outbox.splice(i, 1);
  saveOutbox();
  if (message.type === "error") {
    toast(t("act_refused", { what: doneText(item), why: message.message }));
    refresh();  // the server's view wins
  } else {
    toast(doneText(item));
    if (item.data.job_id && AFTER[item.type]) {
      const job = S.jobs.get(item.data.job_id);
      if (job) job.state = AFTER[item.type];
    }
  }
  render();
}

// ------------------------------------------------------------------ what the socket brings

function onEvent(message) {
  localStorage.setItem(KEY.seq, String(message.seq));
  const e = message.data;
  const p = e.payload;
  if (["ProposalAccepted", "JobOverridden", "JobReassigned"].includes(e.type) && p.courier_id === S.me.id && e.job) {
    // a job a dispatcher gave (override, move) may carry the ETAs of a proposal to someone else:
    // only my route's ETAs count for it
    if (e.type !== "ProposalAccepted") markGiven(e.job.id);
    S.jobs.set(e.job.id, withoutForeignEtas(e.job));
    routeTries = 0;
    refreshRoute();
  } else if (["JobReassigned", "JobUnassigned", "JobCancelled"].includes(e.type) && p.previous_courier_id === S.me.id) {
    S.jobs.delete(p.job_id);
    toast(t("taken_back"));
  } else if (p.job_id && S.jobs.has(p.job_id)) {
    const next = { CourierAcknowledged: "acknowledged", PickedUp: "picked_up", Delivered: "delivered", DeliveryFailed: "failed", CourierDeclined: "declined" }[e.type];
    if (next) S.jobs.get(p.job_id).state = next;
  }
  // my rota changed (an absence, a cover, a swap asked by me or of me, or decided): My shifts read again
  if (["AbsenceRecorded", "CoverAssigned", "NoCoverPicked", "ShiftSwapRequested", "ShiftSwapDecided"].includes(e.type) && R.first) loadRota();
  if (e.type === "ShiftStarted") S.shift = { on_shift: true, paused: false };
  if (e.type === "ShiftPaused") S.shift.paused = true;
  if (e.type === "ShiftResumed") S.shift.paused = false;
  if (e.type === "ShiftEnded") { S.shift = { on_shift: false, paused: false }; $("#share").checked = false; stopSharing(); }
  if (isShiftEvent(e.type) && p.courier_id === S.me.id) {
    S.live.shiftEvent(e);
    const since = S.live.since.get(S.me.id);
    if (since) localStorage.setItem(KEY.since, since); else localStorage.removeItem(KEY.since);
  }
  // my hours follow my shift's acts and the overtime dispatch decides for me (a burst read once);
  // the socket brings a courier only their own OvertimeDecided
  if ((isShiftEvent(e.type) || e.type === "OvertimeDecided") && p.courier_id === S.me.id) {
    clearTimeout(onEvent.hours);
    onEvent.hours = setTimeout(() => loadHours(), 1000);
  }
  if (["Delivered", "DeliveryFailed", "CourierAcknowledged", "ShiftStarted", "ShiftPaused", "ShiftResumed", "ShiftEnded"].includes(e.type)) refreshLedger();
  render();
}

// ------------------------------------------------------------------ drawing

function pendingFor(jobId) { return S.outbox.filter((item) => item.data.job_id === jobId); }

// A stop's ETA: the latest plan's (my route, computed for me and my vehicle), else the job's own.
// A job given by a dispatcher has none until the next planning round: the route is asked again.
function etaOf(job, kind) {
  const stop = S.route.find((s) => s.job_id === job.id && s.kind === kind);
  return stop?.eta || job[`${kind}_eta`] || null;
}
function etaText(job, kind) {
  const eta = etaOf(job, kind);
  return eta ? `~${hhmm(eta)}` : `<span class="eta-pending">${t("eta_pending")}</span>`;
}

function givenIds() { return new Set(JSON.parse(localStorage.getItem(KEY.given) || "[]")); }
function markGiven(id) {
  const ids = givenIds();
  ids.add(id);
  localStorage.setItem(KEY.given, JSON.stringify([...ids].filter((j) => j === id || S.jobs.has(j))));
}
function withoutForeignEtas(job) { return givenIds().has(job.id) ? { ...job, pickup_eta: null, dropoff_eta: null } : job; }

let routeTimer = null;
let routeTries = 0;
async function refreshRoute() {
  clearTimeout(routeTimer);
  routeTimer = null;
  try {
    const mine = await S.api.get("/v1/courier/jobs");
    S.route = mine.route;
    S.breaks = mine.breaks || [];
    for (const job of mine.jobs) {
      const known = S.jobs.get(job.id);
      const mineNow = withoutForeignEtas(job);
      if (known) Object.assign(known, { pickup_eta: mineNow.pickup_eta, dropoff_eta: mineNow.dropoff_eta });
    }
  } catch { /* offline: asked again below */ }
  render();
}
// Jobs in hand without an ETA: ask for the route again a few seconds later (a round is running).
function wantEtas() {
  const missing = [...S.jobs.values()].some((j) => IN_HAND.has(j.state) && !etaOf(j, "dropoff"));
  if (!missing || routeTimer || routeTries >= 30) return;
  routeTries += 1;
  routeTimer = setTimeout(refreshRoute, 2000);
}

function jobCard(job) {
  const pending = pendingFor(job.id);
  const state = pending.length ? AFTER[pending[pending.length - 1].type] : job.state;
  const label = pending.length ? t("state_local", { s: t(`state_${state}`) }) : t(`state_${state}`);
  const parcels = job.parcels.map((p) => {
    const flags = [
      p.weight_kg >= S.heavy ? `<span class="flag heavy">${t("heavy")} ${p.weight_kg} kg</span>` : `<span class="flag">${p.weight_kg} kg</span>`,
      p.volume_l ? `<span class="flag">${p.volume_l} L</span>` : "",
      p.bulky ? `<span class="flag bulky">${t("bulky")}</span>` : "",
      p.longest_side_cm >= 100 ? `<span class="flag long">${t("long")} ${p.longest_side_cm} cm</span>` : "",
    ];
    return `<div>${flags.join("")}</div>`;
  }).join("");
  let acts = "";
  if (state === "assigned") {
    acts = `<button class="big primary" data-act="acknowledge">${t("acknowledge")}</button><button class="big" data-act="decline">${t("decline")}</button>`;
  } else if (state === "acknowledged") {
    acts = `<button class="big primary" data-act="picked_up">${t("picked_up")}</button><button class="big" data-act="weight">${esc(say("heavier"))}</button><button class="big" data-act="failed">${t("could_not")}</button>`;
  } else if (state === "picked_up") {
    acts = `<button class="big primary" data-act="delivered">${t("delivered")}</button><button class="big" data-act="failed">${t("could_not")}</button>`;
  }
  return `<li class="job" tabindex="-1" data-job-id="${job.id}" data-state="${state}" data-pending="${pending.length}" aria-label="${esc(`${placeOf(job.pickup)} → ${placeOf(job.dropoff)}`)}">
    <div class="state">${label}</div>
    <div><span class="note">${t("pickup")} ${etaText(job, "pickup")} · ${t("window", { a: hhmm(job.pickup_window.start), b: hhmm(job.pickup_window.end) })}</span>
      <div class="place">${esc(job.pickup.address || `${job.pickup.lat.toFixed(4)}, ${job.pickup.lon.toFixed(4)}`)}</div></div>
    <div><span class="note">${t("dropoff")} ${etaText(job, "dropoff")} · ${t("window", { a: hhmm(job.dropoff_window.start), b: hhmm(job.dropoff_window.end) })}</span>
      <div class="place">${esc(job.dropoff.address || `${job.dropoff.lat.toFixed(4)}, ${job.dropoff.lon.toFixed(4)}`)}</div></div>
    <div class="note">${t("parcels")}: ${parcels}</div>
    ${IN_HAND.has(state) ? mapsLink(state === "picked_up" ? job.dropoff : job.pickup, state === "picked_up" ? "dropoff" : "pickup") : ""}
    ${job.notes ? `<div class="note">${esc(job.notes)}</div>` : ""}
    <div class="acts">${acts}</div>
  </li>`;
}

// The next stop in the phone's own maps app: a geo: URI (RFC 5870) with the address as its label.
function mapsLink(place, kind) {
  const at = `${place.lat.toFixed(6)},${place.lon.toFixed(6)}`;
  const name = encodeURIComponent(placeOf(place)).replace(/[()]/g, "");
  return `<a class="maps" href="geo:${at}?q=${at}(${name})">${t("open_in_maps", { kind: t(kind).toLowerCase() })}</a>`;
}

function visibleJobs() {
  // In the order of my route when the planner has one; jobs it does not know yet come last.
  const order = new Map();
  S.route.forEach((stop, i) => { if (!order.has(stop.job_id)) order.set(stop.job_id, i); });
  return [...S.jobs.values()]
    .filter((j) => !["declined", "delivered", "failed"].includes(j.state) || pendingFor(j.id).length)
    .sort((a, b) => (order.get(a.id) ?? 1e9) - (order.get(b.id) ?? 1e9));
}

// My route: the latest plan's stops of the jobs I hold, without the pickups already done, then
// the stops the plan does not know yet (a job just given, a plan made before it), so that no job
// in hand is ever missing from it.
function stateOf(job) {
  const pending = pendingFor(job.id);
  return pending.length ? AFTER[pending[pending.length - 1].type] : job.state;
}
function renderRoute() {
  const held = (id) => S.jobs.has(id) && IN_HAND.has(stateOf(S.jobs.get(id)));
  const done = (stop) => stop.kind === "pickup" && stateOf(S.jobs.get(stop.job_id)) === "picked_up";
  const stops = S.route.filter((s) => held(s.job_id) && !done(s));
  const listed = new Set(stops.map((s) => `${s.job_id}:${s.kind}`));
  for (const job of S.jobs.values()) {
    if (!IN_HAND.has(stateOf(job))) continue;
    for (const kind of stateOf(job) === "picked_up" ? ["dropoff"] : ["pickup", "dropoff"]) {
      if (!listed.has(`${job.id}:${kind}`)) stops.push({ job_id: job.id, kind, eta: null });
    }
  }
  $("#route-section").hidden = !stops.length;
  $("#route").innerHTML = withBreaks(stops).map((s) => {
    if (s.kind === "break") return `<li class="break" data-kind="break">${esc(say("route_break", { m: s.minutes, t: hhmm(s.start) }))}</li>`;
    const place = placeOf(S.jobs.get(s.job_id)[s.kind]);
    return `<li data-job-id="${s.job_id}" data-kind="${s.kind}">${esc(s.eta ? t("route_stop", { kind: t(s.kind), t: hhmm(s.eta), place }) : t("route_stop_pending", { kind: t(s.kind), place }))}</li>`;
  }).join("");
}

// The breaks the latest plan has me take, each at its place among the stops: before the first
// planned stop it comes before (the plan's ETAs already include it); stops without an ETA last.
function withBreaks(stops) {
  const ahead = S.breaks.filter((b) => new Date(b.end).getTime() > Date.now());
  const out = [];
  for (const stop of stops) {
    while (ahead.length && stop.eta && new Date(ahead[0].start) <= new Date(stop.eta)) out.push({ kind: "break", ...ahead.shift() });
    out.push(stop);
  }
  const firstPending = out.findIndex((s) => s.kind !== "break" && !s.eta);
  out.splice(firstPending < 0 ? out.length : firstPending, 0, ...ahead.map((b) => ({ kind: "break", ...b })));
  return out;
}

function activeJob() {
  return visibleJobs().find((j) => ["acknowledged", "picked_up"].includes(j.state));
}

function render() {
  renderRoute();
  $("#position-note").textContent = t("position_note", { h: S.retentionHours });
  const jobs = visibleJobs();
  renderJobs(jobs);
  wantEtas();
  const { on_shift: on, paused } = S.shift;
  const shiftFocused = $(".shift").contains(document.activeElement);
  $("#shift-start").hidden = on;
  $("#shift-pause").hidden = !on || paused;
  $("#shift-resume").hidden = !on || !paused;
  $("#shift-end").hidden = !on;
  // the button pressed gave way to another (Pause -> Resume): the focus goes to the new one
  if (shiftFocused && (document.activeElement.hidden || !$(".shift").contains(document.activeElement))) {
    $(".shift button:not([hidden])")?.focus();
  }
  $("#outbox").textContent = S.outbox.length ? t("waiting_to_send", { n: S.outbox.length }) : "";
  const active = activeJob();
  $("#share").disabled = !active || !on;
  $("#share-note").textContent = !on ? t("position_needs_shift") : active ? "" : t("position_needs_job");
  if ((!active || !on) && $("#share").checked) { $("#share").checked = false; stopSharing(); }
  if (S.ledger) renderLedger(S.ledger);
  showLeg(active || jobs[0]);
}

// The cards are drawn again on every change; the focus stays on the card it was on (or the one
// just acted on), on the same button if it is still there, else the card's first; a card that
// left the list (delivered, declined) hands the focus to the next one.
function renderJobs(jobs) {
  const list = $("#jobs");
  const focused = document.activeElement;
  const was = list.contains(focused) ? { id: focused.closest(".job")?.dataset.jobId, act: focused.dataset?.act } : null;
  const target = S.focusJob || was?.id;
  const before = [...list.querySelectorAll(".job")].map((el) => el.dataset.jobId);
  list.innerHTML = jobs.length ? jobs.map(jobCard).join("") : `<li class="note">${t("no_jobs")}</li>`;
  if (!target || document.querySelector("dialog[open]")) return;
  const acted = Boolean(S.focusJob);  // after an act the card is brought into view; else it stays put
  S.focusJob = null;
  let card = list.querySelector(`.job[data-job-id="${target}"]`);
  if (!card) {
    const i = before.indexOf(target);
    const next = [...before.slice(i + 1), ...before.slice(0, Math.max(0, i)).reverse()].find((id) => list.querySelector(`.job[data-job-id="${id}"]`));
    card = next ? list.querySelector(`.job[data-job-id="${next}"]`) : null;
  }
  const button = card && (card.querySelector(`button[data-act="${was?.act}"]`) || card.querySelector(".acts button"));
  (button || card || $("#jobs-title")).focus({ preventScroll: !acted });
}

// The next leg on a map of the streets, the whole path in the frame, and the next stop in the
// phone's own maps app (a geo: URI) just under it.
let legShown = null;
async function showLeg(job) {
  $("#leg-maps").innerHTML = job ? legLink(job) : "";
  if (!job || job.id === legShown || !S.socket?.live) { $("#leg").hidden = !job; return; }
  legShown = job.id;
  $("#leg").hidden = false;
  try {
    const path = await S.api.get(`/v1/courier/jobs/${job.id}/path`);
    const points = [...path.geometry.coordinates, [job.pickup.lon, job.pickup.lat], [job.dropoff.lon, job.dropoff.lat]];
    const lons = points.map((c) => c[0]), lats = points.map((c) => c[1]);
    const bounds = [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
    if (!S.map) {
      S.map = new JobMap($("#map"), { tileUrl: "", bounds, onSelect: () => {} });
      window.__tandem.legMap = S.map;  // the browser tests check the path lies in the frame
      S.api.get("/v1/city/streets").then((g) => S.map.setStreets(g)).catch(() => {});
    }
    S.map.setPath(path);
    S.map.setJobs([{ id: job.id, request: { pickup: job.pickup, dropoff: job.dropoff } }], job.id);
    // the frame may have just been shown (hidden while no job was in hand): the map takes its
    // size first, or the path is fitted into the old one and runs off the frame
    S.map.map.resize();
    S.map.map.fitBounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]], { padding: 30, duration: 0 });
  } catch (e) {
    $("#map-note").textContent = e instanceof ApiError ? e.message : t("map_unavailable");
    $("#map-note").hidden = false;
  }
}
// Where the leg goes now: the pickup until the parcel is on board, then the drop-off.
function legLink(job) {
  const kind = job.state === "picked_up" ? "dropoff" : "pickup";
  return mapsLink(job[kind], kind);
}

function minutes(m) { return m >= 120 ? `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")}` : `${m} min`; }

// Our day as of this minute: a running shift counts (../js/ledger.js). The phone knows when its
// own shift began; another courier's running shift shows its closed minutes with a "+" unless
// the server says when it began.
function renderLedger(ledger) {
  const now = Math.floor(Date.now() / 60e3) * 60e3;
  const html = ledger.couriers.map((row) => {
    const courier = S.couriers.find((c) => c.id === row.courier_id);
    const f = S.live.figures(row, courier, now);
    const shift = f.known ? minutes(Math.floor(f.shift)) : f.shift >= 1 ? `${minutes(Math.floor(f.shift))}+` : t("on_shift");
    const planned = f.planned ? ` <span class="note">${t("of_planned", { m: minutes(Math.round(f.planned)) })}</span>` : "";
    return `<tr data-courier-id="${row.courier_id}"><td>${esc(nameOf(courier))}</td>
      <td class="worked">${minutes(Math.floor(f.worked))}</td><td class="shift" data-known="${f.known}"${f.known ? "" : ` title="${t("shift_since_unknown")}"`}>${shift}${planned}</td><td>${row.heavy_kg.toFixed(0)}</td></tr>`;
  }).join("");
  if (renderLedger.last !== html) { $("#ledger tbody").innerHTML = html; renderLedger.last = html; }
}

async function refreshLedger() {
  try {
    const [couriers, ledger] = await Promise.all([S.api.get("/v1/couriers"), S.api.get("/v1/ledger")]);
    S.couriers = couriers.couriers;
    S.heavy = ledger.heavy_threshold_kg;
    S.ledger = ledger;
    S.live.read();
    renderLedger(ledger);
  } catch { /* offline: the table stays as it was */ }
}

async function refresh() {
  const mine = await S.api.get("/v1/courier/jobs");
  S.jobs = new Map(mine.jobs.map((j) => [j.id, withoutForeignEtas(j)]));
  S.shift = mine.shift;
  // when my running shift began, as this phone saw it (unknown if it began elsewhere)
  const since = localStorage.getItem(KEY.since);
  if (!mine.shift.on_shift || mine.shift.paused) S.live.since.set(S.me.id, null);
  else if (since) S.live.since.set(S.me.id, since);
  else S.live.since.delete(S.me.id);
  S.route = mine.route;
  S.breaks = mine.breaks || [];
  S.retentionHours = mine.position_retention_hours;
  render();
  return mine.last_seq;
}

// ------------------------------------------------------------------ reasons, position, data

function askReason(kind, jobId) {
  const reasons = kind === "decline" ? DECLINE_REASONS : FAIL_REASONS;
  $("#reason-title").textContent = kind === "decline" ? t("decline_title") : t("fail_title");
  $("#reason-choices").innerHTML = reasons.map((r, i) =>
    `<label><input type="radio" name="reason" value="${esc(t(r))}" ${i === 0 ? "checked" : ""}> ${esc(t(r))}</label>`).join("");
  $("#reason-other").value = "";
  S.reasonFor = { kind, jobId };
  $("#reason-dialog").showModal();
}

function sendReason(e) {
  e.preventDefault();
  const other = $("#reason-other").value.trim();
  const picked = document.querySelector("#reason-choices input:checked")?.value;
  const reason = other || picked;
  if (!reason) return;
  const { kind, jobId } = S.reasonFor;
  $("#reason-dialog").close();
  act(kind === "decline" ? "decline" : "failed", { job_id: jobId, reason });
}

// ------------------------------------------------------------------ heavier than declared

// At pickup the parcels weigh more than the client said: the courier reports what they found.
// Said over HTTP (the answer says whether the job stays mine), so it needs a connection.
function askWeight(jobId) {
  const job = S.jobs.get(jobId);
  const declared = job.parcels.reduce((sum, p) => sum + Number(p.weight_kg), 0);
  S.weightFor = jobId;
  $("#weight-title").textContent = say("weight_title");
  $("#weight-declared").textContent = say("weight_declared", { kg: kg(declared) });
  $("#weight-label").textContent = say("weight_label");
  $("#weight-size").textContent = say("weight_size");
  $("#volume-label").textContent = say("volume_label");
  $("#longest-label").textContent = say("longest_label");
  $("#volume-l").value = "";
  $("#longest-cm").value = "";
  $("#weight-send").textContent = say("weight_send");
  $("#weight-kg").value = "";
  $("#weight-error").textContent = "";
  $("#weight-dialog").showModal();
  $("#weight-kg").focus();
}

async function sendWeight(e) {
  e.preventDefault();
  // each field: empty (not found), or a number within its bounds
  const read = (sel, top) => {
    const text = String($(sel).value).trim().replace(",", ".");
    if (!text) return null;
    const n = Number(text);
    return n > 0 && n <= top ? n : NaN;
  };
  const found = { weight_kg: read("#weight-kg", 1000), volume_l: read("#volume-l", 10000), longest_side_cm: read("#longest-cm", 1000) };
  const given = Object.fromEntries(Object.entries(found).filter(([, v]) => v !== null));
  if (!Object.keys(given).length || Object.values(given).some(Number.isNaN)) { $("#weight-error").textContent = say("weight_invalid"); return; }
  if (!S.socket?.live) { $("#weight-error").textContent = say("weight_offline"); return; }
  const jobId = S.weightFor;
  try {
    const done = await S.api.post(`/v1/courier/jobs/${jobId}/weight`, given);
    const sized = given.weight_kg == null;
    $("#weight-dialog").close();
    S.focusJob = jobId;
    if (done.back_to_dispatch) {
      const job = S.jobs.get(jobId);
      if (job) job.state = "declined";
      toast(sized ? say("size_back") : say("weight_back", { kg: kg(done.weight_kg) }));
    } else {
      toast(sized ? say("size_kept") : say("weight_kept", { kg: kg(done.weight_kg), declared: kg(done.declared_weight_kg) }));
    }
    await refresh();
  } catch (err) {
    $("#weight-error").textContent = say("weight_refused", { why: err.message });
  }
}

// ------------------------------------------------------------------ proof of delivery

const PHOTO_MAX_PX = 1600;
const proof = { jobId: null, photo: null, signed: false, reading: null };

function askProof(jobId) {
  const needs = S.jobs.get(jobId).proof_needs;
  Object.assign(proof, { jobId, photo: null, signed: false, reading: null });
  for (const kind of ["photo", "signature", "name", "code"]) $(`#proof-${kind}-field`).hidden = !needs.includes(kind);
  $("#proof-needs").textContent = t("proof_asks", { what: needs.map((k) => t(`proof_kind_${k}`)).join(", ") });
  $("#proof-photo").value = ""; $("#proof-photo-preview").hidden = true;
  $("#proof-name").value = ""; $("#proof-code").value = ""; $("#proof-error").textContent = "";
  clearSignature();
  $("#proof-dialog").showModal();
}

// The photo is made smaller on the phone (at most 1600 px, JPEG) before it is queued or sent: a
// few hundred kB instead of several MB, and the canvas keeps none of the camera's metadata.
async function readPhoto(file) {
  proof.photo = null;
  if (!file) return;
  $("#proof-error").textContent = t("proof_reading");
  proof.reading = (async () => {
    try {
      const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
      const scale = Math.min(1, PHOTO_MAX_PX / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale); canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      proof.photo = canvas.toDataURL("image/jpeg", 0.85);
      $("#proof-photo-preview").src = proof.photo; $("#proof-photo-preview").hidden = false;
      $("#proof-error").textContent = "";
    } catch {
      $("#proof-error").textContent = t("proof_unreadable");
    }
  })();
  await proof.reading;
}

function signaturePad(canvas) {
  const ctx = canvas.getContext("2d");
  let last = null;
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * (canvas.width / r.width), (e.clientY - r.top) * (canvas.height / r.height)];
  };
  canvas.addEventListener("pointerdown", (e) => { canvas.setPointerCapture(e.pointerId); last = at(e); });
  canvas.addEventListener("pointermove", (e) => {
    if (!last) return;
    const next = at(e);
    ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.strokeStyle = "#102a43";
    ctx.beginPath(); ctx.moveTo(...last); ctx.lineTo(...next); ctx.stroke();
    last = next; proof.signed = true;
  });
  for (const end of ["pointerup", "pointercancel", "pointerleave"]) canvas.addEventListener(end, () => { last = null; });
}

function clearSignature() {
  const canvas = $("#proof-signature");
  canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
  proof.signed = false;
}

async function sendProof(e) {
  e.preventDefault();
  if (proof.reading) await proof.reading;
  const needs = S.jobs.get(proof.jobId).proof_needs;
  const name = $("#proof-name").value.trim();
  const code = $("#proof-code").value.trim();
  const given = { photo: Boolean(proof.photo), signature: proof.signed, name: Boolean(name), code: Boolean(code) };
  const missing = needs.filter((k) => !given[k]);
  if (missing.length) { $("#proof-error").textContent = t("proof_missing", { what: missing.map((k) => t(`proof_kind_${k}`)).join(", ") }); return; }
  const files = {};
  if (needs.includes("photo")) files.photo = proof.photo;
  if (needs.includes("signature")) files.signature = $("#proof-signature").toDataURL("image/png");
  const data = { job_id: proof.jobId };
  if (needs.includes("name")) data.recipient_name = name;
  if (needs.includes("code")) data.code = code;
  $("#proof-dialog").close();
  act("delivered", data, Object.keys(files).length ? files : null);
}

// Ending a shift with jobs in hand: said first (they stay mine until delivered or taken back).
function endShift() {
  const inHand = visibleJobs().filter((j) => IN_HAND.has(pendingFor(j.id).length ? AFTER[pendingFor(j.id).at(-1).type] : j.state));
  if (!inHand.length) { act("shift_end"); return; }
  $("#end-text").textContent = t("end_with_jobs", { n: inHand.length });
  $("#end-jobs").innerHTML = inHand.map((j) => `<li>${esc(placeOf(j.pickup))} → ${esc(placeOf(j.dropoff))} (${t(`state_${j.state}`)})</li>`).join("");
  $("#end-dialog").showModal();
  $("#end-cancel").focus();
}

function stopSharing() {
  if (S.watch != null) navigator.geolocation.clearWatch(S.watch);
  S.watch = null;
  window.__tandem.sharing = false;
}

function startSharing() {
  if (!navigator.geolocation) return;
  window.__tandem.sharing = true;
  S.watch = navigator.geolocation.watchPosition((pos) => {
    const job = activeJob();
    if (!job || !$("#share").checked) { stopSharing(); return; }
    if (Date.now() - S.lastPosition < 30000) return;
    S.lastPosition = Date.now();
    // Positions are not queued: an old position is of no use to anyone.
    S.socket?.send({ type: "position", id: newId(), data: { job_id: job.id, lon: pos.coords.longitude, lat: pos.coords.latitude } });
  }, () => { $("#share").checked = false; stopSharing(); }, { enableHighAccuracy: false, maximumAge: 15000 });
}

async function exportData() {
  const data = await S.api.get("/v1/courier/me/export");
  saveBlob(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }), "tandem-my-data.json");
  $("#my-days").innerHTML = data.ledger.map((d) => `<li>${esc(d.day)}: ${d.worked_minutes.toFixed(0)} min, ${d.heavy_kg.toFixed(0)} kg</li>`).join("");
}

// ------------------------------------------------------------------ my week: availability

// The courier's own availability (issue 23): edited here, sent whole on Save (PUT replaces the
// previous declaration) with the seq it was read at (expected_seq), and confirmed with what the
// server kept. Declared again meanwhile (by a dispatcher on the week page, or on another phone),
// the Save is a 409 naming who, nothing is written, and the page reads what stands now and
// makes the courier's unsaved changes again on it, to check and save. It needs a connection: it
// is not an act of the day, so it is not queued.
function sayPage() {
  for (const node of document.querySelectorAll("[data-say]")) node.textContent = say(node.dataset.say);
  const weekday = document.querySelector("#avail-add select[name=weekday]");
  const chosen = weekday.value;
  weekday.replaceChildren(...[0, 1, 2, 3, 4, 5, 6].map((d) => {
    const option = document.createElement("option");
    option.value = String(d); option.textContent = weekdayName(d);
    return option;
  }));
  weekday.value = chosen || "0";
}
function weekdayName(d) {  // 0 = Monday; 2024-01-01 was a Monday
  return new Date(Date.UTC(2024, 0, 1 + d)).toLocaleDateString(language(), { weekday: "long", timeZone: "UTC" });
}
function dayText(iso) {
  return new Date(`${iso}T12:00:00Z`).toLocaleDateString(language(), { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" });
}
const availUrl = () => `/v1/couriers/${encodeURIComponent(S.me.id)}/availability`;
const copied = (value) => JSON.parse(JSON.stringify(value));
// What was read: the entries (what the courier edits), and S.availRead, the seq to send back
// with the entries as they stood (to tell the courier's unsaved changes from what they read).
function readAs(answer) {
  S.avail = { weekly: answer.weekly, exceptions: answer.exceptions, holidays: answer.holidays };
  S.availRead = { seq: answer.seq, base: copied(S.avail) };
  S.contract = answer.contract;
}
async function loadAvailability() {
  readAs(await S.api.get(availUrl()));
  renderAvailability();
}
// The courier's unsaved changes (entries added, entries removed since ``base`` was read) made
// again on ``now``: what someone else declared meanwhile stays, and a day the courier changed
// keeps the courier's exception (one exception a day).
function rebased(mine, base, now) {
  const out = copied(now);
  const key = (x) => JSON.stringify(x);
  for (const kind of ["weekly", "exceptions", "holidays"]) {
    const was = new Set(base[kind].map(key)), kept = new Set(mine[kind].map(key));
    out[kind] = out[kind].filter((x) => !was.has(key(x)) || kept.has(key(x)));
    for (const x of mine[kind]) {
      if (was.has(key(x)) || out[kind].some((y) => key(y) === key(x))) continue;
      if (kind === "exceptions") out[kind] = out[kind].filter((y) => y.day !== x.day);
      out[kind].push(copied(x));
    }
  }
  out.exceptions.sort((x, y) => x.day.localeCompare(y.day));
  return out;
}
function availItem(text, kind, index) {
  return `<li><span>${esc(text)}</span><button type="button" data-remove="${kind}" data-index="${index}">${esc(say("remove"))}</button></li>`;
}
function renderAvailability() {
  if (!S.avail) return;
  const a = S.avail;
  $("#avail-contract").textContent = S.contract ? say("contract", { min: S.contract.min_h, max: S.contract.max_h }) : "";
  a.weekly.sort((x, y) => x.weekday - y.weekday || x.start.localeCompare(y.start));
  $("#avail-weekly").innerHTML = a.weekly.length
    ? a.weekly.map((w, i) => availItem(`${weekdayName(w.weekday)} ${w.start}–${w.end}`, "weekly", i)).join("")
    : `<li class="note">${esc(say("no_windows"))}</li>`;
  const off = [
    ...a.exceptions.map((x, i) => availItem(x.windows.length
      ? say("only_hours", { day: dayText(x.day), hours: x.windows.map((w) => `${w.start}–${w.end}`).join(", ") })
      : say("off_day", { day: dayText(x.day) }), "exceptions", i)),
    ...a.holidays.map((h, i) => availItem(say("holiday", { first: dayText(h.first_day), last: dayText(h.last_day) }), "holidays", i)),
  ];
  $("#avail-off").innerHTML = off.length ? off.join("") : `<li class="note">${esc(say("no_exceptions"))}</li>`;
}
function availChanged() {
  $("#avail-error").textContent = "";
  $("#avail-status").textContent = say("unsaved");
  $("#avail-status").dataset.state = "unsaved";
  renderAvailability();
}
function addWindow(e) {
  e.preventDefault();
  const f = e.target;
  if (!(f.start.value < f.end.value)) { $("#avail-error").textContent = say("window_order"); return; }
  S.avail.weekly.push({ weekday: Number(f.weekday.value), start: f.start.value, end: f.end.value });
  availChanged();
}
function addException(e) {
  e.preventDefault();
  const f = e.target;
  if (!f.first.value) { $("#avail-error").textContent = say("need_day"); return; }
  if (f.kind.value === "holiday") {
    S.avail.holidays.push({ first_day: f.first.value, last_day: f.last.value || f.first.value });
  } else {
    if (!(f.start.value < f.end.value)) { $("#avail-error").textContent = say("window_order"); return; }
    const window = { start: f.start.value, end: f.end.value };
    const same = S.avail.exceptions.find((x) => x.day === f.first.value);
    if (same) same.windows.push(window); else S.avail.exceptions.push({ day: f.first.value, windows: [window] });
    S.avail.exceptions.sort((x, y) => x.day.localeCompare(y.day));
  }
  availChanged();
}
async function saveAvailability() {
  $("#avail-error").textContent = "";
  try {
    const kept = await S.api.request("PUT", availUrl(), { ...S.avail, expected_seq: S.availRead?.seq });
    readAs(kept);
    renderAvailability();
    const now = hhmm(new Date().toISOString());
    $("#avail-status").textContent = say("saved", { t: now, w: kept.weekly.length, e: kept.exceptions.length, h: kept.holidays.length });
    $("#avail-status").dataset.state = "saved";
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) { await availChangedMeanwhile(err); return; }
    $("#avail-error").textContent = say("not_saved", { why: err.message });
  }
}
async function availChangedMeanwhile(err) {
  try {
    const mine = S.avail, base = S.availRead.base;
    readAs(await S.api.get(availUrl()));
    S.avail = rebased(mine, base, S.avail);
    availChanged();  // unsaved: what now stands with the courier's changes on it
    $("#avail-error").textContent = say("changed_meanwhile", { why: err.message });
  } catch {
    $("#avail-error").textContent = say("not_saved", { why: err.message });
  }
}

// ------------------------------------------------------------------ my hours: my time sheet

// The courier's own time sheet (issue 23 item 5): a week's days and totals, the month's totals,
// the sheet as CSV or a spreadsheet, and their own rolling 7 and 28 days of the fairness ledger.
// The server answers a courier with their rows only; the page keeps only its reader's rows as
// well (the rolling ledger is everyone's, the same for all: a courier's phone shows their own),
// never in any order of a figure. Files are fetched with the token and saved from a Blob: a bare
// link would carry no credential.
const H = { week: null, sheet: null, month: null, monthSheet: null, rolling: {}, asked: 0 };
const SHEET_KEYS = [["worked", "worked_minutes"], ["breaks", "break_minutes"], ["planned", "planned_minutes"], ["overtime", "overtime_minutes"], ["cover", "cover_minutes"]];

function hm(value) {  // payroll's hours and minutes; nothing is a dash
  const m = Math.round(Number(value) || 0);
  return m ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, "0")}` : "–";
}
function plusDays(iso, n) {
  const d = new Date(`${iso}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}
// The month shown beside a week is the one holding most of its days: its Thursday's.
function monthOf(monday) { return plusDays(monday, 3).slice(0, 7); }
function monthName(ym) {
  return new Date(`${ym}-15T12:00:00Z`).toLocaleDateString(language(), { month: "long", year: "numeric", timeZone: "UTC" });
}
function myTotal(sheet) { return sheet?.totals.find((row) => row.courier_id === S.me.id) || {}; }

async function loadHours(week = H.week) {
  const asked = ++H.asked;  // a later week asked meanwhile wins over this one
  try {
    const sheet = await S.api.get(`/v1/week/timesheet${week ? `?week=${week}` : ""}`);
    const month = monthOf(sheet.first_day);
    const [monthSheet, r7, r28] = await Promise.all([
      S.api.get(`/v1/timesheet/month?month=${month}`), S.api.get("/v1/ledger/rolling?days=7"), S.api.get("/v1/ledger/rolling?days=28"),
    ]);
    if (asked !== H.asked) return;
    Object.assign(H, { week: sheet.first_day, sheet, month, monthSheet, rolling: { 7: r7, 28: r28 } });
    $("#hours-error").textContent = "";
    renderHours();
  } catch (err) {
    if (asked === H.asked) $("#hours-error").textContent = say("hours_unavailable", { why: err.message });
  }
}

function renderHours() {
  for (const button of document.querySelectorAll("#hours [data-download]")) {
    const form = say(`form_${button.dataset.form}`);
    button.textContent = button.dataset.download === "week" ? say("dl_week", { form }) : say("dl_month", { form, month: H.month ? monthName(H.month) : "" });
  }
  if (H.saved) $("#hours-status").textContent = say("downloaded", { file: H.saved });
  if (!H.sheet) return;
  const mine = new Map(H.sheet.days.filter((d) => d.courier_id === S.me.id).map((d) => [d.day, d]));
  $("#hours-week").textContent = say("week_of", { first: dayText(H.sheet.first_day), last: dayText(H.sheet.last_day) });
  const cells = (row) => SHEET_KEYS.map(([k, field]) => `<td data-k="${k}">${hm(row[field])}</td>`).join("");
  $("#hours-days tbody").innerHTML = [0, 1, 2, 3, 4, 5, 6].map((i) => {
    const day = plusDays(H.week, i);
    const row = mine.get(day) || {};
    const open = row.open ? `<span class="open">${esc(say("open"))}</span>` : "";
    const name = new Date(`${day}T12:00:00Z`).toLocaleDateString(language(), { weekday: "short", day: "numeric", timeZone: "UTC" });
    return `<tr data-day="${day}" data-open="${Boolean(row.open)}"><th scope="row">${esc(name)}${open}</th>${cells(row)}</tr>`;
  }).join("");
  $("#hours-days tfoot").innerHTML = `<tr><th scope="row">${esc(say("total"))}</th>${cells(myTotal(H.sheet))}</tr>`;
  const month = myTotal(H.monthSheet);
  $("#hours-month").textContent = say("month_total", {
    month: monthName(H.month), ...Object.fromEntries(SHEET_KEYS.map(([k, field]) => [k, hm(month[field]).replace("–", "0:00")])),
  });
  $("#hours-month").dataset.month = H.month;
  const own = (span) => H.rolling[span]?.couriers.find((row) => row.courier_id === S.me.id) || {};
  const figures = [["r_shift", (r) => hm(r.shift_minutes)], ["r_worked", (r) => hm(r.worked_minutes)], ["r_days", (r) => String(r.days_on_shift ?? 0)], ["r_heavy", (r) => String(r.heavy_jobs ?? 0)]];
  $("#hours-rolling tbody").innerHTML = figures.map(([key, show]) =>
    `<tr data-k="${key}"><th scope="row">${esc(say(key))}</th><td>${show(own(7))}</td><td>${show(own(28))}</td></tr>`).join("");
}

async function downloadSheet(button) {
  const { download: span, form } = button.dataset;
  const path = span === "week" ? `/v1/week/timesheet.${form}?week=${H.week}` : `/v1/timesheet/month.${form}?month=${H.month}`;
  const file = `timesheet-${span === "week" ? H.week : H.month}.${form}`;
  $("#hours-error").textContent = "";
  try {
    saveBlob(await S.api.blob(path), file);
    H.saved = file;
    $("#hours-status").textContent = say("downloaded", { file });
  } catch (err) {
    H.saved = null;
    $("#hours-status").textContent = "";
    $("#hours-error").textContent = say("not_downloaded", { why: err.message });
  }
}

// ------------------------------------------------------------------ my shifts: the published rota

// The courier's own shifts in the published rota (issue 23 item 3), two weeks at a time (this
// week and the coming one the rota is proposed for), each with why it is theirs as the API words
// it in the page's language (asked again when the language changes). A shift still to come may
// be offered to a colleague; a dispatcher confirms or refuses, and the request's state shows
// here. Colleagues are those the page already lists for Our day (/v1/couriers: names only); the
// API decides whether the swap can stand. "Still to come" is read on the phone's clock; the
// server refuses a shift that has begun, in words.
const R = { first: null, current: null, weeks: [], asking: null, asked: 0, said: null };

function shiftText(shift) {
  if (!shift) return say("a_shift");
  const hour = (h) => `${String(h).padStart(2, "0")}:00`;
  return say("shift_when", { day: dayText(shift.day), start: hour(shift.start_h), end: hour(shift.end_h) });
}
function begun(shift) { return new Date(`${shift.day}T${String(shift.start_h).padStart(2, "0")}:00:00`) <= new Date(); }
function colleagueName(id) { return nameOf(S.couriers.find((c) => c.id === id)); }
function whyText(r) { return typeof r === "string" ? r : r.text || r.code; }

async function loadRota(first = R.first) {
  const asked = ++R.asked;  // a later week (or language) asked meanwhile wins over this one
  try {
    let weeks;
    if (!first) {  // the API's default is the coming week: this week is the one before
      const coming = await S.api.get("/v1/week/mine");
      first = plusDays(coming.week, -7);
      R.current = first;
      weeks = [await S.api.get(`/v1/week/mine?week=${first}`), coming];
    } else {
      weeks = await Promise.all([first, plusDays(first, 7)].map((w) => S.api.get(`/v1/week/mine?week=${w}`)));
    }
    if (!S.couriers.length) S.couriers = (await S.api.get("/v1/couriers")).couriers;
    if (asked !== R.asked) return;
    Object.assign(R, { first, weeks });
    $("#rota-error").textContent = "";
    renderRota();
  } catch (err) {
    if (asked === R.asked) $("#rota-error").textContent = say("shifts_unavailable", { why: err.message });
  }
}

function shiftItem(shift, swaps) {
  const pending = swaps.some((w) => w.shift_id === shift.id && w.state === "pending");
  const past = begun(shift);
  const flags = [
    shift.cover_for ? ["cover", "f_cover"] : null,
    (shift.why || []).some((r) => r.code === "rota_cargo") ? ["cargo", "f_cargo"] : null,
    shift.absent ? ["absent", "f_absent"] : null,
    past ? ["past", "f_past"] : null,
    pending ? ["pending", "f_pending"] : null,
  ].filter(Boolean).map(([cls, key]) => ` <span class="flag ${cls}" data-flag="${cls}">${esc(say(key))}</span>`).join("");
  const why = (shift.why || []).map((r) => `<li>${esc(whyText(r))}</li>`).join("");
  let act = "";
  if (R.asking === shift.id) act = swapForm(shift);
  else if (!past && !pending && !shift.absent) act = `<button type="button" class="big" data-rota="ask" data-shift="${esc(shift.id)}">${esc(say("ask_swap"))}</button>`;
  return `<li data-shift="${esc(shift.id)}" tabindex="-1"><span class="when">${esc(shiftText(shift))}</span>${flags}
    <ul class="why" aria-label="${esc(say("why"))}">${why}</ul>${act}</li>`;
}

function swapForm(shift) {
  const others = S.couriers.filter((c) => c.id !== S.me.id && c.active !== false)
    .sort((a, b) => a.display_name.localeCompare(b.display_name, language()));
  if (!others.length) return `<p class="note">${esc(say("no_colleague"))}</p>`;
  const options = others.map((c) => `<option value="${esc(c.id)}">${esc(c.display_name)}</option>`).join("");
  return `<form class="swap-form" data-shift="${esc(shift.id)}">
    <label><span>${esc(say("swap_with"))}</span><select name="with" required>${options}</select></label>
    <label><span>${esc(say("swap_note"))}</span><input name="note" maxlength="300" autocomplete="off"></label>
    <menu><button type="button" class="big" data-rota="cancel">${esc(say("swap_cancel"))}</button>
    <button type="submit" class="big primary">${esc(say("send_swap"))}</button></menu></form>`;
}

function swapItem(swap) {
  const name = colleagueName(swap.with_courier_id);
  const state = swap.state === "refused" && swap.reason ? say("state_refused_why", { why: swap.reason }) : say(`state_${swap.state}`, { name });
  return `<li data-swap="${esc(swap.id)}" data-state="${esc(swap.state)}">${esc(say("swap_line", { shift: shiftText(swap.shift), name }))}: <span class="state">${esc(state)}</span></li>`;
}

// A swap a colleague asked of me: who asks, which shift, and where dispatch is with it (never
// their note to dispatch nor a dispatcher's reason: the API does not send them).
function askedItem(swap) {
  const name = colleagueName(swap.courier_id);
  return `<li data-asked="${esc(swap.id)}" data-state="${esc(swap.state)}">${esc(say("asked_line", { name, shift: shiftText(swap.shift) }))}: <span class="state">${esc(say(`asked_${swap.state}`, { name }))}</span></li>`;
}

function renderRota() {
  if (R.said) $("#rota-status").textContent = say(R.said.key, R.said.vars());
  if (!R.weeks.length) return;
  $("#rota-weeks").textContent = say("rota_weeks", { first: dayText(R.first), last: dayText(plusDays(R.first, 13)) });
  $("#rota-weeks-shown").innerHTML = R.weeks.map((mine) => {
    const which = mine.week === R.current ? say("this_week") : mine.week === plusDays(R.current, 7) ? say("coming_week") : "";
    const head = `${say("week_of", { first: dayText(mine.week), last: dayText(plusDays(mine.week, 6)) })}${which ? ` (${which})` : ""}`;
    const shifts = [...mine.shifts].sort((a, b) => a.day.localeCompare(b.day) || a.start_h - b.start_h);
    const list = shifts.length
      ? `<ul class="my-shifts">${shifts.map((shift) => shiftItem(shift, mine.swaps)).join("")}</ul>`
      : `<p class="note">${esc(say(mine.version ? "no_shift" : "no_rota"))}</p>`;
    const swaps = mine.swaps.length
      ? `<h4>${esc(say("swaps_title"))}</h4><ul class="swaps">${mine.swaps.map(swapItem).join("")}</ul>` : "";
    const asked = (mine.asked_of_me || []).length
      ? `<h4>${esc(say("asked_title"))}</h4><ul class="asked">${mine.asked_of_me.map(askedItem).join("")}</ul>` : "";
    return `<section class="rota-week" data-week="${mine.week}" aria-label="${esc(head)}"><h3>${esc(head)}</h3>${list}${asked}${swaps}</section>`;
  }).join("");
}

// The form opens at once on the colleagues the page has, which are then read again: one
// deactivated or erased since the page loaded its list is taken out of the form (the API refuses
// a swap to them anyway, in words).
function drawSwap(shiftId) {
  renderRota();
  $(`#rota form.swap-form[data-shift="${CSS.escape(shiftId)}"] select`)?.focus();
}
async function openSwap(shiftId) {
  R.asking = shiftId;
  $("#rota-error").textContent = "";
  drawSwap(shiftId);
  const working = (list) => list.filter((c) => c.active !== false).map((c) => c.id).join();
  try {
    const fresh = (await S.api.get("/v1/couriers")).couriers;
    const changed = working(fresh) !== working(S.couriers);
    S.couriers = fresh;
    if (changed && R.asking === shiftId) drawSwap(shiftId);
  } catch { /* the list the page has */ }
}

async function askSwap(form) {
  const shiftId = form.dataset.shift;
  const mine = R.weeks.find((w) => w.shifts.some((s) => s.id === shiftId));
  const shift = mine?.shifts.find((s) => s.id === shiftId);
  if (!shift) return;
  const body = { week: mine.week, shift_id: shiftId, with_courier_id: form.elements.with.value, note: form.elements.note.value.trim() };
  $("#rota-error").textContent = "";
  try {
    await S.api.post("/v1/week/swaps", body);
  } catch (err) {  // the form stays as it was, the focus where it was
    $("#rota-error").textContent = say("swap_not_asked", { why: err.message });
    return;
  }
  const name = colleagueName(body.with_courier_id);
  R.said = { key: "swap_asked", vars: () => ({ shift: shiftText(shift), name }) };
  R.asking = null;
  await loadRota();
  $(`#rota li[data-shift="${CSS.escape(shiftId)}"]`)?.focus();
}

// ------------------------------------------------------------------ start

function setConnection(state) {
  $("#connection").dataset.state = state;
  $("#connection").textContent = t(state);
  if (state === "live") { S.sentNow.clear(); flush(); render(); }
}

async function start(session) {
  S.api = new Api(session.token);
  S.me = { id: session.courier_id, name: session.display_name };
  $("#me").textContent = session.display_name;
  const fromServer = await refresh();
  const stored = Number(localStorage.getItem(KEY.seq) || 0);
  // A phone that was here before resumes from what it last saw; a new one from this read.
  const lastSeq = stored > 0 ? Math.min(stored, fromServer) : fromServer;
  if (!stored) localStorage.setItem(KEY.seq, String(fromServer));
  $("#login").hidden = true;
  $("#app").hidden = false;
  refreshLedger();
  loadAvailability().catch((err) => { $("#avail-error").textContent = err.message; });
  renderHours();
  loadHours();
  loadRota();
  S.socket = new LiveSocket({
    path: "/v1/courier/ws", token: session.token, lastSeq,
    onEvent, onState: setConnection, onMessage: (m) => { if (m.type === "result" || m.type === "error") settle(m); },
  });
  if (!navigator.onLine) S.socket.pause();
  window.__tandem.ready = true;
}

async function login(e) {
  e.preventDefault();
  try {
    const answer = await new Api(null).post("/v1/auth/login", Object.fromEntries(new FormData(e.target).entries()));
    if (answer.role !== "courier") throw new Error(t("login_failed"));
    const session = { token: answer.token, courier_id: answer.id, display_name: answer.display_name };
    localStorage.setItem(KEY.session, JSON.stringify(session));
    localStorage.removeItem(KEY.seq);
    await start(session);
  } catch (err) {
    $("#login-error").textContent = err instanceof ApiError && err.status === 401 ? t("login_failed") : err.message;
  }
}

function wire() {
  $("#login").addEventListener("submit", login);
  $("#shift-start").addEventListener("click", () => act("shift_start"));
  $("#shift-pause").addEventListener("click", () => act("shift_pause"));
  $("#shift-resume").addEventListener("click", () => act("shift_resume"));
  $("#shift-end").addEventListener("click", endShift);
  $("#end-cancel").addEventListener("click", () => $("#end-dialog").close());
  $("#end-form").addEventListener("submit", (e) => { e.preventDefault(); $("#end-dialog").close(); act("shift_end"); });
  $("#jobs").addEventListener("click", (e) => {
    const button = e.target.closest("button[data-act]");
    if (!button) return;
    const jobId = button.closest(".job").dataset.jobId;
    const kind = button.dataset.act;
    if (kind === "decline" || kind === "failed") askReason(kind, jobId);
    else if (kind === "weight") askWeight(jobId);
    else if (kind === "delivered" && S.jobs.get(jobId)?.proof_needs?.length) askProof(jobId);
    else act(kind, { job_id: jobId });
  });
  $("#reason-form").addEventListener("submit", sendReason);
  $("#weight-form").addEventListener("submit", sendWeight);
  $("#weight-cancel").addEventListener("click", () => $("#weight-dialog").close());
  for (const field of ["#weight-kg", "#volume-l", "#longest-cm"]) $(field).addEventListener("input", () => { $("#weight-error").textContent = ""; });
  $("#proof-form").addEventListener("submit", sendProof);
  $("#proof-cancel").addEventListener("click", () => $("#proof-dialog").close());
  $("#proof-photo").addEventListener("change", (e) => readPhoto(e.target.files[0]));
  $("#proof-signature-clear").addEventListener("click", clearSignature);
  signaturePad($("#proof-signature"));
  $("#reason-cancel").addEventListener("click", () => $("#reason-dialog").close());
  $("#share").addEventListener("change", (e) => (e.target.checked ? startSharing() : stopSharing()));
  $("#export").addEventListener("click", () => exportData().catch((err) => toast(err.message)));
  $("#logout").addEventListener("click", async () => {
    try { await S.api.post("/v1/auth/logout"); } catch { /* offline or gone */ }
    localStorage.removeItem(KEY.session); localStorage.removeItem(KEY.seq);
    location.reload();
  });
  $("#lang").addEventListener("change", (e) => { setLanguage(e.target.value); $("#connection").textContent = t($("#connection").dataset.state); sayPage(); renderAvailability(); renderHours(); renderRota(); loadRota(); render(); });
  $("#avail-add").addEventListener("submit", addWindow);
  $("#avail-off-add").addEventListener("submit", addException);
  $("#avail-off-add").kind.addEventListener("change", (e) => {
    for (const field of document.querySelectorAll("#avail-off-add .if-hours")) field.hidden = e.target.value !== "hours";
    for (const field of document.querySelectorAll("#avail-off-add .if-holiday")) field.hidden = e.target.value === "hours";
  });
  for (const list of ["#avail-weekly", "#avail-off"]) {
    $(list).addEventListener("click", (e) => {
      const button = e.target.closest("button[data-remove]");
      if (!button) return;
      S.avail[button.dataset.remove].splice(Number(button.dataset.index), 1);
      availChanged();
    });
  }
  $("#avail-save").addEventListener("click", saveAvailability);
  $("#rota-prev").addEventListener("click", () => { if (R.first) { R.asking = null; loadRota(plusDays(R.first, -7)); } });
  $("#rota-next").addEventListener("click", () => { if (R.first) { R.asking = null; loadRota(plusDays(R.first, 7)); } });
  $("#rota").addEventListener("click", (e) => {
    const button = e.target.closest("button[data-rota]");
    if (!button) return;
    if (button.dataset.rota === "ask") { openSwap(button.dataset.shift); return; }
    const shiftId = R.asking;  // cancel: the focus goes back to the shift's Ask a swap
    R.asking = null;
    renderRota();
    $(`#rota button[data-rota="ask"][data-shift="${CSS.escape(shiftId)}"]`)?.focus();
  });
  $("#rota").addEventListener("submit", (e) => { e.preventDefault(); askSwap(e.target); });
  // a dispatcher's decision does not come on the courier's socket: read again when the page is back in view
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible" && R.first) loadRota(); });
  $("#hours-prev").addEventListener("click", () => { if (H.week) loadHours(plusDays(H.week, -7)); });
  $("#hours-next").addEventListener("click", () => { if (H.week) loadHours(plusDays(H.week, 7)); });
  $("#hours").addEventListener("click", (e) => {
    const button = e.target.closest("button[data-download]");
    if (button && H.week) downloadSheet(button);
  });
  window.addEventListener("offline", () => S.socket?.pause());
  // the minutes move on: Our day is drawn again when the minute changes
  let minute = 0;
  setInterval(() => {
    const now = Math.floor(Date.now() / 60e3);
    if (now !== minute && S.ledger) { minute = now; renderLedger(S.ledger); }
  }, 1000);
  window.addEventListener("online", () => S.socket?.resume());
}

function main() {
  $("#lang").value = language();
  setLanguage(language());
  translatePage();
  sayPage();
  wire();
  const saved = localStorage.getItem(KEY.session);
  if (saved) start(JSON.parse(saved)).catch(() => { localStorage.removeItem(KEY.session); $("#login").hidden = false; });
  else $("#login").hidden = false;
}

main();
