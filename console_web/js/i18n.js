// Interface text in English and French. The planner's reasons are codes with parameters: their
// words come from the server's catalogue (GET /v1/reasons, loadReasons) and are said here (sayReason).
const TEXT = {
  en: {
    language: "Language", shortcuts: "Shortcuts", log_out: "Log out", the_week: "The week", log_in_title: "Dispatcher log-in",
    cooperative_id: "Cooperative (short name or id)", login: "Login", password: "Password", log_in: "Log in",
    // the admin page (admin.html, js/admin.js: issue 16's lifecycle acts and the admin log)
    adm_link: "Administration", adm_title: "Administration: couriers, keys, logins, settings", adm_back: "Back to the console",
    adm_secret_once: "Shown once: copy it now and give it to its owner. Tandem keeps only a hash of it.", adm_secret_hide: "I have copied it",
    adm_couriers: "Couriers", adm_couriers_note: "Deactivating keeps a courier's history and gives them no new work; erasing removes their personal data for good.",
    adm_name: "Name", adm_vehicle: "Vehicle", adm_state: "State", adm_clients: "Clients and their API keys", adm_key: "Key",
    adm_members: "Dispatchers and analysts", adm_role: "Role", adm_settings: "Fairness and tariff",
    adm_fairness_weight: "Fairness weight (0 = shortest riding only)", adm_riding_budget: "Riding budget (% of riding added at most to share the work; empty: no bound)",
    adm_currency: "Currency (3 letters, e.g. EUR)", adm_base_fare: "Base fare", adm_per_km: "Price by distance (km)", adm_per_kg: "Price by weight (kg)",
    adm_urgency: "Urgency surcharge (%)", adm_solidarity: "Solidarity rate (% paid by solidarity clients)",
    adm_bands_note: "Prices by distance and weight are bands: “up to : price” separated by semicolons, the last one “inf”, e.g. 2:0; 5:3.00; inf:9.00.",
    adm_save: "Save the settings", adm_log: "Admin log", adm_log_note: "Every admin act, newest first: who, when and what. Every member of the cooperative sees it.",
    adm_reason: "Why (kept in the log for dispatchers and analysts)", adm_cancel: "Cancel",
    adm_bad_bands: "{field}: “{part}” is not a band; write “up to : price”, e.g. 5:3.00.", adm_bands_open: "{field}: the last band must be “inf” (everything beyond).",
    adm_session_ended: "Your session ended: log in again on the console.", adm_not_allowed: "Only a dispatcher may do this.",
    adm_offline: "The server cannot be reached; nothing was changed. Try again.", adm_type_name: "Type {name} to confirm",
    adm_reason_needed: "Say why: the log keeps it.", adm_erased: "erased", adm_active: "active", adm_inactive: "deactivated",
    adm_deactivate: "Deactivate", adm_reactivate: "Reactivate", adm_erase: "Erase personal data", adm_key_revoked: "revoked", adm_key_valid: "valid",
    adm_rotate: "New key", adm_revoke: "Revoke key", adm_reset: "New password", adm_revoke_login: "Revoke login",
    adm_role_dispatcher: "dispatcher", adm_role_analyst: "analyst", adm_login_revoked: "revoked", adm_login_valid: "can log in",
    adm_deactivate_title: "Deactivate {name}?", adm_deactivate_text: "They get no new work and cannot log in; their jobs not yet picked up go back to the queue, their shift ends. Their history stays; you can reactivate them.",
    adm_deactivated: "{name} is deactivated; {n} job(s) back in the queue.",
    adm_reactivate_title: "Reactivate {name}?", adm_reactivate_text: "They can log in again and are planned for once on shift.", adm_reactivated: "{name} is active again.",
    adm_erase_title: "Erase the personal data of {name}?", adm_erase_text: "This cannot be undone. Their name becomes a neutral label; their contact, login, positions and their own words in the log are removed. Jobs done and minutes worked stay under their id.",
    adm_erased_done: "{name}'s personal data is erased: now “{label}”.",
    adm_rotate_title: "Give {name} a new API key?", adm_rotate_text: "Their current key stops working at once (within 2 s on every worker). The new key is shown once.",
    adm_new_key: "The new API key of {name}", adm_rotated: "{name} has a new key; the old one is refused.",
    adm_revoke_title: "Revoke the API key of {name}?", adm_revoke_text: "Their key is refused from now on; their deliveries stay. A new key lets them in again.",
    adm_revoked: "The key of {name} is revoked.",
    adm_revoke_login_title: "Revoke the login of {name}?", adm_revoke_login_text: "Their sessions end now and their login is refused; a new password reinstates it.",
    adm_login_revoked_done: "{name} can no longer log in.",
    adm_reset_title: "Give {name} a new password?", adm_reset_text: "Their current password and sessions stop working; a revoked login is reinstated. The new password is shown once.",
    adm_new_password: "The new password of {name} (login {login})", adm_reset_done: "{name} has a new password.",
    adm_nothing_changed: "Nothing to change.", adm_settings_saved: "Saved: {what}. The next quote and planning round use them.",
    adm_set_fairness_weight: "fairness weight", adm_set_fairness_riding_budget: "riding budget", adm_set_tariff: "tariff", adm_set_repricing: "repricing rule", adm_set_city: "city",
    adm_tariff_currency: "currency", adm_tariff_base_cents: "base fare", adm_tariff_distance_bands_km: "price by distance",
    adm_tariff_weight_bands_kg: "price by weight", adm_tariff_express_percent: "urgency", adm_tariff_solidarity_percent: "solidarity rate",
    adm_someone: "a dispatcher", adm_by_operator: "the operator ({id})", adm_by_system: "Tandem ({id})", adm_from_to: "{what} from {from} to {to}",
    adm_did_ClientKeyRevoked: "{who} revoked the API key of {client}", adm_did_ClientKeyRotated: "{who} gave {client} a new API key",
    adm_did_CourierDeactivated: "{who} deactivated {courier}", adm_did_CourierReactivated: "{who} reactivated {courier}",
    adm_did_CourierErased: "{who} erased the personal data of {courier}", adm_did_MemberLoginRevoked: "{who} revoked the login of {member}",
    adm_did_MemberPasswordReset: "{who} gave {member} a new password", adm_did_CooperativeSettingsChanged: "{who} changed {changes}",
    adm_did_ProofsPurged: "{who} deleted the proofs of delivery past their retention",
    adm_did_DeclineReasonsPurged: "{who} forgot the words of declines past their retention", adm_did_other: "{who}: {type}",
    adm_why: "why: {reason}", adm_log_empty: "No admin act yet.",
    open_jobs: "Open jobs", filter: "Filter by address or id", accept_all_visible: "Accept all visible",
    plan_now: "Ask for proposals", couriers_day: "Couriers' day",
    rotation_note: "(today's rotation: a neutral order, never a ranking)", fairness: "Fairness: the same view couriers see",
    courier: "Courier", worked: "Worked", shift: "Shift", heavy_kg: "Heavy kg carried",
    give_to: "Give to", reason: "Reason (optional unless forced)", force: "Do it anyway (breaks a physical limit)",
    cancel: "Cancel", confirm: "Confirm", close: "Close",
    key_next: "next job", key_prev: "previous job", key_accept: "accept the proposal", key_override: "give to another courier",
    key_unassign: "take back (unassign)", key_accept_all: "accept all visible proposals", key_filter: "filter the list",
    live: "live", reconnecting: "reconnecting…", offline: "offline",
    accept: "Accept", override: "Override", reassign: "Reassign", unassign: "Unassign",
    no_proposal: "No proposal yet", needs_decision: "Needs a decision: {reason}", eta_pickup: "pickup ~{t}", eta_dropoff: "drop-off ~{t}",
    extra: "+{m} min for {name}", override_title: "Give the job to another courier", reassign_title: "Move the job to another courier",
    cost_loading: "Working out what it costs…", on_shift: "on shift", paused: "on a pause", off_shift: "off shift",
    // the override dialog's table, every courier side by side in rotation order (issue 17, item 4)
    opt_courier: "Courier", opt_shift: "Shift", opt_load: "Load / capacity", opt_cost: "What it costs",
    load_l: "{l} / {cap} L", with_job: "{kg} kg with it", opt_proposed: "proposed",
    choose_courier: "Choose a courier in the table first.",
    shift_end: "until {t}", declined: "declined: {reason}", fairness_weight: "Fairness weight set by the members: {w}",
    conflict: "{who} already {act} {job}. The list shows it as it is now.",
    accepted_n: "{n} proposals accepted.", nothing_visible: "No proposal to accept in the visible list",
    map_unavailable: "The map needs WebGL, which this browser does not offer; everything else works.",
    state_requested: "requested", state_proposed: "proposed", state_declined: "declined", state_unassigned: "unassigned",
    state_assigned: "assigned", state_acknowledged: "acknowledged", state_picked_up: "picked up", state_delivered: "delivered",
    state_failed: "failed", state_cancelled: "cancelled", load: "load {kg} / {cap} kg", done: "done",
    planning_asked: "Planning round asked", login_failed: "Unknown login or wrong password",
    courier_log_in: "Courier log-in", start_shift: "Start shift", pause_shift: "Pause", resume_shift: "Resume",
    end_shift: "End shift", my_jobs: "My jobs", no_jobs: "No job for now.", acknowledge: "OK, I take it",
    decline: "Decline", picked_up: "Picked up", delivered: "Delivered", could_not: "Could not deliver",
    no_penalty: "Declining carries no penalty: it is only passed on to dispatch, with your reason.",
    decline_title: "Why decline?", fail_title: "What happened?", other_reason: "Other (say it):",
    send: "Send", waiting_to_send: "Waiting to send: {n}", all_sent: "Everything is sent.",
    my_day_title: "My day", eta_pending: "ETA at the next plan", open_in_maps: "Open the {kind} in maps",
    done_acknowledge: "Taken: pick up at {pickup}.", done_picked_up: "Picked up at {pickup}: on to {dropoff}.",
    done_delivered: "Delivered to {dropoff}. Dispatch knows.", done_failed: "Reported: {dropoff} could not be delivered. Dispatch knows.",
    done_decline: "Declined: {pickup} → {dropoff} goes back to dispatch with your reason, no penalty.",
    done_shift_start: "Shift started.", done_shift_pause: "On a pause.", done_shift_resume: "Back on shift.", done_shift_end: "Shift ended. Position sharing is off.",
    saved_offline: "Kept on the phone, sent when the connection is back: {what}", act_refused: "Not recorded: {what} ({why})",
    proof_title: "Proof of delivery", proof_asks: "This drop-off asks for: {what}.", proof_photo: "Photo of the parcel delivered",
    proof_signature: "Recipient's signature (draw with a finger)", proof_clear: "Clear the signature", proof_name: "Recipient's name",
    proof_code: "Code the recipient shows", proof_missing: "Still needed: {what}.", proof_kind_photo: "a photo",
    proof_kind_signature: "a signature", proof_kind_name: "the recipient's name", proof_kind_code: "the recipient's code",
    proof_reading: "Preparing the photo…", proof_unreadable: "This photo cannot be read; take it again.",
    proof_unsaved: "The phone is full: this act is kept only until the page is closed.",
    position_needs_shift: "Possible only on shift, with a job in hand.", end_title: "End your shift?",
    end_with_jobs: "You still have {n} job(s) in hand. They stay yours until you deliver them or dispatch takes them back: tell dispatch if you cannot finish them.",
    keep_shift: "Keep my shift", end_anyway: "End shift anyway",
    our_day: "Our day (the same view as dispatch)", my_data: "My data", download_my_data: "Download my data",
    share_position: "Share my position", position_note: "Off by default. Only while you have a job in hand: your position goes to your cooperative's dispatchers every 30 seconds and stops when the job ends or you switch it off. Each position is deleted after {h} hours.",
    route: "My route", route_stop: "{kind} ~{t}: {place}", route_stop_pending: "{kind} (ETA at the next plan): {place}",
    position_needs_job: "Possible only with a job in hand.", next_leg: "Next leg", taken_back: "Dispatch took a job back.",
    pickup: "Pickup", dropoff: "Drop-off", window: "{a}–{b}", parcels: "Parcels", heavy: "heavy", bulky: "bulky", long: "long",
    r_heavy: "Too heavy for me today", r_bike: "Bike problem / flat tyre", r_far: "Too far for my shift", r_personal: "Personal reason",
    r_nobody: "Nobody there", r_address: "Address not found", r_damaged: "Parcel damaged", my_days: "My days",
    state_local: "{s} (waiting to send)",
    key_reasons: "show or hide the reasons", why: "Why", give: "Give to…", closes_in: "{m}", late_by: "late {m}",
    closes_at: "pickup window closes at {t}", declined_by: "{name} declined: {reason}",
    taken_back_waiting: "taken back: waiting for a proposal", count_decide: "to decide {n}",
    window_pickup: "pickup", window_dropoff: "drop-off", declined_by_title: "declined by {name}", head_closes: "Closes", head_job: "Job", head_load: "Load", head_outlook: "Proposed to",
    key_undo: "undo the last accept all (for a few seconds)", key_escape: "leave a field: back to the list",
    // key names in the shortcuts dialog, and the words that carry their own colon (French puts a
    // space before it: each language punctuates its own way) (issue 17)
    key_shift: "Shift", key_enter: "Enter", key_esc: "Esc",
    proposal_is: "Proposal:", window_pickup_is: "pickup: {a}–{b}", window_dropoff_is: "drop-off: {a}–{b}",
    declined_by_why: "declined by {name}: {reason}", proof_open_kind: "{kind}: open in full size",
    skip_to_lanes: "Skip to the couriers' lanes", map_label: "Map", map_marker: "Shared position",
    map_attribution: "Show or hide the map's credits",
    undo: "Undo (z)", accept_n: "Accept {n}", ask_accept_all: "Accept all {n} proposals in the list?",
    ask_accept_filtered: "Accept the {n} proposals shown by the filter “{filter}”?",
    position_age: "position shared {m} ago", vehicle_bike: "bike", vehicle_cargo_bike: "cargo bike", vehicle_e_cargo_bike: "e-cargo bike",
    route_colour: "the look (colour, dashes) of this courier's route on the map", off_shift_with_jobs: "off shift with {n} job(s) in hand", now: "now",
    // the map's legend and a shared position's label (issue 17, item 5)
    map_legend: "Routes (colour = lane)", position_on_map: "{name} · {m} ago", legend_path: "the selected job's path",
    legend_approach: "from a shared position to the first stop",
    // forcing an override past a physical limit: a second, deliberate step in the dialog
    force_past: "Force past this limit ({limit})", force_past_plain: "Force past this limit",
    limit_over_payload: "payload", limit_over_volume: "volume", limit_over_length: "length",
    limit_not_on_shift: "not on shift", limit_courier_paused: "on a pause",
    forcing_note: "Forcing past {name}'s limit ({limit}): say why in the reason, then Confirm.",
    forcing_note_plain: "Forcing past what stops {name}: say why in the reason, then Confirm.",
    force_needs_reason: "Say why you force past the limit: the log keeps it.",
    former_courier: "Former courier {ref}",
    force_first: "{name} cannot take it as it is: use “Force past this limit” on their line first.",
    limit_broken: "{name} cannot take it:", conflict_short: "{who} just {act} {job}.", dialog_closed: "Nothing was changed by you.",
    cost_again: "The cost below is worked out again.", already_with: "{job} is already with {name}.",
    of_planned: "of {m} planned", worked_share: "worked {p} % of the shift so far",
    shift_since_unknown: "on shift since a time this page could not read: at least this",
    // the ledger's week view (issue 23): rolling 7 and 28 days, the same for everyone (ledger.js)
    ledger_span: "Span of the fairness ledger", span_today: "Today", span_7: "Last 7 days", span_28: "Last 28 days",
    span_note: "{first} to {last}: the sum of each day of the ledger; a shift still running counts when it pauses or ends.",
    days_on_shift: "Days on shift", span_failed: "Could not read the ledger: {why}",
    refused_by: "{who} already {act} {job}.", refused_state: "{job} is {state} now.", state_gone: "gone",
    refused_more: "{n} more changed meanwhile and were not accepted.", refused_look: "The list shows them as they are now.", undone_n: "Undone: {n} taken back to the open jobs.",
    ask_unassign: "Take {job} back from {name}? It goes back to the open jobs and {name} is told.",
    unassigned_done: "{job} taken back from {name}: it is in the open jobs again.",
    nothing_to_take_back: "{job} is not with any courier: there is nothing to take back.",
    nothing_to_accept: "{job} has no proposal to accept.",
    already_picked_up: "{name} has already picked up {job}: it can no longer be taken back.",
    verb_accept: "accept", verb_override: "give", verb_reassign: "move", verb_unassign: "take back",
    err_network: "The server did not answer: {job} was not changed ({act}). Try again.",
    err_network_all: "The server did not answer: nothing was accepted. Try again.",
    err_gone: "{job} no longer exists.", err_state: "{job} is {state} now: it cannot be {act}.",
    err_other: "Could not {act} {job}: {why}",
    actor_dispatcher: "Another dispatcher", actor_courier: "The courier", actor_system: "The planner",
    actor_client: "The client", actor_admin: "An administrator", actor_someone: "Someone",
    did_ProposalAccepted: "accepted", did_JobOverridden: "assigned", did_JobReassigned: "moved",
    did_JobUnassigned: "took back", did_CourierAcknowledged: "took on", did_CourierDeclined: "declined",
    did_PickedUp: "picked up", did_Delivered: "delivered", did_DeliveryFailed: "reported a failed delivery of",
    did_JobCancelled: "cancelled", did_ProposalMade: "made a new proposal for", did_ProposalWithheld: "could not propose",
    did_ParcelReweighed: "weighed again", did_CourierDeactivated: "deactivated", did_CourierReactivated: "reactivated", did_CourierErased: "erased their personal data",
    did_ProofsPurged: "deleted proofs of delivery past the retention",
    did_DeclineReasonsPurged: "forgot the words of declines past the retention",
    did_other: "changed",
    hide_off_shift: "Hide off-shift couriers", hidden_off_shift: "{n} off shift hidden (they come back when their shift starts)",
    break_planned: "break {m} min", break_planned_title: "Break {from}–{to}, where the latest plan takes it: every ETA after it includes it",
    break_window: "break {m} min", break_window_title: "A break of {m} min to take between {from} and {to} (not placed by a plan yet)",
    proof_link: "Proof", proof_link_title: "See the proof of delivery of {job}", proof_loading: "Loading the proof…",
    proof_needed: "Asked for at the door: {what}.", proof_recipient: "Received by {name}", proof_code_checked: "The recipient's code was checked.",
    proof_file_photo: "Photo", proof_file_signature: "Signature", proof_purged: "{kind}: deleted after the retention period.",
    proof_none: "No proof was given for this delivery.", proof_failed: "Could not load the proof: {why}",

  },
  fr: {
    language: "Langue", shortcuts: "Raccourcis", log_out: "Se déconnecter", the_week: "La semaine", log_in_title: "Connexion dispatch",
    cooperative_id: "Coopérative (nom court ou identifiant)", login: "Identifiant", password: "Mot de passe", log_in: "Se connecter",
    // la page d'administration (admin.html, js/admin.js)
    adm_link: "Administration", adm_title: "Administration : coursier·es, clés, identifiants, réglages", adm_back: "Retour à la console",
    adm_secret_once: "Affiché une seule fois : copiez-le maintenant et remettez-le à qui de droit. Tandem n'en garde qu'une empreinte.", adm_secret_hide: "Je l'ai copié",
    adm_couriers: "Coursier·es", adm_couriers_note: "Désactiver garde l'historique et ne donne plus de travail ; effacer supprime définitivement les données personnelles.",
    adm_name: "Nom", adm_vehicle: "Véhicule", adm_state: "État", adm_clients: "Clients et leurs clés d'API", adm_key: "Clé",
    adm_members: "Répartiteurs et analystes", adm_role: "Rôle", adm_settings: "Équité et tarif",
    adm_fairness_weight: "Poids de l'équité (0 = le plus court trajet seulement)", adm_riding_budget: "Budget de trajet (% de trajet ajouté au plus pour partager le travail ; vide : sans limite)",
    adm_currency: "Devise (3 lettres, p. ex. EUR)", adm_base_fare: "Prise en charge", adm_per_km: "Prix selon la distance (km)", adm_per_kg: "Prix selon le poids (kg)",
    adm_urgency: "Supplément urgence (%)", adm_solidarity: "Taux solidaire (% payé par les clients solidaires)",
    adm_bands_note: "Les prix selon la distance et le poids sont des tranches « jusqu'à : prix » séparées par des points-virgules, la dernière « inf », p. ex. 2:0; 5:3,00; inf:9,00.",
    adm_save: "Enregistrer les réglages", adm_log: "Journal d'administration", adm_log_note: "Chaque acte d'administration, du plus récent au plus ancien : qui, quand, quoi. Chaque membre de la coopérative le voit.",
    adm_reason: "Pourquoi (gardé au journal pour les répartiteurs et les analystes)", adm_cancel: "Annuler",
    adm_bad_bands: "{field} : « {part} » n'est pas une tranche ; écrivez « jusqu'à : prix », p. ex. 5:3,00.", adm_bands_open: "{field} : la dernière tranche doit être « inf » (tout au-delà).",
    adm_session_ended: "Votre session a pris fin : reconnectez-vous sur la console.", adm_not_allowed: "Seul·e un·e répartiteur·ice peut faire cela.",
    adm_offline: "Le serveur est injoignable ; rien n'a changé. Réessayez.", adm_type_name: "Tapez {name} pour confirmer",
    adm_reason_needed: "Dites pourquoi : le journal le garde.", adm_erased: "effacé·e", adm_active: "actif·ve", adm_inactive: "désactivé·e",
    adm_deactivate: "Désactiver", adm_reactivate: "Réactiver", adm_erase: "Effacer les données personnelles", adm_key_revoked: "révoquée", adm_key_valid: "valide",
    adm_rotate: "Nouvelle clé", adm_revoke: "Révoquer la clé", adm_reset: "Nouveau mot de passe", adm_revoke_login: "Révoquer l'identifiant",
    adm_role_dispatcher: "répartiteur·ice", adm_role_analyst: "analyste", adm_login_revoked: "révoqué", adm_login_valid: "peut se connecter",
    adm_deactivate_title: "Désactiver {name} ?", adm_deactivate_text: "Plus de nouveau travail ni de connexion ; ses courses pas encore prises en charge retournent dans la file, son service prend fin. Son historique reste ; vous pourrez la ou le réactiver.",
    adm_deactivated: "{name} est désactivé·e ; {n} course(s) de retour dans la file.",
    adm_reactivate_title: "Réactiver {name} ?", adm_reactivate_text: "Peut de nouveau se connecter et être planifié·e une fois en service.", adm_reactivated: "{name} est de nouveau actif·ve.",
    adm_erase_title: "Effacer les données personnelles de {name} ?", adm_erase_text: "C'est irréversible. Son nom devient une étiquette neutre ; son contact, son identifiant, ses positions et ses propres mots au journal sont supprimés. Les courses faites et les minutes travaillées restent sous son identifiant.",
    adm_erased_done: "Les données personnelles de {name} sont effacées : désormais « {label} ».",
    adm_rotate_title: "Donner une nouvelle clé d'API à {name} ?", adm_rotate_text: "Sa clé actuelle cesse de fonctionner aussitôt (en 2 s sur chaque processus). La nouvelle clé n'est affichée qu'une fois.",
    adm_new_key: "La nouvelle clé d'API de {name}", adm_rotated: "{name} a une nouvelle clé ; l'ancienne est refusée.",
    adm_revoke_title: "Révoquer la clé d'API de {name} ?", adm_revoke_text: "Sa clé est refusée dès maintenant ; ses livraisons restent. Une nouvelle clé lui rouvre l'accès.",
    adm_revoked: "La clé de {name} est révoquée.",
    adm_revoke_login_title: "Révoquer l'identifiant de {name} ?", adm_revoke_login_text: "Ses sessions prennent fin maintenant et son identifiant est refusé ; un nouveau mot de passe le rétablit.",
    adm_login_revoked_done: "{name} ne peut plus se connecter.",
    adm_reset_title: "Donner un nouveau mot de passe à {name} ?", adm_reset_text: "Son mot de passe et ses sessions actuels cessent de fonctionner ; un identifiant révoqué est rétabli. Le nouveau mot de passe n'est affiché qu'une fois.",
    adm_new_password: "Le nouveau mot de passe de {name} (identifiant {login})", adm_reset_done: "{name} a un nouveau mot de passe.",
    adm_nothing_changed: "Rien à changer.", adm_settings_saved: "Enregistré : {what}. Le prochain devis et la prochaine planification en tiennent compte.",
    adm_set_fairness_weight: "poids de l'équité", adm_set_fairness_riding_budget: "budget de trajet", adm_set_tariff: "tarif", adm_set_repricing: "règle de nouveau devis", adm_set_city: "ville",
    adm_tariff_currency: "devise", adm_tariff_base_cents: "prise en charge", adm_tariff_distance_bands_km: "prix selon la distance",
    adm_tariff_weight_bands_kg: "prix selon le poids", adm_tariff_express_percent: "urgence", adm_tariff_solidarity_percent: "taux solidaire",
    adm_someone: "un·e répartiteur·ice", adm_by_operator: "l'opérateur ({id})", adm_by_system: "Tandem ({id})", adm_from_to: "{what} de {from} à {to}",
    adm_did_ClientKeyRevoked: "{who} a révoqué la clé d'API de {client}", adm_did_ClientKeyRotated: "{who} a donné une nouvelle clé d'API à {client}",
    adm_did_CourierDeactivated: "{who} a désactivé {courier}", adm_did_CourierReactivated: "{who} a réactivé {courier}",
    adm_did_CourierErased: "{who} a effacé les données personnelles de {courier}", adm_did_MemberLoginRevoked: "{who} a révoqué l'identifiant de {member}",
    adm_did_MemberPasswordReset: "{who} a donné un nouveau mot de passe à {member}", adm_did_CooperativeSettingsChanged: "{who} a modifié : {changes}",
    adm_did_ProofsPurged: "{who} a supprimé les preuves de livraison après leur durée de conservation",
    adm_did_DeclineReasonsPurged: "{who} a effacé les motifs de refus après leur durée de conservation", adm_did_other: "{who} : {type}",
    adm_why: "pourquoi : {reason}", adm_log_empty: "Aucun acte d'administration pour l'instant.",
    open_jobs: "Courses ouvertes", filter: "Filtrer par adresse ou identifiant", accept_all_visible: "Tout accepter (visibles)",
    plan_now: "Demander des propositions", couriers_day: "Journée des coursier·es",
    rotation_note: "(rotation du jour : un ordre neutre, jamais un classement)", fairness: "Équité : la même vue que les coursier·es",
    courier: "Coursier·e", worked: "Travaillé", shift: "Service", heavy_kg: "Kg lourds portés",
    give_to: "Confier à", reason: "Raison (facultative sauf si forcé)", force: "Le faire quand même (dépasse une limite physique)",
    cancel: "Annuler", confirm: "Confirmer", close: "Fermer",
    key_next: "course suivante", key_prev: "course précédente", key_accept: "accepter la proposition", key_override: "confier à quelqu'un d'autre",
    key_unassign: "reprendre (désassigner)", key_accept_all: "accepter toutes les propositions visibles", key_filter: "filtrer la liste",
    live: "en direct", reconnecting: "reconnexion…", offline: "hors ligne",
    accept: "Accepter", override: "Confier à…", reassign: "Réassigner", unassign: "Reprendre",
    no_proposal: "Pas encore de proposition", needs_decision: "À décider par une personne : {reason}", eta_pickup: "retrait ~{t}", eta_dropoff: "livraison ~{t}",
    extra: "+{m} min pour {name}", override_title: "Confier la course à quelqu'un d'autre", reassign_title: "Déplacer la course",
    cost_loading: "Calcul du coût…", on_shift: "en service", paused: "en pause", off_shift: "hors service",
    // le tableau du dialogue « confier à » : chaque coursier côte à côte, dans l'ordre de rotation
    opt_courier: "Coursier·e", opt_shift: "Service", opt_load: "Charge / capacité", opt_cost: "Ce que ça coûte",
    load_l: "{l} / {cap} L", with_job: "{kg} kg avec elle", opt_proposed: "proposée",
    choose_courier: "Choisis d'abord un·e coursier·e dans le tableau.",
    shift_end: "jusqu'à {t}", declined: "a refusé : {reason}", fairness_weight: "Poids de l'équité fixé par les membres : {w}",
    conflict: "{who} a déjà {act} {job}. La liste la montre telle qu'elle est.",
    accepted_n: "{n} propositions acceptées.", nothing_visible: "Aucune proposition à accepter dans la liste visible",
    map_unavailable: "La carte demande WebGL, absent de ce navigateur ; tout le reste fonctionne.",
    state_requested: "demandée", state_proposed: "proposée", state_declined: "refusée", state_unassigned: "reprise",
    state_assigned: "assignée", state_acknowledged: "confirmée", state_picked_up: "retirée", state_delivered: "livrée",
    state_failed: "échec", state_cancelled: "annulée", load: "charge {kg} / {cap} kg", done: "terminée",
    planning_asked: "Tour de planification demandé", login_failed: "Identifiant inconnu ou mot de passe erroné",
    courier_log_in: "Connexion coursier·e", start_shift: "Commencer le service", pause_shift: "Pause", resume_shift: "Reprendre",
    end_shift: "Finir le service", my_jobs: "Mes courses", no_jobs: "Pas de course pour l'instant.", acknowledge: "OK, je la prends",
    decline: "Refuser", picked_up: "Retirée", delivered: "Livrée", could_not: "Livraison impossible",
    no_penalty: "Refuser n'entraîne aucune pénalité : c'est seulement transmis au dispatch, avec ta raison.",
    decline_title: "Pourquoi refuser ?", fail_title: "Que s'est-il passé ?", other_reason: "Autre (précise) :",
    send: "Envoyer", waiting_to_send: "En attente d'envoi : {n}", all_sent: "Tout est envoyé.",
    my_day_title: "Ma journée", eta_pending: "heure au prochain plan", open_in_maps: "Ouvrir le lieu de {kind} dans les cartes",
    done_acknowledge: "Prise : retrait à {pickup}.", done_picked_up: "Retirée à {pickup} : direction {dropoff}.",
    done_delivered: "Livrée à {dropoff}. Le dispatch est au courant.", done_failed: "Signalé : {dropoff} n'a pas pu être livrée. Le dispatch est au courant.",
    done_decline: "Refusée : {pickup} → {dropoff} retourne au dispatch avec ta raison, sans pénalité.",
    done_shift_start: "Service commencé.", done_shift_pause: "En pause.", done_shift_resume: "De retour en service.", done_shift_end: "Service terminé. Le partage de position est coupé.",
    saved_offline: "Gardé sur le téléphone, envoyé au retour de la connexion : {what}", act_refused: "Non enregistré : {what} ({why})",
    proof_title: "Preuve de livraison", proof_asks: "Cette livraison demande : {what}.", proof_photo: "Photo du colis livré",
    proof_signature: "Signature du destinataire (au doigt)", proof_clear: "Effacer la signature", proof_name: "Nom du destinataire",
    proof_code: "Code montré par le destinataire", proof_missing: "Il manque : {what}.", proof_kind_photo: "une photo",
    proof_kind_signature: "une signature", proof_kind_name: "le nom du destinataire", proof_kind_code: "le code du destinataire",
    proof_reading: "Préparation de la photo…", proof_unreadable: "Cette photo est illisible ; reprenez-la.",
    proof_unsaved: "Le téléphone est plein : cet acte n'est gardé que tant que la page reste ouverte.",
    position_needs_shift: "Possible seulement en service, avec une course en main.", end_title: "Finir ton service ?",
    end_with_jobs: "Tu as encore {n} course(s) en main. Elles restent à toi jusqu'à la livraison ou jusqu'à ce que le dispatch les reprenne : préviens le dispatch si tu ne peux pas les finir.",
    keep_shift: "Garder mon service", end_anyway: "Finir quand même",
    our_day: "Notre journée (la même vue que le dispatch)", my_data: "Mes données", download_my_data: "Télécharger mes données",
    share_position: "Partager ma position", position_note: "Désactivé par défaut. Seulement pendant une course en main : ta position va aux dispatchers de ta coopérative toutes les 30 secondes et s'arrête à la fin de la course ou quand tu le coupes. Chaque position est effacée après {h} heures.",
    route: "Mon parcours", route_stop: "{kind} ~{t} : {place}", route_stop_pending: "{kind} (heure au prochain plan) : {place}",
    position_needs_job: "Possible seulement avec une course en main.", next_leg: "Prochain trajet", taken_back: "Le dispatch a repris une course.",
    pickup: "Retrait", dropoff: "Livraison", window: "{a}–{b}", parcels: "Colis", heavy: "lourd", bulky: "encombrant", long: "long",
    r_heavy: "Trop lourd pour moi aujourd'hui", r_bike: "Problème de vélo / crevaison", r_far: "Trop loin pour mon service", r_personal: "Raison personnelle",
    r_nobody: "Personne sur place", r_address: "Adresse introuvable", r_damaged: "Colis abîmé", my_days: "Mes journées",
    state_local: "{s} (en attente d'envoi)",
    key_reasons: "afficher ou masquer les raisons", why: "Pourquoi", give: "Confier à…", closes_in: "{m}", late_by: "en retard de {m}",
    closes_at: "la fenêtre de retrait se ferme à {t}", declined_by: "refusée par {name} : {reason}",
    taken_back_waiting: "reprise : en attente d'une proposition", count_decide: "à décider {n}",
    window_pickup: "retrait", window_dropoff: "livraison", declined_by_title: "refusée par {name}", head_closes: "Ferme", head_job: "Course", head_load: "Charge", head_outlook: "Proposée à",
    key_undo: "annuler le dernier « tout accepter » (quelques secondes)", key_escape: "quitter un champ : retour à la liste",
    key_shift: "Maj", key_enter: "Entrée", key_esc: "Échap",
    proposal_is: "Proposition :", window_pickup_is: "retrait : {a}–{b}", window_dropoff_is: "livraison : {a}–{b}",
    declined_by_why: "refusée par {name} : {reason}", proof_open_kind: "{kind} : ouvrir en taille réelle",
    skip_to_lanes: "Aller aux lignes des coursier·es", map_label: "Carte", map_marker: "Position partagée",
    map_attribution: "Afficher ou masquer les crédits de la carte",
    undo: "Annuler (z)", accept_n: "Accepter {n}", ask_accept_all: "Accepter les {n} propositions de la liste ?",
    ask_accept_filtered: "Accepter les {n} propositions affichées par le filtre « {filter} » ?",
    position_age: "position partagée il y a {m}", vehicle_bike: "vélo", vehicle_cargo_bike: "vélo cargo", vehicle_e_cargo_bike: "vélo cargo électrique",
    route_colour: "l'aspect (couleur, tirets) du parcours de ce·tte coursier·e sur la carte", off_shift_with_jobs: "hors service avec {n} course(s) en main", now: "maintenant",
    // la légende de la carte et l'étiquette d'une position partagée (ticket 17, point 5)
    map_legend: "Parcours (couleur = ligne)", position_on_map: "{name} · il y a {m}", legend_path: "le trajet de la course choisie",
    legend_approach: "d'une position partagée au premier arrêt",
    force_past: "Forcer malgré cette limite ({limit})", force_past_plain: "Forcer malgré cette limite",
    limit_over_payload: "charge utile", limit_over_volume: "volume", limit_over_length: "longueur",
    limit_not_on_shift: "hors service", limit_courier_paused: "en pause",
    forcing_note: "Tu forces au-delà de la limite de {name} ({limit}) : dis pourquoi dans la raison, puis confirme.",
    forcing_note_plain: "Tu forces au-delà de ce qui arrête {name} : dis pourquoi dans la raison, puis confirme.",
    force_needs_reason: "Dis pourquoi tu forces au-delà de la limite : le journal le garde.",
    former_courier: "Ancien·ne coursier·e {ref}",
    force_first: "{name} ne peut pas la prendre telle quelle : utilise d'abord « Forcer malgré cette limite » sur sa ligne.",
    limit_broken: "{name} ne peut pas la prendre :", conflict_short: "{who} a {act} {job} à l'instant.", dialog_closed: "Tu n'as rien changé.",
    cost_again: "Le coût ci-dessous est recalculé.", already_with: "{job} est déjà chez {name}.",
    of_planned: "sur {m} prévues", worked_share: "travaillé {p} % du service jusqu'ici",
    shift_since_unknown: "en service depuis une heure que cette page n'a pas pu lire : au moins ceci",
    // la vue de la semaine du registre d'équité (ticket 23) : 7 et 28 jours glissants (ledger.js)
    ledger_span: "Période du registre d'équité", span_today: "Aujourd'hui", span_7: "7 derniers jours", span_28: "28 derniers jours",
    span_note: "Du {first} au {last} : la somme de chaque jour du registre ; un service en cours compte quand il s'interrompt ou finit.",
    days_on_shift: "Jours en service", span_failed: "Impossible de lire le registre : {why}",
    refused_by: "{who} a déjà {act} {job}.", refused_state: "{job} est {state} maintenant.", state_gone: "supprimée",
    refused_more: "{n} autres ont changé entre-temps et n'ont pas été acceptées.", refused_look: "La liste les montre telles qu'elles sont.", undone_n: "Annulé : {n} reprises dans les courses ouvertes.",
    ask_unassign: "Reprendre {job} à {name} ? La course revient dans les courses ouvertes et {name} est prévenu·e.",
    unassigned_done: "{job} reprise à {name} : elle est de nouveau dans les courses ouvertes.",
    nothing_to_take_back: "{job} n'est confiée à personne : rien à reprendre.",
    nothing_to_accept: "{job} n'a pas de proposition à accepter.",
    already_picked_up: "{name} a déjà retiré {job} : elle ne peut plus être reprise.",
    verb_accept: "accepter", verb_override: "confier", verb_reassign: "déplacer", verb_unassign: "reprendre",
    err_network: "Le serveur n'a pas répondu : {job} n'a pas changé ({act}). Réessaie.",
    err_network_all: "Le serveur n'a pas répondu : rien n'a été accepté. Réessaie.",
    err_gone: "{job} n'existe plus.", err_state: "{job} est {state} maintenant : impossible de la {act}.",
    err_other: "Impossible de {act} {job} : {why}",
    actor_dispatcher: "Un·e autre dispatcher", actor_courier: "Le·la coursier·e", actor_system: "Le planificateur",
    actor_client: "Le client", actor_admin: "Un·e administrateur·rice", actor_someone: "Quelqu'un",
    did_ProposalAccepted: "accepté", did_JobOverridden: "assigné", did_JobReassigned: "déplacé",
    did_JobUnassigned: "repris", did_CourierAcknowledged: "pris en charge", did_CourierDeclined: "refusé",
    did_PickedUp: "retiré", did_Delivered: "livré", did_DeliveryFailed: "signalé l'échec de",
    did_JobCancelled: "annulé", did_ProposalMade: "fait une nouvelle proposition pour", did_ProposalWithheld: "renoncé à proposer",
    did_ParcelReweighed: "repesé", did_CourierDeactivated: "désactivé", did_CourierReactivated: "réactivé", did_CourierErased: "effacé ses données personnelles",
    did_ProofsPurged: "supprimé les preuves de livraison après la durée de conservation",
    did_DeclineReasonsPurged: "effacé les motifs de refus après la durée de conservation",
    did_other: "modifié",
    hide_off_shift: "Masquer les coursier·es hors service",
    hidden_off_shift: "{n} hors service masqué·es (de retour au début de leur service)",
    break_planned: "pause {m} min", break_window: "pause {m} min",
    break_planned_title: "Pause {from}–{to}, là où le dernier plan la place : chaque heure prévue après elle en tient compte",
    break_window_title: "Une pause de {m} min à prendre entre {from} et {to} (pas encore placée par un plan)",
    proof_link: "Preuve", proof_loading: "Chargement de la preuve…", proof_link_title: "Voir la preuve de livraison de {job}",
    proof_needed: "Demandé à la livraison : {what}.", proof_recipient: "Reçu par {name}",
    proof_code_checked: "Le code du destinataire a été vérifié.", proof_file_photo: "Photo", proof_file_signature: "Signature",
    proof_purged: "{kind} : supprimée après la durée de conservation.",
    proof_none: "Aucune preuve n'a été donnée pour cette livraison.", proof_failed: "Impossible de charger la preuve : {why}",

  },
};

