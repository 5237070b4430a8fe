"""A decline is respected: the job is not proposed to the same courier again that day unless
nobody else can take it, and then the proposal says so (issue 15)."""

from __future__ import annotations

from datetime import datetime, timedelta

from dispatch import commands as do
from dispatch.model import JobRequest, Parcel, Place, TimeWindow, Vehicle
from dispatch.planning import planning_round
from dispatch.store import Store
from routing.network import BikeNetwork
from tests.dispatch.helsinki import KAMPPI, MARKET, NOON, STATION
from tests.words import all_said


def _heavy(kg: float = 60) -> JobRequest:
    window = TimeWindow(NOON, NOON + timedelta(hours=3))
    return JobRequest(
        pickup=Place(*KAMPPI),
        dropoff=Place(*MARKET),
        pickup_window=window,
        dropoff_window=window,
        parcels=(Parcel(weight_kg=kg, volume_l=40, longest_side_cm=60),),
    )


def _coop(store: Store, cargo_bikes: int) -> tuple[str, str, list[str]]:
    coop = store.create_cooperative(
        "Declines", fairness_weight=0.5, settings={"base": {"lon": STATION[0], "lat": STATION[1]}}
    ).id
    client = store.add_client(coop, "Shop")[0].id
    couriers = [store.add_courier(coop, "Aino", Vehicle.of_kind("bike")).id]
    couriers += [store.add_courier(coop, f"Cargo {i}", Vehicle.of_kind("e_cargo_bike")).id for i in range(cargo_bikes)]
    for courier in couriers:
        do.start_shift(store, coop, courier, at=NOON - timedelta(minutes=30), planned_end=NOON + timedelta(hours=5))
    return coop, client, couriers


def _assign_and_decline(store: Store, coop: str, job: str, at: datetime) -> str:
    courier = store.job(coop, job).proposal["courier_id"]  # type: ignore[index]
    do.accept(store, coop, job, dispatcher_id="dispatcher", at=at)
    do.decline(store, coop, job, courier_id=courier, at=at + timedelta(minutes=1), reason="my knee hurts today")
    return str(courier)


def test_a_declined_job_goes_to_another_courier_who_can_carry_it(store: Store, helsinki: BikeNetwork) -> None:
    coop, client, couriers = _coop(store, cargo_bikes=2)
    job = do.request_job(store, coop, client, _heavy(), at=NOON).id
    planning_round(store, coop, helsinki, NOON, budget_s=0.5)
    first = _assign_and_decline(store, coop, job, NOON + timedelta(minutes=1))
    assert first != couriers[0]  # the bike cannot carry 60 kg

    result = planning_round(store, coop, helsinki, NOON + timedelta(minutes=5), budget_s=0.5)
    proposal = store.job(coop, job).proposal
    assert proposal is not None and proposal["courier_id"] not in (first, couriers[0])
    assert job not in result.unassigned
    assert any(
        "declined it earlier today, so it goes to someone else" in r
        for r in all_said(proposal["explanation"]["reasons"])
    )

    # The second cargo bike declines too: nobody else can carry it, so it comes back, and says why.
    second = _assign_and_decline(store, coop, job, NOON + timedelta(minutes=6))
    planning_round(store, coop, helsinki, NOON + timedelta(minutes=10), budget_s=0.5)
    proposal = store.job(coop, job).proposal
    assert proposal is not None and proposal["courier_id"] in (first, second)
    assert any(
        "proposed again because nobody else on shift can carry it" in r
        for r in all_said(proposal["explanation"]["reasons"])
    )


def test_a_decline_by_the_only_courier_who_can_carry_it_is_said_in_the_proposal(
    store: Store, helsinki: BikeNetwork
) -> None:
    coop, client, _ = _coop(store, cargo_bikes=1)
    job = do.request_job(store, coop, client, _heavy(), at=NOON).id
    planning_round(store, coop, helsinki, NOON, budget_s=0.5)
    only = _assign_and_decline(store, coop, job, NOON + timedelta(minutes=1))
    planning_round(store, coop, helsinki, NOON + timedelta(minutes=5), budget_s=0.5)
    proposal = store.job(coop, job).proposal
    assert proposal is not None and proposal["courier_id"] == only
    assert any("proposed again because nobody else" in r for r in all_said(proposal["explanation"]["reasons"]))
