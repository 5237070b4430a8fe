"""The week's routes (issue 23): availability, the rota, swaps, time sheets, the ledger's rolling
7 and 28 days.

A courier declares their own availability and reads their own week and time sheet; a dispatcher
does so for anyone of the cooperative, asks for a rota proposal, edits it, publishes it, and
confirms or refuses swaps. A courier naming another courier gets the 404 an unknown id gets (a
colleague's availability is theirs). The domain is ``dispatch/availability.py``,
``dispatch/week.py`` and ``dispatch/timesheets.py``; every act is an event, announced to the
sockets like any other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response

from api.auth import Require, admits
from api.deps import CourierUser, Dispatcher, Member, Svc, WholeNumber
from api.errors import ApiError, answers, refusals, refusals_of_non_json
from api.i18n import Lang, courier_names, in_words
from api.sockets import shifts_for_courier
from api.week_schemas import (
    DAY,
    AbsenceIn,
    AbsenceOut,
    AvailabilityIn,
    AvailabilityOut,
    CoverIn,
    EditIn,
    MyWeekOut,
    NoCoverIn,
    OvertimeIn,
    OvertimeListOut,
    OvertimeOut,
    RollingLedgerOut,
    RotaOut,
    SwapDecisionIn,
    SwapIn,
    SwapOut,
    TimesheetOut,
    WeekIn,
    WeekOut,
    WhoAtOut,
)
from dispatch import availability, overtime, week
from dispatch.errors import InvalidInput, NotFound
from dispatch.events import Actor, ActorKind, Event
from dispatch.forecast import BIKE_PAYLOAD_KG
from dispatch.store import Store
from dispatch.store.access import Principal
from dispatch.timesheets import to_csv, to_xlsx, totals

router = APIRouter(prefix="/v1", tags=["week"], responses=refusals())

#: A dispatcher, or a courier for themselves (checked by :func:`_self_or_desk`).
DispatcherOrCourier = Annotated[Principal, admits(Require("dispatcher", "courier"))]
WeekQuery = Annotated[str | None, Query(pattern=DAY, description="the week's Monday; default: next week")]


def _now() -> datetime:
    return datetime.now(UTC)


def _actor(who: Principal) -> Actor:
    return Actor(ActorKind.COURIER if who.role == "courier" else ActorKind.DISPATCHER, who.subject_id)


def _self_or_desk(who: Principal, courier_id: str) -> None:
    """A courier reads and writes only their own week: another's id is as unknown as a wrong one."""
    if who.role == "courier" and courier_id != who.subject_id:
        raise NotFound("courier", courier_id)


def _said(store: Store, coop_id: str, lang: str, data: dict[str, Any]) -> dict[str, Any]:
    """An answer with every reason in it said in ``lang`` (the code and parameters kept)."""
    said: dict[str, Any] = in_words(store, coop_id, lang, data)
    return said


def _week_of(store: Store, coop_id: str, value: str | None) -> date:
    return week.week_or_next(store, coop_id, value, _now())


# ------------------------------------------------------------------ availability


def _availability_as_read(store: Store, coop_id: str, courier_id: str) -> dict[str, Any]:
    """A courier's availability with ``seq``, the seq of their latest declaration, read first: a
    declaration landing between the two reads makes the seq older than what is shown, so sending
    it back is refused as changed (a 409 to read again), never a silent overwrite."""
    seq = availability.declared_seq(store, coop_id, courier_id)
    return {**week.availability_view(store, coop_id, courier_id), "seq": seq}


@router.get("/couriers/{courier_id}/availability", **answers(AvailabilityOut, also=refusals(404)))
async def read_availability(courier_id: str, who: DispatcherOrCourier, svc: Svc) -> dict[str, Any]:
    """A courier's weekly windows, exceptions, holidays and contracted hours, with the ``seq`` to
    send back as ``expected_seq`` when declaring from this read."""
    _self_or_desk(who, courier_id)
    return await svc.run(_availability_as_read, svc.store, who.cooperative_id, courier_id)  # type: ignore[no-any-return]


