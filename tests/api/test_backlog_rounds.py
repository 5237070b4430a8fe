"""A running server plans a backlog round after round from one trigger (issue 21).

A round takes on at most ``NEW_JOBS_PER_BUDGET_S`` new jobs per second of budget
(``dispatch.planning.working_set``); the planner process must then run the next round at once,
not wait for the next request: otherwise the jobs left "not planned yet" would wait for good in
a quiet hour. ``auto_plan=0`` here, so the only trigger is the dispatcher's one request.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from dispatch import commands
from dispatch.lifecycle import JobState
from dispatch.model import JobRequest, Parcel, Place, TimeWindow
from dispatch.planning import NEW_JOBS_PER_BUDGET_S
from dispatch.store import Store
from tests.api.harness import Server, login, make_world

SHOP, HOME = Place(24.9414, 60.1710), Place(24.9526, 60.1675)


def test_one_request_for_a_round_plans_the_whole_backlog(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    riders = tuple((f"Rider {i}", ("bike", "cargo_bike")[i % 2]) for i in range(4))
    world = make_world(url, riders=riders)
    store = Store.open(url)
    now = datetime.now(UTC)
    client = store.add_client(world.coop_id, "Bakery")[0].id
    for cid, _, _ in world.couriers.values():
        commands.start_shift(store, world.coop_id, cid, at=now)
    jobs = []
    for i in range(30):
        opens = now + timedelta(minutes=4 * i)
        window = TimeWindow(opens, opens + timedelta(hours=2))
        parcel = Parcel(weight_kg=3, volume_l=10, longest_side_cm=40)
        request = JobRequest(pickup=SHOP, dropoff=HOME, pickup_window=window, dropoff_window=window, parcels=(parcel,))
        jobs.append(commands.request_job(store, world.coop_id, client, request, at=now).id)
    budget_s = 0.05
    assert round(NEW_JOBS_PER_BUDGET_S * budget_s) == 10  # three rounds at least

    server = Server(url, auto_plan="0", planning_budget_s=str(budget_s)).start()
    try:
        desk = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        headers = {"Authorization": f"Bearer {desk}"}
        r = httpx.post(f"{server.url}/v1/planning/rounds", params={"wait": "true"}, headers=headers, timeout=120)
        assert r.status_code == 200, r.text
        deadline, proposed = time.monotonic() + 90, 0
        while time.monotonic() < deadline:
            proposed = sum(1 for j in jobs if store.job(world.coop_id, j).state is JobState.PROPOSED)
            if proposed == len(jobs):
                break
            time.sleep(0.5)
        assert proposed == len(jobs), f"{proposed} of {len(jobs)} proposed after one request for a round"
    finally:
        server.stop()
        store.close()
