"""Absences over real HTTP through the app (issue 23): a dispatcher records that a courier of
the published rota cannot come, sees who could cover (those who covered least lately first, the
count given as the reason), picks one; bad input gets a 4xx that says why and changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from dispatch.store import Store
from dispatch.week import covers_counted
from tests.api.test_week import Week, _app, _events, _weekdays


def _published(client: TestClient, week: Week, desk: dict[str, str]) -> list[dict[str, object]]:
    """Aino, Veera and Lou available 10-16 every day; one shift, Aino's, Monday 10-16, published."""
    for name in ("Aino", "Veera", "Lou"):
        r = client.put(f"/v1/couriers/{week.id(name)}/availability", json=_weekdays("10:00", "16:00"), headers=desk)
        assert r.status_code == 200, r.text
    draft = client.post("/v1/week/proposal", json={"week": week.next_monday}, headers=desk).json()
    for s in draft["shifts"]:
        edit = {"week": week.next_monday, "action": "remove", "shift_id": s["id"]}
        assert client.post("/v1/week/edits", json=edit, headers=desk).status_code == 200
    for name, day in (("Aino", 0), ("Veera", 0), ("Lou", 1)):
        add = {"week": week.next_monday, "action": "add", "courier_id": week.id(name), "start_h": 10, "end_h": 16}
        add["day"] = _day(week, day)
        r = client.post("/v1/week/edits", json=add, headers=desk)
        assert r.status_code == 200, r.text
    return list(r.json()["shifts"])


def _aino_s_published_shift(client: TestClient, week: Week, desk: dict[str, str]) -> dict[str, object]:
    """The week of :func:`_published`, published; Aino's Monday shift (the one tests call off)."""
    shifts = _published(client, week, desk)
    assert client.post("/v1/week/publish", json={"week": week.next_monday}, headers=desk).status_code == 200
    return next(s for s in shifts if s["courier_id"] == week.id("Aino"))


def _day(week: Week, offset: int) -> str:
    return (date.fromisoformat(week.next_monday) + timedelta(days=offset)).isoformat()


def test_an_absence_proposes_who_could_cover_and_the_dispatcher_picks(tmp_path: Path) -> None:
    week = Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    with _app(week.url) as client:
        desk = week.desk(client)
        shifts = _published(client, week, desk)
        aino = next(s for s in shifts if s["courier_id"] == week.id("Aino"))
        absent = {"week": week.next_monday, "shift_id": aino["id"], "reason": "sick"}
        r = client.post("/v1/week/absences", json=absent, headers=desk)
        assert r.status_code == 422 and "publish it first" in r.json()["error"]["message"], r.text
        assert client.post("/v1/week/publish", json={"week": week.next_monday}, headers=desk).status_code == 200
        r = client.post("/v1/week/absences", json=absent, headers=desk)
        assert r.status_code == 201, r.text
        # Veera works Monday already (one shift a day); Lou works Tuesday 10-16, rest is 18 h: Lou only.
        assert [(c["name"], c["covered"]) for c in r.json()["covers"]] == [("Lou", 0)]
        why = r.json()["covers"][0]["why"]  # a reason: its code and figures, and its words in English by default
        assert why["code"] == "cover_counts" and why["params"] == {"covered": 0, "days": 28, "left_h": 34}, why
        assert why["text"].startswith("covered 0 time(s) in the last 28 days"), why
        assert r.json()["shift"]["absent"] == "sick"
        cover = {"week": week.next_monday, "shift_id": aino["id"], "courier_id": week.id("Veera")}
        r = client.post("/v1/week/covers", json=cover, headers=desk)
        assert r.status_code == 422 and "already on a shift that day" in r.json()["error"]["message"], r.text
        r = client.post("/v1/week/covers", json={**cover, "courier_id": week.id("Lou")}, headers=desk)
        assert r.status_code == 200, r.text
        assert r.json()["shift"]["covered_by"] == week.id("Lou") and r.json()["covers"] == []
        seen = client.get("/v1/week", params={"week": week.next_monday}, headers=desk).json()
        lou = [s for s in seen["published"]["shifts"] if s["courier_id"] == week.id("Lou")]
        assert [(s["day"], s.get("cover_for")) for s in lou] == [(week.next_monday, aino["id"]), (_day(week, 1), None)]
        noon = next(h for h in seen["hours"] if h["day"] == week.next_monday and h["hour"] == 12)
        assert week.id("Aino") not in noon["rostered"] and week.id("Lou") in noon["rostered"]
        sheet = client.get("/v1/week/timesheet", params={"week": week.next_monday}, headers=desk).json()
        totals = {t["name"]: (t["planned_minutes"], t["cover_minutes"]) for t in sheet["totals"]}
        assert totals["Lou"] == (720.0, 360.0) and "Aino" not in totals
        assert _events(client, desk).count("AbsenceRecorded") == 1 and "CoverAssigned" in _events(client, desk)
        # Veera cannot come on Monday either: Aino is absent that day and Lou covers already.
        veera = next(s for s in shifts if s["courier_id"] == week.id("Veera"))
        r = client.post("/v1/week/absences", json={**absent, "shift_id": veera["id"], "reason": "other"}, headers=desk)
        assert r.status_code == 201 and r.json()["covers"] == [], r.text
        r = client.post(
            "/v1/week/covers", json={**cover, "shift_id": veera["id"], "courier_id": week.id("Aino")}, headers=desk
        )
        assert r.status_code == 422 and "cannot come that day either" in r.text, r.text
    store = Store.open(week.url)
    try:  # the cover counted from the log, for the next absence's order
        assert covers_counted(store, week.world.coop_id, datetime.now(UTC)) == {week.id("Lou"): 1}
    finally:
        store.close()


