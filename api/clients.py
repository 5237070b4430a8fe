"""The clients' API: quotes, deliveries, tracking links and webhooks.

Validation happens before anything is written: a malformed body, a point the cooperative's
bikes cannot reach, a parcel no vehicle of the cooperative can carry, or a window already past
gets a 422 with a machine-readable ``code``, and leaves no trace. An accepted request is stored
with its idempotency key, so a client retrying after a lost answer gets the same delivery.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response

from api import webhooks as sender
from api.deps import Client, Svc
from api.errors import ApiError, answers, refusals, responses
from api.i18n import Lang, say_quote
from api.schemas import (
    CancelIn,
    DeliveriesOut,
    DeliveryIn,
    DeliveryOut,
    QuoteOut,
    TrackOut,
    WebhookCreatedOut,
    WebhookDeliveriesOut,
    WebhookIn,
    WebhooksOut,
)
from api.services import Services
from dispatch import commands
from dispatch.errors import InvalidInput, NotFound
from dispatch.events import Actor, ActorKind, Event
from dispatch.intake import quote_request
from dispatch.lifecycle import JobState
from dispatch.pricing import Quote
from dispatch.projections import JobView
from dispatch.store import proofs as kept_proofs
from dispatch.store import webhooks as hooks

log = logging.getLogger("tandem.webhooks")
router = APIRouter(prefix="/v1", tags=["clients"])


def _tracking_url(svc: Services, request: Request, job_id: str) -> str:
    base = svc.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
    return f"{base}/v1/track/{svc.tracking_token(job_id)}"


def _eta(job: JobView) -> str | None:
    if job.state in (JobState.DELIVERED, JobState.FAILED, JobState.CANCELLED):
        return None
    eta = (job.proposal or {}).get("explanation", {}).get("dropoff_eta")
    return None if eta is None else str(eta)


def delivery_json(svc: Services, request: Request, job: JobView) -> dict[str, Any]:
    """What a client sees of a job: never which courier, nor anything about them."""
    return {
        "id": job.id,
        "status": job.state.value,
        "requested_at": job.requested_at,
        "picked_up_at": job.picked_up_at,
        "finished_at": job.finished_at,
        "eta": _eta(job),
        "request": job.request,
        "tracking_url": _tracking_url(svc, request, job.id),
    }


def _now() -> datetime:
    return datetime.now(UTC)


@router.post("/quotes", **answers(QuoteOut, also=refusals()))
async def create_quote(body: DeliveryIn, who: Client, svc: Svc, lang: Lang) -> dict[str, Any]:
    """The price of a delivery before asking for it (nothing is stored); each line with its code,
    its figures, and its label in the ``Accept-Language`` asked (English by default)."""
    request = body.to_request()
    streets = (await svc.city(who.cooperative_id)).streets  # the cooperative's own service area
    q, metres = await svc.run(quote_request, svc.store, streets, who.cooperative_id, who.subject_id, request, _now())
    return {"quote": say_quote(q.to_json(), lang), "distance_m": round(metres, 1)}


@router.post(
    "/deliveries",
    status_code=201,
    **answers(
        DeliveryOut,
        201,
        also={
            200: {"model": DeliveryOut, "description": "A retry with the same Idempotency-Key: the delivery as asked"},
            **refusals(409),
        },
    ),
)
async def create_delivery(
    body: DeliveryIn,
    who: Client,
    svc: Svc,
    request: Request,
    response: Response,
    lang: Lang,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> dict[str, Any]:
    """Ask for a delivery. Send an ``Idempotency-Key`` header to retry safely. Its quote's lines
    are labelled in the ``Accept-Language`` asked."""
    job_request = body.to_request()
    now = _now()

    def create() -> tuple[JobView, Quote, list[Event]]:
        q, _ = quote_request(
            svc.store, svc.city_of(who.cooperative_id).streets, who.cooperative_id, who.subject_id, job_request, now
        )
        asked = body.dropoff.proof_requirement()  # checked, and a code hashed, before anything is written
        # A retry with the same key returns the job as first requested, and no new event.
        job, event = commands.submit_job(
            svc.store, who.cooperative_id, who.subject_id, job_request, at=now, idempotency_key=idempotency_key
        )
        if event is not None:  # what the courier must give at the door (dispatch/proofs.py)
            kept_proofs.require(svc.store, who.cooperative_id, job.id, asked, who.subject_id)
        return job, q, [] if event is None else [event]

    job, q, events = await svc.run(create)
    if events:
        await svc.appended(who.cooperative_id, events)
    else:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return {**delivery_json(svc, request, job), "quote": say_quote(q.to_json(), lang)}


@router.get("/deliveries/{delivery_id}", **answers(DeliveryOut, also=refusals(404)))
async def get_delivery(delivery_id: str, who: Client, svc: Svc, request: Request) -> dict[str, Any]:
    job = await svc.run(svc.store.job, who.cooperative_id, delivery_id)
    if job.client_id != who.subject_id:
        raise NotFound("delivery", delivery_id)  # another client's delivery does not exist for this one
    return delivery_json(svc, request, job)


@router.get("/deliveries", **answers(DeliveriesOut, also=refusals()))
async def list_deliveries(
    who: Client,
    svc: Svc,
    request: Request,
    status: Annotated[JobState | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    # The latest changed first, read with a LIMIT: a page costs what it shows, not the whole log.
    mine = await svc.run(
        svc.store.jobs_of_client, who.cooperative_id, who.subject_id, None if status is None else [status], limit=limit
    )
    return {"deliveries": [delivery_json(svc, request, j) for j in mine]}


@router.post("/deliveries/{delivery_id}/cancel", **answers(DeliveryOut, also=refusals(404, 409)))
async def cancel_delivery(
    delivery_id: str, who: Client, svc: Svc, request: Request, body: CancelIn | None = None
) -> dict[str, Any]:
    job = await svc.run(svc.store.job, who.cooperative_id, delivery_id)
    if job.client_id != who.subject_id:
        raise NotFound("delivery", delivery_id)  # another client's delivery does not exist for this one
    event = await svc.run(
        commands.cancel_job,
        svc.store,
        who.cooperative_id,
        delivery_id,
        by=Actor(ActorKind.CLIENT, who.subject_id),
        at=_now(),
        reason=body.reason if body else "",
    )
    await svc.appended(who.cooperative_id, [event])
    return delivery_json(svc, request, await svc.run(svc.store.job, who.cooperative_id, delivery_id))


@router.get("/track/{token}", **answers(TrackOut, also=responses(404, 413, 422)))
async def track(token: str, svc: Svc) -> dict[str, Any]:
    """Public: status and ETA only (whoever holds the link, e.g. the recipient)."""
    job_id = svc.job_for_tracking(token)
    found = None if job_id is None else await svc.run(svc.store.find_job, job_id)
    if found is None:
        raise ApiError(404, "not_found", "unknown_tracking_link")
    job = found[1]
    return {"status": job.state.value, "eta": _eta(job), "finished_at": job.finished_at}


@router.post("/webhooks", status_code=201, **answers(WebhookCreatedOut, 201, also=refusals()))
async def register_webhook(body: WebhookIn, who: Client, svc: Svc) -> dict[str, Any]:
    """Events are POSTed with ``Tandem-Signature: t=<unix>,v1=<HMAC-SHA256 of "t.body">``.

    A URL whose host is (or resolves to) an internal address is refused with a reason that says
    no more than that: which internal names exist is the operator's business, in their log.
    """
    hooks.check_url(body.url, allow_http=svc.settings.webhook_allow_http)
    refused = await svc.run(sender.registration_refusal, body.url)
    if refused is not None:
        log.warning("webhook registration by client %s refused: %s", who.subject_id, refused)
        raise InvalidInput("url", "destination_refused")  # sender.REFUSED, worded
    hook, secret = await svc.run(
        hooks.register,
        svc.store,
        who.cooperative_id,
        who.subject_id,
        body.url,
        allow_http=svc.settings.webhook_allow_http,
    )
    return {**hook.to_json(), "secret": secret, "events": sorted(set(hooks.CLIENT_EVENTS.values()))}


@router.get("/webhooks", **answers(WebhooksOut, also=refusals()))
async def list_webhooks(who: Client, svc: Svc) -> dict[str, Any]:
    found = await svc.run(hooks.webhooks_of, svc.store, who.cooperative_id, who.subject_id)
    return {"webhooks": [h.to_json() for h in found]}


@router.get("/webhooks/deliveries", **answers(WebhookDeliveriesOut, also=refusals(404)))
async def webhook_deliveries(
    who: Client, svc: Svc, webhook_id: Annotated[str | None, Query(max_length=36)] = None
) -> dict[str, Any]:
    """Every event sent to this client's URLs and each attempt (status code, error, time)."""
    rows = await svc.run(hooks.deliveries_of, svc.store, who.cooperative_id, who.subject_id, webhook_id=webhook_id)
    return {"deliveries": rows}


# After /webhooks/deliveries: a path both patterns match takes its Allow header from the first
# route, and OPTIONS /v1/webhooks/deliveries must say GET, not DELETE.
@router.delete("/webhooks/{webhook_id}", status_code=204, responses=refusals(404))
async def delete_webhook(webhook_id: str, who: Client, svc: Svc) -> Response:
    await svc.run(hooks.revoke, svc.store, who.cooperative_id, who.subject_id, webhook_id)
    return Response(status_code=204)


__all__ = ["InvalidInput", "router"]