let lang = localStorage.getItem("tandem.lang") || (navigator.language || "en").slice(0, 2);
if (!TEXT[lang]) lang = "en";

export function t(key, vars = {}) {
  const text = TEXT[lang][key] ?? TEXT.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

export function language() { return lang; }

// A courier's name in the page's language: an erased courier's stored label is the English
// "Former courier <their id's first 8 characters>" (dispatch/store/erasure.py, and /v1/couriers
// and the ledger give it so), said here as the reader's language says it (api/i18n.py words it
// the same way); never their id whole.
export function courierLabel(id, name) {
  const ref = String(id || "").slice(0, 8);
  return name === `Former courier ${ref}` || name === TEXT.fr.former_courier.replace("{ref}", ref) ? t("former_courier", { ref }) : name;
}

export function setLanguage(next) {
  lang = TEXT[next] ? next : "en";
  localStorage.setItem("tandem.lang", lang);
  document.documentElement.lang = lang;
  translatePage();
}

export function translatePage() {
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
    el.placeholder = t(el.dataset.i18nPlaceholder);
    el.setAttribute("aria-label", t(el.dataset.i18nPlaceholder));
  });
  document.querySelectorAll("[data-i18n-label]").forEach((el) => { el.setAttribute("aria-label", t(el.dataset.i18nLabel)); });
}

