"""``tandem replay``, ``sweep`` and ``generate-day``: days replayed under a policy, and days made up.

With ``--week``, both learn the cooperative's week (issue 23): ``generate-day --week`` writes a
team (availability, contracts) and seven days of requests, and ``replay --week`` proposes the
week's rota under a rota policy (its fairness term on or off), replays each day with the rota's
shifts as its fleet, and shows the week's hours against each person's contract and their spread.
``generate-day --week --history-weeks N`` adds N earlier weeks of requests, and ``replay --week
--demand forecast`` proposes the rota from their forecast (as the live week's rota is), then shows
how it covered the week's actual requests.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from api.cli.common import CityOption, err, fail, out
from dispatch.errors import DomainError, InvalidInput
from routing.network import BikeNetwork, NetworkError, open_city

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

    from dispatch.days import Day

#: Room a generated day or week needs around its start: the week's seven days, zones and breaks.
CALENDAR_MARGIN = timedelta(days=9)

# The options a replay and a sweep share.
OverrideRateOption = Annotated[float, typer.Option(help="With accept-proposals: share given to another courier.")]
ExtraCouriersOption = Annotated[str, typer.Option(help="What if: more vehicles, e.g. cargo_bike,bike.")]
BudgetOption = Annotated[float, typer.Option(help="Planning budget per round, seconds.")]
SeedOption = Annotated[int, typer.Option(help="Seed of the simulated people.")]
FleetOption = Annotated[Path | None, typer.Option(help="The couriers of CSV days (JSON).")]
PolicyOption = Annotated[
    str, typer.Option("--policy", help="accept-proposals, as-happened (re-applies recorded decisions)")
]


WeekFlag = Annotated[
    bool, typer.Option("--week", help="The file is a week (generate-day --week): replay it under a rota policy.")
]
GenerateWeekFlag = Annotated[
    bool,
    typer.Option(
        "--week",
        help="A week instead (the week of --start): a team with availability and contracts "
        "(--couriers people, 8 by default) and --requests a weekday; replay it with replay --week.",
    ),
]
RequestsOption = Annotated[
    int,
    typer.Option(
        help="How many requests (with --week: each weekday; a weekend day gets a share of them).", min=1, max=5000
    ),
]
RotaFairnessOption = Annotated[
    str, typer.Option(help="With --week: the rota's fairness term, on, off or on,off to compare.")
]
#: Seconds to propose each rota of a week replay, unless --rota-seconds says otherwise.
ROTA_SECONDS = 5.0
RotaSecondsOption = Annotated[
    float | None, typer.Option(help="With --week: seconds to propose each rota (default 5).", min=0.5, max=60)
]
RotaOnlyOption = Annotated[
    bool, typer.Option("--rota-only", help="With --week: propose the rotas only, without simulating the days.")
]
DemandOption = Annotated[
    str,
    typer.Option(
        help="With --week: the demand the rota covers, requests (the week's own), forecast (from the file's "
        "history, as the live rota is) or requests,forecast to compare.",
    ),
]
HistoryWeeksOption = Annotated[
    int,
    typer.Option(
        help="With --week: also write this many earlier weeks of requests (for replay --week --demand forecast).",
        min=0,
        max=12,
    ),
]


def _policies(policy: str, fairness: str | None, override_rate: float, budget: float, extra: str) -> list[Any]:
    from dispatch.simulation import Policy

    if policy not in ("accept-proposals", "as-happened"):
        raise fail(f"unknown policy {policy!r}: accept-proposals or as-happened")
    if not 0 <= override_rate <= 1:
        raise fail("--override-rate is a share between 0 and 1")
    if not 0 < budget <= 30:
        raise fail("--budget is a number of seconds between 0 and 30")
    weights: list[float | None] = [None]
    if fairness:
        try:
            weights = [float(w) for w in fairness.split(",")]
        except ValueError:
            raise fail(f"--fairness takes numbers separated by commas, not {fairness!r}") from None
        if any(not 0 <= w <= 100 for w in weights if w is not None):
            raise fail("--fairness weights are between 0 and 100")
    extras = tuple(k for k in extra.split(",") if k) if extra else ()
    for kind in extras:
        if kind not in ("bike", "cargo_bike", "e_cargo_bike", "trailer"):
            raise fail(f"--extra-couriers: unknown vehicle {kind!r}")
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
            raise fail(str(exc)) from None


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
    week: WeekFlag = False,
    rota_fairness: RotaFairnessOption = "on",
    rota_seconds: RotaSecondsOption = None,
    rota_only: RotaOnlyOption = False,
    demand: DemandOption = "requests",
) -> None:
    """Replay a historical day through the planner under a policy, and report how it went; with
    --week, a week's rota under a rota policy and the week's fairness."""
    import dataclasses

    from dispatch.days import read_day
    from dispatch.replay import replay as run_replay

    policies = _policies(policy, fairness, override_rate, budget, extra_couriers)
    if not week and (demand != "requests" or rota_only or rota_fairness != "on" or rota_seconds is not None):
        raise fail("--demand, --rota-fairness, --rota-seconds and --rota-only are for a week: add --week")
    if week:
        if report is not None or metrics is not None:
            raise fail("--report and --metrics are for days; a week's figures are the tables shown")
        rotas = _rota_policies(rota_fairness, ROTA_SECONDS if rota_seconds is None else rota_seconds, demand)
        _replay_week(day, policies[0], city, seed, rotas, simulate=not rota_only)
        return
    if riding_budget != "cooperative":
        try:
            share = None if riding_budget == "none" else float(riding_budget)
        except ValueError:
            raise fail(f"--riding-budget is a share such as 0.05, none or cooperative, not {riding_budget!r}") from None
        if share is not None and not 0 <= share <= 10:
            raise fail("--riding-budget is a share between 0 and 10")
        policies = [dataclasses.replace(p, riding_budget=share) for p in policies]
    try:
        the_day = read_day(day, fleet=fleet)
        network = open_city(city)
    except (DomainError, NetworkError) as exc:
        raise fail(str(exc)) from None
    results = [run_replay(the_day, p, network, seed=seed) for p in policies]
    _summary_table(results)
    _write_outputs(results, report, metrics, city)


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
    from distributed import as_completed
    from rich.progress import Progress

    from dispatch.replay import replay_file

    if not days.is_dir():
        raise fail(f"{days}: not a folder of days")
    files = sorted(p for p in days.iterdir() if p.suffix.lower() in (".json", ".csv"))
    if not files:
        raise fail(f"{days}: no .json or .csv day in it")
    policies = _policies(policy, fairness, override_rate, budget, extra_couriers)
    client, cluster = _dask(scheduler, workers)
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
                    raise fail(str(exc)) from None
                progress.advance(task)
    finally:
        client.close()  # type: ignore[no-untyped-call]
        if cluster is not None:
            cluster.close()
    results.sort(key=lambda r: (r.day, r.policy))
    _summary_table(results)
    _write_outputs(results, report, metrics, city)


def _dask(scheduler: str | None, workers: int) -> tuple[Client, LocalCluster | None]:
    """A client of the scheduler at ``scheduler``, or of a local cluster of ``workers`` processes
    (returned too, for the caller to close; None with a scheduler)."""
    from distributed import Client, LocalCluster

    cluster: LocalCluster | None = None
    try:
        if scheduler:
            return Client(scheduler, timeout=10), None  # type: ignore[no-untyped-call]
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        return Client(cluster), cluster  # type: ignore[no-untyped-call]
    except OSError as exc:
        if cluster is not None:
            cluster.close()
        raise fail(f"cannot reach the Dask scheduler ({exc})") from None


def _start_in(start: str, city: str | None, history_weeks: int) -> tuple[datetime, BikeNetwork]:
    """``generate-day``'s start and city, the start checked against the calendar's ends."""
    try:
        begin = datetime.fromisoformat(start)
        network = open_city(city)
    except (ValueError, NetworkError) as exc:
        raise fail(f"--start/--city: {exc}") from None
    _fits_the_calendar(begin, history_weeks)
    return begin, network


def _fits_the_calendar(begin: datetime, history_weeks: int = 0) -> None:
    """A day (or a week, and the weeks of history before it) generated from ``begin`` must fit, in
    any zone, inside the calendar: 9999-12-31 ended in an OverflowError's traceback (outside
    tester's finding 6)."""
    try:
        begin - timedelta(weeks=history_weeks) - CALENDAR_MARGIN, begin + CALENDAR_MARGIN
    except OverflowError:
        raise fail(
            f"--start: {begin.isoformat()} leaves no room for the day (or the week and its history) in the calendar"
        ) from None


