"""The day's planning follows an absence (issue 23): recorded for today while the courier is on
shift, it stops them as a dispatcher's "must stop" does, so their job goes back to the queue and
the next round proposes nothing to them; an absence for another day leaves today alone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dispatch import commands as do
from dispatch.lifecycle import JobState
from dispatch.model import JobRequest, Parcel, Place, TimeWindow
from dispatch.planning import planning_round
from dispatch.store import Store
from dispatch.week import absent_today, record_absence
from routing.network import BikeNetwork
from tests.dispatch.helsinki import KAMPPI, MARKET
from tests.dispatch.test_week import DESK, MONDAY
from tests.dispatch.test_week_absent_shifts import _day, _lou_mon_tue_wed

HELSINKI = ZoneInfo("Europe/Helsinki")
MONDAY_11 = datetime(MONDAY.year, MONDAY.month, MONDAY.day, 11, tzinfo=HELSINKI)


def _riding(store: Store) -> tuple[str, dict[str, str], dict[str, dict[str, str]], str]:
    """Lou (on the rota Monday to Wednesday) and Sam on shift on Monday; Lou has a job in hand."""
    coop_id, ids, lou = _lou_mon_tue_wed(store)
    client = store.add_client(coop_id, "Shop")[0].id
    for name in ("Lou", "Sam"):
        do.start_shift(
            store, coop_id, ids[name], at=MONDAY_11 - timedelta(hours=1), planned_end=MONDAY_11 + timedelta(hours=5)
        )
    window = TimeWindow(MONDAY_11, MONDAY_11 + timedelta(hours=3))
    request = JobRequest(Place(*MARKET), Place(*KAMPPI), window, window, (Parcel(3, 10, 30),))
    job = do.request_job(store, coop_id, client, request, at=MONDAY_11 - timedelta(minutes=30)).id
    do.override(store, coop_id, job, ids["Lou"], dispatcher_id="desk", at=MONDAY_11 - timedelta(minutes=20))
    return coop_id, ids, lou, job


def test_an_absence_for_today_stops_the_courier_on_shift_and_the_next_round_skips_them(
    store: Store, helsinki: BikeNetwork
) -> None:
    coop_id, ids, lou, job = _riding(store)
    absence = record_absence(store, coop_id, MONDAY, lou[_day(0)]["id"], "sick", note="", actor=DESK, at=MONDAY_11)
    stopped = absent_today(store, coop_id, absence, actor=DESK, at=MONDAY_11)
    assert stopped is not None and stopped.returned == [job] and stopped.shift_ended
    assert not store.courier_statuses(coop_id)[ids["Lou"]].on_shift
    assert store.job(coop_id, job).state is JobState.UNASSIGNED
    round_ = planning_round(store, coop_id, helsinki, MONDAY_11 + timedelta(minutes=1), budget_s=0.5)
    assert {e.payload["courier_id"] for e in round_.proposals} == {ids["Sam"]}  # never to Lou


def test_an_absence_for_another_day_leaves_today_alone(store: Store) -> None:
    coop_id, ids, lou, job = _riding(store)
    absence = record_absence(store, coop_id, MONDAY, lou[_day(1)]["id"], "other", note="", actor=DESK, at=MONDAY_11)
    assert absent_today(store, coop_id, absence, actor=DESK, at=MONDAY_11) is None
    assert store.courier_statuses(coop_id)[ids["Lou"]].on_shift
    assert store.job(coop_id, job).courier_id == ids["Lou"]
