"""Rate limits per credential and per login, so that one runaway integration or one password
guesser cannot take the service from everybody else.

* every request that carries a credential (a client's API key, a member's token) counts against
  that credential: a loop in a shop's integration slows that shop, not the cooperative's day;
* every login attempt counts against the account it names (a guesser gets a handful of tries a
  minute, whatever address they come from) and against the address it comes from (one address
  cannot walk through many accounts).

Counters live in memory in one worker, or in Redis when ``REDIS_URL`` is set, so that several
workers share one budget. The ``limits`` library keeps the windows; only hashes of credentials
are used as keys, never the credentials. A refusal is a 429 with ``Retry-After`` and the usual
error body; sockets are not limited here (they authenticate once, then the courier's acts are
idempotent and bounded by the socket's own message rules).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import body

LOGIN_PATH = "/v1/auth/login"
#: A login body is small; a larger one is not parsed here (the body limit refuses it later).
_LOGIN_BODY_MAX = 4096


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


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _credential(scope: Scope) -> str | None:
    headers = Headers(scope=scope)
    scheme, _, credential = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credential.strip():
        return credential.strip()
    return headers.get("x-api-key", "").strip() or None


def _account(raw: bytes) -> str | None:
    """The account a login body names, or None when it is not a readable login body."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    coop, login = data.get("cooperative_id"), data.get("login")
    if not isinstance(coop, str) or not isinstance(login, str):
        return None
    return _digest(coop, login.casefold())


class RateLimits:
    """ASGI middleware: count, and refuse with 429 once a budget is spent."""

    def __init__(self, app: ASGIApp, budgets: Budgets, redis_url: str | None = None) -> None:
        self.app = app
        self.budgets = budgets
        storage: Storage = (
            RedisStorage(f"async+{redis_url}", implementation="redispy", key_prefix="tandem-limits")
            if redis_url
            else MemoryStorage()
        )
        self.limiter = SlidingWindowCounterRateLimiter(storage)

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
            receive, account = await self._peek_login(receive)
            client = scope.get("client")
            checks.append((self.budgets.login_address, f"address:{_digest(client[0] if client else '?')}"))
            if account is not None:
                checks.append((self.budgets.login_account, f"account:{account}"))
        for items, key in checks:
            for item in items:
                if not await self.limiter.hit(item, key):
                    await self._refuse(send, item, key)
                    return
        await self.app(scope, receive, send)

    async def _peek_login(self, receive: Receive) -> tuple[Receive, str | None]:
        """Read a small login body to learn its account, then hand the same body on."""
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if message["type"] != "http.request" or not message.get("more_body") or size > _LOGIN_BODY_MAX:
                break
        raw = b"".join(m.get("body", b"") for m in messages)
        account = _account(raw) if size <= _LOGIN_BODY_MAX else None

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        return replay, account

    async def _refuse(self, send: Send, item: RateLimitItem, key: str) -> None:
        stats = await self.limiter.get_window_stats(item, key)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        what = "login attempts for this account" if key.startswith("account:") else "requests"
        payload = json.dumps(
            body("rate_limited", f"too many {what}: at most {item}; try again in {wait} s", retry_after_s=wait)
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"retry-after", str(wait).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
