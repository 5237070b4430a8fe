"""The sockets' protocol as an AsyncAPI 3.0 document, served at ``GET /asyncapi.json``.

``/openapi.json`` describes requests and answers; the two sockets (``/v1/console/ws`` for
dispatchers, ``/v1/courier/ws`` for couriers) are a conversation, which OpenAPI cannot say. Each
message is a pydantic model here and the document is generated from them, the acts from
api/couriers.py's ``ACTS``, the event types and each one's required payload from
dispatch/events.py and the error codes from the domain's errors, so the document follows the
code. tests/api/test_asyncapi.py drives real sockets through a day and validates every message
the server sends (and every one the test sends) against this document; a message type the
document does not name fails there.

The document describes the Tandem server: ``send`` operations are what it sends, ``receive``
operations what it takes from a socket's client.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from api import couriers
from api.sockets import COURIER_KEYS, HELLO_TIMEOUT_S, MAX_MESSAGE, PEOPLE, POLICY_VIOLATION, TRY_AGAIN_LATER
from dispatch.errors import DomainError
from dispatch.events import REQUIRED, ActorKind, EventType
from dispatch.lifecycle import JobState
from dispatch.model import Parcel, Place
from dispatch.shifts import MAX_BREAKS, MAX_SHIFT

REF = "#/components/schemas/{model}"


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------ what a client sends


class Hello(_Closed):
    """The first message on either socket, within 10 s of opening it."""

    type: Literal["hello"]
    token: str = Field(description="A session token from `POST /v1/auth/login` (`tds_...`), of the socket's role.")
    last_seq: int = Field(
        default=0, ge=0, description="The last event seq this client saw: every later one follows (0: all)."
    )
    lang: Literal["en", "fr"] | None = Field(
        default=None,
        description="The language this socket's refusals are said in (a browser cannot set Accept-Language on a "
        "WebSocket, so a page says its own here); absent: the upgrade request's Accept-Language, else English. "
        "Another value is refused (bad_message) and the socket closes (1008).",
    )


class Ping(_Closed):
    """A keep-alive; answered with a pong carrying the same id."""

    type: Literal["ping"]
    id: str | int | None = None


class JobRef(_Closed):
    job_id: str = Field(min_length=1, max_length=100)


class WithReason(JobRef):
    reason: str = Field(min_length=1, max_length=500, description="Said to the dispatchers; never counted.")


class Delivering(JobRef):
    recipient_name: str | None = Field(default=None, description="The proof `name`, when the job asks for it.")
    code: str | None = Field(default=None, description="The recipient's code, when the job asks for one.")
    carried_m: float = Field(default=0.0, ge=0, lt=1e6, description="Metres ridden with the parcels.")


class Break(_Closed):
    earliest: datetime
    latest: datetime
    minutes: int


class ShiftStart(_Closed):
    planned_end: datetime | None = Field(
        default=None,
        description=f"When the courier means to stop (within {MAX_SHIFT.total_seconds() / 3600:g} h).",
    )
    breaks: list[Break] | None = Field(default=None, max_length=MAX_BREAKS)


class Nothing(_Closed):
    """Acts about the courier's own shift carry no data (``data`` may be left out)."""


class Position(JobRef):
    """Shared only while a job is in hand; kept apart from the log and deleted after a day."""

    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


#: Each courier act's data, by act (the acts are api/couriers.py's ``ACTS``).
ACT_DATA: dict[str, type[BaseModel]] = {
    "acknowledge": JobRef,
    "decline": WithReason,
    "picked_up": JobRef,
    "delivered": Delivering,
    "failed": WithReason,
    "shift_start": ShiftStart,
    "shift_pause": Nothing,
    "shift_resume": Nothing,
    "shift_end": Nothing,
    "position": Position,
}


def act_schema(kind: str) -> dict[str, Any]:
    """One act's message: its type, the client's message id (its idempotency key) and its data."""
    data = {"$ref": REF.format(model=ACT_DATA[kind].__name__)}
    return {
        "type": "object",
        "title": f"Act {kind}",
        "properties": {
            "type": {"const": kind},
            "id": {
                "type": "string",
                "minLength": 1,
                "maxLength": 100,
                "description": "Chosen by the phone; resending the same id returns the same answer, acting once.",
            },
            "data": data,
        },
        "required": ["type", "id"] if ACT_DATA[kind] is Nothing else ["type", "id", "data"],
        "additionalProperties": False,
    }


