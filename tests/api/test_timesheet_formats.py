"""Time sheets for payroll (issue 23): the spreadsheet holds the CSV's rows, minutes as numbers."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from dispatch import commands
from dispatch.store import Store
from tests.api.test_week import HELSINKI, Week, _app

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def week(tmp_path: Path) -> Week:
    """On SQLite only: the formats are tested here; the time sheet's figures are proven on both
    databases by tests/dispatch/test_week.py, test_week_ledger.py and test_overtime.py."""
    return Week(f"sqlite:///{tmp_path / 'tandem.db'}")


def _shift(week: Week, name: str, start: datetime, minutes: int, pause: int = 0) -> None:
    """A shift as the phone declares it: Start, (Pause, Resume,) End."""
    store = Store.open(week.url)
    coop, cid = week.world.coop_id, week.id(name)
    try:
        commands.start_shift(store, coop, cid, at=start)
        if pause:
            commands.pause_shift(store, coop, cid, at=start + timedelta(minutes=minutes // 2))
            commands.resume_shift(store, coop, cid, at=start + timedelta(minutes=minutes // 2 + pause))
        commands.end_shift(store, coop, cid, at=start + timedelta(minutes=minutes + pause))
    finally:
        store.close()


def _cli(week: Week) -> Any:
    """``tandem week ...`` on the week's cooperative and database, as the admin types it."""
    from typer.testing import CliRunner

    from api.cli import app

    runner = CliRunner()
    return lambda *args: runner.invoke(app, ["week", *args, "--coop", week.world.coop_id, "--database", week.url])


def _xlsx_rows(body: bytes) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _same(csv_text: str, xlsx: list[list[Any]]) -> None:
    """Cell by cell: numbers in the spreadsheet are numbers, equal to the CSV's text."""
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert len(rows) == len(xlsx) > 1
    for text_row, cells in zip(rows, xlsx, strict=True):
        for text, cell in zip(text_row, cells, strict=True):
            if isinstance(cell, (int, float)):
                assert float(text) == cell, (text_row, cells)
            else:
                assert (cell or "") == text, (text_row, cells)
    numbers = [c for row in xlsx[1:] for c in row[3:6]]
    assert numbers and all(isinstance(c, (int, float)) for c in numbers)


def test_the_spreadsheet_holds_the_csv_rows_with_numbers(week: Week) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    _shift(week, "Aino", start, 120, pause=15)
    today = start.astimezone(HELSINKI).date()
    monday = (today - timedelta(days=today.weekday())).isoformat()
    with _app(week.url) as client:
        desk = week.desk(client)
        text = client.get("/v1/week/timesheet.csv", params={"week": monday}, headers=desk).text
        r = client.get("/v1/week/timesheet.xlsx", params={"week": monday}, headers=desk)
        assert r.status_code == 200 and r.headers["content-type"] == XLSX
        assert r.headers["content-disposition"] == f'attachment; filename="timesheet-{monday}.xlsx"'
        rows = _xlsx_rows(r.content)
        _same(text, rows)
        assert [row[2:4] for row in rows if row[2] == "total"] == [["total", 120.0]]
        refused = client.get("/v1/week/timesheet.xlsx", params={"week": "2026-13-01"}, headers=desk)
        assert refused.status_code == 422


def test_the_cli_writes_the_spreadsheet_and_refuses_an_unknown_format(tmp_path: Path) -> None:
    week = Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    _shift(week, "Veera", start, 90)
    today = start.astimezone(HELSINKI).date()
    monday = (today - timedelta(days=today.weekday())).isoformat()
    cli = _cli(week)

    def tandem(*args: str) -> Any:
        return cli("timesheet", *args)

    text = tandem("--week", monday)
    assert text.exit_code == 0, text.output
    file = tmp_path / "sheet.xlsx"
    done = tandem("--week", monday, "--format", "xlsx", "--out", str(file))
    assert done.exit_code == 0, done.output
    _same(text.output, _xlsx_rows(file.read_bytes()))
    assert tandem("--week", monday, "--format", "ods", "--out", str(file)).exit_code == 2
    assert tandem("--week", monday, "--format", "xlsx").exit_code == 2


def _local(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=HELSINKI)


def _days_by_week(client: Any, desk: dict[str, str], first: str, last: str) -> list[dict[str, Any]]:
    """The days from first to last, read from the week sheets that hold them."""
    monday = date.fromisoformat(first) - timedelta(days=date.fromisoformat(first).weekday())
    days: list[dict[str, Any]] = []
    while monday.isoformat() <= last:
        sheet = client.get("/v1/week/timesheet", params={"week": monday.isoformat()}, headers=desk).json()
        days += [d for d in sheet["days"] if first <= d["day"] <= last]
        monday += timedelta(days=7)
    return sorted(days, key=lambda d: (d["day"], d["courier_id"]))


