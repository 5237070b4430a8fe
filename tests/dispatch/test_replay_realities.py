"""Replays learn the day's realities (issue 18): a day file's breaks and "unavailable from" times,
and ``generate-day --breaks --sick N``.

The must-show: a replayed day with breaks where, in every planning round, every route takes each
break it owes inside its window for its whole duration, once, no stop is served during one, and
every time shown is the evaluator's with the day's breaks.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from dispatch import simulation
from dispatch.days import FleetMember, day_json, generate_day, read_day, street_points
from dispatch.errors import InvalidInput
from dispatch.events import ActorKind, EventType
from dispatch.lifecycle import JobState
from dispatch.planning import RoundResult, planning_round
from dispatch.replay import day_from_log
from dispatch.shifts import ShiftBreak
from dispatch.simulation import Policy, run_day
from dispatch.store import Store
from routing.evaluate import RouteStop, evaluate_route
from routing.network import BikeNetwork, open_city
from routing.problem import Break

runner = CliRunner()
START = datetime.fromisoformat("2026-11-30T10:00")
#: Repeatable and quick: a small search per round, no noise on the rides.
POLICY = Policy(iterations=10, noise=0.0, plan_every=timedelta(minutes=10))


@pytest.fixture(scope="module")
def city() -> tuple[BikeNetwork, list[tuple[float, float]]]:
    """The bundled city and its streets every vehicle reaches (where generated days put places)."""
    network = open_city(None)
    return network, street_points(network)


@pytest.fixture
def helsinki(city: tuple[BikeNetwork, list[tuple[float, float]]]) -> BikeNetwork:
    return city[0]


@pytest.fixture
def points(city: tuple[BikeNetwork, list[tuple[float, float]]]) -> list[tuple[float, float]]:
    return city[1]


@pytest.fixture(autouse=True)
def _cache_in_the_tests_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path / "tandem-data"))  # never the user's


def _rounds(monkeypatch: pytest.MonkeyPatch) -> list[RoundResult]:
    """Every planning round the simulation runs, as it ran."""
    seen: list[RoundResult] = []
    real = planning_round

    def recorded(*args: Any, **kwargs: Any) -> RoundResult:
        result = real(*args, **kwargs)
        seen.append(result)
        return result

    monkeypatch.setattr(simulation, "planning_round", recorded)
    return seen


def _in_seconds(day_start: datetime, b: ShiftBreak) -> Break:
    earliest = round((b.earliest - day_start).total_seconds())
    return Break(earliest, round((b.latest - day_start).total_seconds()), 60 * b.minutes)


def _check_round(result: RoundResult, fleet: dict[str, FleetMember]) -> int:
    """Every route of the round holds each break its courier owes, once; the number of breaks placed.

    A break counts as taken only on the courier's evidence, a pause inside its window; the
    simulated couriers ride their routes (breaks included) but never pause, so every round owes
    each of the day file's breaks in full until its latest start passes (then the routing layer
    leaves it out). A route that runs past a break's latest start places it, whole, inside its
    window, and no route places a break twice.
    """
    problem, day_start, taken = result.problem, result.context.day_start, 0
    for courier in problem.couriers:
        day_breaks = sorted((_in_seconds(day_start, b) for b in fleet[courier.id].breaks), key=_in_time)
        assert sorted(courier.breaks, key=_in_time) == day_breaks, courier.id
        route = result.plan.routes.get(courier.id)
        if route is None or not route.stops:
            continue
        start = max(courier.shift_start, problem.now)
        owed = [b for b in courier.breaks if b.latest_start >= start]
        assert route.missed_breaks == 0
        for b in owed:
            if route.stops[-1].departure > b.latest_start:  # the route runs past the break's last start
                assert any(b.earliest <= s and e <= b.latest and e - s == b.duration_s for s, e in route.breaks), (
                    courier.id,
                    b,
                    route.breaks,
                )
        unplaced = list(owed)
        for s, e in route.breaks:
            mine = next((b for b in unplaced if b.earliest <= s and e <= b.latest and e - s == b.duration_s), None)
            assert mine is not None, ("a break placed twice, or one not owed", courier.id, route.breaks, owed)
            unplaced.remove(mine)
            assert all(stop.departure <= s or stop.start >= e for stop in route.stops), "a stop served in a break"
        # Every time shown is the evaluator's with the breaks owed, stop by stop.
        again = evaluate_route(
            problem,
            dataclasses.replace(courier, breaks=tuple(owed)),
            [RouteStop(s.shipment, s.kind) for s in route.stops],
        )
        assert [round(s.start) for s in route.stops] == [round(s.start) for s in again.stops]
        taken += len(route.breaks)
    return taken


def _in_time(b: Break) -> tuple[int, int]:
    return b.earliest, b.latest


def test_a_replayed_day_holds_every_break_in_every_route_and_eta(
    tmp_path: Path,
    points: list[tuple[float, float]],
    helsinki: BikeNetwork,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    day = generate_day(points, start=START, hours=6, requests=12, couriers=3, seed=4, breaks=True)
    path = tmp_path / "day.json"
    path.write_text(json.dumps(day_json(day)))
    day = read_day(path)  # what the replay reads: the file, not the generator's objects
    assert sum(1 for c in day.couriers if c.breaks) >= 2
    rounds = _rounds(monkeypatch)
    store = Store.open(f"sqlite:///{tmp_path / 'replay.db'}", durable=False)
    try:
        coop, record = run_day(store, helsinki, day, POLICY, seed=1)
        fleet = {record.courier_ids[c.id]: c for c in day.couriers}
        assert len(rounds) >= 3
        taken = sum(_check_round(r, fleet) for r in rounds)
        assert taken >= 1  # the day's routes ran into the breaks' windows: the checks bit
        started = [e for e in store.events(coop) if e.type is EventType.SHIFT_STARTED]
        assert {str(e.payload["courier_id"]): len(e.payload.get("breaks", [])) for e in started} == {
            cid: len(member.breaks) for cid, member in fleet.items()
        }
        delivered = [j for j in store.jobs(coop) if j.state is JobState.DELIVERED]
        assert len(delivered) + len(record.refused) == len(day.requests)
    finally:
        store.close()


def _busy_moment(events: list[Any]) -> tuple[str, datetime]:
    """A courier and a moment when they have a parcel on board and another job not yet picked up."""
    held: dict[str, dict[str, str]] = {}  # courier -> job -> "held" | "on board"
    for e in events:
        courier, job = str(e.payload.get("courier_id") or e.actor.id), e.job_id
        if e.type is EventType.COURIER_ACKNOWLEDGED:
            held.setdefault(courier, {})[str(job)] = "held"
        elif e.type is EventType.PICKED_UP:
            held.setdefault(courier, {})[str(job)] = "on board"
        elif e.type is EventType.DELIVERED:
            held.get(courier, {}).pop(str(job), None)
        states = sorted(held.get(courier, {}).values())
        if "held" in states and "on board" in states:
            return courier, (e.at + timedelta(seconds=20)).replace(microsecond=0)
    raise AssertionError("no courier ever had a parcel on board and a job waiting")


def test_a_courier_who_goes_home_in_a_replay_leaves_nothing_behind(
    tmp_path: Path,
    points: list[tuple[float, float]],
    helsinki: BikeNetwork,
) -> None:
    day = generate_day(points, start=START, hours=5, requests=12, couriers=3, seed=2)
    first = Store.open(f"sqlite:///{tmp_path / 'first.db'}", durable=False)
    try:  # the same day without a stop: when does someone hold both kinds of work?
        coop, record = run_day(first, helsinki, day, POLICY, seed=1)
        busy, stop = _busy_moment(first.events(coop))
        sick = next(c for c in day.couriers if record.courier_ids[c.id] == busy)
    finally:
        first.close()
    day = dataclasses.replace(
        day, couriers=tuple(dataclasses.replace(c, unavailable_from=stop) if c is sick else c for c in day.couriers)
    )
    store = Store.open(f"sqlite:///{tmp_path / 'replay.db'}", durable=False)
    try:
        coop, record = run_day(store, helsinki, day, POLICY, seed=1)
        gone = record.courier_ids[sick.id]
        events = store.events(coop)
        at_stop = {e.type for e in events if e.at == stop and e.actor.kind is ActorKind.DISPATCHER}
        # the live act: jobs back to the queue, the parcel on board flagged, the shift over
        assert {EventType.JOB_UNASSIGNED, EventType.PROPOSAL_WITHHELD, EventType.SHIFT_ENDED} <= at_stop
        ended = [e for e in events if e.type is EventType.SHIFT_ENDED and e.payload["courier_id"] == gone]
        assert [e.at for e in ended] == [stop]
        handed = [e for e in events if e.type is EventType.JOB_REASSIGNED and e.at > stop]
        assert handed and all(e.payload["courier_id"] != gone for e in handed)  # a meeting point
        acts_after = [e for e in events if e.at > stop and e.actor.kind is ActorKind.COURIER and e.actor.id == gone]
        assert acts_after == []  # nothing done by them once they stopped
        proposed = [e for e in events if e.type is EventType.PROPOSAL_MADE and e.at > stop]
        assert all(e.payload["courier_id"] != gone for e in proposed)
        jobs = store.jobs(coop)
        assert all(j.state is JobState.DELIVERED for j in jobs)  # nothing lost
        assert len(jobs) + len(record.refused) == len(day.requests)
        # The log gives the day back with its realities.
        again = {c.name: c for c in day_from_log(store, coop).couriers}
        assert again[sick.name].unavailable_from == stop
    finally:
        store.close()


def test_day_files_refuse_bad_breaks_and_stops_by_place(tmp_path: Path, points: list[tuple[float, float]]) -> None:
    day = generate_day(points, start=START, hours=6, requests=2, couriers=2, seed=1, breaks=True, sick=1)
    data = day_json(day)
    path = tmp_path / "day.json"
    path.write_text(json.dumps(data))
    assert read_day(path) == dataclasses.replace(day, name="day")  # written and read back whole
    assert all(c.breaks for c in day.couriers) and sum(1 for c in day.couriers if c.unavailable_from) == 1
    member = day.couriers[0]
    bad: list[tuple[dict[str, Any], str]] = [
        ({"unavailable_from": member.shift_end.isoformat()}, "inside the shift"),
        ({"unavailable_from": "13:00"}, "ISO 8601"),
        ({"breaks": [{"earliest": "x", "latest": "y", "minutes": 30}]}, "ISO 8601"),
        (
            {
                "breaks": [
                    {
                        "earliest": member.shift_start.isoformat(),
                        "latest": member.shift_start.isoformat(),
                        "minutes": 30,
                    }
                ]
            },
            "fits between",
        ),
    ]
    for change, why in bad:
        courier = {**data["couriers"][0], **change}
        path.write_text(json.dumps({**data, "couriers": [courier, *data["couriers"][1:]]}))
        with pytest.raises(InvalidInput, match=why) as caught:
            read_day(path)
        assert caught.value.field.startswith("couriers[0].")
    # A seed gives the same requests and fleet with or without the day's realities.
    plain = generate_day(points, start=START, hours=6, requests=2, couriers=2, seed=1)
    assert plain.requests == day.requests and [c.shift_end for c in plain.couriers] == [
        c.shift_end for c in day.couriers
    ]


def test_generate_day_adds_breaks_and_stops_and_refuses_bad_values(tmp_path: Path) -> None:
    path = tmp_path / "day.json"
    common = ["generate-day", str(path), "--requests", "3", "--hours", "6", "--couriers", "3"]
    done = runner.invoke(app, [*common, "--breaks", "--sick", "1"])
    assert done.exit_code == 0, done.output
    couriers = json.loads(path.read_text())["couriers"]
    for c in couriers:
        hours = (datetime.fromisoformat(c["shift_end"]) - datetime.fromisoformat(c["shift_start"])) / timedelta(hours=1)
        assert [b["minutes"] for b in c.get("breaks", [])] == ([30] if hours > 5 else [])
    assert sum(1 for c in couriers if "unavailable_from" in c) == 1
    for sick in ("4", "-1"):
        refused = runner.invoke(app, [*common, "--sick", sick])
        assert refused.exit_code == 2 and "--sick" in refused.output and "Traceback" not in refused.output
