"""Every admin act is on record for every member (issue 16 item 2): who, when and what, read by
dispatchers, analysts and couriers alike at ``GET /v1/admin/log``; a free-text reason is a note
between dispatchers and analysts, never shown to couriers. And what the admin page acts on: the
clients with their key's state, the members with their login's state, for dispatchers only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dispatch.model import Role
from dispatch.store import Store
from tests.api.harness import World, in_process


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[TestClient, World, Store]]:
    yield from in_process(tmp_path)


def _token(client: TestClient, world: World, login: str, password: str) -> dict[str, str]:
    r = client.post("/v1/auth/login", json={"cooperative_id": world.coop_id, "login": login, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_every_member_reads_who_did_what_and_when_and_couriers_not_the_notes(
    setup: tuple[TestClient, World, Store],
) -> None:
    client, world, store = setup
    desk = _token(client, world, world.dispatcher_login, world.dispatcher_password)
    _, analyst_password = store.add_member(world.coop_id, Role.ANALYST, "Counting", "counting")
    analyst = _token(client, world, "counting", analyst_password)
    aino, veera = world.couriers["Aino"][0], world.couriers["Veera"]
    phone = _token(client, world, veera[1], veera[2])
    [shop] = client.get("/v1/clients", headers=desk).json()["clients"]
    assert shop["name"] == "Kukkakauppa" and shop["revoked"] is False
    assert world.client_key.startswith(shop["key_prefix"])

    assert client.post(f"/v1/clients/{shop['id']}/key/revoke", headers=desk).status_code == 200
    gone = client.post(f"/v1/couriers/{aino}/deactivate", json={"reason": "back to her studies"}, headers=desk)
    assert gone.status_code == 200, gone.text
    tariff_change = {"tariff": {"base_cents": 900}}
    assert client.patch("/v1/cooperative/settings", json=tariff_change, headers=desk).status_code == 200
    assert client.post("/v1/members/revoke-login", json={"login": "counting"}, headers=desk).status_code == 200
    analyst = _token(client, world, "counting", client.post(
        "/v1/members/reset-password", json={"login": "counting"}, headers=desk).json()["password"])  # fmt: skip

    seen: dict[str, list[dict[str, Any]]] = {}
    for reader, headers in (("dispatcher", desk), ("analyst", analyst), ("courier", phone)):
        r = client.get("/v1/admin/log", headers=headers)
        assert r.status_code == 200, (reader, r.text)
        seen[reader] = r.json()["acts"]
    kinds = [a["type"] for a in seen["dispatcher"]]
    assert kinds == [
        "MemberPasswordReset",
        "MemberLoginRevoked",
        "CooperativeSettingsChanged",
        "CourierDeactivated",
        "ClientKeyRevoked",
    ], kinds
    assert [a["type"] for a in seen["courier"]] == kinds == [a["type"] for a in seen["analyst"]]
    for act in seen["dispatcher"]:
        assert act["who"] == {"kind": "dispatcher", "id": act["who"]["id"], "name": "Dispatcher"} and act["at"]
    deactivated = {reader: next(a for a in acts if a["type"] == "CourierDeactivated") for reader, acts in seen.items()}
    assert deactivated["analyst"]["what"] == {"courier_id": aino, "reason": "back to her studies"}
    assert deactivated["courier"]["what"] == {"courier_id": aino}, "a note between dispatchers reached a courier"
    tariff = next(a for a in seen["courier"] if a["type"] == "CooperativeSettingsChanged")["what"]["changes"]["tariff"]
    assert tariff["to"]["base_cents"] == 900

    assert client.get("/v1/clients", headers=desk).json()["clients"][0]["revoked"] is True
    listed = {m["login"]: m for m in client.get("/v1/members", headers=desk).json()["members"]}
    assert listed["counting"] == {"id": listed["counting"]["id"], "name": "Counting", "role": "analyst",
                                  "login": "counting", "revoked": False}  # fmt: skip
    assert listed[world.dispatcher_login]["role"] == "dispatcher"
    for path in ("/v1/clients", "/v1/members"):
        assert client.get(path, headers=analyst).status_code == 403
        assert client.get(path, headers=phone).status_code == 403
    rotated = client.post(f"/v1/clients/{shop['id']}/key/rotate", headers=desk).json()["api_key"]
    shop_key = {"Authorization": f"Bearer {rotated}"}
    assert client.get("/v1/admin/log", headers=shop_key).status_code == 403, "a client is no member"
    assert client.get("/v1/admin/log?limit=2", headers=desk).json()["acts"][0]["type"] == "ClientKeyRotated"
    assert client.get("/v1/admin/log?limit=0", headers=desk).status_code == 422


def test_a_restore_s_note_of_an_erasure_is_a_code_said_in_the_reader_s_language(tmp_path: Path) -> None:
    """A restore erases again whoever an older backup brings back (issue 16); the note it leaves
    on the deactivation, the shift's end and the erasure is the code ``erased_again`` with the
    day of the erasure (issue 17: no English built in ``dispatch/``), said in French or English
    by the reader's ``Accept-Language`` at the admin log and the event log."""
    from datetime import UTC, datetime

    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings
    from dispatch import commands
    from dispatch.events import Actor, ActorKind
    from dispatch.store.access import deactivate_courier
    from dispatch.store.backup import backup, restore
    from dispatch.store.erasure import erase_courier
    from tests.api.harness import desk, make_world

    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world = make_world(url)
    aino = world.couriers["Aino"][0]
    store = Store.open(url)
    commands.start_shift(store, world.coop_id, aino, at=datetime.now(UTC))  # at work in the backup
    saved = backup(url, tmp_path / "before.backup")
    by = Actor(ActorKind.DISPATCHER, "desk")
    deactivate_courier(store, world.coop_id, aino, by=by, reason="moved away")
    erased = erase_courier(store, world.coop_id, aino, by=by, reason="her request")
    store.close()
    assert [e.event.payload["reason"] for e in restore(saved, url, replace=True)] == [
        {"code": "erased_again", "params": {"day": erased.event.at.date().isoformat()}}
    ]
    day = erased.event.at.date().isoformat()
    with TestClient(create_app(Settings(database_url=url, redis_url=None, auto_plan=False))) as client:
        headers = desk(client, world)
        said = {}
        for lang in ("fr", "en"):
            acts = client.get("/v1/admin/log", headers={**headers, "Accept-Language": lang}).json()["acts"]
            by_restore = {a["type"]: a["what"]["reason"] for a in acts if a["who"] == {
                "kind": "system", "id": "restore", "name": "restore"}}  # fmt: skip
            assert set(by_restore) == {"CourierDeactivated", "CourierErased"}, acts
            assert by_restore["CourierDeactivated"] == by_restore["CourierErased"], by_restore
            said[lang] = by_restore["CourierErased"]
            events = client.get("/v1/events", headers={**headers, "Accept-Language": lang}).json()["events"]
            [ended] = [e for e in events if e["type"] == "ShiftEnded" and e["actor"]["kind"] == "system"]
            assert ended["payload"]["reason"]["text"] == said[lang]["text"], ended
    assert said["fr"]["code"] == said["en"]["code"] == "erased_again"
    assert (
        said["fr"]["text"]
        == f"effacé·e le {day} ; effacé·e à nouveau après la restauration d'une sauvegarde plus ancienne"
    )
    assert said["en"]["text"] == f"erased on {day}; erased again after a restore brought back an older backup"
