// The week page: each hour's availability and expected demand, the gaps, the rota proposed or
// published with why each shift is there; a dispatcher proposes, edits, publishes, and confirms
// or refuses swaps. It speaks only the public /v1 API (api/week.py), like any other client.
import { Api, ApiError } from "./api.js";
import { loadReasons, sayReason } from "./i18n.js";

const WORDS = {
  en: {
    the_week: "The week", log_in_again: "Your session ended: log in again on the console.", back_to_console: "Back to the console",
    previous_week: "◀ Previous week", next_week: "Next week ▶", propose: "Propose a rota", publish: "Publish",
    timesheet_csv: "Time sheet (CSV)", shifts: "Shifts", from: "from", to: "to", add_shift: "Add a shift",
    gaps: "Gaps: demand expected and nobody available", swaps: "Swaps asked by couriers", hours: "Each hour",
    hours_note: "available / expected / rostered; red: more couriers expected than available; amber: fewer rostered than expected.",
    people: "Couriers", courier: "Courier", contract: "Contract (h a week)", available_h: "Available (h)",
    rostered_h: "Rostered (h)", week_of: "Week of {day}", draft: "Draft, not published yet",
    published: "Published (version {n})", nothing: "No rota yet: ask for a proposal",
    draft_over_published: "Draft open (version {n} is published)", remove: "Remove", move: "Move",
    no_gaps: "No gap.", no_swaps: "No swap asked.", no_shifts: "No shift.", confirm: "Confirm", refuse: "Refuse",
    reason: "reason", gap_cell: "gap {n}", wants: "{name} asks to give this shift to {other}",
    state_pending: "waiting for a dispatcher", state_confirmed: "confirmed", state_refused: "refused",
    short_of: "{day} {hour}:00 — {n} courier(s) short", working: "Working…",
    cannot_come: "Cannot come", absence_reason: "why", sick: "sick", other: "other",
    absent: "absent ({reason})", covered_by: "covered by {name}", cover_shift: "cover",
    find_cover: "Who could cover?", could_cover: "Who could cover (those who covered least lately first, then those with most hours left):",
    covered_times: "covered {n} {times} in the last 28 days; {h} h left on their contract this week",
    time: "time", times: "times", pick: "Pick", no_one: "No one", nobody_can: "Nobody available can cover this shift.",
    no_one_chosen: "no one picked ({t})",
    stopped_now: "On shift today: stopped now, as “must stop” does; {n} job(s) back to the open jobs, proposals to them put aside.",
    timesheet: "Time sheet and overtime",
    timesheet_note: "Minutes per courier and day. Beyond plan: the minutes worked within the day (a stretch past midnight is cut there) minus the planned ones, what there is to decide on; overtime is only what a dispatcher decides (0 withdraws it).",
    day: "Day", worked: "Worked", planned: "Planned", beyond_plan: "Beyond plan", overtime: "Overtime", decide: "Decide",
    overtime_for: "Overtime minutes for {name} on {day}", no_sheet: "No time worked or planned this week.",
    sheet_week: "Time sheet of the week of {day}", not_begun: "Not begun yet: overtime is decided on a day that has been worked.",
  },
  fr: {
    the_week: "La semaine", log_in_again: "Votre session a pris fin : reconnectez-vous sur la console.", back_to_console: "Retour à la console",
    previous_week: "◀ Semaine précédente", next_week: "Semaine suivante ▶", propose: "Proposer un planning",
    publish: "Publier", timesheet_csv: "Feuille de temps (CSV)", shifts: "Créneaux", from: "de", to: "à",
    add_shift: "Ajouter un créneau", gaps: "Manques : demande attendue et personne de disponible",
    swaps: "Échanges demandés", hours: "Heure par heure",
    hours_note: "disponibles / attendus / planifiés ; rouge : plus de coursiers attendus que de disponibles ; orange : moins de planifiés que d'attendus.",
    people: "Coursiers", courier: "Coursier", contract: "Contrat (h par semaine)", available_h: "Disponible (h)",
    rostered_h: "Planifié (h)", week_of: "Semaine du {day}", draft: "Brouillon, pas encore publié",
    published: "Publié (version {n})", nothing: "Pas de planning : demandez une proposition",
    draft_over_published: "Brouillon ouvert (la version {n} est publiée)", remove: "Retirer", move: "Déplacer",
    no_gaps: "Aucun manque.", no_swaps: "Aucun échange demandé.", no_shifts: "Aucun créneau.", confirm: "Confirmer",
    refuse: "Refuser", reason: "raison", gap_cell: "manque {n}", wants: "{name} demande à donner ce créneau à {other}",
    state_pending: "en attente d'un répartiteur", state_confirmed: "confirmé", state_refused: "refusé",
    short_of: "{day} {hour} h — il manque {n} coursier(s)", working: "En cours…",
    cannot_come: "Ne peut pas venir", absence_reason: "pourquoi", sick: "malade", other: "autre",
    absent: "absent·e ({reason})", covered_by: "remplacé·e par {name}", cover_shift: "remplacement",
    find_cover: "Qui peut remplacer ?", could_cover: "Qui peut remplacer (celles et ceux qui ont le moins remplacé d'abord, puis à qui il reste le plus d'heures) :",
    covered_times: "a remplacé {n} {times} ces 28 derniers jours ; reste {h} h à son contrat cette semaine",
    time: "fois", times: "fois", pick: "Choisir", no_one: "Personne", nobody_can: "Personne de disponible ne peut remplacer sur ce créneau.",
    no_one_chosen: "personne de choisi ({t})",
    stopped_now: "En service aujourd'hui : arrêté·e maintenant, comme « doit s'arrêter » ; {n} course(s) rendue(s) aux courses ouvertes, propositions mises de côté.",
    timesheet: "Feuille de temps et heures supplémentaires",
    timesheet_note: "Minutes par coursier et par jour. Au-delà du planning : les minutes travaillées dans la journée (une période qui passe minuit y est coupée) moins les minutes planifiées, ce qu'il reste à décider ; les heures supplémentaires sont seulement ce qu'une personne de la répartition décide (0 les retire).",
    day: "Jour", worked: "Travaillé", planned: "Planifié", beyond_plan: "Au-delà du planning", overtime: "Heures sup.", decide: "Décider",
    overtime_for: "Minutes supplémentaires de {name} le {day}", no_sheet: "Aucun temps travaillé ni planifié cette semaine.",
    sheet_week: "Feuille de temps de la semaine du {day}", not_begun: "Pas encore commencé : les heures supplémentaires se décident sur un jour travaillé.",
  },
};
const lang = (localStorage.getItem("tandem.lang") || navigator.language || "en").slice(0, 2) === "fr" ? "fr" : "en";
const w = (key, vars = {}) => (WORDS[lang][key] ?? WORDS.en[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
const $ = (selector) => document.querySelector(selector);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else if (k.startsWith("data-")) node.setAttribute(k, v); else node[k] = v;
  }
  node.append(...children);
  return node;
};
const hh = (h) => `${String(h).padStart(2, "0")}:00`;
const dayName = (iso) => new Date(`${iso}T12:00:00`).toLocaleDateString(lang, { weekday: "short", day: "numeric", month: "short" });

