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
    absent: "absent ({reason})", left: "withdrawn: left the cooperative", left_cover: "Find a cover",
    covered_by: "covered by {name}", cover_shift: "cover",
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
    who_title: "Who is available", who_at: "At", show: "Show", now: "Now",
    who_note: "Now unless you pick a time here or an hour in the grid. Listed by name, never by any figure of a person.",
    who_when: "{when}: {n} available", who_now: "Now ({when}): {n} available", nobody_available: "Nobody is available at that time.",
    until: "until {t}", for_long: "{d} left", not_available: "not declared available", on_shift: "on shift now", on_rota: "on the rota",
    who_cell: "Who is available {day} {hour}: {text}", who_failed: "Who is available could not be read: {why}",
    avail_title: "A courier's availability",
    avail_note: "For a courier who cannot use the phone, or to correct what they declared: each change is saved at once, replaces what stood, and shows on their phone.",
    avail_none: "Nothing declared.", weekday: "weekday", add_weekly: "Add weekly hours", exception_day: "exception on",
    exception_hint: "no hours: not available that day", add_exception: "Add an exception", holiday_from: "holiday from", holiday_to: "to",
    add_holiday: "Add a holiday", weekly_item: "every {day} {start}–{end}", exception_item: "{day}: only {windows}",
    off_item: "{day}: not available", holiday_item: "holiday {first} – {last}",
    avail_saved: "Saved for {name}: {what}. Now {w} weekly window(s), {e} exception(s), {h} holiday(s); the week below and {name}'s phone show it.",
    avail_refused: "Not saved for {name}: {why}", added: "added {item}", removed: "removed {item}",
    avail_changed: "{why}. What {name} has declared now is shown below, and the form keeps what you typed: make your change again if it still holds.",
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
    absent: "absent·e ({reason})", left: "retiré : a quitté la coopérative", left_cover: "Trouver un remplacement",
    covered_by: "remplacé·e par {name}", cover_shift: "remplacement",
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
    who_title: "Qui est disponible", who_at: "À", show: "Afficher", now: "Maintenant",
    who_note: "Maintenant, sauf si vous choisissez un moment ici ou une heure dans la grille. Par ordre des noms, jamais selon un chiffre d'une personne.",
    who_when: "{when} : {n} disponible(s)", who_now: "Maintenant ({when}) : {n} disponible(s)", nobody_available: "Personne n'est disponible à ce moment-là.",
    until: "jusqu'à {t}", for_long: "encore {d}", not_available: "pas déclaré·e disponible", on_shift: "en service maintenant", on_rota: "au planning",
    who_cell: "Qui est disponible {day} {hour} : {text}", who_failed: "Impossible de lire qui est disponible : {why}",
    avail_title: "Les disponibilités d'un coursier",
    avail_note: "Pour un coursier qui ne peut pas utiliser le téléphone, ou pour corriger ce qu'il a déclaré : chaque changement est enregistré aussitôt, remplace ce qui était déclaré et apparaît sur son téléphone.",
    avail_none: "Rien de déclaré.", weekday: "jour de la semaine", add_weekly: "Ajouter des heures chaque semaine", exception_day: "exception le",
    exception_hint: "sans heures : pas disponible ce jour-là", add_exception: "Ajouter une exception", holiday_from: "congé du", holiday_to: "au",
    add_holiday: "Ajouter un congé", weekly_item: "chaque {day} {start}–{end}", exception_item: "{day} : seulement {windows}",
    off_item: "{day} : pas disponible", holiday_item: "congé du {first} au {last}",
    avail_saved: "Enregistré pour {name} : {what}. Désormais {w} créneau(x) hebdomadaire(s), {e} exception(s), {h} congé(s) ; la semaine ci-dessous et le téléphone de {name} l'affichent.",
    avail_refused: "Pas enregistré pour {name} : {why}", added: "ajouté {item}", removed: "retiré {item}",
    avail_changed: "{why}. Ce qui est déclaré pour {name} maintenant est affiché ci-dessous, et le formulaire garde ce que vous avez saisi : refaites votre changement s'il tient toujours.",
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
// whoPick: the moment the who-panel answers for ("YYYY-MM-DDTHH:MM" in the browser's zone; null:
// now), whoAsked: its latest request (an older answer arriving late is dropped); availFor, avail:
// the courier whose availability is being entered and what stands for them.
const S = { api: null, week: null, sheetWeek: null, view: null, busy: false, covers: {}, notice: "",
  whoPick: null, whoAsked: 0, who: null, availFor: null, avail: null };
