"""A parcel already picked up handed over to another courier (issue 18, found by an outside
attack): the courier who picked it up had to go home, and ``reassign`` was refused from
picked_up ("use override"), while ``override`` said "use reassign"; the parcel stayed with the
courier who left, and they could never be erased. Now the parcel moves, on board, to the new
courier: their plan holds only its drop-off, their phone shows it on board, and the kilograms
they carry count in their ledger; the courier who left holds nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dispatch import commands as do
from dispatch.store import Store
from tests.api.harness import World, in_process, phone, picked_up_by
from tests.api.harness import desk as desk_headers


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[TestClient, World, Store]]:
    yield from in_process(tmp_path)


def _on_board_with_a_courier_sent_home(client: TestClient, w: World, store: Store) -> tuple[str, dict[str, str]]:
    """Aino picks up a 4 kg parcel, then a dispatcher sends her home; Veera is on shift."""
    aino, veera = w.couriers["Aino"][0], w.couriers["Veera"][0]
    desk = desk_headers(client, w)
    now = datetime.now(UTC)
    for courier in (aino, veera):
        do.start_shift(store, w.coop_id, courier, at=now, planned_end=now + timedelta(hours=4))
    job = picked_up_by(client, w, store, "Aino")
    gone = client.post(f"/v1/couriers/{aino}/unavailable", json={"reason": "went home sick"}, headers=desk)
    assert gone.status_code == 200 and gone.json()["on_board"] == [job], gone.text
    return job, desk


def test_a_parcel_on_board_is_handed_over_and_the_courier_who_left_can_be_erased(
    world: tuple[TestClient, World, Store],
) -> None:
    client, w, store = world
    aino, veera = w.couriers["Aino"][0], w.couriers["Veera"][0]
    job, desk = _on_board_with_a_courier_sent_home(client, w, store)
    seq = client.get(f"/v1/jobs/{job}", headers=desk).json()["last_seq"]

    # override is for open jobs: the refusal names reassign; unassign names the handover too
    override = {"action": "override", "courier_id": veera, "reason": "handover", "expected_seq": seq}
    refused = client.post(f"/v1/jobs/{job}/decisions", json=override, headers=desk)
    assert refused.status_code == 422 and "reassign" in refused.json()["error"]["message"], refused.text
    unassign = {"action": "unassign", "reason": "handover", "expected_seq": seq}
    refused = client.post(f"/v1/jobs/{job}/decisions", json=unassign, headers=desk)
    assert refused.status_code == 422 and "reassign" in refused.json()["error"]["message"], refused.text
    assert client.get(f"/v1/jobs/{job}", headers=desk).json()["last_seq"] == seq  # nothing written

    # the console asks the cost first (drag and drop): a handover's is the other vehicle's limits
    preview = client.get(f"/v1/jobs/{job}/override-cost", params={"courier_id": veera}, headers=desk)
    assert preview.status_code == 200 and preview.json()["breaks"] == [], preview.text
    handover = {"action": "reassign", "courier_id": veera, "reason": "handover at a meeting point", "expected_seq": seq}
    moved = client.post(f"/v1/jobs/{job}/decisions", json=handover, headers=desk)
    assert moved.status_code == 200, moved.text
    assert moved.json()["job"]["state"] == "picked_up" and moved.json()["job"]["courier_id"] == veera
    assert moved.json()["event"]["type"] == "JobReassigned"

    # Veera's phone has it on board (nothing to pick up); Aino's has nothing
    mine = client.get("/v1/courier/jobs", headers=phone(client, w, "Veera")).json()["jobs"]
    assert [(j["id"], j["state"]) for j in mine] == [(job, "picked_up")]
    # the plan: Veera rides only to the drop-off, Aino (off shift) has no route
    planned = client.post("/v1/planning/rounds?wait=true", headers=desk).json()
    assert planned["done"] is True, planned
    routes = planned["plan"]["routes"]
    assert [(s["job_id"], s["kind"]) for s in routes[veera]] == [(job, "dropoff")], routes
    assert not routes.get(aino)
    route = client.get("/v1/courier/jobs", headers=phone(client, w, "Veera")).json()["route"]
    assert [(s["job_id"], s["kind"]) for s in route] == [(job, "dropoff")]

    # Veera delivers: the kilograms she carried count in her ledger, none in Aino's
    do.deliver(store, w.coop_id, job, courier_id=veera, at=datetime.now(UTC), carried_m=1500.0)
    rows = {r["courier_id"]: r for r in client.get("/v1/ledger", headers=desk).json()["couriers"]}
    assert rows[veera]["kg_km"] == pytest.approx(4.0 * 1.5)
    assert rows[aino]["kg_km"] == 0

    # Aino holds nothing any more: deactivated, she can be erased
    off = client.post(f"/v1/couriers/{aino}/deactivate", json={"reason": "left the cooperative"}, headers=desk)
    assert off.status_code == 200, off.text
    erased = client.post(f"/v1/couriers/{aino}/erase", json={"reason": "asked to be forgotten"}, headers=desk)
    assert erased.status_code == 200, erased.text


def test_a_handover_is_refused_to_the_same_courier_and_after_delivery_with_the_reason(
    world: tuple[TestClient, World, Store],
) -> None:
    client, w, store = world
    aino, veera = w.couriers["Aino"][0], w.couriers["Veera"][0]
    job, desk = _on_board_with_a_courier_sent_home(client, w, store)
    same = client.post(f"/v1/jobs/{job}/decisions", json={"action": "reassign", "courier_id": aino}, headers=desk)
    assert same.status_code == 422 and "already" in same.json()["error"]["message"], same.text
    moved = client.post(f"/v1/jobs/{job}/decisions", json={"action": "reassign", "courier_id": veera}, headers=desk)
    assert moved.status_code == 200, moved.text
    do.deliver(store, w.coop_id, job, courier_id=veera, at=datetime.now(UTC))
    late = client.post(f"/v1/jobs/{job}/decisions", json={"action": "reassign", "courier_id": aino}, headers=desk)
    assert late.status_code == 409 and late.json()["error"]["code"] == "illegal_transition", late.text
    message = late.json()["error"]["message"]
    assert "delivered" in message and "override" not in message, message


def test_a_handover_to_a_vehicle_that_cannot_carry_the_parcel_is_refused_unless_forced(
    world: tuple[TestClient, World, Store],
) -> None:
    """A 40 kg parcel on Veera's cargo bike: Aino's bike takes 25 kg. The refusal names the
    limit (the console offers to force it), and forcing needs a reason, as an override does."""
    client, w, store = world
    aino = w.couriers["Aino"][0]
    desk = desk_headers(client, w)
    do.start_shift(store, w.coop_id, aino, at=datetime.now(UTC))
    job = picked_up_by(client, w, store, "Veera", weight_kg=40.0)
    preview = client.get(f"/v1/jobs/{job}/override-cost", params={"courier_id": aino}, headers=desk).json()
    assert [b["code"] for b in preview["breaks"]] == ["over_payload"], preview
    refused = client.post(f"/v1/jobs/{job}/decisions", json={"action": "reassign", "courier_id": aino}, headers=desk)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "physical_limit", refused.text
    no_reason = {"action": "reassign", "courier_id": aino, "force": True}
    assert client.post(f"/v1/jobs/{job}/decisions", json=no_reason, headers=desk).status_code == 422
    forced = {**no_reason, "reason": "two trips from the meeting point"}
    moved = client.post(f"/v1/jobs/{job}/decisions", json=forced, headers=desk)
    assert moved.status_code == 200 and moved.json()["event"]["payload"]["forced"] is True, moved.text
    assert client.get(f"/v1/jobs/{job}", headers=desk).json()["courier_id"] == aino


def test_a_handover_to_a_courier_off_shift_or_paused_needs_force_and_a_reason(
    world: tuple[TestClient, World, Store],
) -> None:
    """The planner leaves an off-shift or paused courier's work aside: a parcel handed to them
    would sit unplanned, so it is a limit, forced only with a reason the log keeps."""
    client, w, store = world
    aino, veera = w.couriers["Aino"][0], w.couriers["Veera"][0]
    job, desk = _on_board_with_a_courier_sent_home(client, w, store)
    for limit, act in (("courier_paused", do.pause_shift), ("not_on_shift", do.end_shift)):
        act(store, w.coop_id, veera, at=datetime.now(UTC))
        preview = client.get(f"/v1/jobs/{job}/override-cost", params={"courier_id": veera}, headers=desk).json()
        assert [b["code"] for b in preview["breaks"]] == [limit], preview
        refused = client.post(
            f"/v1/jobs/{job}/decisions", json={"action": "reassign", "courier_id": veera}, headers=desk
        )
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "physical_limit", refused.text
        error = refused.json()["error"]
        assert [b["code"] for b in error["breaks"]] == [limit] and "Veera" in error["message"], refused.text
        no_reason = {"action": "reassign", "courier_id": veera, "force": True}
        assert client.post(f"/v1/jobs/{job}/decisions", json=no_reason, headers=desk).status_code == 422
        assert client.get(f"/v1/jobs/{job}", headers=desk).json()["courier_id"] == aino  # nothing written
    forced = {"action": "reassign", "courier_id": veera, "force": True, "reason": "she rides it home tomorrow"}
    moved = client.post(f"/v1/jobs/{job}/decisions", json=forced, headers=desk)
    assert moved.status_code == 200, moved.text
    payload = moved.json()["event"]["payload"]
    assert payload["forced"] is True and payload["reason"] == "she rides it home tomorrow", payload
    assert [b["code"] for b in payload["cost"]["breaks"]] == ["not_on_shift"]
