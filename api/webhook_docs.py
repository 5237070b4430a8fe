"""The webhooks a client receives, as pydantic models published in ``/openapi.json``'s ``webhooks``.

The bodies themselves are built from the event log by dispatch/store/webhooks.py (plain dicts:
the store knows nothing of the API); these models say what those dicts hold, one per event
name, so that a client can write its receiver from the OpenAPI document alone. They refuse
fields they do not name (``extra="forbid"``): tests/api/test_webhook_schemas.py validates the
bodies a real server sends against the published schemas, so a field added to a body and not
here fails there instead of going undocumented.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Header
from pydantic import BaseModel, ConfigDict, Field, create_model

from api.webhooks import TOLERANCE_S
from dispatch.store.webhooks import CLIENT_EVENTS, MAX_ATTEMPTS


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Data(_Closed):
    delivery_id: str = Field(description="The id `POST /v1/deliveries` answered.")
    reason: None = Field(description="Always null here: a dispatcher's or a courier's note is not the client's.")


class RequestedData(_Data):
    status: Literal["requested"]


class AssignedData(_Data):
    """A person gave the delivery to a courier (never which one)."""

    status: Literal["assigned"]


class PickedUpData(_Data):
    status: Literal["picked_up"]


class ProofSaid(_Closed):
    """What proof of delivery was given at the door (never its content)."""

    kinds: list[Literal["photo", "signature", "name", "code"]]
    url: str = Field(description="The API route where the client reads the proof (with its key).")


class DeliveredData(_Data):
    status: Literal["delivered"]
    proof: ProofSaid | None = Field(default=None, description="Present when a proof was given.")


class FailedData(_Closed):
    delivery_id: str
    status: Literal["failed"]
    reason: str | None = Field(description="Why the delivery failed, as the courier said it.")


class CancelledData(_Closed):
    delivery_id: str
    status: Literal["cancelled"]
    reason: str | None = Field(description="Why it was cancelled, when a reason was given.")


class UnassignedData(_Data):
    """An assigned delivery is open again: its courier declined it (``declined``), or a dispatcher
    took it back (``unassigned``, also when a courier had to stop). It will be assigned again."""

    status: Literal["unassigned", "declined"]


class DeclaredFound(_Closed):
    declared: float | None = Field(description="What the request said (null: not declared).")
    reported: float = Field(description="What the courier found at pickup.")


class QuoteLine(_Closed):
    code: str | None = Field(
        default=None,
        description="What the line charges for: quote_base, quote_distance, quote_weight, quote_express or "
        "quote_solidarity; its words in each language: GET /v1/reasons, as for every reason",
    )
    params: dict[str, float] | None = Field(
        default=None, description="Its figures: km or kg and the band's lower bound (over), or a percent"
    )
    label: str | None = Field(
        default=None, description="Only in a quote priced before lines were codes: its words, in English"
    )
    amount_cents: int


class PricedQuote(_Closed):
    weight_kg: float
    currency: str
    total_cents: int
    lines: list[QuoteLine]


class Quotes(_Closed):
    previous: PricedQuote = Field(description="The price with the weight declared.")
    new: PricedQuote = Field(description="The price with the weight found.")


class UpdatedData(_Data):
    """The parcels weigh (or measure) other than declared, found at pickup."""

    status: Literal["assigned", "declined"] = Field(
        description="declined: the courier's vehicle cannot carry it; the delivery is open again."
    )
    weight_kg: DeclaredFound
    volume_l: DeclaredFound | None = Field(default=None, description="Present when the courier measured it.")
    longest_side_cm: DeclaredFound | None = Field(default=None, description="Present when the courier measured it.")
    back_to_dispatch: bool
    repricing: Literal["none", "requote"] = Field(description="The cooperative's rule: none, the quote stands.")
    quotes: Quotes | None = Field(default=None, description="Under the rule requote: both prices.")


#: Each event name a client can receive: its data, and when it is sent.
EVENTS: dict[str, tuple[type[BaseModel], str]] = {
    "delivery.requested": (RequestedData, "A delivery was accepted (`POST /v1/deliveries`)."),
    "delivery.assigned": (AssignedData, "A dispatcher gave the delivery to a courier (again, after a decline)."),
    "delivery.picked_up": (PickedUpData, "The courier has the parcels."),
    "delivery.delivered": (DeliveredData, "Delivered; `proof` says what proof was given and where to read it."),
    "delivery.failed": (FailedData, "The courier could not deliver; `reason` says why."),
    "delivery.cancelled": (CancelledData, "The delivery was cancelled."),
    "delivery.unassigned": (
        UnassignedData,
        "An assigned delivery is open again (its courier declined it, or a dispatcher took it back); "
        "a later `delivery.assigned` follows when someone carries it.",
    ),
    "delivery.updated": (
        UpdatedData,
        "The parcels weigh or measure other than declared (found at pickup): both values, whether the "
        "delivery is open again, and both quotes under the cooperative's rule `requote`.",
    ),
}


def body_model(name: str) -> type[BaseModel]:
    """The whole body of one event's POST: the envelope every webhook shares, and its data."""
    data, _ = EVENTS[name]
    title = "".join(part.capitalize() for part in name.replace("_", ".").split(".")) + "Webhook"
    return create_model(
        title,
        __base__=_Closed,
        type=(Literal[name], Field(description="The event's name (also in the Tandem-Event header).")),  # type: ignore[arg-type]
        event_id=(str, Field(description="Unique per event: deduplicate with it (a retry repeats it).")),
        event_seq=(int, Field(description="The event's place in the cooperative's log: order by it.")),
        occurred_at=(datetime, Field(description="When it happened (ISO 8601 with a time zone).")),
        data=(data, ...),
    )


