"""Refusals in the reader's language over real HTTP (issue 17 items 1 and 3): the same refusal
says the same ``code`` and ``field`` in every language, and its words in the request's
``Accept-Language``, English by default; a job is named by its places and a person by their name,
never by an id, and no event's class name is read out."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from dispatch import commands
from dispatch.store import Store
from tests.api.harness import World, delivery_body, make_world
from tests.api.test_http import role_headers

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
FR = {"Accept-Language": "fr-CH, fr;q=0.9, en;q=0.5"}
EN = {"Accept-Language": "de, en;q=0.8"}  # no German: English, the first of ours the header names

Setup = tuple[TestClient, World, dict[str, dict[str, str]], Store]


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world = make_world(url)
    store = Store.open(url)
    app = create_app(Settings(database_url=url, redis_url=None, auto_plan=False, planning_budget_s=0.5))
    with TestClient(app) as client:
        yield client, world, role_headers(client, world, store), store
    store.close()


def _both(
    client: TestClient, method: str, path: str, headers: dict[str, str], **kwargs: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same request's refusal in French and in English: the same status, code and field."""
    fr = client.request(method, path, headers={**headers, **FR}, **kwargs)
    en = client.request(method, path, headers={**headers, **EN}, **kwargs)
    assert fr.status_code == en.status_code and 400 <= fr.status_code < 500, (fr.text, en.text)
    said_fr, said_en = fr.json()["error"], en.json()["error"]
    assert (said_fr["code"], said_fr["field"]) == (said_en["code"], said_en["field"]), (said_fr, said_en)
    assert said_fr["message"] != said_en["message"], said_fr
    for said in (said_fr, said_en):
        assert not UUID.search(said["message"]), said
    return said_fr, said_en


def test_a_state_refusal_a_conflict_and_a_missing_job_read_in_french(setup: Setup) -> None:
    client, world, headers, store = setup
    desk, shop = headers["dispatcher"], headers["client"]
    now = datetime.now(UTC)
    for cid, _, _ in world.couriers.values():
        commands.start_shift(store, world.coop_id, cid, at=now)
    aino, veera = world.couriers["Aino"][0], world.couriers["Veera"][0]

    job = client.post("/v1/deliveries", json=delivery_body(), headers=shop).json()["id"]
    seen = client.get(f"/v1/jobs/{job}", headers=desk).json()["last_seq"]
    given = {"action": "override", "courier_id": aino, "reason": "nearest", "expected_seq": seen}
    assert client.post(f"/v1/jobs/{job}/decisions", json=given, headers=desk).status_code == 200
    stale = {**given, "action": "reassign", "courier_id": veera}
    fr, en = _both(client, "POST", f"/v1/jobs/{job}/decisions", desk, json=stale)
    assert fr["code"] == "conflict" and fr["last_act"] == "JobOverridden", fr  # for machines, as it was
    assert fr["message"] == (
        "“Rautatientori → Kauppatori” a changé depuis que vous l'avez vue : Dispatcher l'a confiée à une personne"
    ), fr
    assert en["message"] == "“Rautatientori → Kauppatori” changed since you looked: Dispatcher gave it to a courier"

    cancelled = client.post("/v1/deliveries", json=delivery_body(), headers=shop).json()["id"]
    assert client.post(f"/v1/deliveries/{cancelled}/cancel", json={}, headers=shop).status_code == 200
    fr, en = _both(client, "POST", f"/v1/jobs/{cancelled}/decisions", desk, json={"action": "accept"})
    assert fr["message"] == "“Rautatientori → Kauppatori” est annulée : elle ne peut pas être acceptée maintenant"
    assert en["message"] == "“Rautatientori → Kauppatori” is cancelled: it cannot be accepted now", en

    fr, en = _both(client, "GET", "/v1/jobs/no-such-job", desk)
    assert (fr["message"], en["message"]) == (
        "course introuvable dans cette coopérative",
        "no such job in this cooperative",
    )


