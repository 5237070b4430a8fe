"""A courier's name that a spreadsheet would run as a formula (outside attacker's finding 4): in
the CSV it is text with a leading apostrophe, also after a leading tab or space (a spreadsheet
trims those and runs ``\\t=HYPERLINK(...)`` all the same); in the spreadsheet (xlsx) it is a
text cell holding the name as typed, never a formula, never with an apostrophe added."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from dispatch import commands
from dispatch.model import Vehicle
from dispatch.store import Store
from dispatch.timesheets import guarded_cell
from tests.api.test_week import HELSINKI, Week, _app

#: Names a spreadsheet would run (a name may hold a tab or a line break, not a CR), and one it would not.
FORMULAS = ("\t=1+1", " =2+2", "=cmd", "-2+3", "@SUM(1)", "+1", "\n=3", "\t\t@x")
PLAIN = "Aino Lahti"


def _riders(week: Week) -> tuple[dict[str, str], str]:
    """A courier of each name, each having worked an hour yesterday; the week's Monday."""
    day = datetime.now(HELSINKI).date() - timedelta(days=1)
    start = datetime(day.year, day.month, day.day, 9, 0, tzinfo=HELSINKI)
    store = Store.open(week.url)
    ids: dict[str, str] = {}
    try:
        for name in (*FORMULAS, PLAIN):
            cid = store.add_courier(week.world.coop_id, name, Vehicle.of_kind("bike")).id
            commands.start_shift(store, week.world.coop_id, cid, at=start)
            commands.end_shift(store, week.world.coop_id, cid, at=start + timedelta(hours=1))
            ids[cid] = name
    finally:
        store.close()
    return ids, (day - timedelta(days=day.weekday())).isoformat()


@pytest.mark.parametrize("name", [*FORMULAS, "\r=3", "\r", "\tLou"])
def test_a_formula_is_guarded_wherever_it_starts(name: str) -> None:
    assert guarded_cell(name) == "'" + name


@pytest.mark.parametrize("name", ["Aino", "O'Brien", "Jean-Luc", "a=b", "", " Lou", "Lou +1"])
def test_a_name_is_left_as_typed(name: str) -> None:
    assert guarded_cell(name) == name


def test_the_csv_guards_formulas_and_the_spreadsheet_keeps_them_as_typed_text(tmp_path: Path) -> None:
    week = Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    ids, monday = _riders(week)
    with _app(week.url) as client:
        desk = week.desk(client)
        text = client.get("/v1/week/timesheet.csv", params={"week": monday}, headers=desk)
        book = client.get("/v1/week/timesheet.xlsx", params={"week": monday}, headers=desk)
    assert text.status_code == 200 and book.status_code == 200
    rows = [r for r in csv.reader(io.StringIO(text.text)) if r and r[0] in ids]
    assert {r[0] for r in rows} == set(ids)
    for cid, name, *_ in rows:
        expected = name if ids[cid] == PLAIN else "'" + ids[cid]
        assert name == expected, (ids[cid], name)
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    cells = [(row[0].value, row[1]) for row in sheet.iter_rows(min_row=2) if row[0].value in ids]
    assert {cid for cid, _ in cells} == set(ids)
    for cid, cell in cells:
        assert cell.value == ids[cid] and cell.data_type == "s", (ids[cid], cell.value, cell.data_type)
