"""Rate limits per credential and per login, so that one runaway integration or one password
guesser cannot take the service from everybody else.

* every request that carries a credential (a client's API key, a member's token) counts against
  that credential: a loop in a shop's integration slows that shop, not the cooperative's day;
* every login attempt counts against the account it names (a guesser gets a handful of tries a
  minute, whatever address they come from) and against the address it comes from (one address
  cannot walk through many accounts). A login body larger than any real one (4 kB) is refused
  with a 413 before anything else: the account is read from every body the route accepts, so
  padding a body cannot hide the account from its budget;
* every position a courier shares counts against that courier (api/couriers.py asks
  :class:`Counters` directly: a phone in a loop fills no table).

An account is a cooperative and a login, and a cooperative has two names at login: its id and
its short name (``velo-lille``, any case). The short name is resolved to the id before the
account's key is made (:class:`Cooperatives`, a small cache), so that typing one then the other
does not give one account two budgets. A name that names no cooperative keeps its own key, as
typed: it is counted like any other, so the limit says nothing about which names exist, and its
look-up is cached like a known one's, so that it costs the same time.

Counters live in memory in one worker, or in Redis when ``REDIS_URL`` is set, so that several
workers share one budget. The ``limits`` library keeps the windows; only hashes of credentials
are used as keys, never the credentials. A refusal is a 429 with ``Retry-After`` and the usual
error body. Sockets are not limited by the middleware (they authenticate once, then the
courier's acts are idempotent); their positions are, per courier, with an error message.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import BadJson, parse_json, read_body, refuse_early
from dispatch.store.cooperatives import resolve_cooperative
from dispatch.store.engine import read_once

LOGIN_PATH = "/v1/auth/login"
#: A login body is small (its fields hold at most 296 characters, 1.8 kB even escaped); a larger
#: one is refused unread, so that no login is ever checked without its account being counted.
LOGIN_BODY_MAX = 4096


def rate_params(item: RateLimitItem, wait: int) -> dict[str, Any]:
    """A spent budget as a refusal's parameters: how many per what span, and how long to wait
    (worded at the edge: "at most 10 per minute", "au plus 10 par minute")."""
    return {"most": item.amount, "span": [item.multiples, item.GRANULARITY.name], "wait": wait}


def parse_limits(spec: str) -> list[RateLimitItem]:
    """``"100/second;3000/minute"``; ``"off"`` or empty for none. Raises ValueError on nonsense,
    so that a misspelt setting stops the server at start rather than silently not limiting."""
    if spec.strip().lower() in ("", "off", "none", "0"):
        return []
    return list(parse_many(spec))


@dataclass(frozen=True)
class Budgets:
    api_key: list[RateLimitItem]
    session: list[RateLimitItem]
    login_account: list[RateLimitItem]
    login_address: list[RateLimitItem]
    position: list[RateLimitItem]


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _credential(scope: Scope) -> str | None:
    headers = Headers(scope=scope)
    scheme, _, credential = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credential.strip():
        return credential.strip()
    return headers.get("x-api-key", "").strip() or None


def _account(raw: bytes) -> tuple[str, str] | None:
    """The cooperative (as typed, spaces around aside) and the login a login body names, or None
    when it is not a readable login body."""
    try:
        data = parse_json(raw)
    except (BadJson, ValueError, UnicodeDecodeError):  # the route refuses it before any check
        return None
    if not isinstance(data, dict):
        return None
    coop, login = data.get("cooperative_id"), data.get("login")
    if not isinstance(coop, str) or not isinstance(login, str):
        return None
    return coop.strip(), login


def _account_key(coop_id: str, login: str) -> str:
    return _digest(coop_id.casefold(), login.casefold())  # a short name is matched in any case


class Cooperatives:
    """Cooperative names typed at login -> the cooperative's id, remembered for a minute.

    Unknown names are remembered too (as None), so that a known and an unknown name cost the same
    after their first look-up, and at most ``size`` names are kept (the oldest forgotten first),
    so that a stream of made-up names fills no memory. A minute: a short name given to a new
    cooperative is found within it (until then it is counted under the name as typed)."""

    def __init__(self, lookup: Callable[[str], str | None], *, size: int = 4096, ttl_s: float = 60.0) -> None:
        self.lookup, self.size, self.ttl_s = lookup, size, ttl_s
        self._known: OrderedDict[str, tuple[float, str | None]] = OrderedDict()

    async def id_of(self, typed: str) -> str | None:
        """The id of the cooperative ``typed`` names (by its id or short name), or None."""
        name, now = typed.strip().casefold(), time.monotonic()
        found = self._known.get(name)
        if found is None or now - found[0] > self.ttl_s:
            found = (now, await asyncio.to_thread(self.lookup, typed))
            self._known[name] = found
            while len(self._known) > self.size:
                self._known.popitem(last=False)
        self._known.move_to_end(name)
        return found[1]


def store_lookup(scope: Scope) -> Callable[[str], str | None] | None:
    """A cooperative look-up in the store of the app serving ``scope`` (None before it started)."""
    services = getattr(getattr(scope.get("app"), "state", None), "services", None)
    if services is None:
        return None
    store = services.store

    def lookup(typed: str) -> str | None:
        with read_once(store.engine) as conn:
            return resolve_cooperative(conn, typed)

    return lookup


class Counters:
    """The windows of every budget of one worker: in memory, or in Redis shared by all workers."""

    def __init__(self, redis_url: str | None = None) -> None:
        storage: Storage = (
            RedisStorage(f"async+{redis_url}", implementation="redispy", key_prefix="tandem-limits")
            if redis_url
            else MemoryStorage()
        )
        self.limiter = SlidingWindowCounterRateLimiter(storage)

    async def spend(self, items: list[RateLimitItem], key: str) -> tuple[RateLimitItem, int] | None:
        """Count one hit against each of ``items``; the first one spent and the seconds until it
        has room again, or None when every one had room."""
        for item in items:
            if not await self.limiter.hit(item, key):
                stats = await self.limiter.get_window_stats(item, key)
                return item, max(1, math.ceil(stats.reset_time - time.time()))
        return None


class RateLimits:
    """ASGI middleware: count, and refuse with 429 once a budget is spent."""

    def __init__(self, app: ASGIApp, budgets: Budgets, counters: Counters) -> None:
        self.app = app
        self.budgets = budgets
        self.counters = counters
        self.cooperatives: Cooperatives | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        checks: list[tuple[list[RateLimitItem], str]] = []
        credential = _credential(scope) if self.budgets.api_key or self.budgets.session else None
        if credential is not None:
            kind = "api_key" if credential.startswith("tdm_") else "session"
            items: list[RateLimitItem] = getattr(self.budgets, kind)
            if items:  # no budget (limits "off"): nothing to count, so no digest to make
                checks.append((items, f"{kind}:{_digest(credential)}"))
        if scope["path"] == LOGIN_PATH and scope["method"] == "POST":
            peeked = await self._peek_login(scope, receive)
            if peeked is None:
                await refuse_early(
                    send, scope, 413, "too_large", "login_body_too_large", {"limit": LOGIN_BODY_MAX}, field="body"
                )
                return
            receive, account = peeked
            client = scope.get("client")
            checks.append((self.budgets.login_address, f"address:{_digest(client[0] if client else '?')}"))
            if account is not None and self.budgets.login_account:
                checks.append((self.budgets.login_account, f"account:{await self._account_key(scope, *account)}"))
        for items, key in checks:
            spent = await self.counters.spend(items, key)
            if spent is not None:
                await self._refuse(scope, send, *spent, key)
                return
        await self.app(scope, receive, send)

    async def _account_key(self, scope: Scope, coop: str, login: str) -> str:
        """The account's key: the cooperative by its id when its name is one, else as typed."""
        if self.cooperatives is None:
            lookup = store_lookup(scope)
            if lookup is None:  # no store yet (the app is starting): the name as typed
                return _account_key(coop, login)
            self.cooperatives = Cooperatives(lookup)
        return _account_key(await self.cooperatives.id_of(coop) or coop, login)

    async def _peek_login(self, scope: Scope, receive: Receive) -> tuple[Receive, tuple[str, str] | None] | None:
        """Read a login body to learn its account, then hand the same body on; None when it is
        larger than any login body (announced or streamed), so that it is refused unread."""
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > LOGIN_BODY_MAX):
            return None
        messages = await read_body(receive, LOGIN_BODY_MAX)
        if messages is None:
            return None
        account = _account(b"".join(m.get("body", b"") for m in messages))

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        return replay, account

    async def _refuse(self, scope: Scope, send: Send, item: RateLimitItem, wait: int, key: str) -> None:
        why = "too_many_login_attempts" if key.startswith("account:") else "too_many_requests"
        retry = [(b"retry-after", str(wait).encode())]
        await refuse_early(send, scope, 429, "rate_limited", why, rate_params(item, wait), retry, retry_after_s=wait)
