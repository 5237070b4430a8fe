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
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.error_words import Names, job_label, say, say_reason
from api.i18n import DEFAULT, LANGUAGES, language, localize
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
    # the domain's refusal itself (a ValueError): the validation handler says it in the reader's language
    return check_text("text", value)


def _ident(value: str) -> str:
    return check_text("id", value, identifier=True)


#: Free text people write (addresses, notes, reasons): any script, no deceptive characters.
Text = Annotated[str, AfterValidator(_plain)]
#: Ids, logins and URLs: nothing invisible at all.
Ident = Annotated[str, AfterValidator(_ident)]


class ApiError(Exception):
    """A refusal decided at the edge (authentication, a rule of the API rather than the domain).

    ``why`` is a key of ``api/error_words.py`` with its ``params``, said in the request's language
    (an older refusal's English text is said as it is); ``message`` is its English words, for the
    logs; ``details`` go into the body beside ``code`` (``field``, ``retry_after_s``)."""

    def __init__(
        self, status: int, code: str, why: str, /, params: dict[str, Any] | None = None, **details: Any
    ) -> None:
        self.why, self.params = why, dict(params or {})
        self.status, self.code, self.message, self.details = status, code, self.words(DEFAULT), details
        super().__init__(self.message)

    def words(self, lang: str, names: Names | None = None) -> str:
        """The refusal in ``lang``."""
        return edge_words(self.why, lang, names, **self.params)


def edge_words(why: str, lang: str, names: Names | None = None, /, **params: Any) -> str:
    """A refusal the API itself makes (a credential, a role, a size, a rate, a frame), said in
    ``lang`` from the same catalogue as the domain's (``api/error_words.py``)."""
    return say_reason(DomainError(why, **params), lang, names)


def on_field(field: str, said: str, lang: str) -> str:
    """A problem said after its field's name, as the language writes a colon."""
    return f"{field}{' :' if lang == 'fr' else ':'} {said}"


def lang_of(request: Request | WebSocket) -> str:
    """The reader's language: a socket's own choice (the ``lang`` of its hello: a browser sets no
    header on a WebSocket), else the request's ``Accept-Language``, else English."""
    chosen = getattr(request.state, "lang", None)
    return chosen if chosen in LANGUAGES else language(request.headers.get("accept-language"))


def scope_lang(scope: Scope) -> str:
    """The language a request asks for, read before the app sees it (by a middleware)."""
    return language(Headers(scope=scope).get("accept-language"))


class Problem(BaseModel):
    """One thing wrong with a malformed request (the framework's 422)."""

    field: str = Field(description="The input at fault, as the request spells it (`parcels.0.weight_kg`, `body`).")
    problem: str = Field(description="What is wrong with it, in the language Accept-Language asks for.")
    type: str = Field(description="The validation's stable kind: `missing`, `float_type`, `less_than_equal`...")


