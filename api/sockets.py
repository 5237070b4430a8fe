"""What the console's and the couriers' sockets share: the hello, the resume, the stream.

A socket's first message is ``{"type": "hello", "token": ..., "last_seq": n}``; the server answers
``welcome`` and then sends every later event the socket may see, in sequence order, each once:
``{"type": "event", "seq": n, "id": ..., "data": {...}}``. The stream subscribes to live events
*before* reading the backlog from the log and drops anything at or below the last seq sent,
so an event committed while the backlog is read is neither lost nor sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from api.auth import identify
from api.services import Services
from dispatch.events import Event
from dispatch.store.access import Principal

MAX_MESSAGE = 64 * 1024
HELLO_TIMEOUT_S = 10.0
BACKLOG_PAGE = 1000

#: Close codes: the client should log in again / resume later from its last seq.
POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013


def event_json(event: Event) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "id": event.id,
        "type": event.type.value,
        "at": event.at.isoformat(),
        "actor": {"kind": event.actor.kind.value, "id": event.actor.id},
        "payload": event.payload,
    }


async def send(ws: WebSocket, message: dict[str, Any]) -> None:
    await ws.send_text(json.dumps(message, separators=(",", ":")))


async def _text(render: Callable[[Event], Awaitable[dict[str, Any] | None]], event: Event) -> str | None:
    message = await render(event)
    return None if message is None else json.dumps(message, separators=(",", ":"))


async def receive(ws: WebSocket) -> dict[str, Any] | None:
    """The next JSON object from the socket; None after telling the client what was wrong."""
    frame = await ws.receive()
    if frame["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(frame.get("code", 1000), frame.get("reason"))
    text = frame.get("text")
    if text is None:  # a binary frame: the protocol is JSON text, and saying so keeps the socket
        await send(ws, {"type": "error", "code": "bad_message", "message": "messages are JSON text frames"})
        return None
    if len(text) > MAX_MESSAGE:
        await send(ws, {"type": "error", "code": "too_large", "message": f"messages are at most {MAX_MESSAGE} bytes"})
        return None
    try:
        message = json.loads(text)
    except json.JSONDecodeError:
        await send(ws, {"type": "error", "code": "bad_message", "message": "messages are JSON objects"})
        return None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        await send(ws, {"type": "error", "code": "bad_message", "message": "a message is an object with a 'type'"})
        return None
    return message


async def hello(ws: WebSocket, svc: Services, roles: frozenset[str]) -> tuple[Principal, int] | None:
    """Authenticate the socket from its first message; returns (who, last seq seen)."""
    await ws.accept()
    try:
        message = await asyncio.wait_for(receive(ws), timeout=HELLO_TIMEOUT_S)
    except (TimeoutError, WebSocketDisconnect):
        with contextlib.suppress(Exception):
            await ws.close(POLICY_VIOLATION, "say hello with a token first")
        return None
    token = (message or {}).get("token")
    last_seq = (message or {}).get("last_seq", 0)
    who = await identify(svc, token) if message and message["type"] == "hello" and isinstance(token, str) else None
    if who is None or who.role not in roles:
        await send(ws, {"type": "error", "code": "unauthenticated", "message": "unknown, expired or wrong-role token"})
        await ws.close(POLICY_VIOLATION, "unauthenticated")
        return None
    if isinstance(last_seq, bool) or not isinstance(last_seq, int) or last_seq < 0:
        await send(ws, {"type": "error", "code": "bad_message", "message": "last_seq is a whole number, 0 or more"})
        await ws.close(POLICY_VIOLATION, "bad last_seq")
        return None
    return who, last_seq


async def stream(
    ws: WebSocket,
    svc: Services,
    who: Principal,
    last_seq: int,
    render: Callable[[Event], Awaitable[dict[str, Any] | None]],
) -> None:
    """Send the backlog after ``last_seq`` then live events; ``render`` returns None to skip one."""
    coop = who.cooperative_id
    # Sockets rendering with the same code for the same person are sent the same text: one group.
    sub = await svc.hub.subscribe(coop, (render.__code__, who), functools.partial(_text, render))
    try:
        # A seq beyond the log (a phone that saw a database since restored from a backup)
        # resumes from the log's end rather than waiting for numbers that will be reused.
        sent = min(last_seq, await svc.run(svc.store.cooperative_last_seq, coop))
        while True:
            page = await svc.run(svc.store.events, coop, after_seq=sent, limit=BACKLOG_PAGE)
            for event in page:
                message = await render(event)
                if message is not None:
                    await send(ws, message)
                sent = event.seq
            if len(page) < BACKLOG_PAGE:
                break
        while True:
            seq, text = await sub.queue.get()
            if sub.overflowed:
                await ws.close(TRY_AGAIN_LATER, f"too far behind: resume from seq {sent}")
                return
            if seq <= sent:
                continue
            await ws.send_text(text)
            sent = seq
    finally:
        svc.hub.unsubscribe(sub)


async def serve(
    ws: WebSocket,
    svc: Services,
    who: Principal,
    last_seq: int,
    render: Callable[[Event], Awaitable[dict[str, Any] | None]],
    handle: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    """Run the outgoing stream and the incoming messages until either side stops."""

    async def incoming() -> None:
        while True:
            message = await receive(ws)
            if message is None:
                continue
            if message["type"] == "ping":
                await send(ws, {"type": "pong", "id": message.get("id")})
                continue
            await handle(message)

    tasks = [asyncio.create_task(stream(ws, svc, who, last_seq, render)), asyncio.create_task(incoming())]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            exc = task.exception()
            if exc is not None and not isinstance(exc, WebSocketDisconnect | RuntimeError):
                raise exc
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if ws.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await ws.close()
