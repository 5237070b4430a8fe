// The admin page: the lifecycle acts of issue 16 (deactivate, reactivate or erase a courier;
// revoke or rotate a client's key; revoke a member's login or reset their password; change the
// fairness weight, the riding budget and the tariff) and the admin log every member reads. Each
// destructive act is confirmed in a dialog (an erasure by typing the courier's name); refusals
// are the server's sentences. It speaks only the public /v1 API (api/console.py,
// api/admin_routes.py), like any other client, and holds no inline script (the console's CSP).
import { Api, ApiError } from "./api.js";
import { courierLabel, language, t, translatePage } from "./i18n.js";

const $ = (selector) => document.querySelector(selector);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else if (k.startsWith("data-")) node.setAttribute(k, v); else node[k] = v;
  }
  node.append(...children);
  return node;
};

// couriers, clients, members: as last read; settings: the cooperative's; ready: for the tests.
const S = { api: null, couriers: [], clients: [], members: [], settings: null, ready: false };
window.__admin = S;

const erasedLabel = (id) => `Former courier ${id.slice(0, 8)}`;
const isErased = (c) => c.display_name === erasedLabel(c.id);
const courierName = (id) => { const c = S.couriers.find((x) => x.id === id); return c ? courierLabel(c.id, c.display_name) : id.slice(0, 8); };
const clientName = (id) => S.clients.find((c) => c.id === id)?.name || id.slice(0, 8);
const memberName = (id) => S.members.find((m) => m.id === id)?.name || id.slice(0, 8);

// ------------------------------------------------------------------ money and bands in words
const decimal = (text) => Number(String(text).trim().replace(",", "."));
const money = (cents) => {
  const text = (cents / 100).toFixed(2);
  return language() === "fr" ? text.replace(".", ",") : text;
};

// "2:0; 5:3,00; inf:9" <-> [[2, 0], [5, 300], [null, 900]] (up to km or kg : price)
function bandsText(bands) {
  return bands.map(([upTo, cents]) => `${upTo == null ? "inf" : upTo}:${money(cents)}`).join("; ");
}

function parseBands(text, field) {
  const parts = String(text).split(";").map((p) => p.trim()).filter(Boolean);
  const bands = parts.map((part) => {
    const [up, price, extra] = part.split(":");
    const open = ["inf", "∞", "+"].includes((up || "").trim().toLowerCase());
    const upTo = open ? null : decimal(up);
    const cents = Math.round(decimal(price) * 100);
    if (extra !== undefined || price === undefined || (!open && !(upTo > 0)) || !(cents >= 0)) {
      throw new Error(t("adm_bad_bands", { field: t(field), part }));
    }
    return [upTo, cents];
  });
  if (!bands.length || bands[bands.length - 1][0] !== null) throw new Error(t("adm_bands_open", { field: t(field) }));
  return bands;
}

// ------------------------------------------------------------------ saying what happened
// A refusal in plain words: the server's sentence, or what a status or a lost network means.
function words(err) {
  if (err instanceof ApiError && err.status === 401) return t("adm_session_ended");
  if (err instanceof ApiError && err.status === 403) return t("adm_not_allowed");
  if (err instanceof TypeError) return t("adm_offline");
  return err.message;
}

function say(err) {
  $("#admin-done").textContent = "";
  $("#admin-error").textContent = words(err);
}

function done(message) {
  $("#admin-error").textContent = "";
  $("#admin-done").textContent = message;
}

function showSecret(title, value) {
  $("#secret-title").textContent = title;
  $("#secret").textContent = value;
  $("#secret-panel").hidden = false;
}

