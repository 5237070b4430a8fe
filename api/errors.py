"""Every refusal as JSON with a stable machine-readable ``code`` and a sentence for people."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from dispatch.errors import (
    Conflict,
    DomainError,
    IdempotencyConflict,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PhysicalLimit,
)
from dispatch.store.access import LoginFailed

STATUS: dict[type[DomainError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    IllegalTransition: 409,
    IdempotencyConflict: 409,
    Conflict: 409,
    PhysicalLimit: 409,
    LoginFailed: 401,
}


class ApiError(Exception):
    """A refusal decided at the edge (authentication, a rule of the API rather than the domain)."""

    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def body(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **details}}


def _domain(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
    details: dict[str, Any] = {}
    if isinstance(exc, InvalidInput):
        details["field"] = exc.field
    if isinstance(exc, Conflict):
        details.update(last_act=exc.last_act, by=exc.by, current_seq=exc.actual_seq)
    return JSONResponse(body(exc.code, str(exc), **details), status_code=status)


def _api(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse(body(exc.code, exc.message, **exc.details), status_code=exc.status, headers=headers)


def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"field": ".".join(str(p) for p in e["loc"][1:] or e["loc"]), "problem": e["msg"], "type": e["type"]}
        for e in exc.errors()
    ]
    first = problems[0] if problems else {"field": "", "problem": "invalid request"}
    return JSONResponse(
        body("invalid_input", f"{first['field']}: {first['problem']}", problems=problems), status_code=422
    )


def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status_code, "http_error")
    return JSONResponse(body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(ApiError, _api)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
