"""An outside tester's findings: a courier read what is not theirs. The courier who was given an
override read its cost (the planner's figures about people: extra minutes, worked shares); the
colleague covering an absent courier's shift read the whole rota, with the absence's category
("sick") and the dispatcher's note about it. Each test drives a real server over HTTP and real
sockets, and reads what the couriers' sockets, exports and ``/v1/week/mine`` say."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.api.harness import Server, Socket, delivery_body, event_type, login, start_with_world

#: What an override's cost report is made of: none of it is a courier's to read.
FIGURES = ("cost", "extra_minutes", "worked_share", "cooperative_share", "objective_vs_proposal")


async def _heard(server: Server, token: str, last: str, times: int = 1) -> tuple[list[dict[str, Any]], str]:
    """Everything a courier's socket says from the log's start until the ``times``-th event of
    type ``last``, and their export."""
    phone = await Socket.open(f"{server.ws_url}/v1/courier/ws", token)
    try:
        while sum(event_type(m) == last for m in phone.messages) < times:
            await phone.next()
    finally:
        await phone.close()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as api:
        export = await api.get("/v1/courier/me/export", headers={"Authorization": f"Bearer {token}"})
    assert export.status_code == 200, export.text
    return phone.messages, export.text


def test_a_courier_never_reads_an_override_s_cost_nor_who_took_their_job(tmp_path: Path) -> None:
    """A dispatcher gives Aino's job to Veera over the planner (an override, with its cost report),
    then moves it back (a reassignment, with another). Neither courier's socket nor export holds the
    cost or its figures; Aino, whose job went to Veera, hears it is gone but not to whom; each still
    gets the job (its places and parcels) with the event that gives it to them."""
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    server = Server(url, auto_plan="false")
    w = start_with_world(url, server)
    aino, veera = w.couriers["Aino"][0], w.couriers["Veera"][0]

    async def day() -> dict[str, tuple[list[dict[str, Any]], str]]:
        desk = {"Authorization": f"Bearer {login(server.url, w.coop_id, w.dispatcher_login, w.dispatcher_password)}"}
        tokens = {name: login(server.url, w.coop_id, *w.couriers[name][1:]) for name in ("Aino", "Veera")}
        for token in tokens.values():  # on shift: the planner counts them, so a move has a cost
            phone = await Socket.open(f"{server.ws_url}/v1/courier/ws", token)
            assert (await phone.act("shift_start", "start"))["type"] == "result"
            await phone.close()
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as api:
            shop = {"Authorization": f"Bearer {w.client_key}"}
            job = (await api.post("/v1/deliveries", json=delivery_body(), headers=shop)).json()["id"]
            for action, courier in (("override", aino), ("reassign", veera), ("reassign", aino)):
                seq = (await api.get(f"/v1/jobs/{job}", headers=desk)).json()["last_seq"]
                act = {"action": action, "courier_id": courier, "reason": "x", "expected_seq": seq}
                r = await api.post(f"/v1/jobs/{job}/decisions", json=act, headers=desk)
                assert r.status_code == 200, r.text
            console = (await api.get("/v1/events", headers=desk)).json()["events"]
        assert any("cost" in e["payload"] for e in console), "the scene has no override cost to leak"
        return {name: await _heard(server, token, "JobReassigned", 2) for name, token in tokens.items()}

    try:
        heard = asyncio.run(day())
    finally:
        server.stop()
    for name, (messages, export) in heard.items():
        said = str(messages)
        for figure in FIGURES:
            assert figure not in said, f"{name}'s socket carried the planner's {figure}"
            assert figure not in export, f"{name}'s export carried the planner's {figure}"
        given = [m for m in messages if event_type(m) in ("JobOverridden", "JobReassigned") and m["data"].get("job")]
        assert given and all(m["data"]["job"]["parcels"] for m in given), f"{name} was not given the job to ride"
    aino_said = str(heard["Aino"][0])
    assert veera not in aino_said, "Aino read to whom her job was moved"
    assert aino not in str(heard["Veera"][0]), "Veera read whose job she was given"


def _rota(url: str, coop: str, monday: date, shifts: dict[str, int]) -> dict[str, str]:
    """Every courier available all week; a published rota for ``monday``'s week with one shift
    each (10-14 h, on the weekday given): each courier's shift id."""
    from dispatch import availability
    from dispatch.events import Actor, ActorKind
    from dispatch.store import Store
    from dispatch.week import edit, propose, publish, week_state

    store, actor, now = Store.open(url), Actor(ActorKind.DISPATCHER, "setup"), datetime.now(UTC)
    try:
        whole = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]}
        for courier in shifts:
            availability.declare(store, coop, courier, whole, actor=actor, at=now)
        propose(store, coop, monday, actor=actor, now=now)
        for s in week_state(store, coop).rota(monday).draft or []:
            edit(store, coop, monday, {"action": "remove", "shift_id": s["id"]}, actor=actor, at=now)
        for courier, weekday in shifts.items():
            day = (monday + timedelta(days=weekday)).isoformat()
            add = {"action": "add", "courier_id": courier, "day": day, "start_h": 10, "end_h": 14}
            edit(store, coop, monday, add, actor=actor, at=now)
        publish(store, coop, monday, actor=actor, at=now)
        return {s["courier_id"]: s["id"] for s in week_state(store, coop).rota(monday).published or []}
    finally:
        store.close()


