"""Webhooks cannot be turned against Tandem, its network or the other clients.

* Internal destinations (loopback, private, link-local, multicast, reserved, in every spelling)
  are refused at registration and again before each connection; the name lookup is stubbed,
  and a guard on ``socket.connect`` proves no packet leaves for anything but loopback.
* A receiver dribbling its answer one byte a second is cut at the attempt's deadline, delays
  no other client, and is never sent the same delivery twice at once by two workers.
* The client reads generic reasons; the operator's log has the detail, never a query string.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import itertools
import logging
import socket
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api import webhooks as sender
from api.app import create_app
from api.logs import config as log_config
from api.settings import Settings
from dispatch import commands
from dispatch.model import JobRequest
from dispatch.store import Store
from dispatch.store import webhooks as hooks
from dispatch.store.schema import ClientRow, WebhookDeliveryRow
from tests.api.harness import World, delivery_body, make_world


def in_loop(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test in a fresh event loop (the suite has no asyncio plugin)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


ALLOW = "TANDEM_WEBHOOK_ALLOW_NETWORKS"
PUBLIC = "93.184.216.34"  # a global address: answered by the stubbed resolver, never connected to
_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect


class Network:
    """The stubbed resolver and the record of every connection the process tried to open."""

    def __init__(self) -> None:
        self.names: dict[str, list[str]] = {}
        self.looked_up: list[str] = []
        self.outside: list[Any] = []  #: connections tried to anything but loopback (refused here)

    def getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else str(host)
        self.looked_up.append(name)
        if name in self.names:
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, int(port or 0), 0, 0) if ":" in a else (a, int(port or 0)),
                )
                for a in self.names[name]
            ]
        with contextlib.suppress(ValueError):
            ipaddress.ip_address(name)
            return _real_getaddrinfo(host, port, *args, **kwargs)  # a literal: no lookup leaves the host
        raise socket.gaierror(socket.EAI_NONAME, f"{name}: not in the test's resolver")


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Network:
    """No real lookup, and no connection to anything but loopback (the attempt is recorded)."""
    net = Network()
    monkeypatch.setattr(socket, "getaddrinfo", net.getaddrinfo)
    monkeypatch.setenv("TANDEM_WEBHOOK_DNS", "on")  # names go to the stubbed resolver

    def connect(sock: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and not ipaddress.ip_address(str(host).split("%")[0]).is_loopback:
            net.outside.append(address)
            raise ConnectionRefusedError(f"test guard: no packet to {host}")
        return _real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return net


@pytest.fixture
def no_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ALLOW, raising=False)


# ------------------------------------------------------------------ registration

INTERNAL_LITERALS = [
    "https://127.0.0.1/hook",
    "https://127.0.0.1:5432/",
    "https://10.1.2.3/hook",
    "https://172.16.0.1/hook",
    "https://192.168.1.1/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://2130706433/hook",  # 127.0.0.1 in decimal
    "https://0x7f000001/hook",  # ... in hex
    "https://0177.0.0.1/hook",  # ... in octal
    "https://127.1/hook",  # ... shortened
    "https://0.0.0.0/hook",
    "https://100.64.0.1/hook",  # carrier-grade NAT
    "https://224.0.0.1/hook",  # multicast
    "https://240.0.0.1/hook",  # reserved
    "https://[::1]/hook",
    "https://[::]/hook",
    "https://[fc00::1]/hook",
    "https://[fd12:3456::1]/hook",
    "https://[fe80::1]/hook",
    "https://[ff02::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped IPv6
    "https://[::ffff:169.254.169.254]/hook",
    "https://[::ffff:7f00:1]/hook",
    "https://[2002:a00:1::]/hook",  # 6to4 of 10.0.0.1
    "https://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 of 169.254.169.254
]
#: Names whose (stubbed) answers are internal, or partly internal.
INTERNAL_NAMES = {
    "localhost": ["127.0.0.1", "::1"],
    "db.hooks.test": ["10.0.0.7"],
    "router.hooks.test": ["192.168.0.1"],
    "metadata.hooks.test": ["169.254.169.254"],
    "v6.hooks.test": ["fd00::5"],
    "linklocal6.hooks.test": ["fe80::1"],
    "mapped.hooks.test": ["::ffff:10.0.0.1"],
    "mixed.hooks.test": [PUBLIC, "10.0.0.9"],  # one bad answer among good ones is enough
}
INTERNAL_NAMED = ["https://localhost:5432/", *(f"https://{name}/hook" for name in INTERNAL_NAMES)]


@dataclass
class App:
    client: TestClient
    store: Store
    world: World
    key: dict[str, str]
    refusals: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    url = f"sqlite:///{tmp_path_factory.mktemp('hooks') / 'tandem.db'}"
    world = make_world(url)
    store = Store.open(url)
    settings = Settings(database_url=url, redis_url=None, auto_plan=False, webhook_allow_http=True)
    with TestClient(create_app(settings)) as client:
        yield App(client, store, world, {"Authorization": f"Bearer {world.client_key}"})
    store.close()


def _register(app: App, url: str) -> Any:
    return app.client.post("/v1/webhooks", json={"url": url}, headers=app.key)


@pytest.mark.parametrize("url", INTERNAL_LITERALS + INTERNAL_NAMED)
def test_internal_destinations_are_refused_at_registration_before_any_connection(
    app: App, network: Network, no_allow_list: None, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    network.names.update(INTERNAL_NAMES)
    before = len(hooks.webhooks_of(app.store, app.world.coop_id, _client_id(app.store, app.world)))
    with caplog.at_level(logging.WARNING, logger="tandem.webhooks"):
        answer = _register(app, url)
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert "destination refused" in answer.text
    # the client learns nothing of the network: no address, no resolution detail
    for leak in ("127.0.0", "10.0.0", "192.168", "169.254", "fd00", "fe80", "private", "loopback", "resolve"):
        assert leak not in str(body.get("message", "")) + str(body.get("detail", "")), body
    assert any("refused" in r.getMessage() for r in caplog.records), "the operator's log says why"
    assert network.outside == [], "no connection was attempted"
    after = len(hooks.webhooks_of(app.store, app.world.coop_id, _client_id(app.store, app.world)))
    assert after == before


def test_a_public_destination_is_accepted_and_an_allowed_network_too(
    app: App, network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    network.names["shop.hooks.test"] = [PUBLIC]
    monkeypatch.delenv(ALLOW, raising=False)
    public = _register(app, "https://shop.hooks.test/hook?token=x")
    assert public.status_code == 201, public.text
    refused = _register(app, "https://10.20.30.40/hook")
    assert refused.status_code == 422
    monkeypatch.setenv(ALLOW, "10.20.0.0/16")
    allowed = _register(app, "https://10.20.30.40/hook")
    assert allowed.status_code == 201, allowed.text
    assert network.outside == []
    for hook in (public, allowed):
        app.client.delete(f"/v1/webhooks/{hook.json()['id']}", headers=app.key)


# ------------------------------------------------------------------ the store and the sender


def _job(store: Store, world: World, client_id: str) -> None:
    commands.request_job(store, world.coop_id, client_id, JobRequest.from_json(delivery_body()), at=datetime.now(UTC))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Store, World]]:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world = make_world(url)
    opened = Store.open(url)
    yield opened, world
    opened.close()


def _client_id(store: Store, world: World) -> str:
    """The id of the world's one client."""
    with store.engine.connect() as conn:
        return str(conn.execute(select(ClientRow.id).where(ClientRow.cooperative_id == world.coop_id)).scalar_one())