@router.put("/couriers/{courier_id}/availability", **answers(AvailabilityOut, also=refusals(404, 409)))
async def declare_availability(
    courier_id: str, body: AvailabilityIn, who: DispatcherOrCourier, svc: Svc
) -> dict[str, Any]:
    """Declare a courier's whole availability (it replaces the previous one); a dispatcher may
    also set their contracted hours (a body with only ``contract`` leaves the windows as they
    are). Overlapping or inverted windows, or a refused contract, are refused with a reason, and
    then nothing is written. With ``expected_seq`` (the ``seq`` of the availability as read), a
    declaration of that courier since is a 409 naming who declared it, and nothing is written;
    without it, this declaration replaces whatever stands. ``expected_seq`` guards the windows:
    a contract alone writes none."""
    _self_or_desk(who, courier_id)
    if body.contract is not None and who.role == "courier":
        raise ApiError(403, "forbidden", "contract_by_dispatcher", field="contract")

    def work() -> tuple[list[Event], dict[str, Any]]:
        at, actor, coop = _now(), _actor(who), who.cooperative_id
        data = body.model_dump(exclude={"contract", "expected_seq"})
        if body.contract is not None:  # refused whole: nothing written when either part is refused
            week.check_contract(body.contract.min_h, body.contract.max_h)
        events: list[Event] = []
        if body.model_fields_set - {"expected_seq"} != {"contract"}:  # a contract alone leaves the windows be
            events.append(
                availability.declare(
                    svc.store, coop, courier_id, data, actor=actor, at=at, expected_seq=body.expected_seq
                )
            )
        if body.contract is not None:
            c = body.contract
            events.append(week.set_contract(svc.store, coop, courier_id, c.min_h, c.max_h, actor=actor, at=at))
        return events, _availability_as_read(svc.store, coop, courier_id)

    done: tuple[list[Event], dict[str, Any]] = await svc.run(work)
    await svc.appended(who.cooperative_id, done[0])
    return done[1]


@router.get("/week/who", **answers(WhoAtOut))
async def who_is_available(
    who: Dispatcher,
    svc: Svc,
    at: Annotated[
        datetime | None,
        Query(description="default: now; without an offset, a time on the cooperative's clock (as the week's grid)"),
    ] = None,
) -> dict[str, Any]:
    """Who is available at a time and until when, who is on shift, who the published rota has on.

    A time without an offset is read on the cooperative's clock, and the answer's ``at`` is on
    it too: the week page picks an hour of the cooperative's week and says "now" as the riders'
    clock reads, while a dispatcher's browser may sit in another zone."""

    def work() -> tuple[datetime, list[dict[str, Any]]]:
        coop = svc.store.cooperative(who.cooperative_id)
        if at is None:
            moment = _now()
        else:
            moment = week.check_moment(at if at.tzinfo else at.replace(tzinfo=ZoneInfo(coop.timezone)))
        return moment.astimezone(ZoneInfo(coop.timezone)), week.who_at(svc.store, coop, moment)

    moment, couriers = await svc.run(work)
    return {"at": moment.isoformat(), "couriers": couriers}


# ------------------------------------------------------------------ the rota