window.__week = S;

// Everyone the week names: those who work here, and those who left (`former`: an erased one worded
// "former courier" by the server in the page's language), so that no shift, swap or sheet row
// shows a bare id.
function names() { return Object.fromEntries([...(S.view?.couriers || []), ...(S.view?.former || [])].map((c) => [c.id, c.name])); }

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
  renderAvailCourier();
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
    // its courier left before it began: withdrawn, rostered for nobody (the grid shows the gap)
    if (s.left) item.append(" ", el("span", { class: "tag absent", "data-left": s.left }, w("left")));
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
    if (s.left) reason.value = "other";  // they left: recorded as an absence, then covered as one
    const absent = el("button", { type: "button", "data-act": "absent" }, w(s.left ? "left_cover" : "cannot_come"));
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
      const pick = el("button", { type: "button", class: "pick-hour" }, text);
      pick.setAttribute("aria-label", w("who_cell", { day: dayName(d), hour: hh(hour), text }));
      pick.addEventListener("click", () => pickWho(`${d}T${hh(hour)}`));
      const cell = el("td", { class: h.gap ? "gap" : !h.expected ? "" : h.rostered.length >= h.expected ? "covered" : "short", title: sayWhy(h.why) }, pick);
      cell.dataset.hour = `${d} ${hour}`;
      return cell;
    });
    rows.push(el("tr", {}, el("th", { scope: "row" }, hh(hour)), ...cells));
  }
  $("#hours").replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
  markPicked();
}

// ------------------------------------------------------------------ who is available
// One request to /v1/week/who per pick: now (no `at`: the server's clock), an hour of the grid or
// the time field, sent without an offset so that the server reads it on the cooperative's clock
// (the grid is the cooperative's week, whatever zone the dispatcher's browser is in); "now" is the
// answer's `at`, on that clock too, as is each courier's "until". Listed by name (those available, then those on shift or on the rota without declared
// availability): a neutral order, never by hours or any figure of a person.

const duration = (m) => (m >= 60 ? `${Math.floor(m / 60)} h${m % 60 ? ` ${String(m % 60).padStart(2, "0")} min` : ""}` : `${m} min`);

async function pickWho(local = null) {
  const asked = ++S.whoAsked;
  S.whoPick = local;
  if (local) $("#who-pick").at.value = local;
  markPicked();
  try {
    const at = local ? `?at=${encodeURIComponent(local)}` : ""; // on the cooperative's clock
    const answer = await S.api.get(`/v1/week/who${at}`);
    if (asked !== S.whoAsked) return;
    S.who = answer;
    renderWho();
  } catch (err) {
    if (asked !== S.whoAsked) return;
    S.who = null;
    $("#who-list").replaceChildren();
    $("#who-label").textContent = w("who_failed", { why: err.message });
  }
}

// The grid's cell of the hour picked, outlined (none for now or a moment outside the week shown).
function markPicked() {
  const key = S.whoPick ? `${S.whoPick.slice(0, 10)} ${Number(S.whoPick.slice(11, 13))}` : null;
  for (const cell of document.querySelectorAll("#hours td[data-hour]")) {
    const picked = cell.dataset.hour === key;
    cell.classList.toggle("picked", picked);
    cell.querySelector("button")?.setAttribute("aria-pressed", String(picked));
  }
}

function renderWho() {
  const answer = S.who;
  const local = S.whoPick ?? answer.at.slice(0, 16); // the cooperative's clock, as the server said it
  $("#who-pick").at.value = local;
  const when = `${dayName(local.slice(0, 10))} ${local.slice(11, 16)}`;
  const byName = (a, b) => a.name.localeCompare(b.name);
  const free = answer.couriers.filter((c) => c.available).sort(byName);
  const others = answer.couriers.filter((c) => !c.available).sort(byName);
  $("#who-label").textContent = w(S.whoPick ? "who_when" : "who_now", { when, n: free.length });
  const items = [...free, ...others].map((c) => whoItem(c, local.slice(0, 10)));
  if (!free.length) items.unshift(el("li", { class: "note" }, w("nobody_available")));
  $("#who-list").replaceChildren(...items);
  $("#who-list").dataset.at = S.whoPick ?? "now";  // what the list answers for
}

