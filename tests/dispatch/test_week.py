"""The week's rota (issue 23): proposed from availability and the forecast, edited and published
by a dispatcher, swapped with a dispatcher's confirmation; every step an event folded back into the
same state; time sheets from the shifts' acts equal the ledger's days."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch import commands as do
from dispatch.availability import declare, declared
from dispatch.errors import InvalidInput, NotFound
from dispatch.events import Actor, ActorKind
from dispatch.model import JobRequest, Parcel, Place, TimeWindow, Vehicle
from dispatch.store import Store
from dispatch.timesheets import timesheet, to_csv, totals
from dispatch.week import (
    decide_swap,
    edit,
    expected,
    hours_of_week,
    parse_week,
    propose,
    publish,
    request_swap,
    set_contract,
    week_state,
)
from routing.rota import Week

HELSINKI = ZoneInfo("Europe/Helsinki")
MONDAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=HELSINKI)  # the Thursday before
DESK = Actor(ActorKind.DISPATCHER, "desk")
FAST = {"rota": {"time_limit_s": 1, "first_h": 8, "last_h": 20}}


def _request(at: datetime) -> JobRequest:
    window = TimeWindow(at, at + timedelta(hours=2))
    place = Place(24.9414, 60.1710)
    return JobRequest(place, Place(24.9525, 60.1675), window, window, (Parcel(4.0, 10, 30),))


def _week_coop(store: Store) -> tuple[str, dict[str, str]]:
    """Three couriers free weekday lunchtimes (Lou also Saturdays), a log with lunch demand on
    Mondays: three jobs between 12:00 and 13:00, the week before."""
    coop = store.create_cooperative("Week", timezone="Europe/Helsinki", settings=FAST)
    ids = {name: store.add_courier(coop.id, name, Vehicle.of_kind("bike")).id for name in ("Lou", "Sam", "Ana")}
    client, _ = store.add_client(coop.id, "Bakery")
    lunch = [{"weekday": d, "start": "10:00", "end": "16:00"} for d in range(5)]
    for name, cid in ids.items():
        extra = [{"weekday": 5, "start": "10:00", "end": "16:00"}] if name == "Lou" else []
        declare(store, coop.id, cid, {"weekly": lunch + extra}, actor=DESK, at=NOW - timedelta(days=10))
        set_contract(store, coop.id, cid, 0, 20, actor=DESK, at=NOW - timedelta(days=10))
    monday_before = datetime(2026, 11, 30, 12, 5, tzinfo=HELSINKI)
    for i in range(7):
        do.request_job(store, coop.id, client.id, _request(monday_before), at=monday_before + timedelta(minutes=i))
    return coop.id, ids


def test_a_week_is_named_by_its_monday() -> None:
    assert parse_week("2026-12-07") == MONDAY
    with pytest.raises(InvalidInput, match="begins on 2026-12-07"):
        parse_week("2026-12-09")


def test_the_proposal_covers_the_lunch_peak_within_availability_and_explains_each_shift(store: Store) -> None:
    coop_id, _ = _week_coop(store)
    demand = expected(store, store.cooperative(coop_id), NOW)
    assert demand.couriers()[(0, 12)] == 4  # 7 jobs at 2 an hour (no delivery yet): 4 couriers
    propose(store, coop_id, MONDAY, actor=DESK, now=NOW)
    rota = week_state(store, coop_id).rota(MONDAY)
    assert rota.draft and rota.published is None
    monday = [s for s in rota.draft if s["day"] == "2026-12-07"]
    assert len(monday) == 3 and all(s["start_h"] <= 12 < s["end_h"] for s in monday)
    assert all(s["start_h"] >= 10 and s["end_h"] <= 16 for s in rota.draft)  # inside availability
    assert all(s["why"][0]["code"] == "rota_peak" and s["why"][-1]["code"] == "rota_hours_left" for s in rota.draft)
    assert rota.gaps == [{"day": "2026-12-07", "hour": 12, "missing": 1}]  # three people for four wanted
    hours = hours_of_week(MONDAY, Week(first_h=8, last_h=20), declared(store, coop_id), demand, rota.draft)
    noon = next(h for h in hours if h.day == "2026-12-07" and h.hour == 12)
    assert noon.gap == 1 and len(noon.available) == 3 and noon.why["code"] == "forecast_hour"
    assert noon.why["params"]["jobs"] == 7


def test_edits_are_checked_and_publishing_is_an_event_folded_back(store: Store) -> None:
    coop_id, ids = _week_coop(store)
    propose(store, coop_id, MONDAY, actor=DESK, now=NOW)
    draft = week_state(store, coop_id).rota(MONDAY).draft or []
    gone = draft[0]
    edit(store, coop_id, MONDAY, {"action": "remove", "shift_id": gone["id"]}, actor=DESK, at=NOW)
    with pytest.raises(InvalidInput, match="declared no availability"):
        edit(
            store,
            coop_id,
            MONDAY,
            {"action": "add", "courier_id": ids["Sam"], "day": "2026-12-12", "start_h": 10, "end_h": 14},
            actor=DESK,
            at=NOW,
        )
    with pytest.raises(InvalidInput, match="one shift a day"):
        other = next(s for s in draft[1:] if s["courier_id"] != draft[1]["courier_id"] or True)
        edit(
            store,
            coop_id,
            MONDAY,
            {"action": "add", "courier_id": other["courier_id"], "day": other["day"], "start_h": 10, "end_h": 14},
            actor=DESK,
            at=NOW,
        )
    with pytest.raises(InvalidInput, match="ends after it starts"):
        edit(
            store,
            coop_id,
            MONDAY,
            {"action": "move", "shift_id": draft[1]["id"], "start_h": 14, "end_h": 12},
            actor=DESK,
            at=NOW,
        )
    with pytest.raises(NotFound):
        edit(store, coop_id, MONDAY, {"action": "remove", "shift_id": "nope"}, actor=DESK, at=NOW)
    publish(store, coop_id, MONDAY, actor=DESK, at=NOW)
    rota = week_state(store, coop_id).rota(MONDAY)
    assert rota.draft is None and rota.version == 1
    assert rota.published is not None and gone["id"] not in {s["id"] for s in rota.published}
    assert len(rota.published) == len(draft) - 1
    with pytest.raises(InvalidInput, match="nothing to publish"):
        publish(store, coop_id, MONDAY, actor=DESK, at=NOW)


def test_a_swap_waits_for_a_dispatcher_and_respects_the_colleague_s_limits(store: Store) -> None:
    coop_id, ids = _week_coop(store)
    propose(store, coop_id, MONDAY, actor=DESK, now=NOW)
    draft = week_state(store, coop_id).rota(MONDAY).draft or []
    shift_of = {s["courier_id"]: s for s in draft if s["day"] == "2026-12-07"}
    edit(store, coop_id, MONDAY, {"action": "remove", "shift_id": shift_of[ids["Lou"]]["id"]}, actor=DESK, at=NOW)
    publish(store, coop_id, MONDAY, actor=DESK, at=NOW)
    published = week_state(store, coop_id).rota(MONDAY).published or []
    sam, ana = Actor(ActorKind.COURIER, ids["Sam"]), Actor(ActorKind.COURIER, ids["Ana"])
    sams = shift_of[ids["Sam"]]
    with pytest.raises(NotFound):  # Ana's shift is not Sam's to give
        request_swap(
            store, coop_id, ids["Sam"], MONDAY, shift_of[ids["Ana"]]["id"], ids["Lou"], note="", at=NOW, actor=sam
        )
    asked = request_swap(
        store, coop_id, ids["Sam"], MONDAY, sams["id"], ids["Lou"], note="a dentist", at=NOW, actor=sam
    )
    assert week_state(store, coop_id).rota(MONDAY).published == published  # nothing moves before a dispatcher
    # Ana asks Lou too while Lou is still free on Monday: it is asked, and checked again at the confirmation
    second = request_swap(
        store, coop_id, ids["Ana"], MONDAY, shift_of[ids["Ana"]]["id"], ids["Lou"], note="", at=NOW, actor=ana
    )
    decide_swap(store, coop_id, asked.payload["swap_id"], confirm=True, reason="", actor=DESK, at=NOW)
    after = {s["id"]: s for s in week_state(store, coop_id).rota(MONDAY).published or []}
    assert after[sams["id"]]["courier_id"] == ids["Lou"] and after[sams["id"]]["why"] == [
        {"code": "rota_swapped", "params": {}}
    ]
    with pytest.raises(InvalidInput, match="confirmed already"):
        decide_swap(store, coop_id, asked.payload["swap_id"], confirm=False, reason="late", actor=DESK, at=NOW)
    # Lou works Monday now: Ana's Monday cannot go to Lou too (one shift a day), whoever confirms
    with pytest.raises(InvalidInput, match="one shift a day"):
        decide_swap(store, coop_id, second.payload["swap_id"], confirm=True, reason="", actor=DESK, at=NOW)
    with pytest.raises(InvalidInput, match="say why"):
        decide_swap(store, coop_id, second.payload["swap_id"], confirm=False, reason=" ", actor=DESK, at=NOW)
    decide_swap(
        store, coop_id, second.payload["swap_id"], confirm=False, reason="Lou is on already", actor=DESK, at=NOW
    )
    assert week_state(store, coop_id).swaps[second.payload["swap_id"]]["state"] == "refused"


def test_time_sheets_count_start_to_end_less_breaks_and_equal_the_ledger(store: Store) -> None:
    coop_id, ids = _week_coop(store)
    lou = ids["Lou"]
    t = datetime(2026, 12, 8, 9, 0, tzinfo=HELSINKI)
    do.start_shift(store, coop_id, lou, at=t)
    do.pause_shift(store, coop_id, lou, at=t + timedelta(hours=2))
    do.resume_shift(store, coop_id, lou, at=t + timedelta(hours=2, minutes=30))
    do.end_shift(store, coop_id, lou, at=t + timedelta(hours=5))
    do.start_shift(store, coop_id, lou, at=t + timedelta(days=1))
    do.end_shift(store, coop_id, lou, at=t + timedelta(days=1, hours=3))
    days = timesheet(
        store, coop_id, MONDAY, MONDAY + timedelta(days=6), zone=HELSINKI, planned={(lou, "2026-12-08"): 240.0}
    )
    tuesday = next(d for d in days if d.day == "2026-12-08")
    assert (tuesday.worked_minutes, tuesday.break_minutes, tuesday.planned_minutes) == (270.0, 30.0, 240.0)
    assert (tuesday.first_start, tuesday.last_end) == ("09:00", "14:00")
    ledger = sum(
        e.shift_minutes
        for day in ("2026-12-08", "2026-12-09")
        for e in store.ledger(coop_id, day)
        if e.courier_id == lou
    )
    assert totals(days)[lou]["worked_minutes"] == ledger == 450.0
    csv = to_csv(days, {lou: "=Lou"})
    assert csv.splitlines()[0].startswith("courier_id,courier,day,worked_minutes")
    assert f"{lou},'=Lou,total,450.0,30.0,240.0" in csv
