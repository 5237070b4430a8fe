"""Servers die and sockets drop: nothing is lost, nothing is repeated."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from dispatch.events import Event, EventType
from dispatch.store import Store
from tests.api.harness import (
    Receiver,
    Server,
    Socket,
    create_delivery,
    event_type,
    login,
    override,
    start_with_world,
)
from tests.api.test_end_to_end import full_flow


def _for_courier(events: list[Event], courier_id: str) -> list[int]:
    """Independently of the server's filter: what a courier must see, by seq."""
    return [
        e.seq
        for e in events
        if e.type not in (EventType.PROPOSAL_MADE, EventType.COURIER_POSITION_SHARED)
        and courier_id in (e.payload.get("courier_id"), e.payload.get("previous_courier_id"))
    ]


def test_after_kill_9_a_courier_resumes_with_exactly_the_events_missed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    server = Server(url, auto_plan="0")
    world = start_with_world(url, server)
    aino, login_name, password = world.couriers["Aino"]
    try:

        async def before_the_crash() -> tuple[int, int]:
            token = login(server.url, world.coop_id, login_name, password)
            desk = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
            sock = await Socket.open(f"{server.ws_url}/v1/courier/ws", token)
            console = await Socket.open(f"{server.ws_url}/v1/console/ws", desk)
            assert (await sock.act("shift_start", "s1"))["type"] == "result"
            job = await asyncio.to_thread(create_delivery, server.url, world)
            await asyncio.to_thread(override, server.url, desk, job, aino)
            await sock.until(lambda m: event_type(m) == "JobOverridden")
            await console.until(lambda m: event_type(m) == "JobOverridden")
            # one more decision, and the server dies at once: the socket may or may not have it
            second = await asyncio.to_thread(create_delivery, server.url, world)
            await asyncio.to_thread(override, server.url, desk, second, aino)
            server.kill()
            for s in (sock, console):
                try:
                    while True:
                        await s.next(timeout_s=5)
                except Exception:  # closed by the crash
                    pass
            return sock.last_seq, console.last_seq

        courier_seq, console_seq = asyncio.run(before_the_crash())
        server.start()
        desk = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        missed_jobs = [create_delivery(server.url, world) for _ in range(2)]
        for job in missed_jobs:
            override(server.url, desk, job, aino)

        async def after_restart() -> tuple[list[int], list[int]]:
            token = login(server.url, world.coop_id, login_name, password)
            sock = await Socket.open(f"{server.ws_url}/v1/courier/ws", token, last_seq=courier_seq)
            console = await Socket.open(f"{server.ws_url}/v1/console/ws", desk, last_seq=console_seq)
            store = Store.open(url)
            log = store.events(world.coop_id)
            store.close()
            want_courier = [s for s in _for_courier(log, aino) if s > courier_seq]
            want_console = [e.seq for e in log if e.seq > console_seq]
            got_courier = [(await sock.next(10))["seq"] for _ in want_courier]
            got_console = [(await console.next(10))["seq"] for _ in want_console]

            async def nothing_more(s: Socket) -> None:
                with pytest.raises(TimeoutError):
                    await s.next(timeout_s=1.5)
                await s.close()

            await asyncio.gather(nothing_more(sock), nothing_more(console))  # both listen at once
            assert want_courier == got_courier and want_console == got_console
            return got_courier, want_courier

        got, _ = asyncio.run(after_restart())
        assert len(got) >= 2  # at least the two decisions made while it was away
    finally:
        server.stop()


@pytest.mark.slow
def test_two_servers_share_postgresql_and_redis(pg_url: str, redis_url: str) -> None:
    """The client talks to one server; the courier's socket is held by the other."""
    first, second = Server(pg_url, redis_url=redis_url), Server(pg_url, redis_url=redis_url)
    receiver = Receiver()
    try:
        world = start_with_world(pg_url, first, second)  # the two start side by side
        asyncio.run(full_flow(first.url, second.ws_url, first.ws_url, world, receiver))
    finally:
        receiver.close()
        first.stop()
        second.stop()