# ------------------------------------------------------------------ what the server sends


class Welcome(_Closed):
    """The answer to a good hello on the console's socket; the backlog follows."""

    type: Literal["welcome"]
    last_seq: int = Field(description="The cooperative's latest seq now.")


class CourierSelf(_Closed):
    id: str
    display_name: str
    vehicle: str = Field(description="The vehicle's kind (bike, cargo_bike, ...).")


class CourierWelcome(Welcome):
    """The answer to a good hello on the couriers' socket: who they are; the backlog follows."""

    courier: CourierSelf


class Actor(_Closed):
    kind: ActorKind
    id: str | None = Field(description="The dispatcher's, courier's or client's id; null for the system.")


class EventData(_Closed):
    """An event of the log as it was written; ``payload``'s keys depend on ``type``."""

    seq: int
    id: str
    type: EventType
    at: datetime
    actor: Actor
    payload: dict[str, Any]


class Window(_Closed):
    start: datetime
    end: datetime


class CourierJob(_Closed):
    """The job as its courier needs it, sent with each event that gives it to them."""

    id: str
    state: JobState
    courier_id: str | None
    pickup: Place
    dropoff: Place
    pickup_window: Window
    dropoff_window: Window
    parcels: list[Parcel]
    contact: str
    notes: str
    pickup_eta: str | None = Field(description="From the plan that proposed it to this courier; else null.")
    dropoff_eta: str | None
    proof_needs: list[Literal["photo", "signature", "name", "code"]] = Field(
        description="What the door asks for: the delivered act is refused until it is given."
    )


class CourierEventData(EventData):
    job: CourierJob | None = Field(default=None, description="With events that give this courier a job.")


class ConsoleEvent(_Closed):
    """One event of the cooperative's log, in seq order, each once (after a resume too)."""

    type: Literal["event"]
    seq: int
    id: str
    data: EventData


class CourierEvent(_Closed):
    """An event about this courier: their shift, and what gives them a job or takes one away
    (never the planner's proposals, nor positions or the cooperative's set-up). Of an event
    someone else wrote, only what a courier needs: the job, who holds it when it is them, their
    own shifts; never a dispatcher's note, an override's cost, or a colleague's shifts."""

    type: Literal["event"]
    seq: int
    id: str
    data: CourierEventData


class Result(_Closed):
    """An act was carried out (or had been, under the same id)."""

    type: Literal["result"]
    id: str
    seq: int | None = Field(description="The event the act wrote; null for a position (kept outside the log).")


class Pong(_Closed):
    type: Literal["pong"]
    id: str | int | None


class ErrorMessage(_Closed):
    """Something the server refused; the socket stays open unless a close follows (see the codes)."""

    type: Literal["error"]
    code: str
    message: str = Field(
        description="A sentence for people, in the hello's lang, else the upgrade request's Accept-Language, else "
        "English; the code is the same in every language."
    )
    id: str | int | None = Field(default=None, description="The message id it answers, when it had one.")
    retry_after_s: int | None = Field(default=None, description="With rate_limited: when to try again.")


#: The codes only the sockets send, beside the domain's refusals of an act.
SOCKET_CODES = {
    "unauthenticated": "the hello's token is unknown, expired or of another role; the socket closes (1008)",
    "bad_message": "not a JSON object with a type, an unknown type, an act without id, a binary frame, a hello's "
    "lang other than en or fr, a second hello on a socket that said hello already (refused, its token ignored: "
    "the socket stays open, as who the first hello said)",
    "too_large": f"a message over {MAX_MESSAGE} bytes",
    "session_ended": "logged out, a new password or expired: log in again; the socket closes (1008)",
    "rate_limited": "too many positions: wait retry_after_s",
}
CLOSE_CODES = {
    str(POLICY_VIOLATION): f"Policy violation: no hello within {HELLO_TIMEOUT_S:g} s, a bad token, last_seq or lang, "
    "or the session ended. Log in again before reopening.",
    str(TRY_AGAIN_LATER): "Try again later: this socket fell too far behind. Reopen with the last seq seen.",
}