// covers: shift id -> who could cover it (the answer to an absence), shown until a pick.
// notice: what an act did beyond the rota (an absence for today stopped a courier on shift).
// sheetWeek: the time sheet's own week (null: the API's default, this week), apart from the rota's
// week on show (by default the coming one): overtime is decided on days worked, never days to come.
const S = { api: null, week: null, sheetWeek: null, view: null, busy: false, covers: {}, notice: "" };
window.__week = S;

function names() { return Object.fromEntries((S.view?.couriers || []).map((c) => [c.id, c.name])); }

// Why a shift is there: reasons (codes with parameters) said in the selected language from the
// server's catalogue, courier names from ids; a rota made before reasons were codes: its sentence.
function sayWhy(why, who = names()) {
  const nameOf = (id) => who[id] || null;
  return Array.isArray(why) ? why.map((r) => sayReason(r, nameOf)).join("; ") : sayReason(why, nameOf);
}

// The rota on show: the draft being edited, else the published one.
function shown() { return S.view.draft?.shifts ?? S.view.published?.shifts ?? []; }

async function load(week) {
  S.view = await S.api.get(`/v1/week${week ? `?week=${week}` : ""}`);
  S.week = S.view.week;
  S.sheet = await S.api.get(`/v1/week/timesheet${S.sheetWeek ? `?week=${S.sheetWeek}` : ""}`);
  S.sheetWeek = S.sheet.first_day;
  render();
}

