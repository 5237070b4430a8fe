"""Sending webhooks: signed POSTs, retried with exponential backoff, every attempt logged.

The signature follows the widely used "timestamp + body" scheme: the header
``Tandem-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``. A receiver
recomputes it with the secret it got at registration and rejects old timestamps (replays).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime

import httpx

from dispatch.store import Store
from dispatch.store import webhooks as hooks

log = logging.getLogger("tandem.webhooks")
TIMEOUT_S = 5.0
TOLERANCE_S = 300


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


async def send_one(client: httpx.AsyncClient, store: Store, delivery: hooks.Delivery) -> str:
    body = json.dumps(delivery.body, separators=(",", ":"), sort_keys=True).encode()
    started = time.perf_counter()
    status: int | None = None
    error: str | None = None
    try:
        response = await client.post(
            delivery.url,
            content=body,
            headers={
                "Content-Type": "application/json",
                "Tandem-Signature": sign(delivery.secret, body, int(time.time())),
                "Tandem-Event": delivery.event_type,
                "Tandem-Delivery": delivery.id,
            },
        )
        status = response.status_code
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    return await asyncio.to_thread(
        hooks.record_attempt,
        store,
        delivery,
        at=datetime.now(UTC),
        status_code=status,
        error=error,
        seconds=time.perf_counter() - started,
    )


async def run(store: Store, *, poll_s: float, stop: asyncio.Event) -> None:
    """The sender loop of one API worker (several workers share the work through leases)."""
    async with httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=False) as client:
        while not stop.is_set():
            due: list[hooks.Delivery] = []
            try:
                for coop_id in await asyncio.to_thread(hooks.cooperatives_with_webhooks, store):
                    await asyncio.to_thread(hooks.enqueue_from_log, store, coop_id)
                due = await asyncio.to_thread(hooks.claim_due, store)
                if due:
                    await asyncio.gather(*(send_one(client, store, d) for d in due))
            except Exception:
                log.exception("webhook round failed; trying again")
            if not due:  # busy: go straight on; idle: wait for the next poll
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=poll_s)
