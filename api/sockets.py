"""What the console's and the couriers' sockets share: the hello, the resume, the stream.

A socket's first message is ``{"type": "hello", "token": ..., "last_seq": n}`` (and ``lang``, ``en``
or ``fr``: the language its refusals are said in, which a browser cannot set as a header on a
WebSocket; without it, the upgrade request's ``Accept-Language``); the server answers
``welcome`` and then sends every later event the socket may see, in sequence order, each once:
``{"type": "event", "seq": n, "id": ..., "data": {...}}``. The stream subscribes to live events
*before* reading the backlog from the log and drops anything at or below the last seq sent,
so an event committed while the backlog is read is neither lost nor sent twice.

A socket lives only as long as the session it said hello with. Each worker's
:class:`SessionWatch` re-reads, in one query, the sessions behind all the sockets it holds
(every ``TANDEM_SESSION_CHECK_S``, 0.5 s, and at once after a revocation made here), and ends the
sockets whose session was revoked (logout, a password reset), expired, or whose courier left:
an ``error`` with code ``session_ended``, then a close as a policy violation. The database is
the one place every worker and every admin command writes revocations to, so this needs no
message between workers and cannot miss one; an act is checked against the database again
before it is carried out, so none slips in between two checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from api.auth import identify
from api.errors import BadJson, edge_words, lang_of, parse_json
from api.i18n import LANGUAGES
from api.services import Services
from dispatch.analyst_view import unsaid_absence
from dispatch.events import ActorKind, Event, EventType
from dispatch.store import Store
from dispatch.store.access import Principal, live_sessions
from dispatch.store.repository import hash_api_key

log = logging.getLogger("tandem.sockets")

MAX_MESSAGE = 64 * 1024
HELLO_TIMEOUT_S = 10.0
BACKLOG_PAGE = 1000

#: Close codes: the client should log in again / resume later from its last seq.
POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013


#: Payload keys that hold a person's free text (an override's or a stop's reason, a note): what
#: dispatchers say to each other, not for couriers' eyes (issue 16 item 4), unless the courier
#: wrote it (their own decline or failure). The admin log (api/admin_routes.py) keeps the same.
NOTES = frozenset({"reason", "note", "comment"})


def event_json(event: Event) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "id": event.id,
        "type": event.type.value,
        "at": event.at.isoformat(),
        "actor": {"kind": event.actor.kind.value, "id": event.actor.id},
        "payload": event.payload,
    }


E = EventType
_JOB = frozenset({"job_id", "courier_id", "previous_courier_id"})
_SHIFT = frozenset({"courier_id", "stopped_early"})
_ROTA = frozenset({"week", "shift_id", "courier_id", "shifts", "draft"})

#: What a courier reads of an event someone else wrote (a dispatcher, the planner, the system), by
#: type. An allow-list, so that a key an event gains later (an override's ``cost``: the planner's
#: figures about people; a rota's whole ``shifts``) stays out until put here on purpose: a courier
#: needs the job, who holds it and their own shift to ride (issue 16 item 4), never the planner's
#: figures, a dispatcher's note, or a colleague's shifts and absences. A type missing here is not
#: sent at all (a proposal is not an assignment). Colleagues' ids are dropped too (see below).
COURIER_KEYS: dict[EventType, frozenset[str]] = {
    **dict.fromkeys((E.JOB_CANCELLED, E.PROPOSAL_ACCEPTED, E.JOB_OVERRIDDEN, E.JOB_REASSIGNED, E.JOB_UNASSIGNED), _JOB),
    **dict.fromkeys(
        (E.COURIER_ACKNOWLEDGED, E.COURIER_DECLINED, E.PICKED_UP, E.DELIVERED, E.DELIVERY_FAILED, E.PARCEL_REWEIGHED),
        _JOB,
    ),
    **dict.fromkeys((E.SHIFT_STARTED, E.SHIFT_PAUSED, E.SHIFT_RESUMED, E.SHIFT_ENDED), _SHIFT),
    # about the courier themselves (their export holds them; their socket hides the admin acts)
    **dict.fromkeys((E.COURIER_DEACTIVATED, E.COURIER_REACTIVATED, E.COURIER_ERASED), frozenset({"courier_id"})),
    E.AVAILABILITY_DECLARED: frozenset({"courier_id", "weekly", "exceptions", "holidays"}),
    E.CONTRACT_SET: frozenset({"courier_id", "min_h", "max_h"}),
    E.SHIFT_SWAP_REQUESTED: frozenset({"swap_id", "week", "courier_id", "shift_id", "with_courier_id"}),
    # that a swap was decided, so that the asker's and the colleague's My shifts follow (each
    # reading their own ids only): never the dispatcher's reason, nor the week's shifts (each
    # reads their own from /v1/week/mine)
    E.SHIFT_SWAP_DECIDED: frozenset({"swap_id", "week", "confirmed", "courier_id", "with_courier_id"}),
    # their own absence's category (``reason``: sick, other) is about them; its note is not
    E.ABSENCE_RECORDED: _ROTA | {"reason"},
    E.COVER_ASSIGNED: _ROTA,
    E.NO_COVER_PICKED: frozenset({"week", "shift_id", "courier_id"}),
    # their own overtime as decided (what payroll pays them); the dispatcher's note is not theirs
    E.OVERTIME_DECIDED: frozenset({"courier_id", "day", "minutes"}),
}
#: Keys naming a courier: a colleague's id is dropped (the courier whose job was moved to
#: someone needs to know it is gone, not to whom; a swap is asked of the colleague it names,
#: and a third courier does not learn whom).
PEOPLE = ("courier_id", "previous_courier_id", "with_courier_id")
#: A rota shift as its courier reads it: never ``absent_note`` (a dispatcher's note).
SHIFT_KEYS = frozenset({"id", "courier_id", "day", "start_h", "end_h", "why", "cover_for", "absent", "covered_by"})


def event_for_courier(event: Event, courier_id: str) -> dict[str, Any] | None:
    """An event as courier ``courier_id`` reads it (see :data:`COURIER_KEYS`), or None when it is
    none of theirs to read. Their own act is theirs whole: their words, their decline's reason.

    A courier needs the job, its parcels and its times to ride, never why a dispatcher moved a
    job or stopped them (that text may say anything about them or a colleague: sick, late), nor
    what the move cost in the planner's figures, nor who else rides when."""
    data = event_json(event)
    if event.actor.kind is ActorKind.COURIER and event.actor.id == courier_id:
        return data
    keep = COURIER_KEYS.get(event.type)
    if keep is None:
        return None
    payload = {k: v for k, v in event.payload.items() if k in keep}
    for key in PEOPLE:
        if key in payload and payload[key] != courier_id:
            del payload[key]
    if "courier_id" not in payload:  # an absence's category, only ever the courier's own
        payload.pop("reason", None)
    for key in ("shifts", "draft"):
        if key in payload:
            payload[key] = shifts_for_courier(payload[key], courier_id)
    data["payload"] = payload
    return data


