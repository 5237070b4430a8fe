"""``tandem demo``: a living day on the default city, with one command.

It starts the real server on a fresh demo database, sets up the demo cooperative from
``data/demo_coop.json`` (couriers on bikes and cargo bikes, clients, a tariff with a solidarity
rate), prints where to log in, and lets simulated people live a day through the public API:
clients post requests (a generated day, its arrivals compressed by ``--speed``), couriers on
their sockets acknowledge, ride at the planner's ETAs divided by the speed, now and then decline
with a reason, and report pickups and deliveries. The dispatcher is *you*, in the console;
``--auto-accept`` lets a simulated dispatcher accept proposals for a hands-free day.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from api.app import create_app
from api.settings import Settings
from dispatch.days import generate_day
from dispatch.model import Role, Vehicle
from dispatch.store import Store
from dispatch.store.access import set_courier_login
from routing.matrix import routable_graph
from routing.network import data_dir, open_city

DATA = Path(__file__).resolve().parents[1] / "data"


def set_up(url: str) -> dict[str, Any]:
    """The demo cooperative, its people and their credentials (printed once)."""
    spec = json.loads((DATA / "demo_coop.json").read_text(encoding="utf-8"))
    store = Store.open(url)
    try:
        coop = store.create_cooperative(
            spec["name"],
            timezone=spec["timezone"],
            fairness_weight=spec["fairness_weight"],
            heavy_threshold_kg=spec["heavy_threshold_kg"],
            settings={"tariff": spec["tariff"], "fairness_riding_budget": spec.get("fairness_riding_budget")},
        )
        _, desk_password = store.add_member(
            coop.id, Role.DISPATCHER, spec["dispatcher"]["name"], spec["dispatcher"]["login"]
        )
        couriers = []
        for c in spec["couriers"]:
            courier = store.add_courier(coop.id, c["name"], Vehicle.of_kind(c["vehicle"]))
            couriers.append(
                {
                    "id": courier.id,
                    "name": c["name"],
                    "login": c["login"],
                    "password": set_courier_login(store, coop.id, courier.id, c["login"]),
                }
            )
        clients = []
        for c in spec["clients"]:
            client, key = store.add_client(coop.id, c["name"], solidarity=c["solidarity"])
            clients.append({"name": client.name, "key": key})
    finally:
        store.close()
    return {
        "coop": coop.id,
        "name": spec["name"],
        "dispatcher": {"login": spec["dispatcher"]["login"], "password": desk_password},
        "couriers": couriers,
        "clients": clients,
    }


class Demo:
    def __init__(
        self, base: str, people: dict[str, Any], *, speed: float, requests: int, seed: int, auto_accept: float | None
    ) -> None:
        self.base, self.people, self.speed, self.n, self.auto_accept = base, people, speed, requests, auto_accept
        self.rng = random.Random(seed)
        self.seed = seed
        self.ws = base.replace("http", "ws", 1)

    async def login(self, http: httpx.AsyncClient, user: str, password: str) -> str:
        r = await http.post(
            "/v1/auth/login", json={"cooperative_id": self.people["coop"], "login": user, "password": password}
        )
        r.raise_for_status()
        return str(r.json()["token"])

    async def clients(self, http: httpx.AsyncClient) -> None:
        network = open_city(None)
        graph = routable_graph(network, "bike")
        points = [(float(network.lon[n]), float(network.lat[n])) for n in graph.nodes.tolist()]
        start = datetime.now(UTC).replace(microsecond=0)
        day = generate_day(points, start=start, hours=3, requests=self.n, seed=self.seed)
        began = time.monotonic()
        for item in day.requests:
            delay = (item.request_time - start).total_seconds() / self.speed - (time.monotonic() - began)
            await asyncio.sleep(max(0.0, delay))
            key = self.rng.choice(self.people["clients"])["key"]
            body = item.request.to_json()
            await http.post(
                "/v1/deliveries",
                json=body,
                headers={"Authorization": f"Bearer {key}", "Idempotency-Key": f"demo-{item.id}"},
            )

    async def courier(self, http: httpx.AsyncClient, who: dict[str, Any]) -> None:
        token = await self.login(http, who["login"], who["password"])
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        async with connect(f"{self.ws}/v1/courier/ws") as ws:
            await ws.send(json.dumps({"type": "hello", "token": token, "last_seq": 0}))
            await ws.recv()
            await ws.send(json.dumps({"type": "shift_start", "id": f"start-{who['login']}", "data": {}}))

            async def act(kind: str, job_id: str, **data: Any) -> None:
                await ws.send(json.dumps({"type": kind, "id": f"{kind}-{job_id}", "data": {"job_id": job_id, **data}}))

            async def ride() -> None:
                while True:
                    job = await queue.get()
                    await asyncio.sleep(2)
                    if self.rng.random() < 0.05:
                        await act(
                            "decline",
                            job["id"],
                            reason=self.rng.choice(["flat tyre", "too heavy for me today", "chain broke"]),
                        )
                        continue
                    await act("acknowledge", job["id"])
                    now = datetime.now(UTC)
                    pickup = datetime.fromisoformat(job["pickup_eta"]) if job.get("pickup_eta") else None
                    dropoff = datetime.fromisoformat(job["dropoff_eta"]) if job.get("dropoff_eta") else None
                    to_pickup = (pickup - now).total_seconds() if pickup else 600
                    to_dropoff = (dropoff - pickup).total_seconds() if pickup and dropoff else 900
                    await asyncio.sleep(max(3.0, to_pickup / self.speed))
                    await act("picked_up", job["id"])
                    await asyncio.sleep(max(3.0, to_dropoff / self.speed))
                    await act("delivered", job["id"])

            rider = asyncio.create_task(ride())
            try:
                async for raw in ws:
                    message = json.loads(raw)
                    data = message.get("data", {})
                    if (
                        message.get("type") == "event"
                        and data.get("job")
                        and data["payload"].get("courier_id") == who["id"]
                    ):
                        await queue.put(data["job"])
            except ConnectionClosed:
                pass  # the server ended this courier's session (deactivated, logged out): the day goes on
            finally:
                rider.cancel()

    async def dispatcher(self, http: httpx.AsyncClient) -> None:
        assert self.auto_accept is not None
        token = await self.login(http, self.people["dispatcher"]["login"], self.people["dispatcher"]["password"])
        auth = {"Authorization": f"Bearer {token}"}
        while True:
            await asyncio.sleep(max(1.0, self.auto_accept))
            jobs = (await http.get("/v1/jobs?state=open", headers=auth)).json()["jobs"]
            for job in jobs:
                if job["state"] == "proposed":
                    await http.post(
                        f"/v1/jobs/{job['id']}/decisions",
                        json={"action": "accept", "expected_seq": job["last_seq"]},
                        headers=auth,
                    )

    async def run(self, exit_after: float | None) -> None:
        async with httpx.AsyncClient(base_url=self.base, timeout=60) as http:
            tasks = [asyncio.create_task(self.courier(http, c)) for c in self.people["couriers"]]
            await asyncio.sleep(1.0)
            tasks.append(asyncio.create_task(self.clients(http)))
            if self.auto_accept is not None:
                tasks.append(asyncio.create_task(self.dispatcher(http)))
            try:
                if exit_after is None:
                    await asyncio.gather(*tasks)
                else:
                    await asyncio.sleep(exit_after)
            finally:
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_demo(
    *,
    host: str,
    port: int,
    speed: float,
    requests: int,
    seed: int,
    auto_accept: float | None,
    exit_after: float | None,
    say: Any,
) -> None:
    # One file per port: two demos on one machine (on two ports) never share or delete each
    # other's day; a demo started again on the same port starts a fresh day.
    path = data_dir() / f"demo-{port}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)  # every demo starts a fresh day
    url = f"sqlite:///{path}"
    people = set_up(url)
    settings = Settings(database_url=url, redis_url=None, planning_budget_s=1.0, plan_debounce_s=1.0, feed_poll_s=1.0)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start on {host}:{port} (is the port free?)")
        time.sleep(0.1)
    base = f"http://{host}:{port}"
    say(people, base)
    # SIGTERM (systemd, a container runtime) stops the demo as Ctrl-C does: the server shuts
    # down cleanly (sockets closed, the planner stopped) instead of the process just ending.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        asyncio.run(
            Demo(base, people, speed=speed, requests=requests, seed=seed, auto_accept=auto_accept).run(exit_after)
        )
    except KeyboardInterrupt:
        pass
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            thread.join(timeout=15)
