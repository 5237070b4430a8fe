"""The week over real HTTP through the app (issue 23): a courier declares their own availability
and nobody else's, bad windows get a 422 that says why, another cooperative sees nothing, a
dispatcher's proposal, edit and publication are events that survive a restart, a swap waits for a
dispatcher, and the time sheet is the shifts' minutes as CSV. The restart and a stale edit run on
SQLite and on PostgreSQL, the rest on SQLite (the store's week is tested on both databases)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.app import create_app
from api.settings import Settings
from dispatch import commands
from dispatch.model import JobRequest, Parcel, Place, TimeWindow
from dispatch.store import Store
from dispatch.store.schema import CooperativeRow
from tests.api.harness import World, make_world

HELSINKI = ZoneInfo("Europe/Helsinki")
FAST = {"rota": {"time_limit_s": 1, "first_h": 8, "last_h": 20}}


def _weekdays(start: str, end: str, days: range = range(7)) -> dict[str, Any]:
    return {"weekly": [{"weekday": d, "start": start, "end": end} for d in days]}


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tandem.db'}"
    return str(request.getfixturevalue("pg_url"))


#: For what the database does not change (who may see and do what, words, figures): the store's
#: week is proven on both databases by tests/dispatch/test_week.py, and here the restart and the
#: stale edit run on both.
SQLITE_ONLY = pytest.mark.parametrize("url", ["sqlite"], indirect=True)


def _app(url: str) -> TestClient:
    return TestClient(create_app(Settings(database_url=url, redis_url=None, auto_plan=False)))


def _login(client: TestClient, coop_id: str, user: str, password: str) -> dict[str, str]:
    r = client.post("/v1/auth/login", json={"cooperative_id": coop_id, "login": user, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


class Week:
    """A cooperative (Aino, Veera, Lou) on a database, with Monday lunch demand last week."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.world: World = make_world(url, riders=(("Lou", "bike"),))
        store = Store.open(url)
        try:
            with store.engine.begin() as conn:
                conn.execute(
                    update(CooperativeRow).where(CooperativeRow.id == self.world.coop_id).values(settings=FAST)
                )
            client_id = store.add_client(self.world.coop_id, "Bakery")[0].id
            today = datetime.now(HELSINKI).date()
            monday = today - timedelta(days=today.weekday() + 7)
            at = datetime(monday.year, monday.month, monday.day, 12, 5, tzinfo=HELSINKI)
            window = TimeWindow(at, at + timedelta(hours=2))
            request = JobRequest(Place(24.9414, 60.1710), Place(24.9525, 60.1675), window, window, (Parcel(4, 10, 30),))
            for i in range(6):
                commands.request_job(store, self.world.coop_id, client_id, request, at=at + timedelta(minutes=i))
        finally:
            store.close()
        self.next_monday = (today - timedelta(days=today.weekday()) + timedelta(weeks=1)).isoformat()

    def id(self, name: str) -> str:
        return self.world.couriers[name][0]

    def courier(self, client: TestClient, name: str) -> dict[str, str]:
        _, user, password = self.world.couriers[name]
        return _login(client, self.world.coop_id, user, password)

    def desk(self, client: TestClient) -> dict[str, str]:
        return _login(client, self.world.coop_id, self.world.dispatcher_login, self.world.dispatcher_password)


@pytest.fixture
def week(url: str) -> Iterator[Week]:
    yield Week(url)


def _events(client: TestClient, desk: dict[str, str]) -> list[str]:
    r = client.get("/v1/events", headers=desk)
    assert r.status_code == 200, r.text
    return [e["type"] for e in r.json()["events"]]


