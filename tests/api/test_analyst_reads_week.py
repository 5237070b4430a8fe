"""What an analyst reads of the week's events in ``GET /v1/events`` (outside attacker's finding 1):
never an overtime decision's minutes or note (the time sheets and ``/v1/week/overtime`` are
403 to them), never an absence's category (``sick`` is health data) or note, never the week's
free-text notes about a person (a swap asked or decided, no cover picked); the events are
there, and a dispatcher reads them whole (dispatch/analyst_view.py)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from dispatch.model import Role
from dispatch.store import Store
from tests.api.test_week import HELSINKI, Week, _app, _login
from tests.api.test_week_absences import _aino_s_published_shift

#: Words only a dispatcher may read, each said once in the week below.
SECRETS = ("OT-NOTE-bakery", "AINO-FLU-NOTE", "VEERA-SWAP-NOTE", "DESK-SWAP-WORDS", "VEERA-AWAY-NOTE", "NOBODY-NOTE")


def _analyst(week: Week, client: Any) -> dict[str, str]:
    store = Store.open(week.url)
    try:
        _, password = store.add_member(week.world.coop_id, Role.ANALYST, "Counting", "counting")
    finally:
        store.close()
    return _login(client, week.world.coop_id, "counting", password)


def _week_acts(week: Week, client: Any, desk: dict[str, str]) -> str:
    """Overtime decided with a note, Aino sick (a note) and covered by Lou, Veera's swap asked
    (a note) and refused (a reason), Veera away (a note) and no one picked (a note)."""
    yesterday = (datetime.now(HELSINKI).date() - timedelta(days=1)).isoformat()
    decision = {"courier_id": week.id("Aino"), "day": yesterday, "minutes": 37, "note": SECRETS[0]}
    assert client.post("/v1/week/overtime", json=decision, headers=desk).status_code == 200
    aino = _aino_s_published_shift(client, week, desk)
    absent = {"week": week.next_monday, "shift_id": aino["id"], "reason": "sick", "note": SECRETS[1]}
    assert client.post("/v1/week/absences", json=absent, headers=desk).status_code == 201
    cover = {"week": week.next_monday, "shift_id": aino["id"], "courier_id": week.id("Lou")}
    assert client.post("/v1/week/covers", json=cover, headers=desk).status_code == 200
    shifts = client.get("/v1/week", params={"week": week.next_monday}, headers=desk).json()["published"]["shifts"]
    veera = next(s for s in shifts if s["courier_id"] == week.id("Veera"))
    ask = {"week": week.next_monday, "shift_id": veera["id"], "with_courier_id": week.id("Aino"), "note": SECRETS[2]}
    asked = client.post("/v1/week/swaps", json=ask, headers=week.courier(client, "Veera"))
    assert asked.status_code == 201, asked.text
    refusal = {"swap_id": asked.json()["id"], "confirm": False, "reason": SECRETS[3]}
    assert client.post("/v1/week/swaps/decision", json=refusal, headers=desk).status_code == 200
    away = {"week": week.next_monday, "shift_id": veera["id"], "reason": "sick", "note": SECRETS[4]}
    assert client.post("/v1/week/absences", json=away, headers=desk).status_code == 201
    none = {"week": week.next_monday, "shift_id": veera["id"], "note": SECRETS[5]}
    assert client.post("/v1/week/covers/none", json=none, headers=desk).status_code == 200
    return yesterday


def _log(client: Any, headers: dict[str, str], lang: str = "en") -> list[dict[str, Any]]:
    r = client.get("/v1/events", params={"limit": 1000}, headers={**headers, "Accept-Language": lang})
    assert r.status_code == 200, r.text
    return list(r.json()["events"])


def test_an_analyst_reads_the_week_s_events_without_notes_minutes_or_sickness(tmp_path: Path) -> None:
    week = Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    with _app(week.url) as client:
        desk = week.desk(client)
        analyst = _analyst(week, client)
        day = _week_acts(week, client, desk)
        assert client.get("/v1/week/overtime", headers=analyst).status_code == 403  # as before: not theirs
        whole, seen, in_french = _log(client, desk), _log(client, analyst), _log(client, analyst, "fr")
    kinds = ("OvertimeDecided", "AbsenceRecorded", "CoverAssigned", "ShiftSwapRequested", "ShiftSwapDecided")
    week_kinds = {*kinds, "NoCoverPicked", "RotaEdited", "RotaPublished", "RotaProposed"}
    assert [e["type"] for e in seen] == [e["type"] for e in whole]  # every event is there
    assert set(kinds) | {"NoCoverPicked"} <= {e["type"] for e in seen}
    said = json.dumps([e for e in seen + in_french if e["type"] in week_kinds], ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in said, f"an analyst read a dispatcher's note: {secret}"
        assert secret in json.dumps(whole, ensure_ascii=False), f"the dispatcher reads the note: {secret}"
    assert '"sick"' not in said and "(sick)" not in said and "malad" not in said, "an absence's category"
    overtime = next(e for e in seen if e["type"] == "OvertimeDecided")
    assert overtime["payload"] == {"courier_id": week.id("Aino"), "day": day}
    assert overtime["actor"]["kind"] == "dispatcher"
    absence = next(e for e in seen if e["type"] == "AbsenceRecorded")
    assert set(absence["payload"]) == {"week", "shift_id", "courier_id", "shifts"}
    marked = next(s for s in absence["payload"]["shifts"] if s["id"] == absence["payload"]["shift_id"])
    assert marked["absent"] is True and "absent_note" not in marked
    covering = next(e for e in seen if e["type"] == "CoverAssigned")["payload"]["shifts"]
    why = next(s for s in covering if s.get("cover_for"))["why"][0]
    assert why["code"] == "rota_covers_colleague" and why["text"].startswith("covers for Aino"), why
    # the dispatcher's page is the log as written
    theirs = {e["type"]: e["payload"] for e in whole if e["type"] in kinds}
    assert (theirs["OvertimeDecided"]["minutes"], theirs["OvertimeDecided"]["note"]) == (37, SECRETS[0])
    assert theirs["AbsenceRecorded"]["reason"] == "sick"


def test_a_swapped_shift_s_words_are_not_an_analyst_s() -> None:
    """A swap confirmed with the dispatcher's words: an analyst reads that it was swapped."""
    from dispatch.analyst_view import as_read_by

    words = {"code": "rota_swapped_because", "params": {"why": "DESK-SWAP-WORDS"}}
    shift = {"id": "s1", "courier_id": "lou", "day": "2026-12-07", "start_h": 10, "end_h": 16, "why": [words]}
    page = {"events": [{"type": "ShiftSwapDecided", "payload": {"swap_id": "w", "reason": "x", "shifts": [shift]}}]}
    assert as_read_by("analyst", page)["events"][0]["payload"] == {
        "swap_id": "w",
        "shifts": [{**shift, "why": [{"code": "rota_swapped", "params": {}}]}],
    }
    assert as_read_by("dispatcher", page) is page
