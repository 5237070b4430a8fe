"""A courier's availability declared from a stale read, over HTTP (issue 23): the read answers the
``seq`` of the courier's latest declaration; a ``PUT`` sending it back as ``expected_seq`` after
someone declared again is a 409 naming who (the courier themself, or a dispatcher by name to a
dispatcher), in English and French, and writes nothing, so the other's declaration stands; a
colleague's declaration refuses nothing; without ``expected_seq`` the latest wins as before.
Two API workers on one database, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.api.test_overtime_stale import _second_desk
from tests.api.test_week import Week, _app, _login, _weekdays, url, week  # noqa: F401 (fixtures: both databases)

HOLIDAY = {"first_day": "2027-01-04", "last_day": "2027-01-08"}


def _declarations(client: Any, desk: dict[str, str]) -> int:
    return [e["type"] for e in client.get("/v1/events", headers=desk).json()["events"]].count("AvailabilityDeclared")


def test_a_stale_declaration_is_a_409_naming_who_and_the_other_stands(week: Week) -> None:  # noqa: F811
    path = f"/v1/couriers/{week.id('Aino')}/availability"
    sami_login, sami_password = _second_desk(week)
    with _app(week.url) as one, _app(week.url) as two:  # two API workers on one database
        mira, aino = week.desk(one), week.courier(two, "Aino")
        sami = _login(two, week.world.coop_id, sami_login, sami_password)
        read = one.get(path, headers=mira).json()  # the week page reads ...
        assert read["seq"] == 0 and read["weekly"] == []  # nothing declared yet
        phone = two.get(path, headers=aino).json()
        assert phone["seq"] == read["seq"]
        # ... the courier saves a holiday on the phone meanwhile ...
        saved = two.put(
            path, json={**_weekdays("10:00", "16:00"), "holidays": [HOLIDAY], "expected_seq": 0}, headers=aino
        )
        assert saved.status_code == 200, saved.text
        assert saved.json()["seq"] > 0 and saved.json()["holidays"] == [HOLIDAY]
        # ... and the week page's whole declaration from its read is refused: nothing written
        before = _declarations(one, mira)
        stale = {**_weekdays("08:00", "12:00", range(5)), "expected_seq": read["seq"]}
        refused = one.put(path, json=stale, headers=mira)
        assert refused.status_code == 409, refused.text
        error = refused.json()["error"]
        assert error["code"] == "conflict" and error["last_act"] == "AvailabilityDeclared", error
        assert error["by"] == f"courier {week.id('Aino')}" and error["current_seq"] == saved.json()["seq"], error
        assert error["message"] == (
            "the availability of Aino changed since you read it: Aino saved it again; nothing was saved; "
            "read it again before saving"
        ), error
        fr = one.put(path, json=stale, headers={**mira, "Accept-Language": "fr"}).json()["error"]["message"]
        assert fr.startswith("les disponibilités de Aino ont changé depuis que vous les avez lues : Aino les a "), fr
        assert _declarations(one, mira) == before
        stands = two.get(path, headers=sami).json()
        assert stands["holidays"] == [HOLIDAY] and len(stands["weekly"]) == 7 and stands["seq"] == saved.json()["seq"]
        # Mira, read again, declares; Sami's and the phone's older reads are refused naming her
        again = one.put(path, json={**stale, "holidays": [HOLIDAY], "expected_seq": stands["seq"]}, headers=mira)
        assert again.status_code == 200 and again.json()["seq"] > stands["seq"], again.text
        late = two.put(path, json={**stale, "expected_seq": stands["seq"]}, headers=sami).json()["error"]
        assert late["by_name"] and late["by_name"] != "Sami", late
        assert f": {late['by_name']} declared it again; nothing was saved" in late["message"], late
        mine = two.put(path, json={"weekly": [], "expected_seq": stands["seq"]}, headers=aino)
        assert mine.status_code == 409 and ": a dispatcher declared it again" in mine.json()["error"]["message"]
        # a colleague's declaration since refuses nothing of Aino's
        veera = f"/v1/couriers/{week.id('Veera')}/availability"
        assert two.put(veera, json=_weekdays("09:00", "11:00"), headers=sami).status_code == 200
        fine = two.put(path, json={**stale, "expected_seq": again.json()["seq"]}, headers=sami)
        assert fine.status_code == 200, fine.text
        # without expected_seq, as before: the latest declaration wins
        latest = one.put(path, json=_weekdays("07:00", "09:00", range(2)), headers=mira)
        assert latest.status_code == 200 and len(latest.json()["weekly"]) == 2
        assert two.get(path, headers=aino).json()["seq"] == latest.json()["seq"]
        # a contract alone, even with an old seq, writes no declaration and erases nothing
        contract = one.put(path, json={"contract": {"min_h": 5, "max_h": 20}, "expected_seq": 0}, headers=mira)
        assert contract.status_code == 200 and len(contract.json()["weekly"]) == 2, contract.text
        put = one.get("/openapi.json").json()["paths"]["/v1/couriers/{courier_id}/availability"]["put"]
        assert "409" in put["responses"]
