"""Time sheets for payroll (issue 23): the spreadsheet holds the CSV's rows, minutes as numbers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from dispatch import commands
from dispatch.store import Store
from tests.api.test_week import HELSINKI, Week, _app

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(params=["sqlite", "postgresql"])
def week(request: pytest.FixtureRequest, tmp_path: Path) -> Week:
    if request.param == "sqlite":
        return Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    return Week(str(request.getfixturevalue("pg_url")))


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
    from typer.testing import CliRunner

    from api.cli import app

    week = Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    _shift(week, "Veera", start, 90)
    today = start.astimezone(HELSINKI).date()
    monday = (today - timedelta(days=today.weekday())).isoformat()
    runner = CliRunner()

    def tandem(*args: str) -> Any:
        return runner.invoke(app, ["week", "timesheet", *args, "--coop", week.world.coop_id, "--database", week.url])

    text = tandem("--week", monday)
    assert text.exit_code == 0, text.output
    file = tmp_path / "sheet.xlsx"
    done = tandem("--week", monday, "--format", "xlsx", "--out", str(file))
    assert done.exit_code == 0, done.output
    _same(text.output, _xlsx_rows(file.read_bytes()))
    assert tandem("--week", monday, "--format", "ods", "--out", str(file)).exit_code == 2
    assert tandem("--week", monday, "--format", "xlsx").exit_code == 2