def test_bad_absences_get_a_4xx_with_the_reason_and_change_nothing(tmp_path: Path) -> None:
    week = Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    with _app(week.url) as client:
        desk = week.desk(client)
        shifts = _published(client, week, desk)
        assert client.post("/v1/week/publish", json={"week": week.next_monday}, headers=desk).status_code == 200
        aino = next(s for s in shifts if s["courier_id"] == week.id("Aino"))
        absent = {"week": week.next_monday, "shift_id": aino["id"], "reason": "sick"}
        stale = client.get("/v1/week", params={"week": week.next_monday}, headers=desk).json()["rota_seq"]
        assert client.post("/v1/week/absences", json={**absent, "expected_seq": stale}, headers=desk).status_code == 201
        before = _events(client, desk)
        veera = next(s for s in shifts if s["courier_id"] == week.id("Veera"))
        cases = [
            # a dispatcher's view from before Aino's absence: a 409 naming the act, as for edits
            ({**absent, "shift_id": veera["id"], "expected_seq": stale}, "/v1/week/absences", 409, "AbsenceRecorded"),
            (
                {"week": week.next_monday, "shift_id": aino["id"], "courier_id": week.id("Lou"), "expected_seq": stale},
                "/v1/week/covers",
                409,
                "changed since you looked",
            ),
            ({**absent, "shift_id": "nosuchshift"}, "/v1/week/absences", 404, "shift"),
            (absent, "/v1/week/absences", 422, "recorded already"),
            ({**absent, "reason": "bored"}, "/v1/week/absences", 422, "reason"),
            ({**absent, "week": _day(week, 7)}, "/v1/week/absences", 404, "shift"),
            ({**absent, "week": _day(week, 2)}, "/v1/week/absences", 422, "its week begins on"),
            (
                {"week": week.next_monday, "shift_id": aino["id"], "courier_id": week.id("Aino")},
                "/v1/week/covers",
                422,
                "the one absent",
            ),
        ]
        for body, path, status, words in cases:
            r = client.post(path, json=body, headers=desk)
            assert r.status_code == status and words in r.text, (body, r.text)
            if status == 409:
                assert r.json()["error"]["current_seq"] > stale, r.text
        cover = {"week": week.next_monday, "shift_id": veera["id"], "courier_id": week.id("Lou")}
        r = client.post("/v1/week/covers", json=cover, headers=desk)
        assert r.status_code == 422 and "record it first" in r.text, r.text
        courier = week.courier(client, "Lou")
        assert client.post("/v1/week/absences", json=absent, headers=courier).status_code == 403
        assert _events(client, desk) == before


