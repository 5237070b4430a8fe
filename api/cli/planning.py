"""``tandem plan``: a planning round on jobs and couriers read from files, without a server."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from api.cli.common import CityOption, JsonOption, fail, out
from dispatch.errors import DomainError
from dispatch.model import JobRequest, Vehicle, check_timezone
from dispatch.planning import CourierToPlan, JobToPlan, PlanningContext, assemble_problem
from routing.network import NetworkError, open_city
from routing.plan import Plan
from routing.problem import ProblemError
from routing.reasons import Reason
from routing.solver import SolverSettings, solve


def _read_json_list(path: Path, what: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError) as exc:  # not UTF-8, not JSON, absurdly nested
        raise fail(f"{path}: cannot read the {what} ({exc})") from None
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        raise fail(f"{path}: the {what} file must hold a JSON list of objects")
    return data


def _planning_input(jobs_file: Path, couriers_file: Path) -> tuple[list[JobToPlan], list[CourierToPlan]]:
    jobs: list[JobToPlan] = []
    for i, raw in enumerate(_read_json_list(jobs_file, "jobs")):
        try:
            request = JobRequest.from_json(raw)
        except DomainError as exc:
            raise fail(f"{jobs_file}: job #{i} ({raw.get('id', '?')}): {exc}") from None
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
            raise fail(f"{couriers_file}: courier #{i}: {exc}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise fail(
                f"{couriers_file}: courier #{i}: needs vehicle, position {{lon, lat}} and an ISO shift_end ({exc!r})"
            ) from None
    return jobs, couriers


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
        raise fail("--fairness must be 0-100 and --budget 0-600 seconds")
    try:
        network = open_city(city)
        tz = check_timezone(timezone)
    except (NetworkError, DomainError) as exc:
        raise fail(str(exc)) from None
    jobs, couriers = _planning_input(jobs_file, couriers_file)
    if not jobs:
        raise fail(f"{jobs_file}: no jobs to plan")
    moment = _moment(now, jobs)
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
        raise fail(str(exc)) from None
    result = solve(problem, SolverSettings(time_budget_s=budget))
    unassigned = {**result.unassigned, **ctx.skipped}
    routes = _routes(result, ctx)
    from api.i18n import localize  # the edge's words, English for the command line

    if as_json:
        typer.echo(
            json.dumps(
                {
                    "routes": routes,
                    "unassigned": {k: localize(r.to_json()) for k, r in unassigned.items()},
                    "explanations": {k: localize(e.to_json()) for k, e in result.explanations.items()},
                    "metrics": result.metrics,
                    "solver": result.solver.to_json(),
                },
                indent=2,
                default=str,
            )
        )
        return
    _print_plan(result, routes, unassigned)


def _moment(now: str | None, jobs: list[JobToPlan]) -> datetime:
    """The time of the round: ``--now``, or the earliest pickup opening."""
    try:
        moment = datetime.fromisoformat(now) if now else min(j.request.pickup_window.start for j in jobs)
    except ValueError:
        raise fail(f"--now: not an ISO date-time: {now!r}") from None
    if moment.tzinfo is None:
        raise fail("--now needs a time zone offset, e.g. 2026-11-28T11:00:00+02:00")
    return moment


def _routes(result: Plan, ctx: PlanningContext) -> dict[str, list[dict[str, Any]]]:
    """Each courier's stops in order, with local clock times."""
    return {
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


def _print_plan(result: Plan, routes: dict[str, list[dict[str, Any]]], unassigned: dict[str, Reason]) -> None:
    from api.i18n import render  # the edge's words, English for the command line

    for cid, stops in routes.items():
        table = Table("time", "stop", "job", "load kg", title=f"{cid}: {len(stops) // 2} jobs", title_justify="left")
        for stop in stops:
            table.add_row(str(stop["eta"])[11:16], str(stop["stop"]), str(stop["job"]), f"{stop['load_kg']:g}")
        out.print(table)
    for job_id, explanation in result.explanations.items():
        said = "; ".join(render(r.to_json()) for r in explanation.reasons)
        out.print(f"[bold]{job_id}[/] -> {explanation.courier}: {said}")
    for job_id, reason in unassigned.items():
        out.print(f"[bold red]{job_id}[/] not proposed: {render(reason.to_json())}")
    m = result.metrics
    out.print(
        f"riding {m['travel_minutes']:.0f} min, {m['km']:.1f} km; worked-share Gini {m['worked_share_gini']:.2f}; "
        f"solved in {result.solver.total_seconds} s"
    )