def _week_view(store: Store, coop_id: str, monday: date, lang: str) -> dict[str, Any]:
    """The week for the console: each hour's availability, expectation and gap; the draft and
    the published rota with their explanations; the swaps asked. A courier who left (deactivated
    or erased) is available at no time and their shifts from then on are marked ``left``
    (``dispatch.week.withdrawn``): rostered for nobody, so the hour's gap shows; they are named
    in ``former`` (an erased one as "former courier" in ``lang``), never left as a bare id."""
    coop = store.cooperative(coop_id)
    _, span = week.rota_settings(coop)
    left = availability.gone(store, coop_id)
    declared = availability.active_only(availability.declared(store, coop_id), left)
    state = week.week_state(store, coop_id)
    rota = state.rota(monday)
    zone = ZoneInfo(coop.timezone)
    draft = None if rota.draft is None else week.withdrawn(rota.draft, left, zone)
    published = None if rota.published is None else week.withdrawn(rota.published, left, zone)
    demand = week.expected(store, coop, _now())
    hours = week.hours_of_week(monday, span, declared, demand, draft if draft is not None else published or [])
    couriers = []
    for c in store.couriers(coop_id):
        if c.id in left:
            continue
        min_h, max_h = state.contract(c.id)
        couriers.append(
            {
                "id": c.id,
                "name": c.display_name,
                "cargo": c.vehicle.payload_kg > BIKE_PAYLOAD_KG,
                "declared": c.id in declared,
                "contract": {"min_h": min_h, "max_h": max_h},
                "available_h": sum(1 for h in hours if c.id in h.available),
                "rostered_h": sum(1 for h in hours if c.id in h.rostered),
            }
        )
    names = courier_names(store, coop_id, lang)
    return {
        "week": monday.isoformat(),
        "first_h": span.first_h,
        "last_h": span.last_h,
        "forecast": demand.note().to_json(),
        "couriers": couriers,
        "former": [{"id": cid, "name": names[cid], "left": went.why} for cid, went in sorted(left.items())],
        "hours": [{**asdict(h), "gap": h.gap} for h in hours],
        "rota_seq": rota.seq,
        "draft": None if draft is None else {"shifts": draft, "gaps": rota.gaps},
        "published": None
        if published is None
        else {"shifts": published, "version": rota.version, "published_at": rota.published_at},
        "swaps": [s for s in state.swaps.values() if s["week"] == monday.isoformat()],
        "no_cover": rota.no_cover,
    }


@router.get("/week", **answers(WeekOut))
async def read_week(
    who: Dispatcher, svc: Svc, lang: Lang, week_of: Annotated[WeekQuery, Query(alias="week")] = None
) -> Any:
    """The week: availability per hour, expected demand, gaps, the draft and the published rota;
    each shift's why as reasons (code, parameters, and their words in ``Accept-Language``)."""

    def work() -> dict[str, Any]:
        coop = who.cooperative_id
        return _said(svc.store, coop, lang, _week_view(svc.store, coop, _week_of(svc.store, coop, week_of), lang))

    return await svc.run(work)


def _rota(event: Event) -> dict[str, Any]:
    """A rota event's week as it now stands (state read back from the log)."""
    p = event.payload
    return {
        "week": p["week"],
        "shifts": p["shifts"],
        "state": "draft" if event.type is not week.E.ROTA_PUBLISHED else "published",
        "gaps": p.get("gaps", []),
        "seq": event.seq,
    }


async def _rota_act(who: Principal, svc: Svc, lang: str, act: Any) -> dict[str, Any]:
    """Run one rota act for the dispatcher, announce its event, answer the week's rota (its
    reasons said in ``lang``)."""

    def work() -> tuple[Event, dict[str, Any]]:
        event = act(svc.store, who.cooperative_id)
        version = week.week_state(svc.store, who.cooperative_id).rota(date.fromisoformat(event.payload["week"])).version
        return event, _said(svc.store, who.cooperative_id, lang, {**_rota(event), "version": version})

    done: tuple[Event, dict[str, Any]] = await svc.run(work)
    await svc.appended(who.cooperative_id, [done[0]])
    return done[1]


@router.post("/week/proposal", **answers(RotaOut, 201), status_code=201)
async def propose_rota(body: WeekIn, who: Dispatcher, svc: Svc, lang: Lang) -> dict[str, Any]:
    """A rota proposed for the week (default: next week): it becomes the draft, each shift with
    why it was proposed, and the hours nobody available could cover."""

    def act(store: Store, coop_id: str) -> Event:
        return week.propose(store, coop_id, _week_of(store, coop_id, body.week), actor=_actor(who), now=_now())

    return await _rota_act(who, svc, lang, act)


