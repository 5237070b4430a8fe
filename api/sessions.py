"""Logging in and out (dispatchers, analysts, couriers) and the service's health."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response

from api.deps import Member, Svc
from api.errors import ApiError, answers, refusals, responses
from api.schemas import HealthOut, LoginIn, LoginOut, NoBodyIn, ReadyOut
from dispatch.store.access import log_in, revoke_token
from dispatch.store.engine import reading

router = APIRouter(tags=["sessions"])


@router.post("/v1/auth/login", **answers(LoginOut, also=responses(401, 413, 422)))
async def login(body: LoginIn, svc: Svc) -> dict[str, Any]:
    token, who, expires = await svc.run(
        log_in,
        svc.store,
        body.cooperative_id,
        body.login,
        body.password,
        ttl=timedelta(seconds=svc.settings.token_ttl_s),
    )
    return {
        "token": token,
        "role": who.role,
        "id": who.subject_id,
        "display_name": who.display_name,
        "cooperative_id": who.cooperative_id,
        "expires_at": expires.isoformat(),
    }


@router.post("/v1/auth/logout", status_code=204, responses=refusals())
async def logout(who: Member, svc: Svc, request: Request, _body: NoBodyIn | None = None) -> Response:
    """Revoke the token this request came with (``Member`` made sure it is one); its sockets in
    this worker close now, in the others at their next check (within a second)."""
    await svc.run(revoke_token, svc.store, request.headers.get("authorization", "").partition(" ")[2].strip())
    request.app.state.sessions.check_soon()
    return Response(status_code=204)


@router.get("/healthz", **answers(HealthOut))
async def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz", **answers(ReadyOut, also=responses(503)))
async def readyz(svc: Svc) -> dict[str, Any]:
    """The database answers (a worker that cannot reach it should get no traffic)."""
    from sqlalchemy import text

    def ping() -> None:
        with reading(svc.store.engine) as conn:
            conn.execute(text("SELECT 1"))

    try:
        await svc.run(ping)
    except Exception as exc:  # any failure to answer means: send no traffic here
        raise ApiError(503, "not_ready", "database_silent", {"detail": type(exc).__name__}) from None
    return {"status": "ready", "city": svc.settings.city}
