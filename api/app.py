"""The FastAPI application: built by a factory so tests and ``tandem serve`` build the same app.

The lifespan opens the store (migrating it), loads the city, starts the event hub (and Redis
when configured), the planner's worker process and the webhook sender, and stops them in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import admin_routes as admin_reads
from api import analysts, clients, console, couriers, errors, map_routes, proofs, reasons, sessions, static, week
from api import webhooks as webhook_sender
from api.asyncapi import install as publish_asyncapi
from api.browsers import BrowserRules
from api.bus import Hub, LocalBus, RedisBus
from api.cities import Cities
from api.federation import RemotePlanner
from api.logs import AccessLog
from api.planner import Planner
from api.ratelimit import Budgets, Counters, RateLimits, parse_limits
from api.services import Services, instance_secret
from api.settings import Settings
from api.sockets import SessionWatch
from api.webhook_docs import install as publish_webhooks
from dispatch.store import Store, declines, positions
from dispatch.store.cooperatives import with_open_jobs

API_VERSION = "1"
log = logging.getLogger("tandem")
#: Where a client finds what this document cannot say: the sockets, and the webhooks' signature.
DESCRIPTION = (
    "Every path is under `/v1`. The couriers' and dispatchers' WebSockets are described by the "
    "AsyncAPI 3 document at `/asyncapi.json`. What Tandem POSTs to a client's webhook URLs is under "
    "`webhooks` here, one per event, each signed in the `Tandem-Signature` header."
)


async def purge_positions_regularly(
    store: Store,
    retention: timedelta,
    stop: asyncio.Event,
    *,
    every_s: float = 600.0,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """Delete shared positions past the retention, at start and then every ``every_s``.

    The clock is a parameter so that a test can live a day in a second.
    """
    await purge_regularly(
        "positions",
        lambda now: positions.purge(store, now=now, retention=retention),
        stop,
        every_s=every_s,
        clock=clock,
    )


async def purge_regularly(
    what: str,
    purge: Callable[[datetime], object],
    stop: asyncio.Event,
    *,
    every_s: float,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """Run ``purge`` (in a thread) at start and then every ``every_s`` until ``stop``; a failure
    is logged and tried again at the next turn (positions, proofs of delivery)."""
    while not stop.is_set():
        try:
            await asyncio.to_thread(purge, clock())
        except Exception:
            log.exception("purging old %s failed; trying again later", what)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for ``settings`` (default: from the environment); its services start with its lifespan."""
    settings = settings or Settings()
    app = FastAPI(
        title="Tandem",
        version=API_VERSION,
        summary="Dispatch for bike and cargo-bike delivery cooperatives: the algorithm proposes, a person decides.",
        license_info={"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        description=DESCRIPTION,
        lifespan=_lifespan(settings),
        docs_url=None,  # /docs is served without a CDN by api/static.py (and no /redoc)
        redoc_url=None,
        responses={429: {"model": errors.ErrorOut, "description": "Too many requests; see Retry-After."}},
    )
    errors.install(app)
    _middleware(app, settings)
    for module in (sessions, clients, console, admin_reads, map_routes, couriers, analysts, proofs, week, reasons):
        app.include_router(module.router)
    static.mount(app)
    publish_webhooks(app)
    publish_asyncapi(app, settings.public_url)
    return app


def _lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """What runs while the app serves: the store, the city, the bus and hub, the planner's process,
    the webhook sender, the purges (old positions, proofs, decline reasons) and the session watch, stopped in order."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = await asyncio.to_thread(Store.open, settings.database_url)
        cities = Cities()
        await asyncio.to_thread(cities.get, settings.city)  # the server's city: loaded now, its name checked
        bus: LocalBus = RedisBus(settings.redis_url) if settings.redis_url else LocalBus()
        await bus.start()
        hub = Hub(store, bus, poll_s=settings.feed_poll_s)

        planner = _planner(settings, store, bus)
        app.state.services = Services(
            settings=settings,
            store=store,
            cities=cities,
            bus=bus,
            hub=hub,
            planner=planner,
            tracking_key=await asyncio.to_thread(instance_secret, store, "tracking"),
        )
        # load the solver and city before the first round; then plan what waits from before a restart
        warming = asyncio.create_task(_warm_and_resume(planner, store, settings))
        stop = asyncio.Event()
        purger = asyncio.create_task(
            purge_positions_regularly(store, timedelta(hours=settings.position_retention_h), stop)
        )
        proof_purger = asyncio.create_task(
            purge_regularly("proofs", lambda now: proofs.purge(store, settings, now), stop, every_s=3600.0)
        )
        decline_purger = asyncio.create_task(
            purge_regularly("decline reasons", lambda now: declines.purge(store, now=now), stop, every_s=3600.0)
        )
        sender = asyncio.create_task(webhook_sender.run(store, poll_s=settings.webhook_poll_s, stop=stop))
        app.state.sessions = SessionWatch(store, every_s=settings.session_check_s)
        watcher = asyncio.create_task(app.state.sessions.run(stop))
        try:
            yield
        finally:
            stop.set()
            warming.cancel()
            await sender
            await purger
            await proof_purger
            await decline_purger
            app.state.sessions.check_soon()  # wake it to see the stop now, not at its next tick
            await watcher
            await planner.stop()
            await hub.stop()
            await bus.stop()
            store.close()

    return lifespan


async def _warm_and_resume(planner: Planner | RemotePlanner, store: Store, settings: Settings) -> None:
    """Warm the planner up, then ask a round for every cooperative with an open job: requests
    acknowledged before a restart (or a crash) are planned now, not at the next request."""
    await planner.warm_up()
    if not settings.auto_plan:
        return
    try:
        waiting = await asyncio.to_thread(with_open_jobs, store)
    except Exception:  # the database is away: the next request asks for a round as always
        log.exception("the cooperatives with open jobs could not be read at start")
        return
    for coop_id in waiting:
        planner.request(coop_id)


def _planner(settings: Settings, store: Store, bus: LocalBus) -> Planner | RemotePlanner:
    """This worker's planner; with ``planner`` off, the stand-in that asks the ``tandem planner``
    processes through the database (issue 16)."""
    if not settings.planner:
        return RemotePlanner(store)
    return Planner(
        settings.database_url,
        settings.city,
        budget_s=settings.planning_budget_s,
        debounce_s=settings.plan_debounce_s,
        on_round=bus.publish,  # the sockets of every worker learn of the proposals
        timeout_s=settings.planning_timeout_s,
        lease_s=settings.planning_lease_s,
    )


def _middleware(app: FastAPI, settings: Settings) -> None:
    """Rate limits, CORS when origins are allowed, the browsers' rules and the access log."""
    budgets = Budgets(
        api_key=parse_limits(settings.rate_limit_api_key),
        session=parse_limits(settings.rate_limit_session),
        login_account=parse_limits(settings.rate_limit_login),
        login_address=parse_limits(settings.rate_limit_login_address),
        position=parse_limits(settings.rate_limit_position),
    )
    # the middleware and the couriers' socket (positions) count in the same windows
    app.state.budgets, app.state.counters = budgets, Counters(settings.redis_url)
    # outermost last: the access log sees every answer, refusals by the layers below included
    app.add_middleware(RateLimits, budgets=budgets, counters=app.state.counters)
    if settings.origins():
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.origins()),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-API-Key", "X-Request-ID"],
            expose_headers=["Retry-After", "X-Request-ID", "Location"],
            allow_credentials=False,
        )
    app.add_middleware(BrowserRules, tile_url=settings.tile_url, allowed_origins=settings.origins())
    app.add_middleware(AccessLog)