// week: the act is about the week on show (the rota's acts); overtime names its own day instead.
async function act(path, body, then = null, week = true) {
  if (S.busy) return;
  S.busy = true;
  $("#week-error").textContent = "";
  $("#rota-state").textContent = w("working");
  try {
    const answer = await S.api.post(path, week ? { week: S.week, ...body } : body);  // every write carries the seq it read
    if (then) then(answer);
    await load(S.week);
  } catch (err) {
    // a 409: someone acted since this page read the week or the sheet; what stands now is read
    // again, so the next click decides on it, and the refusal saying who did what stays shown
    if (err instanceof ApiError && err.status === 409) await load(S.week).catch(() => render());
    else render();
    $("#week-error").textContent = err instanceof ApiError ? err.message : String(err);
  } finally {
    S.busy = false;
  }
}

function render() {
  const v = S.view;
  $("#week-label").textContent = w("week_of", { day: v.week });
  const version = v.published?.version ?? 0;
  $("#rota-state").textContent = v.draft ? (version ? w("draft_over_published", { n: version }) : w("draft"))
    : v.published ? w("published", { n: version }) : w("nothing");
  $("#rota-state").dataset.state = v.draft ? "draft" : v.published ? "published" : "none";
  $("#publish").disabled = !v.draft;
  $("#forecast-note").textContent = sayWhy(v.forecast);
  $("#week-notice").textContent = S.notice || "";
  renderShifts();
  renderGaps();
  renderSwaps();
  renderHours();
  renderPeople();
  renderSheet();
  renderAddForm();
  S.ready = true;
}

function renderShifts() {
  const who = names();
  const list = $("#shifts");
  list.replaceChildren();
  const shifts = shown();
  if (!shifts.length) list.append(el("li", { class: "note" }, w("no_shifts")));
  for (const s of shifts) {
    const start = el("input", { type: "number", min: 0, max: 23, value: s.start_h, "data-field": "start" });
    const end = el("input", { type: "number", min: 1, max: 24, value: s.end_h, "data-field": "end" });
    start.setAttribute("aria-label", w("from"));
    end.setAttribute("aria-label", w("to"));
    const move = el("button", { type: "button", "data-act": "move" }, w("move"));
    move.addEventListener("click", () => act("/v1/week/edits", { expected_seq: S.view.rota_seq, action: "move", shift_id: s.id, start_h: Number(start.value), end_h: Number(end.value) }));
    const remove = el("button", { type: "button", "data-act": "remove" }, w("remove"));
    remove.addEventListener("click", () => act("/v1/week/edits", { expected_seq: S.view.rota_seq, action: "remove", shift_id: s.id }));
    const acts = el("span", { class: "acts" }, start, "–", end, move, remove);
    const title = el("span", {}, el("strong", {}, who[s.courier_id] || s.courier_id), ` ${dayName(s.day)} ${hh(s.start_h)}–${hh(s.end_h)}`);
    const item = el("li", { class: "shift", "data-shift": s.id }, title, acts, el("span", { class: "why" }, sayWhy(s.why, who)));
    if (!S.view.draft && S.view.published) item.append(absence(s, who));
    list.append(item);
  }
}

