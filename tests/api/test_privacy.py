"""Privacy: positions leave on schedule, a courier takes their own data, every decision is on record."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app, purge_positions_regularly
from api.settings import Settings
from dispatch import commands
from dispatch.store import Store, positions
from dispatch.store.access import display_name_of
from tests.api.harness import World, delivery_body, make_world
from tests.api.test_http import role_headers
from tests.dispatch.conftest import a_request, at


def test_the_scheduled_purge_forgets_positions_after_the_retention(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world = make_world(url)
    store = Store.open(url)
    aino = world.couriers["Aino"][0]
    t0 = at(0)
    client = store.add_client(world.coop_id, "Shop")[0].id
    commands.start_shift(store, world.coop_id, aino, at=t0)
    job = commands.request_job(store, world.coop_id, client, a_request(), at=t0).id
    commands.override(store, world.coop_id, job, aino, dispatcher_id="d", at=t0)
    commands.acknowledge(store, world.coop_id, job, courier_id=aino, at=t0)
    positions.record(store, world.coop_id, aino, job, 24.941, 60.171, t0)
    positions.record(store, world.coop_id, aino, job, 24.942, 60.171, t0 + timedelta(hours=3))

    now = [t0 + timedelta(hours=1)]  # the simulated clock

    async def live_a_day() -> list[int]:
        stop = asyncio.Event()
        task = asyncio.create_task(
            purge_positions_regularly(store, timedelta(hours=24), stop, every_s=0.02, clock=lambda: now[0])
        )
        kept: list[int] = []
        for hours in (1, 23, 24.5, 27.5):
            now[0] = t0 + timedelta(hours=hours)
            await asyncio.sleep(0.2)  # several runs of the task
            kept.append(len(positions.of_courier(store, world.coop_id, aino)))
        stop.set()
        await task
        return kept

    assert asyncio.run(live_a_day()) == [2, 2, 1, 0]
    store.close()


@dataclass
class Desk:
    """A running app, both couriers on shift, every role logged in."""

    client: TestClient
    world: World
    store: Store
    headers: dict[str, dict[str, str]]
    aino: str
    veera: str
    now: datetime


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world = make_world(url)
    store = Store.open(url)
    aino, veera = world.couriers["Aino"][0], world.couriers["Veera"][0]
    with TestClient(create_app(Settings(database_url=url, redis_url=None, auto_plan=False))) as client:
        headers = role_headers(client, world, store)
        now = datetime.now(UTC)
        for cid in (aino, veera):
            commands.start_shift(store, world.coop_id, cid, at=now)
        yield Desk(client, world, store, headers, aino, veera, now)
    store.close()


def test_a_courier_exports_their_own_data_and_nobody_else_s(desk: Desk) -> None:
    client, headers, aino, veera = desk.client, desk.headers, desk.aino, desk.veera
    jobs = {}
    for cid in (aino, veera):
        job = client.post("/v1/deliveries", json=delivery_body(), headers=headers["client"]).json()["id"]
        decided = client.post(
            f"/v1/jobs/{job}/decisions",
            json={"action": "override", "courier_id": cid, "reason": "closest"},
            headers=headers["dispatcher"],
        )
        assert decided.status_code == 200, decided.text
        jobs[cid] = job
    r = client.get("/v1/courier/me/export", headers=headers["courier"])
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    data = r.json()
    assert data["courier"]["id"] == aino
    mine = {e["payload"].get("job_id") for e in data["events"]}
    assert jobs[aino] in mine and jobs[veera] not in mine
    assert veera not in json.dumps(data)  # not one trace of a colleague
    assert {e["courier_id"] for e in data["ledger"]} <= {aino}


def test_every_human_decision_is_on_record_with_who_what_when_and_why(desk: Desk) -> None:
    client, headers, aino, veera = desk.client, desk.headers, desk.aino, desk.veera
    job = client.post("/v1/deliveries", json=delivery_body(), headers=headers["client"]).json()["id"]
    acts = [
        {"action": "override", "courier_id": aino, "reason": "she is next door"},
        {"action": "reassign", "courier_id": veera, "reason": "Aino's chain broke"},
        {"action": "unassign", "reason": "the shop asked to wait"},
    ]
    for act in acts:
        r = client.post(f"/v1/jobs/{job}/decisions", json=act, headers=headers["dispatcher"])
        assert r.status_code == 200, r.text
    log = client.get("/v1/events", headers=headers["analyst"]).json()["events"]
    decisions = [e for e in log if e["payload"].get("job_id") == job and e["actor"]["kind"] == "dispatcher"]
    assert [e["payload"]["reason"] for e in decisions] == [a["reason"] for a in acts]
    assert [e["type"] for e in decisions] == ["JobOverridden", "JobReassigned", "JobUnassigned"]
    who = {e["actor"]["id"] for e in decisions}
    assert len(who) == 1 and display_name_of(desk.store, desk.world.coop_id, "dispatcher", who.pop()) == "Dispatcher"
    for e in decisions:
        assert desk.now - timedelta(minutes=1) <= datetime.fromisoformat(e["at"]) <= datetime.now(UTC)
    # the record cannot be rewritten: no route changes or deletes an event
    for method in ("PUT", "PATCH", "DELETE"):
        assert client_route_absent(method, "/v1/events")


def client_route_absent(method: str, path: str) -> bool:
    app = create_app(Settings(database_url="sqlite://", redis_url=None, auto_plan=False))
    return not any(
        getattr(route, "path", None) == path and method in getattr(route, "methods", set()) for route in app.routes
    )
