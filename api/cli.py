"""The ``tandem`` command line: the demo and the city tools (more commands come with the API)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from dispatch.errors import DomainError
from dispatch.model import JobRequest, Role, Vehicle, check_timezone
from dispatch.planning import CourierToPlan, JobToPlan, assemble_problem
from dispatch.store import Store
from dispatch.text import check_text
from routing.matrix import PointOffNetworkError, path_geojson, routable_graph
from routing.network import HIGHWAY_VALUES, BikeNetwork, NetworkError, import_city, open_city
from routing.problem import ProblemError
from routing.profiles import PROFILES
from routing.solver import SolverSettings, solve

app = typer.Typer(help="Tandem: dispatch for bike and cargo-bike delivery cooperatives.", no_args_is_help=True)
city_app = typer.Typer(help="Street networks: inspect the default city or import your own.", no_args_is_help=True)
app.add_typer(city_app, name="city")
admin_app = typer.Typer(help="Set up a cooperative: its couriers, clients, dispatchers.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")

out = Console()
err = Console(stderr=True, soft_wrap=True)  # messages stay on one line for scripts

CityOption = Annotated[
    str | None, typer.Option("--city", help="A city name (default: helsinki) or an .osm.pbf/.osm file.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=2)


def city_summary(network: BikeNetwork) -> dict[str, Any]:
    """Size, area and bounding box of the network each vehicle profile can use."""
    lon_min, lat_min, lon_max, lat_max = network.bounds()
    steps_code = HIGHWAY_VALUES.index("steps")
    profiles: dict[str, Any] = {}
    for name, profile in PROFILES.items():
        graph = routable_graph(network, profile)
        lon, lat = network.lon[graph.nodes], network.lat[graph.nodes]
        profiles[name] = {
            "nodes": graph.n_nodes,
            "edges": graph.n_arcs,
            "edges_km": round(graph.total_length_km(), 2),
            "area_km2": round(graph.area_km2(), 3),
            "bbox": [round(float(v), 6) for v in (lon.min(), lat.min(), lon.max(), lat.max())],
            "steps_edges": int(np.count_nonzero(network.highway[graph.arcs] == steps_code)),
            "narrowest_width_m": _narrowest(network, graph.arcs),
        }
    bike_nodes = set(routable_graph(network, "bike").nodes.tolist())
    for name in PROFILES:
        nodes = set(routable_graph(network, name).nodes.tolist())
        profiles[name]["subset_of_bike"] = nodes <= bike_nodes
    return {
        "city": network.name,
        "source_sha256": network.source_sha256,
        "crs": network.crs,
        "map_nodes": network.n_nodes,
        "map_edges": network.n_arcs,
        "bbox": [round(v, 6) for v in (lon_min, lat_min, lon_max, lat_max)],
        "profiles": profiles,
    }


def _narrowest(network: BikeNetwork, arcs: np.ndarray[Any, Any]) -> float | None:
    widths = network.width_m[arcs]
    widths = widths[~np.isnan(widths)]
    return round(float(widths.min()), 2) if widths.size else None


def _print_summary(summary: dict[str, Any]) -> None:
    lon_min, lat_min, lon_max, lat_max = summary["bbox"]
    out.print(
        f"[bold]{summary['city']}[/]: {summary['map_nodes']:,} map nodes, {summary['map_edges']:,} directed edges, "
        f"bbox lon {lon_min}..{lon_max}, lat {lat_min}..{lat_max}"
    )
    table = Table("profile", "nodes", "edges", "edge km", "area km²", "steps", "narrowest")
    for name, p in summary["profiles"].items():
        narrow = "-" if p["narrowest_width_m"] is None else f"{p['narrowest_width_m']} m"
        table.add_row(
            name,
            f"{p['nodes']:,}",
            f"{p['edges']:,}",
            f"{p['edges_km']:,}",
            f"{p['area_km2']}",
            str(p["steps_edges"]),
            narrow,
        )
    out.print(table)


@city_app.command("info")
def city_info(city: CityOption = None, as_json: JsonOption = False) -> None:
    """Print the network's size, area and bounding box per vehicle profile."""
    try:
        summary = city_summary(open_city(city))
    except NetworkError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        _print_summary(summary)


