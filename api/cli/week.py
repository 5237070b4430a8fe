"""``tandem week``: the cooperative's week from the command line (issue 23).

An admin enters a courier's availability and contract (for anyone of the cooperative, as a
dispatcher can through the API), asks for a rota proposal, publishes it, and exports the time
sheet as CSV for payroll. The same domain calls as the API (``dispatch/availability.py``,
``dispatch/week.py``, ``dispatch/timesheets.py``), so the same refusals, as one-line errors;
every act is an event recorded with the admin as its actor, named as ``tandem admin``'s acts
name it (``cli_actor``: ``cli:<login on the machine>``), so the log says which operator acted.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.admin import CoopOption, _acting, _report
from api.cli.common import DatabaseOption, JsonOption, fail, out
from api.i18n import courier_names, say_all
from dispatch import availability, overtime, week
from dispatch.events import Event
from dispatch.store import Store
from dispatch.store.access import cli_actor
from dispatch.timesheets import to_csv, to_xlsx

week_app = typer.Typer(
    help="The week: couriers' availability and contracts, the rota proposed and published, time sheets.",
    no_args_is_help=True,
)

CourierOption = Annotated[str, typer.Option("--courier", help="The courier's id.")]
WeekOption = Annotated[str | None, typer.Option("--week", help="The week's Monday, YYYY-MM-DD (default: next week).")]


def _now() -> datetime:
    return datetime.now(UTC)


def _week(store: Store, coop_id: str, value: str | None) -> date:
    return week.week_or_next(store, coop_id, value, _now())


@week_app.command("availability")
def availability_command(
    coop: CoopOption,
    courier: CourierOption,
    file: Annotated[
        Path | None, typer.Option("--file", help="JSON: {weekly: [...], exceptions: [...], holidays: [...]}.")
    ] = None,
    min_h: Annotated[int | None, typer.Option("--min-h", help="Contracted hours a week, at least.")] = None,
    max_h: Annotated[int | None, typer.Option("--max-h", help="Contracted hours a week, at most.")] = None,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Declare a courier's availability (from a JSON file) and/or contract; print what stands."""
    data: dict[str, Any] | None = None
    if file is not None:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise fail(f"cannot read {file} as JSON ({exc})") from None
        if not isinstance(data, dict):
            raise fail(f"{file}: an object with weekly, exceptions and holidays")
    if (min_h is None) != (max_h is None):
        raise fail("give --min-h and --max-h together")

    def act(store: Store) -> dict[str, Any]:
        if min_h is not None and max_h is not None:
            week.check_contract(min_h, max_h)  # refused whole: the availability is not written either
        if data is not None:
            availability.declare(store, coop, courier, data, actor=cli_actor(), at=_now())
        if min_h is not None and max_h is not None:
            week.set_contract(store, coop, courier, min_h, max_h, actor=cli_actor(), at=_now())
        return week.availability_view(store, coop, courier)

    shown = _acting(database, act)
    windows = ", ".join(
        f"{availability.DAYS[w['weekday']][:3]} {w['start']}-{w['end']}" for w in shown["weekly"]
    )  # fmt: skip
    contract = shown["contract"]
    _report(
        as_json, shown, f"{courier}: {windows or 'no weekly window'}; {contract['min_h']}-{contract['max_h']} h a week"
    )


def _rota_act(database: str | None, coop: str, week_of: str | None, publish: bool) -> Event:
    def act(store: Store) -> Event:
        monday = _week(store, coop, week_of)
        if publish:
            return week.publish(store, coop, monday, actor=cli_actor(), at=_now())
        return week.propose(store, coop, monday, actor=cli_actor(), now=_now())

    return _acting(database, act)


def _print_rota(event: Event, as_json: bool) -> None:
    p = event.payload
    lines = [
        f"{s['day']} {s['start_h']:02d}-{s['end_h']:02d} {s['courier_id']}: {say_all(s['why'])}" for s in p["shifts"]
    ]
    gaps = [f"{g['day']} {g['hour']:02d}:00 short of {g['missing']}" for g in p.get("gaps", [])]
    human = "\n".join([f"week of {p['week']}: {len(lines)} shifts", *lines, *(["gaps:", *gaps] if gaps else [])])
    _report(as_json, {"week": p["week"], "shifts": p["shifts"], "gaps": p.get("gaps", []), "seq": event.seq}, human)


@week_app.command("propose")
def propose_command(
    coop: CoopOption, week_of: WeekOption = None, database: DatabaseOption = None, as_json: JsonOption = False
) -> None:
    """Propose the week's rota (it becomes the draft a dispatcher edits); each shift says why."""
    _print_rota(_rota_act(database, coop, week_of, publish=False), as_json)