@SQLITE_ONLY
def test_a_courier_declares_their_own_availability_and_nobody_else_s(week: Week) -> None:
    with _app(week.url) as client:
        aino, desk = week.courier(client, "Aino"), week.desk(client)
        mine = f"/v1/couriers/{week.id('Aino')}/availability"
        theirs = f"/v1/couriers/{week.id('Veera')}/availability"
        r = client.put(mine, json=_weekdays("10:00", "16:00"), headers=aino)
        assert r.status_code == 200, r.text
        assert len(r.json()["weekly"]) == 7 and r.json()["contract"] == {"min_h": 0, "max_h": 40}
        assert client.put(theirs, json=_weekdays("10:00", "16:00"), headers=aino).status_code == 404
        assert client.get(theirs, headers=aino).status_code == 404
        contract = {"contract": {"min_h": 10, "max_h": 20}}
        r = client.put(mine, json={**_weekdays("10:00", "16:00"), **contract}, headers=aino)
        assert r.status_code == 403 and r.json()["error"]["field"] == "contract"
        r = client.put(theirs, json={**_weekdays("09:00", "15:00", range(5)), **contract}, headers=desk)
        assert r.status_code == 200 and r.json()["contract"] == {"min_h": 10, "max_h": 20}
        assert client.get(theirs, headers=desk).json()["weekly"][0] == {"weekday": 0, "start": "09:00", "end": "15:00"}
        assert _events(client, desk).count("AvailabilityDeclared") == 2


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"weekly": [{"weekday": 1, "start": "14:00", "end": "09:00"}]}, "weekly[0]", "ends after it starts"),
        (
            {
                "weekly": [
                    {"weekday": 2, "start": "08:00", "end": "12:00"},
                    {"weekday": 2, "start": "11:30", "end": "13:00"},
                ]
            },
            "weekly[1]",
            "overlaps",
        ),
        ({"weekly": [{"weekday": 2, "start": "8h", "end": "12:00"}]}, "weekly.0.start", "is written HH:MM"),
        ({"holidays": [{"first_day": "2026-12-26", "last_day": "2026-12-24"}]}, "holidays[0]", "before"),
    ],
)
def test_bad_windows_get_a_422_with_the_reason_and_change_nothing(
    tmp_path: Path, body: dict[str, Any], field: str, words: str
) -> None:
    week = Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    with _app(week.url) as client:
        desk = week.desk(client)
        before = _events(client, desk)
        r = client.put(f"/v1/couriers/{week.id('Aino')}/availability", json=body, headers=week.courier(client, "Aino"))
        assert r.status_code == 422, r.text
        assert r.json()["error"]["field"] == field and words in r.json()["error"]["message"], r.text
        assert _events(client, desk) == before


@SQLITE_ONLY
def test_another_cooperative_sees_nothing_of_the_week(week: Week) -> None:
    other = make_world(week.url, name="Toinen")
    with _app(week.url) as client:
        aino = week.courier(client, "Aino")
        assert (
            client.put(
                f"/v1/couriers/{week.id('Aino')}/availability", json=_weekdays("10:00", "16:00"), headers=aino
            ).status_code
            == 200
        )
        their_desk = _login(client, other.coop_id, other.dispatcher_login, other.dispatcher_password)
        path = f"/v1/couriers/{week.id('Aino')}/availability"
        assert client.get(path, headers=their_desk).status_code == 404
        assert client.put(path, json={}, headers=their_desk).status_code == 404
        seen = client.get("/v1/week", params={"week": week.next_monday}, headers=their_desk).json()
        assert week.id("Aino") not in str(seen) and all(not h["available"] for h in seen["hours"])
        r = client.get("/v1/week/timesheet", params={"courier_id": week.id("Aino")}, headers=their_desk)
        assert r.status_code == 404
        proposal = client.post("/v1/week/proposal", json={"week": week.next_monday}, headers=their_desk)
        assert proposal.status_code == 201 and proposal.json()["shifts"] == []


def _prepare(client: TestClient, week: Week, desk: dict[str, str]) -> None:
    for name, days in (("Aino", range(7)), ("Veera", range(5)), ("Lou", range(1))):
        body = _weekdays("10:00", "16:00", days)
        r = client.put(f"/v1/couriers/{week.id(name)}/availability", json=body, headers=desk)
        assert r.status_code == 200, r.text


