"""Every refusal as JSON with a stable machine-readable ``code`` and a sentence for people."""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from typing import Annotated, Any
from urllib.parse import unquote_plus

from fastapi import FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.error_words import Names, job_label, say
from api.i18n import language, localize
from dispatch.errors import (
    Conflict,
    DomainError,
    IdempotencyConflict,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PhysicalLimit,
    ReportLimit,
)
from dispatch.events import ActorKind
from dispatch.proofs import TooLarge
from dispatch.store.access import LoginFailed, NothingToChange, display_name_of
from dispatch.store.erasure import StillWorking
from dispatch.text import check_text

log = logging.getLogger("tandem")

STATUS: dict[type[DomainError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    IllegalTransition: 409,
    IdempotencyConflict: 409,
    Conflict: 409,
    PhysicalLimit: 409,
    ReportLimit: 409,
    LoginFailed: 401,
    NothingToChange: 409,
    StillWorking: 409,
    TooLarge: 413,
}


def _plain(value: str) -> str:
    try:
        return check_text("text", value)
    except InvalidInput as exc:
        raise ValueError(exc.reason) from None


def _ident(value: str) -> str:
    try:
        return check_text("id", value, identifier=True)
    except InvalidInput as exc:
        raise ValueError(exc.reason) from None


#: Free text people write (addresses, notes, reasons): any script, no deceptive characters.
Text = Annotated[str, AfterValidator(_plain)]
#: Ids, logins and URLs: nothing invisible at all.
Ident = Annotated[str, AfterValidator(_ident)]


class ApiError(Exception):
    """A refusal decided at the edge (authentication, a rule of the API rather than the domain)."""

    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


class ErrorDetail(BaseModel):
    """The one shape of every refusal; some codes add details (``problems``, ``last_act``, ``by``...)."""

    model_config = ConfigDict(extra="allow")
    code: str = Field(description="Stable and machine-readable: branch on this, not on the message.")
    message: str = Field(description="A sentence for people.")
    field: str | None = Field(
        description="The input the refusal is about (`dropoff`, `tariff.currency`...); null when none."
    )


class ErrorOut(BaseModel):
    error: ErrorDetail


WHY = {
    401: "No valid credential (none, unknown, revoked or expired).",
    403: "The credential's role may not do this.",
    404: "Nothing of that id in the caller's cooperative (another's is never visible).",
    409: "The job's state or another person's act forbids it; nothing was written.",
    413: "The body is larger than this route accepts.",
    422: "The input is malformed or the cooperative cannot serve it; nothing was written.",
    429: "Too many requests from this credential or for this login; see Retry-After.",
    503: "Not ready: the database does not answer.",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for the refusals a route can give, all with the error body.

    Declaring 422 also replaces FastAPI's default validation schema, which is not what
    Tandem answers (its handler below answers with :class:`ErrorOut`).
    """
    return {status: {"model": ErrorOut, "description": WHY[status]} for status in statuses}


def answers(
    model: type[BaseModel], status: int = 200, also: dict[int | str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Route arguments that make ``model`` the route's answer (``also``: the route's refusals).

    ``model`` is the response model, so FastAPI checks and serialises what the handler returns
    through it: ``/openapi.json`` is what is sent (issue 19; tests/api/test_openapi_answers.py).
    Answer models allow fields they do not name (``api.schemas.Out``), so nothing a route sends
    is filtered, and only the fields the handler set are written (``exclude_unset``): an answer
    keeps its keys, a model's default never adds one. Pydantic writes an infinite float as null,
    where plain JSON would fail.
    """
    return {
        "response_model": model,
        "response_model_exclude_unset": True,
        "responses": {status: {"description": "OK"}, **(also or {})},
    }


def refusals(*more: int) -> dict[int | str, dict[str, Any]]:
    """What a route behind a login or an API key can refuse with, plus its own ``more``."""
    return responses(401, 403, 413, 422, *more)


def refusals_of_non_json(*more: int) -> dict[int | str, dict[str, Any]]:
    """:func:`refusals` for a route whose success is not JSON (HTML, GeoJSON).

    FastAPI documents a ``model`` response in the route's own media type, which would announce
    HTML errors; these entries name the JSON error body explicitly instead (its schema is in the
    components because every other route refers to it).
    """
    ref = {"$ref": "#/components/schemas/ErrorOut"}
    return {
        status: {"description": WHY[status], "content": {"application/json": {"schema": ref}}}
        for status in (401, 403, 413, 422, 429, *more)
    }


def body(code: str, message: str, *, field: str | None = None, **details: Any) -> dict[str, Any]:
    """The one shape of every refusal: ``field`` is always there, null when the refusal is about
    no one input (a credential, a role, a state)."""
    return {"error": {"code": code, "message": message, "field": field, **details}}


class _Couriers(Mapping[str, str]):
    """Courier id -> name, read from the store the first time a refusal names a courier: most
    refusals name none, and a cooperative's couriers are not read for each of them."""

    def __init__(self, read: Callable[[], dict[str, str]]) -> None:
        self._read: Callable[[], dict[str, str]] = read
        self._names: dict[str, str] | None = None

    def _all(self) -> dict[str, str]:
        if self._names is None:
            self._names = self._read()
        return self._names

    def __getitem__(self, courier_id: str) -> str:
        return self._all()[courier_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def names_for(request: Request | WebSocket) -> Names:
    """What the edge can name for the caller: their cooperative's jobs by their places, and its
    people by their names to its dispatchers and analysts only. A client reads nobody's name (a
    person is "a dispatcher", "this courier"); a courier reads their own and nobody else's
    (nothing when the caller is not known: a refused login, say)."""
    who = getattr(request.state, "who", None)
    svc = getattr(request.app.state, "services", None)
    if who is None or svc is None:
        return Names()
    store, coop = svc.store, who.cooperative_id

    def job(job_id: str) -> str | None:
        try:
            return job_label(store.job(coop, job_id))
        except (DomainError, ValueError):
            return None

    if who.role == "client":
        return Names(job=job)
    if who.role == "courier":
        me, name = f"{ActorKind.COURIER.value} {who.subject_id}", who.display_name
        return Names(job=job, person=lambda by: name if by == me else None, couriers={who.subject_id: name})

    def person(by: str) -> str | None:
        kind, _, ident = by.partition(" ")
        return display_name_of(store, coop, kind, ident) if ident else None

    everyone = _Couriers(lambda: {c.id: c.display_name for c in store.couriers(coop)})
    return Names(job=job, person=person, couriers=everyone)


def say_domain(request: Request | WebSocket, exc: DomainError) -> dict[str, Any]:
    """A domain error as the caller reads it: its ``code`` for machines, its words in the
    caller's ``Accept-Language`` with the cooperative's names, its ``field``, and what a program
    needs besides (who acted last on a conflict, each broken limit as a reason with its words)."""
    lang, names = language(request.headers.get("accept-language")), names_for(request)
    said: dict[str, Any] = {"code": exc.code, "message": say(exc, lang, names), "field": exc.field}
    if isinstance(exc, Conflict):
        said.update(last_act=exc.last_act, by=exc.by, current_seq=exc.actual_seq)
    if isinstance(exc, PhysicalLimit):
        said["breaks"] = localize(exc.params["breaks"], lang, names.couriers)
    return said


def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
    return JSONResponse({"error": say_domain(request, exc)}, status_code=status)


def _api(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse(body(exc.code, exc.message, **exc.details), status_code=exc.status, headers=headers)


def json_position(doc: str | bytes, pos: int) -> str:
    """Where in a JSON text its parser stopped, as a person finds it in an editor: "line L
    column C" (both from 1), never a bare character offset."""
    text = doc.decode("utf-8", "replace") if isinstance(doc, bytes) else doc
    where = json.JSONDecodeError("", text, pos)  # the standard library counts lines and columns
    return f"line {where.lineno} column {where.colno}"


def _problem(error: Any, doc: Any) -> dict[str, Any]:
    """One validation problem; a body that is not JSON (truncated, malformed) is the body's
    problem, said with the line and column where the parser stopped (the framework gives the
    character offset in the field's place)."""
    loc = error["loc"]
    if error["type"] == "json_invalid" and len(loc) == 2 and isinstance(loc[1], int) and isinstance(doc, str | bytes):
        why = (error.get("ctx") or {}).get("error") or "malformed"
        where = json_position(doc, loc[1])
        return {"field": "body", "problem": f"not valid JSON at {where} ({why})", "type": error["type"]}
    return {"field": ".".join(str(p) for p in loc[1:] or loc), "problem": error["msg"], "type": error["type"]}


def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [_problem(e, exc.body) for e in exc.errors()]
    first = problems[0] if problems else {"field": "", "problem": "invalid request"}
    return JSONResponse(
        body("invalid_input", f"{first['field']}: {first['problem']}", field=first["field"] or None, problems=problems),
        status_code=422,
    )


def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # The framework's only 400 is a body it cannot decode (not UTF-8, broken multipart): to a
        # caller that is malformed input like any other, so it gets the same 422 and code.
        return JSONResponse(body("invalid_input", f"body: {exc.detail}", field="body"), status_code=422)
    code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status_code, "http_error")
    field = "body" if exc.status_code == 413 else None
    return JSONResponse(body(code, str(exc.detail), field=field), status_code=exc.status_code, headers=exc.headers)


def _data(_request: Request, exc: Exception) -> JSONResponse:
    """The database refused a value (out of its range, a byte it cannot store): bad input, not a
    bug of ours; the transaction was rolled back, so nothing was written."""
    log.warning("the database refused a value: %s", str(exc).splitlines()[0][:300])
    return JSONResponse(body("invalid_input", "a value is out of range or holds characters that cannot be stored"), 422)


def _internal(request: Request, exc: Exception) -> JSONResponse:
    """A bug still answers in the API's error shape (the traceback goes to the log, not the client)."""
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(body("internal_error", "something went wrong on our side; it has been logged"), 500)


#: Bodies larger than this are refused with a 413 before they are read (a delivery is a few kB).
MAX_BODY_BYTES = 1 << 20
#: Routes that legitimately take more: a replayed day may hold up to 20,000 requests; a proof of
#: delivery is an image in base64 (its own cap, TANDEM_PROOF_MAX_BYTES, is checked by api/proofs.py).
LARGER_BODIES = {"/v1/replays": 32 << 20, "/v1/courier/proofs": 10 << 20}
#: The deepest nesting of arrays and objects any body or socket frame may have. The deepest the
#: API reads is a replayed day (day -> requests -> request -> parcels -> parcel, five); deeper
#: text only costs the parser stack and, near Python's recursion limit, crashes it.
MAX_JSON_DEPTH = 32
#: The most digits a JSON number may have (a 64-bit integer has 19): Python refuses to convert an
#: integer of more than 4,300 digits, and converting one of fewer still costs quadratic time.
MAX_NUMBER_DIGITS = 40

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_LONG_NUMBER = re.compile(rb"\d{%d}" % (MAX_NUMBER_DIGITS + 1))
_NOT_BRACKET = bytes(sorted(set(range(256)) - set(b"[]{}")))


class BadJson(ValueError):
    """JSON text nested too deep or holding a number too long: refused before it is parsed."""


def check_json_shape(raw: bytes) -> None:
    """Raise :class:`BadJson` when ``raw`` nests deeper than :data:`MAX_JSON_DEPTH` or holds a
    number longer than :data:`MAX_NUMBER_DIGITS` digits.

    It runs on every body and frame, so the common case must cost next to nothing: counting the
    brackets and searching for a long run of digits are single passes in C, and only when either
    could be over the limit are the strings taken out (a ``[`` or a digit run inside a string is
    text, not structure) and the depth counted. Text that is not JSON at all passes, for the
    parser to refuse with its own message.
    """
    openers = raw.count(b"[") + raw.count(b"{")
    if openers <= MAX_JSON_DEPTH and _LONG_NUMBER.search(raw) is None:
        return
    bare = _STRING.sub(b'""', raw)
    if _LONG_NUMBER.search(bare) is not None:
        raise BadJson(f"numbers have at most {MAX_NUMBER_DIGITS} digits")
    if openers > MAX_JSON_DEPTH:
        depth = deepest = 0
        for bracket in bare.translate(None, _NOT_BRACKET):
            depth += 1 if bracket in b"[{" else -1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    raise BadJson(f"arrays and objects nest at most {MAX_JSON_DEPTH} deep")


def parse_json(raw: bytes | str) -> Any:
    """``json.loads`` that refuses deep nesting and long numbers with :class:`BadJson`, and
    turns every other fault of the text (a recursion or conversion error included) into a
    ``ValueError`` rather than letting it escape as a crash."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    check_json_shape(data)
    try:
        return json.loads(raw)
    except RecursionError:
        raise BadJson(f"arrays and objects nest at most {MAX_JSON_DEPTH} deep") from None


async def read_body(receive: Receive, limit: int) -> list[Message] | None:
    """The messages of a whole request body, to hand on afterwards; None as soon as it grows past
    ``limit`` bytes (the rest is never read)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        size += len(message.get("body", b""))
        if size > limit:
            return None
        if message["type"] != "http.request" or not message.get("more_body"):
            return messages


class BodyLimit:
    """Refuse request bodies above a size with a 413, whether announced or streamed, and JSON
    bodies nested too deep or holding too long a number with a 422.

    A pure ASGI middleware: a ``Content-Length`` above the limit is refused at once, and a
    chunked body is counted as it arrives, so a client can never make a worker buffer more than
    the limit. A body is read whole here (the app would read it whole anyway) and checked by
    :func:`check_json_shape` before any route parses it, so that no parser ever meets a body
    that can crash it; whatever its declared type, since every body the API takes is JSON
    (and a type that says otherwise must not let one past the check). Sockets are not affected
    (their frames are limited in api/sockets.py). FastAPI's own ``max_body_size`` refuses an announced length with a
    plain-text 413, which is not the API's error shape; hence this.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES, larger: dict[str, int] | None = None) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.larger = LARGER_BODIES if larger is None else larger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.max_bytes)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await refuse_early(send, 413, "too_large", f"the body is larger than {limit} bytes", field="body")
            return
        if scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):  # every body the API takes is JSON
            await self._json(scope, receive, send, limit)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise StarletteHTTPException(413, f"the body is larger than {limit} bytes")
            return message

        await self.app(scope, counted, send)

    async def _json(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Read a JSON body whole (up to ``limit``), check its shape, then hand it on."""
        messages = await read_body(receive, limit)
        if messages is None:
            await refuse_early(send, 413, "too_large", f"the body is larger than {limit} bytes", field="body")
            return
        try:
            check_json_shape(b"".join(m.get("body", b"") for m in messages))
        except BadJson as exc:
            await refuse_early(send, 422, "invalid_input", f"body: {exc}", field="body")
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def refuse_early(
    send: Send, status: int, code: str, message: str, headers: list[tuple[bytes, bytes]] | None = None, **details: Any
) -> None:
    """A refusal sent before the app sees the request (by a middleware), in the API's error shape."""
    payload = json.dumps(body(code, message, **details)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class PlainAddress:
    """Refuse an API address whose path or query holds a control character (``%00`` and kin).

    No id, date or filter of the API contains one; PostgreSQL cannot even store a NUL, where
    SQLite would look it up and find nothing, so without this the same request would get a 422
    from one store and a 404 from the other.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/"):
            query = unquote_plus(scope.get("query_string", b"").decode("latin-1"))
            if any(unicodedata.category(c) == "Cc" for c in scope["path"] + query):
                await refuse_early(send, 422, "invalid_input", "the address holds a control character")
                return
        await self.app(scope, receive, send)


def install(app: FastAPI) -> None:
    """Error handlers and the body limit: every refusal, including a too-large body, is an ErrorOut."""
    app.add_middleware(BodyLimit)
    app.add_middleware(PlainAddress)
    app.add_exception_handler(Exception, _internal)
    app.add_exception_handler(DataError, _data)
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(ApiError, _api)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