@city_app.command("import")
def city_import(
    file: Annotated[Path | None, typer.Argument(help="An .osm.pbf or .osm file.", show_default=False)] = None,
    name: Annotated[str | None, typer.Option("--name", help="Name to keep the city under.")] = None,
    place: Annotated[str | None, typer.Option("--place", help="Download a place by name (online, osmnx).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Build a city's network from a file (or a place name, online) and keep it for later use."""
    if (file is None) == (place is None):
        raise _fail("give either an OSM file or --place (not both)")
    if name is None:
        if file is None:
            raise _fail("--place needs --name")
        name = file.name.split(".")[0].lower()
    try:
        network = import_city(file, name=name, place=place)
    except NetworkError as exc:
        raise _fail(str(exc)) from None
    summary = city_summary(network)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        out.print(f"imported [bold]{name}[/]; use it with --city {name}")
        _print_summary(summary)


DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="SQLAlchemy URL; default: $DATABASE_URL or a SQLite file in the data directory."),
]
CoopOption = Annotated[str, typer.Option("--coop", help="The cooperative's id (from create-coop).")]
NameOption = Annotated[str, typer.Option("--name", help="The name people see.")]


def _store(database: str | None) -> Store:
    try:
        return Store.open(database)
    except Exception as exc:  # a wrong URL or an unreachable server: say so, no traceback
        raise _fail(f"cannot open the database ({exc})") from None


def _report(as_json: bool, data: dict[str, Any], human: str) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2))
    else:
        out.print(human)