// ------------------------------------------------------------------ the planner's reasons
// The server's catalogue: each code's parameters with their kinds, and its words per language.
let REASONS = null;

export async function loadReasons(api) {
  if (!REASONS) REASONS = await api.get("/v1/reasons");
  return REASONS;
}

function number(value, digits) {
  const text = digits == null ? String(Number(value)) : Number(value).toFixed(digits);
  return lang === "fr" ? text.replace(".", ",") : text;
}

// One parameter as the reader reads it (the same rules as api/i18n.py).
function param(kind, value, nameOf) {
  const words = REASONS.words[lang] || REASONS.words.en;
  switch (kind) {
    case "courier": return nameOf(value) || String(value);
    case "couriers": return (value || []).map((id) => nameOf(id) || String(id)).join(", ");
    case "vehicle": case "place": case "absence": case "weekday": return words[value] || String(value).replace(/_/g, " ");
    // a person's words, or a code said for them (a stop's absent_today)
    case "text": return value == null ? "" : typeof value === "object" ? sayReason(value, nameOf) : String(value);
    default: break;
  }
  if (value == null) return "?";
  if (kind === "share") return number(Math.round(Number(value) * 100), 0) + (lang === "fr" ? " %" : "%");
  if (kind === "minutes" || kind === "decimal") return number(value, 1);
  if (kind === "whole_minutes" || kind === "count") return number(value, 0);
  return number(value);
}

// A reason in the selected language: a code with parameters said from the catalogue, with
// courier names from ids (nameOf); an old event's plain text as it is.
export function sayReason(reason, nameOf = () => null) {
  if (reason == null) return "";
  if (typeof reason === "string") return reason;
  const kinds = REASONS?.codes?.[reason.code];
  const template = REASONS?.templates?.[lang]?.[reason.code] ?? REASONS?.templates?.en?.[reason.code];
  if (!kinds || !template) return reason.text || String(reason.code || "");
  return template.replace(/\{(\w+)\}/g, (_, name) => param(kinds[name], reason.params?.[name], nameOf));
}