def test_a_dispatcher_proposes_removes_a_shift_publishes_and_it_survives_a_restart(week: Week) -> None:
    with _app(week.url) as client:
        desk = week.desk(client)
        _prepare(client, week, desk)
        assert client.post("/v1/week/proposal", json={"week": "2026-12-09"}, headers=desk).status_code == 422
        r = client.post("/v1/week/proposal", json={"week": week.next_monday}, headers=desk)
        assert r.status_code == 201, r.text
        proposal = r.json()
        seen = client.get("/v1/week", params={"week": week.next_monday}, headers=desk).json()
        noon = next(h for h in seen["hours"] if h["day"] == week.next_monday and h["hour"] == 12)
        assert 1 <= noon["expected"] <= 2 and noon["why"]["text"].startswith("6 jobs to pick up on Mondays 12:00-13:00")
        assert proposal["state"] == "draft" and len(proposal["shifts"]) == noon["expected"]  # nobody for nothing
        assert all(
            s["why"][0]["code"] == "rota_peak" and "h contracted" in s["why"][-1]["text"] for s in proposal["shifts"]
        )
        assert all(s["start_h"] <= 12 < s["end_h"] and s["day"] == week.next_monday for s in proposal["shifts"])
        gone = proposal["shifts"][0]
        r = client.post(
            "/v1/week/edits", json={"week": week.next_monday, "action": "remove", "shift_id": gone["id"]}, headers=desk
        )
        assert r.status_code == 200 and gone["id"] not in {s["id"] for s in r.json()["shifts"]}
        bad = {
            "week": week.next_monday,
            "action": "add",
            "courier_id": week.id("Lou"),
            "day": week.next_monday,
            "start_h": 16,
            "end_h": 20,
        }
        r = client.post("/v1/week/edits", json=bad, headers=desk)
        assert r.status_code == 422 and "declared no availability" in r.json()["error"]["message"]
        r = client.post("/v1/week/publish", json={"week": week.next_monday}, headers=desk)
        assert r.status_code == 200 and r.json()["state"] == "published" and r.json()["version"] == 1
        kept = r.json()["shifts"]
        assert client.post("/v1/week/publish", json={"week": week.next_monday}, headers=desk).status_code == 422
    with _app(week.url) as client:  # a new app on the same database: the week is read back from the log
        desk = week.desk(client)
        seen = client.get("/v1/week", params={"week": week.next_monday}, headers=desk).json()
        assert seen["published"]["shifts"] == kept and seen["published"]["version"] == 1 and seen["draft"] is None
        assert "RotaPublished" in _events(client, desk)
        noon = next(h for h in seen["hours"] if h["day"] == week.next_monday and h["hour"] == 12)
        assert len(noon["available"]) == 3 and noon["gap"] == 0 and len(noon["rostered"]) == len(kept)
        who = kept[0]["courier_id"]
        name = next(n for n in ("Aino", "Veera", "Lou") if week.id(n) == who)
        mine = client.get("/v1/week/mine", params={"week": week.next_monday}, headers=week.courier(client, name)).json()
        assert [s["id"] for s in mine["shifts"]] == [kept[0]["id"]]


