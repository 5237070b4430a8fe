"""Sending webhooks: signed POSTs, retried with exponential backoff, every attempt logged.

The signature follows the widely used "timestamp + body" scheme: the header
``Tandem-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``. A receiver
recomputes it with the secret it got at registration and rejects old timestamps (replays).

A client chooses the URL, so the sender is careful about where it goes and how long it stays:

* **Destinations.** A URL is refused, at registration and again before every connection, when
  its host (a name resolved then and there, or an address in any of its spellings, such as
  ``2130706433`` or ``0x7f000001``) is loopback, private, link-local, multicast, reserved or
  otherwise not global; the connection then goes to the very address that was checked (the Host
  header and TLS SNI keep the name), so a DNS answer cannot change between check and connect.
  ``TANDEM_WEBHOOK_ALLOW_NETWORKS`` (comma-separated CIDRs, e.g. ``127.0.0.0/8``) lets an operator
  admit networks of their own. The client reads a generic reason; the operator's log the detail.
* **Time.** One attempt, from the name lookup to the receiver's status line, ends within
  :data:`~dispatch.store.webhooks.ATTEMPT_DEADLINE_S` seconds whatever the receiver dribbles, and
  the lease a worker holds on a delivery outlasts it, so no other worker sends it meanwhile.
* **Fairness.** Attempts run side by side, a few at a time per destination and per client: a slow
  receiver holds its own slots and never the deliveries of anybody else.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import re
import socket
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from dispatch.store import Store
from dispatch.store import webhooks as hooks

log = logging.getLogger("tandem.webhooks")
TOLERANCE_S = 300
#: Attempts in flight in one worker, at most, and at most per destination (scheme, host, port)
#: and per client: a receiver that answers slowly only ever slows its own deliveries.
MAX_IN_FLIGHT = 32
PER_DESTINATION = 2
PER_CLIENT = 4
ALLOW_NETWORKS_ENV = "TANDEM_WEBHOOK_ALLOW_NETWORKS"
REFUSED = "destination refused"
FAILED = "delivery failed"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: Hosts that only inet_aton reads as IPv4 (``2130706433``, ``0x7f000001``, ``0177.1``).
_LEGACY_IPV4 = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE)
#: The NAT64 prefix: on a network that has it, 64:ff9b::a00:1 reaches 10.0.0.1.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class Refused(Exception):
    """A destination Tandem does not send to; the message is for the operator's log only."""


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, *, now: float | None = None, tolerance_s: int = TOLERANCE_S) -> bool:
    """What a receiver does (and what the tests do): check the MAC and the freshness."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        if abs((now or time.time()) - timestamp) > tolerance_s:
            return False
    except (ValueError, KeyError, OverflowError):  # a forged header is a failed check, never a crash
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    # compared as bytes: a str with non-ASCII characters makes compare_digest raise
    return hmac.compare_digest(expected.encode(), parts.get("v1", "").encode())


# ------------------------------------------------------------------ where we may send


def allowed_networks() -> tuple[IPNetwork, ...]:
    """The operator's own networks webhooks may reach (read at each use: tests and reloads)."""
    text = os.environ.get(ALLOW_NETWORKS_ENV, "")
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())
    except ValueError:
        log.error("%s=%r is not a list of networks; no internal network is allowed", ALLOW_NETWORKS_ENV, text)
        return ()


def _embedded(address: IPAddress) -> list[IPAddress]:
    """The address and the IPv4 addresses it carries (mapped, 6to4, NAT64): each must be global."""
    found: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            found.append(address.ipv4_mapped)
        if address.sixtofour is not None:
            found.append(address.sixtofour)
        if address in _NAT64:
            found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def refusal(address: IPAddress, allowed: tuple[IPNetwork, ...]) -> str | None:
    """Why ``address`` is no place for a webhook, or None when it is global (or allowed)."""
    for each in _embedded(address):
        if any(each.version == net.version and each in net for net in allowed):
            return None
    for each in _embedded(address):
        for what in ("loopback", "private", "link_local", "multicast", "reserved", "unspecified", "site_local"):
            if getattr(each, f"is_{what}", False):
                return f"{address} is {what.replace('_', '-')}"
        if not each.is_global:
            return f"{address} is not global"
    return None


