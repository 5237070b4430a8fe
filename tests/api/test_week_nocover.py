"""Choosing no one to cover, over real HTTP (issue 23): ``POST /v1/week/covers/none`` logs the
dispatcher's choice (``NoCoverPicked``, with whom the rota offered), the week and the absence
show it, the rota is unchanged and a cover may still be picked; a shift with no absence is a 422."""

from __future__ import annotations

from pathlib import Path

from tests.api.test_week import Week, _app, _events
from tests.api.test_week_absences import _aino_s_published_shift


def test_choosing_no_one_is_logged_and_shown_and_a_cover_may_still_be_picked(tmp_path: Path) -> None:
    week = Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    with _app(week.url) as client:
        desk = week.desk(client)
        aino = _aino_s_published_shift(client, week, desk)
        none = {"week": week.next_monday, "shift_id": aino["id"], "note": "Lou rode all weekend"}
        refused = client.post("/v1/week/covers/none", json=none, headers=desk)
        assert refused.status_code == 422 and "record it first" in refused.text, refused.text
        absent = {"week": week.next_monday, "shift_id": aino["id"], "reason": "sick"}
        assert client.post("/v1/week/absences", json=absent, headers=desk).status_code == 201
        seq = client.get("/v1/week", params={"week": week.next_monday}, headers=desk).json()["rota_seq"]
        r = client.post("/v1/week/covers/none", json=none, headers=desk)
        assert r.status_code == 200, r.text
        assert r.json()["no_cover"]["offered"] == [week.id("Lou")] and r.json()["no_cover"]["note"] == none["note"]
        assert [c["name"] for c in r.json()["covers"]] == ["Lou"]  # still offered: the choice is for now
        assert _events(client, desk)[-1] == "NoCoverPicked"
        seen = client.get("/v1/week", params={"week": week.next_monday}, headers=desk).json()
        assert seen["rota_seq"] == seq and seen["no_cover"][aino["id"]]["by"].startswith("dispatcher ")
        cover = {"week": week.next_monday, "shift_id": aino["id"], "courier_id": week.id("Lou"), "expected_seq": seq}
        assert client.post("/v1/week/covers", json=cover, headers=desk).status_code == 200
        assert client.post("/v1/week/covers/none", json=none, headers=desk).status_code == 422  # covered already
        lou = week.courier(client, "Lou")
        assert client.post("/v1/week/covers/none", json=none, headers=lou).status_code == 403


def test_an_absence_for_today_stops_the_courier_on_shift_over_http(tmp_path: Path) -> None:
    """The day's planning follows: recorded for today while the courier rides, the answer says
    they were stopped (as /unavailable stops them) and they are off shift."""
    from tests.api.test_notes_and_names import riding_on_today_s_rota

    week = Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    with _app(week.url) as client:
        desk = week.desk(client)
        lou = week.id("Lou")
        monday, shift = riding_on_today_s_rota(week, client, desk, "Lou")
        absent = {"week": monday.isoformat(), "shift_id": shift["id"], "reason": "sick"}
        r = client.post("/v1/week/absences", json=absent, headers=desk)
        assert r.status_code == 201, r.text
        assert r.json()["stopped"]["shift_ended"] is True
        couriers = client.get("/v1/couriers", headers=desk).json()["couriers"]
        assert not next(c for c in couriers if c["id"] == lou)["on_shift"]
        assert "ShiftEnded" in _events(client, desk)[-3:]