def test_publishing_a_draft_opened_before_an_absence_keeps_the_absence_and_its_cover(tmp_path: Path) -> None:
    """A draft open on the published rota takes the absence and the cover too: publishing it later
    neither brings the absent courier back nor drops the cover shift (review item 1)."""
    week = Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    with _app(week.url) as client:
        desk = week.desk(client)
        shifts = _published(client, week, desk)
        assert client.post("/v1/week/publish", json={"week": week.next_monday}, headers=desk).status_code == 200
        aino, veera, lou = (next(s for s in shifts if s["courier_id"] == week.id(n)) for n in ("Aino", "Veera", "Lou"))
        edits = [  # a draft opened before the absence: Veera shorter; Lou on Monday instead of Tuesday
            {"action": "move", "shift_id": veera["id"], "start_h": 10, "end_h": 14},
            {"action": "move", "shift_id": lou["id"], "day": week.next_monday},
        ]
        for change in edits:
            r = client.post("/v1/week/edits", json={"week": week.next_monday, **change}, headers=desk)
            assert r.status_code == 200 and r.json()["state"] == "draft", r.text
        absent = {"week": week.next_monday, "shift_id": aino["id"], "reason": "sick"}
        r = client.post("/v1/week/absences", json=absent, headers=desk)
        assert r.status_code == 201 and [c["name"] for c in r.json()["covers"]] == ["Lou"], r.text
        cover = {"week": week.next_monday, "shift_id": aino["id"], "courier_id": week.id("Lou")}
        r = client.post("/v1/week/covers", json=cover, headers=desk)  # free in the published rota, not in the draft
        assert r.status_code == 422 and "in the draft open for the week" in r.text, r.text
        assert "already on a shift that day" in r.text
        back = {"week": week.next_monday, "action": "move", "shift_id": lou["id"], "day": _day(week, 1)}
        assert client.post("/v1/week/edits", json=back, headers=desk).status_code == 200
        r = client.post("/v1/week/covers", json=cover, headers=desk)
        assert r.status_code == 200, r.text
        seen = client.get("/v1/week", params={"week": week.next_monday}, headers=desk).json()
        assert seen["draft"] is not None  # still open, now with the absence and the cover
        r = client.post(
            "/v1/week/publish", json={"week": week.next_monday, "expected_seq": seen["rota_seq"]}, headers=desk
        )
        assert r.status_code == 200, r.text
        seen = client.get("/v1/week", params={"week": week.next_monday}, headers=desk).json()
        assert seen["draft"] is None
        published = {s["id"]: s for s in seen["published"]["shifts"]}
        assert published[aino["id"]]["absent"] == "sick" and published[aino["id"]]["covered_by"] == week.id("Lou")
        assert (published[veera["id"]]["start_h"], published[veera["id"]]["end_h"]) == (10, 14)  # the draft's edit
        lous = sorted((s["day"], s.get("cover_for")) for s in published.values() if s["courier_id"] == week.id("Lou"))
        assert lous == [(week.next_monday, aino["id"]), (_day(week, 1), None)]
        noon = next(h for h in seen["hours"] if h["day"] == week.next_monday and h["hour"] == 12)
        assert week.id("Aino") not in noon["rostered"] and week.id("Lou") in noon["rostered"]
        sheet = client.get("/v1/week/timesheet", params={"week": week.next_monday}, headers=desk).json()
        totals = {t["name"]: (t["planned_minutes"], t["cover_minutes"]) for t in sheet["totals"]}
        assert totals["Lou"] == (720.0, 360.0) and "Aino" not in totals