def test_a_request_the_cooperative_cannot_serve_reads_in_french(setup: Setup) -> None:
    client, _, headers, _ = setup
    far = {**delivery_body(), "dropoff": {"lon": 2.35, "lat": 48.85}}
    fr, en = _both(client, "POST", "/v1/quotes", headers["client"], json=far)
    assert (fr["code"], fr["field"]) == ("outside_service_area", "dropoff"), fr
    assert fr["message"].startswith("le point de livraison (2.35, 48.85) est hors de la zone"), fr
    assert en["message"].startswith("the drop-off (2.35, 48.85) is outside the area"), en

    heavy = delivery_body(weight_kg=900)
    fr, en = _both(client, "POST", "/v1/deliveries", headers["client"], json=heavy)
    assert fr["code"] == "no_vehicle_can_carry" and "un poids de 900 kg" in fr["message"], fr
    assert "a weight of 900 kg" in en["message"], en


def test_a_bad_value_and_a_missing_reason_read_in_french(setup: Setup) -> None:
    client, world, headers, _ = setup
    desk = headers["dispatcher"]
    aino = world.couriers["Aino"][0]
    fr, en = _both(client, "POST", f"/v1/couriers/{aino}/deactivate", desk, json={"reason": "  "})
    assert fr["field"] == "reason" and fr["message"] == "reason : dites pourquoi, en quelques mots", fr
    assert en["message"] == "reason: say why, in a few words", en
    assert client.get("/v1/jobs/x", headers=desk).json()["error"]["message"].startswith("no such job")  # English


def _a_job_on_aino_s_phone(setup: Setup) -> tuple[str, str]:
    """A job a dispatcher gave Aino, on shift, not yet picked up; and her phone's token."""
    client, world, headers, store = setup
    aino = world.couriers["Aino"][0]
    commands.start_shift(store, world.coop_id, aino, at=datetime.now(UTC))
    job = client.post("/v1/deliveries", json=delivery_body(), headers=headers["client"]).json()["id"]
    given = {"action": "override", "courier_id": aino, "reason": "nearest"}
    assert client.post(f"/v1/jobs/{job}/decisions", json=given, headers=headers["dispatcher"]).status_code == 200
    return job, headers["courier"]["Authorization"].split()[1]


def test_the_courier_socket_refuses_an_act_in_the_phone_s_language(setup: Setup) -> None:
    """The phone's socket says a refused act in the upgrade's ``Accept-Language``, the job by its
    places; the frame keeps the code for the program."""
    client = setup[0]
    job, token = _a_job_on_aino_s_phone(setup)
    said = {}
    for lang, accept in (("fr", FR), ("en", EN)):
        with client.websocket_connect("/v1/courier/ws", headers=accept) as ws:
            ws.send_text(json.dumps({"type": "hello", "token": token, "last_seq": 10**9}))
            assert ws.receive_json()["type"] == "welcome"
            ws.send_text(json.dumps({"type": "delivered", "id": f"too-soon-{lang}", "data": {"job_id": job}}))
            said[lang] = next(m for m in iter(ws.receive_json, None) if m["type"] == "error")
    assert said["fr"]["code"] == said["en"]["code"] == "illegal_transition", said
    assert (
        said["fr"]["message"] == "“Rautatientori → Kauppatori” est attribuée : elle ne peut pas être livrée maintenant"
    )
    assert said["en"]["message"] == "“Rautatientori → Kauppatori” is assigned: it cannot be delivered now", said