def generate_day_command(
    out_file: Annotated[Path, typer.Argument(help="Where to write the day (.json, or .csv plus a -fleet.json).")],
    requests: RequestsOption = 120,
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
    breaks: Annotated[
        bool, typer.Option("--breaks", help="Shifts longer than 5 h hold a 30-min break around their middle.")
    ] = False,
    sick: Annotated[int, typer.Option(help="This many couriers must stop (sick) at a seeded time of their shift.")] = 0,
    city: CityOption = None,
    week: GenerateWeekFlag = False,
    history_weeks: HistoryWeeksOption = 0,
) -> None:
    """Write a plausible day on a city's streets: a lunch peak, a real parcel mix, a fleet sized to it,
    and (with --breaks, --sick) the day's realities: breaks, couriers going home; with --week, a
    cooperative's week to propose a rota for."""
    from dispatch.days import generate_day, street_points

    if not out_file.parent.is_dir():  # said before minutes of generating, not as a traceback after
        raise fail(f"{out_file}: no folder {out_file.parent} to write it in")
    begin, network = _start_in(start, city, history_weeks)
    if week or history_weeks:
        options = {"couriers": couriers or 8, "requests": requests, "seed": seed, "history_weeks": history_weeks}
        _write_week(
            out_file, street_points(network), begin, week, area_km=area_km or None, timezone=timezone, **options
        )
        return
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
            breaks=breaks,
            sick=sick,
        )
    except InvalidInput as exc:
        option = {"sick": "--sick", "timezone": "--timezone"}.get(str(exc.field), str(exc.field))
        raise fail(f"{option}: {exc.reason}") from None
    except DomainError as exc:
        raise fail(str(exc)) from None
    _write_day(out_file, day, breaks=breaks)


