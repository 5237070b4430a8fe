"""Webhooks: the URLs clients register, and the deliveries owed to them, attempt by attempt.

Deliveries are made *from the event log*: a cursor per cooperative turns each relevant event
into one row per registered URL (unique per URL and event), so an event appended by any worker,
even one that crashed right after, is delivered, and never twice to the same URL. Workers take
due deliveries under a lease, so several API workers share the sending without doubles: the
lease is derived from the deadline of one attempt (:data:`ATTEMPT_DEADLINE_S`), so a slow
receiver can never hold an attempt past its lease and see a second worker send the same event.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from dispatch.errors import InvalidInput, NotFound
from dispatch.events import Event, EventType
from dispatch.store.engine import reading
from dispatch.store.repository import Store, _now, _utc
from dispatch.store.schema import CooperativeRow, WebhookCursorRow, WebhookDeliveryRow, WebhookRow

E = EventType

#: The event types clients hear about, by the name they see.
CLIENT_EVENTS: dict[EventType, str] = {
    E.JOB_REQUESTED: "delivery.requested",
    E.PROPOSAL_ACCEPTED: "delivery.assigned",
    E.JOB_OVERRIDDEN: "delivery.assigned",
    E.JOB_REASSIGNED: "delivery.assigned",
    E.PICKED_UP: "delivery.picked_up",
    E.DELIVERED: "delivery.delivered",
    E.DELIVERY_FAILED: "delivery.failed",
    E.JOB_CANCELLED: "delivery.cancelled",
    # An assigned delivery back in the open queue: the client heard "assigned" and must hear
    # that it no longer holds (issue 16). Who declined, and why, is not said.
    E.JOB_UNASSIGNED: "delivery.unassigned",
    E.COURIER_DECLINED: "delivery.unassigned",
    # The parcels weigh more (or less) than declared, found at pickup (issue 18): the weight
    # declared and found, whether the delivery went back to the open queue, and the quotes
    # before and after when the cooperative's rule is to requote.
    E.PARCEL_REWEIGHED: "delivery.updated",
}
#: Events whose reason is the client's business: why their delivery failed or was cancelled.
#: An override's or an unassignment's reason is a note between dispatchers (issue 16), and a
#: decline's reason belongs to the courier and the dispatchers: never in a client's webhook.
REASON_FOR_CLIENT = frozenset({E.DELIVERY_FAILED, E.JOB_CANCELLED})
STATUS_AFTER = {
    "delivery.requested": "requested",
    "delivery.assigned": "assigned",
    "delivery.picked_up": "picked_up",
    "delivery.delivered": "delivered",
    "delivery.failed": "failed",
    "delivery.cancelled": "cancelled",
}
#: A delivery back in the open queue has the status the client API shows for it.
STATUS_OPEN_AGAIN = {E.JOB_UNASSIGNED: "unassigned", E.COURIER_DECLINED: "declined"}
#: Waits between attempts: 1 s, 2 s, 4 s ... capped at an hour; after the last one we give up.
MAX_ATTEMPTS = 12
MAX_BACKOFF = timedelta(hours=1)
MAX_WEBHOOKS_PER_CLIENT = 10
#: One attempt, from resolving the host to the receiver's status line, ends within this or fails.
ATTEMPT_DEADLINE_S = 10.0
#: How long a worker holds a delivery it took: twice the attempt's deadline plus time to record
#: the outcome, so the lease cannot run out while the attempt is still going.
LEASE = timedelta(seconds=2 * ATTEMPT_DEADLINE_S + 15)


@dataclass(frozen=True)
class Webhook:
    id: str
    client_id: str
    url: str
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url, "created_at": self.created_at.isoformat()}


@dataclass(frozen=True)
class Delivery:
    id: str
    cooperative_id: str
    client_id: str
    webhook_id: str
    url: str
    secret: str
    event_seq: int
    event_type: str
    body: dict[str, Any]
    attempts: list[dict[str, Any]]


def backoff(attempt: int) -> timedelta:
    """Wait before attempt ``attempt + 1`` (attempt counts from 1)."""
    return min(MAX_BACKOFF, timedelta(seconds=2 ** (attempt - 1)))


def check_url(url: str, *, allow_http: bool) -> str:
    if not isinstance(url, str) or len(url) > 2000:
        raise InvalidInput("url", "url_length", most=2000)
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        parts.port  # noqa: B018  (a port out of range or not a number raises here)
    except ValueError:  # a broken bracketed host ("https://[::1") or port: a 500 before (issue 21)
        raise InvalidInput("url", "url_host_port") from None
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not hostname:
        raise InvalidInput("url", "url_scheme", values=list(schemes))
    if parts.username or parts.password:
        raise InvalidInput("url", "url_credentials")
    return url


def register(store: Store, coop_id: str, client_id: str, url: str, *, allow_http: bool = False) -> tuple[Webhook, str]:
    """Register a URL; returns the webhook and its signing secret (shown once to the client)."""
    store.client(coop_id, client_id)
    check_url(url, allow_http=allow_http)
    if len(webhooks_of(store, coop_id, client_id)) >= MAX_WEBHOOKS_PER_CLIENT:
        raise InvalidInput("url", "too_many_webhooks", most=MAX_WEBHOOKS_PER_CLIENT)
    hook = Webhook(id=str(uuid.uuid4()), client_id=client_id, url=url, created_at=_now())
    secret = "whsec_" + secrets.token_urlsafe(32)
    with store.engine.begin() as conn:
        conn.execute(
            insert(WebhookRow).values(
                id=hook.id,
                cooperative_id=coop_id,
                client_id=client_id,
                url=url,
                secret=secret,
                created_at=hook.created_at,
                revoked_at=None,
            )
        )
        # Start from the current end of the log: a new URL hears about what happens from now on.
        has_cursor = conn.execute(
            select(WebhookCursorRow.last_seq).where(WebhookCursorRow.cooperative_id == coop_id)
        ).first()
        if has_cursor is None:
            last = conn.execute(select(CooperativeRow.last_seq).where(CooperativeRow.id == coop_id)).scalar()
            conn.execute(insert(WebhookCursorRow).values(cooperative_id=coop_id, last_seq=last or 0))
    return hook, secret


def webhooks_of(store: Store, coop_id: str, client_id: str) -> list[Webhook]:
    with reading(store.engine) as conn:
        rows = conn.execute(
            select(WebhookRow.__table__)
            .where(
                WebhookRow.cooperative_id == coop_id, WebhookRow.client_id == client_id, WebhookRow.revoked_at.is_(None)
            )
            .order_by(WebhookRow.created_at)
        ).all()
    return [Webhook(r.id, r.client_id, r.url, _utc(r.created_at)) for r in rows]


def revoke(store: Store, coop_id: str, client_id: str, webhook_id: str) -> None:
    with store.engine.begin() as conn:
        result = conn.execute(
            update(WebhookRow)
            .where(
                WebhookRow.cooperative_id == coop_id,
                WebhookRow.client_id == client_id,
                WebhookRow.id == webhook_id,
                WebhookRow.revoked_at.is_(None),
            )
            .values(revoked_at=_now())
        )
    if not result.rowcount:
        raise NotFound("webhook", webhook_id)


def _reweighed(event: Event) -> dict[str, Any]:
    """What changed when the parcels were weighed (or measured) at pickup; never who did it."""
    back = bool(event.payload.get("back_to_dispatch"))
    requote = event.payload.get("requote")
    size: dict[str, Any] = {
        key: {"declared": event.payload.get(f"declared_{key}"), "reported": event.payload[key]}
        for key in ("volume_l", "longest_side_cm")
        if key in event.payload
    }
    return {
        "status": "declined" if back else "assigned",
        "weight_kg": {"declared": event.payload.get("declared_weight_kg"), "reported": event.payload["weight_kg"]},
        #: the size too, when the courier measured it: volume and longest side, declared and found
        **size,
        #: True: the vehicle could not carry it; the delivery is open again for another courier
        "back_to_dispatch": back,
        #: the cooperative's repricing rule: "none" (the quoted price stands), or both quotes
        "repricing": "none" if requote is None else requote.get("rule", "requote"),
        **({} if requote is None else {"quotes": {"previous": requote["previous"], "new": requote["new"]}}),
    }


def _body(event: Event, kind: str, job_id: str) -> dict[str, Any]:
    if event.type is E.PARCEL_REWEIGHED:
        data = {"delivery_id": job_id, "reason": None, **_reweighed(event)}
    else:
        data = {
            "delivery_id": job_id,
            "status": STATUS_OPEN_AGAIN.get(event.type) or STATUS_AFTER[kind],
            "reason": event.payload.get("reason") if event.type in REASON_FOR_CLIENT else None,
            # delivery.delivered names its proof: the kinds given and the API route to read it
            **({"proof": event.payload["proof"]} if event.type is E.DELIVERED and "proof" in event.payload else {}),
        }
    return {
        "type": kind,
        "event_id": event.id,
        "event_seq": event.seq,
        "occurred_at": event.at.isoformat(),
        "data": data,
    }


def enqueue_from_log(store: Store, coop_id: str, *, batch: int = 500) -> int:
    """Turn the log's new client-facing events into deliveries; returns how many were queued."""
    with reading(store.engine) as conn:
        cursor = conn.execute(
            select(WebhookCursorRow.last_seq).where(WebhookCursorRow.cooperative_id == coop_id)
        ).scalar()
        if cursor is None:
            return 0  # nobody in this cooperative registered a webhook yet
        hooks = conn.execute(
            select(WebhookRow.id, WebhookRow.client_id).where(
                WebhookRow.cooperative_id == coop_id, WebhookRow.revoked_at.is_(None)
            )
        ).all()
    events = store.events(coop_id, after_seq=cursor, limit=batch)
    if not events:
        return 0
    by_client: dict[str, list[str]] = {}
    for hook_id, client_id in hooks:
        by_client.setdefault(client_id, []).append(hook_id)
    rows = []
    now = _now()
    for event in events:
        kind = CLIENT_EVENTS.get(event.type)
        job_id = event.job_id
        if kind is None or job_id is None:
            continue
        client_id = (
            str(event.payload["client_id"]) if event.type is E.JOB_REQUESTED else store.job(coop_id, job_id).client_id
        )
        for hook_id in by_client.get(client_id, []):
            rows.append(
                {
                    "id": str(uuid.uuid4()),
                    "cooperative_id": coop_id,
                    "webhook_id": hook_id,
                    "event_seq": event.seq,
                    "event_type": kind,
                    "body": _body(event, kind, job_id),
                    "status": "pending",
                    "attempts": {"log": []},
                    "next_attempt_at": now,
                    "lease_until": None,
                }
            )
    try:
        with store.engine.begin() as conn:
            moved = conn.execute(
                update(WebhookCursorRow)
                .where(WebhookCursorRow.cooperative_id == coop_id, WebhookCursorRow.last_seq == cursor)
                .values(last_seq=events[-1].seq)
            ).rowcount
            if not moved:
                return 0  # another worker took this stretch of the log
            if rows:
                conn.execute(insert(WebhookDeliveryRow), rows)
    except IntegrityError:
        return 0
    return len(rows)