def test_the_api_s_own_refusals_read_in_french_with_their_codes(setup: Setup) -> None:
    """A refusal the API makes before any domain rule (issue 17: English only before) is said
    in the request's language too, with the same ``code`` and ``field``: no credential, an
    unknown one, the wrong role, a body over the limit, a body nested too deep, no such route."""
    client, _, headers, _ = setup
    courier = headers["courier"]
    fr, en = _both(client, "GET", "/v1/jobs", {})
    assert (fr["code"], fr["field"]) == ("unauthenticated", None), fr
    assert (fr["message"], en["message"]) == (
        "il faut une clé d'API ou un jeton de connexion",
        "this needs an API key or a login token",
    )
    fr, en = _both(client, "GET", "/v1/jobs", {"Authorization": "Bearer tdm_not-a-key"})
    assert (fr["message"], en["message"]) == (
        "identifiant inconnu, révoqué ou expiré",
        "unknown, revoked or expired credential",
    )
    fr, en = _both(client, "GET", "/v1/jobs", {"Authorization": "Basic abc"})
    assert fr["message"] == "utilisez « Authorization: Bearer <clé d'API ou jeton> »", fr

    fr, en = _both(client, "GET", "/v1/clients", courier)
    assert (fr["code"], fr["field"]) == ("forbidden", None), fr
    assert fr["message"] == "un·e coursier·e ne peut pas faire ceci (c'est pour une personne de la répartition)"
    assert en["message"] == "a courier may not do this (it is for a dispatcher)", en
    fr, _ = _both(client, "GET", "/v1/jobs", headers["client"])  # for two roles
    assert fr["message"].endswith("(c'est pour une personne de l'analyse ou une personne de la répartition)"), fr

    big = b" " * (2 << 20)
    json_body = {**headers["client"], "Content-Type": "application/json"}
    fr, en = _both(client, "POST", "/v1/deliveries", json_body, content=big)
    assert (fr["code"], fr["field"]) == ("too_large", "body"), fr
    assert (fr["message"], en["message"]) == (
        "le corps de la requête dépasse 1048576 octets",
        "the body is larger than 1048576 bytes",
    )
    deep = b"[" * 40 + b"]" * 40
    fr, en = _both(client, "POST", "/v1/deliveries", json_body, content=deep)
    assert (fr["code"], fr["field"]) == ("invalid_input", "body"), fr
    assert fr["message"] == "body : les tableaux et objets s'imbriquent sur au plus 32 niveaux", fr
    assert en["message"] == "body: arrays and objects nest at most 32 deep", en
    too_big = {"job_id": "j", "kind": "photo", "image": "A" * (8 << 20)}  # 6 MiB of image, over the 5 MiB cap
    fr, en = _both(client, "POST", "/v1/courier/proofs", courier, json=too_big)
    assert (fr["code"], fr["field"], fr["message"]) == ("too_large", "image", "l'image dépasse 5242880 octets"), fr
    assert en["message"] == "the image is larger than 5242880 bytes", en
    fr, en = _both(client, "GET", "/v1/no-such-route", {})
    assert (fr["code"], fr["message"]) == ("not_found", "cette adresse n'existe pas dans l'API"), fr


def test_a_malformed_request_reads_in_french_field_by_field(setup: Setup) -> None:
    """The framework's validation (422) in the reader's words: the first problem is the message,
    each problem keeps its ``field`` and the framework's ``type`` for programs, and the common
    kinds (missing, wrong type, out of range, too long, not one of the choices, our own text
    check) are said in French."""
    client, _, headers, _ = setup
    shop = headers["client"]
    good = delivery_body()
    cases: list[tuple[dict[str, Any], str, str, str, str]] = [
        ({k: v for k, v in good.items() if k != "pickup"}, "pickup", "missing", "est obligatoire", "is required"),
        ({**good, "urgency": 3}, "urgency", "literal_error", "doit être l'une des valeurs standard, express",
         "must be one of standard, express"),
        ({**good, "parcels": [{**good["parcels"][0], "weight_kg": 5000}]}, "parcels.0.weight_kg", "less_than_equal",
         "doit valoir au plus 1000", "must be at most 1000"),
        ({**good, "parcels": [{**good["parcels"][0], "weight_kg": "5"}]}, "parcels.0.weight_kg", "float_type",
         "doit être un nombre", "must be a number"),
        ({**good, "notes": "x" * 501}, "notes", "string_too_long", "doit faire au plus 500 caractères",
         "must be at most 500 characters"),
        ({**good, "notes": "a\u202eb"}, "notes", "value_error", "ne doit pas contenir de caractères invisibles",
         "must not contain invisible or direction-changing characters"),
        ({**good, "parcels": []}, "parcels", "too_short", "ne doit pas être vide", "must not be empty"),
    ]  # fmt: skip
    for sent, field, kind, words_fr, words_en in cases:
        fr, en = _both(client, "POST", "/v1/deliveries", shop, json=sent)
        assert (fr["code"], fr["field"]) == ("invalid_input", field), (kind, fr)
        [problem] = [p for p in fr["problems"] if p["field"] == field]
        assert problem["type"] == kind and problem["problem"].startswith(words_fr), (kind, fr)
        assert fr["message"].startswith(f"{field} : {words_fr}"), (kind, fr)
        assert en["message"].startswith(f"{field}: {words_en}"), (kind, en)
        assert [p["type"] for p in fr["problems"]] == [p["type"] for p in en["problems"]]
    fr, en = _both(client, "POST", "/v1/deliveries", {**shop, "Content-Type": "application/json"}, content=b'{"a": ')
    assert fr["message"].startswith("body : JSON invalide à la ligne 1, colonne 7"), fr