def _write_day(out_file: Path, day: Day, *, breaks: bool) -> None:
    """The day written as JSON, or CSV with its fleet beside it, and what it holds said."""
    from dispatch.days import day_json

    data = day_json(day)
    if out_file.suffix.lower() == ".json":
        out_file.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    elif out_file.suffix.lower() == ".csv":
        fleet = _write_csv_day(out_file, data)
        out.print(f"fleet: {fleet}")
    else:
        raise fail(f"{out_file}: write a .json or .csv day")
    out.print(f"day: {out_file} ({len(day.requests)} requests, {len(day.couriers)} couriers, {day.timezone})")
    stopping = [c.name for c in day.couriers if c.unavailable_from]
    if breaks or stopping:
        held = sum(1 for c in day.couriers if c.breaks)
        out.print(f"breaks: {held} shifts hold one; going home: {', '.join(stopping) or 'nobody'}")


def _write_csv_day(out_file: Path, data: dict[str, Any]) -> Path:
    """A day as CSV (one row per request, its first parcel) and its fleet beside it; the fleet's path."""
    import csv

    from dispatch.days import CSV_COLUMNS

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
    return fleet


# ------------------------------------------------------------------ weeks (issue 23)


def _rota_policies(given: str, seconds: float, demand: str = "requests") -> list[Any]:
    """A rota policy for each fairness switch and each demand asked, demands side by side."""
    from dispatch.week_replay import DEMANDS, RotaPolicy

    switches = [w.strip() for w in given.split(",") if w.strip()]
    if not switches or any(w not in ("on", "off") for w in switches):
        raise fail(f"--rota-fairness is on, off or on,off, not {given!r}")
    demands = [d.strip() for d in demand.split(",") if d.strip()]
    if not demands or any(d not in DEMANDS for d in demands):
        raise fail(f"--demand is requests, forecast or requests,forecast, not {demand!r}")
    return [RotaPolicy(fairness=w == "on", time_limit_s=seconds, demand=d) for w in switches for d in demands]


