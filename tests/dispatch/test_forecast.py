"""Expected demand from the cooperative's own log (issue 23): a mean per weekday and hour over
the last weeks, heavy and cargo-only jobs apart, turned into couriers at the cooperative's pace;
every figure says how it was computed, as a reason the edge words in English or French."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from api.i18n import render
from dispatch import commands as do
from dispatch.forecast import DEFAULT_JOBS_PER_HOUR, forecast
from dispatch.model import JobRequest, Parcel, Place, TimeWindow
from routing.reasons import reason
from tests.dispatch.conftest import Coop

HELSINKI = ZoneInfo("Europe/Helsinki")
MONDAY_NOON = datetime(2026, 11, 16, 12, 10, tzinfo=HELSINKI)  # a Monday


def _request(at: datetime, kg: float) -> JobRequest:
    window = TimeWindow(at, at + timedelta(hours=2))
    return JobRequest(
        pickup=Place(24.9414, 60.1710),
        dropoff=Place(24.9525, 60.1675),
        pickup_window=window,
        dropoff_window=window,
        parcels=(Parcel(weight_kg=kg, volume_l=20, longest_side_cm=50),),
    )


def test_the_forecast_is_a_mean_per_weekday_and_hour_at_the_cooperative_s_pace(coop: Coop) -> None:
    s, c = coop.store, coop.id
    plan = [(MONDAY_NOON, (3.0, 3.0, 40.0)), (MONDAY_NOON + timedelta(weeks=1), (5.0,))]
    for at, weights in plan:
        for i, kg in enumerate(weights):
            job = do.request_job(s, c, coop.client, _request(at, kg), at=at + timedelta(minutes=i)).id
            do.override(s, c, job, coop.cargo, dispatcher_id="d", at=at + timedelta(minutes=5))
            do.acknowledge(s, c, job, courier_id=coop.cargo, at=at + timedelta(minutes=10 + 30 * i))
            do.pick_up(s, c, job, courier_id=coop.cargo, at=at + timedelta(minutes=20 + 30 * i))
            do.deliver(s, c, job, courier_id=coop.cargo, at=at + timedelta(minutes=40 + 30 * i))
    until = MONDAY_NOON + timedelta(weeks=1, days=3)
    seen = forecast(s.events(c), timezone=HELSINKI, until=until, weeks=4)
    assert seen.weeks == 2  # the log starts two weeks back: older weeks are not counted as empty
    assert seen.jobs_per_courier_hour == 2.0  # 4 deliveries in 2 worked hours (30 min each)
    (monday,) = [h for h in seen.hours if (h.weekday, h.hour) == (0, 12)]
    assert (monday.jobs, monday.heavy, monday.cargo_only) == (2.0, 0.5, 0.5)
    assert monday.couriers == 1 and monday.cargo_bikes == 1
    pace = reason("forecast_pace_seen", delivered=4, hours=2.0).to_json()
    assert seen.pace_from.to_json() == pace
    assert monday.why == reason(
        "forecast_hour",
        jobs=4,
        weekday="monday",
        hour=12,
        end_h=13,
        weeks=2,
        mean=2.0,
        pace=2.0,
        pace_from=pace,
        couriers=1,
    )
    said = render(monday.why.to_json())
    assert said.startswith("4 jobs to pick up on Mondays 12:00-13:00 over the last 2 week(s): 2.0 a week")
    assert "(4 deliveries in 2.0 worked hours), 1 courier(s)" in said
    assert render(monday.why.to_json(), "fr").startswith("4 courses à enlever le lundi de 12 h à 13 h")
    assert seen.couriers() == {(0, 12): 1} and seen.cargo() == {(0, 12): 1}


def test_a_new_cooperative_assumes_a_pace_and_says_so(coop: Coop) -> None:
    s, c = coop.store, coop.id
    do.request_job(s, c, coop.client, _request(MONDAY_NOON, 4.0), at=MONDAY_NOON)
    seen = forecast(s.events(c), timezone=HELSINKI, until=MONDAY_NOON + timedelta(days=1))
    assert seen.jobs_per_courier_hour == DEFAULT_JOBS_PER_HOUR
    assert seen.pace_from == reason("forecast_pace_assumed", pace=DEFAULT_JOBS_PER_HOUR)
    assert seen.hours[0].why.params["pace_from"] == seen.pace_from.to_json()
    assert seen.hours[0].couriers == 1


def test_a_job_counts_in_the_hour_its_pickup_opens_not_the_hour_it_was_asked_for(coop: Coop) -> None:
    """A rota covers the hours couriers ride: a delivery booked at 10:10 for a pickup from 12:10
    wants someone at noon, and one booked after its window opened wants someone at once."""
    s, c = coop.store, coop.id
    booked_early = _request(MONDAY_NOON, 4.0)
    do.request_job(s, c, coop.client, booked_early, at=MONDAY_NOON - timedelta(hours=2))
    booked_late = _request(MONDAY_NOON - timedelta(hours=3), 4.0)  # its window opened at 9:10
    do.request_job(s, c, coop.client, booked_late, at=MONDAY_NOON - timedelta(minutes=70))  # asked at 11:00
    seen = forecast(s.events(c), timezone=HELSINKI, until=MONDAY_NOON + timedelta(days=1))
    assert {(h.weekday, h.hour): h.jobs for h in seen.hours} == {(0, 12): 1.0, (0, 11): 1.0}


def test_a_booking_for_later_is_no_demand_of_the_weeks_looked_back_on(coop: Coop) -> None:
    """Only what was to be picked up within the weeks before ``until`` counts: a delivery booked
    now for next year (or for after ``until``) says nothing of the past weeks' demand."""
    s, c = coop.store, coop.id
    do.request_job(s, c, coop.client, _request(MONDAY_NOON + timedelta(days=300), 4.0), at=MONDAY_NOON)
    do.request_job(s, c, coop.client, _request(MONDAY_NOON + timedelta(days=3), 4.0), at=MONDAY_NOON)
    do.request_job(s, c, coop.client, _request(MONDAY_NOON, 4.0), at=MONDAY_NOON)
    seen = forecast(s.events(c), timezone=HELSINKI, until=MONDAY_NOON + timedelta(days=1))
    assert {(h.weekday, h.hour): h.jobs for h in seen.hours} == {(0, 12): 1.0}
