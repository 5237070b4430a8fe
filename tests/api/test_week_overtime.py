"""Overtime decided by dispatch over real HTTP, on SQLite and PostgreSQL (issue 23 item 5): a
dispatcher decides, the latest decision stands and 0 withdraws it; the courier sees their own
overtime in their own time sheet (never the dispatcher's note) and cannot decide it; bad bodies
get a 422 with a code; the CSV and the spreadsheet carry the column; the CLI decides and lists."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dispatch.events import EventType
from dispatch.store import Store
from dispatch.store.access import cli_actor
from tests.api.test_openapi_answers import Published
from tests.api.test_timesheet_formats import _cli, _same, _shift, _xlsx_rows
from tests.api.test_week import HELSINKI, Week, _app


@pytest.fixture(params=["sqlite", "postgresql"])
def week(request: pytest.FixtureRequest, tmp_path: Path) -> Week:
    if request.param == "sqlite":
        return Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    return Week(str(request.getfixturevalue("pg_url")))


def _worked_day(week: Week) -> tuple[str, str]:
    """Aino worked 09:00-11:00 yesterday in the cooperative's zone: their local day and its
    week's Monday. Fixed local times on a day already past, so the test holds at any hour it
    runs (a stretch started "three hours ago" began yesterday between midnight and 03:00)."""
    day = datetime.now(HELSINKI).date() - timedelta(days=1)
    _shift(week, "Aino", datetime(day.year, day.month, day.day, 9, 0, tzinfo=HELSINKI), 120)
    return day.isoformat(), (day - timedelta(days=day.weekday())).isoformat()


def _to_come() -> str:
    """A local day still to come however long the test runs: the day after tomorrow (tomorrow
    would be today if the test crossed midnight)."""
    return (datetime.now(HELSINKI).date() + timedelta(days=2)).isoformat()


def _frames_until(ws: Any, seq: int) -> list[dict[str, Any]]:
    """What a courier's socket sends from the log's start up to the event ``seq``."""
    frames: list[dict[str, Any]] = []
    while not frames or frames[-1].get("seq", 0) < seq:
        frames.append(ws.receive_json())
    return frames


def test_a_dispatcher_decides_overtime_and_the_courier_sees_their_own(week: Week) -> None:
    day, monday = _worked_day(week)
    aino = week.id("Aino")
    with _app(week.url) as client:
        desk, rider, veera = week.desk(client), week.courier(client, "Aino"), week.courier(client, "Veera")
        decision = {"courier_id": aino, "day": day, "minutes": 30, "note": "the late bakery run"}
        assert client.post("/v1/week/overtime", json=decision, headers=rider).status_code == 403  # never a courier's
        assert client.get("/v1/week/overtime", headers=rider).status_code == 403
        r = client.post("/v1/week/overtime", json=decision, headers=desk)
        assert r.status_code == 200, r.text
        made = r.json()
        assert (made["name"], made["minutes"], made["day"]) == ("Aino", 30, day) and made["by"].startswith(
            "dispatcher "
        )
        # a colleague's overtime, noted, decided before Aino's standing one
        theirs = {"courier_id": week.id("Veera"), "day": day, "minutes": 50, "note": "Veera's dentist"}
        assert client.post("/v1/week/overtime", json=theirs, headers=desk).status_code == 200
        standing = {**decision, "minutes": 45, "note": "stayed for the last drop"}
        later = client.post("/v1/week/overtime", json=standing, headers=desk)
        assert later.status_code == 200 and later.json()["seq"] > made["seq"]
        listed = client.get("/v1/week/overtime", params={"week": monday}, headers=desk).json()
        assert {(d["courier_id"], d["day"], d["minutes"], d["note"]) for d in listed["decisions"]} == {
            (aino, day, 45, "stayed for the last drop"),
            (week.id("Veera"), day, 50, "Veera's dentist"),
        }
        notes = ("last drop", "bakery", "dentist")
        own = client.get("/v1/week/timesheet", params={"week": monday}, headers=rider)
        assert own.status_code == 200 and not any(n in own.text for n in notes), own.text
        assert {d["courier_id"] for d in own.json()["days"]} == {aino}
        mine = next(d for d in own.json()["days"] if d["day"] == day)
        assert (mine["worked_minutes"], mine["overtime_minutes"], mine["beyond_plan_minutes"]) == (120.0, 45.0, 120.0)
        assert own.json()["totals"][0]["overtime_minutes"] == 45.0
        assert own.json()["today"] > day  # the cooperative's today, which a page cannot tell from its clock
        own_csv = client.get("/v1/week/timesheet.csv", params={"week": monday}, headers=rider).text
        assert not any(n in own_csv for n in notes) and week.id("Veera") not in own_csv, own_csv
        # their socket and their data export: their own decisions' courier, day and minutes, no note,
        # no colleague's decision
        token = rider["Authorization"].split()[1]
        with client.websocket_connect("/v1/courier/ws") as ws:
            ws.send_json({"type": "hello", "token": token, "last_seq": 0})
            assert ws.receive_json()["type"] == "welcome"
            frames = _frames_until(ws, later.json()["seq"])
        heard = [f["data"] for f in frames if f["data"]["type"] == "OvertimeDecided"]
        assert [h["payload"] for h in heard] == [
            {"courier_id": aino, "day": day, "minutes": 30},
            {"courier_id": aino, "day": day, "minutes": 45},
        ], frames
        exported = client.get("/v1/courier/me/export", headers=rider)
        assert exported.status_code == 200 and not any(n in exported.text for n in notes)
        kept = [e["payload"] for e in exported.json()["events"] if e["type"] == "OvertimeDecided"]
        assert kept == [h["payload"] for h in heard], kept
        colleague = client.get("/v1/week/timesheet", params={"week": monday}, headers=veera)
        assert [(d["courier_id"], d["overtime_minutes"]) for d in colleague.json()["days"]] == [
            (week.id("Veera"), 50.0)
        ]
        assert "dentist" not in colleague.text
        text = client.get("/v1/week/timesheet.csv", params={"week": monday}, headers=desk).text
        rows = list(csv.DictReader(io.StringIO(text)))
        assert {(r["day"], r["overtime_minutes"]) for r in rows if r["courier_id"] == aino} == {
            (day, "45.0"),
            ("total", "45.0"),
        }
        sheet = client.get("/v1/week/timesheet.xlsx", params={"week": monday}, headers=rider)
        _same(own_csv, _xlsx_rows(sheet.content))
        gone = client.post("/v1/week/overtime", json={**decision, "minutes": 0}, headers=desk)
        assert gone.status_code == 200 and gone.json()["minutes"] == 0
        still = client.get("/v1/week/overtime", params={"week": monday}, headers=desk).json()["decisions"]
        assert [d["courier_id"] for d in still] == [week.id("Veera")]
        after = client.get("/v1/week/timesheet", params={"week": monday}, headers=desk).json()
        assert [d["overtime_minutes"] for d in after["days"] if d["courier_id"] == aino] == [0.0]


def test_bad_overtime_bodies_get_a_422_with_a_code_and_write_nothing(week: Week) -> None:
    day, monday = _worked_day(week)
    aino = week.id("Aino")
    tomorrow = _to_come()
    good = {"courier_id": aino, "day": day, "minutes": 30}
    with _app(week.url) as client:
        desk = week.desk(client)
        bad = [
            {"courier_id": aino, "day": day},
            {**good, "minutes": 2000},
            {**good, "minutes": -5},
            {**good, "minutes": "30"},
            {**good, "day": "2026-02-30"},
            {**good, "day": "tomorrow"},
            {**good, "day": tomorrow},
            {**good, "minutes": 0},  # nothing stands to withdraw
            {**good, "note": "x" * 301},
            {**good, "colour": "red"},
        ]
        for body in bad:
            r = client.post("/v1/week/overtime", json=body, headers=desk)
            assert r.status_code == 422, (body, r.text)
            assert r.json()["error"]["code"] == "invalid_input", r.text
        r = client.post("/v1/week/overtime", json={**good, "day": tomorrow}, headers=desk)
        assert r.json()["error"]["field"] == "day" and "has not begun yet" in r.json()["error"]["message"], r.text
        fr = client.post("/v1/week/overtime", json={**good, "day": tomorrow}, headers={**desk, "Accept-Language": "fr"})
        assert "n'a pas encore commencé" in fr.json()["error"]["message"], fr.text
        unknown = client.post("/v1/week/overtime", json={**good, "courier_id": "nobody"}, headers=desk)
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
        assert client.get("/v1/week/overtime", params={"week": monday}, headers=desk).json()["decisions"] == []


def test_the_overtime_answers_are_what_the_schema_says(tmp_path: Path) -> None:
    week = Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    day, monday = _worked_day(week)
    with _app(week.url) as client:
        desk, published = week.desk(client), Published(client)
        body = {"courier_id": week.id("Aino"), "day": day, "minutes": 20, "note": "stayed for the last drop"}
        published.check(client.post("/v1/week/overtime", json=body, headers=desk), "POST", "/v1/week/overtime")
        published.check(
            client.get("/v1/week/overtime", params={"week": monday}, headers=desk), "GET", "/v1/week/overtime"
        )
        published.check(client.get("/v1/week/timesheet", headers=desk), "GET", "/v1/week/timesheet")
        assert not published.differences, published.differences
        spec = client.get("/openapi.json").json()["paths"]["/v1/week/overtime"]
        assert {"403", "404", "422"} <= set(spec["post"]["responses"])


def test_the_cli_decides_lists_and_refuses_bad_input(tmp_path: Path) -> None:
    week = Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    day, monday = _worked_day(week)
    aino, tandem = week.id("Aino"), _cli(week)
    done = tandem("overtime", "--courier", aino, "--day", day, "--minutes", "25", "--note", "late run")
    assert done.exit_code == 0 and f"Aino on {day}: 25 min of overtime" in done.output, done.output
    listed = tandem("overtime", "--week", monday, "--json")
    assert listed.exit_code == 0, listed.output
    decisions = json.loads(listed.output)["decisions"]
    # the operator who acted, as `tandem admin deactivate-courier` names them (outside attacker's finding 3)
    by = cli_actor()
    assert [(d["name"], d["minutes"], d["note"], d["by"]) for d in decisions] == [
        ("Aino", 25, "late run", f"admin {by.id}")
    ]
    store = Store.open(week.url)
    try:
        made = [e for e in store.events(week.world.coop_id) if e.type is EventType.OVERTIME_DECIDED]
    finally:
        store.close()
    assert [e.actor for e in made] == [by]
    long_note = tandem("overtime", "--courier", aino, "--day", day, "--minutes", "5", "--note", "x" * 301)
    assert long_note.exit_code == 2 and "note: must be at most 300 characters" in long_note.output, long_note.output
    sheet = tandem("timesheet", "--week", monday)
    assert [r["overtime_minutes"] for r in csv.DictReader(io.StringIO(sheet.output)) if r["day"] == "total"] == ["25.0"]
    half = tandem("overtime", "--courier", aino, "--day", day)
    assert half.exit_code == 2 and "--courier, --day and --minutes together" in half.output
    future = _to_come()
    refused = tandem("overtime", "--courier", aino, "--day", future, "--minutes", "10")
    assert refused.exit_code == 2 and "has not begun yet" in refused.output, refused.output
    too_long = tandem("overtime", "--courier", aino, "--day", day, "--minutes", "1600")
    assert too_long.exit_code == 2 and "whole minutes from 0 to" in too_long.output, too_long.output
    assert tandem("overtime", "--courier", aino, "--day", day, "--minutes", "ten").exit_code == 2
    withdrawn = tandem("overtime", "--courier", aino, "--day", day, "--minutes", "0")
    assert withdrawn.exit_code == 0 and "overtime withdrawn" in withdrawn.output
    assert "none" in tandem("overtime", "--week", monday).output
