"""Faults under load, through a real ``tandem serve``: nothing acknowledged is lost or doubled.

1. Deliveries from 16 concurrent clients while the server is killed with SIGKILL and restarted,
   the kills 40 deliveries apart: each client retries with its ``Idempotency-Key`` until it gets
   an answer (what a real integration does). Afterwards every delivery that got a 201 exists
   exactly once, the log has no gap, and folding the log gives the stored state. PostgreSQL
   (production's database) is killed twice, so a restart after a restart is met; SQLite once.
2. A reconnect storm: a hundred courier sockets drop at once and resume together while events
   keep coming; each gets exactly the events it missed, in order, and nothing twice.

The restarts, not the deliveries, take the time (several seconds each on a shared machine), so
the scale (480 deliveries through four kills on each database, 300 sockets in the storm) is
``benchmarks/bench_durability.py``, which runs these same functions and checks the same log.
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from dispatch.events import EventType
from dispatch.projections import fold
from dispatch.store import Store
from tests.api.harness import TLS, Server, Socket, World, delivery_body, login, override, start_with_world
from tests.api.test_resilience import _for_courier

#: Every client has a request in flight at each kill; throughput is measured in benchmarks/bench_api.py.
CLIENTS = 16
KILL_SPACING = 40


async def _post_until_answered(
    http: httpx.AsyncClient, url: str, index: int, restarting: asyncio.Event
) -> tuple[int, str]:
    """One client request, retried with the same key through every crash until it is answered."""
    body = delivery_body()
    while True:
        await restarting.wait()
        try:
            r = await http.post(f"{url}/v1/deliveries", json=body, headers={"Idempotency-Key": f"load-{index}"})
        except httpx.TransportError:
            await asyncio.sleep(0.05)
            continue
        # a crash breaks the connection; an answer, even an error, is final (a 5xx is a defect)
        assert r.status_code in (200, 201), r.text  # 200: a retry of a request already taken
        return r.status_code, str(r.json()["id"])


def deliveries_for(kills: int, spacing: int = KILL_SPACING) -> int:
    """Enough deliveries for ``kills`` kills ``spacing`` apart with load before the first and after the last."""
    return spacing * (kills + 2)


async def _load_with_kills(
    server: Server, client_key: str, deliveries: int, kills: int, spacing: int
) -> dict[int, tuple[int, str]]:
    answered: dict[int, tuple[int, str]] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(deliveries):
        queue.put_nowait(index)
    up = asyncio.Event()
    up.set()
    rng = random.Random(11)
    kill_at = sorted(rng.sample(range(spacing, deliveries - spacing, spacing), kills))

    async def client() -> None:
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {client_key}"}, timeout=30, verify=TLS) as http:
            while not queue.empty():
                index = queue.get_nowait()
                answered[index] = await _post_until_answered(http, server.url, index, up)

    async def killer() -> None:
        for mark in kill_at:
            while len(answered) < mark:
                await asyncio.sleep(0.01)
            server.kill()  # mid-stream: requests in flight get a broken connection
            up.clear()
            await asyncio.to_thread(server.start)
            up.set()

    await asyncio.gather(killer(), *(client() for _ in range(CLIENTS)))
    return answered


def _check_log(url: str, coop_id: str, answered: dict[int, tuple[int, str]], deliveries: int) -> None:
    store = Store.open(url)
    try:
        events = store.events(coop_id)
        requested = [str(e.payload["job_id"]) for e in events if e.type is EventType.JOB_REQUESTED]
        assert len(requested) == len(set(requested)) == deliveries  # each request exactly once
        ids = [job for _, job in answered.values()]
        assert len(set(ids)) == deliveries and set(ids) == set(requested)
        assert [e.seq for e in events] == list(range(1, len(events) + 1))  # no gap
        coop = store.cooperative(coop_id)
        folded = fold(events, timezone=ZoneInfo(coop.timezone), heavy_threshold_kg=coop.heavy_threshold_kg)
        assert folded.jobs == store.projection(coop_id).jobs
        assert folded.couriers == store.projection(coop_id).couriers
    finally:
        store.close()


def deliveries_through_kills(url: str, kills: int, spacing: int = KILL_SPACING) -> dict[str, float]:
    """Load ``url``'s server through ``kills`` SIGKILLs and check its log; returns the run's figures."""
    deliveries = deliveries_for(kills, spacing)
    # the load comes from one client key as fast as the server takes it: its rate limit is off
    server = Server(url, auto_plan="0", rate_limit_api_key="off")
    world = start_with_world(url, server)
    try:
        started = time.monotonic()
        answered = asyncio.run(_load_with_kills(server, world.client_key, deliveries, kills, spacing))
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    created = sum(1 for status, _ in answered.values() if status == 201)
    print(f"{deliveries} deliveries, {kills} SIGKILLs, {elapsed:.0f} s; {created} first answers were 201")
    _check_log(url, world.coop_id, answered, deliveries)
    return {"deliveries": deliveries, "kills": kills, "seconds": elapsed, "first_answers_201": created}


@pytest.mark.slow
def test_deliveries_survive_a_sigkill_on_sqlite(tmp_path: Path) -> None:
    """One kill: SQLite's own durability (WAL, a file left mid-write) under a restart; the
    repeated kills are met on PostgreSQL below and at scale in benchmarks/bench_durability.py."""
    deliveries_through_kills(f"sqlite:///{tmp_path / 'tandem.db'}", kills=1)


@pytest.mark.slow
def test_deliveries_survive_two_sigkills_on_postgresql(pg_url: str) -> None:
    """Two kills: a server restarted after a crash is crashed again and still loses nothing."""
    deliveries_through_kills(pg_url, kills=2)


COURIERS = 10  # each logs in (a password hash) before the storm
SOCKETS_PER_COURIER = 10  # 100 sockets: a courier's phone, tablet, a flaky network reconnecting...


async def _storm(server: Server, world: World, world_url: str, sockets_per_courier: int) -> None:
    people = [(world.dispatcher_login, world.dispatcher_password)] + [(u, p) for _, u, p in world.couriers.values()]
    desk, *courier_tokens = await asyncio.gather(
        *(asyncio.to_thread(login, server.url, world.coop_id, user, password) for user, password in people)
    )
    tokens = dict(zip((cid for cid, _, _ in world.couriers.values()), courier_tokens, strict=True))
    client = httpx.AsyncClient(headers={"Authorization": f"Bearer {world.client_key}"}, timeout=60, verify=TLS)

    async def give_a_job(cid: str) -> None:
        r = await client.post(f"{server.url}/v1/deliveries", json=delivery_body())
        assert r.status_code == 201, r.text
        await asyncio.to_thread(override, server.url, desk, str(r.json()["id"]), cid)

    async def give_each_courier_a_job() -> None:
        await asyncio.gather(*(give_a_job(cid) for cid in tokens))

    owners = [cid for cid in tokens for _ in range(sockets_per_courier)]
    opened = await asyncio.gather(*(Socket.open(f"{server.ws_url}/v1/courier/ws", tokens[cid]) for cid in owners))
    sockets = list(zip(owners, opened, strict=True))
    await give_each_courier_a_job()

    async def drain(sock: Socket) -> None:
        while True:
            try:
                await sock.next(timeout_s=1.0)
            except TimeoutError:
                return

    await asyncio.gather(*(drain(s) for _, s in sockets))
    # every socket drops at once, without a goodbye
    for _, sock in sockets:
        sock.conn.transport.abort()
    seen = [(cid, sock.last_seq, len(sock.messages)) for cid, sock in sockets]
    await give_each_courier_a_job()  # missed while away

    async def resume(cid: str, last_seq: int) -> Socket:
        return await Socket.open(f"{server.ws_url}/v1/courier/ws", tokens[cid], last_seq=last_seq)

    # all come back together while more jobs are given out
    resumed, _ = await asyncio.gather(
        asyncio.gather(*(resume(cid, last) for cid, last, _ in seen)), give_each_courier_a_job()
    )
    await asyncio.gather(*(drain(s) for s in resumed))
    store = Store.open(world_url)
    log = store.events(world.coop_id)
    store.close()
    for (cid, last, _), sock in zip(seen, resumed, strict=True):
        want = [s for s in _for_courier(log, cid) if s > last]
        got = [m["seq"] for m in sock.messages if m.get("type") == "event"]
        assert got == want, (cid, last, got, want)
        assert len(want) >= 2  # the job given while it was away and the one while it came back
    await asyncio.gather(*(s.close() for s in resumed))
    await client.aclose()


def reconnect_storm(url: str, couriers: int = COURIERS, sockets_per_courier: int = SOCKETS_PER_COURIER) -> float:
    """The storm on a fresh server at ``url``; returns its seconds (the server's start excluded)."""
    server = Server(url, auto_plan="0")
    world = start_with_world(url, server, riders=tuple((f"Rider{i:02d}", "bike") for i in range(couriers - 2)))
    try:
        started = time.monotonic()
        asyncio.run(_storm(server, world, url, sockets_per_courier))
        return time.monotonic() - started
    finally:
        server.stop()


def test_a_reconnect_storm_loses_and_repeats_nothing(tmp_path: Path) -> None:
    reconnect_storm(f"sqlite:///{tmp_path / 'tandem.db'}")