def error_codes() -> list[str]:
    """Every code an error message may carry: the sockets' own and every domain refusal's."""
    found, todo = set(SOCKET_CODES), [DomainError]
    while todo:
        cls = todo.pop()
        found.add(str(cls.code))
        todo.extend(cls.__subclasses__())
    return sorted(found)


# ------------------------------------------------------------------ the document

#: What each courier act says; answered with a result (its event's seq) or an error.
ACT_SUMMARIES = {
    "acknowledge": "I have seen the job given to me.",
    "decline": "I will not take this job: it goes back to the open queue (a reason; nothing is counted).",
    "picked_up": "I have the parcels.",
    "delivered": "Delivered; refused with proof_missing while a proof the job needs is missing "
    "(photos and signatures go first to POST /v1/courier/proofs).",
    "failed": "I could not deliver (the reason is the client's to read).",
    "shift_start": "My shift starts now, with its planned end and breaks when known.",
    "shift_pause": "A pause: no job is proposed to me meanwhile.",
    "shift_resume": "Back from a pause.",
    "shift_end": "My shift ends.",
    "position": "Where I am, while a job is in hand (limited per courier; deleted after TANDEM_POSITION_RETENTION_H).",
}
#: Every message, by its name in the document: (schema name, summary).
MESSAGES: dict[str, tuple[str, str]] = {
    "hello": ("Hello", "Authenticate and say where to resume from."),
    "ping": ("Ping", "Keep the socket alive."),
    "pong": ("Pong", "The answer to a ping."),
    "welcome": ("Welcome", "Authenticated: the backlog after last_seq follows, then live events."),
    "courierWelcome": ("CourierWelcome", "Authenticated as this courier: the backlog follows, then live events."),
    "consoleEvent": ("ConsoleEvent", "An event of the cooperative's log."),
    "courierEvent": ("CourierEvent", "An event about this courier, with the job when it gives them one."),
    "result": ("Result", "An act was carried out."),
    "error": ("ErrorMessage", "A refusal; see the codes."),
    **{act: (f"{act.title().replace('_', '')}Act", said) for act, said in ACT_SUMMARIES.items()},
}
MODELS: tuple[type[BaseModel], ...] = (
    Hello,
    Ping,
    Pong,
    Welcome,
    CourierWelcome,
    ConsoleEvent,
    CourierEvent,
    Result,
    ErrorMessage,
    *dict.fromkeys(ACT_DATA.values()),
)


def _event_rules(required: dict[EventType, frozenset[str]]) -> dict[str, Any]:
    """The types an event may have on a socket, each with the payload keys it always carries."""
    return {
        "oneOf": [
            {
                "properties": {"type": {"const": t.value}, "payload": {"required": sorted(keys)}},
                "required": ["type", "payload"],
            }
            for t, keys in required.items()
        ]
    }


def _courier_required() -> dict[EventType, frozenset[str]]:
    """What a courier's event always carries: the keys a courier may read of it
    (api/sockets.py's ``COURIER_KEYS``) that every such event has, less a colleague's id and an
    absence's category (dropped when they are someone else's)."""
    return {t: REQUIRED[t] & keys - {*PEOPLE, "reason"} for t, keys in COURIER_KEYS.items() if t not in couriers.HIDDEN}


def schemas() -> dict[str, Any]:
    """Every schema the messages use, from the models, with what the models cannot say added."""
    for documented in (ACT_DATA, ACT_SUMMARIES):  # an act the socket takes is documented before it ships
        if set(documented) != set(couriers.ACTS):
            raise RuntimeError(f"acts and their documentation differ: {sorted(set(documented) ^ set(couriers.ACTS))}")
    _, found = models_json_schema([(m, "validation") for m in MODELS], ref_template=REF)
    defs: dict[str, Any] = found["$defs"]
    defs["ErrorMessage"]["properties"]["code"]["enum"] = error_codes()
    defs["ErrorMessage"]["properties"]["code"]["description"] = "; ".join(f"{k}: {v}" for k, v in SOCKET_CODES.items())
    defs["EventData"].update(_event_rules(REQUIRED))
    defs["CourierEventData"].update(_event_rules(_courier_required()))
    for act in couriers.ACTS:
        defs[MESSAGES[act][0]] = act_schema(act)
    return defs