@admin_app.command("create-coop")
def admin_create_coop(
    name: Annotated[str, typer.Argument(help="The cooperative's name.")],
    timezone: Annotated[str, typer.Option(help="IANA time zone of the cooperative's days.")] = "Europe/Helsinki",
    heavy_threshold_kg: Annotated[float, typer.Option(help="A job this heavy counts as heavy in the ledger.")] = 25.0,
    fairness_weight: Annotated[float, typer.Option(help="0 = pure efficiency; the members decide.")] = 0.5,
    fairness_riding_budget: Annotated[
        float | None,
        typer.Option(help="At most this share of riding added to share the work (0.05: +5 %); unset: no bound."),
    ] = None,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a cooperative (a tenant) and print its id."""
    if fairness_riding_budget is not None and not 0 <= fairness_riding_budget <= 1:
        raise _fail("--fairness-riding-budget must be between 0 and 1 (0.05: at most +5 % riding)")
    store = _store(database)
    try:
        check_text("name", name)
        coop = store.create_cooperative(
            name,
            timezone=timezone,
            heavy_threshold_kg=heavy_threshold_kg,
            fairness_weight=fairness_weight,
            settings={} if fairness_riding_budget is None else {"fairness_riding_budget": fairness_riding_budget},
        )
    except DomainError as exc:
        raise _fail(str(exc)) from None
    _report(
        as_json,
        {
            "id": coop.id,
            "name": coop.name,
            "timezone": coop.timezone,
            "heavy_threshold_kg": coop.heavy_threshold_kg,
            "fairness_weight": coop.fairness_weight,
        },
        f"cooperative [bold]{coop.name}[/] created: id {coop.id}",
    )


@admin_app.command("add-courier")
def admin_add_courier(
    coop: CoopOption,
    name: NameOption,
    vehicle: Annotated[str, typer.Option(help="bike, cargo_bike, e_cargo_bike or trailer.")] = "bike",
    payload_kg: Annotated[float | None, typer.Option(help="Default: the vehicle kind's.")] = None,
    volume_l: Annotated[float | None, typer.Option(help="Default: the vehicle kind's.")] = None,
    max_length_cm: Annotated[float | None, typer.Option(help="Default: the vehicle kind's.")] = None,
    contact: Annotated[str, typer.Option(help="A phone number or other way to reach them.")] = "",
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a courier: a name, a vehicle, a contact. Nothing else is kept about them."""
    store = _store(database)
    try:
        check_text("name", name)
        check_text("contact", contact)
        v = Vehicle.of_kind(vehicle, payload_kg=payload_kg, volume_l=volume_l, max_length_cm=max_length_cm)  # type: ignore[arg-type]
        courier = store.add_courier(coop, name, v, contact=contact)
    except DomainError as exc:
        raise _fail(str(exc)) from None
    _report(
        as_json,
        {
            "id": courier.id,
            "cooperative_id": coop,
            "display_name": courier.display_name,
            "vehicle": {
                "kind": v.kind.value,
                "payload_kg": v.payload_kg,
                "volume_l": v.volume_l,
                "max_length_cm": v.max_length_cm,
            },
        },
        f"courier [bold]{courier.display_name}[/] ({v.kind.value}) added: id {courier.id}",
    )


@admin_app.command("add-client")
def admin_add_client(
    coop: CoopOption,
    name: NameOption,
    solidarity: Annotated[bool, typer.Option(help="Eligible for the solidarity tariff.")] = False,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a client and print its API key, once: only a hash of it is kept."""
    store = _store(database)
    try:
        check_text("name", name)
        client, key = store.add_client(coop, name, solidarity=solidarity)
    except DomainError as exc:
        raise _fail(str(exc)) from None
    _report(
        as_json,
        {"id": client.id, "cooperative_id": coop, "name": client.name, "solidarity": solidarity, "api_key": key},
        f"client [bold]{client.name}[/] added: id {client.id}\nAPI key (shown once, keep it safe): {key}",
    )


def _add_member(role: Role, coop: str, name: str, login: str, database: str | None, as_json: bool) -> None:
    store = _store(database)
    try:
        check_text("name", name)
        check_text("login", login, identifier=True)
        member, secret = store.add_member(coop, role, name, login)
    except DomainError as exc:
        raise _fail(str(exc)) from None
    _report(
        as_json,
        {
            "id": member.id,
            "cooperative_id": coop,
            "role": role.value,
            "display_name": name,
            "login": login,
            "password": secret,
        },
        f"{role.value} [bold]{name}[/] added: login {login}\npassword (shown once): {secret}",
    )


LoginOption = Annotated[str, typer.Option("--login", help="The name they log in with.")]


@admin_app.command("add-dispatcher")
def admin_add_dispatcher(
    coop: CoopOption, name: NameOption, login: LoginOption, database: DatabaseOption = None, as_json: JsonOption = False
) -> None:
    """Add a dispatcher and print a generated password, once."""
    _add_member(Role.DISPATCHER, coop, name, login, database, as_json)


@admin_app.command("add-analyst")
def admin_add_analyst(
    coop: CoopOption, name: NameOption, login: LoginOption, database: DatabaseOption = None, as_json: JsonOption = False
) -> None:
    """Add an analyst (replays and reports) and print a generated password, once."""
    _add_member(Role.ANALYST, coop, name, login, database, as_json)


@admin_app.command("courier-login")
def admin_courier_login(
    coop: CoopOption,
    courier: Annotated[str, typer.Option("--courier", help="The courier's id (add-courier prints it).")],
    login: LoginOption,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Give a courier a login for the phone page at /courier/ and print a password, once."""
    from dispatch.store.access import set_courier_login

    store = _store(database)
    try:
        check_text("login", login, identifier=True)
        secret = set_courier_login(store, coop, courier, login)
    except DomainError as exc:
        raise _fail(str(exc)) from None
    _report(
        as_json,
        {"courier_id": courier, "cooperative_id": coop, "login": login, "password": secret},
        f"courier login [bold]{login}[/] set\npassword (shown once): {secret}",
    )


def _read_json_list(path: Path, what: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError) as exc:  # not UTF-8, not JSON, absurdly nested
        raise _fail(f"{path}: cannot read the {what} ({exc})") from None
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        raise _fail(f"{path}: the {what} file must hold a JSON list of objects")
    return data


def _planning_input(jobs_file: Path, couriers_file: Path) -> tuple[list[JobToPlan], list[CourierToPlan]]:
    jobs: list[JobToPlan] = []
    for i, raw in enumerate(_read_json_list(jobs_file, "jobs")):
        try:
            request = JobRequest.from_json(raw)
        except DomainError as exc:
            raise _fail(f"{jobs_file}: job #{i} ({raw.get('id', '?')}): {exc}") from None
        jobs.append(
            JobToPlan(
                id=str(raw.get("id", f"job-{i + 1}")),
                request=request,
                courier_id=raw.get("courier_id"),
                on_board=bool(raw.get("on_board", False)),
            )
        )
    couriers: list[CourierToPlan] = []
    for i, raw in enumerate(_read_json_list(couriers_file, "couriers")):
        try:
            kind = raw.get("vehicle", "bike")
            vehicle = (
                Vehicle.of_kind(kind)
                if isinstance(kind, str)
                else Vehicle.of_kind(kind["kind"], **{k: v for k, v in kind.items() if k != "kind"})
            )
            position = raw["position"]
            couriers.append(
                CourierToPlan(
                    id=str(raw.get("id", f"courier-{i + 1}")),
                    vehicle=vehicle,
                    position=(float(position["lon"]), float(position["lat"])),
                    shift_end=datetime.fromisoformat(raw["shift_end"]),
                    worked_s_today=round(60 * float(raw.get("worked_minutes_today", 0))),
                    planned_shift_s=round(60 * float(raw["planned_shift_minutes"]))
                    if "planned_shift_minutes" in raw
                    else None,
                    heavy_kg_today=float(raw.get("heavy_kg_today", 0.0)),
                )
            )
        except DomainError as exc:
            raise _fail(f"{couriers_file}: courier #{i}: {exc}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise _fail(
                f"{couriers_file}: courier #{i}: needs vehicle, position {{lon, lat}} and an ISO shift_end ({exc!r})"
            ) from None
    return jobs, couriers


@app.command()
def plan(
    jobs_file: Annotated[Path, typer.Option("--jobs", help="JSON list of jobs (the API's delivery format + id).")],
    couriers_file: Annotated[Path, typer.Option("--couriers", help="JSON list of couriers on shift.")],
    city: CityOption = None,
    fairness: Annotated[float, typer.Option("--fairness", help="0 = pure efficiency.")] = 0.5,
    budget: Annotated[float, typer.Option("--budget", help="Seconds the solver may take.")] = 1.0,
    now: Annotated[
        str | None, typer.Option(help="ISO time of the round; default: the earliest pickup opening.")
    ] = None,
    timezone: Annotated[str, typer.Option(help="IANA time zone of the planning day.")] = "Europe/Helsinki",
    heavy_threshold_kg: Annotated[float, typer.Option(help="A job this heavy counts as heavy.")] = 25.0,
    as_json: JsonOption = False,
) -> None:
    """Propose routes for jobs and couriers from files, with an explanation per job."""
    if not (0 <= fairness <= 100) or not (0 < budget <= 600):
        raise _fail("--fairness must be 0-100 and --budget 0-600 seconds")
    try:
        network = open_city(city)
        tz = check_timezone(timezone)
    except (NetworkError, DomainError) as exc:
        raise _fail(str(exc)) from None
    jobs, couriers = _planning_input(jobs_file, couriers_file)
    if not jobs:
        raise _fail(f"{jobs_file}: no jobs to plan")
    try:
        moment = datetime.fromisoformat(now) if now else min(j.request.pickup_window.start for j in jobs)
    except ValueError:
        raise _fail(f"--now: not an ISO date-time: {now!r}") from None
    if moment.tzinfo is None:
        raise _fail("--now needs a time zone offset, e.g. 2026-11-28T11:00:00+02:00")
    try:
        problem, ctx = assemble_problem(
            network,
            jobs,
            couriers,
            moment,
            timezone=tz,
            fairness_weight=fairness,
            heavy_threshold_kg=heavy_threshold_kg,
        )
    except ProblemError as exc:
        raise _fail(str(exc)) from None
    result = solve(problem, SolverSettings(time_budget_s=budget))
    unassigned = {**result.unassigned, **ctx.skipped}
    routes = {
        cid: [
            {
                "job": t.shipment,
                "stop": t.kind.value,
                "eta": ctx.at(t.start).isoformat(timespec="minutes"),
                "load_kg": round(t.load_kg, 1),
                "late_minutes": round(t.lateness_s / 60, 1),
            }
            for t in route.stops
        ]
        for cid, route in result.routes.items()
    }
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "routes": routes,
                    "unassigned": unassigned,
                    "explanations": {k: e.to_json() for k, e in result.explanations.items()},
                    "metrics": result.metrics,
                    "solver": result.solver,
                },
                indent=2,
                default=str,
            )
        )
        return
    for cid, stops in routes.items():
        table = Table("time", "stop", "job", "load kg", title=f"{cid}: {len(stops) // 2} jobs", title_justify="left")
        for stop in stops:
            table.add_row(str(stop["eta"])[11:16], str(stop["stop"]), str(stop["job"]), f"{stop['load_kg']:g}")
        out.print(table)
    for job_id, explanation in result.explanations.items():
        out.print(f"[bold]{job_id}[/] -> {explanation.courier}: " + "; ".join(explanation.reasons))
    for job_id, reason in unassigned.items():
        out.print(f"[bold red]{job_id}[/] not proposed: {reason}")
    m = result.metrics
    out.print(
        f"riding {m['travel_minutes']:.0f} min, {m['km']:.1f} km; worked-share Gini {m['worked_share_gini']:.2f}; "
        f"solved in {result.solver['total_seconds']} s"
    )


