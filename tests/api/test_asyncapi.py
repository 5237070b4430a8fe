"""What the sockets say is what ``/asyncapi.json`` says (issue 16).

A real server lives a short day through its two sockets: a courier says hello (once with a bad
token), starts a shift with a break, acknowledges, declines, is given the job again, shares a
position, picks up, delivers (and resends), fails another delivery, sees a third taken back,
pauses, resumes, ends the shift, resumes a second socket from a seq, sends malformed frames, and
is logged out; a dispatcher's console streams it all. Every message the server sent is
validated against the schema the document gives its type on that socket, and a type the
document does not list there fails; every message the test sent is validated against the
document too, so a client written from it says what the server takes.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.api.harness import Server, Socket, World, delivery_body, event_type, login, start_with_world

CHANNELS = {"console": "/v1/console/ws", "courier": "/v1/courier/ws"}


class Document:
    """An AsyncAPI 3 document read as a client would: per channel, what each side may send."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.schemas = doc["components"]["schemas"]

    def _message(self, ref: str) -> tuple[str, dict[str, Any]]:
        """The message a ``#/channels/<c>/messages/<m>`` reference names: its type and payload."""
        _, _, channel, _, name = ref.split("/")
        target = self.doc["channels"][channel]["messages"][name]["$ref"].split("/")[-1]
        payload = self.doc["components"]["messages"][target]["payload"]
        kind = self.schemas[payload["$ref"].split("/")[-1]]["properties"]["type"]["const"]
        return kind, payload

    def by(self, side: str, channel: str) -> dict[str, dict[str, Any]]:
        """The payload schema of each message type ``side`` ("server" or "client") sends on ``channel``."""
        found: dict[str, dict[str, Any]] = {}
        for op in self.doc["operations"].values():
            if op["channel"]["$ref"] != f"#/channels/{channel}":
                continue
            server_sends = op["action"] == "send"
            refs = [m["$ref"] for m in op["messages"]] if server_sends == (side == "server") else []
            if "reply" in op and side == "server":
                refs += [m["$ref"] for m in op["reply"]["messages"]]
            for ref in refs:
                name = ref.rsplit("/", 1)[-1]
                if name in self.doc["channels"][channel]["messages"]:  # a dangling reference names nothing
                    kind, payload = self._message(ref)
                    found[kind] = payload
        return found

    def problems(self, side: str, channel: str, message: dict[str, Any]) -> list[str]:
        payload = self.by(side, channel).get(message.get("type"))  # type: ignore[arg-type]
        if payload is None:
            return [f"{channel}: the {side} sent a {message.get('type')!r}, a type the document does not list"]
        schema = {**payload, "components": {"schemas": self.schemas}}
        validator = jsonschema_rs.validator_for(schema)
        return [f"{channel} {message['type']} {e.instance_path}: {e.message}" for e in validator.iter_errors(message)]

    def without(self, channel: str, kind: str) -> Document:
        """This document with the message of type ``kind`` gone from ``channel``."""
        doc = copy.deepcopy(self.doc)
        for name in list(doc["channels"][channel]["messages"]):
            if self._message(f"#/channels/{channel}/messages/{name}")[0] == kind:
                del doc["channels"][channel]["messages"][name]
        return Document(doc)


@dataclass
class Seen:
    """Every message of the day, by channel and side, and the close codes the server used."""

    server: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {c: [] for c in CHANNELS})
    client: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {c: [] for c in CHANNELS})
    closes: list[int] = field(default_factory=list)

    async def act(self, sock: Socket, kind: str, key: str, **data: Any) -> dict[str, Any]:
        self.client["courier"].append({"type": kind, "id": key, "data": data})
        return await sock.act(kind, key, **data)

    async def ping(self, sock: Socket, channel: str, key: str | int) -> None:
        self.client[channel].append({"type": "ping", "id": key})
        await sock.conn.send(json.dumps({"type": "ping", "id": key}))
        await sock.until(lambda m: m["type"] == "pong" and m["id"] == key)

    async def open(self, channel: str, url: str, token: str, last_seq: int = 0) -> Socket:
        self.client[channel].append({"type": "hello", "token": token, "last_seq": last_seq})
        return await Socket.open(url, token, last_seq)

    async def ended(self, sock: Socket, channel: str) -> None:
        """Read until the server closes the socket; keep what it said and its close code."""
        with pytest.raises(ConnectionClosed):
            while True:
                await sock.next(10)
        assert sock.conn.close_code is not None
        self.closes.append(sock.conn.close_code)
        self.server[channel].extend(sock.messages)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, World]]:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    server = Server(url, planning_budget_s="0.5")
    world = start_with_world(url, server)
    try:
        yield server, world
    finally:
        server.stop()


