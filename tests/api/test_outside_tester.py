"""What an outside tester found with the README alone (findings 2, 4, 5, 7, 8), each closed over
HTTP through the app on a real SQLite file: a refused availability writes nothing, a boolean is
no sequence number, an erased courier stays erased, a rolling view's span is a whole number, and
a courier recorded absent today is not shown as available. (Finding 1, the accept/override race,
is tests/dispatch/test_decision_race.py; findings 3 and 6, the CLI's, are in
tests/api/test_outside_tester_cli.py.)"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from dispatch.store import Store
from dispatch.store.access import cli_actor
from dispatch.store.erasure import erase_courier
from tests.api.test_week import Week, _app, _events, _weekdays
from tests.api.test_week_absences import _aino_s_published_shift

HELSINKI = ZoneInfo("Europe/Helsinki")


def test_a_refused_contract_writes_no_availability_and_a_contract_alone_keeps_the_windows(tmp_path: Path) -> None:
    week = Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    with _app(week.url) as client:
        desk = week.desk(client)
        path = f"/v1/couriers/{week.id('Aino')}/availability"
        assert client.put(path, json=_weekdays("10:00", "16:00", range(5)), headers=desk).status_code == 200
        before = _events(client, desk).count("AvailabilityDeclared")
        bad = {"weekly": [{"weekday": 1, "start": "09:00", "end": "10:00"}], "contract": {"min_h": 40, "max_h": 10}}
        for body in (bad, {"contract": {"min_h": 40, "max_h": 10}}):
            r = client.put(path, json=body, headers=desk)
            assert r.status_code == 422 and r.json()["error"]["field"] == "min_h", r.text
            assert "above the maximum" in r.json()["error"]["message"]
        assert _events(client, desk).count("AvailabilityDeclared") == before
        assert len(client.get(path, headers=desk).json()["weekly"]) == 5
        r = client.put(path, json={"contract": {"min_h": 10, "max_h": 30}}, headers=desk)
        assert r.status_code == 200 and r.json()["contract"] == {"min_h": 10, "max_h": 30}, r.text
        assert len(r.json()["weekly"]) == 5  # the windows stand: a contract alone is not a new declaration
        assert _events(client, desk).count("AvailabilityDeclared") == before


def test_a_boolean_is_no_sequence_number(tmp_path: Path) -> None:
    week = Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    with _app(week.url) as client:
        desk = week.desk(client)
        body = {"action": "override", "courier_id": week.id("Aino"), "reason": "x", "expected_seq": True}
        r = client.post("/v1/jobs/no-such-job/decisions", json=body, headers=desk)
        assert r.status_code == 422 and r.json()["error"]["field"].endswith("expected_seq"), r.text
        r = client.post("/v1/jobs/no-such-job/decisions", json={**body, "expected_seq": 1.0}, headers=desk)
        assert r.status_code == 422, r.text


def test_a_rolling_view_s_span_is_a_whole_number(tmp_path: Path) -> None:
    week = Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    with _app(week.url) as client:
        desk = week.desk(client)
        for days in ("7.0", "7e0", "seven", " 7"):
            r = client.get("/v1/ledger/rolling", params={"days": days}, headers=desk)
            assert r.status_code == 422 and r.json()["error"]["field"].endswith("days"), (days, r.text)
        r = client.get("/v1/ledger/rolling?days=28&days=7", headers=desk)
        assert (
            r.status_code == 422
            and r.json()["error"]["message"] == "days: given more than once in the query: give it once"
        ), r.text
        for days in ("7", "28"):
            r = client.get("/v1/ledger/rolling", params={"days": days}, headers=desk)
            assert r.status_code == 200 and r.json()["days"] == int(days), r.text


def test_an_erased_courier_is_neither_reactivated_nor_given_a_login(tmp_path: Path) -> None:
    week = Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    lou = week.id("Lou")
    store = Store.open(week.url)
    try:
        erase_courier(store, week.world.coop_id, lou, by=cli_actor(), reason="asked to be forgotten")
    finally:
        store.close()
    with _app(week.url) as client:
        desk = week.desk(client)
        r = client.post(f"/v1/couriers/{lou}/reactivate", headers=desk)
        assert r.status_code == 409 and "an erasure is final" in r.json()["error"]["message"], r.text
        r = client.post(f"/v1/couriers/{lou}/login", json={"login": "lou-again"}, headers=desk)
        assert r.status_code == 409 and "an erasure is final" in r.json()["error"]["message"], r.text
        assert "CourierReactivated" not in _events(client, desk)
        listed = client.get("/v1/couriers", headers=desk).json()
        assert all(c.get("active") is False for c in listed["couriers"] if c["id"] == lou), listed


def test_a_courier_recorded_absent_that_day_is_not_available(tmp_path: Path) -> None:
    week = Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    with _app(week.url) as client:
        desk = week.desk(client)
        aino = _aino_s_published_shift(client, week, desk)
        absent = {"week": week.next_monday, "shift_id": aino["id"], "reason": "sick"}
        assert client.post("/v1/week/absences", json=absent, headers=desk).status_code == 201
        monday = datetime.fromisoformat(week.next_monday)
        noon = datetime(monday.year, monday.month, monday.day, 12, tzinfo=HELSINKI).isoformat()
        seen = client.get("/v1/week/who", params={"at": noon}, headers=desk).json()["couriers"]
        by_name = {c["name"]: c for c in seen}
        # not available (nor on shift, nor on the rota then): not listed, and nothing says why
        assert "Aino" not in by_name and "sick" not in str(seen), by_name
        assert by_name["Veera"]["available"] is True and by_name["Lou"]["available"] is True, by_name