@router.post("/week/edits", **answers(RotaOut, also=refusals(404, 409)))
async def edit_rota(body: EditIn, who: Dispatcher, svc: Svc, lang: Lang) -> dict[str, Any]:
    """Move, remove or add one shift of the draft; refused when it breaks a person's limits."""
    change = body.model_dump(exclude={"week", "expected_seq"}, exclude_none=True)

    def act(store: Store, coop_id: str) -> Event:
        monday, seen = week.parse_week(body.week), body.expected_seq
        return week.edit(store, coop_id, monday, change, actor=_actor(who), at=_now(), expected_seq=seen)

    return await _rota_act(who, svc, lang, act)


@router.post("/week/publish", **answers(RotaOut, also=refusals(409)))
async def publish_rota(body: WeekIn, who: Dispatcher, svc: Svc, lang: Lang) -> dict[str, Any]:
    """Publish the draft: couriers see it as their week."""

    def act(store: Store, coop_id: str) -> Event:
        monday, seen = _week_of(store, coop_id, body.week), body.expected_seq
        return week.publish(store, coop_id, monday, actor=_actor(who), at=_now(), expected_seq=seen)

    return await _rota_act(who, svc, lang, act)


# ------------------------------------------------------------------ absences and cover


def _absence(store: Store, coop_id: str, monday: date, shift_id: str, seq: int, lang: str) -> dict[str, Any]:
    """An absent shift with who could cover it, the reasons said in ``lang``."""
    return _said(store, coop_id, lang, week.absence_view(store, coop_id, monday, shift_id, _now(), seq))


@router.post("/week/absences", **answers(AbsenceOut, 201, also=refusals(404, 409)), status_code=201)
async def record_absence(body: AbsenceIn, who: Dispatcher, svc: Svc, lang: Lang) -> dict[str, Any]:
    """ "X cannot come" (sick, other) on a shift of the published rota: recorded, and answered
    with who could cover it, those who covered least in the last 28 days first, then those with
    the most hours left on their contract this week; the dispatcher then picks one
    (``/week/covers``) or none. An absence for today of a courier on shift stops them now, as
    ``/unavailable`` does (``stopped``): the day's planning follows. With ``expected_seq`` (the
    week's ``rota_seq`` as seen), a rota changed since is a 409 naming the act, as for edits."""

    def work() -> tuple[list[Event], dict[str, Any]]:
        coop, monday, at, actor = who.cooperative_id, week.parse_week(body.week), _now(), _actor(who)
        event = week.record_absence(
            svc.store, coop, monday, body.shift_id, body.reason,
            note=body.note, actor=actor, at=at, expected_seq=body.expected_seq,
        )  # fmt: skip
        stopped = week.absent_today(svc.store, coop, event, actor=actor, at=at)
        shown = _absence(svc.store, coop, monday, body.shift_id, event.seq, lang)
        if stopped is not None:
            shown["stopped"] = {k: getattr(stopped, k) for k in ("returned", "on_board", "withdrawn", "shift_ended")}
        return [event, *(stopped.events if stopped else [])], shown

    done: tuple[list[Event], dict[str, Any]] = await svc.run(work)
    await svc.appended(who.cooperative_id, done[0])
    return done[1]


@router.get("/week/covers", **answers(AbsenceOut, also=refusals(404)))
async def read_covers(
    who: Dispatcher,
    svc: Svc,
    lang: Lang,
    week_of: Annotated[str, Query(alias="week", pattern=DAY, description="the week's Monday")],
    shift_id: Annotated[str, Query(min_length=1, max_length=36)],
) -> dict[str, Any]:
    """A shift of the published rota and who could cover it now (to come back to an absence)."""

    def work() -> dict[str, Any]:
        coop, monday = who.cooperative_id, week.parse_week(week_of)
        return _absence(svc.store, coop, monday, shift_id, week.week_state(svc.store, coop).rota(monday).seq, lang)

    return await svc.run(work)  # type: ignore[no-any-return]