#: Two landmarks of the default city: the central railway station and the Market Square.
DEMO_FROM = (24.9414, 60.1710)
DEMO_TO = (24.9525, 60.1675)


@app.command()
def tour(city: CityOption = None) -> None:
    """Show what Tandem knows of a city and how load changes a cargo bike's riding time."""
    try:
        network = open_city(city)
    except NetworkError as exc:
        raise _fail(str(exc)) from None
    _print_summary(city_summary(network))
    if network.name != "helsinki":
        return
    table = Table("vehicle", "load", "riding time", "distance", "walked")
    try:
        for profile, load in (
            ("bike", 0.0),
            ("cargo_bike", 0.0),
            ("cargo_bike", 80.0),
            ("e_cargo_bike", 0.0),
            ("e_cargo_bike", 80.0),
        ):
            leg = path_geojson(routable_graph(network, profile), DEMO_FROM, DEMO_TO, load_kg=load)["properties"]
            table.add_row(
                profile,
                f"{load:.0f} kg",
                f"{leg['seconds'] / 60:.1f} min",
                f"{leg['metres']:.0f} m",
                f"{leg['metres_walked']:.0f} m",
            )
    except PointOffNetworkError as exc:
        raise _fail(str(exc)) from None
    out.print("\nCentral railway station -> Market Square:")
    out.print(table)
    demo_data = Path(__file__).resolve().parents[1] / "data"
    if (demo_data / "demo_jobs.json").is_file():
        out.print("\nA planning round on the demo day (data/demo_jobs.json, data/demo_couriers.json):")
        plan(
            jobs_file=demo_data / "demo_jobs.json",
            couriers_file=demo_data / "demo_couriers.json",
            city=city,
            fairness=1.0,
            budget=1.0,
            now=None,
            timezone="Europe/Helsinki",
            heavy_threshold_kg=25.0,
            as_json=False,
        )