def cooperatives_with_webhooks(store: Store) -> list[str]:
    with reading(store.engine) as conn:
        return list(conn.execute(select(WebhookCursorRow.cooperative_id)).scalars())


def claim_due(
    store: Store,
    *,
    now: datetime | None = None,
    lease: timedelta = LEASE,
    limit: int = 50,
    skip_webhooks: Collection[str] = (),
) -> list[Delivery]:
    """Take due deliveries for this worker (each row held by one worker at a time).

    ``skip_webhooks`` leaves alone the webhooks whose destination this worker already keeps busy:
    taking them would let their lease run while they wait for a free slot.
    """
    if lease.total_seconds() <= ATTEMPT_DEADLINE_S:
        raise ValueError("a lease must outlast the attempt it covers")
    now = now or _now()
    query = (
        select(WebhookDeliveryRow.id)
        .where(
            WebhookDeliveryRow.status == "pending",
            WebhookDeliveryRow.next_attempt_at <= now,
            or_(WebhookDeliveryRow.lease_until.is_(None), WebhookDeliveryRow.lease_until <= now),
        )
        .order_by(WebhookDeliveryRow.next_attempt_at)
        .limit(limit)
    )
    if skip_webhooks:
        query = query.where(WebhookDeliveryRow.webhook_id.not_in(list(skip_webhooks)))
    with reading(store.engine) as conn:
        candidates = conn.execute(query).scalars().all()
    taken = (_take(store, delivery_id, now, lease) for delivery_id in candidates)
    return [delivery for delivery in taken if delivery is not None]


