"""A parcel heavier than declared, through the API (issue 18): the courier reports the weight found
at pickup (`POST /v1/courier/jobs/{id}/weight`); a vehicle that cannot carry it sends the job back
to dispatch with the reason; the client's webhook and the quote history say what changed."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli
from dispatch import commands as do
from dispatch.store import Store
from tests.api.harness import Receiver, World, delivery_body, make_world

Stack = tuple[TestClient, World, Store, Receiver, str]


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """The app in process on a fresh SQLite database, with a webhook receiver on the loopback
    that the app's sender may reach. SQLite only: what is tested is the API's handling of a
    parcel found heavier or bigger, not the database; tests/dispatch/test_heavier_than_declared.py
    and test_bigger_than_declared.py prove the reports on both databases."""
    from api.app import create_app
    from api.settings import Settings

    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    monkeypatch.setenv("TANDEM_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8")
    world = make_world(url)
    store = Store.open(url)
    receiver = Receiver()
    settings = Settings(database_url=url, redis_url=None, auto_plan=False, webhook_allow_http=True, webhook_poll_s=0.1)
    with TestClient(create_app(settings)) as client:
        yield client, world, store, receiver, url
    receiver.close()
    store.close()


def _courier(client: TestClient, world: World, name: str) -> dict[str, str]:
    _, user, password = world.couriers[name]
    answer = client.post("/v1/auth/login", json={"cooperative_id": world.coop_id, "login": user, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def _desk(client: TestClient, world: World) -> dict[str, str]:
    login = {"cooperative_id": world.coop_id, "login": world.dispatcher_login, "password": world.dispatcher_password}
    return {"Authorization": f"Bearer {client.post('/v1/auth/login', json=login).json()['token']}"}


def _updated(client: TestClient, shop: dict[str, str], receiver: Receiver) -> tuple[dict[str, Any], dict[str, Any]]:
    """The delivery.updated webhook as recorded for the client and as their receiver got it."""
    for _ in range(100):
        log = client.get("/v1/webhooks/deliveries", headers=shop).json()["deliveries"]
        recorded = [d for d in log if d["type"] == "delivery.updated"]
        got = [json.loads(b) for _, b in receiver.received if json.loads(b)["type"] == "delivery.updated"]
        if recorded and got:
            return recorded[0]["body"], got[0]
        time.sleep(0.1)
    raise AssertionError(f"no delivery.updated webhook: {receiver.types()}")


def test_a_20_kg_parcel_reported_as_45_kg_at_pickup_on_a_25_kg_bike_goes_back_with_the_reason(stack: Stack) -> None:
    client, w, store, receiver, url = stack
    aino, veera = w.couriers["Aino"][0], w.couriers["Veera"][0]  # a bike (25 kg), a cargo bike
    shop, desk = {"Authorization": f"Bearer {w.client_key}"}, _desk(client, w)
    set_rule = CliRunner().invoke(
        cli, ["admin", "settings", "--coop", w.coop_id, "--repricing", "requote", "--database", url, "--json"]
    )
    assert set_rule.exit_code == 0 and json.loads(set_rule.stdout)["repricing"] == "requote", set_rule.output
    assert client.post("/v1/webhooks", json={"url": receiver.url}, headers=shop).status_code == 201
    created = client.post("/v1/deliveries", json=delivery_body(weight_kg=20.0), headers=shop)
    assert created.status_code == 201, created.text
    job, quoted = created.json()["id"], created.json()["quote"]
    now = datetime.now(UTC)
    for courier in (aino, veera):
        do.start_shift(store, w.coop_id, courier, at=now)
    given = client.post(f"/v1/jobs/{job}/decisions", json={"action": "override", "courier_id": aino}, headers=desk)
    assert given.status_code == 200, given.text
    do.acknowledge(store, w.coop_id, job, courier_id=aino, at=now)
    phone = _courier(client, w, "Aino")

    # absurd or unknown input: refused with the field named, nothing written
    last = store.cooperative_last_seq(w.coop_id)
    for body in ({"weight_kg": 0}, {"weight_kg": 5000}, {"weight_kg": "45"}, {"weight_kg": 45, "size": "big"}, {}):
        refused = client.post(f"/v1/courier/jobs/{job}/weight", json=body, headers=phone)
        assert refused.status_code == 422 and refused.json()["error"]["message"], (body, refused.text)
    other = client.post(f"/v1/courier/jobs/{job}/weight", json={"weight_kg": 45}, headers=_courier(client, w, "Veera"))
    assert other.status_code == 404  # another courier's job is none of theirs
    assert store.cooperative_last_seq(w.coop_id) == last

    said = client.post(
        f"/v1/courier/jobs/{job}/weight", json={"weight_kg": 45}, headers={**phone, "Accept-Language": "fr"}
    )
    assert said.status_code == 200, said.text
    back = said.json()
    assert back["back_to_dispatch"] and back["state"] == "declined"
    assert (back["declared_weight_kg"], back["weight_kg"]) == (20.0, 45.0)
    assert back["reason"]["code"] == "heavier_than_declared" and "45 kg" in back["reason"]["text"]
    assert "déclarés" in back["reason"]["text"] and "Aino" in back["reason"]["text"]
    assert back["quotes"]["previous"]["total_cents"] == quoted["total_cents"]
    assert back["quotes"]["new"]["total_cents"] > quoted["total_cents"]

    # the dispatcher sees the job open again with the reason's code; nothing of it is lost
    seen = client.get(f"/v1/jobs/{job}", headers=desk).json()
    assert seen["state"] == "declined" and seen["courier_id"] is None
    assert seen["needs_decision"]["code"] == "heavier_than_declared"
    assert seen["needs_decision"]["params"] == {
        "courier": aino,
        "kg": 45.0,
        "declared": 20.0,
        "vehicle": "bike",
        "payload": 25.0,
        "on_board": 0.0,
    }
    declined = seen["declines"][-1]  # the decline says the flag's reason, worded at the edge
    assert declined["courier_id"] == aino and declined["reason"]["code"] == "heavier_than_declared"
    assert "45 kg" in declined["reason"]["text"], declined
    assert seen["weight_kg"] == 45.0 and seen["declared_weight_kg"] == 20.0
    assert sum(p["weight_kg"] for p in seen["request"]["parcels"]) == pytest.approx(45.0)

    # the client's webhook names the old and new weight, that it is open again, and both quotes
    recorded, got = _updated(client, shop, receiver)
    assert recorded == got
    data = got["data"]
    assert data["delivery_id"] == job and data["status"] == "declined" and data["back_to_dispatch"] is True
    assert data["weight_kg"] == {"declared": 20.0, "reported": 45.0} and data["repricing"] == "requote"
    assert data["quotes"]["new"]["weight_kg"] == 45.0 and data["quotes"]["previous"]["weight_kg"] == 20.0
    assert aino not in json.dumps(got) and "Aino" not in json.dumps(got)  # the courier is not the client's business

    # the cargo bike takes it; the ledger counts the kilograms found, not those declared
    again = client.post(f"/v1/jobs/{job}/decisions", json={"action": "override", "courier_id": veera}, headers=desk)
    assert again.status_code == 200, again.text
    do.acknowledge(store, w.coop_id, job, courier_id=veera, at=datetime.now(UTC))
    do.pick_up(store, w.coop_id, job, courier_id=veera, at=datetime.now(UTC))
    do.deliver(store, w.coop_id, job, courier_id=veera, at=datetime.now(UTC), carried_m=1200)
    rows = {r["courier_id"]: r for r in client.get("/v1/ledger", headers=desk).json()["couriers"]}
    assert rows[veera]["heavy_kg"] == pytest.approx(45.0) and rows[veera]["heavy_jobs"] == 1
    assert rows[aino]["heavy_kg"] == 0
    kinds = [e.type.value for e in store.events(w.coop_id) if e.job_id == job]
    assert kinds.count("ParcelReweighed") == 1 and kinds[-1] == "Delivered"


def test_a_parcel_is_weighed_at_pickup_only_and_without_repricing_the_quote_stands(stack: Stack) -> None:
    client, w, store, receiver, _ = stack
    veera = w.couriers["Veera"][0]
    shop, desk = {"Authorization": f"Bearer {w.client_key}"}, _desk(client, w)
    assert client.post("/v1/webhooks", json={"url": receiver.url}, headers=shop).status_code == 201
    job = client.post("/v1/deliveries", json=delivery_body(weight_kg=20.0), headers=shop).json()["id"]
    do.start_shift(store, w.coop_id, veera, at=datetime.now(UTC))
    given = client.post(f"/v1/jobs/{job}/decisions", json={"action": "override", "courier_id": veera}, headers=desk)
    assert given.status_code == 200, given.text
    phone = _courier(client, w, "Veera")
    kept = client.post(f"/v1/courier/jobs/{job}/weight", json={"weight_kg": 45}, headers=phone)
    assert kept.status_code == 200, kept.text
    assert kept.json()["back_to_dispatch"] is False and kept.json()["state"] == "assigned"
    assert kept.json()["repricing"] == "none" and kept.json()["quotes"] is None and kept.json()["reason"] is None
    _, got = _updated(client, shop, receiver)
    assert got["data"]["repricing"] == "none" and "quotes" not in got["data"] and got["data"]["status"] == "assigned"
    do.acknowledge(store, w.coop_id, job, courier_id=veera, at=datetime.now(UTC))
    do.pick_up(store, w.coop_id, job, courier_id=veera, at=datetime.now(UTC))
    late = client.post(f"/v1/courier/jobs/{job}/weight", json={"weight_kg": 50}, headers=phone)
    assert late.status_code == 422 and "pickup" in late.json()["error"]["message"], late.text


def test_my_route_on_the_phone_holds_my_break_where_the_plan_takes_it(stack: Stack) -> None:
    """Breaks (issue 18): the route the phone reads has the shift's break where the latest plan
    takes it, among the stops whose ETAs already include it."""
    from datetime import timedelta

    from dispatch.shifts import ShiftBreak

    client, w, store, _, _ = stack
    aino = w.couriers["Aino"][0]
    shop, desk = {"Authorization": f"Bearer {w.client_key}"}, _desk(client, w)
    now = datetime.now(UTC)
    lunch = ShiftBreak(earliest=now + timedelta(minutes=5), latest=now + timedelta(hours=2), minutes=30)
    do.start_shift(store, w.coop_id, aino, at=now, planned_end=now + timedelta(hours=6), breaks=[lunch])
    job = client.post("/v1/deliveries", json=delivery_body(), headers=shop).json()["id"]
    given = client.post(f"/v1/jobs/{job}/decisions", json={"action": "override", "courier_id": aino}, headers=desk)
    assert given.status_code == 200, given.text
    phone = _courier(client, w, "Aino")
    assert client.get("/v1/courier/jobs", headers=phone).json()["breaks"] == []  # no plan yet: none said
    assert client.post("/v1/planning/rounds?wait=true", headers=desk).json()["done"] is True
    mine = client.get("/v1/courier/jobs", headers=phone).json()
    (taken,) = mine["breaks"]
    start, end = datetime.fromisoformat(taken["start"]), datetime.fromisoformat(taken["end"])
    assert taken["minutes"] == 30 and end - start == timedelta(minutes=30)
    assert lunch.earliest - timedelta(seconds=1) <= start <= lunch.latest  # the plan counts whole seconds
    etas = [datetime.fromisoformat(s["eta"]) for s in mine["route"]]
    assert [s["job_id"] for s in mine["route"]] == [job, job] and etas == sorted(etas)
    # a stop after the break starts after it ends: its ETA includes the break
    assert all(eta >= end or eta <= start for eta in etas)


def test_a_parcel_longer_than_declared_goes_back_with_its_size_and_the_planner_reads_it(stack: Stack) -> None:
    """The size alone may be reported: a 40 cm parcel found 120 cm long on a bike (60 cm at most)
    goes back with ``bigger_than_declared``; the job's parcels hold the size found, so the
    intake's and the planner's rules see it; the client hears both lengths."""
    client, w, store, receiver, _ = stack
    aino = w.couriers["Aino"][0]
    shop, desk = {"Authorization": f"Bearer {w.client_key}"}, _desk(client, w)
    assert client.post("/v1/webhooks", json={"url": receiver.url}, headers=shop).status_code == 201
    job = client.post("/v1/deliveries", json=delivery_body(), headers=shop).json()["id"]
    do.start_shift(store, w.coop_id, aino, at=datetime.now(UTC))
    given = client.post(f"/v1/jobs/{job}/decisions", json={"action": "override", "courier_id": aino}, headers=desk)
    assert given.status_code == 200, given.text
    phone = _courier(client, w, "Aino")
    for body in ({"longest_side_cm": 0}, {"volume_l": 20_000}, {"longest_side_cm": True}):
        refused = client.post(f"/v1/courier/jobs/{job}/weight", json=body, headers=phone)
        assert refused.status_code == 422, (body, refused.text)
    found = client.post(f"/v1/courier/jobs/{job}/weight", json={"longest_side_cm": 120, "volume_l": 30}, headers=phone)
    assert found.status_code == 200, found.text
    said = found.json()
    assert said["back_to_dispatch"] and said["reason"]["code"] == "bigger_than_declared"
    assert (said["weight_kg"], said["declared_weight_kg"], said["longest_side_cm"]) == (4.0, 4.0, 120.0)
    assert "120 cm" in said["reason"]["text"] and "60 cm" in said["reason"]["text"]
    seen = client.get(f"/v1/jobs/{job}", headers=desk).json()
    assert seen["state"] == "declined" and seen["needs_decision"]["code"] == "bigger_than_declared"
    assert [(p["longest_side_cm"], p["volume_l"]) for p in seen["request"]["parcels"]] == [(120.0, 30.0)]
    _, got = _updated(client, shop, receiver)
    assert got["data"]["longest_side_cm"] == {"declared": 40.0, "reported": 120.0}
    assert got["data"]["volume_l"] == {"declared": 10.0, "reported": 30.0} and got["data"]["back_to_dispatch"]