if __name__ == "__main__":
    app()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    city: CityOption = None,
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
) -> None:
    """Run the API (and the console) on one or more worker processes.

    With --workers N the workers share the port, and SQLite or PostgreSQL; events reach sockets
    held by any worker through --redis. Several machines: run each with the same --database
    (PostgreSQL) and --redis.
    """
    import os

    import uvicorn

    from api.app import create_app
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
        raise _fail(str(exc)) from None
    from api import logs

    served: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level,
        "log_config": logs.config(settings.log_format, log_level),
        "access_log": False,  # api.logs.AccessLog writes one structured line per answer instead
        "ws_max_size": 1 << 20,
    }
    if workers == 1:
        uvicorn.run(_frozen(create_app(settings)), **served)
        return
    if not settings.redis_url:
        raise _fail("--workers above 1 needs --redis (or REDIS_URL): it carries events between the workers")
    Store.open(settings.database_url).close()  # migrate once, before the workers open it at once
    # Each worker process builds its own app from the environment, so the options go there.
    os.environ.update(TANDEM_CITY=settings.city, REDIS_URL=settings.redis_url)
    if settings.database_url:
        os.environ["DATABASE_URL"] = settings.database_url
    uvicorn.run("api.cli:worker_app", factory=True, workers=workers, **served)