// On the published rota: "X cannot come" (sick, other), then who could cover, and the pick.
function absence(s, who) {
  const box = el("div", { class: "absence" });
  if (s.cover_for) box.append(el("span", { class: "tag cover" }, w("cover_shift")));
  if (!s.absent) {
    const reason = el("select", { "data-field": "absence-reason" },
      el("option", { value: "sick" }, w("sick")), el("option", { value: "other" }, w("other")));
    reason.setAttribute("aria-label", w("absence_reason"));
    const absent = el("button", { type: "button", "data-act": "absent" }, w("cannot_come"));
    absent.addEventListener("click", () => act("/v1/week/absences", { expected_seq: S.view.rota_seq, shift_id: s.id, reason: reason.value },
      (answer) => { S.covers[s.id] = answer.covers; S.notice = answer.stopped ? w("stopped_now", { n: answer.stopped.returned.length }) : ""; }));
    box.append(reason, absent);
    return box;
  }
  box.append(el("span", { class: "tag absent" }, w("absent", { reason: w(s.absent) })));
  if (s.covered_by) {
    box.append(" ", el("span", { class: "tag covered" }, w("covered_by", { name: who[s.covered_by] || s.covered_by })));
    return box;
  }
  const chosen = S.view.no_cover?.[s.id];
  if (chosen) box.append(" ", el("span", { class: "tag no-cover", "data-no-cover": "true" }, w("no_one_chosen", { t: new Date(chosen.at).toLocaleString(lang, { weekday: "short", hour: "2-digit", minute: "2-digit" }) })));
  const covers = S.covers[s.id];
  if (covers === undefined) {
    const find = el("button", { type: "button", "data-act": "find-cover" }, w("find_cover"));
    find.addEventListener("click", async () => {
      try {
        S.covers[s.id] = (await S.api.get(`/v1/week/covers?week=${S.week}&shift_id=${encodeURIComponent(s.id)}`)).covers;
        render();
      } catch (err) { $("#week-error").textContent = err.message; }
    });
    box.append(" ", find);
    return box;
  }
  if (!covers.length) { box.append(el("p", { class: "note" }, w("nobody_can"))); return box; }
  const list = el("ul", { class: "covers" });
  for (const c of covers) {
    const pick = el("button", { type: "button", "data-act": "cover", "data-courier": c.courier_id }, w("pick"));
    pick.addEventListener("click", () => act("/v1/week/covers", { expected_seq: S.view.rota_seq, shift_id: s.id, courier_id: c.courier_id },
      () => { delete S.covers[s.id]; }));
    const reason = w("covered_times", { n: c.covered, times: w(c.covered === 1 ? "time" : "times"), h: c.left_h });
    list.append(el("li", { "data-cover": c.courier_id }, el("strong", {}, c.name), " — ", el("span", { class: "why" }, reason), " ", pick));
  }
  const none = el("button", { type: "button", "data-act": "no-cover" }, w("no_one"));
  // logged (NoCoverPicked, with whom the rota offered); "Who could cover?" stays, to come back to it
  none.addEventListener("click", () => act("/v1/week/covers/none", { shift_id: s.id }, () => { delete S.covers[s.id]; }));
  box.append(el("p", { class: "note" }, w("could_cover")), list, none);
  return box;
}

function renderGaps() {
  const list = $("#gaps");
  list.replaceChildren();
  const gaps = S.view.hours.filter((h) => h.gap > 0);
  if (!gaps.length) list.append(el("li", { class: "note" }, w("no_gaps")));
  for (const g of gaps) list.append(el("li", {}, w("short_of", { day: dayName(g.day), hour: String(g.hour).padStart(2, "0"), n: g.gap })));
}

