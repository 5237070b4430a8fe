"""``tandem planner``: planning rounds for every cooperative, apart from the API (issue 16).

Run one or more, on this machine or others, against the API's database (PostgreSQL across
machines) and, for wake-ups at once, its Redis; start the API with ``serve --no-planner`` so
that its workers plan nothing. Each cooperative is planned in one place at a time (a lease in
the database); a planner that dies hands its cooperatives on when its leases expire.
"""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import CityOption, DatabaseOption, fail


def planner(
    city: CityOption = None,
    database: DatabaseOption = None,
    redis: Annotated[
        str | None, typer.Option("--redis", help="Redis URL to wake at once on new events (default: $REDIS_URL).")
    ] = None,
    poll: Annotated[float, typer.Option(help="Look at the log this often, in seconds.", min=0.05, max=60)] = 0.25,
    lease: Annotated[
        float | None,
        typer.Option(help="Seconds a cooperative waits for a planner that died (default: 10).", min=1, max=600),
    ] = None,
    log_level: Annotated[str, typer.Option(help="Log level.")] = "info",
) -> None:
    """Plan every cooperative whose log asks for it, apart from the API; Ctrl-C stops."""
    import asyncio
    import contextlib
    import logging.config
    import signal

    from api import logs
    from api.cli.server import _settings
    from api.federation import run_planner

    settings = _settings(city, database, redis)
    if lease is not None:
        settings.planning_lease_s = lease
    try:
        logging.config.dictConfig(logs.config(settings.log_format, log_level))
    except ValueError as exc:
        raise fail(f"--log-level: {exc}") from None

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await run_planner(settings, poll_s=poll, stop=stop)

    asyncio.run(main())
