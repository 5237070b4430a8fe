"""The ``tandem`` command line: the demo and the city tools (more commands come with the API)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from dispatch.errors import DomainError
from dispatch.model import Role, Vehicle
from dispatch.store import Store
from routing.matrix import PointOffNetworkError, path_geojson, routable_graph
from routing.network import HIGHWAY_VALUES, BikeNetwork, NetworkError, import_city, open_city
from routing.profiles import PROFILES

app = typer.Typer(help="Tandem: dispatch for bike and cargo-bike delivery cooperatives.", no_args_is_help=True)
city_app = typer.Typer(help="Street networks: inspect the default city or import your own.", no_args_is_help=True)
app.add_typer(city_app, name="city")
admin_app = typer.Typer(help="Set up a cooperative: its couriers, clients, dispatchers.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")

out = Console()
err = Console(stderr=True)

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
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a cooperative (a tenant) and print its id."""
    store = _store(database)
    try:
        coop = store.create_cooperative(
            name, timezone=timezone, heavy_threshold_kg=heavy_threshold_kg, fairness_weight=fairness_weight
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


#: Two landmarks of the default city: the central railway station and the Market Square.
DEMO_FROM = (24.9414, 60.1710)
DEMO_TO = (24.9525, 60.1675)


@app.command()
def demo(city: CityOption = None) -> None:
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


if __name__ == "__main__":
    app()