def worker_app() -> Any:
    """The app of one of ``serve --workers N``'s processes (its settings come from the environment).

    The worker ends with the process that supervises it: a ``kill -9`` of ``tandem serve
    --workers 2`` left both workers (and their planners) serving on the port, and a restart then
    failed with "address already in use" (issue 21's outside attack).
    """
    import os

    from api.app import create_app
    from api.planner import die_with_parent

    die_with_parent(os.getppid())
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


# The options a replay and a sweep share.
OverrideRateOption = Annotated[float, typer.Option(help="With accept-proposals: share given to another courier.")]
ExtraCouriersOption = Annotated[str, typer.Option(help="What if: more vehicles, e.g. cargo_bike,bike.")]
BudgetOption = Annotated[float, typer.Option(help="Planning budget per round, seconds.")]
SeedOption = Annotated[int, typer.Option(help="Seed of the simulated people.")]
FleetOption = Annotated[Path | None, typer.Option(help="The couriers of CSV days (JSON).")]
PolicyOption = Annotated[
    str, typer.Option("--policy", help="accept-proposals, as-happened (re-applies recorded decisions)")
]


def _policies(policy: str, fairness: str | None, override_rate: float, budget: float, extra: str) -> list[Any]:
    from dispatch.simulation import Policy

    if policy not in ("accept-proposals", "as-happened"):
        raise _fail(f"unknown policy {policy!r}: accept-proposals or as-happened")
    if not 0 <= override_rate <= 1:
        raise _fail("--override-rate is a share between 0 and 1")
    if not 0 < budget <= 30:
        raise _fail("--budget is a number of seconds between 0 and 30")
    weights: list[float | None] = [None]
    if fairness:
        try:
            weights = [float(w) for w in fairness.split(",")]
        except ValueError:
            raise _fail(f"--fairness takes numbers separated by commas, not {fairness!r}") from None
        if any(not 0 <= w <= 100 for w in weights if w is not None):
            raise _fail("--fairness weights are between 0 and 100")
    extras = tuple(k for k in extra.split(",") if k) if extra else ()
    for kind in extras:
        if kind not in ("bike", "cargo_bike", "e_cargo_bike", "trailer"):
            raise _fail(f"--extra-couriers: unknown vehicle {kind!r}")
    return [
        Policy(name=policy, override_rate=override_rate, fairness_weight=w, budget_s=budget, extra_couriers=extras)
        for w in weights
    ]


def _write_outputs(results: list[Any], report: Path | None, metrics: Path | None, city: str | None) -> None:
    from dispatch.report import export_metrics, html_report

    if report is not None:
        report.write_text(html_report(results, network=open_city(city)), encoding="utf-8")
        out.print(f"report: {report}")
    if metrics is not None:
        try:
            for path in export_metrics(results, metrics):
                out.print(f"metrics: {path}")
        except ValueError as exc:
            raise _fail(str(exc)) from None


def _summary_table(results: list[Any]) -> None:
    """One row per figure, one column per replay (replays side by side)."""
    from dispatch.replay import compare

    rows = compare(results)
    table = Table("figure", *[f"{r['day']}\n{r['policy']}" for r in rows])
    for key in rows[0]:
        if key in ("day", "policy"):
            continue
        table.add_row(key, *[f"{r[key]:.4g}" if isinstance(r[key], float) else str(r[key]) for r in rows])
    out.print(table)