function renderSwaps() {
  const who = names();
  const list = $("#swaps");
  list.replaceChildren();
  if (!S.view.swaps.length) list.append(el("li", { class: "note" }, w("no_swaps")));
  for (const swap of S.view.swaps) {
    const item = el("li", { "data-swap": swap.id }, `${w("wants", { name: who[swap.courier_id] || "?", other: who[swap.with_courier_id] || "?" })}${swap.note ? ` (${swap.note})` : ""} — ${w(`state_${swap.state}`)} `);
    if (swap.state === "pending") {
      const reason = el("input", { maxLength: 300, placeholder: w("reason") });
      reason.setAttribute("aria-label", w("reason"));
      // a decision names its swap alone: a week beside it was refused (SwapDecisionIn forbids it)
      const yes = el("button", { type: "button" }, w("confirm"));
      yes.addEventListener("click", () => act("/v1/week/swaps/decision", { swap_id: swap.id, confirm: true, reason: reason.value }, null, false));
      const no = el("button", { type: "button" }, w("refuse"));
      no.addEventListener("click", () => act("/v1/week/swaps/decision", { swap_id: swap.id, confirm: false, reason: reason.value }, null, false));
      item.append(reason, yes, no);
    }
    list.append(item);
  }
}

function renderHours() {
  const v = S.view;
  const days = [...new Set(v.hours.map((h) => h.day))];
  const byKey = new Map(v.hours.map((h) => [`${h.day} ${h.hour}`, h]));
  const head = el("tr", {}, el("th", {}, ""), ...days.map((d) => el("th", { scope: "col" }, dayName(d))));
  const rows = [];
  for (let hour = v.first_h; hour < v.last_h; hour++) {
    const cells = days.map((d) => {
      const h = byKey.get(`${d} ${hour}`);
      const text = `${h.available.length} / ${h.expected} / ${h.rostered.length}` + (h.gap ? ` · ${w("gap_cell", { n: h.gap })}` : "");
      const cell = el("td", { class: h.gap ? "gap" : !h.expected ? "" : h.rostered.length >= h.expected ? "covered" : "short", title: sayWhy(h.why) }, text);
      cell.dataset.hour = `${d} ${hour}`;
      return cell;
    });
    rows.push(el("tr", {}, el("th", { scope: "row" }, hh(hour)), ...cells));
  }
  $("#hours").replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
}

function renderPeople() {
  // Listed by name: a neutral order, never by hours or any figure of a person.
  const people = [...S.view.couriers].sort((a, b) => a.name.localeCompare(b.name));
  $("#people tbody").replaceChildren(...people.map((c) => el("tr", {},
    el("td", {}, c.name), el("td", {}, `${c.contract.min_h}–${c.contract.max_h}`),
    el("td", {}, String(c.available_h)), el("td", {}, String(c.rostered_h)))));
}

// The week's time sheet with the overtime a dispatcher decides, a field per courier and day
// (POST /v1/week/overtime: it replaces the decision standing; 0 withdraws it; the sheet's seq goes
// with it, so a colleague's decision on that day since the sheet was read is a 409, not overwritten).
// Listed by day, then name.
function renderSheet() {
  const who = names();
  const minutes = (m) => el("td", { class: "minutes" }, String(Math.round(m)));
  const head = el("tr", {}, ...["courier", "day", "worked", "planned", "beyond_plan", "overtime", "decide"].map((k) => el("th", { scope: "col" }, w(k))));
  const days = [...S.sheet.days].sort((a, b) => a.day.localeCompare(b.day) || (who[a.courier_id] || "").localeCompare(who[b.courier_id] || ""));
  $("#sheet-label").textContent = w("sheet_week", { day: S.sheet.first_day });
  const rows = days.map((d) => {
    const name = who[d.courier_id] || d.courier_id;
    const field = el("input", { type: "number", min: 0, max: 1500, step: 1, value: Math.round(d.overtime_minutes), "data-field": "overtime" });
    field.setAttribute("aria-label", w("overtime_for", { name, day: dayName(d.day) }));
    const decide = el("button", { type: "button", "data-act": "overtime" }, w("decide"));
    decide.addEventListener("click", () => act("/v1/week/overtime", { courier_id: d.courier_id, day: d.day, minutes: Number(field.value), expected_seq: S.sheet.seq }, null, false));
    const cell = el("td", {}, field, " ", decide);
    if (d.day > S.sheet.today) {  // the API refuses a day to come: say why here rather than after a click
      const why = el("span", { class: "note", id: `not-begun-${d.courier_id}-${d.day}`, "data-why": "not_begun" }, w("not_begun"));
      field.disabled = decide.disabled = true;
      decide.setAttribute("aria-describedby", why.id);
      cell.append(" ", why);
    }
    return el("tr", { "data-sheet": `${d.courier_id} ${d.day}` }, el("td", {}, name), el("td", {}, dayName(d.day)),
      minutes(d.worked_minutes), minutes(d.planned_minutes), minutes(d.beyond_plan_minutes),
      el("td", { class: "minutes", "data-overtime": String(d.overtime_minutes) }, String(Math.round(d.overtime_minutes))),
      cell);
  });
  if (!rows.length) rows.push(el("tr", {}, el("td", { colSpan: 7, class: "note" }, w("no_sheet"))));
  $("#timesheet").replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
}