def _messages() -> dict[str, Any]:
    return {
        name: {
            "name": name,
            "title": schema,
            "summary": summary,
            "contentType": "application/json",
            "payload": {"$ref": REF.format(model=schema)},
        }
        for name, (schema, summary) in MESSAGES.items()
    }


def _channel(address: str, names: list[str], who: str) -> dict[str, Any]:
    return {
        "address": address,
        "title": f"The {who}' socket",
        "description": (
            f"Open a WebSocket, send `hello` with a {who[:-1]}'s session token within {HELLO_TIMEOUT_S:g} s; "
            "the server answers `welcome`, then every event after `last_seq` in seq order, each once, then "
            "live events. To resume after a drop, say hello with the last seq you saw: nothing is lost or "
            f"repeated, also across a server restart. Messages are JSON text frames of at most {MAX_MESSAGE} "
            "bytes. Close codes: " + " ".join(f"{code}: {why}" for code, why in CLOSE_CODES.items())
        ),
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in names},
        "x-close-codes": CLOSE_CODES,
    }


def _op(action: str, channel: str, names: list[str], summary: str, reply: list[str] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel}"},
        "summary": summary,
        "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"} for name in names],
    }
    if reply is not None:
        op["reply"] = {
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"} for name in reply],
        }
    return op


def _operations() -> dict[str, Any]:
    acts = list(couriers.ACTS)
    return {
        "consoleHello": _op("receive", "console", ["hello"], "A dispatcher says hello", ["welcome", "error"]),
        "consoleEvents": _op("send", "console", ["consoleEvent"], "Every event of the cooperative"),
        "consolePing": _op("receive", "console", ["ping"], "Keep-alive", ["pong"]),
        "consoleErrors": _op(
            "send",
            "console",
            ["error"],
            "Refusals: bad frames, the session's end; any other message "
            "(the console decides through POST /v1/jobs/{id}/decisions)",
        ),
        "courierHello": _op("receive", "courier", ["hello"], "A courier says hello", ["courierWelcome", "error"]),
        "courierEvents": _op("send", "courier", ["courierEvent"], "What concerns this courier"),
        "courierActs": _op("receive", "courier", acts, "The courier acts", ["result", "error"]),
        "courierPing": _op("receive", "courier", ["ping"], "Keep-alive", ["pong"]),
        "courierErrors": _op("send", "courier", ["error"], "Refusals: bad frames, the session's end"),
    }


def document(host: str, secure: bool) -> dict[str, Any]:
    """The AsyncAPI document, for a server reached at ``host`` (with TLS when ``secure``)."""
    common = ["hello", "ping", "pong", "error"]
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Tandem sockets",
            "version": "1",
            "description": "The dispatchers' and the couriers' WebSockets. Requests and answers are in "
            "/openapi.json; log in there (`POST /v1/auth/login`) for the token a hello carries.",
            "license": {"name": "AGPL-3.0-or-later"},
        },
        "defaultContentType": "application/json",
        "servers": {"tandem": {"host": host, "protocol": "wss" if secure else "ws"}},
        "channels": {
            "console": _channel("/v1/console/ws", [*common, "welcome", "consoleEvent"], "dispatchers"),
            "courier": _channel(
                "/v1/courier/ws", [*common, "courierWelcome", "courierEvent", "result", *couriers.ACTS], "couriers"
            ),
        },
        "operations": _operations(),
        "components": {"messages": _messages(), "schemas": schemas()},
    }


def install(app: FastAPI, public_url: str) -> None:
    """Serve the document, with the public URL's host when set (else the request's own)."""

    @app.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi(request: Request) -> JSONResponse:
        base = request.base_url if not public_url else type(request.base_url)(public_url)
        return JSONResponse(document(str(base.netloc), base.scheme in ("https", "wss")))