@router.post("/week/covers", **answers(AbsenceOut, also=refusals(404, 409)))
async def assign_cover(body: CoverIn, who: Dispatcher, svc: Svc, lang: Lang) -> dict[str, Any]:
    """The dispatcher's pick: the colleague covers the absent shift (within their own limits);
    with ``expected_seq``, a rota changed since is a 409 naming the act."""

    def work() -> tuple[Event, dict[str, Any]]:
        coop, monday = who.cooperative_id, week.parse_week(body.week)
        event = week.assign_cover(
            svc.store, coop, monday, body.shift_id, body.courier_id,
            actor=_actor(who), at=_now(), expected_seq=body.expected_seq,
        )  # fmt: skip
        return event, _absence(svc.store, coop, monday, body.shift_id, event.seq, lang)

    done: tuple[Event, dict[str, Any]] = await svc.run(work)
    await svc.appended(who.cooperative_id, [done[0]])
    return done[1]


@router.post("/week/covers/none", **answers(AbsenceOut, also=refusals(404)))
async def choose_no_cover(body: NoCoverIn, who: Dispatcher, svc: Svc, lang: Lang) -> dict[str, Any]:
    """The dispatcher chooses no one of those who could cover, for now: logged (``NoCoverPicked``,
    with whom the rota offered), the rota unchanged; a cover may still be picked later."""

    def work() -> tuple[Event, dict[str, Any]]:
        coop, monday, at = who.cooperative_id, week.parse_week(body.week), _now()
        event = week.no_cover(svc.store, coop, monday, body.shift_id, note=body.note, actor=_actor(who), at=at, now=at)
        return event, _absence(
            svc.store, coop, monday, body.shift_id, week.week_state(svc.store, coop).rota(monday).seq, lang
        )

    done: tuple[Event, dict[str, Any]] = await svc.run(work)
    await svc.appended(who.cooperative_id, [done[0]])
    return done[1]


# ------------------------------------------------------------------ a courier's week, swaps


@router.get("/week/mine", **answers(MyWeekOut))
async def my_week(
    who: CourierUser, svc: Svc, lang: Lang, week_of: Annotated[WeekQuery, Query(alias="week")] = None
) -> Any:
    """My shifts in the published rota, the swaps I asked for, each with its shift's day and
    hours (``shift``: the shift is the colleague's once confirmed, gone from ``shifts``), and
    the swaps colleagues asked of me (``asked_of_me``, :func:`_asked_of`)."""

    def work() -> dict[str, Any]:
        monday = _week_of(svc.store, who.cooperative_id, week_of)
        state = week.week_state(svc.store, who.cooperative_id)
        rota = state.rota(monday)
        # as the socket says them: a cover names the colleague, not why they are away
        mine = shifts_for_courier(rota.published or [], who.subject_id)
        # each swap with its shift's day and hours, which stay the asker's to read once the
        # colleague holds the shift (only that: never the colleague's other shifts)
        hours = {s["id"]: {k: s[k] for k in ("day", "start_h", "end_h")} for s in rota.published or []}
        swaps = [
            {**s, "shift": hours.get(s["shift_id"])}
            for s in state.swaps.values()
            if s["week"] == monday.isoformat() and s["courier_id"] == who.subject_id
        ]
        answer = {"week": monday.isoformat(), "shifts": mine, "version": rota.version, "swaps": swaps}
        answer["asked_of_me"] = _asked_of(state.swaps.values(), monday, who.subject_id, hours)
        return _said(svc.store, who.cooperative_id, lang, answer)

    return await svc.run(work)


#: What the colleague a swap is asked of reads of it: who asks, which shift, its state; never
#: the asker's note (written for dispatch) nor the dispatcher's reason (a note between them).
ASKED_OF_ME_KEYS = ("id", "week", "courier_id", "shift_id", "state", "asked_at")


