"""Overtime decided from a stale read (issue 23): two dispatchers read the same time sheet, on two
API workers, and both decide the same courier's day. With the sheet's ``seq`` as
``expected_seq`` (what the week page sends), the second decision is a 409 naming who decided
what, in English and French, and the first stands; a day nobody touched since is decided with
the same old seq; the CLI's ``--expected-seq`` refuses the same way. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dispatch.model import Role
from dispatch.store import Store
from tests.api.test_timesheet_formats import _cli
from tests.api.test_week import Week, _app, _login
from tests.api.test_week_overtime import _worked_day, week  # noqa: F401 (the fixture: SQLite and PostgreSQL)


def _second_desk(coop: Week) -> tuple[str, str]:
    """Another dispatcher of the cooperative, Sami: their login and password."""
    store = Store.open(coop.url)
    try:
        _, password = store.add_member(coop.world.coop_id, Role.DISPATCHER, "Sami", "sami-desk")
    finally:
        store.close()
    return "sami-desk", password


def _standing(client: Any, desk: dict[str, str], monday: str) -> list[tuple[str, str, int, str]]:
    decisions = client.get("/v1/week/overtime", params={"week": monday}, headers=desk).json()["decisions"]
    return [(d["courier_id"], d["day"], d["minutes"], d["by"]) for d in decisions]


def test_a_second_dispatchers_stale_decision_is_refused_and_the_first_stands(week: Week) -> None:  # noqa: F811
    day, monday = _worked_day(week)
    aino, veera = week.id("Aino"), week.id("Veera")
    sami_login, sami_password = _second_desk(week)
    with _app(week.url) as one, _app(week.url) as two:  # two API workers on one database
        mira, sami = week.desk(one), _login(two, week.world.coop_id, sami_login, sami_password)
        sheets = [
            c.get("/v1/week/timesheet", params={"week": monday}, headers=h).json()
            for c, h in ((one, mira), (two, sami))
        ]
        seen = sheets[0]["seq"]
        assert seen == sheets[1]["seq"] and seen > 0, sheets
        own = one.get("/v1/week/timesheet", headers=week.courier(one, "Aino")).json()
        assert own["seq"] is None  # a courier's sheet carries no seq: deciding is not theirs
        first = one.post(
            "/v1/week/overtime",
            json={"courier_id": aino, "day": day, "minutes": 30, "expected_seq": seen},
            headers=mira,
        )
        assert first.status_code == 200, first.text
        stale = {"courier_id": aino, "day": day, "minutes": 90, "note": "from the sheet I read", "expected_seq": seen}
        refused = two.post("/v1/week/overtime", json=stale, headers=sami)
        assert refused.status_code == 409, refused.text
        error = refused.json()["error"]
        assert error["code"] == "conflict" and error["last_act"] == "OvertimeDecided", error
        assert error["by"] == first.json()["by"] and error["current_seq"] == first.json()["seq"], error
        assert error["message"] == (
            f"the overtime of Aino on {day} changed since you looked: {error['by_name']} decided 30 min; "
            "read it again before deciding"
        ), error
        fr = two.post("/v1/week/overtime", json=stale, headers={**sami, "Accept-Language": "fr"}).json()["error"]
        assert f"les heures supplémentaires de Aino le {day} ont changé" in fr["message"], fr
        assert f"{error['by_name']} en a décidé 30 min" in fr["message"], fr
        # the first stands, on both workers, and the refused note is nowhere
        assert _standing(one, mira, monday) == _standing(two, sami, monday) == [(aino, day, 30, first.json()["by"])]
        assert "from the sheet I read" not in one.get("/v1/events", headers=mira).text
        # a day nobody decided since: the same old seq decides it
        other = {"courier_id": veera, "day": day, "minutes": 15, "expected_seq": seen}
        assert two.post("/v1/week/overtime", json=other, headers=sami).status_code == 200
        # read again, Sami withdraws it; Mira's withdrawal from her old read is told so
        fresh = two.get("/v1/week/overtime", params={"week": monday}, headers=sami).json()["seq"]
        withdraw = {"courier_id": aino, "day": day, "minutes": 0}
        assert two.post("/v1/week/overtime", json={**withdraw, "expected_seq": fresh}, headers=sami).status_code == 200
        late = one.post("/v1/week/overtime", json={**withdraw, "expected_seq": seen}, headers=mira)
        assert late.status_code == 409 and "Sami withdrew it" in late.json()["error"]["message"], late.text
        # without expected_seq, as before: the latest decision wins
        assert one.post("/v1/week/overtime", json={**withdraw, "minutes": 20}, headers=mira).status_code == 200
        assert [m for c, _, m, _ in _standing(one, mira, monday) if c == aino] == [20]
        spec = one.get("/openapi.json").json()["paths"]["/v1/week/overtime"]["post"]["responses"]
        assert "409" in spec


def test_the_cli_refuses_a_decision_from_a_stale_listing(tmp_path: Path) -> None:
    coop = Week(f"sqlite:///{tmp_path / 'tandem.db'}")
    day, monday = _worked_day(coop)
    aino, tandem = coop.id("Aino"), _cli(coop)
    listed = tandem("overtime", "--week", monday, "--json")
    seen = json.loads(listed.output)["seq"]
    assert f"(log seq {seen})" in tandem("overtime", "--week", monday).output
    decide = ("overtime", "--courier", aino, "--day", day, "--expected-seq", str(seen), "--minutes")
    assert tandem(*decide, "25").exit_code == 0
    stale = tandem(*decide, "40")
    assert stale.exit_code == 2 and f"the overtime of this courier on {day} changed since you looked" in stale.output
    assert "the operator decided 25 min" in stale.output, stale.output
    assert [d["minutes"] for d in json.loads(tandem("overtime", "--week", monday, "--json").output)["decisions"]] == [
        25
    ]
    assert tandem("overtime", "--week", monday, "--expected-seq", "3").exit_code == 2  # it goes with a decision