// A confirmation: { title, text, button, reason: needs a reason, typeName: the name to type }.
// Resolves with the reason given, or null when cancelled. The act itself runs in `run`, so that
// a refusal is said in the dialog and the person can correct or cancel.
function confirmAct({ title, text, button, reason = false, typeName = null }, run) {
  const dialog = $("#confirm");
  const form = $("#confirm-form");
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = button;
  $("#confirm-error").textContent = "";
  $("#confirm-reason-label").hidden = !reason;
  $("#confirm-name-label").hidden = typeName == null;
  $("#confirm-name-prompt").textContent = typeName == null ? "" : t("adm_type_name", { name: typeName });
  form.reason.value = "";
  form.typed.value = "";
  const check = () => { $("#confirm-ok").disabled = typeName != null && form.typed.value.trim() !== typeName; };
  form.typed.oninput = check;
  check();
  form.onsubmit = async (e) => {
    e.preventDefault();
    if (reason && !form.reason.value.trim()) { $("#confirm-error").textContent = t("adm_reason_needed"); return; }
    $("#confirm-ok").disabled = true;
    try {
      await run(form.reason.value.trim());
      dialog.close();
    } catch (err) {
      $("#confirm-error").textContent = words(err);
      check();
    }
  };
  $("#confirm-cancel").onclick = () => dialog.close();
  dialog.showModal();
  (reason ? form.reason : typeName != null ? form.typed : $("#confirm-ok")).focus();
}

// ------------------------------------------------------------------ the tables
function actButton(label, onClick, danger = false) {
  const button = el("button", { type: "button", class: danger ? "danger" : "" }, label);
  button.addEventListener("click", onClick);
  return button;
}

function renderCouriers() {
  const body = $("#couriers tbody");
  body.replaceChildren(...S.couriers.map((c) => {
    const erased = isErased(c);
    const state = erased ? t("adm_erased") : c.active ? t("adm_active") : t("adm_inactive");
    const acts = el("td", { class: "acts" });
    if (c.active && !erased) acts.append(actButton(t("adm_deactivate"), () => deactivate(c), true));
    if (!c.active && !erased) acts.append(actButton(t("adm_reactivate"), () => reactivate(c)));
    if (!erased) acts.append(actButton(t("adm_erase"), () => erase(c), true));
    return el("tr", { "data-courier-id": c.id, "data-state": erased ? "erased" : c.active ? "active" : "inactive" },
      el("td", { class: "name" }, courierLabel(c.id, c.display_name)), el("td", {}, t(`vehicle_${c.vehicle?.kind}`)),
      el("td", { class: erased ? "state-erased" : c.active ? "" : "state-off" }, state), acts);
  }));
}

function renderClients() {
  $("#clients tbody").replaceChildren(...S.clients.map((c) => el("tr", { "data-client-id": c.id, "data-state": c.revoked ? "revoked" : "valid" },
    el("td", {}, c.name), el("td", {}, el("code", {}, `${c.key_prefix}…`)),
    el("td", { class: c.revoked ? "state-off" : "" }, c.revoked ? t("adm_key_revoked") : t("adm_key_valid")),
    el("td", { class: "acts" }, actButton(t("adm_rotate"), () => rotate(c)),
      ...(c.revoked ? [] : [actButton(t("adm_revoke"), () => revokeKey(c), true)])))));
}

function renderMembers() {
  $("#members tbody").replaceChildren(...S.members.map((m) => {
    const acts = el("td", { class: "acts" }, actButton(t("adm_reset"), () => resetPassword(m)));
    if (!m.revoked) acts.append(actButton(t("adm_revoke_login"), () => revokeLogin(m), true));
    return el("tr", { "data-login": m.login, "data-state": m.revoked ? "revoked" : "valid" },
      el("td", {}, m.name), el("td", {}, t(`adm_role_${m.role}`)), el("td", {}, m.login),
      el("td", { class: m.revoked ? "state-off" : "" }, m.revoked ? t("adm_login_revoked") : t("adm_login_valid")), acts);
  }));
}

function renderSettings() {
  const f = $("#settings");
  const s = S.settings;
  f.fairness_weight.value = s.fairness_weight;
  f.riding_budget.value = s.fairness_riding_budget == null ? "" : Math.round(s.fairness_riding_budget * 1000) / 10;
  f.currency.value = s.tariff.currency;
  f.base.value = (s.tariff.base_cents / 100).toFixed(2);
  f.distance_bands.value = bandsText(s.tariff.distance_bands_km);
  f.weight_bands.value = bandsText(s.tariff.weight_bands_kg);
  f.express_percent.value = s.tariff.express_percent;
  f.solidarity_percent.value = s.tariff.solidarity_percent;
}