SIGNATURE = (
    f"`t=<unix seconds>,v1=<hex>`: the hex is HMAC-SHA256 keyed with the secret `POST /v1/webhooks` "
    f'answered (once), over the bytes `"<t>." + <raw body>`. Recompute it over the raw body before '
    f"parsing it, compare in constant time, and refuse a `t` more than {TOLERANCE_S} s from your clock "
    f"(a replay)."
)
HOW = f"""Sent as `POST` to every URL the client registered with `POST /v1/webhooks` (https only,
unless the server's operator set `TANDEM_WEBHOOK_ALLOW_HTTP` for local development).

**Verify** the `Tandem-Signature` header before trusting the body: {SIGNATURE}

**Answer** any 2xx within 10 s: anything else (or nothing) is retried with exponential backoff
(1 s, 2 s, 4 s ... capped at an hour, {MAX_ATTEMPTS} attempts). Deliveries run side by side, so
they may arrive out of order: order by `event_seq`, and deduplicate by `event_id`
(the same event is never queued twice for a URL, but an attempt whose answer was lost is retried).
`GET /v1/webhooks/deliveries` lists every attempt."""


def _receiver(model: type[BaseModel]) -> Callable[..., Awaitable[None]]:
    """An operation with the body ``model`` and the headers every webhook carries.

    The signature is built, not written, because the body's type is a value here.
    """

    async def receive(**_: Any) -> None:
        """The client's endpoint: documentation only, never served."""

    headers = {
        "tandem_signature": Header(alias="Tandem-Signature", description=SIGNATURE),
        "tandem_event": Header(alias="Tandem-Event", description="The event's name, as the body's `type`."),
        "tandem_delivery": Header(alias="Tandem-Delivery", description="This delivery's id (the same on a retry)."),
    }
    params = [inspect.Parameter("body", inspect.Parameter.KEYWORD_ONLY, annotation=model)]
    params += [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[str, header])
        for name, header in headers.items()
    ]
    receive.__signature__ = inspect.Signature(params, return_annotation=None)  # type: ignore[attr-defined]
    return receive


def install(app: FastAPI) -> None:
    """Publish one webhook per event name in ``/openapi.json`` (FastAPI's ``app.webhooks``)."""
    if set(EVENTS) != set(CLIENT_EVENTS.values()):  # a new event name is documented before it ships
        raise RuntimeError(f"webhook docs and events differ: {sorted(set(EVENTS) ^ set(CLIENT_EVENTS.values()))}")
    for name, (_, when) in EVENTS.items():
        app.webhooks.post(
            name,
            summary=when.split(";")[0].split("(")[0].strip(" ."),
            description=f"{when}\n\n{HOW}",
            operation_id=f"webhook_{name.replace('.', '_')}",
            status_code=204,
            responses={204: {"description": "Any 2xx: received; anything else is retried."}},
            tags=["webhooks"],
        )(_receiver(body_model(name)))
    build = app.openapi

    def openapi() -> dict[str, Any]:
        """FastAPI's document without the 422 it adds to every operation with a body: a webhook
        is the client's endpoint, and Tandem does not read its refusals' bodies."""
        if app.openapi_schema is None:
            for item in build().get("webhooks", {}).values():
                item["post"]["responses"].pop("422", None)
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]