def _asked_of(
    swaps: Iterable[dict[str, Any]], monday: date, courier_id: str, hours: dict[str, Any]
) -> list[dict[str, Any]]:
    """The swaps of ``monday``'s week asked of ``courier_id``, so that the colleague learns of a
    request about them while it waits for a dispatcher (not only once it is confirmed and the
    shift appears in their week), and then how it was decided, each with the shift's day and
    hours (``hours``: shift id -> them, from the published rota)."""
    return [
        {**{k: s[k] for k in ASKED_OF_ME_KEYS}, "shift": hours.get(s["shift_id"])}
        for s in swaps
        if s["week"] == monday.isoformat() and s["with_courier_id"] == courier_id
    ]


@router.post("/week/swaps", **answers(SwapOut, 201, also=refusals(404)), status_code=201)
async def ask_swap(body: SwapIn, who: CourierUser, svc: Svc) -> dict[str, Any]:
    """Ask to hand one of my published shifts to a colleague; a dispatcher confirms or refuses."""

    def work() -> tuple[Event, dict[str, Any]]:
        coop, monday = who.cooperative_id, week.parse_week(body.week)
        event = week.request_swap(
            svc.store, coop, who.subject_id, monday, body.shift_id, body.with_courier_id,
            note=body.note, at=_now(), actor=_actor(who),
        )  # fmt: skip
        return event, week.week_state(svc.store, coop).swaps[event.payload["swap_id"]]

    done: tuple[Event, dict[str, Any]] = await svc.run(work)
    await svc.appended(who.cooperative_id, [done[0]])
    return done[1]


@router.post("/week/swaps/decision", **answers(SwapOut, also=refusals(404)))
async def decide_swap(body: SwapDecisionIn, who: Dispatcher, svc: Svc) -> dict[str, Any]:
    """Confirm a swap (the colleague takes the shift, within their limits) or refuse it, saying why."""

    def work() -> tuple[Event, dict[str, Any]]:
        coop = who.cooperative_id
        event = week.decide_swap(
            svc.store, coop, body.swap_id, confirm=body.confirm, reason=body.reason, actor=_actor(who), at=_now()
        )
        return event, week.week_state(svc.store, coop).swaps[body.swap_id]

    done: tuple[Event, dict[str, Any]] = await svc.run(work)
    await svc.appended(who.cooperative_id, [done[0]])
    return done[1]


# ------------------------------------------------------------------ time sheets


Sheet = tuple[date, date, list[Any], dict[str, str]]


def _whose(who: Principal, courier_id: str | None) -> str | None:
    """A courier's time sheet is their own; asking for a colleague's is refused as unknown."""
    if who.role == "courier":
        _self_or_desk(who, courier_id or who.subject_id)
        return who.subject_id
    return courier_id


def _sheet(store: Store, who: Principal, week_of: str | None, courier_id: str | None, lang: str = "en") -> Sheet:
    courier_id = _whose(who, courier_id)
    monday = week.week_or_this(store, who.cooperative_id, week_of, _now())
    days = week.week_timesheet(store, who.cooperative_id, monday, courier_id=courier_id)
    return monday, monday + timedelta(days=6), days, courier_names(store, who.cooperative_id, lang)


def _month_sheet(store: Store, who: Principal, month: str, courier_id: str | None, lang: str = "en") -> Sheet:
    courier_id = _whose(who, courier_id)
    first, last = week.parse_month(month)
    days = week.span_timesheet(store, who.cooperative_id, first, last, courier_id=courier_id)
    return first, last, days, courier_names(store, who.cooperative_id, lang)


def _today(store: Store, coop_id: str) -> str:
    """The cooperative's local day now: a page cannot tell it from the browser's clock and zone,
    and the days after it are still to come (overtime on them is refused, so a page says so
    before a dispatcher tries)."""
    return _now().astimezone(ZoneInfo(store.cooperative(coop_id).timezone)).date().isoformat()