def test_a_body_not_in_utf8_or_with_a_huge_number_is_refused_like_any_malformed_request(setup: Setup) -> None:
    """Outside attacker's finding 5: a body that is not UTF-8 was said with the framework's
    English in brackets ("demande mal formée (There was an error parsing the body)"), and a number
    of 40 digits had no ``problems`` although README says every malformed request's 422 lists
    them. Both are now the one shape: ``invalid_input`` on ``body``, our own words in each
    language, and the problem in ``problems`` with a stable ``type``."""
    client, _, headers, _ = setup
    shop = {**headers["client"], "Content-Type": "application/json"}
    bodies = [
        (b'{"notes": "\xff"}', "json_invalid", "doit être du texte JSON en UTF-8", "must be JSON text in UTF-8"),
        (b"\xff\xfe{\x00", "json_invalid", "JSON invalide à la ligne 1, colonne 2 (un nom entre", "not valid JSON"),
        (b'{"a": ', "json_invalid", "JSON invalide à la ligne 1, colonne 7 (une valeur était", "not valid JSON"),
        (b'{"urgency": ' + b"1" * 41 + b"}", "json_number_digits", "les nombres ont au plus", "numbers have at most"),
        (b"[" * 40 + b"]" * 40, "json_nesting", "les tableaux et objets", "arrays and objects nest"),
    ]
    for sent, kind, words_fr, words_en in bodies:
        fr, en = _both(client, "POST", "/v1/deliveries", shop, content=sent)
        assert (fr["code"], fr["field"]) == ("invalid_input", "body"), fr
        assert fr["message"] == f"body : {fr['problems'][0]['problem']}" and fr["message"].startswith(
            f"body : {words_fr}"
        ), fr
        assert en["message"].startswith(f"body: {words_en}"), en
        assert [(p["field"], p["type"]) for p in fr["problems"]] == [("body", kind)], fr
        assert [(p["field"], p["type"]) for p in en["problems"]] == [("body", kind)], en
        assert not any(english in fr["message"] for english in ("parsing", "Expecting", "body is")), fr


def test_a_login_flood_reads_in_french_and_keeps_its_wait(tmp_path: Path) -> None:
    """A rate limit's 429 (here the login lockout per account) says its budget and its wait in
    the reader's language; ``code``, ``retry_after_s`` and ``Retry-After`` stay for programs."""
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world = make_world(url)
    settings = Settings(database_url=url, redis_url=None, auto_plan=False, rate_limit_login="2/minute")
    wrong = {"cooperative_id": world.coop_id, "login": world.dispatcher_login, "password": "not it"}
    with TestClient(create_app(settings)) as client:
        assert [client.post("/v1/auth/login", json=wrong).status_code for _ in range(2)] == [401, 401]
        fr = client.post("/v1/auth/login", json=wrong, headers=FR)
        en = client.post("/v1/auth/login", json=wrong, headers=EN)
    assert fr.status_code == en.status_code == 429, fr.text
    said_fr, said_en = fr.json()["error"], en.json()["error"]
    assert said_fr["code"] == said_en["code"] == "rate_limited" and said_fr["field"] is None, said_fr
    assert said_fr["retry_after_s"] == int(fr.headers["Retry-After"]) > 0, said_fr
    wait = said_fr["retry_after_s"]
    assert said_fr["message"] == (
        f"trop de tentatives de connexion pour ce compte : au plus 2 par minute ; réessayez dans {wait} s"
    ), said_fr
    assert said_en["message"].startswith("too many login attempts for this account: at most 2 per minute"), said_en


