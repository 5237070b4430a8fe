"""A backlog larger than one round can take is planned over several rounds, most urgent first.

Issue 21: with 1,500 open jobs and 80 couriers, a round on a 1 s budget took 13.5 s (cold) and
5 s (warm), most of it searching and slicing matrices of places it would not plan anyway. A
round now takes on a bounded number of new jobs (``NEW_JOBS_PER_BUDGET_S`` per second of
budget), those whose pickup closes first, and leaves the rest as "not planned yet" for the next
round, which the planner runs at once. A round with no plan to start from takes more
(``FRESH_JOBS_PER_BUDGET_S``): the constructor builds a plan of 500 jobs in a second.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

from dispatch import commands as do
from dispatch import planning
from dispatch.lifecycle import JobState
from dispatch.model import JobRequest, Parcel, Place, TimeWindow, Vehicle
from dispatch.planning import JobToPlan, backlog_left, planning_round, working_set
from dispatch.store import Store
from routing.network import BikeNetwork
from routing.solver import DEFERRED, FITS_NOWHERE, SolverSettings
from tests.dispatch.conftest import SQLITE_ONLY
from tests.dispatch.helsinki import NOON

#: Central Helsinki, two streets every vehicle reaches.
SHOP, HOME = Place(24.9414, 60.1710), Place(24.9526, 60.1675)


def _request(opens_in_min: int) -> JobRequest:
    opens = NOON + timedelta(minutes=opens_in_min)
    window = TimeWindow(opens, opens + timedelta(hours=2))
    parcel = Parcel(weight_kg=3, volume_l=10, longest_side_cm=40)
    return JobRequest(pickup=SHOP, dropoff=HOME, pickup_window=window, dropoff_window=window, parcels=(parcel,))


def test_the_working_set_keeps_decided_and_planned_jobs_and_adds_the_most_urgent() -> None:
    jobs = [JobToPlan(f"j{i}", _request(opens_in_min=60 - i)) for i in range(10)]  # j9 closes first
    locked = JobToPlan("mine", _request(opens_in_min=90), courier_id="c1")
    planned_before = frozenset({"j0"})  # the least urgent, but in the last plan
    taken, waiting = working_set([*jobs, locked], planned_before, new_jobs_cap=3)

    assert {j.id for j in taken} == {"mine", "j0", "j9", "j8", "j7"}
    assert waiting == ["j1", "j2", "j3", "j4", "j5", "j6"]
    assert working_set(jobs, frozenset(), None) == (jobs, [])  # no cap: everything, as before
    assert working_set(jobs, frozenset(), 10) == (jobs, [])


@SQLITE_ONLY  # the planner is tested, not the database (the store's tests prove both)
def test_a_backlog_is_planned_over_rounds_most_urgent_first(store: Store, helsinki: BikeNetwork) -> None:
    coop = store.create_cooperative("Backlog", fairness_weight=0.5).id
    client = store.add_client(coop, "Shop")[0].id
    for i in range(6):
        courier = store.add_courier(coop, f"Courier {i}", Vehicle.of_kind(("bike", "cargo_bike")[i % 2])).id
        do.start_shift(store, coop, courier, at=NOON - timedelta(minutes=10), planned_end=NOON + timedelta(hours=6))
    opens = list(range(0, 120, 4))  # 30 jobs, windows opening every 4 minutes
    random.Random(3).shuffle(opens)
    job_opens = {do.request_job(store, coop, client, _request(m), at=NOON).id: m for m in opens}
    urgent_first = sorted(job_opens, key=job_opens.__getitem__)

    budget = 0.04  # 20 jobs in the first round (no plan to start from), then 8 new per round
    assert round(planning.FRESH_JOBS_PER_BUDGET_S * budget) == 20
    assert round(planning.NEW_JOBS_PER_BUDGET_S * budget) == 8
    # Repeatable work instead of wall-clock time (as replays do): a loaded machine must not
    # change how many jobs a round inserts; the working set still follows the budget.
    search = SolverSettings(time_budget_s=budget, iterations=100)
    first = planning_round(store, coop, helsinki, NOON, settings=search)
    considered = {s.id for s in first.problem.shipments}
    assert considered == set(urgent_first[:20])
    assert {j for j, why in first.unassigned.items() if why == DEFERRED} == set(urgent_first[20:])
    assert backlog_left(first)
    # Waiting for a later round is nobody's decision: no "a person must decide" event for it.
    assert not {str(e.payload["job_id"]) for e in first.withheld} & set(urgent_first[20:])

    previous, rounds = first, 1
    while backlog_left(previous) and rounds < 10:
        now = NOON + timedelta(seconds=5 * rounds)
        result = planning_round(store, coop, helsinki, now, settings=search, previous=previous.plan)
        # The jobs proposed before stay in the round (their proposals stay stable).
        assert set(previous.plan.assignment()) <= {s.id for s in result.problem.shipments}
        previous, rounds = result, rounds + 1
    assert rounds == 3
    assert not backlog_left(previous)
    assert all(store.job(coop, j).state is JobState.PROPOSED for j in job_opens)


def test_jobs_the_last_round_found_no_room_for_wait_behind_the_jobs_never_tried() -> None:
    """An outside attack's stall: the most urgent jobs fit nowhere, every round took them first,
    failed on them again within its time and proposed nothing; after two such rounds the planner
    stopped with 872 jobs never tried."""
    jobs = [JobToPlan(f"j{i}", _request(opens_in_min=60 - i)) for i in range(10)]  # j9 closes first
    taken, waiting = working_set(jobs, frozenset(), new_jobs_cap=3, told_nowhere=frozenset({"j9", "j8"}))
    assert {j.id for j in taken} == {"j7", "j6", "j5"}
    assert set(waiting) == {"j0", "j1", "j2", "j3", "j4", "j8", "j9"}
    # once every job has been tried, they come back first (the most urgent)
    taken, _ = working_set(jobs[8:], frozenset(), new_jobs_cap=1, told_nowhere=frozenset({"j9", "j8"}))
    assert [j.id for j in taken] == ["j9"]


@SQLITE_ONLY  # the planner is tested, not the database (the store's tests prove both)
def test_a_round_after_a_plan_with_nothing_in_it_takes_on_as_many_jobs_as_a_first_round(
    store: Store, helsinki: BikeNetwork
) -> None:
    """An outside attack: the round that ran when the shifts started planned nothing, and the next
    one took 700 requests on 200 at a time by insertion instead of 500 by the constructor."""
    coop = store.create_cooperative("Empty plan", fairness_weight=0.5).id
    client = store.add_client(coop, "Shop")[0].id
    for i in range(4):
        courier = store.add_courier(coop, f"Courier {i}", Vehicle.of_kind(("bike", "cargo_bike")[i % 2])).id
        do.start_shift(store, coop, courier, at=NOON - timedelta(minutes=10), planned_end=NOON + timedelta(hours=6))
    search = SolverSettings(time_budget_s=0.04, iterations=100)  # 20 fresh jobs a round, 8 from a plan
    empty = planning_round(store, coop, helsinki, NOON, settings=search)
    assert not empty.plan.assignment()
    for m in range(0, 120, 4):
        do.request_job(store, coop, client, _request(m), at=NOON)
    after = planning_round(store, coop, helsinki, NOON, settings=search, previous=empty.plan)
    assert len(after.problem.shipments) == 20
    assert after.plan.solver.constructor.name == "pyvrp"  # built, not inserted into empty routes


@SQLITE_ONLY  # the planner is tested, not the database (the store's tests prove both)
def test_a_job_told_it_fits_nowhere_keeps_saying_so_while_it_waits(store: Store, helsinki: BikeNetwork) -> None:
    coop = store.create_cooperative("Told", fairness_weight=0.5).id
    client = store.add_client(coop, "Shop")[0].id
    courier = store.add_courier(coop, "Courier", Vehicle.of_kind("cargo_bike")).id
    do.start_shift(store, coop, courier, at=NOON - timedelta(minutes=10), planned_end=NOON + timedelta(hours=6))
    job_opens = {do.request_job(store, coop, client, _request(m), at=NOON).id: m for m in range(0, 120, 4)}
    urgent_first = sorted(job_opens, key=job_opens.__getitem__)
    search = SolverSettings(time_budget_s=0.04, iterations=100)
    first = planning_round(store, coop, helsinki, NOON, settings=search)
    told = urgent_first[20:22]  # as if the first round had tried them and found no room
    previous = replace(first.plan, unassigned={**first.plan.unassigned, **dict.fromkeys(told, FITS_NOWHERE)})
    after = planning_round(store, coop, helsinki, NOON, settings=search, previous=previous)
    new = {s.id for s in after.problem.shipments} - set(first.plan.assignment())
    assert new & set(urgent_first[22:]) and not new & set(told)
    assert all(after.unassigned[j] == FITS_NOWHERE for j in told)