// ------------------------------------------------------------------ the acts
function deactivate(c) {
  confirmAct({ title: t("adm_deactivate_title", { name: c.display_name }), text: t("adm_deactivate_text"), button: t("adm_deactivate"), reason: true },
    async (reason) => {
      const r = await S.api.post(`/v1/couriers/${c.id}/deactivate`, { reason });
      await reload();
      done(t("adm_deactivated", { name: c.display_name, n: r.returned.length }));
    });
}

function reactivate(c) {
  confirmAct({ title: t("adm_reactivate_title", { name: c.display_name }), text: t("adm_reactivate_text"), button: t("adm_reactivate") },
    async () => {
      await S.api.post(`/v1/couriers/${c.id}/reactivate`);
      await reload();
      done(t("adm_reactivated", { name: c.display_name }));
    });
}

function erase(c) {
  confirmAct({ title: t("adm_erase_title", { name: c.display_name }), text: t("adm_erase_text"), button: t("adm_erase"), reason: true, typeName: c.display_name },
    async (reason) => {
      const r = await S.api.post(`/v1/couriers/${c.id}/erase`, { reason });
      await reload();
      done(t("adm_erased_done", { name: c.display_name, label: courierLabel(c.id, r.display_name) }));
    });
}

function rotate(c) {
  confirmAct({ title: t("adm_rotate_title", { name: c.name }), text: t("adm_rotate_text"), button: t("adm_rotate") },
    async () => {
      const r = await S.api.post(`/v1/clients/${c.id}/key/rotate`);
      await reload();
      showSecret(t("adm_new_key", { name: c.name }), r.api_key);
      done(t("adm_rotated", { name: c.name }));
    });
}

function revokeKey(c) {
  confirmAct({ title: t("adm_revoke_title", { name: c.name }), text: t("adm_revoke_text"), button: t("adm_revoke") },
    async () => {
      await S.api.post(`/v1/clients/${c.id}/key/revoke`);
      await reload();
      done(t("adm_revoked", { name: c.name }));
    });
}

function revokeLogin(m) {
  confirmAct({ title: t("adm_revoke_login_title", { name: m.name }), text: t("adm_revoke_login_text"), button: t("adm_revoke_login") },
    async () => {
      await S.api.post("/v1/members/revoke-login", { login: m.login });
      await reload();
      done(t("adm_login_revoked_done", { name: m.name }));
    });
}

function resetPassword(m) {
  confirmAct({ title: t("adm_reset_title", { name: m.name }), text: t("adm_reset_text"), button: t("adm_reset") },
    async () => {
      const r = await S.api.post("/v1/members/reset-password", { login: m.login });
      await reload();
      showSecret(t("adm_new_password", { name: m.name, login: m.login }), r.password);
      done(t("adm_reset_done", { name: m.name }));
    });
}

// What the form changes, as PATCH /v1/cooperative/settings takes it; only what differs is sent.
function settingsChange(f) {
  const s = S.settings;
  const weight = decimal(f.fairness_weight.value);
  const budgetText = f.riding_budget.value.trim();
  const budget = budgetText === "" ? null : Math.round(decimal(budgetText) * 10) / 1000;
  const tariff = {
    currency: f.currency.value.trim().toUpperCase(),
    base_cents: Math.round(decimal(f.base.value) * 100),
    distance_bands_km: parseBands(f.distance_bands.value, "adm_per_km"),
    weight_bands_kg: parseBands(f.weight_bands.value, "adm_per_kg"),
    express_percent: Math.round(decimal(f.express_percent.value)),
    solidarity_percent: Math.round(decimal(f.solidarity_percent.value)),
  };
  const change = {};
  if (weight !== s.fairness_weight) change.fairness_weight = weight;
  if (budget !== (s.fairness_riding_budget ?? null)) change.fairness_riding_budget = budget;
  const changed = Object.fromEntries(Object.entries(tariff).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(s.tariff[k])));
  if (Object.keys(changed).length) change.tariff = changed;
  return change;
}