def test_a_socket_s_hello_chooses_the_language_of_its_refusals(setup: Setup) -> None:
    """A browser cannot set ``Accept-Language`` on a WebSocket: the hello's ``lang`` says the
    page's language instead, and words every refusal on that socket (an act's, a malformed
    frame's); it wins over the upgrade's header. A ``lang`` that is neither ``en`` nor ``fr`` is
    refused with the reason and the socket closed, as a bad ``last_seq`` is."""
    from starlette.websockets import WebSocketDisconnect

    client, _, headers, _ = setup
    job, token = _a_job_on_aino_s_phone(setup)
    said: dict[str, list[dict[str, Any]]] = {}
    for lang in ("fr", "en"):
        with client.websocket_connect("/v1/courier/ws", headers=EN if lang == "fr" else FR) as ws:
            ws.send_text(json.dumps({"type": "hello", "token": token, "last_seq": 10**9, "lang": lang}))
            assert ws.receive_json()["type"] == "welcome"
            ws.send_text(json.dumps({"type": "delivered", "id": f"too-soon-{lang}", "data": {"job_id": job}}))
            ws.send_text(json.dumps({"type": "teleport", "id": f"odd-{lang}", "data": {}}))
            ws.send_text("not json")
            said[lang] = [m for m in (ws.receive_json() for _ in range(3)) if m["type"] == "error"]
    assert [m["code"] for m in said["fr"]] == [m["code"] for m in said["en"]] == [
        "illegal_transition", "bad_message", "bad_message"]  # fmt: skip
    assert [m["message"] for m in said["fr"]] == [
        "“Rautatientori → Kauppatori” est attribuée : elle ne peut pas être livrée maintenant",
        "type inconnu 'teleport'",
        "les messages sont des objets JSON",
    ], said["fr"]
    assert [m["message"] for m in said["en"]] == [
        "“Rautatientori → Kauppatori” is assigned: it cannot be delivered now",
        "unknown type 'teleport'",
        "messages are JSON objects",
    ], said["en"]

    with client.websocket_connect("/v1/courier/ws") as ws:  # no header: the hello's lang says it
        ws.send_text(json.dumps({"type": "hello", "token": "tds_not-a-token", "lang": "fr"}))
        refused = ws.receive_json()
        assert (refused["code"], refused["message"]) == ("unauthenticated", "jeton inconnu, expiré ou d'un autre rôle")
        with pytest.raises(WebSocketDisconnect):
            ws.receive_json()
    desk_token = headers["dispatcher"]["Authorization"].split()[1]
    with client.websocket_connect("/v1/console/ws", headers=FR) as ws:
        ws.send_text(json.dumps({"type": "hello", "token": desk_token, "lang": "de"}))
        refused = ws.receive_json()
        assert (refused["code"], refused["message"]) == ("bad_message", "lang vaut l'une des valeurs en, fr"), refused
        with pytest.raises(WebSocketDisconnect):
            ws.receive_json()
    with client.websocket_connect("/v1/console/ws") as ws:  # the console's socket words by its hello too
        ws.send_text(json.dumps({"type": "hello", "token": desk_token, "lang": "fr"}))
        assert ws.receive_json()["type"] == "welcome"
        ws.send_text(json.dumps({"type": "ping?", "id": "x"}))
        answer = next(m for m in iter(ws.receive_json, None) if m["type"] == "error")
        assert answer["message"].startswith("le socket de la console ne fait que diffuser"), answer


