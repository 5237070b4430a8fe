"""What every route of one API worker shares: the store, the cities, the bus, the planner."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import Request
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from api.bus import Hub, LocalBus
from api.cities import Cities, City
from api.errors import ApiError
from api.planner import Planner
from api.settings import Settings
from dispatch.events import Event, EventType
from dispatch.store import Store
from dispatch.store.access import KnownKeys
from dispatch.store.cooperatives import cooperative_city
from dispatch.store.engine import reading
from dispatch.store.schema import InstanceSecretRow
from routing.network import NetworkError

if TYPE_CHECKING:
    from api.federation import RemotePlanner

log = logging.getLogger("tandem.services")

E = EventType


#: Events after which the open jobs deserve a new round of proposals.
REPLAN_ON = frozenset(
    {
        E.JOB_REQUESTED,
        E.JOB_CANCELLED,
        E.COURIER_DECLINED,
        E.JOB_UNASSIGNED,
        E.SHIFT_STARTED,
        E.SHIFT_PAUSED,
        E.SHIFT_RESUMED,
        E.SHIFT_ENDED,
        E.COURIER_DEACTIVATED,
        E.COURIER_REACTIVATED,
        E.COOPERATIVE_SETTINGS_CHANGED,
    }
)


@dataclass
class Services:
    settings: Settings
    store: Store
    cities: Cities  #: every cooperative's city, loaded on first use and shared (api/cities.py)
    bus: LocalBus
    hub: Hub
    planner: Planner | RemotePlanner  #: RemotePlanner when ``tandem planner`` processes plan (issue 16)
    tracking_key: bytes
    cache: dict[str, Any] = field(default_factory=dict)  #: per-worker answers that never change
    keys: KnownKeys = field(default_factory=KnownKeys)  #: clients' API keys looked up lately (api/auth.py)
    #: cooperative id -> the name of its city (a cooperative's city does not change under a worker)
    city_names: dict[str, str] = field(default_factory=dict)

    def city_of(self, coop_id: str) -> City:
        """The city ``coop_id`` serves: its streets, service area and snapping. Blocks while the
        city loads the first time, so call it from a thread (:meth:`city` on the loop)."""
        name = self.city_names.get(coop_id)
        if name is None:
            with reading(self.store.engine) as conn:
                name = self.city_names[coop_id] = cooperative_city(conn, coop_id)
        try:
            return self.cities.get(name)
        except NetworkError as exc:
            # the detail (a file, a parser's complaint) is the operator's, in their log; the caller
            # reads that it is the server's trouble, in their language
            log.error("the city %s of cooperative %s cannot be opened: %s", name, coop_id, exc)
            raise ApiError(503, "city_unavailable", "city_unavailable") from None

    async def city(self, coop_id: str) -> City:
        """:meth:`city_of` without blocking the loop: in a thread unless the city is at hand."""
        name = self.city_names.get(coop_id)
        if name is not None and name in self.cities:
            return self.cities.get(name)
        return await self.run(self.city_of, coop_id)  # type: ignore[no-any-return]

    async def appended(self, coop_id: str, events: list[Event]) -> None:
        """Tell sockets (here and on other workers) and, when it matters, ask for proposals."""
        await self.bus.publish(coop_id)
        if self.settings.auto_plan and any(e.type in REPLAN_ON for e in events):
            self.planner.request(coop_id)

    def tracking_token(self, job_id: str) -> str:
        sig = hmac.new(self.tracking_key, job_id.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{job_id}.{sig}"

    def job_for_tracking(self, token: str) -> str | None:
        job_id, _, sig = token.partition(".")
        expected = self.tracking_token(job_id).partition(".")[2]
        return job_id if sig and hmac.compare_digest(sig, expected) else None

    async def run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Database work happens in a thread, so one slow query never stalls the sockets."""
        return await asyncio.to_thread(fn, *args, **kwargs)


async def services(request: Request) -> Services:
    """A route's Services. Async so that FastAPI calls it on the loop: a plain function
    dependency is run in a worker thread, a thread hop per request for one attribute read."""
    return request.app.state.services  # type: ignore[no-any-return]


def instance_secret(store: Store, name: str) -> bytes:
    """A random secret made once per installation and shared by every worker through the database."""
    with reading(store.engine) as conn:
        value = conn.execute(select(InstanceSecretRow.value).where(InstanceSecretRow.name == name)).scalar()
    if value is None:
        try:
            with store.engine.begin() as conn:
                conn.execute(insert(InstanceSecretRow).values(name=name, value=secrets.token_hex(32)))
        except IntegrityError:
            pass  # another worker made it first
        with reading(store.engine) as conn:
            value = conn.execute(select(InstanceSecretRow.value).where(InstanceSecretRow.name == name)).scalar()
    assert value is not None
    return bytes.fromhex(value)
