"""A real Tandem server in a subprocess, real sockets, a real webhook receiver: for end-to-end tests."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from dispatch.model import Role, Vehicle
from dispatch.store import Store
from dispatch.store.access import set_courier_login

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

TANDEM = str(Path(sys.executable).parent / "tandem")
#: One TLS context for every HTTP client the harness makes: httpx builds a new one (loading the CA
#: bundle, ~25 ms of CPU) for each client otherwise, and the tests' requests are plain HTTP anyway.
TLS = ssl.create_default_context()
#: How often a starting server is asked whether it is ready (a refused connection costs nothing).
READY_POLL_S = 0.05


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``tandem serve`` on a free port; start, kill -9, start again on the same port."""

    def __init__(self, database_url: str, *, redis_url: str | None = None, **settings: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        self.env.update(
            DATABASE_URL=database_url,
            TANDEM_WEBHOOK_ALLOW_HTTP="1",
            TANDEM_WEBHOOK_POLL_S="0.2",
            TANDEM_PLAN_DEBOUNCE_S="0.1",
            **{f"TANDEM_{k.upper()}": v for k, v in settings.items()},
        )
        if redis_url:
            self.env["REDIS_URL"] = redis_url
        self.process: subprocess.Popen[bytes] | None = None
        self.log_level = "warning"
        self.log = Path(os.environ.get("TMPDIR", "/tmp")) / f"tandem-test-server-{self.port}.log"

    def start(self, timeout_s: float = 90.0) -> Server:
        self.launch()
        return self.ready(timeout_s)

    def launch(self) -> None:
        """Start the process without waiting: several servers then start side by side."""
        with self.log.open("ab") as handle:
            self.process = subprocess.Popen(
                [TANDEM, "serve", "--port", str(self.port), "--log-level", self.log_level],
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def ready(self, timeout_s: float = 90.0) -> Server:
        """Wait until the launched server answers ``/readyz`` (or fail with its log)."""
        assert self.process is not None, "launch() first"
        deadline = time.monotonic() + timeout_s
        with httpx.Client(verify=TLS, timeout=1.0) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited with {self.process.returncode}: {self.log.read_text()[-3000:]}")
                try:
                    if http.get(f"{self.url}/readyz").status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                time.sleep(READY_POLL_S)
        raise RuntimeError(f"server not ready after {timeout_s} s: {self.log.read_text()[-3000:]}")

    @property
    def pid(self) -> int | None:
        """The worker's process id while it runs (with one worker, the process that answers)."""
        return self.process.pid if self.process is not None and self.process.poll() is None else None

    def kill(self) -> None:
        """SIGKILL the whole process group (the API worker and its planner process)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class World:
    """One cooperative with two couriers (a bike and a cargo bike), a client and a dispatcher."""

    coop_id: str
    client_key: str
    dispatcher_login: str
    dispatcher_password: str
    couriers: dict[str, tuple[str, str, str]]  #: name -> (id, login, password)
    other_coop: dict[str, Any] = field(default_factory=dict)


def make_world(database_url: str, name: str = "Pyörä Osuuskunta", riders: tuple[tuple[str, str], ...] = ()) -> World:
    store = Store.open(database_url)
    try:
        coop = store.create_cooperative(name, fairness_weight=0.5)
        couriers = {}
        for display, kind in (("Aino", "bike"), ("Veera", "cargo_bike"), *riders):
            c = store.add_courier(coop.id, display, Vehicle.of_kind(kind))
            login = f"{display.lower()}-{coop.id[:6]}"
            couriers[display] = (c.id, login, set_courier_login(store, coop.id, c.id, login))
        _, key = store.add_client(coop.id, "Kukkakauppa")
        _, password = store.add_member(coop.id, Role.DISPATCHER, "Dispatcher", f"desk-{coop.id[:6]}")
    finally:
        store.close()
    return World(coop.id, key, f"desk-{coop.id[:6]}", password, couriers)


def start_with_world(database_url: str, *servers: Server, **world: Any) -> World:
    """Start the servers and make their world meanwhile (``make_world``'s arguments).

    The schema is migrated first, so that a server and the world never migrate at once; then
    the servers' imports (seconds of CPU) run beside the world's password hashing.
    """
    Store.open(database_url).close()
    for server in servers:
        server.launch()
    try:
        made = make_world(database_url, **world)
        for server in servers:
            server.ready()
    except BaseException:
        for server in servers:
            server.kill()
        raise
    return made


def login(base_url: str, coop_id: str, user: str, password: str) -> str:
    r = httpx.post(
        f"{base_url}/v1/auth/login",
        json={"cooperative_id": coop_id, "login": user, "password": password},
        verify=TLS,
    )
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def delivery_body(minutes_from_now: int = 0, weight_kg: float = 4.0) -> dict[str, Any]:
    """Central Helsinki: railway square to the market square, windows over the next hours."""
    now = datetime.now(UTC) + timedelta(minutes=minutes_from_now)
    return {
        "pickup": {"lon": 24.9414, "lat": 60.1710, "address": "Rautatientori"},
        "dropoff": {"lon": 24.9525, "lat": 60.1675, "address": "Kauppatori"},
        "pickup_window": {"start": now.isoformat(), "end": (now + timedelta(hours=2)).isoformat()},
        "dropoff_window": {"start": now.isoformat(), "end": (now + timedelta(hours=3)).isoformat()},
        "parcels": [{"weight_kg": weight_kg, "volume_l": 10, "longest_side_cm": 40}],
    }


def create_delivery(base: str, world: World, weight_kg: float = 4.0) -> str:
    """A client asks for a delivery; returns its id."""
    r = httpx.post(
        f"{base}/v1/deliveries",
        json=delivery_body(weight_kg=weight_kg),
        headers={"Authorization": f"Bearer {world.client_key}"},
        timeout=30,
        verify=TLS,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def override(base: str, token: str, job_id: str, courier_id: str) -> None:
    """A dispatcher gives a job to a courier, forced with a reason: these tests give work to
    couriers whether or not they started their shift (an override to a courier not riding is
    refused unless forced: tests/api/test_override_off_shift.py proves that)."""
    r = httpx.post(
        f"{base}/v1/jobs/{job_id}/decisions",
        json={"action": "override", "courier_id": courier_id, "reason": "test", "force": True},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
        verify=TLS,
    )
    assert r.status_code == 200, r.text


class Receiver:
    """A local HTTP server standing in for a client's webhook endpoint."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.received.append((dict(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        # polled every 50 ms, not 0.5 s: close() waits for the loop to see the shutdown
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def types(self) -> list[str]:
        return [json.loads(body)["type"] for _, body in self.received]

    def close(self) -> None:
        self.server.shutdown()


class Socket:
    """A socket client that keeps every message it receives and remembers the last seq."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self.messages: list[dict[str, Any]] = []
        self.last_seq = 0

    @classmethod
    async def open(cls, url: str, token: str, last_seq: int = 0) -> Socket:
        conn = await connect(url, open_timeout=10)
        await conn.send(json.dumps({"type": "hello", "token": token, "last_seq": last_seq}))
        sock = cls(conn)
        sock.last_seq = last_seq
        welcome = await sock.next()
        assert welcome["type"] == "welcome", welcome
        return sock

    async def next(self, timeout_s: float = 30.0) -> dict[str, Any]:
        message = json.loads(await asyncio.wait_for(self.conn.recv(), timeout=timeout_s))
        self.messages.append(message)
        if message.get("type") == "event":
            assert message["seq"] > self.last_seq, f"seq went back: {message['seq']} after {self.last_seq}"
            self.last_seq = message["seq"]
        return message  # type: ignore[no-any-return]

    async def until(self, predicate: Any, timeout_s: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching message; got {self.messages[-5:]}")
            message = await self.next(remaining)
            if predicate(message):
                return message

    async def act(self, kind: str, msg_id: str, **data: Any) -> dict[str, Any]:
        await self.conn.send(json.dumps({"type": kind, "id": msg_id, "data": data}))
        return await self.until(lambda m: m.get("id") == msg_id and m["type"] in ("result", "error"))

    async def close(self) -> None:
        await self.conn.close()


def event_type(message: dict[str, Any]) -> str | None:
    return message["data"]["type"] if message.get("type") == "event" else None


def in_process(tmp_path: Path) -> Iterator[tuple[TestClient, World, Store]]:
    """A world on a fresh SQLite file and the app in process (no planner rounds on their own):
    the client, the world and a store on the same file, for a test's fixture to yield from."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world = make_world(url)
    store = Store.open(url)
    with TestClient(create_app(Settings(database_url=url, redis_url=None, auto_plan=False))) as client:
        yield client, world, store
    store.close()


def desk(client: TestClient, world: World) -> dict[str, str]:
    """The world's dispatcher's headers, logged in through the API."""
    answer = client.post(
        "/v1/auth/login",
        json={"cooperative_id": world.coop_id, "login": world.dispatcher_login, "password": world.dispatcher_password},
    )
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def phone(client: TestClient, world: World, name: str) -> dict[str, str]:
    """The headers of the world's courier ``name``'s phone, logged in through the API."""
    _, user, password = world.couriers[name]
    answer = client.post("/v1/auth/login", json={"cooperative_id": world.coop_id, "login": user, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def picked_up_by(client: TestClient, world: World, store: Store, name: str, weight_kg: float = 4.0) -> str:
    """A client's delivery given by the dispatcher to courier ``name``, who takes it and picks it
    up (their shift started if it was not); returns the job's id."""
    from dispatch import commands

    courier = world.couriers[name][0]
    status = store.courier_statuses(world.coop_id).get(courier)
    if status is None or not status.on_shift:
        commands.start_shift(store, world.coop_id, courier, at=datetime.now(UTC))
    shop = {"Authorization": f"Bearer {world.client_key}"}
    job = str(client.post("/v1/deliveries", json=delivery_body(weight_kg=weight_kg), headers=shop).json()["id"])
    given = client.post(
        f"/v1/jobs/{job}/decisions", json={"action": "override", "courier_id": courier}, headers=desk(client, world)
    )
    assert given.status_code == 200, given.text
    commands.acknowledge(store, world.coop_id, job, courier_id=courier, at=datetime.now(UTC))
    commands.pick_up(store, world.coop_id, job, courier_id=courier, at=datetime.now(UTC))
    return job