function renderAddForm() {
  const form = $("#add-shift");
  const couriers = [...S.view.couriers].sort((a, b) => a.name.localeCompare(b.name));
  form.courier_id.replaceChildren(...couriers.map((c) => el("option", { value: c.id }, c.name)));
  const days = [...new Set(S.view.hours.map((h) => h.day))];
  form.day.replaceChildren(...days.map((d) => el("option", { value: d }, dayName(d))));
}

const weekAfter = (monday, weeks) => {
  const d = new Date(`${monday}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 7 * weeks);
  return d.toISOString().slice(0, 10);
};

function shiftWeek(weeks) {
  load(weekAfter(S.week, weeks)).catch((err) => { $("#week-error").textContent = err.message; });
}

// The time sheet's own previous and next week; the rota on show stays.
function shiftSheet(weeks) {
  S.sheetWeek = weekAfter(S.sheetWeek, weeks);
  load(S.week).catch((err) => { $("#week-error").textContent = err.message; });
}

async function downloadTimesheet(e) {
  e.preventDefault();
  const response = await fetch(`/v1/week/timesheet.csv?week=${S.sheetWeek}`, { headers: { Authorization: `Bearer ${S.api.token}` } });
  if (!response.ok) { $("#week-error").textContent = `HTTP ${response.status}`; return; }
  const url = URL.createObjectURL(await response.blob());
  const link = el("a", { href: url, download: `timesheet-${S.sheetWeek}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

function wire() {
  $("#propose").addEventListener("click", () => act("/v1/week/proposal", {}));
  $("#publish").addEventListener("click", () => act("/v1/week/publish", { expected_seq: S.view.rota_seq }));
  $("#prev-week").addEventListener("click", () => shiftWeek(-1));
  $("#next-week").addEventListener("click", () => shiftWeek(1));
  $("#sheet-prev").addEventListener("click", () => shiftSheet(-1));
  $("#sheet-next").addEventListener("click", () => shiftSheet(1));
  $("#timesheet-csv").addEventListener("click", downloadTimesheet);
  $("#add-shift").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = e.target;
    act("/v1/week/edits", { expected_seq: S.view.rota_seq, action: "add", courier_id: f.courier_id.value, day: f.day.value, start_h: Number(f.start_h.value), end_h: Number(f.end_h.value) });
  });
}

async function start(session) {
  S.api = new Api(session.token);
  await loadReasons(S.api);
  await load(null);
  $("#week-app").hidden = false;
}

// The console's log-in is the week's: without a session, log in there and come back.
function main() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-w]")) node.textContent = w(node.dataset.w);
  wire();
  const saved = JSON.parse(sessionStorage.getItem("tandem.session") || "null");
  if (!saved) { location.replace("./"); return; }
  start(saved).catch((err) => {
    $("#week-app").hidden = false;
    $("#week-error").textContent = err instanceof ApiError && err.status === 401 ? w("log_in_again") : err.message;
  });
}

main();