// A courier available then: until when (the day too when it is another) and for how long; on
// shift now, on the published rota then.
function whoItem(c, day) {
  const item = el("li", { "data-who": c.courier_id }, el("strong", {}, c.name), " ");
  if (c.available) {
    const end = c.available_until;
    const t = `${end.slice(0, 10) === day ? "" : `${dayName(end.slice(0, 10))} `}${end.slice(11, 16)}`;
    item.append(el("span", { class: "until", "data-until": end.slice(11, 16) }, w("until", { t })),
      ` (${w("for_long", { d: duration(c.minutes_left) })})`);
  } else item.append(el("span", { class: "note" }, w("not_available")));
  if (c.on_shift) item.append(" ", el("span", { class: "tag on-shift", "data-on-shift": "true" }, w("on_shift")));
  if (c.on_rota) item.append(" ", el("span", { class: "tag on-rota", "data-on-rota": "true" }, w("on_rota")));
  return item;
}

// ------------------------------------------------------------------ a courier's availability
// A dispatcher enters or corrects it through the phone's own route (PUT
// /v1/couriers/{id}/availability, which replaces the whole): each change reads what stands,
// changes one entry and sends the whole back with the seq it read (expected_seq), so what the
// courier saved on the phone meanwhile is kept: saved before the read, it is in what is sent;
// saved between the read and the PUT, the PUT is a 409 naming who declared, nothing is written,
// and the page reads and shows what stands now, the form keeping what was typed. It is
// confirmed in a sentence; a refusal is the server's reason, in its words.

const weekdayName = (n) => new Date(Date.UTC(2024, 0, 1 + n)).toLocaleDateString(lang, { weekday: "long", timeZone: "UTC" });

async function readAvail(id) {
  const a = await S.api.get(`/v1/couriers/${encodeURIComponent(id)}/availability`);
  return { weekly: a.weekly, exceptions: a.exceptions, holidays: a.holidays, seq: a.seq };
}

function renderAvailCourier() {
  const select = $("#avail-courier");
  const couriers = [...S.view.couriers].sort((a, b) => a.name.localeCompare(b.name));
  select.replaceChildren(el("option", { value: "" }, "—"), ...couriers.map((c) => el("option", { value: c.id }, c.name)));
  select.value = S.availFor ?? "";
  const weekday = $("#avail-weekly").weekday;
  if (!weekday.options.length) weekday.replaceChildren(...[0, 1, 2, 3, 4, 5, 6].map((n) => el("option", { value: n }, weekdayName(n))));
  renderAvail();
}

async function showAvail() {
  const id = $("#avail-courier").value || null;
  S.availFor = id;
  S.avail = null;
  $("#avail-done").textContent = $("#avail-error").textContent = "";
  renderAvail();
  if (!id) return;
  try {
    const standing = await readAvail(id);
    if (S.availFor === id) { S.avail = standing; renderAvail(); }
  } catch (err) { $("#avail-error").textContent = err.message; }
}

function availItems(a) {
  const windows = (ws) => ws.map((x) => `${x.start}–${x.end}`).join(", ");
  return [
    ...a.weekly.map((x) => ["weekly", x, w("weekly_item", { day: weekdayName(x.weekday), start: x.start, end: x.end })]),
    ...a.exceptions.map((x) => ["exceptions", x, x.windows.length
      ? w("exception_item", { day: dayName(x.day), windows: windows(x.windows) }) : w("off_item", { day: dayName(x.day) })]),
    ...a.holidays.map((x) => ["holidays", x, w("holiday_item", { first: dayName(x.first_day), last: dayName(x.last_day) })]),
  ];
}