def _take(store: Store, delivery_id: str, now: datetime, lease: timedelta) -> Delivery | None:
    """Lease one due delivery to this worker, in a transaction of its own; None when another
    worker took it first (its lease is theirs until it runs out)."""
    with store.engine.begin() as conn:
        won = conn.execute(
            update(WebhookDeliveryRow)
            .where(
                WebhookDeliveryRow.id == delivery_id,
                WebhookDeliveryRow.status == "pending",
                or_(WebhookDeliveryRow.lease_until.is_(None), WebhookDeliveryRow.lease_until <= now),
            )
            .values(lease_until=now + lease)
        ).rowcount
        if not won:
            return None
        row = conn.execute(
            select(WebhookDeliveryRow.__table__, WebhookRow.url, WebhookRow.secret, WebhookRow.client_id)
            .join(WebhookRow, and_(WebhookRow.id == WebhookDeliveryRow.webhook_id))
            .where(WebhookDeliveryRow.id == delivery_id)
        ).one()
    return Delivery(
        id=row.id,
        cooperative_id=row.cooperative_id,
        client_id=row.client_id,
        webhook_id=row.webhook_id,
        url=row.url,
        secret=row.secret,
        event_seq=row.event_seq,
        event_type=row.event_type,
        body=row.body,
        attempts=list(row.attempts["log"]),
    )