def _sheet_json(sheet: Sheet) -> dict[str, Any]:
    first, last, days, names = sheet
    return {
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
        "days": [asdict(d) for d in days],
        "totals": [{"courier_id": cid, "name": names.get(cid, cid), **t} for cid, t in sorted(totals(days).items())],
    }


SheetWeek = Annotated[str | None, Query(alias="week", pattern=DAY, description="the week's Monday; default: this week")]
SheetCourier = Annotated[str | None, Query(max_length=36, description="one courier (a courier: only themself)")]
SheetMonth = Annotated[str, Query(max_length=7, description="the calendar month, YYYY-MM (the cooperative's days)")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"description": "One row per courier and day, then one total per courier", "content": {"text/csv": {}}}
}
XLSX_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"description": "The CSV's rows in one spreadsheet sheet, minutes as numbers", "content": {XLSX: {}}}
}


def _download(sheet: Sheet, name: str, form: str) -> Response:
    """An export as an attachment named after its period: the CSV or the spreadsheet."""
    _, _, days, names = sheet
    body: str | bytes = to_xlsx(days, names) if form == "xlsx" else to_csv(days, names)
    media = XLSX if form == "xlsx" else "text/csv; charset=utf-8"
    headers = {"Content-Disposition": f'attachment; filename="timesheet-{name}.{form}"'}
    return Response(body, media_type=media, headers=headers)


@router.get("/week/timesheet", **answers(TimesheetOut, also=refusals(404)))
async def read_timesheet(
    who: DispatcherOrCourier, svc: Svc, lang: Lang, week_of: SheetWeek = None, courier_id: SheetCourier = None
) -> Any:
    """Worked, break and planned minutes per courier per day of a week, and their totals; a
    courier sees only their own. A dispatcher's answer has the log's ``seq`` as the sheet was
    read, to send back as ``expected_seq`` when deciding overtime on it."""
    seq = None if who.role == "courier" else await svc.run(svc.store.cooperative_last_seq, who.cooperative_id)
    sheet = _sheet_json(await svc.run(_sheet, svc.store, who, week_of, courier_id, lang))
    return {**sheet, "today": await svc.run(_today, svc.store, who.cooperative_id), "seq": seq}


@router.get("/week/timesheet.csv", response_class=Response, responses={**CSV_ANSWER, **refusals_of_non_json(404)})
async def export_timesheet(
    who: DispatcherOrCourier, svc: Svc, lang: Lang, week_of: SheetWeek = None, courier_id: SheetCourier = None
) -> Response:
    """The week's time sheet as CSV, for the cooperative's payroll (a courier: their own)."""
    sheet = await svc.run(_sheet, svc.store, who, week_of, courier_id, lang)
    return _download(sheet, sheet[0].isoformat(), "csv")


@router.get("/week/timesheet.xlsx", response_class=Response, responses={**XLSX_ANSWER, **refusals_of_non_json(404)})
async def export_timesheet_xlsx(
    who: DispatcherOrCourier, svc: Svc, lang: Lang, week_of: SheetWeek = None, courier_id: SheetCourier = None
) -> Response:
    """The week's time sheet as a spreadsheet, for the cooperative's payroll (a courier: their own)."""
    sheet = await svc.run(_sheet, svc.store, who, week_of, courier_id, lang)
    return _download(sheet, sheet[0].isoformat(), "xlsx")


@router.get("/timesheet/month", **answers(TimesheetOut, also=refusals(404)))
async def read_month_timesheet(
    who: DispatcherOrCourier, svc: Svc, lang: Lang, month: SheetMonth, courier_id: SheetCourier = None
) -> Any:
    """A calendar month's time sheet, the days counted in the cooperative's timezone, for
    payroll that pays by the month; a courier sees only their own."""
    sheet = _sheet_json(await svc.run(_month_sheet, svc.store, who, month, courier_id, lang))
    return {**sheet, "today": await svc.run(_today, svc.store, who.cooperative_id)}