@app.command()
def replay(
    day: Annotated[Path, typer.Argument(help="A day as .json (with its couriers) or .csv (with --fleet).")],
    policy: PolicyOption = "accept-proposals",
    fairness: Annotated[str | None, typer.Option(help="Fairness weight(s), e.g. 0,0.5,1 to compare.")] = None,
    riding_budget: Annotated[
        str,
        typer.Option(help="Riding sharing may add: a share (0.05 is +5 %), none, or cooperative (its setting)."),
    ] = "cooperative",
    override_rate: OverrideRateOption = 0.0,
    extra_couriers: ExtraCouriersOption = "",
    budget: BudgetOption = 0.3,
    seed: SeedOption = 1,
    fleet: FleetOption = None,
    city: CityOption = None,
    report: Annotated[Path | None, typer.Option(help="Write an HTML report here.")] = None,
    metrics: Annotated[Path | None, typer.Option(help="Write the figures as .csv or .parquet.")] = None,
) -> None:
    """Replay a historical day through the planner under a policy, and report how it went."""
    import dataclasses

    from dispatch.days import read_day
    from dispatch.replay import replay as run_replay

    policies = _policies(policy, fairness, override_rate, budget, extra_couriers)
    if riding_budget != "cooperative":
        try:
            share = None if riding_budget == "none" else float(riding_budget)
        except ValueError:
            raise _fail(
                f"--riding-budget is a share such as 0.05, none or cooperative, not {riding_budget!r}"
            ) from None
        if share is not None and not 0 <= share <= 10:
            raise _fail("--riding-budget is a share between 0 and 10")
        policies = [dataclasses.replace(p, riding_budget=share) for p in policies]
    try:
        the_day = read_day(day, fleet=fleet)
        network = open_city(city)
    except (DomainError, NetworkError) as exc:
        raise _fail(str(exc)) from None
    results = [run_replay(the_day, p, network, seed=seed) for p in policies]
    _summary_table(results)
    _write_outputs(results, report, metrics, city)


@app.command()
def sweep(
    days: Annotated[Path, typer.Argument(help="A folder of day files (.json, or .csv with --fleet).")],
    policy: PolicyOption = "accept-proposals",
    fairness: Annotated[str | None, typer.Option(help="Fairness weights to sweep, e.g. 0,0.5,1.")] = None,
    override_rate: OverrideRateOption = 0.0,
    extra_couriers: ExtraCouriersOption = "",
    budget: BudgetOption = 0.3,
    seed: SeedOption = 1,
    fleet: FleetOption = None,
    city: CityOption = None,
    scheduler: Annotated[
        str | None, typer.Option(help="A Dask scheduler address; default: a local cluster on this machine.")
    ] = None,
    workers: Annotated[int, typer.Option(help="Local cluster: worker processes.", min=1, max=64)] = 2,
    report: Annotated[Path | None, typer.Option(help="Write an HTML report here.")] = None,
    metrics: Annotated[Path | None, typer.Option(help="Write the figures as .csv or .parquet.")] = None,
) -> None:
    """Replay many days under several settings on Dask (a local cluster or an existing one)."""
    from distributed import Client, LocalCluster, as_completed
    from rich.progress import Progress

    from dispatch.replay import replay_file

    if not days.is_dir():
        raise _fail(f"{days}: not a folder of days")
    files = sorted(p for p in days.iterdir() if p.suffix.lower() in (".json", ".csv"))
    if not files:
        raise _fail(f"{days}: no .json or .csv day in it")
    policies = _policies(policy, fairness, override_rate, budget, extra_couriers)
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout=10)  # type: ignore[no-untyped-call]
        else:
            cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
            client = Client(cluster)  # type: ignore[no-untyped-call]
    except OSError as exc:
        raise _fail(f"cannot reach the Dask scheduler ({exc})") from None
    results = []
    try:
        futures = [
            client.submit(replay_file, str(f), str(fleet) if fleet else None, p, city, seed, pure=False)
            for f in files
            for p in policies
        ]
        with Progress(console=err) as progress:
            task = progress.add_task("replaying", total=len(futures))
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                try:
                    results.append(future.result())
                except DomainError as exc:
                    raise _fail(str(exc)) from None
                progress.advance(task)
    finally:
        client.close()  # type: ignore[no-untyped-call]
        if cluster is not None:
            cluster.close()
    results.sort(key=lambda r: (r.day, r.policy))
    _summary_table(results)
    _write_outputs(results, report, metrics, city)