def test_a_month_is_the_sum_of_its_local_days(week: Week) -> None:
    _shift(week, "Aino", _local("2026-10-31", "22:00"), 180)  # closes 1 November 01:00 here, 31 October in UTC
    _shift(week, "Aino", _local("2026-11-10", "10:00"), 210, pause=30)
    _shift(week, "Lou", _local("2026-11-16", "09:00"), 180)
    _shift(week, "Veera", _local("2026-11-30", "23:30"), 60)  # closes 1 December here, 30 November in UTC
    with _app(week.url) as client:
        desk, aino = week.desk(client), week.courier(client, "Aino")
        r = client.get("/v1/timesheet/month", params={"month": "2026-11"}, headers=desk)
        assert r.status_code == 200, r.text
        month = r.json()
        assert (month["first_day"], month["last_day"]) == ("2026-11-01", "2026-11-30")
        assert month["days"] == _days_by_week(client, desk, "2026-11-01", "2026-11-30")
        worked = {t["name"]: (t["worked_minutes"], t["break_minutes"]) for t in month["totals"]}
        assert worked == {"Aino": (390.0, 30.0), "Lou": (180.0, 0.0), "Veera": (0.0, 0.0)}  # began on the 30th
        inside = client.get("/v1/week/timesheet", params={"week": "2026-11-16"}, headers=desk).json()
        assert [d for d in month["days"] if "2026-11-16" <= d["day"] <= "2026-11-22"] == inside["days"]
        text = client.get("/v1/timesheet/month.csv", params={"month": "2026-11"}, headers=desk)
        assert text.headers["content-disposition"] == 'attachment; filename="timesheet-2026-11.csv"'
        sheet = client.get("/v1/timesheet/month.xlsx", params={"month": "2026-11"}, headers=desk)
        assert sheet.headers["content-type"] == XLSX
        _same(text.text, _xlsx_rows(sheet.content))
        december = client.get("/v1/timesheet/month", params={"month": "2026-12"}, headers=desk).json()
        assert [(d["day"], d["worked_minutes"]) for d in december["days"]] == [("2026-12-01", 60.0)]
        for bad in ("2026-13", "2026-1", "26-11", "1969-12", "11-2026", ""):
            refused = client.get("/v1/timesheet/month.csv", params={"month": bad}, headers=desk)
            assert refused.status_code == 422, (bad, refused.text)
        assert client.get("/v1/timesheet/month", headers=desk).status_code == 422
        refused = client.get("/v1/timesheet/month", params={"month": "2026-13"}, headers=desk).json()
        assert refused["error"]["field"] == "month"
        # A courier sees and downloads their own, never a colleague's.
        own = client.get("/v1/timesheet/month", params={"month": "2026-11"}, headers=aino).json()
        assert {d["courier_id"] for d in own["days"]} == {week.id("Aino")} and len(own["totals"]) == 1
        theirs = {"month": "2026-11", "courier_id": week.id("Lou")}
        for path in ("/v1/timesheet/month", "/v1/timesheet/month.csv", "/v1/timesheet/month.xlsx"):
            assert client.get(path, params=theirs, headers=aino).status_code == 404
        mine = client.get("/v1/timesheet/month.xlsx", params={"month": "2026-11"}, headers=aino)
        assert {row[1] for row in _xlsx_rows(mine.content)[1:]} == {"Aino"}
        for path in ("/v1/week/timesheet.csv", "/v1/week/timesheet.xlsx"):
            week_of = {"week": "2026-11-09"}
            assert client.get(path, params={**week_of, "courier_id": week.id("Lou")}, headers=aino).status_code == 404
            assert "Lou" not in client.get(path, params=week_of, headers=aino).content.decode("latin-1")


def test_the_cli_month_holds_the_published_rota_of_the_weeks_inside(tmp_path: Path) -> None:
    week = Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    tandem, lou = _cli(week), week.id("Lou")
    file = tmp_path / "mondays.json"
    file.write_text(json.dumps({"weekly": [{"weekday": 0, "start": "10:00", "end": "16:00"}]}), encoding="utf-8")
    assert tandem("availability", "--courier", lou, "--file", str(file)).exit_code == 0
    assert tandem("propose", "--week", week.next_monday).exit_code == 0
    assert tandem("publish", "--week", week.next_monday).exit_code == 0
    planned = list(csv.DictReader(io.StringIO(tandem("timesheet", "--week", week.next_monday).output)))
    assert planned and float(planned[-1]["planned_minutes"]) > 0
    month = week.next_monday[:7]
    sheet = tandem("timesheet", "--month", month)
    assert sheet.exit_code == 0, sheet.output
    rows = list(csv.DictReader(io.StringIO(sheet.output)))
    assert [r for r in rows if r["day"] != "total"] == [r for r in planned if r["day"].startswith(month)]
    file = tmp_path / "month.xlsx"
    assert tandem("timesheet", "--month", month, "--format", "xlsx", "--out", str(file)).exit_code == 0
    _same(sheet.output, _xlsx_rows(file.read_bytes()))
    for bad in (["--month", "2026-13"], ["--month", month, "--week", week.next_monday], []):
        refused = tandem("timesheet", *bad)
        assert refused.exit_code == 2, (bad, refused.output)