@SQLITE_ONLY
def test_the_rota_s_reasons_come_in_french_when_asked_with_their_codes(week: Week) -> None:
    """Issue 17 item 1: the rota's explanations are codes with parameters (routing/rota.py,
    dispatch/week.py); ``Accept-Language: fr`` says them in French, with names, never ids."""
    with _app(week.url) as client:
        desk = week.desk(client)
        _prepare(client, week, desk)
        fr = {**desk, "Accept-Language": "fr"}
        r = client.post("/v1/week/proposal", json={"week": week.next_monday}, headers=fr)
        assert r.status_code == 201, r.text
        first = r.json()["shifts"][0]
        name = next(n for n in ("Aino", "Veera", "Lou") if week.id(n) == first["courier_id"])
        assert [w["code"] for w in first["why"]] == ["rota_peak", "rota_hours_left"], first["why"]
        peak, hours = first["why"]
        assert peak["text"].startswith("jusqu'à ") and "attendu·es à 12 h" in peak["text"], peak
        assert hours["params"]["courier"] == week.id(name), hours
        assert hours["text"].startswith(f"{name} travaille ") and "contrat de 0 à 40 h, reste" in hours["text"], hours
        seen = client.get("/v1/week", params={"week": week.next_monday}, headers=fr).json()
        assert seen["draft"]["shifts"][0]["why"] == first["why"]
        quiet = next(h for h in seen["hours"] if h["day"] == week.next_monday and h["hour"] == 19)
        assert quiet["why"]["code"] == "no_jobs_seen" and quiet["why"]["text"].startswith("aucune course demandée")
        noon = next(h for h in seen["hours"] if h["day"] == week.next_monday and h["hour"] == 12)
        assert noon["why"]["code"] == "forecast_hour" and noon["why"]["params"]["weekday"] == "monday", noon
        said = noon["why"]["text"]
        assert said.startswith("6 courses à enlever le lundi de 12 h à 13 h sur les "), said  # 1 or 2 weeks: the date
        assert "(aucune livraison dans le journal encore : 2,0 courses par heure supposées)" in said, said
        assert seen["forecast"]["code"] == "forecast_note", seen["forecast"]
        note = seen["forecast"]["text"]
        assert note.startswith("moyenne des ") and note.endswith(
            " dernière(s) semaine(s) ; rythme : aucune livraison dans le journal encore : "
            "2,0 courses par heure supposées"
        ), note
        move = {"week": week.next_monday, "action": "move", "shift_id": first["id"], "start_h": 10, "end_h": 14}
        r = client.post("/v1/week/edits", json=move, headers=fr)
        moved = next(s for s in r.json()["shifts"] if s["id"] == first["id"])["why"]
        assert moved[0]["code"] == "rota_moved" and moved[0]["text"].startswith(
            f"déplacé par le dispatch (avant : {name}"
        )
        r = client.post("/v1/week/publish", json={"week": week.next_monday}, headers=fr)
        assert r.status_code == 200 and "reste" in str(r.json()["shifts"]), r.text
        english = client.get("/v1/week", params={"week": week.next_monday}, headers=desk).json()
        moved = next(s for s in english["published"]["shifts"] if s["id"] == first["id"])["why"]
        assert moved[0]["text"].startswith(f"moved by a dispatcher (was {name} {week.next_monday} ")
        absent = {"week": week.next_monday, "shift_id": first["id"], "reason": "sick"}
        r = client.post("/v1/week/absences", json=absent, headers=fr)
        assert r.status_code == 201, r.text
        for cover in r.json()["covers"]:
            assert cover["why"]["code"] == "cover_counts" and cover["why"]["text"].startswith(
                "a remplacé 0 fois ces 28 "
            )


