"""Requests acknowledged before a (re)start are planned when the server starts, not at the next
request: an outside attack killed `tandem serve` mid-burst and the restarted server proposed
nothing for 55 s, until a dispatcher pressed "plan now". Here the jobs are written to the log
before any server runs, so the only thing that can plan them is the server's start."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dispatch import commands
from dispatch.lifecycle import JobState
from dispatch.model import JobRequest, Parcel, Place, TimeWindow
from dispatch.store import Store
from tests.api.harness import Server, World, make_world

SHOP, HOME = Place(24.9414, 60.1710), Place(24.9526, 60.1675)


def _waiting_from_before(url: str, n: int) -> tuple[World, list[str]]:
    """A cooperative with its couriers on shift and ``n`` requests in the log, no server running."""
    world = make_world(url)
    store = Store.open(url)
    now = datetime.now(UTC)
    try:
        client = store.add_client(world.coop_id, "Bakery")[0].id
        for cid, _, _ in world.couriers.values():
            commands.start_shift(store, world.coop_id, cid, at=now)
        window = TimeWindow(now, now + timedelta(hours=2))
        parcel = Parcel(weight_kg=3, volume_l=10, longest_side_cm=40)
        request = JobRequest(pickup=SHOP, dropoff=HOME, pickup_window=window, dropoff_window=window, parcels=(parcel,))
        return world, [commands.request_job(store, world.coop_id, client, request, at=now).id for _ in range(n)]
    finally:
        store.close()


def test_a_starting_server_plans_the_jobs_that_wait_from_before(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world, jobs = _waiting_from_before(url, 3)
    server = Server(url).start()
    store = Store.open(url)
    try:
        deadline = time.monotonic() + 60
        states = {}
        while time.monotonic() < deadline:
            states = {j: store.job(world.coop_id, j).state for j in jobs}
            if all(s is JobState.PROPOSED for s in states.values()):
                break
            time.sleep(0.3)
        assert all(s is JobState.PROPOSED for s in states.values()), states
    finally:
        server.stop()
        store.close()


def test_with_automatic_planning_off_a_starting_server_plans_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world, (job,) = _waiting_from_before(url, 1)
    server = Server(url, auto_plan="0").start()
    store = Store.open(url)
    try:
        time.sleep(3)  # as long as a warmed-up round takes here, and more
        assert store.job(world.coop_id, job).state is JobState.REQUESTED
    finally:
        server.stop()
        store.close()