def shifts_for_courier(shifts: list[dict[str, Any]], courier_id: str) -> list[dict[str, Any]]:
    """A rota as one courier reads it: their own shifts only, and a cover shift saying whom it
    covers for but not why (a colleague's absence category is health data)."""
    return [
        {k: [unsaid_absence(r) for r in v] if k == "why" else v for k, v in s.items() if k in SHIFT_KEYS}
        for s in shifts
        if s.get("courier_id") == courier_id
    ]


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
        await send(ws, refusal(ws, "bad_message", "text_frames"))
        return None
    if len(text) > MAX_MESSAGE:
        await send(ws, refusal(ws, "too_large", "message_too_large", limit=MAX_MESSAGE))
        return None
    try:
        message = parse_json(text)
    except BadJson as exc:  # nested too deep or a number too long: say which, keep the socket
        await send(ws, refusal(ws, "bad_message", exc.why, most=exc.most))
        return None
    except ValueError:  # not JSON (a JSONDecodeError), or text no parser should be fed
        await send(ws, refusal(ws, "bad_message", "json_objects"))
        return None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        await send(ws, refusal(ws, "bad_message", "object_with_type"))
        return None
    return message


@dataclass(frozen=True)
class Greeting:
    """Who said hello, from which seq they resume, and the token their socket lives by."""

    who: Principal
    last_seq: int
    token: str


