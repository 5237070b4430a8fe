"""The pure parts of the domain: lifecycle, validation, rotation, pricing, the ledger view."""

from __future__ import annotations

import inspect
import math
from dataclasses import replace
from datetime import date, datetime

import pytest

from dispatch.errors import IllegalTransition, InvalidInput
from dispatch.ledger import LedgerEntry, cooperative_view
from dispatch.lifecycle import FINAL_STATES, TRANSITIONS, Act, JobState, allowed_acts, next_state
from dispatch.model import Cooperative, Courier, JobRequest, Parcel, Place, TimeWindow, Urgency, Vehicle, VehicleKind
from dispatch.pricing import Band, Tariff, quote
from dispatch.rotation import rotation
from tests.dispatch.conftest import a_request, at


def test_the_happy_path_of_a_job() -> None:
    state = JobState.REQUESTED
    for act in (Act.PROPOSE, Act.ACCEPT, Act.ACKNOWLEDGE, Act.PICK_UP, Act.DELIVER):
        state = next_state("j1", state, act)
    assert state is JobState.DELIVERED


def test_illegal_transitions_name_the_job_its_state_and_the_act() -> None:
    with pytest.raises(IllegalTransition) as caught:
        next_state("job-7", JobState.PICKED_UP, Act.CANCEL)
    assert str(caught.value) == "the job is picked up: it cannot be cancelled now"  # by its places at the edge
    assert (caught.value.job_id, caught.value.state, caught.value.act) == ("job-7", "picked_up", "cancel")
    for final in FINAL_STATES:
        assert allowed_acts(final) == []
    # Only a dispatcher's act binds a job to a courier: the planner's proposal never does.
    assert {to for (_, act), to in TRANSITIONS.items() if act is Act.PROPOSE} == {JobState.PROPOSED}
    assert {act for (_, act), to in TRANSITIONS.items() if to is JobState.ASSIGNED} == {
        Act.ACCEPT,
        Act.OVERRIDE,
        Act.REASSIGN,
    }


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Parcel(weight_kg=-1), "parcel.weight_kg"),
        (lambda: Parcel(weight_kg=math.nan), "parcel.weight_kg"),
        (lambda: Parcel(weight_kg=5, longest_side_cm=0), "parcel.longest_side_cm"),
        (lambda: Parcel(weight_kg=5, fragile="yes"), "parcel.fragile"),  # type: ignore[arg-type]
        (lambda: Place(lon=200, lat=60), "lon"),
        (lambda: Place(lon=math.inf, lat=60), "lon"),
        (lambda: TimeWindow(at(10), at(0)), "window"),
        (lambda: TimeWindow(datetime(2026, 11, 28, 8), at(0)), "window.start"),
        (lambda: replace(a_request(), parcels=()), "parcels"),
        (lambda: replace(a_request(), parcels=(Parcel(weight_kg=1),) * 51), "parcels"),
        (lambda: a_request(notes="ring\x00twice"), "notes"),
        (lambda: replace(a_request(), dropoff_window=TimeWindow(at(-90), at(-30))), "dropoff_window"),
        (lambda: Vehicle.of_kind("skateboard"), "vehicle.kind"),
        (lambda: Vehicle.of_kind("cargo_bike", payload_kg=-5), "vehicle.payload_kg"),
        (lambda: Cooperative(id="c", name="x", timezone="Mars/Olympus"), "timezone"),
        (
            lambda: Courier(id="c", cooperative_id="k", display_name=" ", vehicle=Vehicle.of_kind("bike")),
            "display_name",
        ),
        (lambda: JobRequest.from_json({"pickup": {}}), "job"),
    ],
)
def test_bad_values_are_refused_with_the_field_named(make, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        make()
    assert caught.value.field == field


def test_requests_round_trip_through_json() -> None:
    request = replace(a_request(weight_kg=12.5), urgency=Urgency.EXPRESS)
    assert JobRequest.from_json(request.to_json()) == request
    assert request.weight_kg == 12.5


def test_vehicle_defaults_come_from_the_profiles_unless_stated() -> None:
    cargo = Vehicle.of_kind("e_cargo_bike")
    assert cargo.kind is VehicleKind.E_CARGO_BIKE and cargo.payload_kg == 150
    assert Vehicle.of_kind("trailer", payload_kg=80).payload_kg == 80
    assert VehicleKind.TRAILER.profile == "cargo_bike"


def test_rotation_is_a_fair_rotation_and_takes_no_figures() -> None:
    ids = [f"courier-{i}" for i in range(7)]
    day = date(2026, 11, 28)
    firsts = [rotation(ids, day, r)[0] for r in range(7)]
    assert sorted(firsts) == sorted(ids)  # over n rounds, each courier is first exactly once
    for r in range(7):
        assert sorted(rotation(ids, day, r)) == sorted(ids)
    assert rotation(reversed(ids), day, 3) == rotation(ids, day, 3)  # input order does not matter
    assert {tuple(rotation(ids, date(2026, 11, d))) for d in range(1, 29)} != {tuple(rotation(ids, day))}
    # Nothing but ids, a day and a round can influence the order.
    assert list(inspect.signature(rotation).parameters) == ["courier_ids", "day", "round_number"]
    assert rotation([], day) == []
    # a courier added during the day leaves the others' order as it was (issue 17: lanes kept)
    for new in ("a-courier", "courier-3b", "courier-7", "z-courier"):
        assert [i for i in rotation([*ids, new], day) if i != new] == rotation(ids, day), new


def test_ledger_view_lists_everyone_in_rotation_order() -> None:
    entries = [LedgerEntry(courier_id="b", day="2026-11-28", worked_minutes=30, shift_minutes=60)]
    view = cooperative_view(entries, ["c", "b", "a"])
    assert [e.courier_id for e in view] == ["c", "b", "a"]
    assert view[1].worked_share_of_shift == 0.5 and view[0].worked_minutes == 0


def test_quotes_state_their_lines_and_add_up() -> None:
    tariff = Tariff()
    plain = quote(tariff, distance_m=1500, weight_kg=4)
    assert [line.what.code for line in plain.lines] == ["quote_base"] and plain.total_cents == 600
    heavy = quote(tariff, distance_m=6200, weight_kg=40, urgency=Urgency.EXPRESS)
    assert heavy.total_cents == sum(line.amount_cents for line in heavy.lines) == round((600 + 700 + 600) * 1.5)
    solidarity = quote(tariff, distance_m=6200, weight_kg=40, urgency=Urgency.EXPRESS, solidarity=True)
    # each line is a code with its figures (the edge words it): no English in the domain
    assert [line.what.to_json() for line in solidarity.lines] == [
        {"code": "quote_base", "params": {}},
        {"code": "quote_distance", "params": {"km": 6.2, "over": 5.0}},
        {"code": "quote_weight", "params": {"kg": 40, "over": 25.0}},
        {"code": "quote_express", "params": {"percent": 50}},
        {"code": "quote_solidarity", "params": {"percent": 40}},
    ]
    assert solidarity.total_cents == heavy.total_cents - round(heavy.total_cents * 0.4)
    assert Tariff.from_json(tariff.to_json()) == tariff
    assert quote(tariff, distance_m=0, weight_kg=0).to_json()["total_cents"] == 600


def test_bad_tariffs_and_quote_inputs_are_refused() -> None:
    with pytest.raises(InvalidInput, match="increase"):
        Tariff(distance_bands=(Band(5, 100), Band(2, 200), Band(math.inf, 300)))
    with pytest.raises(InvalidInput, match="open-ended"):
        Tariff(weight_bands=(Band(5, 100),))
    with pytest.raises(InvalidInput, match="solidarity_percent"):
        Tariff(solidarity_percent=120)
    with pytest.raises(InvalidInput, match="distance_m"):
        quote(Tariff(), distance_m=-1, weight_kg=1)
    with pytest.raises(InvalidInput, match="tariff"):
        Tariff.from_json({"currency": "EUR"})
