"""``tandem serve --workers 2`` on one SQLite file: the workers' appends interleave without a gap
or a double, and a socket on either worker hears an act made on the other."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx

from dispatch.store import Store
from tests.api.harness import TLS, Server, Socket, delivery_body, event_type, login, start_with_world


def test_two_workers_share_one_sqlite_file_and_their_sockets_hear_each_other(tmp_path: Path, redis_url: str) -> None:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    server = Server(url, redis_url=redis_url, auto_plan="0", workers="2", rate_limit_api_key="off")
    world = start_with_world(url, server)
    _, courier_login, password = world.couriers["Aino"]
    try:

        async def create(n: int) -> list[str]:
            headers = {"Authorization": f"Bearer {world.client_key}"}
            bodies = [delivery_body(weight_kg=1 + i % 9) for i in range(n)]

            async def one(i: int) -> httpx.Response:
                # a connection of its own each time, so that both workers take requests
                async with httpx.AsyncClient(base_url=server.url, timeout=60, verify=TLS) as client:
                    return await client.post(
                        "/v1/deliveries", json=bodies[i], headers={**headers, "Idempotency-Key": f"w-{i}"}
                    )

            answers = await asyncio.gather(*(one(i) for i in range(n)))
            assert [r.status_code for r in answers] == [201] * n, [r.text for r in answers if r.status_code != 201]
            retry = await one(0)  # a retry, on whichever worker, makes no second job
            assert retry.status_code == 200 and retry.json()["id"] == answers[0].json()["id"]
            return [str(r.json()["id"]) for r in answers]

        ids = asyncio.run(create(120))
        store = Store.open(url, migrate=False)
        try:
            events = store.events(world.coop_id)
            assert [e.seq for e in events] == list(range(1, len(events) + 1))
            assert sorted(str(e.payload["job_id"]) for e in events) == sorted(ids)
        finally:
            store.close()

        async def hear_across_workers() -> None:
            token = login(server.url, world.coop_id, courier_login, password)
            # enough sockets that both workers hold some; each must hear the one act
            sockets = [await Socket.open(f"{server.ws_url}/v1/courier/ws", token) for _ in range(8)]
            actor = sockets[0]
            assert (await actor.act("shift_start", f"s-{uuid.uuid4().hex[:6]}"))["type"] == "result"
            for sock in sockets:
                await sock.until(lambda m: event_type(m) == "ShiftStarted", timeout_s=1.5)  # under the 2 s poll
            for sock in sockets:
                await sock.close()

        asyncio.run(hear_across_workers())
    finally:
        server.stop()