def literal(host: str) -> IPAddress | None:
    """``host`` as an address when it is one, in any spelling a resolver would accept."""
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host.split("%", 1)[0])  # an IPv6 zone says nothing about the range
    if _LEGACY_IPV4.match(host):
        with contextlib.suppress(OSError):
            return ipaddress.IPv4Address(socket.inet_aton(host))
    return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` stands for now (blocking: call it in a thread)."""
    address = literal(host)
    if address is not None:
        return [address]
    if os.environ.get("TANDEM_WEBHOOK_DNS", "on").strip().lower() == "off":
        # Servers with no resolver to ask (and the test suite, which must send no packet off
        # the machine, not even a DNS query for a fuzzed name) take addresses only.
        raise Refused(f"{host}: names are not looked up on this server (TANDEM_WEBHOOK_DNS=off)")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Refused(f"{host} does not resolve: {exc}") from None
    found: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    if not found:
        raise Refused(f"{host} resolves to nothing")
    return found


@dataclass(frozen=True)
class Target:
    """Where one attempt connects: the checked address, and the name the receiver expects."""

    url: httpx.URL  #: the URL with its host replaced by the checked address
    host_header: str
    extensions: dict[str, str]
    address: IPAddress


def check(url: str) -> Target:
    """Resolve the URL's host, refuse it unless every address is allowed, pin the first one.

    Blocking (a name lookup): run it in a thread. Raises :class:`Refused` with the detail.
    """
    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii")
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise Refused(f"unreadable URL: {exc}") from None
    if parsed.scheme not in ("http", "https") or not host:
        raise Refused("not an http(s) URL with a host")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = resolve(host.strip("[]"), port)
    allowed = allowed_networks()
    for address in addresses:
        reason = refusal(address, allowed)
        if reason is not None:
            raise Refused(f"{host} -> {reason}")
    pinned = addresses[0]
    extensions = {} if literal(host.strip("[]")) is not None else {"sni_hostname": host}
    return Target(
        url=parsed.copy_with(host=str(pinned)),
        host_header=parsed.netloc.decode("ascii"),
        extensions=extensions,
        address=pinned,
    )


def registration_refusal(url: str) -> str | None:
    """At registration: None when the URL may be registered, else the detail for the operator."""
    try:
        check(url)
    except Refused as exc:
        return str(exc)
    return None


def _destination(url: str) -> str:
    """A URL's scheme, host and port: the unit of concurrency, and what the operator's log names."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "(unreadable URL)"
    return f"{parsed.scheme}://{parsed.raw_host.decode('ascii', 'replace')}:{parsed.port or ''}"


# ------------------------------------------------------------------ sending


async def _attempt(
    client: httpx.AsyncClient, delivery: hooks.Delivery, body: bytes, deadline_s: float
) -> tuple[int | None, str | None]:
    """One POST, name lookup included, ended at ``deadline_s`` whatever the receiver does."""
    headers = {
        "Content-Type": "application/json",
        "Tandem-Signature": sign(delivery.secret, body, int(time.time())),
        "Tandem-Event": delivery.event_type,
        "Tandem-Delivery": delivery.id,
    }
    where = _destination(delivery.url)
    try:
        async with asyncio.timeout(deadline_s):
            target = await asyncio.to_thread(check, delivery.url)
            async with client.stream(
                "POST",
                target.url,
                content=body,
                headers={**headers, "Host": target.host_header},
                extensions=target.extensions,
            ) as response:
                return response.status_code, None  # the status line is the answer; the body is not read
    except Refused as exc:
        log.warning("webhook %s delivery %s refused: %s", delivery.webhook_id, delivery.id, exc)
        return None, REFUSED
    except TimeoutError:
        log.warning(
            "webhook %s delivery %s to %s: no answer within %g s", delivery.webhook_id, delivery.id, where, deadline_s
        )
        return None, FAILED
    except httpx.HTTPError as exc:
        log.warning(
            "webhook %s delivery %s to %s failed: %s: %s",
            delivery.webhook_id,
            delivery.id,
            where,
            type(exc).__name__,
            exc,
        )
        return None, FAILED


async def send_one(
    client: httpx.AsyncClient, store: Store, delivery: hooks.Delivery, *, deadline_s: float = hooks.ATTEMPT_DEADLINE_S
) -> str:
    """Attempt one delivery and record the outcome; returns the delivery's status after it."""
    body = json.dumps(delivery.body, separators=(",", ":"), sort_keys=True).encode()
    started = time.perf_counter()
    status, error = await _attempt(client, delivery, body, deadline_s)
    return await asyncio.to_thread(
        hooks.record_attempt,
        store,
        delivery,
        at=datetime.now(UTC),
        status_code=status,
        error=error,
        seconds=time.perf_counter() - started,
    )


def new_client(deadline_s: float = hooks.ATTEMPT_DEADLINE_S) -> httpx.AsyncClient:
    """A client that opens a new connection per attempt (each one to a freshly checked address).

    No keep-alive: a pooled connection would skip the check, and could carry a request for one
    name over a connection made for another on the same address. No proxy from the environment:
    the address checked must be the address connected to.
    """
    return httpx.AsyncClient(
        timeout=httpx.Timeout(deadline_s),
        follow_redirects=False,
        limits=httpx.Limits(max_keepalive_connections=0),
        trust_env=False,
    )


class Sender:
    """One worker's sending: takes due deliveries while it has free slots, never waits on one."""

    def __init__(self, store: Store, client: httpx.AsyncClient, *, deadline_s: float) -> None:
        self.store, self.client, self.deadline_s = store, client, deadline_s
        self.tasks: dict[asyncio.Task[str], hooks.Delivery] = {}
        self.by_destination: Counter[str] = Counter()
        self.by_client: Counter[str] = Counter()
        self.known: dict[str, tuple[str, str]] = {}  #: webhook id -> (destination, client)

    def _busy(self, destination: str, client_id: str) -> bool:
        return self.by_destination[destination] >= PER_DESTINATION or self.by_client[client_id] >= PER_CLIENT

    def _saturated(self) -> set[str]:
        return {hook for hook, (dest, client) in self.known.items() if self._busy(dest, client)}

    async def round(self) -> int:
        """Queue new events, start what is due and has a free slot; returns how many started."""
        for coop_id in await asyncio.to_thread(hooks.cooperatives_with_webhooks, self.store):
            await asyncio.to_thread(hooks.enqueue_from_log, self.store, coop_id)
        free = MAX_IN_FLIGHT - len(self.tasks)
        if free <= 0:
            return 0
        lease = hooks.LEASE
        due = await asyncio.to_thread(
            hooks.claim_due, self.store, lease=lease, limit=free, skip_webhooks=self._saturated()
        )
        started, later = 0, []
        for delivery in due:
            destination = _destination(delivery.url)
            client_key = f"{delivery.cooperative_id}/{delivery.client_id}"
            self.known[delivery.webhook_id] = (destination, client_key)
            if self._busy(destination, client_key):
                later.append(delivery.id)
                continue
            self.by_destination[destination] += 1
            self.by_client[client_key] += 1
            task = asyncio.create_task(send_one(self.client, self.store, delivery, deadline_s=self.deadline_s))
            self.tasks[task] = delivery
            task.add_done_callback(self._done)
            started += 1
        await asyncio.to_thread(hooks.release, self.store, later)
        return started

    def _done(self, task: asyncio.Task[str]) -> None:
        delivery = self.tasks.pop(task)
        destination, client_key = self.known[delivery.webhook_id]
        self.by_destination[destination] -= 1
        self.by_client[client_key] -= 1
        if not task.cancelled() and task.exception() is not None:
            log.error("webhook delivery %s could not be recorded: %r", delivery.id, task.exception())

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def run(
    store: Store, *, poll_s: float, stop: asyncio.Event, deadline_s: float = hooks.ATTEMPT_DEADLINE_S
) -> None:
    """The sender loop of one API worker (several workers share the work through leases)."""
    if deadline_s > hooks.ATTEMPT_DEADLINE_S:
        raise ValueError("an attempt may not outlast the deadline the leases are made for")
    for name in ("httpx", "httpcore"):  # they log each request's URL, query string and all, at INFO
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger(name).level))
    allowed_networks()  # a misspelt setting is in the log at start, not at the first delivery
    async with new_client(deadline_s) as client:
        sender = Sender(store, client, deadline_s=deadline_s)
        try:
            while not stop.is_set():
                started = 0
                try:
                    started = await sender.round()
                except Exception:
                    log.exception("webhook round failed; trying again")
                if not started:  # busy: go straight on; idle: wait for the next poll
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=poll_s)
        finally:
            await sender.stop()