async def hello(ws: WebSocket, svc: Services, roles: frozenset[str]) -> Greeting | None:
    """Authenticate the socket from its first message."""
    await ws.accept()
    try:
        message = await asyncio.wait_for(receive(ws), timeout=HELLO_TIMEOUT_S)
    except (TimeoutError, WebSocketDisconnect):
        with contextlib.suppress(Exception):
            await ws.close(POLICY_VIOLATION, "say hello with a token first")
        return None
    token = (message or {}).get("token")
    last_seq = (message or {}).get("last_seq", 0)
    lang = (message or {}).get("lang")
    if lang in LANGUAGES:  # the socket's refusals in the page's language from here on
        ws.state.lang = lang
    who = await identify(svc, token) if message and message["type"] == "hello" and isinstance(token, str) else None
    if who is None or who.role not in roles:
        await send(ws, refusal(ws, "unauthenticated", "socket_token"))
        await ws.close(POLICY_VIOLATION, "unauthenticated")
        return None
    if isinstance(last_seq, bool) or not isinstance(last_seq, int) or last_seq < 0:
        await send(ws, refusal(ws, "bad_message", "last_seq_form"))
        await ws.close(POLICY_VIOLATION, "bad last_seq")
        return None
    if lang is not None and lang not in LANGUAGES:
        await send(ws, refusal(ws, "bad_message", "lang_hello", values=list(LANGUAGES)))
        await ws.close(POLICY_VIOLATION, "bad lang")
        return None
    assert isinstance(token, str)  # ``who`` was found from it
    return Greeting(who, last_seq, token)


class SessionWatch:
    """The sessions behind one worker's open sockets, re-checked together (see the module doc).

    Measured on SQLite with 300 open sockets: one check reads 300 session rows in 2.5 ms,
    so at two checks a second the watch costs well under 1 % of a core, where a check per
    socket would cost a thread hop and a read each.
    """

    def __init__(self, store: Store, *, every_s: float = 0.5) -> None:
        self.store, self.every_s = store, every_s
        self._ends: dict[str, set[asyncio.Event]] = {}  #: token hash -> the "ended" flags of its sockets
        self._now = asyncio.Event()

    def watch(self, token: str) -> tuple[str, asyncio.Event]:
        """Follow a socket's session: the flag is set when the session ends."""
        digest, ended = hash_api_key(token), asyncio.Event()
        self._ends.setdefault(digest, set()).add(ended)
        return digest, ended

    def forget(self, digest: str, ended: asyncio.Event) -> None:
        flags = self._ends.get(digest)
        if flags is not None:
            flags.discard(ended)
            if not flags:
                del self._ends[digest]

    def check_soon(self) -> None:
        """Check now rather than at the next tick (a revocation was just made in this worker)."""
        self._now.set()

    async def check(self) -> None:
        digests = list(self._ends)
        if not digests:
            return
        live = await asyncio.to_thread(live_sessions, self.store, digests)
        for digest in digests:
            if digest not in live:
                for ended in self._ends.get(digest, ()):
                    ended.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._now.wait(), timeout=self.every_s)
            self._now.clear()
            started = time.monotonic()
            try:
                await self.check()
            except Exception:  # the database hiccuped: the next tick checks again
                log.exception("checking the sessions of open sockets failed")
            if time.monotonic() - started > self.every_s:
                log.warning("checking %d sessions took %.2f s", len(self._ends), time.monotonic() - started)


def refusal(ws: WebSocket, code: str, why: str, /, **params: Any) -> dict[str, Any]:
    """An error frame of the socket itself (not an act's refusal), said in the socket's language."""
    return {"type": "error", "code": code, "message": edge_words(why, lang_of(ws), **params)}


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
    greeting: Greeting,
    render: Callable[[Event], Awaitable[dict[str, Any] | None]],
    handle: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    """Run the outgoing stream and the incoming messages until either side stops or the session
    ends."""
    watch: SessionWatch = ws.app.state.sessions
    digest, ended = watch.watch(greeting.token)

    async def incoming() -> None:
        while True:
            message = await receive(ws)
            if message is None:
                continue
            if message["type"] == "ping":
                await send(ws, {"type": "pong", "id": message.get("id")})
                continue
            if message["type"] == "hello":  # said already: refused by name, the socket stays as it was
                await send(ws, {**refusal(ws, "bad_message", "already_greeted"), "id": message.get("id")})
                continue
            # An act is rare and may write: it is checked against the database itself, so that
            # nothing is carried out between a revocation and the watch's next look.
            if ended.is_set() or await identify(svc, greeting.token) is None:
                ended.set()
                return
            await handle(message)

    stream_task = asyncio.create_task(stream(ws, svc, greeting.who, greeting.last_seq, render))
    tasks = [stream_task, asyncio.create_task(incoming()), asyncio.create_task(ended.wait())]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if ended.is_set():
            stream_task.cancel()
            with contextlib.suppress(Exception):
                await send(ws, refusal(ws, "session_ended", "session_ended"))
                await ws.close(POLICY_VIOLATION, "session ended")
        for task in done:
            exc = task.exception()
            if exc is not None and not isinstance(exc, WebSocketDisconnect | RuntimeError):
                raise exc
    finally:
        watch.forget(digest, ended)
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if ws.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await ws.close()
