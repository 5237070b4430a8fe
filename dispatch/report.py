"""Reports of replays: one HTML file with embedded plots, and the figures as CSV or Parquet.

Plots are drawn with matplotlib (Agg, no screen) and embedded as PNG, so the report is a single
file an analyst can mail or archive. The map of the day draws the streets with geopandas.
"""

from __future__ import annotations

import base64
import html
import io
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd

from dispatch.replay import ReplayResult, compare
from routing.network import BikeNetwork

COLOURS = [f"C{i}" for i in range(10)]  #: matplotlib's default cycle


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return '<img alt="" src="data:image/png;base64,' + base64.b64encode(buffer.getvalue()).decode() + '">'


def gantt(result: ReplayResult) -> str:
    """Each courier's jobs from pickup to delivery: who carried what, when."""
    couriers = sorted({j["courier"] for j in result.jobs})
    fig, ax = plt.subplots(figsize=(9, 0.5 + 0.45 * max(1, len(couriers))))
    for row, courier in enumerate(couriers):
        for job in (j for j in result.jobs if j["courier"] == courier and j["picked_up_at"]):
            start = datetime.fromisoformat(job["picked_up_at"])
            end = datetime.fromisoformat(job["delivered_at"])
            ax.barh(
                row,
                (end - start).total_seconds() / 86400,
                left=mdates.date2num(start),  # type: ignore[no-untyped-call]
                height=0.6,
                color=COLOURS[row % len(COLOURS)],
                alpha=0.5 + 0.5 * (job["weight_kg"] >= 25),
            )
    ax.set_yticks(range(len(couriers)), couriers)
    ax.xaxis_date()
    ax.set_title("Jobs carried, pickup to delivery (darker: heavy)")
    return _png(fig)


def fairness_bars(result: ReplayResult) -> str:
    names = [c["courier"] for c in result.couriers]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3))
    left.bar(names, [c["worked_min"] for c in result.couriers], label="worked")
    left.bar(
        names,
        [max(0.0, c["shift_min"] - c["worked_min"]) for c in result.couriers],
        bottom=[c["worked_min"] for c in result.couriers],
        alpha=0.3,
        label="rest of shift",
    )
    left.set_title("Worked minutes against shift")
    left.legend()
    right.bar(names, [c["heavy_kg"] for c in result.couriers], color="tab:orange")
    right.set_title("Heavy kg carried")
    for ax in (left, right):
        ax.tick_params(axis="x", rotation=45)
    return _png(fig)


def lateness_histogram(result: ReplayResult) -> str:
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.hist(result.lateness_minutes or [0.0], bins=20)
    ax.set_xlabel("minutes late at drop-off (0: on time)")
    ax.set_ylabel("deliveries")
    return _png(fig)


def day_map(result: ReplayResult, network: BikeNetwork | None) -> str:
    """The streets (geopandas) and each delivery as a line from pickup to drop-off, by courier."""
    import geopandas as gpd
    from shapely.geometry import LineString

    fig, ax = plt.subplots(figsize=(7, 7))
    if network is not None:
        from routing.matrix import routable_graph

        graph = routable_graph(network, "bike")
        tail, head = graph.nodes[graph.tail], graph.nodes[graph.head]
        keep = tail < head
        streets = gpd.GeoSeries(
            [
                LineString([(network.lon[a], network.lat[a]), (network.lon[b], network.lat[b])])
                for a, b in zip(tail[keep], head[keep], strict=True)
            ],
            crs="EPSG:4326",
        )
        streets.plot(ax=ax, color="#bbbbbb", linewidth=0.4)
    couriers = sorted({leg["courier"] for leg in result.legs})
    lines = [
        (
            LineString([(leg["pickup"]["lon"], leg["pickup"]["lat"]), (leg["dropoff"]["lon"], leg["dropoff"]["lat"])]),
            leg["courier"],
        )
        for leg in result.legs
        if leg["kind"] == "dropoff"
    ]
    if lines:
        frame = gpd.GeoDataFrame({"courier": [c for _, c in lines]}, geometry=[g for g, _ in lines], crs="EPSG:4326")
        for i, courier in enumerate(couriers):
            part = frame[frame["courier"] == courier]
            if len(part):
                part.plot(ax=ax, color=COLOURS[i % len(COLOURS)], linewidth=1.5, label=courier)
        ax.legend(fontsize=7)
    ax.set_axis_off()
    ax.set_title("Deliveries of the day, pickup to drop-off")
    return _png(fig)


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>nothing to show</p>"
    keys = list(rows[0])

    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "∞" if math.isinf(v) else f"{v:,.4g}"
        return html.escape(str(v))

    head = "".join(f"<th>{html.escape(k)}</th>" for k in keys)
    body = "".join("<tr>" + "".join(f"<td>{cell(r.get(k))}</td>" for k in keys) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_report(
    results: list[ReplayResult], *, network: BikeNetwork | None = None, title: str = "Tandem replay"
) -> str:
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
        "<style>body{font:14px system-ui,sans-serif;margin:24px;max-width:1100px}table{border-collapse:collapse;"
        "margin:8px 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}th{background:#f3f3f3}"
        "img{max-width:100%}h2{margin-top:32px}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<p>Figures of work and of the plan, never of a person's merit: spreads (Gini, max/min) describe how "
        "evenly the day's work was shared; acceptance and override rates describe the proposals.</p>",
    ]
    if len(results) > 1:
        parts += ["<h2>Side by side</h2>", _table(compare(results))]
    for result in results:
        parts += [
            f"<h2>{html.escape(result.day)} — {html.escape(result.policy)} (seed {result.seed})</h2>",
            _table([result.summary]),
            _table(result.couriers),
            gantt(result),
            fairness_bars(result),
            lateness_histogram(result),
            day_map(result, network),
        ]
    parts.append("</body></html>")
    return "\n".join(parts)


def export_metrics(results: list[ReplayResult], path: Path) -> list[Path]:
    """The summary (one row per replay) and the per-courier figures, as CSV or Parquet by suffix."""
    summary = pd.DataFrame(compare(results))
    couriers = pd.DataFrame(
        [{"day": r.day, "policy": r.policy, "seed": r.seed, **c} for r in results for c in r.couriers]
    )
    second = path.with_name(f"{path.stem}-couriers{path.suffix}")
    for frame, target in ((summary, path), (couriers, second)):
        if path.suffix.lower() == ".parquet":
            frame.to_parquet(target, index=False)
        elif path.suffix.lower() == ".csv":
            frame.to_csv(target, index=False)
        else:
            raise ValueError(f"{path}: metrics are written as .csv or .parquet")
    return [path, second]
