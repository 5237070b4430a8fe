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


def test_the_courier_socket_refuses_an_act_in_the_phone_s_language(setup: Setup) -> None:
    """The phone's socket says a refused act in the upgrade's ``Accept-Language``, the job by its
    places; the frame keeps the code for the program."""
    client, world, headers, store = setup
    aino = world.couriers["Aino"][0]
    commands.start_shift(store, world.coop_id, aino, at=datetime.now(UTC))
    job = client.post("/v1/deliveries", json=delivery_body(), headers=headers["client"]).json()["id"]
    given = {"action": "override", "courier_id": aino, "reason": "nearest"}
    assert client.post(f"/v1/jobs/{job}/decisions", json=given, headers=headers["dispatcher"]).status_code == 200
    token = headers["courier"]["Authorization"].split()[1]
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