def test_the_routes_own_refusals_read_in_french_with_their_codes(setup: Setup) -> None:
    """The refusals the routes make themselves, English only before (issue 17 item 1): a
    courier setting their contract, an unknown tracking link, no plan yet, a setting emptied, a
    day or a number written wrong in a query, a weight report with nothing found, an image that
    is not base64, a webhook to an internal address; each keeps its status, ``code`` and
    ``field``, and reads in the request's language."""
    client, world, headers, _ = setup
    courier, desk, shop = headers["courier"], headers["dispatcher"], headers["client"]
    aino = world.couriers["Aino"][0]
    contract = {"contract": {"min_h": 10, "max_h": 30}}
    fr, en = _both(client, "PUT", f"/v1/couriers/{aino}/availability", courier, json=contract)
    assert (fr["code"], fr["field"], fr["message"]) == (
        "forbidden", "contract", "les heures du contrat sont fixées par la répartition"), fr  # fmt: skip
    assert en["message"] == "contracted hours are set by a dispatcher", en
    fr, en = _both(client, "GET", "/v1/track/not-a-link", {})
    assert (fr["code"], fr["message"], en["message"]) == ("not_found", "lien de suivi inconnu", "unknown tracking link")
    fr, en = _both(client, "GET", "/v1/plan", desk)
    assert (fr["code"], fr["message"]) == ("no_plan_yet", "aucun tour de planification n'est encore fini ici ; "
                                           "demandez-en un"), fr  # fmt: skip
    cases = [
        ({"fairness_weight": None}, "fairness_weight", "un nombre de 0 (efficacité pure) à 100"),
        ({"decline_reason_retention_days": None}, "decline_reason_retention_days", "un nombre entier de jours de 1"),
        ({"repricing": None}, "repricing", "doit être l'une des valeurs none, requote"),
    ]
    for patch, field, words in cases:
        fr, en = _both(client, "PATCH", "/v1/cooperative/settings", desk, json=patch)
        assert (fr["code"], fr["field"]) == ("invalid_input", field), fr
        assert fr["message"].startswith(f"{field} : {words}"), fr
    fr, en = _both(client, "GET", "/v1/ledger?day=0", desk)
    assert (fr["code"], fr["field"]) == ("invalid_input", "day"), fr
    assert fr["message"] == "day : un jour s'écrit AAAA-MM-JJ, par exemple 2026-12-04", fr
    assert en["message"] == "day: a day is written YYYY-MM-DD, e.g. 2026-12-04", en
    fr, en = _both(client, "GET", "/v1/ledger/rolling?days=7.0", desk)
    assert fr["message"] == "days : un nombre entier, écrit en chiffres seulement, par exemple 7", fr
    fr, en = _both(client, "GET", "/v1/week?week=2026-1-5", desk)  # a pattern, said as what it stands for
    assert fr["message"] == "week : un jour s'écrit AAAA-MM-JJ, par exemple 2026-12-04", fr
    fr, en = _both(client, "POST", "/v1/courier/jobs/some-job/weight", courier, json={})
    assert fr["code"] == "invalid_input" and "donnez le poids constaté (weight_kg)" in fr["message"], fr
    assert "give the weight found (weight_kg)" in en["message"], en
    for image, words in (("data:image/jpeg,abc", "une URL data doit être en base64"),
                         ("!!!!", "l'image doit être en base64")):  # fmt: skip
        fr, en = _both(
            client, "POST", "/v1/courier/proofs", courier, json={"job_id": "j", "kind": "photo", "image": image}
        )
        assert (fr["code"], fr["field"]) == ("invalid_input", "image") and fr["message"].startswith(
            f"image : {words}"
        ), fr
    fr, en = _both(client, "POST", "/v1/webhooks", shop, json={"url": "https://10.0.0.1/hook"})
    assert (fr["code"], fr["field"], fr["message"]) == ("invalid_input", "url", "url : destination refusée"), fr
    assert en["message"] == "url: destination refused", en


def test_another_client_s_delivery_is_no_delivery_in_either_language(setup: Setup) -> None:
    """A delivery of another client of the cooperative is answered as one that does not exist
    (404 ``not_found``), by its kind in the reader's words and never by its id (it was "no
    delivery <id>", in English)."""
    client, world, headers, store = setup
    job = client.post("/v1/deliveries", json=delivery_body(), headers=headers["client"]).json()["id"]
    _, other_key = store.add_client(world.coop_id, "Another shop")
    other = {"Authorization": f"Bearer {other_key}"}
    for method, path in (("GET", f"/v1/deliveries/{job}"), ("POST", f"/v1/deliveries/{job}/cancel")):
        fr, en = _both(client, method, path, other, json={} if method == "POST" else None)
        assert (fr["code"], fr["message"]) == ("not_found", "livraison introuvable dans cette coopérative"), fr
        assert en["message"] == "no such delivery in this cooperative", en
    assert client.get(f"/v1/deliveries/{job}", headers=headers["client"]).status_code == 200  # its own client's