async def _refused_hello(ws: str, seen: Seen) -> None:
    """A wrong token: an error, then a policy close."""
    async with connect(f"{ws}{CHANNELS['courier']}") as conn:
        hello = {"type": "hello", "token": "tds_not-a-session", "last_seq": 0}
        seen.client["courier"].append(hello)
        await conn.send(json.dumps(hello))
        seen.server["courier"].append(json.loads(await conn.recv()))
        with pytest.raises(ConnectionClosed):
            await conn.recv()
        assert conn.close_code is not None
        seen.closes.append(conn.close_code)


async def _malformed(rider: Socket) -> None:
    """Frames no client written from the document sends: each gets an error, the socket stays."""
    for frame in (
        json.dumps({"type": "fly", "id": "bad-1"}),
        json.dumps({"type": "acknowledge", "data": {"job_id": "x"}}),
        "not json",
        "x" * 70_000,
        b"\x00\x01",
    ):
        await rider.conn.send(frame)
        answer = await rider.until(lambda m: m["type"] == "error")
        assert answer["code"] in ("bad_message", "too_large"), answer


async def _deliveries(api: httpx.AsyncClient, world: World, desk: dict[str, str], n: int) -> list[str]:
    shop = {"Authorization": f"Bearer {world.client_key}"}
    jobs = []
    for _ in range(n):
        created = await api.post("/v1/deliveries", json=delivery_body(), headers=shop)
        assert created.status_code == 201, created.text
        jobs.append(created.json()["id"])
    return jobs