@SQLITE_ONLY
def test_a_swap_waits_for_a_dispatcher_s_confirmation(week: Week) -> None:
    with _app(week.url) as client:
        desk = week.desk(client)
        _prepare(client, week, desk)
        shifts = client.post("/v1/week/proposal", json={"week": week.next_monday}, headers=desk).json()["shifts"]
        by = {s["courier_id"]: s for s in shifts}
        giver = next(n for n in ("Aino", "Veera", "Lou") if week.id(n) in by)
        taker = next(n for n in ("Aino", "Veera", "Lou") if week.id(n) not in by)
        client.post("/v1/week/publish", json={"week": week.next_monday}, headers=desk)
        headers = week.courier(client, giver)
        ask = {
            "week": week.next_monday,
            "shift_id": by[week.id(giver)]["id"],
            "with_courier_id": week.id(taker),
            "note": "a dentist",
        }
        r = client.post("/v1/week/swaps", json=ask, headers=headers)
        assert r.status_code == 201 and r.json()["state"] == "pending", r.text
        swap_id = r.json()["id"]
        assert (
            client.post(
                "/v1/week/swaps/decision", json={"swap_id": swap_id, "confirm": True}, headers=headers
            ).status_code
            == 403
        )
        mine = client.get("/v1/week/mine", params={"week": week.next_monday}, headers=headers).json()
        assert len(mine["shifts"]) == 1 and mine["swaps"][0]["state"] == "pending"  # nothing moved yet
        r = client.post("/v1/week/swaps/decision", json={"swap_id": swap_id, "confirm": True}, headers=desk)
        assert r.status_code == 200 and r.json()["state"] == "confirmed", r.text
        theirs = client.get(
            "/v1/week/mine", params={"week": week.next_monday}, headers=week.courier(client, taker)
        ).json()
        assert [s["id"] for s in theirs["shifts"]] == [ask["shift_id"]]
        assert client.get("/v1/week/mine", params={"week": week.next_monday}, headers=headers).json()["shifts"] == []


@SQLITE_ONLY
def test_the_time_sheet_counts_the_shift_acts_and_exports_csv(week: Week) -> None:
    store = Store.open(week.url)
    try:
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
        commands.start_shift(store, week.world.coop_id, week.id("Aino"), at=start)
        commands.pause_shift(store, week.world.coop_id, week.id("Aino"), at=start + timedelta(minutes=60))
        commands.resume_shift(store, week.world.coop_id, week.id("Aino"), at=start + timedelta(minutes=75))
        commands.end_shift(store, week.world.coop_id, week.id("Aino"), at=start + timedelta(minutes=135))
    finally:
        store.close()
    this_week = start.astimezone(HELSINKI).date()
    monday = (this_week - timedelta(days=this_week.weekday())).isoformat()
    with _app(week.url) as client:
        desk, veera = week.desk(client), week.courier(client, "Veera")
        sheet = client.get("/v1/week/timesheet", params={"week": monday}, headers=desk).json()
        totals = {t["courier_id"]: t for t in sheet["totals"]}
        assert totals[week.id("Aino")]["worked_minutes"] == 120.0 and totals[week.id("Aino")]["break_minutes"] == 15.0
        assert sum(d["worked_minutes"] for d in sheet["days"]) == 120.0
        r = client.get("/v1/week/timesheet.csv", params={"week": monday}, headers=desk)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert {(row["courier"], row["day"], row["worked_minutes"]) for row in rows if row["day"] == "total"} == {
            ("Aino", "total", "120.0")
        }
        assert (
            client.get("/v1/week/timesheet", params={"courier_id": week.id("Aino")}, headers=veera).status_code == 404
        )
        own = client.get("/v1/week/timesheet", params={"week": monday}, headers=veera).json()
        assert own["days"] == [] and own["totals"] == []


@SQLITE_ONLY
def test_who_is_available_at_a_time_and_until_when(week: Week) -> None:
    with _app(week.url) as client:
        desk = week.desk(client)
        _prepare(client, week, desk)
        monday = date.fromisoformat(week.next_monday)
        at = datetime(monday.year, monday.month, monday.day, 11, 30, tzinfo=HELSINKI)
        r = client.get("/v1/week/who", params={"at": at.isoformat()}, headers=desk)
        assert r.status_code == 200, r.text
        seen = {c["name"]: c for c in r.json()["couriers"]}
        assert set(seen) == {"Aino", "Veera", "Lou"}
        assert seen["Lou"]["minutes_left"] == 270 and seen["Lou"]["available_until"].startswith(
            f"{week.next_monday}T16:00"
        )
        sunday = at + timedelta(days=6)
        later = client.get("/v1/week/who", params={"at": sunday.isoformat()}, headers=desk).json()
        assert {c["name"] for c in later["couriers"] if c["available"]} == {"Aino"}
        # without an offset, the time is on the cooperative's clock (the week page's grid), so
        # 11:30 in Helsinki whatever zone the server or the dispatcher's browser is in
        naive = client.get("/v1/week/who", params={"at": at.replace(tzinfo=None).isoformat()}, headers=desk)
        assert naive.status_code == 200 and naive.json() == r.json(), naive.text