@week_app.command("publish")
def publish_command(
    coop: CoopOption, week_of: WeekOption = None, database: DatabaseOption = None, as_json: JsonOption = False
) -> None:
    """Publish the week's draft: couriers see it as their week."""
    _print_rota(_rota_act(database, coop, week_of, publish=True), as_json)


@week_app.command("timesheet")
def timesheet_command(
    coop: CoopOption,
    week_of: Annotated[str | None, typer.Option("--week", help="The week's Monday, YYYY-MM-DD.")] = None,
    month: Annotated[str | None, typer.Option("--month", help="Or a calendar month, YYYY-MM.")] = None,
    courier: Annotated[str | None, typer.Option("--courier", help="One courier only.")] = None,
    form: Annotated[str, typer.Option("--format", help="csv or xlsx (a spreadsheet; needs --out).")] = "csv",
    output: Annotated[Path | None, typer.Option("--out", help="Write the file here (default: stdout).")] = None,
    database: DatabaseOption = None,
) -> None:
    """A week's or a month's time sheet: worked, break and planned minutes per courier and day, and totals."""
    if (week_of is None) == (month is None):
        raise fail("give --week YYYY-MM-DD or --month YYYY-MM (one of them)")
    if form not in ("csv", "xlsx"):
        raise fail("--format: csv or xlsx")
    if form == "xlsx" and output is None:
        raise fail("--format xlsx: a spreadsheet is binary, give --out FILE")

    def act(store: Store) -> str | bytes:
        if month is not None:
            first, last = week.parse_month(month)
            days = week.span_timesheet(store, coop, first, last, courier_id=courier)
        else:
            days = week.week_timesheet(store, coop, week.parse_week(week_of), courier_id=courier)
        return (to_xlsx if form == "xlsx" else to_csv)(days, courier_names(store, coop))

    _write_sheet(_acting(database, act), output)


def _write_sheet(body: str | bytes, output: Path | None) -> None:
    if output is None:
        typer.echo(body, nl=False)
        return
    if isinstance(body, bytes):
        output.write_bytes(body)
    else:
        output.write_text(body, encoding="utf-8")
    out.print(f"time sheet written to {output}")


# ------------------------------------------------------------------ overtime decided by dispatch


def _decide_overtime(
    store: Store, coop: str, courier: str, day: str, minutes: int, note: str, seen: int | None
) -> dict[str, Any]:
    event = overtime.decide(
        store, coop, courier, day, minutes, note=_checked(note), actor=cli_actor(), at=_now(), expected_seq=seen
    )
    return overtime.answer(event, courier_names(store, coop))


def _overtime_of_week(store: Store, coop: str, week_of: str | None) -> dict[str, Any]:
    monday = week.week_or_this(store, coop, week_of, _now())
    return overtime.listed(store, coop, monday, monday + timedelta(days=6), courier_names(store, coop))