def test_the_covering_courier_reads_their_cover_shift_and_nothing_of_the_absence(tmp_path: Path) -> None:
    """Aino is recorded sick on next week's rota, with a dispatcher's note; Veera covers her shift.
    Veera's socket, export and ``/v1/week/mine`` show her cover shift (whom it covers for), never
    the absence's category, its note, nor anyone else's shifts (Lou's); Aino's own socket never
    reads the note either, nor Veera's or Lou's shifts. The console reads them all."""
    from tests.api.test_week import Week

    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    week = Week(url)
    coop, names = week.world.coop_id, ("Aino", "Veera", "Lou")
    aino, veera, lou = (week.id(n) for n in names)
    monday = date.fromisoformat(week.next_monday)
    shift = _rota(url, coop, monday, {aino: 1, lou: 2, veera: 3})
    server = Server(url).start()

    async def absence() -> dict[str, Any]:
        who = week.world
        desk = {"Authorization": f"Bearer {login(server.url, coop, who.dispatcher_login, who.dispatcher_password)}"}
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as api:
            absent = {"week": monday.isoformat(), "shift_id": shift[aino], "reason": "sick", "note": "SECRETNOTE flu"}
            r = await api.post("/v1/week/absences", json=absent, headers=desk)
            assert r.status_code == 201, r.text
            cover = {"week": monday.isoformat(), "shift_id": shift[aino], "courier_id": veera}
            r = await api.post("/v1/week/covers", json=cover, headers=desk)
            assert r.status_code == 200, r.text
            console = (await api.get("/v1/events", headers=desk)).json()["events"]
            tokens = {n: login(server.url, coop, *week.world.couriers[n][1:]) for n in names}
            mine = await api.get(
                "/v1/week/mine",
                params={"week": monday.isoformat()},
                headers={"Authorization": f"Bearer {tokens['Veera']}"},
            )
            assert mine.status_code == 200, mine.text
        return {
            "console": console,
            "mine": mine.json(),
            "Veera": await _heard(server, tokens["Veera"], "CoverAssigned"),
            "Aino": await _heard(server, tokens["Aino"], "AbsenceRecorded"),
        }

    try:
        seen = asyncio.run(absence())
    finally:
        server.stop()
    assert "SECRETNOTE" in str(seen["console"]) and "'sick'" in str(seen["console"]), "the console reads them"
    for name, others in (("Veera", (lou,)), ("Aino", (veera, lou))):
        messages, export = seen[name]
        for text, where in ((str(messages), "socket"), (export, "export")):
            assert "SECRETNOTE" not in text, f"{name}'s {where} carried the dispatcher's note"
            assert not [c for c in others if shift[c] in text], f"{name}'s {where} holds a colleague's shift"
    veera_said = str(seen["Veera"][0]) + seen["Veera"][1] + str(seen["mine"])
    assert "sick" not in veera_said, "the covering courier read the colleague's absence category"
    covered = [m for m in seen["Veera"][0] if event_type(m) == "CoverAssigned"][-1]["data"]["payload"]["shifts"]
    assert {s["courier_id"] for s in covered} == {veera}, covered
    assert any(s.get("cover_for") == shift[aino] for s in covered), "Veera does not see the shift she covers"
    cover = next(s for s in seen["mine"]["shifts"] if s.get("cover_for") == shift[aino])
    assert "covers for Aino" in str(cover["why"]) and "sick" not in str(cover["why"]), cover
