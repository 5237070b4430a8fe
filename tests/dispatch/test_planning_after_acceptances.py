"""Accepting proposals is the normal flow: after it, and after a restart, planning gets no worse.

Issue 21: with couriers holding two or more accepted jobs, every round left most open jobs (or
all of them) unplanned, and new requests were never proposed.

On SQLite only: what is tested is the planner's handling of accepted work, not the database
(the store's own tests prove both databases, tests/dispatch/test_planning.py plans on both).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta

import numpy as np

from dispatch import commands as do
from dispatch.lifecycle import JobState
from dispatch.model import JobRequest, Parcel, Place, TimeWindow, Vehicle
from dispatch.planning import planning_round
from dispatch.store import Store
from routing.network import BikeNetwork
from tests.dispatch.conftest import SQLITE_ONLY
from tests.dispatch.helsinki import NOON
from tests.words import all_said

KINDS = ("bike", "cargo_bike", "e_cargo_bike")


def _request(rng: random.Random, network: BikeNetwork, at: datetime) -> JobRequest:
    # Central Helsinki, where every vehicle's streets reach.
    central = np.flatnonzero(
        (network.lon > 24.925) & (network.lon < 24.96) & (network.lat > 60.160) & (network.lat < 60.175)
    )

    def place() -> Place:
        i = int(rng.choice(central.tolist()))
        return Place(float(network.lon[i]), float(network.lat[i]))

    start = at + timedelta(minutes=rng.randint(0, 30))
    window = TimeWindow(start, start + timedelta(hours=2))
    return JobRequest(
        pickup=place(),
        dropoff=place(),
        pickup_window=window,
        dropoff_window=window,
        parcels=(Parcel(weight_kg=rng.uniform(2, 15), volume_l=10, longest_side_cm=40),),
    )


def _busy_day(
    store: Store, network: BikeNetwork, couriers: int, jobs: int, seed: int
) -> tuple[str, str, random.Random]:
    rng = random.Random(seed)
    coop = store.create_cooperative("Lunch rush", fairness_weight=0.5).id
    client = store.add_client(coop, "Shop")[0].id
    for i in range(couriers):
        courier = store.add_courier(coop, f"Courier {i}", Vehicle.of_kind(KINDS[i % 3])).id
        do.start_shift(store, coop, courier, at=NOON - timedelta(minutes=10), planned_end=NOON + timedelta(hours=5))
    for _ in range(jobs):
        do.request_job(store, coop, client, _request(rng, network, NOON), at=NOON)
    return coop, client, rng


def _accept_until_couriers_hold_several(
    store: Store, coop: str, proposed: list[str], rng: random.Random, n: int
) -> None:
    """Accept ``n`` proposals, as a dispatcher does, so that several couriers hold 2 or more."""
    chosen = sorted(proposed)
    rng.shuffle(chosen)
    for job in chosen[:n]:
        do.accept(store, coop, job, dispatcher_id="dispatcher", at=NOON + timedelta(minutes=2))
    held = Counter(store.job(coop, j).courier_id for j in chosen[:n])
    assert sum(1 for k in held.values() if k >= 2) >= 3, held


@SQLITE_ONLY
def test_a_round_after_acceptances_plans_every_open_job(store: Store, helsinki: BikeNetwork) -> None:
    # The case: 80 couriers, 200 jobs, 62 of them accepted, 5 new requests.
    coop, client, rng = _busy_day(store, helsinki, couriers=80, jobs=200, seed=7)
    first = planning_round(store, coop, helsinki, NOON, budget_s=1.0)
    assert not first.unassigned
    _accept_until_couriers_hold_several(store, coop, [str(e.payload["job_id"]) for e in first.proposals], rng, 62)
    now = NOON + timedelta(minutes=3)
    new = [do.request_job(store, coop, client, _request(rng, helsinki, now), at=now).id for _ in range(5)]

    # Fresh, as after a restart, and from the previous plan, as in a running server.
    for previous in (None, first.plan):
        result = planning_round(store, coop, helsinki, now, budget_s=1.0, previous=previous)
        open_jobs = [j.id for j in store.jobs(coop) if j.state in (JobState.REQUESTED, JobState.PROPOSED)]
        assert len(open_jobs) == 143
        assert result.unassigned == {}
        assert set(new) <= set(result.plan.assignment())
        assert all(store.job(coop, j).state is JobState.PROPOSED for j in open_jobs)


@SQLITE_ONLY
def test_locks_that_no_longer_fit_keep_their_courier_and_new_jobs_are_still_proposed(
    store: Store, helsinki: BikeNetwork
) -> None:
    coop, client, rng = _busy_day(store, helsinki, couriers=9, jobs=24, seed=11)
    first = planning_round(store, coop, helsinki, NOON, budget_s=1.0)
    _accept_until_couriers_hold_several(store, coop, [str(e.payload["job_id"]) for e in first.proposals], rng, 16)
    accepted = {j.id: j.courier_id for j in store.jobs(coop) if j.state is JobState.ASSIGNED}
    # The server comes back 3 hours later: every accepted job's window has closed.
    later = NOON + timedelta(hours=3)
    new = [do.request_job(store, coop, client, _request(rng, helsinki, later), at=later).id for _ in range(4)]
    result = planning_round(store, coop, helsinki, later, budget_s=1.0)

    assert set(new) <= {str(e.payload["job_id"]) for e in result.proposals}
    # Only the open jobs nobody accepted and whose windows closed are left, and they say why.
    assert set(all_said(result.unassigned.values())) == {"the pickup window closes before any courier can get there"}
    assert not set(result.unassigned) & (set(new) | set(accepted))
    planned = result.plan.assignment()
    assert all(planned.get(job) == courier for job, courier in accepted.items())  # nobody's decision undone
    late = {t.shipment for route in result.plan.routes.values() for t in route.stops if t.lateness_s > 0}
    assert set(accepted) <= late  # and reported late, as they are