@app.command("generate-day")
def generate_day_command(
    out_file: Annotated[Path, typer.Argument(help="Where to write the day (.json, or .csv plus a -fleet.json).")],
    requests: Annotated[int, typer.Option(help="How many requests.", min=1, max=5000)] = 120,
    hours: Annotated[float, typer.Option(help="Length of the day in hours.", min=0.5, max=16)] = 8.0,
    start: Annotated[
        str, typer.Option(help="Start in the city's local time (ISO 8601; an offset is converted).")
    ] = "2026-11-30T09:00",
    couriers: Annotated[
        int | None, typer.Option(help="Couriers (default: sized to the demand at ~70 % utilisation).", min=1, max=500)
    ] = None,
    heavy_share: Annotated[float, typer.Option(help="Share of heavy parcels (40-120 kg).", min=0, max=1)] = 0.08,
    timezone: Annotated[
        str | None, typer.Option(help="IANA zone of the city (default: looked up offline from its streets).")
    ] = None,
    area_km: Annotated[
        float, typer.Option(help="Places within this radius of the map's busiest streets (0: the whole map).", min=0)
    ] = 1.5,
    seed: Annotated[int, typer.Option(help="Seed.")] = 1,
    city: CityOption = None,
) -> None:
    """Write a plausible day on a city's streets: a lunch peak, a real parcel mix, a fleet sized to it."""
    import csv

    from dispatch.days import CSV_COLUMNS, day_json, generate_day, street_points

    try:
        begin = datetime.fromisoformat(start)
        network = open_city(city)
    except (ValueError, NetworkError) as exc:
        raise _fail(f"--start/--city: {exc}") from None
    try:
        day = generate_day(
            street_points(network),
            start=begin,
            hours=hours,
            requests=requests,
            couriers=couriers,
            heavy_share=heavy_share,
            seed=seed,
            timezone=timezone,
            area_km=area_km or None,
        )
    except DomainError as exc:
        raise _fail(str(exc)) from None
    data = day_json(day)
    if out_file.suffix.lower() == ".json":
        out_file.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    elif out_file.suffix.lower() == ".csv":
        fleet = out_file.with_name(f"{out_file.stem}-fleet.json")
        fleet.write_text(json.dumps({"timezone": data["timezone"], "couriers": data["couriers"]}, indent=1) + "\n")
        with out_file.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            for r in data["requests"]:
                parcel = r["parcels"][0]
                writer.writerow(
                    {
                        "id": r["id"],
                        "request_time": r["request_time"],
                        "pickup_lon": r["pickup"]["lon"],
                        "pickup_lat": r["pickup"]["lat"],
                        "pickup_address": r["pickup"]["address"],
                        "dropoff_lon": r["dropoff"]["lon"],
                        "dropoff_lat": r["dropoff"]["lat"],
                        "dropoff_address": r["dropoff"]["address"],
                        "pickup_start": r["pickup_window"]["start"],
                        "pickup_end": r["pickup_window"]["end"],
                        "dropoff_start": r["dropoff_window"]["start"],
                        "dropoff_end": r["dropoff_window"]["end"],
                        "weight_kg": parcel["weight_kg"],
                        "volume_l": parcel["volume_l"],
                        "longest_side_cm": parcel["longest_side_cm"],
                        "bulky": parcel["bulky"],
                    }
                )
        out.print(f"fleet: {fleet}")
    else:
        raise _fail(f"{out_file}: write a .json or .csv day")
    out.print(f"day: {out_file} ({requests} requests, {len(day.couriers)} couriers, {day.timezone})")


@app.command()
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
        raise _fail(str(exc)) from None


@app.command("backup")
def backup_command(
    destination: Annotated[Path, typer.Argument(help="File to write the backup to.")],
    database: DatabaseOption = None,
) -> None:
    """Back the database up while the server runs (SQLite: online backup; PostgreSQL: pg_dump)."""
    from dispatch.store.backup import backup

    try:
        written = backup(database, destination)
    except DomainError as exc:
        raise _fail(str(exc)) from None
    out.print(f"backup written to {written} ({written.stat().st_size:,} bytes)")


@app.command("restore")
def restore_command(
    source: Annotated[Path, typer.Argument(help="A backup written by `tandem backup`.")],
    database: DatabaseOption = None,
    replace: Annotated[bool, typer.Option(help="Overwrite a database that already holds cooperatives.")] = False,
) -> None:
    """Restore a backup into an empty database (stop the server first)."""
    from dispatch.store.backup import restore

    try:
        restore(source, database, replace=replace)
    except DomainError as exc:
        raise _fail(str(exc)) from None
    out.print(f"restored {source}")