@week_app.command("overtime")
def overtime_command(
    coop: CoopOption,
    courier: Annotated[str | None, typer.Option("--courier", help="To decide: the courier's id.")] = None,
    day: Annotated[str | None, typer.Option("--day", help="To decide: the local day, YYYY-MM-DD (not later).")] = None,
    minutes: Annotated[
        int | None, typer.Option("--minutes", help="To decide: the day's overtime in minutes; 0 withdraws it.")
    ] = None,
    note: Annotated[str, typer.Option("--note", help="To decide: a few words for the log.")] = "",
    expected_seq: Annotated[
        int | None,
        typer.Option(
            "--expected-seq", min=0, help="To decide: the log seq the listing showed; refused if the day changed since."
        ),
    ] = None,
    week_of: Annotated[
        str | None, typer.Option("--week", help="To list: the week's Monday, YYYY-MM-DD (default: this week).")
    ] = None,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Decide a courier's overtime on a day (--courier, --day, --minutes; it replaces the one
    standing, 0 withdraws it; with --expected-seq, refused when someone decided that day after
    the listing you read), or list the week's decisions (--week). Overtime is a person's
    decision for payroll: the time sheet shows the minutes worked beyond the plan to decide on."""
    deciding = (courier, day, minutes)
    if any(v is not None for v in deciding):
        if any(v is None for v in deciding):
            raise fail("to decide overtime give --courier, --day and --minutes together (--minutes 0 withdraws it)")
        if week_of is not None:
            raise fail("--week lists the decisions; to decide, give --courier, --day and --minutes without it")
        assert courier is not None and day is not None and minutes is not None  # checked just above
        done = _acting(database, _decide_overtime, coop, courier, day, minutes, note, expected_seq)
        said = f"{done['name']} on {done['day']}: " + (
            f"{done['minutes']} min of overtime (log seq {done['seq']})" if minutes else "overtime withdrawn"
        )
        _report(as_json, done, said)
        return
    if note or expected_seq is not None:
        raise fail("--note and --expected-seq go with a decision: give --courier, --day and --minutes too")
    shown = _acting(database, _overtime_of_week, coop, week_of)
    lines = [f"{d['day']} {d['name']}: {d['minutes']} min {_noted(d['note'])}".rstrip() for d in shown["decisions"]]
    head = f"overtime decided, {shown['first_day']} to {shown['last_day']} (log seq {shown['seq']}):"
    human = "\n".join([head, *(lines or ["none"])])
    _report(as_json, shown, human)


# ------------------------------------------------------------------ absences and covers

ShiftOption = Annotated[str, typer.Option("--shift", help="The shift's id (as the rota shows it).")]
RequiredWeekOption = Annotated[str, typer.Option("--week", help="The week's Monday, YYYY-MM-DD.")]


def _covers(store: Store, coop: str, monday: date, shift_id: str) -> dict[str, Any]:
    return week.absence_view(store, coop, monday, shift_id, _now())


def _said(shown: dict[str, Any], headline: str) -> str:
    lines = [headline]
    if shown["shift"].get("covered_by"):
        lines.append(f"covered by {shown['shift']['covered_by']}")
    elif shown["covers"]:
        lines.append("who could cover (those who covered least lately first, then those with most hours left):")
        lines += [f"  {c['courier_id']} {c['name']}: {say_all(c['why'])}" for c in shown["covers"]]
    else:
        lines.append("nobody available can cover this shift")
    return "\n".join(lines)


@week_app.command("absence")
def absence_command(
    coop: CoopOption,
    week_of: RequiredWeekOption,
    shift: ShiftOption,
    reason: Annotated[str, typer.Option("--reason", help="sick or other.")],
    note: Annotated[str, typer.Option("--note", help="A few words for the log.")] = "",
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """A courier of the published rota cannot come: record it on their shift, and list who could
    cover it (pick one with `tandem week cover`)."""
    if reason not in week.ABSENCE_REASONS:
        raise fail(f"--reason: one of {', '.join(week.ABSENCE_REASONS)}")

    def act(store: Store) -> dict[str, Any]:
        monday = week.parse_week(week_of)
        at = _now()
        by = cli_actor()
        event = week.record_absence(store, coop, monday, shift, reason, note=_checked(note), actor=by, at=at)
        stopped = week.absent_today(store, coop, event, actor=by, at=at)
        said = (
            {k: getattr(stopped, k) for k in ("returned", "on_board", "withdrawn", "shift_ended")} if stopped else None
        )
        return _covers(store, coop, monday, shift) | {"seq": event.seq, "stopped": said}

    shown = _acting(database, act)
    s = shown["shift"]
    headline = f"{s['courier_id']} cannot come ({reason}): {s['day']} {s['start_h']:02d}-{s['end_h']:02d}"
    if shown["stopped"]:
        headline += f"\nstopped now (on shift today): {len(shown['stopped']['returned'])} job(s) back to the queue"
    _report(as_json, shown, _said(shown, headline))


@week_app.command("cover")
def cover_command(
    coop: CoopOption,
    week_of: RequiredWeekOption,
    shift: ShiftOption,
    courier: Annotated[str | None, typer.Option("--courier", help="Who covers (one of those offered).")] = None,
    no_one: Annotated[bool, typer.Option("--no-one", help="Choose no one, for now (logged).")] = False,
    note: Annotated[str, typer.Option("--note", help="With --no-one: a few words for the log.")] = "",
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Pick who covers an absent courier's shift (checked against the rota's rules), or no one."""
    if (courier is None) == (not no_one):
        raise fail("give --courier or --no-one")

    def act(store: Store) -> dict[str, Any]:
        monday, at = week.parse_week(week_of), _now()
        if courier is not None:
            week.assign_cover(store, coop, monday, shift, courier, actor=cli_actor(), at=at)
        else:
            week.no_cover(store, coop, monday, shift, note=_checked(note), actor=cli_actor(), at=at, now=at)
        return _covers(store, coop, monday, shift)

    shown = _acting(database, act)
    headline = f"shift {shift}: " + (f"{courier} covers" if courier else "no one picked, for now (logged)")
    _report(as_json, shown, headline if courier else _said(shown, headline))


def _noted(note: str) -> str:
    """A decision's note in brackets after its minutes, or nothing: the listing is one line per
    decision for an admin reading a terminal, so the note stays on its decision's line, and a
    decision without one shows no empty brackets."""
    return f"({note})" if note else ""


def _checked(note: str) -> str:
    """A note as the API takes it: printable text, at most 300 characters, refused with the
    API's code (``too_many_characters`` and its limit), so the CLI's message is worded by the
    same table as the API's, not an English sentence where a code belongs."""
    from dispatch.errors import InvalidInput
    from dispatch.text import check_text

    if len(note) > overtime.NOTE_LIMIT:
        raise InvalidInput("note", "too_many_characters", limit=overtime.NOTE_LIMIT)
    return check_text("note", note)