class ErrorDetail(BaseModel):
    """The one shape of every refusal; some codes add details (``problems``, ``last_act``, ``by``...)."""

    model_config = ConfigDict(extra="allow")
    code: str = Field(description="Stable and machine-readable: branch on this, not on the message.")
    message: str = Field(
        description="A sentence for people, in the language Accept-Language asks for (English by default, or "
        "French); the same code in every language."
    )
    field: str | None = Field(
        description="The input the refusal is about (`dropoff`, `tariff.currency`...); null when none."
    )
    problems: list[Problem] | None = Field(
        default=None, description="A malformed request's every problem (code `invalid_input`), the first one first."
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
    lang, names = lang_of(request), names_for(request)
    said: dict[str, Any] = {"code": exc.code, "message": say(exc, lang, names), "field": exc.field}
    if isinstance(exc, Conflict):
        said.update(last_act=exc.last_act, by=exc.by, current_seq=exc.actual_seq)
    elif isinstance(exc, InvalidInput) and {"last_act", "by"} <= exc.params.keys():  # a job taken meanwhile
        said.update(last_act=exc.params["last_act"], by=exc.params["by"])
    if "by" in said and names.person is not None:  # who, by name, to whom the edge may name them
        said["by_name"] = names.person(str(said["by"]))
    if isinstance(exc, PhysicalLimit):
        said["breaks"] = localize(exc.params["breaks"], lang, names.couriers)
    return said


def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
    return JSONResponse({"error": say_domain(request, exc)}, status_code=status)


def _api(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    said = exc.words(lang_of(request), names_for(request))
    return JSONResponse(body(exc.code, said, **exc.details), status_code=exc.status, headers=headers)


def json_position(doc: str | bytes, pos: int) -> tuple[int, int]:
    """Where in a JSON text its parser stopped, as a person finds it in an editor: (line, column),
    both from 1, never a bare character offset."""
    text = doc.decode("utf-8", "replace") if isinstance(doc, bytes) else doc
    where = json.JSONDecodeError("", text, pos)  # the standard library counts lines and columns
    return where.lineno, where.colno


_DATE_TIME = ("datetime_type", "datetime_parsing", "datetime_from_date_parsing", "timezone_aware")
#: The framework's validation problems said in our words, by its ``type``: (why, the ``ctx`` key
#: that holds the limit, said as ``limit``). A type not here is said in the framework's English.
_PROBLEMS: dict[str, tuple[str, str | None]] = {
    "missing": ("required", None),
    "extra_forbidden": ("unknown_field", None),
    **dict.fromkeys(("string_type", "string_sub_type", "string_unicode"), ("must_be_text", None)),
    **dict.fromkeys(("int_type", "int_parsing", "int_from_float", "int_parsing_size"), ("must_be_whole_number", None)),
    **dict.fromkeys(("float_type", "float_parsing", "decimal_type", "decimal_parsing"), ("must_be_number", None)),
    "finite_number": ("finite_number", None),
    **dict.fromkeys(("bool_type", "bool_parsing"), ("true_or_false", None)),
    **dict.fromkeys(("dict_type", "model_type", "model_attributes_type", "mapping_type"), ("must_be_object", None)),
    **dict.fromkeys(
        ("list_type", "tuple_type", "set_type", "frozen_set_type", "iterable_type"), ("must_be_list", None)
    ),
    **dict.fromkeys(("date_type", "date_parsing", "date_from_datetime_parsing"), ("must_be_date", None)),
    **dict.fromkeys(_DATE_TIME, ("date_time_with_zone", None)),
    **dict.fromkeys(("uuid_type", "uuid_parsing"), ("must_be_uuid", None)),
    "greater_than_equal": ("value_at_least", "ge"),
    "greater_than": ("value_more_than", "gt"),
    "less_than_equal": ("value_at_most", "le"),
    "less_than": ("value_less_than", "lt"),
    "string_too_long": ("too_many_characters", "max_length"),
    "string_too_short": ("too_few_characters", "min_length"),
    "too_long": ("too_many_items", "max_length"),
    "too_short": ("too_few_items", "min_length"),
}
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")
#: The patterns the API's inputs follow, said as what they are (a day, a time of day...) rather
#: than as a regular expression (``api/week_schemas.py``'s DAY and CLOCK, ``api/schemas.py``'s);
#: another pattern is said as it is written.
_PATTERNS: dict[str, str] = {
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$": "day_written",
    r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$": "clock_written",
    r"^[A-Z]{3}$": "currency_code",
    r"^[A-Za-z0-9-]+$": "code_shape",
}


def _choices(expected: str) -> list[str]:
    """The values a choice allows, from the framework's "'a', 'b' or 'c'" (English)."""
    return _QUOTED.findall(expected) or [v for v in re.split(r", | or ", expected) if v]


def _said_problem(error: Any, lang: str, names: Names) -> str:
    """What is wrong with one input, in ``lang``: our words for the common types, the domain's
    own refusal in its words, the framework's English for the rest."""
    kind, ctx = error["type"], error.get("ctx") or {}
    refused = ctx.get("error")
    if kind == "value_error" and isinstance(refused, DomainError):  # a check of ours (Text, Ident)
        return say_reason(refused, lang, names)
    if kind in ("literal_error", "enum") and isinstance(ctx.get("expected"), str):
        return edge_words("one_of", lang, values=_choices(ctx["expected"]))
    if kind in ("string_too_short", "too_short") and ctx.get("min_length") == 1:
        return edge_words("must_not_be_empty", lang)
    if kind == "string_pattern_mismatch" and isinstance(ctx.get("pattern"), str):
        return edge_words(_PATTERNS.get(ctx["pattern"], "must_match_pattern"), lang, pattern=ctx["pattern"])
    why, limit = _PROBLEMS.get(kind, (None, None))
    if why is None or (limit is not None and limit not in ctx):
        return str(error["msg"])
    return edge_words(why, lang, **({"limit": ctx[limit]} if limit else {}))


#: The JSON parser's reasons (``json.JSONDecodeError.msg``, English only) in our words, by code.
_JSON_DETAILS = {
    "Expecting value": "json_expecting_value",
    "Expecting ',' delimiter": "json_expecting_comma",
    "Expecting ':' delimiter": "json_expecting_colon",
    "Expecting property name enclosed in double quotes": "json_expecting_name",
    "Unterminated string starting at": "json_unterminated_string",
    "Invalid control character at": "json_control_character",
    "Invalid \\escape": "json_bad_escape",
    "Invalid \\uXXXX escape": "json_bad_escape",
    "Extra data": "json_extra_data",
    "Illegal trailing comma before end of object": "json_trailing_comma",
    "Illegal trailing comma before end of array": "json_trailing_comma",
}


def _problem(error: Any, doc: Any, lang: str = DEFAULT, names: Names | None = None) -> dict[str, Any]:
    """One validation problem, with its ``field`` and the framework's ``type`` (stable, for
    machines) and its words in ``lang``; a body that is not JSON (truncated, malformed) is the
    body's problem, said with the line and column where the parser stopped (the framework gives
    the character offset in the field's place)."""
    loc = error["loc"]
    if error["type"] == "json_invalid" and len(loc) == 2 and isinstance(loc[1], int) and isinstance(doc, str | bytes):
        line, column = json_position(doc, loc[1])
        why = _JSON_DETAILS.get(str((error.get("ctx") or {}).get("error")))
        if why is None:  # a reason we have no words for: where, without the parser's English
            said = edge_words("not_valid_json_there", lang, line=line, column=column)
        else:
            said = edge_words("not_valid_json", lang, line=line, column=column, detail=edge_words(why, lang))
        return {"field": "body", "problem": said, "type": error["type"]}
    field = ".".join(str(p) for p in loc[1:] or loc)
    return {"field": field, "problem": _said_problem(error, lang, names or Names()), "type": error["type"]}


def body_refused(why: str, lang: str, *, kind: str, **params: Any) -> dict[str, Any]:
    """A malformed body's 422 as the framework's own are answered: ``invalid_input`` on the
    field ``body``, the words after the field as the message, and the one problem in
    ``problems`` (``kind``: its stable ``type``), so a program reads every malformed request's
    refusal the same way (README: a malformed request's 422 lists ``problems``)."""
    said = edge_words(why, lang, **params)
    problem = {"field": "body", "problem": said, "type": kind}
    return body("invalid_input", on_field("body", said, lang), field="body", problems=[problem])


def _validation(request: Request, exc: Exception) -> JSONResponse:
    """The framework's refusal of a request's shape, in the API's one error shape and the
    reader's language: the first problem as the message, every problem in ``problems``."""
    assert isinstance(exc, RequestValidationError)
    lang = lang_of(request)
    problems = [_problem(e, exc.body, lang, names_for(request)) for e in exc.errors()]
    if not problems:
        return JSONResponse(body("invalid_input", edge_words("invalid_request", lang), problems=[]), 422)
    first = problems[0]
    message = on_field(first["field"], first["problem"], lang)
    return JSONResponse(
        body("invalid_input", message, field=first["field"] or None, problems=problems), status_code=422
    )


class BodyTooLarge(StarletteHTTPException):
    """A streamed body that grew past its route's limit (raised while the app reads it)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is larger than {limit} bytes")
        self.limit = limit


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    lang = lang_of(request)
    if exc.status_code == 400:
        # The framework's only 400 is a body it cannot decode (every body the API takes is JSON:
        # here one not in UTF-8): to a caller that is malformed input like any other, so it gets
        # the same 422, code and ``problems``, in our words (the framework's are English only).
        return JSONResponse(body_refused("json_utf8", lang, kind="json_invalid"), 422)
    code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status_code, "http_error")
    if isinstance(exc, BodyTooLarge):
        message = edge_words("body_too_large", lang, limit=exc.limit)
    elif exc.status_code == 404:  # no route: a missing row is the domain's NotFound, said by kind
        message = edge_words("no_such_route", lang)
    elif exc.status_code == 405:
        message = edge_words("method_not_allowed", lang, method=request.method)
    else:
        message = str(exc.detail)
    field = "body" if exc.status_code == 413 else None
    return JSONResponse(body(code, message, field=field), status_code=exc.status_code, headers=exc.headers)


def _data(request: Request, exc: Exception) -> JSONResponse:
    """The database refused a value (out of its range, a byte it cannot store): bad input, not a
    bug of ours; the transaction was rolled back, so nothing was written."""
    log.warning("the database refused a value: %s", str(exc).splitlines()[0][:300])
    return JSONResponse(body("invalid_input", edge_words("value_unstorable", lang_of(request))), 422)


def _internal(request: Request, exc: Exception) -> JSONResponse:
    """A bug still answers in the API's error shape (the traceback goes to the log, not the client)."""
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(body("internal_error", edge_words("internal_error", lang_of(request))), 500)


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
    """JSON text nested too deep or holding a number too long: refused before it is parsed.
    ``why`` and ``most`` say it in any language (``api/error_words.py``); ``str()`` is English."""

    def __init__(self, why: str, most: int) -> None:
        super().__init__(edge_words(why, DEFAULT, most=most))
        self.why, self.most = why, most


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
        raise BadJson("json_number_digits", MAX_NUMBER_DIGITS)
    if openers > MAX_JSON_DEPTH:
        depth = deepest = 0
        for bracket in bare.translate(None, _NOT_BRACKET):
            depth += 1 if bracket in b"[{" else -1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    raise BadJson("json_nesting", MAX_JSON_DEPTH)


def parse_json(raw: bytes | str) -> Any:
    """``json.loads`` that refuses deep nesting and long numbers with :class:`BadJson`, and
    turns every other fault of the text (a recursion or conversion error included) into a
    ``ValueError`` rather than letting it escape as a crash."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    check_json_shape(data)
    try:
        return json.loads(raw)
    except RecursionError:
        raise BadJson("json_nesting", MAX_JSON_DEPTH) from None


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
            await refuse_early(send, scope, 413, "too_large", "body_too_large", {"limit": limit}, field="body")
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
                raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)

    async def _json(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Read a JSON body whole (up to ``limit``), check its shape, then hand it on."""
        messages = await read_body(receive, limit)
        if messages is None:
            await refuse_early(send, scope, 413, "too_large", "body_too_large", {"limit": limit}, field="body")
            return
        try:
            check_json_shape(b"".join(m.get("body", b"") for m in messages))
        except BadJson as exc:
            await send_answer(send, 422, body_refused(exc.why, scope_lang(scope), kind=exc.why, most=exc.most))
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def refuse_early(
    send: Send,
    scope: Scope,
    status: int,
    code: str,
    why: str,
    params: dict[str, Any] | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
    **details: Any,
) -> None:
    """A refusal sent before the app sees the request (by a middleware), in the API's error shape
    and the request's ``Accept-Language`` (``why`` and ``params`` as :class:`ApiError` takes them)."""
    message = edge_words(why, scope_lang(scope), **(params or {}))
    await send_answer(send, status, body(code, message, **details), headers)


async def send_answer(
    send: Send, status: int, answer: dict[str, Any], headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """An answer sent as JSON by a middleware, before (or instead of) the app."""
    payload = json.dumps(answer).encode()
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
                await refuse_early(send, scope, 422, "invalid_input", "control_character_in_address")
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
