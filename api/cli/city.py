"""``tandem city`` and ``tandem tour``: what Tandem knows of a city's streets, and a first look at it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table

from api.cli.common import CityOption, JsonOption, fail, out
from api.cli.planning import plan
from api.error_words import say_reason
from dispatch.errors import DomainError
from routing.elevation import ElevationError
from routing.matrix import PointOffNetworkError, path_geojson, routable_graph
from routing.network import HIGHWAY_VALUES, BikeNetwork, NetworkError, import_city, open_city
from routing.profiles import PROFILES

city_app = typer.Typer(help="Street networks: inspect the default city or import your own.", no_args_is_help=True)


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
        "elevation": _elevation(network),
        "profiles": profiles,
    }


def _elevation(network: BikeNetwork) -> dict[str, Any] | None:
    """Heights and the steepness of ridden streets, or None: every street is taken as flat."""
    grade = network.grade
    if network.elevation_m is None or grade is None:
        return None
    steep = np.abs(grade[network.length_m >= 20])
    return {
        "min_m": round(float(network.elevation_m.min()), 1),
        "max_m": round(float(network.elevation_m.max()), 1),
        "median_abs_grade": round(float(np.median(steep)), 4) if steep.size else 0.0,
        "share_steeper_than_6pct": round(float(np.mean(steep > 0.06)), 3) if steep.size else 0.0,
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
    heights = summary.get("elevation")
    if heights is None:
        out.print(
            "no elevation: every street is taken as flat (import with --elevation TILE, .hgt or .tif, to add slopes)"
        )
    else:
        out.print(
            f"elevation {heights['min_m']:,.0f}-{heights['max_m']:,.0f} m; median slope "
            f"{100 * heights['median_abs_grade']:.1f} %, {100 * heights['share_steeper_than_6pct']:.0f} % "
            "of streets steeper than 6 %"
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
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        _print_summary(summary)


@city_app.command("import")
def city_import(
    file: Annotated[Path | None, typer.Argument(help="An .osm.pbf or .osm file.", show_default=False)] = None,
    name: Annotated[str | None, typer.Option("--name", help="Name to keep the city under.")] = None,
    place: Annotated[str | None, typer.Option("--place", help="Download a place by name (online, osmnx).")] = None,
    elevation: Annotated[
        list[Path] | None,
        typer.Option(
            "--elevation",
            help="SRTM tiles (.hgt or .hgt.zip) or GeoTIFF DEMs on latitude and longitude (.tif, e.g. "
            "Copernicus GLO-30) covering the city: slopes then count in riding times. Repeatable.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Build a city's network from a file (or a place name, online) and keep it for later use."""
    if (file is None) == (place is None):
        raise fail("give either an OSM file or --place (not both)")
    if name is None:
        if file is None:
            raise fail("--place needs --name")
        name = file.name.split(".")[0].lower()
    try:
        network = import_city(file, name=name, place=place, elevation=list(elevation or []) or None)
    except (NetworkError, ElevationError) as exc:
        raise fail(str(exc)) from None
    summary = city_summary(network)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        out.print(f"imported [bold]{name}[/]; use it with --city {name}")
        _print_summary(summary)


#: Two landmarks of the default city: the central railway station and the Market Square.
DEMO_FROM = (24.9414, 60.1710)
DEMO_TO = (24.9525, 60.1675)


def tour(city: CityOption = None) -> None:
    """Show what Tandem knows of a city and how load changes a cargo bike's riding time."""
    try:
        network = open_city(city)
    except NetworkError as exc:
        raise fail(str(exc)) from None
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
    except PointOffNetworkError as exc:  # its code and figures, in the CLI's English
        raise fail(say_reason(DomainError(exc.why, **exc.params))) from None
    out.print("\nCentral railway station -> Market Square:")
    out.print(table)
    demo_data = Path(__file__).resolve().parents[2] / "data"
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