@router.get("/timesheet/month.csv", response_class=Response, responses={**CSV_ANSWER, **refusals_of_non_json(404)})
async def export_month_timesheet(
    who: DispatcherOrCourier, svc: Svc, lang: Lang, month: SheetMonth, courier_id: SheetCourier = None
) -> Response:
    """The month's time sheet as CSV (a courier: their own)."""
    return _download(await svc.run(_month_sheet, svc.store, who, month, courier_id, lang), month, "csv")


@router.get("/timesheet/month.xlsx", response_class=Response, responses={**XLSX_ANSWER, **refusals_of_non_json(404)})
async def export_month_timesheet_xlsx(
    who: DispatcherOrCourier, svc: Svc, lang: Lang, month: SheetMonth, courier_id: SheetCourier = None
) -> Response:
    """The month's time sheet as a spreadsheet (a courier: their own)."""
    return _download(await svc.run(_month_sheet, svc.store, who, month, courier_id, lang), month, "xlsx")


# ------------------------------------------------------------------ overtime decided by dispatch


@router.post("/week/overtime", **answers(OvertimeOut, also=refusals(404, 409)))
async def decide_overtime(body: OvertimeIn, who: Dispatcher, svc: Svc) -> dict[str, Any]:
    """A dispatcher decides that ``minutes`` of a courier's local day are overtime, for payroll
    (``dispatch/overtime.py``): it replaces the decision standing for that day, and 0 withdraws
    it. A day still to come, more minutes than the day holds, or withdrawing what does not stand
    is a 422; more than the worked minutes is allowed, the time sheet showing both. With
    ``expected_seq`` (the time sheet's or the list's ``seq``), a decision of that courier's day
    made since is a 409 naming who decided what. A courier does not decide overtime (403)."""

    def work() -> tuple[Event, dict[str, Any]]:
        coop = who.cooperative_id
        event = overtime.decide(
            svc.store, coop, body.courier_id, body.day, body.minutes,
            note=body.note, actor=_actor(who), at=_now(), expected_seq=body.expected_seq,
        )  # fmt: skip
        return event, overtime.answer(event, courier_names(svc.store, coop))

    done: tuple[Event, dict[str, Any]] = await svc.run(work)
    await svc.appended(who.cooperative_id, [done[0]])
    return done[1]


@router.get("/week/overtime", **answers(OvertimeListOut))
async def read_overtime(who: Dispatcher, svc: Svc, week_of: SheetWeek = None) -> dict[str, Any]:
    """The overtime decisions standing for a week's days (default: this week), with the
    dispatcher's note and who decided; a courier reads their own minutes in their time sheet."""

    def work() -> dict[str, Any]:
        coop = who.cooperative_id
        monday = week.week_or_this(svc.store, coop, week_of, _now())
        return overtime.listed(svc.store, coop, monday, monday + timedelta(days=6), courier_names(svc.store, coop))

    return await svc.run(work)  # type: ignore[no-any-return]


# ------------------------------------------------------------------ the ledger's week view


@router.get("/ledger/rolling", **answers(RollingLedgerOut))
async def rolling_ledger(
    who: Member,
    svc: Svc,
    request: Request,
    days: Annotated[WholeNumber, Query(description="the span: the last 7 or 28 days, today included")] = 7,
) -> dict[str, Any]:
    """The fairness ledger summed over the last 7 or 28 days, the same for every member
    (dispatchers, analysts and couriers), couriers in today's rotation. The span is given once:
    ``?days=28&days=7`` was read as 7, one of the two silently dropped (outside tester's finding 7)."""
    if len(request.query_params.getlist("days")) > 1:
        raise InvalidInput("days", "given_twice")
    return await svc.run(week.rolling_ledger, svc.store, who.cooperative_id, days, _now())  # type: ignore[no-any-return]