def test_the_admin_cli_enters_availability_proposes_publishes_and_exports_the_time_sheet(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    week = Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    runner = CliRunner()
    coop, lou = week.world.coop_id, week.id("Lou")

    def tandem(*args: str) -> Any:
        return runner.invoke(app, ["week", *args, "--coop", coop, "--database", week.url])

    file = tmp_path / "lou.json"
    file.write_text('{"weekly": [{"weekday": 0, "start": "10:00", "end": "16:00"}]}', encoding="utf-8")
    done = tandem("availability", "--courier", lou, "--file", str(file), "--min-h", "0", "--max-h", "12", "--json")
    assert done.exit_code == 0, done.output
    assert '"max_h": 12' in done.output
    file.write_text('{"weekly": [{"weekday": 0, "start": "16:00", "end": "10:00"}]}', encoding="utf-8")
    refused = tandem("availability", "--courier", lou, "--file", str(file))
    assert refused.exit_code == 2 and "ends after it starts" in refused.output
    proposed = tandem("propose", "--week", week.next_monday, "--json")
    assert proposed.exit_code == 0, proposed.output
    shifts = json.loads(proposed.output)["shifts"]
    assert [s["courier_id"] for s in shifts] == [lou] and shifts[0]["why"][0]["code"] == "rota_peak"  # the only one
    assert tandem("publish", "--week", week.next_monday).exit_code == 0
    sheet = tandem("timesheet", "--week", week.next_monday)
    assert sheet.exit_code == 0 and sheet.output.startswith("courier_id,courier,day,worked_minutes")
    totals = [r for r in csv.DictReader(io.StringIO(sheet.output)) if r["day"] == "total"]
    planned = 60.0 * (shifts[0]["end_h"] - shifts[0]["start_h"])
    assert [(r["courier"], r["worked_minutes"], float(r["planned_minutes"])) for r in totals] == [
        ("Lou", "0.0", planned)
    ]


def test_an_edit_on_a_stale_rota_is_a_409_naming_who_changed_it(week: Week) -> None:
    with _app(week.url) as client:
        desk = week.desk(client)
        _prepare(client, week, desk)
        client.post("/v1/week/proposal", json={"week": week.next_monday}, headers=desk)
        seen = client.get("/v1/week", params={"week": week.next_monday}, headers=desk).json()
        first, *_ = seen["draft"]["shifts"]
        edit = {"week": week.next_monday, "action": "remove", "expected_seq": seen["rota_seq"]}
        assert client.post("/v1/week/edits", json={**edit, "shift_id": first["id"]}, headers=desk).status_code == 200
        add = {
            **edit,
            "action": "add",
            "courier_id": first["courier_id"],
            "day": first["day"],
            "start_h": 10,
            "end_h": 14,
        }
        stale = client.post("/v1/week/edits", json=add, headers=desk)  # a colleague's view, before the removal
        assert stale.status_code == 409, stale.text
        assert stale.json()["error"]["last_act"] == "RotaEdited" and "changed since you looked" in stale.text
        stale = client.post(
            "/v1/week/publish", json={"week": week.next_monday, "expected_seq": seen["rota_seq"]}, headers=desk
        )
        assert stale.status_code == 409
        now = client.get("/v1/week", params={"week": week.next_monday}, headers=desk).json()
        fresh = client.post(
            "/v1/week/publish", json={"week": week.next_monday, "expected_seq": now["rota_seq"]}, headers=desk
        )
        assert fresh.status_code == 200 and fresh.json()["seq"] > now["rota_seq"]


def test_the_week_s_answers_are_what_the_schema_says_field_by_field(tmp_path: Path) -> None:
    from tests.api.test_openapi_answers import Published

    week = Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    with _app(week.url) as client:
        desk, published = week.desk(client), Published(client)
        monday = {"week": week.next_monday}
        _prepare(client, week, desk)
        path = "/v1/couriers/{courier_id}/availability"
        body = {**_weekdays("10:00", "16:00", range(5)), "contract": {"min_h": 0, "max_h": 30}}
        published.check(client.put(path.format(courier_id=week.id("Lou")), json=body, headers=desk), "PUT", path)
        published.check(client.get(path.format(courier_id=week.id("Lou")), headers=desk), "GET", path)
        published.check(client.get("/v1/week/who", headers=desk), "GET", "/v1/week/who")
        shifts = published.check(
            client.post("/v1/week/proposal", json=monday, headers=desk), "POST", "/v1/week/proposal"
        )["shifts"]
        removal = {**monday, "action": "remove", "shift_id": shifts[-1]["id"]}
        published.check(client.post("/v1/week/edits", json=removal, headers=desk), "POST", "/v1/week/edits")
        published.check(client.get("/v1/week", params=monday, headers=desk), "GET", "/v1/week")
        published.check(client.post("/v1/week/publish", json=monday, headers=desk), "POST", "/v1/week/publish")
        published.check(client.get("/v1/week", params=monday, headers=desk), "GET", "/v1/week")
        giver = next(n for n in ("Aino", "Veera", "Lou") if week.id(n) == shifts[0]["courier_id"])
        taker = next(n for n in ("Aino", "Veera", "Lou") if week.id(n) not in {s["courier_id"] for s in shifts[:-1]})
        rider = week.courier(client, giver)
        ask = {**monday, "shift_id": shifts[0]["id"], "with_courier_id": week.id(taker)}
        swap = published.check(client.post("/v1/week/swaps", json=ask, headers=rider), "POST", "/v1/week/swaps")
        published.check(client.get("/v1/week/mine", params=monday, headers=rider), "GET", "/v1/week/mine")
        decision = {"swap_id": swap["id"], "confirm": False, "reason": "Lou is on already"}
        answer = client.post("/v1/week/swaps/decision", json=decision, headers=desk)
        published.check(answer, "POST", "/v1/week/swaps/decision")
        published.check(client.get("/v1/week", params=monday, headers=desk), "GET", "/v1/week")  # with the swap
        published.check(client.get("/v1/week/timesheet", headers=desk), "GET", "/v1/week/timesheet")
        assert not published.differences, published.differences
        assert len(published.checked) == 13  # every route of the week that answers JSON, some twice


@SQLITE_ONLY
def test_weeks_and_times_at_the_calendar_s_ends_are_refused_with_a_reason(week: Week) -> None:
    """The outside attack: 9999-12-27 and 0001-01-01 answered 500 (date value out of range)."""
    with _app(week.url) as client:
        desk, aino = week.desk(client), week.courier(client, "Aino")
        for far in ("9999-12-27", "0001-01-01"):
            for path, who in (
                (f"/v1/week?week={far}", desk),
                (f"/v1/week/timesheet?week={far}", desk),
                (f"/v1/week/timesheet.csv?week={far}", aino),
            ):
                r = client.get(path, headers=who)
                assert r.status_code == 422, (path, r.text)
                assert r.json()["error"]["field"] == "week", r.text
            r = client.post("/v1/week/proposal", json={"week": far}, headers=desk)
            assert r.status_code == 422 and r.json()["error"]["field"] == "week", r.text
        for at in ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00"):
            r = client.get("/v1/week/who", params={"at": at}, headers=desk)
            assert r.status_code == 422 and r.json()["error"]["field"] == "at", r.text