def _read_week(path: Path) -> Any:
    from dispatch.week_replay import week_from_json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"{path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise fail(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from None
    try:
        return week_from_json(data, name=path.stem)
    except DomainError as exc:
        raise fail(f"{path}: {exc}") from None


def _replay_week(path: Path, policy: Any, city: str | None, seed: int, rotas: list[Any], *, simulate: bool) -> None:
    """The week under each rota policy: a table of each person's hours against their contract
    (in the team's order, never sorted by a figure), then the policies' figures side by side."""
    from dispatch.week_replay import replay_week

    the_week = _read_week(path)
    if not the_week.history and any(r.demand == "forecast" for r in rotas):
        raise fail(
            f"{path}: --demand forecast needs the weeks before this one, and the file has none: "
            "write one with generate-day --week --history-weeks N (or use --demand requests)"
        )
    try:
        network = open_city(city)
    except NetworkError as exc:
        raise fail(str(exc)) from None
    from routing.rota import RotaError

    results, missed = [], []
    for rota_policy in rotas:  # a policy whose rota is not found leaves the others' figures shown
        try:
            results.append(replay_week(the_week, rota_policy, policy, network, seed=seed, simulate=simulate))
        except RotaError as exc:  # CP-SAT found no rota in --rota-seconds (a busy machine)
            missed.append(f"{path}: {rota_policy.label()}: {exc}; give the rota more time with --rota-seconds")
    if not results:
        raise fail("\n".join(missed))
    for result in results:
        columns = list(result.people[0])
        table = Table(*columns, title=f"{result.name}: {result.rota_policy} ({result.policy})")
        for row in result.people:
            table.add_row(*["" if row[c] is None else str(row[c]) for c in columns])
        out.print(table)
    summary = Table("figure", *[r.rota_policy for r in results], title="the week's fairness")
    for key in results[0].summary:
        summary.add_row(key, *[str(r.summary.get(key, "")) for r in results])
    out.print(summary)
    if missed:
        raise fail("\n".join(missed))


def _write_week(out_file: Path, points: list[tuple[float, float]], begin: datetime, week: bool, **options: Any) -> None:
    """``generate-day --week``: a team and seven days of requests (and ``--history-weeks`` weeks
    before them), as JSON."""
    from dispatch.week_replay import generate_week, week_json

    if not week:
        raise fail("--history-weeks is for a week: add --week")
    if out_file.suffix.lower() != ".json":
        raise fail(f"{out_file}: a week is written as .json")
    monday = begin.date() - timedelta(days=begin.weekday())
    try:
        the_week = generate_week(points, monday=monday, **options)
    except InvalidInput as exc:
        names = {"couriers": "--couriers", "timezone": "--timezone", "history_weeks": "--history-weeks"}
        raise fail(f"{names.get(str(exc.field), str(exc.field))}: {exc.reason}") from None
    out_file.write_text(json.dumps(week_json(the_week), indent=1) + "\n", encoding="utf-8")
    requests = sum(len(d.requests) for d in the_week.days)
    out.print(f"week: {out_file} (week of {monday}, {len(the_week.team)} people, {requests} requests)")
    if the_week.history:
        earlier = sum(len(d.requests) for past in the_week.history for d in past.days)
        out.print(
            f"history: {len(the_week.history)} earlier weeks from {the_week.history[-1].monday} ({earlier} requests)"
        )
