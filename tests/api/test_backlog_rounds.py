"""A running server plans a backlog round after round from one trigger (issue 21).

A round takes on a bounded number of new jobs per second of budget
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
from dispatch.planning import FRESH_JOBS_PER_BUDGET_S, NEW_JOBS_PER_BUDGET_S
from dispatch.store import Store
from routing.solver import DEFERRED
from tests.api.harness import Server, login, make_world

SHOP, HOME = Place(24.9414, 60.1710), Place(24.9526, 60.1675)


def test_one_request_for_a_round_plans_the_whole_backlog(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    riders = tuple((f"Rider {i}", ("bike", "cargo_bike")[i % 2]) for i in range(6))
    world = make_world(url, riders=riders)
    store = Store.open(url)
    now = datetime.now(UTC)
    client = store.add_client(world.coop_id, "Bakery")[0].id
    for cid, _, _ in world.couriers.values():
        commands.start_shift(store, world.coop_id, cid, at=now)
    jobs = []
    for i in range(60):
        opens = now + timedelta(minutes=3 * i)
        window = TimeWindow(opens, opens + timedelta(hours=2))
        parcel = Parcel(weight_kg=3, volume_l=10, longest_side_cm=40)
        request = JobRequest(pickup=SHOP, dropoff=HOME, pickup_window=window, dropoff_window=window, parcels=(parcel,))
        jobs.append(commands.request_job(store, world.coop_id, client, request, at=now).id)
    budget_s = 0.1
    # 50 jobs in the first round, up to 20 new ones in each of the next: two rounds at least.
    assert (round(FRESH_JOBS_PER_BUDGET_S * budget_s), round(NEW_JOBS_PER_BUDGET_S * budget_s)) == (50, 20)

    server = Server(url, auto_plan="0", planning_budget_s=str(budget_s)).start()
    try:
        desk = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        headers = {"Authorization": f"Bearer {desk}"}
        r = httpx.post(f"{server.url}/v1/planning/rounds", params={"wait": "true"}, headers=headers, timeout=120)
        assert r.status_code == 200, r.text
        # Without a follow-up round, the 10 jobs beyond the first round's 50 would wait "not
        # planned yet" until the next request; with it, each gets a proposal or a reason.
        deadline, proposed, waiting = time.monotonic() + 90, 0, set(jobs)
        while time.monotonic() < deadline:
            latest = httpx.get(f"{server.url}/v1/plan", headers=headers).json()
            unassigned = latest.get("unassigned", {})
            waiting = {j for j, why in unassigned.items() if why.get("code") == DEFERRED.code}
            proposed = sum(1 for j in jobs if store.job(world.coop_id, j).state is JobState.PROPOSED)
            if not waiting and proposed + len(unassigned) == len(jobs):
                break
            time.sleep(0.5)
        assert not waiting, f"{len(waiting)} jobs still not planned yet after one request for a round"
        assert proposed > 50, proposed
    finally:
        server.stop()
        store.close()