async def _day(server: Server, world: World, seen: Seen) -> None:
    api = httpx.AsyncClient(base_url=server.url, timeout=30)
    desk_token = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
    desk = {"Authorization": f"Bearer {desk_token}"}
    aino, user, password = world.couriers["Aino"]
    token = login(server.url, world.coop_id, user, password)
    ws = server.ws_url

    async def decide(job: str, action: str, courier: str | None = None) -> None:
        answer = await api.post(
            f"/v1/jobs/{job}/decisions", json={"action": action, "courier_id": courier}, headers=desk
        )
        assert answer.status_code == 200, answer.text

    await _refused_hello(ws, seen)
    console = await seen.open("console", f"{ws}{CHANNELS['console']}", desk_token)
    rider = await seen.open("courier", f"{ws}{CHANNELS['courier']}", token)
    now = datetime.now(UTC)
    brk = {"earliest": (now + timedelta(hours=2)).isoformat(), "latest": (now + timedelta(hours=4)).isoformat()}
    started = await seen.act(
        rider,
        "shift_start",
        "start",
        planned_end=(now + timedelta(hours=8)).isoformat(),
        breaks=[{**brk, "minutes": 30}],
    )
    assert started["type"] == "result", started
    await seen.ping(rider, "courier", "p-1")
    await _malformed(rider)
    assert (await seen.act(rider, "acknowledge", "no-such", job_id="no-such-job"))["code"] == "not_found"

    one, two, three = await _deliveries(api, world, desk, 3)
    await decide(one, "override", aino)
    await rider.until(lambda m: event_type(m) == "JobOverridden" and m["data"]["job"]["id"] == one)
    for kind, key, data in (("acknowledge", "ack-1", {}), ("decline", "no-1", {"reason": "a flat tyre"})):
        assert (await seen.act(rider, kind, key, job_id=one, **data))["type"] == "result"
    await decide(one, "override", aino)
    await rider.until(lambda m: event_type(m) == "JobOverridden" and m["seq"] > rider.last_seq - 1)
    middle = rider.last_seq
    assert (await seen.act(rider, "acknowledge", "ack-2", job_id=one))["type"] == "result"
    shared = await seen.act(rider, "position", "pos-1", job_id=one, lon=24.94, lat=60.17)
    assert shared == {"type": "result", "id": "pos-1", "seq": None}
    assert (await seen.act(rider, "picked_up", "up-1", job_id=one))["type"] == "result"
    done = await seen.act(rider, "delivered", "done-1", job_id=one, carried_m=900.0)
    assert await seen.act(rider, "delivered", "done-1", job_id=one, carried_m=900.0) == done  # a resend: same answer

    await decide(two, "override", aino)
    for kind, key in (("acknowledge", "ack-3"), ("picked_up", "up-3")):
        assert (await seen.act(rider, kind, key, job_id=two))["type"] == "result"
    assert (await seen.act(rider, "failed", "fail-3", job_id=two, reason="nobody home"))["type"] == "result"
    await decide(three, "override", aino)
    await decide(three, "unassign")
    await rider.until(lambda m: event_type(m) == "JobUnassigned")
    for kind in ("shift_pause", "shift_resume"):
        assert (await seen.act(rider, kind, kind))["type"] == "result"

    again = await seen.open("courier", f"{ws}{CHANNELS['courier']}", token, last_seq=middle)  # a resume
    await again.until(lambda m: m.get("seq") == rider.last_seq)
    ended = await seen.act(rider, "shift_end", "end")
    assert ended["type"] == "result"
    await console.conn.send(json.dumps({"type": "acknowledge", "id": "c-1", "data": {"job_id": one}}))
    assert (await console.until(lambda m: m["type"] == "error"))["code"] == "bad_message"
    await seen.ping(console, "console", 7)
    if console.last_seq < ended["seq"]:  # the console streams the whole day, the shift's end included
        await console.until(lambda m: m.get("seq", 0) >= ended["seq"])
    seen.server["console"].extend(console.messages)
    await console.close()

    assert (await api.post("/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})).status_code == 204
    for sock in (rider, again):
        await seen.ended(sock, "courier")
    await api.aclose()


def test_every_socket_message_of_a_day_is_what_asyncapi_json_says(served: tuple[Server, World]) -> None:
    server, world = served
    published = httpx.get(f"{server.url}/asyncapi.json")
    assert published.status_code == 200 and published.json()["asyncapi"].startswith("3.")  # no credentials needed
    doc = Document(published.json())
    assert {c["address"] for c in doc.doc["channels"].values()} == set(CHANNELS.values())
    seen = Seen()
    asyncio.run(_day(server, world, seen))

    problems = [
        problem
        for side, log in (("server", seen.server), ("client", seen.client))
        for channel, messages in log.items()
        for message in messages
        for problem in doc.problems(side, channel, message)
    ]
    assert not problems, "\n".join(problems[:20])
    for channel in CHANNELS:  # every message the document lists was exchanged on the day
        assert set(doc.by("server", channel)) == {m["type"] for m in seen.server[channel]}, channel
    assert set(doc.by("client", "courier")) == {m["type"] for m in seen.client["courier"]}
    assert {m["code"] for m in seen.server["courier"] if m["type"] == "error"} >= {"unauthenticated", "session_ended"}
    close_codes = {str(c) for channel in doc.doc["channels"].values() for c in channel["x-close-codes"]}
    assert seen.closes and {str(c) for c in seen.closes} <= close_codes
    # the check can fail: with any message gone from the document, what the day sent is refused
    for channel, messages in seen.server.items():
        for kind in {m["type"] for m in messages}:
            smaller = doc.without(channel, kind)
            assert any(smaller.problems("server", channel, m) for m in messages), (channel, kind)


def test_the_document_refuses_an_undocumented_field_a_missing_payload_key_and_a_hidden_event() -> None:
    """Guards the guard: the schemas are closed, and each event type's payload keys are known."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    client = TestClient(create_app(Settings(database_url="sqlite://", redis_url=None, public_url="https://x.example")))
    published = client.get("/asyncapi.json").json()
    assert published["servers"]["tandem"] == {"host": "x.example", "protocol": "wss"}
    doc = Document(published)
    actor = {"kind": "courier", "id": "c-1"}
    data = {"seq": 3, "id": "e-3", "type": "CourierDeclined", "at": "2026-12-06T10:00:00+00:00", "actor": actor}
    event = {"type": "event", "seq": 3, "id": "e-3", "data": {**data, "payload": {"job_id": "j", "reason": "r"}}}
    assert doc.problems("server", "console", event) == []
    assert doc.problems("server", "courier", event) == []
    assert doc.problems("server", "console", {**event, "rating": 5})  # a field the document does not name
    assert doc.problems("server", "console", {**event, "data": {**data, "payload": {"job_id": "j"}}})  # no reason
    hidden = {**event, "data": {**data, "type": "ProposalMade", "payload": {"job_id": "j", "courier_id": "c"}}}
    assert doc.problems("server", "console", hidden) == []
    assert doc.problems("server", "courier", hidden)  # a proposal is not for the courier's socket
    assert doc.problems("client", "courier", {"type": "decline", "id": "d-1", "data": {"job_id": "j"}})  # no reason
    assert doc.problems("client", "console", {"type": "decline", "id": "d-1", "data": {"job_id": "j", "reason": "r"}})
