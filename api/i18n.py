"""Reasons in the reader's language: the planner's and the domain's codes (``routing/reasons.py``)
said in English or French, with courier names filled in from ids here, at the edge.

The API answers by ``Accept-Language`` (English by default), keeping the code for machines: a
reason is sent as ``{"code": ..., "params": {...}, "text": ...}``. Old events written before
reasons were data hold plain text: they are sent as they are. The console and the phone page
read the same words from ``GET /v1/reasons`` and say each reason in their selected language, so
that one catalogue serves every reader (``api/reasons.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Request

from dispatch.store import Store
from dispatch.store.erasure import erased_label
from routing.reasons import CODES, Kind, is_reason

LANGUAGES = ("en", "fr")
DEFAULT = "en"
_OBJECTIVE_EN = "by the plan's objective (riding, the day's shares, heavy loads, the end of shifts) it costs"
_OBJECTIVE_FR = "selon l'objectif du plan (trajet, parts de la journée, charges lourdes, fin des services), cela coûte"
_LEAST_EN = "the plan with the least riding found gives it to"
_LEAST_FR = "le plan au moindre trajet trouvé la confie à"

#: The words of every code, with ``{param}`` where its parameter goes (formatted by its kind).
TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "adds_minutes": "adds {minutes} min of riding and handling to {courier}'s route",
        "locked": "a dispatcher decided it (locked)",
        "on_board": "the parcel is already on board",
        "few_vehicles": "only {able} of {total} couriers' vehicles take {kg} kg, {litres} L, {cm} cm",
        "heavy_fewest": "heavy parcel: {courier} has carried the fewest heavy kilograms today ({kg} kg) "
        "among those who can carry it",
        "heavy_carried": "heavy parcel: {courier} has carried {kg} heavy kg today "
        "(fewest among those able: {fewest} kg)",
        "worked_share": "{courier} will have worked {share} of their shift (cooperative: {cooperative})",
        "not_compared": "other couriers were not compared: the round's time ran out",
        "hill_vehicle": "uphill with {kg} kg: by {vehicle} it takes {minutes} min less than by {other}",
        "cannot_fit": "cannot take it without breaking a window, its shift or its load",
        "sharing_moved": f"{_LEAST_EN} {{other}} ({{other_share}} of their shift worked in this plan); "
        "sharing the work may add at most {budget} riding to that plan",
        "sharing_kept": "kept with {courier} as proposed before, so that proposals do not change under people's "
        f"eyes ({_LEAST_EN} {{other}})",
        "sharing_shift_ends": f"{_LEAST_EN} {{other}}; sharing the work gives it to {{courier}}, whose shift ends in "
        "{minutes_left} min with less of it left to catch up ({expected} of their shift expected worked at the "
        "day's end, {other} {other_expected}); sharing may add at most {budget} riding to that plan",
        "sharing_fits_better": f"{_LEAST_EN} {{other}}; within the riding budget, it fits {{courier}}'s route better",
        "deferred": "not planned yet: the round's time ran out before this job was tried; the next round tries again",
        "fits_nowhere": "no courier can fit it in with the other jobs (windows, loads or shift)",
        "no_plan_locks": "no plan satisfies the locked decisions and the vehicles' limits",
        "no_plan_time": "the solver found no plan within the time budget",
        "no_plan_settings": "the solver refused its settings (an invalid model or search parameter)",
        "solver_stopped": "the solver stopped without a plan (status {status})",
        "no_courier_on_shift": "no courier is on shift",
        "too_heavy": "no vehicle on shift can carry {kg} kg",
        "too_bulky": "no vehicle on shift has room for {litres} L",
        "too_long": "no vehicle on shift takes a parcel {cm} cm long",
        "no_single_vehicle": "no single vehicle on shift can carry its weight, volume and length together",
        "all_declined": "every courier on shift who can carry it has declined it",
        "pickup_closes": "the pickup window closes before any courier can get there",
        "dropoff_closes": "the drop-off window closes before any courier can bring the parcel there",
        "shift_too_short": "no courier's shift lasts long enough to do it",
        "courier_off_shift": "its courier is not on shift",
        "too_far_from_street": "the {place} is too far from any street a {vehicle} can use",
        "unreadable_request": "its stored request cannot be planned (a value written before it was checked); "
        "cancel it and ask the client to send it again",
        "declined_again": "{courier} declined it earlier today; proposed again because nobody else on shift "
        "can carry it",
        "declined_by": "{couriers} declined it earlier today, so it goes to someone else",
        "heavier_than_declared": "{courier} found the parcels weigh {kg} kg, not the {declared} kg declared: "
        "more than their {vehicle} carries ({payload} kg, {on_board} kg already on board); back to dispatch",
        "bigger_than_declared": "{courier} found the parcels take {litres} L, the longest {cm} cm: more than "
        "their {vehicle} takes ({volume} L with {on_board} L already on board, {max_cm} cm); back to dispatch",
        "over_payload": "{kg} kg is over the {payload} kg payload of {courier}'s {vehicle}",
        "over_volume": "{litres} L is over the {volume} L of the vehicle",
        "over_length": "a {cm} cm parcel is longer than the {max_cm} cm the vehicle takes",
        "not_on_shift": "{courier} is not on shift",
        "courier_paused": "{courier} is on a pause",
        "override_adds": "adds {minutes} min to {courier}'s route",
        "proposal_added": "the proposal added {minutes} min",
        "objective_cost": f"{_OBJECTIVE_EN} {{minutes}} min",
        "objective_vs_proposal": f"{_OBJECTIVE_EN} {{minutes}} min, the proposal {{proposal}} min",
        "lateness_risk": "risks {minutes} min of lateness",
        "stopped_proposed": "proposed to {courier}, who had to stop ({why}): the next round proposes it to "
        "someone else",
        "stopped_on_board": "on board with {courier}, who had to stop ({why}): decide a handover or a return to "
        "the sender",
        "stopped_taken_back": "{courier} had to stop: {why}",
        "left_on_board": "on board with {courier}, who no longer works here ({why}): decide a handover or a return",
        "left_taken_back": "{courier} no longer works here",
        "erased_again": "erased on {day}; erased again after a restore brought back an older backup",
        "absent_today": "cannot come today (an absence recorded on the week's rota)",
        "rota_peak": "up to {expected} courier(s) expected at {peak}:00 in its hours",
        "rota_cargo": "a cargo bike is needed then",
        "rota_no_demand": "no demand expected: it makes up their contracted minimum",
        "rota_hours_left": "{courier} works {hours} h this week of {min_h}-{max_h} h contracted, {left} h left",
        "rota_hours_full": "{courier} works {hours} h this week of {min_h}-{max_h} h contracted, the most they "
        "agreed to",
        "rota_added": "added by a dispatcher",
        "rota_moved": "moved by a dispatcher (was {courier} {day} {start_h}-{end_h} h)",
        "rota_swapped": "swapped: asked by a colleague, confirmed by a dispatcher",
        "rota_swapped_because": "swapped: asked by a colleague, confirmed by a dispatcher ({why})",
        "rota_covers_for": "covers for {courier} ({absence}), picked by a dispatcher",
        "rota_covers_colleague": "covers for {courier}, picked by a dispatcher",
        "cover_counts": "covered {covered} time(s) in the last {days} days; {left_h} h left on their contract "
        "this week",
        "cover_not_available": "not available then",
        "cover_same_day": "already on a shift that day",
        "cover_short_rest": "would rest {rest} h (at least {rest_h} h)",
        "cover_over_max": "would work {hours} h this week (contract: at most {max_h} h)",
        "no_jobs_seen": "no job requested at this hour in the last weeks",
        "forecast_hour": "{jobs} jobs to pick up on {weekday}s {hour}:00-{end_h}:00 over the last {weeks} week(s): "
        "{mean} a week; at {pace} jobs per courier-hour ({pace_from}), {couriers} courier(s)",
        "forecast_pace_seen": "{delivered} deliveries in {hours} worked hours",
        "forecast_pace_assumed": "no delivery in the log yet: {pace} jobs an hour assumed",
        "forecast_note": "mean of the last {weeks} week(s); pace: {pace_from}",
        "quote_base": "base fare",
        "quote_distance": "distance {km} km (band over {over} km)",
        "quote_weight": "weight {kg} kg (band over {over} kg)",
        "quote_express": "express +{percent} %",
        "quote_solidarity": "solidarity tariff -{percent} %",
    },
    "fr": {
        "adds_minutes": "ajoute {minutes} min de trajet et de manutention à la tournée de {courier}",
        "locked": "une personne de la répartition l'a décidé (verrouillée)",
        "on_board": "le colis est déjà à bord",
        "few_vehicles": "seuls {able} véhicules sur {total} prennent {kg} kg, {litres} L, {cm} cm",
        "heavy_fewest": "colis lourd : {courier} a porté le moins de kilos lourds aujourd'hui ({kg} kg) "
        "parmi celles et ceux qui peuvent le porter",
        "heavy_carried": "colis lourd : {courier} a porté {kg} kg lourds aujourd'hui "
        "(le moins parmi celles et ceux qui le peuvent : {fewest} kg)",
        "worked_share": "{courier} aura travaillé {share} de son service (coopérative : {cooperative})",
        "not_compared": "les autres coursier·es n'ont pas été comparé·es : le temps du tour de planification "
        "est écoulé",
        "hill_vehicle": "en montée avec {kg} kg : en {vehicle}, le trajet prend {minutes} min de moins qu'en {other}",
        "cannot_fit": "ne peut pas la prendre sans manquer une fenêtre, dépasser son service ou sa charge",
        "sharing_moved": f"{_LEAST_FR} {{other}} ({{other_share}} de son service travaillé dans ce plan) ; "
        "partager le travail peut ajouter au plus {budget} de trajet à ce plan",
        "sharing_kept": "laissée à {courier} comme proposé avant, pour que les propositions ne changent pas sous "
        f"les yeux ({_LEAST_FR} {{other}})",
        "sharing_shift_ends": f"{_LEAST_FR} {{other}} ; le partage du travail la confie à {{courier}}, dont le "
        "service finit dans {minutes_left} min avec moins de temps pour rattraper ({expected} de son service "
        "travaillé attendu en fin de journée, {other} {other_expected}) ; le partage peut ajouter au plus "
        "{budget} de trajet à ce plan",
        "sharing_fits_better": f"{_LEAST_FR} {{other}} ; dans le budget de trajet, elle s'insère mieux dans la "
        "tournée de {courier}",
        "deferred": "pas encore planifiée : le temps du tour s'est écoulé avant de l'essayer ; "
        "le prochain tour réessaie",
        "fits_nowhere": "personne ne peut l'insérer parmi les autres courses (fenêtres, charges ou service)",
        "no_plan_locks": "aucun plan ne respecte les décisions verrouillées et les limites des véhicules",
        "no_plan_time": "le solveur n'a trouvé aucun plan dans le temps imparti",
        "no_plan_settings": "le solveur a refusé ses réglages (modèle ou paramètre de recherche invalide)",
        "solver_stopped": "le solveur s'est arrêté sans plan (statut {status})",
        "no_courier_on_shift": "personne n'est en service",
        "too_heavy": "aucun véhicule en service ne peut porter {kg} kg",
        "too_bulky": "aucun véhicule en service n'a la place pour {litres} L",
        "too_long": "aucun véhicule en service ne prend un colis de {cm} cm de long",
        "no_single_vehicle": "aucun véhicule en service ne peut porter à la fois son poids, son volume et sa longueur",
        "all_declined": "toutes les personnes en service qui peuvent la porter l'ont refusée",
        "pickup_closes": "la fenêtre de retrait se ferme avant que quiconque puisse y arriver",
        "dropoff_closes": "la fenêtre de livraison se ferme avant que quiconque puisse y apporter le colis",
        "shift_too_short": "aucun service ne dure assez longtemps pour la faire",
        "courier_off_shift": "la personne qui la porte n'est pas en service",
        "too_far_from_street": "le point de {place} est trop loin de toute rue praticable en {vehicle}",
        "unreadable_request": "sa demande enregistrée ne peut pas être planifiée (une valeur écrite avant d'être "
        "vérifiée) ; annulez-la et demandez au client de l'envoyer à nouveau",
        "declined_again": "{courier} l'a refusée plus tôt aujourd'hui ; proposée à nouveau car personne d'autre "
        "en service ne peut la porter",
        "declined_by": "refusée plus tôt aujourd'hui par {couriers} : elle va donc à quelqu'un d'autre",
        "heavier_than_declared": "{courier} a trouvé que les colis pèsent {kg} kg et non les {declared} kg "
        "déclarés : plus que ne porte son {vehicle} ({payload} kg, dont {on_board} kg déjà à bord) ; "
        "retour au dispatch",
        "bigger_than_declared": "{courier} a trouvé que les colis font {litres} L, le plus long {cm} cm : plus "
        "que ne prend son {vehicle} ({volume} L, dont {on_board} L déjà à bord, {max_cm} cm) ; retour au dispatch",
        "over_payload": "{kg} kg dépasse la charge utile de {payload} kg ({vehicle} de {courier})",
        "over_volume": "{litres} L dépasse les {volume} L du véhicule",
        "over_length": "un colis de {cm} cm dépasse les {max_cm} cm que prend le véhicule",
        "not_on_shift": "{courier} n'est pas en service",
        "courier_paused": "{courier} est en pause",
        "override_adds": "ajoute {minutes} min à la tournée de {courier}",
        "proposal_added": "la proposition ajoutait {minutes} min",
        "objective_cost": f"{_OBJECTIVE_FR} {{minutes}} min",
        "objective_vs_proposal": f"{_OBJECTIVE_FR} {{minutes}} min, la proposition {{proposal}} min",
        "lateness_risk": "risque {minutes} min de retard",
        "stopped_proposed": "proposée à {courier}, qui a dû s'arrêter ({why}) : le prochain tour la propose à "
        "quelqu'un d'autre",
        "stopped_on_board": "à bord avec {courier}, qui a dû s'arrêter ({why}) : décidez d'un passage de relais "
        "ou d'un retour à l'expéditeur",
        "stopped_taken_back": "{courier} a dû s'arrêter : {why}",
        "left_on_board": "à bord avec {courier}, qui ne travaille plus ici ({why}) : décidez d'un passage de "
        "relais ou d'un retour",
        "left_taken_back": "{courier} ne travaille plus ici",
        "erased_again": "effacé·e le {day} ; effacé·e à nouveau après la restauration d'une sauvegarde plus ancienne",
        "absent_today": "ne peut pas venir aujourd'hui (absence notée au planning de la semaine)",
        "rota_peak": "jusqu'à {expected} coursier·es attendu·es à {peak} h sur ce créneau",
        "rota_cargo": "un vélo cargo est nécessaire à cette heure",
        "rota_no_demand": "aucune demande attendue : le créneau complète le minimum de son contrat",
        "rota_hours_left": "{courier} travaille {hours} h cette semaine pour un contrat de {min_h} à {max_h} h, "
        "reste {left} h",
        "rota_hours_full": "{courier} travaille {hours} h cette semaine pour un contrat de {min_h} à {max_h} h, "
        "le maximum accepté",
        "rota_added": "ajouté par le dispatch",
        "rota_moved": "déplacé par le dispatch (avant : {courier} le {day} de {start_h} h à {end_h} h)",
        "rota_swapped": "échangé : demandé par un·e collègue, confirmé par le dispatch",
        "rota_swapped_because": "échangé : demandé par un·e collègue, confirmé par le dispatch ({why})",
        "rota_covers_for": "remplace {courier} ({absence}), choisi·e par le dispatch",
        "rota_covers_colleague": "remplace {courier}, choisi·e par le dispatch",
        "cover_counts": "a remplacé {covered} fois ces {days} derniers jours ; reste {left_h} h à son contrat "
        "cette semaine",
        "cover_not_available": "pas disponible à ce moment-là",
        "cover_same_day": "déjà sur un créneau ce jour-là",
        "cover_short_rest": "se reposerait {rest} h (au moins {rest_h} h)",
        "cover_over_max": "travaillerait {hours} h cette semaine (contrat : au plus {max_h} h)",
        "no_jobs_seen": "aucune course demandée à cette heure ces dernières semaines",
        "forecast_hour": "{jobs} courses à enlever le {weekday} de {hour} h à {end_h} h sur les {weeks} dernière(s) "
        "semaine(s) : {mean} par semaine ; à {pace} courses par heure de coursier·e ({pace_from}), "
        "{couriers} coursier·e(s)",
        "forecast_pace_seen": "{delivered} livraisons en {hours} heures travaillées",
        "forecast_pace_assumed": "aucune livraison dans le journal encore : {pace} courses par heure supposées",
        "forecast_note": "moyenne des {weeks} dernière(s) semaine(s) ; rythme : {pace_from}",
        "quote_base": "prise en charge",
        "quote_distance": "distance {km} km (tranche au-delà de {over} km)",
        "quote_weight": "poids {kg} kg (tranche au-delà de {over} kg)",
        "quote_express": "supplément express +{percent} %",
        "quote_solidarity": "tarif solidaire -{percent} %",
    },
}

#: Words some parameters stand for: vehicle kinds, the two ends of a job, the kinds of absence,
#: the days of the week.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "bike": "bike",
        "cargo_bike": "cargo bike",
        "e_cargo_bike": "e-cargo bike",
        "trailer": "bike with a trailer",
        "pickup": "pickup",
        "dropoff": "drop-off",
        "sick": "sick",
        "other": "other reason",
        "monday": "Monday",
        "tuesday": "Tuesday",
        "wednesday": "Wednesday",
        "thursday": "Thursday",
        "friday": "Friday",
        "saturday": "Saturday",
        "sunday": "Sunday",
    },
    "fr": {
        "bike": "vélo",
        "cargo_bike": "vélo cargo",
        "e_cargo_bike": "vélo cargo électrique",
        "trailer": "vélo avec remorque",
        "pickup": "retrait",
        "dropoff": "livraison",
        "sick": "malade",
        "other": "autre raison",
        "monday": "lundi",
        "tuesday": "mardi",
        "wednesday": "mercredi",
        "thursday": "jeudi",
        "friday": "vendredi",
        "saturday": "samedi",
        "sunday": "dimanche",
    },
}


def language(accept_language: str | None) -> str:
    """The reader's language from an ``Accept-Language`` header: the first of ours by the
    header's weights, English when none is (or the header is missing or malformed)."""
    best, best_q = DEFAULT, 0.0
    for item in (accept_language or "").split(","):
        tag, _, rest = item.strip().partition(";")
        q = 1.0
        if rest.strip().startswith("q="):
            try:
                q = float(rest.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and q > best_q:  # earlier entries win ties, as the header's order says
            best, best_q = primary, q
    return best


def _number(value: float, lang: str, spec: str) -> str:
    text = format(value, spec)
    return text.replace(".", ",") if lang == "fr" else text


def _param(kind: Kind, value: Any, lang: str, names: Mapping[str, str]) -> str:
    """One parameter as the reader reads it."""
    if kind is Kind.COURIER:
        return names.get(str(value), str(value))
    if kind is Kind.COURIERS:
        return ", ".join(names.get(str(v), str(v)) for v in value)
    if kind is Kind.TEXT:  # a person's words, or a code said for them (a stop's ``absent_today``)
        return render(value, lang, names) if is_reason(value) else "" if value is None else str(value)
    if kind in (Kind.VEHICLE, Kind.PLACE, Kind.ABSENCE, Kind.WEEKDAY):
        return WORDS[lang].get(str(value), str(value).replace("_", " "))
    if value is None:
        return "?"
    if kind is Kind.SHARE:
        return _number(round(float(value) * 100), lang, "d") + (" %" if lang == "fr" else "%")
    if kind in (Kind.MINUTES, Kind.DECIMAL):
        return _number(float(value), lang, ".1f")
    if kind in (Kind.WHOLE_MINUTES, Kind.COUNT):
        return _number(float(value), lang, ".0f")
    return _number(float(value), lang, "g")


def render(value: Any, lang: str = DEFAULT, names: Mapping[str, str] | None = None) -> str:
    """A reason in words (an old event's plain text as it is)."""
    if not is_reason(value):
        return str(value)
    code, params = value["code"], value["params"]
    kinds = CODES[code]
    words = {p: _param(kinds[p], params.get(p), lang, names or {}) for p in kinds}
    return TEMPLATES.get(lang, TEMPLATES[DEFAULT])[code].format(**words)


def say_all(value: Any, lang: str = DEFAULT, names: Mapping[str, str] | None = None) -> str:
    """A list of reasons (a rota shift's why) as one line, each said; one reason or an old
    event's text as :func:`render` says it."""
    if isinstance(value, list):
        return "; ".join(render(v, lang, names) for v in value)
    return render(value, lang, names)


def say_quote(quote: Mapping[str, Any] | None, lang: str = DEFAULT) -> dict[str, Any] | None:
    """A quote (``dispatch/pricing.py``) with each line's ``label`` in ``lang`` beside its code
    and figures: a client's program reads the code, a person the label. A quote logged before
    lines were codes keeps its English labels."""
    if quote is None:
        return None
    said = [
        {**line, "label": render({"code": line["code"], "params": line["params"]}, lang)} if "code" in line else line
        for line in quote["lines"]
    ]
    return {**quote, "lines": said}


def localize(data: Any, lang: str = DEFAULT, names: Mapping[str, str] | None = None) -> Any:
    """``data`` with a ``text`` beside every reason's code, in ``lang``; the rest as it is."""
    if isinstance(data, dict):
        if is_reason(data):
            return {**data, "text": render(data, lang, names)}
        return {k: localize(v, lang, names) for k, v in data.items()}
    if isinstance(data, list):
        return [localize(v, lang, names) for v in data]
    return data


def reader(request: Request) -> str:
    """The language a request asks for."""
    return language(request.headers.get("accept-language"))


Lang = Annotated[str, Depends(reader)]


#: What an erased courier is called in each language: their id's first characters and no more,
#: as ``dispatch/store/erasure.py``'s neutral label (``erased_label``), which is English.
FORMER_COURIER = {"en": "Former courier {ref}", "fr": "Ancien·ne coursier·e {ref}"}


def former_courier(courier_id: str, lang: str = DEFAULT) -> str:
    """An erased courier as ``lang`` names them (never their id whole, never their old name)."""
    return FORMER_COURIER.get(lang, FORMER_COURIER[DEFAULT]).format(ref=courier_id[:8])


def courier_names(store: Store, coop_id: str, lang: str = DEFAULT) -> dict[str, str]:
    """Courier id -> name, everyone the cooperative has had (a name in an old reason too); an
    erased courier as ``lang`` says "former courier" (their stored label is English)."""
    return {
        c.id: former_courier(c.id, lang) if c.display_name == erased_label(c.id) else c.display_name
        for c in store.couriers(coop_id)
    }


def in_words(store: Store, coop_id: str, lang: str, data: Any) -> Any:
    """``data`` with every reason said in ``lang`` and the cooperative's courier names."""
    return localize(data, lang, courier_names(store, coop_id, lang))
