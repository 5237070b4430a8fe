"""What browsers are told, so that a page elsewhere cannot act with a dispatcher's rights.

Tandem's credentials travel in an ``Authorization`` header (the console keeps its token in the
tab's sessionStorage) and the server never sets a cookie, so a forged cross-site form or image
carries no credential: cross-site request forgery has nothing to ride on. On top of that:

* **CORS**: no origin is allowed to read answers unless the cooperative lists it
  (``TANDEM_CORS_ORIGINS``, e.g. a shop's own web front); listed origins get the headers the API
  needs and nothing with credentials.
* **Sockets**: a browser always says where a page comes from; a socket opened by a page of a
  foreign origin is refused before it is accepted (native apps send no ``Origin`` and are let in;
  they authenticate in their first message like everybody else).
* **Headers on every answer**: no sniffing, no framing, no referrer, and a Content Security
  Policy: the console's pages may load scripts, styles and workers only from this server (the map
  library included, served from the ``maplibre`` wheel; and the API's page ``/docs``,
  whose Swagger UI comes from the ``fastapi-offline`` wheel), images from here or the
  configured tile server; API answers may load nothing at all.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGES = ("/console", "/vendor", "/docs")


def origin_of(url: str) -> str:
    """``https://tiles.example.org/{z}/{x}/{y}.png`` -> ``https://tiles.example.org``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def page_policy(tile_url: str) -> str:
    """The console's policy; MapLibre needs blob: workers and data:/blob: images for its sprites."""
    tiles = origin_of(tile_url)
    extra = f" {tiles}" if tiles else ""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",  # MapLibre positions its markers with inline styles
            f"img-src 'self' data: blob:{extra}",
            f"connect-src 'self' ws: wss:{extra}",
            "worker-src 'self' blob:",
            "child-src blob:",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


API_POLICY = "default-src 'none'; frame-ancestors 'none'"

COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"geolocation=(self), camera=(), microphone=()"),
)


class BrowserRules:
    """ASGI middleware: security headers on every answer, and the socket origin check."""

    def __init__(self, app: ASGIApp, *, tile_url: str = "", allowed_origins: tuple[str, ...] = ()) -> None:
        self.app = app
        self.page_policy = page_policy(tile_url).encode()
        self.allowed = {o.rstrip("/").lower() for o in allowed_origins}

    def _foreign(self, headers: Headers) -> bool:
        origin = headers.get("origin")
        if origin is None:
            return False
        origin = origin.rstrip("/").lower()
        host = headers.get("host", "").lower()
        try:
            netloc = urlsplit(origin).netloc
        except ValueError:  # "https://[": not an origin anyone's page has, so foreign (was a 500)
            return True
        return netloc != host and origin not in self.allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            if self._foreign(Headers(scope=scope)):
                await send({"type": "websocket.close", "code": 4403, "reason": "foreign origin"})
                return
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.page_policy if scope["path"].startswith(PAGES) else API_POLICY.encode()

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in (*COMMON, (b"content-security-policy", policy)) if n not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)