def _due(store: Store, world: World, url: str) -> hooks.Delivery:
    client_id = _client_id(store, world)
    hooks.register(store, world.coop_id, client_id, url, allow_http=True)
    _job(store, world, client_id)
    hooks.enqueue_from_log(store, world.coop_id)
    (delivery,) = hooks.claim_due(store)
    return delivery


@in_loop
async def test_dns_is_checked_again_at_each_connection(
    store: tuple[Store, World], network: Network, no_allow_list: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Public at registration, private at delivery (a rebinding): refused, nothing connected."""
    db, world = store
    network.names["rebind.hooks.test"] = [PUBLIC]
    delivery = _due(db, world, "https://rebind.hooks.test/hook")  # registered (see the test above)
    network.names["rebind.hooks.test"] = ["10.0.0.8"]
    caplog.set_level(logging.WARNING, logger="tandem.webhooks")
    async with httpx.AsyncClient(timeout=5) as client:  # whatever client: the check is the sender's
        status = await sender.send_one(client, db, delivery)
    assert status == "pending"  # tried again later (and refused again unless DNS says otherwise)
    assert network.outside == [], "no connection to the private address was attempted"
    assert "rebind.hooks.test" in network.looked_up, "resolved at delivery"
    (row,) = hooks.deliveries_of(db, world.coop_id, _client_id(db, world))
    assert row["attempts"][-1]["error"] == "destination refused"
    assert "10.0.0.8" in caplog.text, "the operator's log says what was refused"


# ------------------------------------------------------------------ slow receivers


class Receivers:
    """A loopback HTTP server: ``/slow`` dribbles its answer a byte a second; others answer 204."""

    def __init__(self, hold_s: float) -> None:
        self.hold_s = hold_s
        self.arrivals: list[tuple[str, str, float]] = []  #: (path, delivery id, time)
        #: delivery id -> [start, end] of each slow attempt; end is None while it is in flight
        self.spans: dict[str, list[list[float | None]]] = {}
        self.server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> Receivers:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}?token=sekrit-query-token"

    def overlaps(self) -> list[str]:
        """Deliveries sent again while an earlier attempt of theirs was still in flight."""
        found = []
        for delivery, spans in self.spans.items():
            ordered = sorted(spans, key=lambda span: span[0] or 0.0)
            for earlier, later in itertools.pairwise(ordered):
                if earlier[1] is None or (later[0] or 0.0) < earlier[1]:
                    found.append(delivery)
        return found

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        span: list[float | None] = []
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            path = head.split(" ", 2)[1].split("?")[0]
            lines = (line.split(":", 1) for line in head.split("\r\n")[1:] if ":" in line)
            headers = {k.strip().lower(): v.strip() for k, v in lines}
            await reader.readexactly(int(headers.get("content-length", "0")))
            delivery = headers.get("tandem-delivery", "")
            started = time.monotonic()
            self.arrivals.append((path, delivery, started))
            if path != "/slow":
                writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                await writer.drain()
                return
            span = [started, None]
            self.spans.setdefault(delivery, []).append(span)
            dribble = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 3600
            for byte in dribble:  # one byte a second: a per-read timeout never fires
                if time.monotonic() - started > self.hold_s:
                    break
                try:  # ... and notice at once when the sender hangs up
                    if await asyncio.wait_for(reader.read(1), timeout=1.0) == b"":
                        break
                except TimeoutError:
                    writer.write(bytes([byte]))
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            if span:
                span[1] = time.monotonic()
            writer.close()


@contextlib.asynccontextmanager
async def sending(db: Store, workers: int = 1, **options: Any) -> AsyncIterator[None]:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(sender.run(db, poll_s=0.1, stop=stop, **options)) for _ in range(workers)]
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def _until(predicate: Callable[[], bool], timeout_s: float) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"not within {timeout_s} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


#: The tests' attempt deadline: the production one (10 s) scaled down so that a test waits seconds,
#: still shorter than the 5 s per-read timeout of the tests' client (a dribble never trips that).
DEADLINE_S = 2.0


@in_loop
async def test_an_attempt_ends_at_its_deadline_whatever_the_receiver_dribbles(store: tuple[Store, World]) -> None:
    db, world = store
    async with Receivers(hold_s=25) as receivers:
        delivery = _due(db, world, receivers.url("/slow"))
        started = time.monotonic()
        async with httpx.AsyncClient(timeout=5) as client:  # 5 s per read: each byte resets it
            status = await sender.send_one(client, db, delivery, deadline_s=DEADLINE_S)
        took = time.monotonic() - started
    assert status == "pending"
    assert took < DEADLINE_S + 2, f"the attempt lasted {took:.1f} s against a {DEADLINE_S} s deadline"
    (row,) = hooks.deliveries_of(db, world.coop_id, _client_id(db, world))
    assert row["attempts"][-1]["error"] == "delivery failed"


@in_loop
async def test_a_slow_receiver_does_not_delay_another_client(store: tuple[Store, World]) -> None:
    db, world = store
    other = make_world(str(db.engine.url), name="Toinen Osuuskunta")
    async with Receivers(hold_s=25) as receivers, Receivers(hold_s=25) as others:
        slow_client, fast_client = _client_id(db, world), _client_id(db, other)
        hooks.register(db, world.coop_id, slow_client, receivers.url("/slow"), allow_http=True)
        hooks.register(db, other.coop_id, fast_client, others.url("/fast"), allow_http=True)
        async with sending(db):
            for _ in range(3):  # more than the slow destination's slots
                _job(db, world, slow_client)
            await _until(lambda: any(p == "/slow" for p, _, _ in receivers.arrivals), 10)
            await asyncio.sleep(1.0)  # the slow one is well under way
            _job(db, other, fast_client)
            waited = await _until(lambda: bool(others.arrivals), 8)
    assert waited < 3.0, f"the other cooperative's webhook waited {waited:.1f} s"


def _lease_left_s(store: Store) -> list[float]:
    """Seconds left on each lease a worker holds now (SQLite hands the times back without a zone)."""
    with store.engine.connect() as conn:
        held = conn.execute(select(WebhookDeliveryRow.lease_until).where(WebhookDeliveryRow.lease_until.is_not(None)))
        now = datetime.now(UTC)
        leases = [t if t.tzinfo else t.replace(tzinfo=UTC) for t in held.scalars() if t is not None]
        return [(t - now).total_seconds() for t in leases]


@in_loop
async def test_two_workers_never_send_one_delivery_twice_at_once(
    store: tuple[Store, World], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receiver holds each attempt far past the lease; the attempts must not overlap.

    Deadline and lease are the production ones scaled down together (10 s and 35 s become 2 s
    and 7 s), so that the test waits past the lease in seconds: if an attempt outlived its
    deadline, or a worker took a leased delivery, the other worker would send it meanwhile.
    """
    db, world = store
    lease = hooks.LEASE * (DEADLINE_S / hooks.ATTEMPT_DEADLINE_S)
    monkeypatch.setattr(hooks, "ATTEMPT_DEADLINE_S", DEADLINE_S)  # what claim_due and run check against
    monkeypatch.setattr(hooks, "LEASE", lease)  # what each worker takes its deliveries for
    async with Receivers(hold_s=60) as receivers:
        client_id = _client_id(db, world)
        hooks.register(db, world.coop_id, client_id, receivers.url("/slow"), allow_http=True)
        _job(db, world, client_id)
        async with sending(db, workers=2, deadline_s=DEADLINE_S):
            await _until(lambda: bool(receivers.spans), 5)
            held = _lease_left_s(db)  # the scaled lease is the one in force (not the production one)
            await asyncio.sleep(lease.total_seconds() + 2)  # past the lease
            overlaps = receivers.overlaps()  # read while the attempts still run
            now = time.monotonic()
    assert held and all(0 < left <= lease.total_seconds() for left in held), held
    arrivals = [t for path, _, t in receivers.arrivals if path == "/slow"]
    assert len(arrivals) >= 2, "the receiver was reached, and again after the first attempt's deadline"
    assert overlaps == [], "a delivery was sent again while an attempt of it was in flight"
    for start, end in (span for spans in receivers.spans.values() for span in spans):
        assert start is not None
        took = (now if end is None or end > now else end) - start
        assert took <= DEADLINE_S + 1.5, f"an attempt outlived its {DEADLINE_S} s deadline ({took:.1f} s)"


# ------------------------------------------------------------------ what the client and the logs see


@in_loop
async def test_the_client_sees_a_generic_reason_and_the_logs_no_query_string(
    store: tuple[Store, World], caplog: pytest.LogCaptureFixture
) -> None:
    db, world = store
    levels = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    caplog.set_level(logging.DEBUG)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_port = closed.getsockname()[1]  # nobody listens here once the socket is closed
    try:
        async with Receivers(hold_s=1) as receivers:
            client_id = _client_id(db, world)
            hooks.register(db, world.coop_id, client_id, receivers.url("/fast"), allow_http=True)
            hooks.register(
                db,
                world.coop_id,
                client_id,
                f"http://127.0.0.1:{dead_port}/hook?token=sekrit-query-token",
                allow_http=True,
            )
            _job(db, world, client_id)
            async with sending(db):
                await _until(lambda: len(receivers.arrivals) == 1, 10)
                await _until(lambda: all(r["attempts"] for r in hooks.deliveries_of(db, world.coop_id, client_id)), 10)
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    assert "sekrit-query-token" not in caplog.text
    rows = hooks.deliveries_of(db, world.coop_id, client_id)
    errors = {a["error"] for r in rows for a in r["attempts"]}
    assert errors == {None, "delivery failed"}, errors
    assert str(dead_port) not in str(rows), "the attempts log maps no port"
    loggers = log_config("text", "debug")["loggers"]
    assert loggers.get("httpx", {}).get("level") == "WARNING", "a served worker's httpx logs no URL"
    assert loggers.get("httpcore", {}).get("level") == "WARNING"


def test_with_lookups_off_a_name_is_refused_without_asking_any_resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    from api import webhooks as hooks_module

    asked: list[str] = []

    def lookup(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        asked.append(host)
        return []

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    monkeypatch.setenv("TANDEM_WEBHOOK_DNS", "off")
    with pytest.raises(hooks_module.Refused, match="not looked up"):
        hooks_module.resolve("hooks.example", 443)
    assert hooks_module.resolve("127.0.0.1", 443) == [ipaddress.ip_address("127.0.0.1")]
    assert asked == []