async function saveSettings(e) {
  e.preventDefault();
  let change;
  try { change = settingsChange(e.target); } catch (err) { say(err); return; }
  if (!Object.keys(change).length) { done(t("adm_nothing_changed")); return; }
  try {
    const r = await S.api.request("PATCH", "/v1/cooperative/settings", change);
    await reload();
    done(t("adm_settings_saved", { what: r.changed.map((k) => t(`adm_set_${k}`)).join(", ") }));
  } catch (err) { say(err); }
}

// ------------------------------------------------------------------ the admin log
function who(act) {
  if (act.who.kind === "dispatcher") return act.who.name || t("adm_someone");
  if (act.who.kind === "admin") return t("adm_by_operator", { id: act.who.id || "" });
  return t("adm_by_system", { id: act.who.id || "" });
}

function changeWords(changes) {
  return Object.entries(changes).map(([key, { from, to }]) => {
    if (key !== "tariff") return t("adm_from_to", { what: t(`adm_set_${key}`), from: from ?? "—", to: to ?? "—" });
    const keys = Object.keys(to || {}).filter((k) => JSON.stringify(to[k]) !== JSON.stringify(from?.[k]));
    return `${t("adm_set_tariff")} (${keys.map((k) => t(`adm_tariff_${k}`)).join(", ")})`;
  }).join("; ");
}

function actWords(act) {
  const w = act.what;
  const vars = { who: who(act), courier: w.courier_id ? courierName(w.courier_id) : "", client: w.client_id ? clientName(w.client_id) : "",
    member: w.member_id ? memberName(w.member_id) : "", changes: w.changes ? changeWords(w.changes) : "" };
  const key = `adm_did_${act.type}`;
  const text = t(key, vars);
  return text === key ? t("adm_did_other", { ...vars, type: act.type }) : text;
}

// A reason is a person's words, or a code the server said in the page's language (its `text`:
// a restore's "erased again"), never shown as an object.
function reasonWords(reason) { return typeof reason === "object" ? reason.text ?? reason.code : reason; }

function renderLog(acts) {
  const when = (iso) => new Date(iso).toLocaleString(language(), { dateStyle: "short", timeStyle: "short" });
  $("#admin-log").replaceChildren(...(acts.length ? acts.map((a) => el("li", { "data-type": a.type, "data-seq": String(a.seq) },
    el("time", { dateTime: a.at }, when(a.at)), actWords(a),
    ...(a.what.reason ? [el("span", { class: "why" }, ` — ${t("adm_why", { reason: reasonWords(a.what.reason) })}`)] : []))) : [el("li", { class: "note" }, t("adm_log_empty"))]));
}

// ------------------------------------------------------------------ loading
async function reload() {
  const [couriers, clients, members, settings, log] = await Promise.all([
    S.api.get("/v1/couriers"), S.api.get("/v1/clients"), S.api.get("/v1/members"),
    S.api.get("/v1/cooperative/settings"), S.api.get("/v1/admin/log?limit=100"),
  ]);
  Object.assign(S, { couriers: couriers.couriers, clients: clients.clients, members: members.members, settings });
  renderCouriers();
  renderClients();
  renderMembers();
  renderSettings();
  renderLog(log.acts);
}

// The console's log-in is this page's: without a session, log in there and come back.
async function main() {
  document.documentElement.lang = language();
  translatePage();
  $("#settings").addEventListener("submit", saveSettings);
  $("#secret-hide").addEventListener("click", () => { $("#secret").textContent = ""; $("#secret-panel").hidden = true; });
  const saved = JSON.parse(sessionStorage.getItem("tandem.session") || "null");
  if (!saved) { location.replace("./"); return; }
  S.api = new Api(saved.token);
  $("#admin-app").hidden = false;
  try {
    await reload();
    S.ready = true;
  } catch (err) { say(err); }
}

main();
