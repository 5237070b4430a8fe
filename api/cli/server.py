"""``tandem serve`` and ``tandem demo``: the API and the console on one or more worker processes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli.common import DatabaseOption, fail, out
from dispatch.store import Store
from routing.network import NetworkError, open_city

if TYPE_CHECKING:
    from api.settings import Settings

NoPlannerOption = Annotated[
    bool,
    typer.Option("--no-planner", help="Plan nothing here: `tandem planner` processes plan, fed by the database."),
]


def _where_planned(settings: Settings, *, no_planner: bool) -> Settings:
    """Each worker plans (no two plan one cooperative at once: leases in the database), or, with
    --no-planner, none does and ``tandem planner`` processes plan, here or on other machines
    (issue 16); the workers of ``--workers N`` read that from the environment."""
    import os

    if no_planner:
        settings.planner = False
        os.environ["TANDEM_PLANNER"] = "false"
    return settings


#: How long uvicorn's supervisor waits for a worker's answer before it kills it as hung (its own
#: default, 5 s, is less than a worker's start on a busy machine: a spawned worker imports the
#: ``tandem`` command's modules before it can answer, 4 s of CPU, and with two cores shared by ten
#: processes every worker was killed before it answered, and its replacement too, for ever).
WORKER_PING_S = 60

#: Each cooperative is served its own city (issue 16); the server's city is the default one.
ServerCityOption = Annotated[
    str | None,
    typer.Option(
        "--city",
        help="The server's city (default: helsinki), loaded at start and given to cooperatives made before "
        "cities were per cooperative; each cooperative is served the city it was created in.",
    ),
]


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    city: ServerCityOption = None,
    database: DatabaseOption = None,
    redis: Annotated[
        str | None, typer.Option("--redis", help="Redis URL to share events between workers (default: $REDIS_URL).")
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    workers: Annotated[
        int,
        typer.Option(
            help="API worker processes sharing this port (more than one needs --redis).",
            min=1,
            max=64,
            envvar="TANDEM_WORKERS",
        ),
    ] = 1,
    no_planner: NoPlannerOption = False,
) -> None:
    """Run the API (and the console) on one or more worker processes.

    With --workers N the workers share the port, and SQLite or PostgreSQL; events reach sockets
    held by any worker through --redis. Several machines: run each with the same --database
    (PostgreSQL) and --redis.
    """
    import os

    import uvicorn

    from api import logs
    from api.app import create_app

    settings = _where_planned(_settings(city, database, redis), no_planner=no_planner)

    served: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level,
        "log_config": logs.config(settings.log_format, log_level),
        "access_log": False,  # api.logs.AccessLog writes one structured line per answer instead
        "ws_max_size": 1 << 20,
        "timeout_worker_healthcheck": WORKER_PING_S,  # with --workers N
    }
    if workers == 1:
        uvicorn.run(_frozen(create_app(settings)), **served)
        return
    if not settings.redis_url:
        raise fail("--workers above 1 needs --redis (or REDIS_URL): it carries events between the workers")
    Store.open(settings.database_url).close()  # migrate once, before the workers open it at once
    # Each worker process builds its own app from the environment, so the options go there.
    os.environ.update(TANDEM_CITY=settings.city, REDIS_URL=settings.redis_url, TANDEM_SUPERVISOR_PID=str(os.getpid()))
    if settings.database_url:
        os.environ["DATABASE_URL"] = settings.database_url
    uvicorn.run("api.cli.server:worker_app", factory=True, workers=workers, **served)


def _settings(city: str | None, database: str | None, redis: str | None) -> Settings:
    """The environment's settings with the command's options over them; the city opened once, so
    that a wrong name fails here with a sentence rather than in every worker.

    The city is the server's: loaded at start, and the one the migration to cities per
    cooperative gives the cooperatives made before it (it reads ``TANDEM_CITY``, set here before
    anything opens the database); every cooperative is served its own city (issue 16).
    """
    import os

    from api.settings import Settings

    overrides: dict[str, Any] = {}
    if city is not None:
        overrides["city"] = city
    if database is not None:
        overrides["database_url"] = database
    if redis is not None:
        overrides["redis_url"] = redis
    try:
        settings = Settings(**overrides)
        open_city(settings.city)
    except (NetworkError, ValueError) as exc:
        raise fail(str(exc)) from None
    os.environ["TANDEM_CITY"] = settings.city
    return settings


def worker_app() -> Any:
    """The app of one of ``serve --workers N``'s processes (its settings come from the environment).

    The worker ends with the process that supervises it: a ``kill -9`` of ``tandem serve
    --workers 2`` left both workers (and their planners) serving on the port, and a restart then
    failed with "address already in use" (issue 21's outside attack). The supervisor's id comes
    from the environment, not from ``getppid()`` here: a worker still importing when its
    supervisor was killed (a loaded machine) read its new parent's id and served on for good.
    """
    import os

    from api.app import create_app
    from api.planner import die_with_parent

    die_with_parent(int(os.environ.get("TANDEM_SUPERVISOR_PID") or os.getppid()))
    return _frozen(create_app())


def _frozen(app: Any) -> Any:
    """Keep the collector out of the way of the sockets.

    What is loaded before serving (some 200,000 objects of the libraries) is exempted from it
    (``gc.freeze``), and young objects are collected after 20,000 allocations instead of 700, so
    that the short-lived ones of each request and message die young instead of being promoted:
    full collections, which walk every old object, had stalled a 1,000-socket broadcast for up
    to half a second every few events.
    """
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)
    return app


def demo(
    port: Annotated[int, typer.Option(help="TCP port of the demo server.", min=1, max=65535)] = 8000,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    speed: Annotated[float, typer.Option(help="How much faster than real time the day runs.", min=1, max=600)] = 10.0,
    requests: Annotated[int, typer.Option(help="Requests in the demo day.", min=1, max=2000)] = 40,
    seed: Annotated[int, typer.Option(help="Seed of the demo day.")] = 1,
    auto_accept: Annotated[
        float | None, typer.Option(help="Let a simulated dispatcher accept proposals every N seconds.")
    ] = None,
    exit_after: Annotated[float | None, typer.Option(help="Stop after N seconds (default: at Ctrl-C).")] = None,
) -> None:
    """A living day on the default city: the server, the console, simulated clients and couriers."""
    from api.demo import run_demo

    def say(people: dict[str, Any], base: str) -> None:
        out.print(f"\n[bold]{people['name']}[/] is open for business at {base}\n")
        out.print(f"  Dispatcher console: {base}/console/")
        out.print(f"    cooperative id: {people['coop']}")
        out.print(f"    login: {people['dispatcher']['login']}    password: {people['dispatcher']['password']}")
        first = people["couriers"][0]
        out.print(f"  Courier page:       {base}/courier")
        others = len(people["couriers"]) - 1
        out.print(f"    login: {first['login']}    password: {first['password']}   (and {others} more riding)")
        out.print(f"  Client API key:     {people['clients'][0]['key']}")
        out.print(
            "\nSimulated clients send requests and simulated couriers ride them; "
            + ("a simulated dispatcher accepts proposals." if auto_accept else "you decide in the console.")
            + " Ctrl-C stops.\n"
        )

    try:
        run_demo(
            host=host,
            port=port,
            speed=speed,
            requests=requests,
            seed=seed,
            auto_accept=auto_accept,
            exit_after=exit_after,
            say=say,
        )
    except RuntimeError as exc:
        raise fail(str(exc)) from None
