"""A replayed request passes the intake the API applies, and is refused the same way (issue 19).

Replays used to record every request of a day with ``commands.request_job`` directly, so a day
could hold jobs the API would have turned away (a point outside the area served, a parcel no
vehicle can carry) and the replay planned them. The same requests are sent here to the API
(through the ASGI app, with the same fleet) and replayed: the API answers 422 with a code, a
field and a sentence; the replay records exactly that refusal, writes no job and plans none.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dispatch.days import Day, DayRequest, FleetMember
from dispatch.events import EventType
from dispatch.model import JobRequest, Parcel, Place, TimeWindow, VehicleKind
from dispatch.replay import replay
from dispatch.simulation import Policy, run_day
from dispatch.store import Store
from routing.network import BikeNetwork, open_city
from tests.api.harness import World, in_process

START = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)  # the API refuses past windows
STATION, MARKET = Place(24.9414, 60.1710, "Rautatientori"), Place(24.9525, 60.1675, "Kauppatori")
OUT_OF_TOWN = Place(24.9900, 60.2000, "Kumpula")  # some 2 km beyond the bundled city's streets


@pytest.fixture(scope="module")
def network() -> BikeNetwork:
    return open_city(None)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, World, Store]]:
    yield from in_process(tmp_path)


def _request(minutes: int, pickup: Place = STATION, weight_kg: float = 4.0) -> JobRequest:
    at = START + timedelta(minutes=minutes)
    return JobRequest(
        pickup=pickup,
        dropoff=MARKET,
        pickup_window=TimeWindow(at, at + timedelta(hours=1)),
        dropoff_window=TimeWindow(at, at + timedelta(hours=2)),
        parcels=(Parcel(weight_kg=weight_kg, volume_l=10, longest_side_cm=40),),
    )


def _day() -> Day:
    """Two ordinary requests and two the API refuses, with the API world's fleet (a bike, a cargo bike)."""
    end = START + timedelta(hours=3)
    fleet = (
        FleetMember("aino", "Aino", VehicleKind.BIKE, START, end),
        FleetMember("veera", "Veera", VehicleKind.CARGO_BIKE, START, end),
    )
    asked = {
        "ordinary-1": _request(1),
        "outside-the-area": _request(2, pickup=OUT_OF_TOWN),
        "too-heavy": _request(3, weight_kg=400.0),
        "ordinary-2": _request(4),
    }
    requests = tuple(DayRequest(name, START + timedelta(minutes=i), r) for i, (name, r) in enumerate(asked.items()))
    return Day("intake", "Europe/Helsinki", fleet, requests)


def _body(request: JobRequest) -> dict[str, Any]:
    """The request as a client sends it to POST /v1/deliveries."""
    data = request.to_json()
    return {key: data[key] for key in ("pickup", "dropoff", "pickup_window", "dropoff_window", "parcels")}


def test_a_request_the_api_refuses_is_refused_the_same_way_in_a_replay(
    api: tuple[TestClient, World, Store], network: BikeNetwork, tmp_path: Path
) -> None:
    client, world, _ = api
    day = _day()
    shop = {"Authorization": f"Bearer {world.client_key}"}
    answered = {item.id: client.post("/v1/deliveries", json=_body(item.request), headers=shop) for item in day.requests}
    assert {name: a.status_code for name, a in answered.items()} == {
        "ordinary-1": 201,
        "outside-the-area": 422,
        "too-heavy": 422,
        "ordinary-2": 201,
    }

    store = Store.open(f"sqlite:///{tmp_path / 'replay.db'}", durable=False)
    try:
        coop, record = run_day(store, network, day, Policy(), seed=1)
        requested = [e for e in store.events(coop) if e.type is EventType.JOB_REQUESTED]
    finally:
        store.close()

    refusals = {name: a.json()["error"] for name, a in answered.items() if a.status_code == 422}
    assert record.refused == refusals  # the same code, field and sentence as the API's answer
    assert {r["code"] for r in record.refused.values()} == {"outside_service_area", "no_vehicle_can_carry"}
    assert sorted(record.job_ids) == ["ordinary-1", "ordinary-2"]
    assert len(requested) == 2  # a refused request leaves no trace in the log, as through the API
    assert all(leg.job in record.job_ids.values() for leg in record.legs)  # and nobody rides for it


def test_the_replay_s_figures_count_the_refused_requests(network: BikeNetwork) -> None:
    result = replay(_day(), Policy(), network, seed=1)
    s = result.summary
    assert (s["requests"], s["refused"]) == (4, 2)
    assert s["delivered"] == 2 and s["not_delivered"] == 2  # the refused ones were never delivered
    ordinary = replace(_day(), requests=tuple(r for r in _day().requests if r.id.startswith("ordinary")))
    assert replay(ordinary, Policy(), network, seed=1).summary["refused"] == 0
