"""An override to a courier who is not riding now, over HTTP on SQLite and PostgreSQL (outside
tester's M5): ``override`` to a courier off shift answered 200 JobOverridden with no reason and
the cost "not on shift", where a ``reassign`` to them is 409 ``physical_limit`` unless forced with
a reason. The planner leaves an off-shift or paused courier's work aside, so the job would sit
unplanned: now giving it to them is a limit too, named in the reader's language, forced only with
a reason the log keeps. Accepting a proposal is unaffected (proposals go to couriers on shift)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dispatch import commands as do
from dispatch.store import Store
from tests.api.harness import World, delivery_body, desk, make_world


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[TestClient, World, Store]]:
    """The world in process on a fresh database: Aino on shift, Veera off shift."""
    from api.app import create_app
    from api.settings import Settings

    url = f"sqlite:///{tmp_path / 'tandem.db'}" if request.param == "sqlite" else str(request.getfixturevalue("pg_url"))
    w = make_world(url)
    store = Store.open(url)
    now = datetime.now(UTC)
    do.start_shift(store, w.coop_id, w.couriers["Aino"][0], at=now, planned_end=now + timedelta(hours=4))
    with TestClient(create_app(Settings(database_url=url, redis_url=None, auto_plan=False))) as client:
        yield client, w, store
    store.close()


def test_an_override_to_a_courier_off_shift_is_refused_unless_forced_with_a_reason(
    world: tuple[TestClient, World, Store],
) -> None:
    client, w, store = world
    aino, veera = w.couriers["Aino"][0], w.couriers["Veera"][0]
    headers = desk(client, w)
    shop = {"Authorization": f"Bearer {w.client_key}"}
    job = client.post("/v1/deliveries", json=delivery_body(), headers=shop).json()["id"]
    do.propose(store, w.coop_id, job, aino, at=datetime.now(UTC))
    seq = client.get(f"/v1/jobs/{job}", headers=headers).json()["last_seq"]
    plain = {"action": "override", "courier_id": veera, "expected_seq": seq}

    preview = client.get(f"/v1/jobs/{job}/override-cost", params={"courier_id": veera}, headers=headers).json()
    assert [b["code"] for b in preview["breaks"]] == ["not_on_shift"], preview
    for lang, words in (("en", ("Veera is not on shift", "force")), ("fr", ("Veera n'est pas en service", "forcer"))):
        refused = client.post(f"/v1/jobs/{job}/decisions", json=plain, headers={**headers, "Accept-Language": lang})
        assert refused.status_code == 409, refused.text
        error = refused.json()["error"]
        assert error["code"] == "physical_limit" and [b["code"] for b in error["breaks"]] == ["not_on_shift"], error
        assert all(word in error["message"] for word in words), error["message"]
    no_reason = {**plain, "force": True, "reason": "  "}
    assert client.post(f"/v1/jobs/{job}/decisions", json=no_reason, headers=headers).status_code == 422
    after = client.get(f"/v1/jobs/{job}", headers=headers).json()
    assert (after["state"], after["courier_id"], after["last_seq"]) == ("proposed", None, seq), after  # unwritten

    forced = {**plain, "force": True, "reason": "Veera starts at the shop in ten minutes"}
    given = client.post(f"/v1/jobs/{job}/decisions", json=forced, headers=headers)
    assert given.status_code == 200, given.text
    event = given.json()["event"]
    assert event["type"] == "JobOverridden" and event["payload"]["forced"] is True, event
    assert event["payload"]["reason"] == "Veera starts at the shop in ten minutes", event
    logged = client.get("/v1/events", params={"after_seq": seq}, headers=headers).json()["events"]
    assert [(e["type"], e["payload"]["reason"]) for e in logged] == [
        ("JobOverridden", "Veera starts at the shop in ten minutes")
    ], logged
    assert client.get(f"/v1/jobs/{job}", headers=headers).json()["courier_id"] == veera


def test_an_override_to_a_courier_on_shift_and_an_accept_need_no_force(
    world: tuple[TestClient, World, Store],
) -> None:
    """What is unchanged: a courier on shift is given a job without force, a proposal accepted."""
    client, w, store = world
    aino = w.couriers["Aino"][0]
    headers = desk(client, w)
    shop = {"Authorization": f"Bearer {w.client_key}"}
    given, accepted = (client.post("/v1/deliveries", json=delivery_body(), headers=shop).json()["id"] for _ in "ab")
    r = client.post(f"/v1/jobs/{given}/decisions", json={"action": "override", "courier_id": aino}, headers=headers)
    assert r.status_code == 200 and r.json()["event"]["payload"]["forced"] is False, r.text
    do.propose(store, w.coop_id, accepted, aino, at=datetime.now(UTC))
    r = client.post("/v1/decisions/accept-all", json={"jobs": [accepted]}, headers=headers)
    assert r.status_code == 200 and client.get(f"/v1/jobs/{accepted}", headers=headers).json()["state"] == "assigned"