function renderAvail() {
  const nobody = !S.availFor;  // the forms wait for a courier to be picked
  for (const form of ["#avail-weekly", "#avail-exception", "#avail-holiday"]) {
    for (const field of $(form).elements) field.disabled = nobody;
  }
  if (!S.avail) { $("#avail-list").replaceChildren(); return; }
  const items = availItems(S.avail).map(([kind, entry, text]) => {
    const same = JSON.stringify(entry);
    const remove = el("button", { type: "button", "data-remove": kind }, w("remove"));
    remove.setAttribute("aria-label", `${w("remove")}: ${text}`);
    remove.addEventListener("click", () => changeAvail((a) => {
      const at = a[kind].findIndex((x) => JSON.stringify(x) === same);
      if (at >= 0) a[kind].splice(at, 1);
    }, w("removed", { item: text })));
    return el("li", { "data-kind": kind }, text, " ", remove);
  });
  $("#avail-list").replaceChildren(...(items.length ? items : [el("li", { class: "note" }, w("avail_none"))]));
}

async function changeAvail(change, what) {
  const id = S.availFor;
  if (S.busy || !id) return;
  const name = names()[id] || id;
  S.busy = true;
  $("#avail-done").textContent = $("#avail-error").textContent = "";
  try {
    const { seq, ...standing } = await readAvail(id);
    change(standing);
    const kept = await S.api.request("PUT", `/v1/couriers/${encodeURIComponent(id)}/availability`, { ...standing, expected_seq: seq });
    S.avail = { weekly: kept.weekly, exceptions: kept.exceptions, holidays: kept.holidays, seq: kept.seq };
    await load(S.week);  // the grid, the gaps and the people's hours follow
    $("#avail-done").textContent = w("avail_saved", { name, what, w: kept.weekly.length, e: kept.exceptions.length, h: kept.holidays.length });
    pickWho(S.whoPick);  // and the who-panel, for the moment it shows
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) {
      // declared again between this change's read and its PUT: nothing was written; what stands
      // now is read and shown (the grid too), the forms keep what was typed, and the refusal
      // names who declared it
      try {
        const fresh = await readAvail(id);
        if (S.availFor === id) S.avail = fresh;
        await load(S.week);
      } catch { /* the refusal below is what matters */ }
      $("#avail-error").textContent = w("avail_changed", { name, why: err.message });
    } else {
      $("#avail-error").textContent = w("avail_refused", { name, why: err instanceof ApiError ? err.message : String(err) });
    }
  } finally {
    S.busy = false;
    renderAvail();
  }
}

function addWeekly(e) {
  e.preventDefault();
  const f = e.target;
  const entry = { weekday: Number(f.weekday.value), start: f.start.value, end: f.end.value };
  const item = w("weekly_item", { day: weekdayName(entry.weekday), start: entry.start, end: entry.end });
  changeAvail((a) => a.weekly.push(entry), w("added", { item }));
}

// An exception: that day only these hours (merged with the day's others), or none: not available.
function addException(e) {
  e.preventDefault();
  const f = e.target;
  const hours = f.start.value || f.end.value ? [{ start: f.start.value, end: f.end.value }] : [];
  const day = f.day.value;
  const item = hours.length ? w("exception_item", { day: dayName(day), windows: `${hours[0].start}–${hours[0].end}` }) : w("off_item", { day: dayName(day) });
  changeAvail((a) => {
    const same = a.exceptions.find((x) => x.day === day);
    if (same) same.windows.push(...hours); else a.exceptions.push({ day, windows: hours });
  }, w("added", { item }));
}

function addHoliday(e) {
  e.preventDefault();
  const f = e.target;
  const entry = { first_day: f.first.value, last_day: f.last.value };
  const item = w("holiday_item", { first: dayName(entry.first_day), last: dayName(entry.last_day) });
  changeAvail((a) => a.holidays.push(entry), w("added", { item }));
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
  $("#who-pick").addEventListener("submit", (e) => { e.preventDefault(); pickWho(e.target.at.value); });
  $("#who-now").addEventListener("click", () => pickWho(null));
  $("#avail-courier").addEventListener("change", showAvail);
  $("#avail-weekly").addEventListener("submit", addWeekly);
  $("#avail-exception").addEventListener("submit", addException);
  $("#avail-holiday").addEventListener("submit", addHoliday);
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
  pickWho(null);  // who is available now, until the dispatcher picks another moment
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
