"""`POST /v1/couriers/{id}/unavailable` (issue 18): one dispatcher act when a courier must stop;
refused with a reason to anyone else, for an unknown courier and without a reason."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dispatch import commands as do
from dispatch.store import Store
from tests.api.harness import World, delivery_body, in_process
from tests.api.harness import desk as desk_headers


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[TestClient, World, Store]]:
    yield from in_process(tmp_path)


def test_a_dispatcher_sends_a_sick_courier_home_in_one_act(world: tuple[TestClient, World, Store]) -> None:
    client, w, store = world
    aino = w.couriers["Aino"][0]
    desk = desk_headers(client, w)
    shop = {"Authorization": f"Bearer {w.client_key}"}
    now = datetime.now(UTC)
    do.start_shift(store, w.coop_id, aino, at=now, planned_end=now + timedelta(hours=4))
    jobs = [client.post("/v1/deliveries", json=delivery_body(), headers=shop).json()["id"] for _ in range(3)]
    for job in jobs:
        answer = client.post(f"/v1/jobs/{job}/decisions", json={"action": "override", "courier_id": aino}, headers=desk)
        assert answer.status_code == 200, answer.text
    do.acknowledge(store, w.coop_id, jobs[2], courier_id=aino, at=datetime.now(UTC))
    do.pick_up(store, w.coop_id, jobs[2], courier_id=aino, at=datetime.now(UTC))

    assert client.post(f"/v1/couriers/{aino}/unavailable", json={"reason": ""}, headers=desk).status_code == 422
    assert client.post(f"/v1/couriers/{aino}/unavailable", json={"reason": "fever"}, headers=shop).status_code in (
        401,
        403,
    )
    missing = client.post("/v1/couriers/nobody/unavailable", json={"reason": "fever"}, headers=desk)
    assert missing.status_code == 404 and missing.json()["error"]["message"]
    gone = client.post(f"/v1/couriers/{aino}/unavailable", json={"reason": "fever"}, headers=desk)
    assert gone.status_code == 200, gone.text
    body = gone.json()
    assert sorted(body["returned"]) == sorted(jobs[:2]) and body["on_board"] == [jobs[2]] and body["shift_ended"]
    states = {j: client.get(f"/v1/jobs/{j}", headers=desk).json() for j in jobs}
    assert [states[j]["state"] for j in jobs] == ["unassigned", "unassigned", "picked_up"]
    flagged = states[jobs[2]]["needs_decision"]  # a reason as data, said by the API in the reader's words
    assert flagged["code"] == "stopped_on_board" and "Aino" in flagged["text"] and "handover" in flagged["text"]
    # the ledger is unchanged for the time not worked: the four planned hours are not their shift
    [row] = [r for r in client.get("/v1/ledger", headers=desk).json()["couriers"] if r["courier_id"] == aino]
    assert row["planned_shift_minutes"] < 1 and row["shift_minutes"] < 1 and row["shift_open_since"] is None


def test_a_courier_never_gets_the_etas_planned_for_another(world: tuple[TestClient, World, Store]) -> None:
    from types import SimpleNamespace

    from api.couriers import job_for_courier

    client, w, store = world
    aino, veera = w.couriers["Aino"][0], w.couriers["Veera"][0]
    shop = {"Authorization": f"Bearer {w.client_key}"}
    job = client.post("/v1/deliveries", json=delivery_body(), headers=shop).json()["id"]
    now = datetime.now(UTC)
    eta = {"pickup_eta": now.isoformat(), "dropoff_eta": now.isoformat()}
    do.propose(store, w.coop_id, job, aino, at=now, explanation=eta)
    svc = SimpleNamespace(store=store)
    do.accept(store, w.coop_id, job, dispatcher_id="d", at=now)
    assert job_for_courier(svc, w.coop_id, job)["pickup_eta"] == eta["pickup_eta"]  # type: ignore[arg-type]
    do.reassign(store, w.coop_id, job, veera, dispatcher_id="d", at=now)
    seen = job_for_courier(svc, w.coop_id, job)  # type: ignore[arg-type]
    assert seen["courier_id"] == veera and seen["pickup_eta"] is None and seen["dropoff_eta"] is None


def test_the_ledger_says_when_a_running_shift_began(world: tuple[TestClient, World, Store]) -> None:
    client, w, store = world
    aino = w.couriers["Aino"][0]
    headers = desk_headers(client, w)
    started = datetime.now(UTC)
    do.start_shift(store, w.coop_id, aino, at=started)
    rows = client.get("/v1/ledger", headers=headers).json()["couriers"]
    mine = {r["courier_id"]: r for r in rows}
    assert datetime.fromisoformat(mine[aino]["shift_open_since"]) == started
    assert mine[w.couriers["Veera"][0]]["shift_open_since"] is None  # not on shift


def test_a_deactivated_courier_is_given_no_work_and_settings_take_numbers_only(
    world: tuple[TestClient, World, Store],
) -> None:
    """Found by an outside attack: an override to a deactivated courier was accepted, and the
    fairness weight accepted "1" and true."""
    client, w, _ = world
    desk = desk_headers(client, w)
    shop = {"Authorization": f"Bearer {w.client_key}"}
    aino = w.couriers["Aino"][0]
    gone = client.post(f"/v1/couriers/{aino}/deactivate", json={"reason": "moved away"}, headers=desk)
    assert gone.status_code == 200, gone.text
    job = client.post("/v1/deliveries", json=delivery_body(), headers=shop).json()["id"]
    for force in (False, True):
        given = client.post(
            f"/v1/jobs/{job}/decisions", json={"action": "override", "courier_id": aino, "force": force}, headers=desk
        )
        assert given.status_code == 422 and given.json()["error"]["field"] == "courier_id", given.text
    for weight in ("1", True):
        changed = client.patch("/v1/cooperative/settings", json={"fairness_weight": weight}, headers=desk)
        assert changed.status_code == 422, changed.text
    assert client.patch("/v1/cooperative/settings", json={"fairness_weight": 1}, headers=desk).status_code == 200
