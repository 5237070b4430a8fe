"""The override dialog's side-by-side costs over real HTTP (issue 17, item 4): one request gives
every courier in the day's rotation with their shift, their load against capacity, and either
what giving them the job costs or why they cannot take it.

What was wrong: the console asked ``override-cost`` courier by courier (one courier at a time on
screen), the proposed courier's cost was not the proposal's figure (it was measured without the
other jobs proposed to them), and a 49 kg parcel on a 25 kg bike read "adds 0.0 min" beside the
limit, as if it were a cost.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from dispatch import commands as do
from dispatch.model import Role
from dispatch.store import Store
from tests.api.harness import Server, World, create_delivery, login, make_world


def three_couriers(url: str, *members: str) -> tuple[World, dict[str, str]]:
    """Aino (bike, 25 kg) and Veera (cargo bike) on shift, Ilmari (cargo bike) off shift; with
    dispatchers named ``members`` beside the world's own (name -> password)."""
    world = make_world(url, riders=(("Ilmari", "cargo_bike"),))
    store = Store.open(url)
    now = datetime.now(UTC)
    try:
        passwords = {m: store.add_member(world.coop_id, Role.DISPATCHER, m, m.lower())[1] for m in members}
        for name in ("Aino", "Veera"):
            do.start_shift(store, world.coop_id, world.couriers[name][0], at=now, planned_end=now + timedelta(hours=5))
    finally:
        store.close()
    return world, passwords


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, World, dict[str, str], list[str]]]:
    """:func:`three_couriers` with three jobs planned: 4 kg, 6 kg and 49 kg."""
    url = f"sqlite:///{tmp_path_factory.mktemp('options') / 'tandem.db'}"
    world, _ = three_couriers(url)
    server = Server(url, planning_budget_s="0.5", auto_plan="0").start()
    try:
        jobs = [create_delivery(server.url, world, weight_kg=kg) for kg in (4.0, 6.0, 49.0)]
        token = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        auth = {"Authorization": f"Bearer {token}"}
        r = httpx.post(f"{server.url}/v1/planning/rounds?wait=true", headers=auth, timeout=120)
        assert r.status_code == 200 and r.json()["done"], r.text
        yield server, world, auth, jobs
    finally:
        server.stop()


def _options(server: Server, auth: dict[str, str], job_id: str, lang: str = "en") -> httpx.Response:
    return httpx.get(
        f"{server.url}/v1/jobs/{job_id}/override-options", headers={**auth, "Accept-Language": lang}, timeout=60
    )


def _job(server: Server, auth: dict[str, str], job_id: str) -> dict[str, Any]:
    return httpx.get(f"{server.url}/v1/jobs/{job_id}", headers=auth, timeout=30).json()  # type: ignore[no-any-return]


def test_every_courier_in_rotation_order_with_the_cost_or_a_refusal(
    desk: tuple[Server, World, dict[str, str], list[str]],
) -> None:
    server, world, auth, (light, _, _) = desk
    aino, veera, ilmari = (world.couriers[n][0] for n in ("Aino", "Veera", "Ilmari"))
    r = _options(server, auth, light)
    assert r.status_code == 200, r.text
    answer = r.json()
    rotation = [
        c["id"] for c in httpx.get(f"{server.url}/v1/console/state", headers=auth, timeout=30).json()["couriers"]
    ]
    lines = {c["courier_id"]: c for c in answer["couriers"]}
    # the day's rotation, never an order by any figure; the off-shift courier listed all the same
    assert [c["courier_id"] for c in answer["couriers"]] == rotation and set(rotation) == {aino, veera, ilmari}
    assert lines[ilmari]["on_shift"] is False and lines[ilmari]["extra_minutes"] is None
    assert [x["code"] for x in lines[ilmari]["refusals"]] == ["not_on_shift"] and lines[ilmari]["cost"] == []
    for cid in (aino, veera):
        line = lines[cid]
        assert line["on_shift"] and line["refusals"] == [], line
        assert [x["code"] for x in line["cost"]][:2] == ["override_adds", "objective_cost"], line
        assert line["extra_minutes"] > 0 and line["objective_minutes"] is not None, line
        assert line["with_job_kg"] >= 4.0 and line["load_kg"] >= 0 and line["payload_kg"] > 0, line
        assert (
            "min" in line["cost"][0]["text"]
            and world.couriers["Aino" if cid == aino else "Veera"][0] not in line["cost"][0]["text"]
        )
    # the proposed courier's cost is the proposal's own figure, measured the same way
    job = _job(server, auth, light)
    proposed = job["proposal"]["courier_id"]
    assert answer["proposed_courier_id"] == proposed and lines[proposed]["proposed"] is True
    figure = job["proposal"]["explanation"]["extra_minutes"]
    assert answer["proposed_extra_minutes"] == figure
    assert lines[proposed]["extra_minutes"] == pytest.approx(figure, abs=0.11), (lines[proposed], figure)
    assert answer["job_seq"] == job["last_seq"]
    # in the reader's language
    french = _options(server, auth, light, "fr").json()["couriers"]
    said = next(c for c in french if c["courier_id"] == ilmari)["refusals"][0]["text"]
    assert "Ilmari" in said and "pas en service" in said, said


def test_a_parcel_over_a_bikes_payload_is_a_refusal_not_a_cost(
    desk: tuple[Server, World, dict[str, str], list[str]],
) -> None:
    server, world, auth, (_, _, heavy) = desk
    aino, veera = world.couriers["Aino"][0], world.couriers["Veera"][0]
    lines = {c["courier_id"]: c for c in _options(server, auth, heavy).json()["couriers"]}
    bike = lines[aino]
    assert bike["extra_minutes"] is None and bike["cost"] == [] and bike["with_job_kg"] is None, bike
    (limit,) = bike["refusals"]
    assert limit["code"] == "over_payload" and limit["params"]["kg"] == 49 and limit["params"]["payload"] == 25, limit
    assert limit["text"] == "49 kg is over the 25 kg payload of Aino's bike", limit
    assert lines[veera]["refusals"] == [] and lines[veera]["extra_minutes"] is not None  # a cargo bike takes it


def test_an_unknown_job_is_404_and_a_job_someone_has_is_409(
    desk: tuple[Server, World, dict[str, str], list[str]],
) -> None:
    server, _, auth, (_, middle, _) = desk
    missing = _options(server, auth, "00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found", missing.text
    accepted = httpx.post(
        f"{server.url}/v1/jobs/{middle}/decisions", json={"action": "accept"}, headers=auth, timeout=30
    )
    assert accepted.status_code == 200, accepted.text
    taken = _options(server, auth, middle)
    assert taken.status_code == 409, taken.text
    error = taken.json()["error"]
    assert error["code"] == "illegal_transition" and "use reassign" in error["message"], error
    assert middle not in error["message"], error  # the job said by its places
