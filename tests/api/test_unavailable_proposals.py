"""A courier sent home (``POST /v1/couriers/{id}/unavailable``) and the proposals made to them,
found by an outside attack: the proposals stood (same seq), and a second dispatcher accepted one
with the seq they had seen, binding the job to a courier off shift; accept-all too. A second
call re-flagged the parcel on board each time, and a call for a courier with nothing to stop
answered 200 and wrote nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dispatch import commands as do
from dispatch.store import Store
from tests.api.harness import World, delivery_body, in_process, picked_up_by
from tests.api.harness import desk as desk_headers


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[TestClient, World, Store]]:
    yield from in_process(tmp_path)


def _proposed_to(client: TestClient, w: World, store: Store, courier_id: str) -> str:
    shop = {"Authorization": f"Bearer {w.client_key}"}
    job = str(client.post("/v1/deliveries", json=delivery_body(), headers=shop).json()["id"])
    do.propose(store, w.coop_id, job, courier_id, at=datetime.now(UTC))
    return job


def test_a_courier_sent_home_takes_their_proposals_with_them(world: tuple[TestClient, World, Store]) -> None:
    client, w, store = world
    aino = w.couriers["Aino"][0]
    desk = desk_headers(client, w)
    now = datetime.now(UTC)
    do.start_shift(store, w.coop_id, aino, at=now, planned_end=now + timedelta(hours=4))
    first, second = _proposed_to(client, w, store, aino), _proposed_to(client, w, store, aino)
    seen = client.get(f"/v1/jobs/{first}", headers=desk).json()["last_seq"]

    gone = client.post(f"/v1/couriers/{aino}/unavailable", json={"reason": "went home sick"}, headers=desk)
    assert gone.status_code == 200, gone.text
    assert sorted(gone.json()["withdrawn"]) == sorted([first, second]) and gone.json()["shift_ended"]
    after = client.get(f"/v1/jobs/{first}", headers=desk).json()
    assert after["last_seq"] > seen and after["state"] == "proposed"
    assert "went home sick" in str(after["needs_decision"])

    # the dispatcher who saw the proposal before: their seq is stale, a 409 says who acted
    stale = {"action": "accept", "expected_seq": seen}
    refused = client.post(f"/v1/jobs/{first}/decisions", json=stale, headers=desk)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "conflict", refused.text
    # with the fresh seq: refused all the same, the courier is off shift
    fresh = {"action": "accept", "expected_seq": after["last_seq"]}
    refused = client.post(f"/v1/jobs/{first}/decisions", json=fresh, headers=desk)
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "courier_off_shift" and "not on shift" in error["message"], error
    everyone = client.post("/v1/decisions/accept-all", json={"jobs": [first, second]}, headers=desk).json()
    assert everyone["accepted"] == 0
    assert [r["code"] for r in everyone["results"]] == ["courier_off_shift", "courier_off_shift"], everyone
    for job in (first, second):
        assert client.get(f"/v1/jobs/{job}", headers=desk).json()["state"] == "proposed"  # nobody bound


def test_a_proposal_to_a_courier_whose_shift_ended_is_not_accepted(world: tuple[TestClient, World, Store]) -> None:
    client, w, store = world
    veera = w.couriers["Veera"][0]
    desk = desk_headers(client, w)
    do.start_shift(store, w.coop_id, veera, at=datetime.now(UTC))
    job = _proposed_to(client, w, store, veera)
    do.end_shift(store, w.coop_id, veera, at=datetime.now(UTC))  # her own act: the proposal stands
    refused = client.post(f"/v1/jobs/{job}/decisions", json={"action": "accept"}, headers=desk)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "courier_off_shift", refused.text
    do.start_shift(store, w.coop_id, veera, at=datetime.now(UTC))  # back on shift: it may be accepted
    taken = client.post(f"/v1/jobs/{job}/decisions", json={"action": "accept"}, headers=desk)
    assert taken.status_code == 200 and taken.json()["job"]["courier_id"] == veera, taken.text


def test_sending_a_courier_home_twice_or_with_nothing_to_stop_is_refused(
    world: tuple[TestClient, World, Store],
) -> None:
    client, w, store = world
    aino, veera = w.couriers["Aino"][0], w.couriers["Veera"][0]
    desk = desk_headers(client, w)
    job = picked_up_by(client, w, store, "Aino")
    first = client.post(f"/v1/couriers/{aino}/unavailable", json={"reason": "fever"}, headers=desk)
    assert first.status_code == 200 and first.json()["on_board"] == [job], first.text
    last = store.cooperative_last_seq(w.coop_id)

    again = client.post(f"/v1/couriers/{aino}/unavailable", json={"reason": "fever, still"}, headers=desk)
    assert again.status_code == 409, again.text
    assert again.json()["error"]["code"] == "nothing_to_change"
    assert "nothing to stop" in again.json()["error"]["message"]
    never = client.post(f"/v1/couriers/{veera}/unavailable", json={"reason": "flat tyre"}, headers=desk)
    assert never.status_code == 409 and never.json()["error"]["code"] == "nothing_to_change", never.text
    assert store.cooperative_last_seq(w.coop_id) == last  # nothing written by either refusal