def release(store: Store, delivery_ids: Collection[str]) -> None:
    """Give back deliveries taken but not attempted (their destination is busy here), due at once."""
    if not delivery_ids:
        return
    with store.engine.begin() as conn:
        conn.execute(
            update(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.id.in_(list(delivery_ids)), WebhookDeliveryRow.status == "pending")
            .values(lease_until=None)
        )


def record_attempt(
    store: Store, delivery: Delivery, *, at: datetime, status_code: int | None, error: str | None, seconds: float
) -> str:
    """Log one attempt; a 2xx answer ends it, otherwise the next one is scheduled (or we give up)."""
    log = [
        *delivery.attempts,
        {"at": at.isoformat(), "status_code": status_code, "error": error, "seconds": round(seconds, 4)},
    ]
    ok = status_code is not None and 200 <= status_code < 300
    status = "delivered" if ok else ("gave_up" if len(log) >= MAX_ATTEMPTS else "pending")
    with store.engine.begin() as conn:
        conn.execute(
            update(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.id == delivery.id)
            .values(
                attempts={"log": log},
                status=status,
                lease_until=None,
                next_attempt_at=at + backoff(len(log)),
            )
        )
    return status


#: What a client may read about a failed attempt; the detail (which may map the operator's
#: network) goes to the operator's log only.
CLIENT_ERRORS = frozenset({"destination refused", "delivery failed"})


def _for_client(attempt: dict[str, Any]) -> dict[str, Any]:
    """An attempt as the client sees it; errors logged in detail before they were generic too."""
    error = attempt.get("error")
    return attempt if error is None or error in CLIENT_ERRORS else {**attempt, "error": "delivery failed"}


def deliveries_of(
    store: Store, coop_id: str, client_id: str, *, webhook_id: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """What was sent to a client's URLs, every attempt included (the client may read this)."""
    query = (
        select(WebhookDeliveryRow.__table__)
        .join(WebhookRow, WebhookRow.id == WebhookDeliveryRow.webhook_id)
        .where(WebhookDeliveryRow.cooperative_id == coop_id, WebhookRow.client_id == client_id)
        .order_by(WebhookDeliveryRow.event_seq.desc())
        .limit(limit)
    )
    if webhook_id is not None:
        query = query.where(WebhookDeliveryRow.webhook_id == webhook_id)
    with reading(store.engine) as conn:
        rows = conn.execute(query).all()
    return [
        {
            "id": r.id,
            "webhook_id": r.webhook_id,
            "event_seq": r.event_seq,
            "type": r.event_type,
            "status": r.status,
            "attempts": [_for_client(a) for a in r.attempts["log"]],
            "next_attempt_at": None if r.status != "pending" else _utc(r.next_attempt_at).isoformat(),
            "body": r.body,
        }
        for r in rows
    ]
