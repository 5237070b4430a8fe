"""Analysts' endpoints: run a replay of a day on this worker and fetch its figures and report.

Replays run in a separate process (they plan for minutes of CPU); the API answers meanwhile.
Results are kept in this worker's memory for the session (``tandem replay``/``sweep`` write
files for anything that must last).
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from api.deps import Analyst, Svc
from api.errors import ApiError, answers, refusals, refusals_of_non_json, responses
from api.schemas import ReplayIn, ReplayOut, ReplayStartedOut
from dispatch.days import day_from_json
from dispatch.replay import ReplayResult, replay_json
from dispatch.simulation import Policy
from dispatch.store.access import Principal

router = APIRouter(prefix="/v1", tags=["analysts"], responses=refusals())
MAX_KEPT = 50
#: Replays one worker runs or queues at once: each is minutes of CPU, and an analyst's loop must
#: not queue hours of work in front of everybody else's.
MAX_RUNNING = 3


class _Run:
    def __init__(self, coop: str, who: str) -> None:
        self.coop, self.who = coop, who
        self.status = "running"
        self.results: list[ReplayResult] = []
        self.error: str | None = None


_runs: dict[str, _Run] = {}
_tasks: set[asyncio.Task[None]] = set()  #: a reference to each running replay, so none is collected
_pool: ProcessPoolExecutor | None = None


def _executor() -> ProcessPoolExecutor:
    global _pool  # noqa: PLW0603  (one pool per API worker, made on first use)
    if _pool is None:
        import multiprocessing

        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    return _pool


def _run_of(run_id: str, who: Principal) -> _Run:
    run = _runs.get(run_id)
    if run is None or run.coop != who.cooperative_id:
        raise ApiError(404, "not_found", "no_replay_here")
    return run


@router.post("/replays", status_code=202, **answers(ReplayStartedOut, 202, also=responses(429)))
async def start_replay(body: ReplayIn, who: Analyst, svc: Svc) -> dict[str, Any]:
    """Replay a day under a policy (one run per fairness weight); poll for the outcome."""
    # Refuse a bad day now, with its field, not later in the worker; in a thread, since checking
    # 20,000 requests takes a while and the event loop serves everybody's sockets meanwhile.
    await svc.run(day_from_json, body.day)
    if sum(r.status == "running" for r in _runs.values()) >= MAX_RUNNING:
        raise ApiError(429, "busy", "replays_running", {"most": MAX_RUNNING})
    city = (await svc.city(who.cooperative_id)).name  # replayed on the cooperative's own streets
    run_id = str(uuid.uuid4())
    run = _runs[run_id] = _Run(who.cooperative_id, who.subject_id)
    while len(_runs) > MAX_KEPT:
        _runs.pop(next(iter(_runs)))

    async def go() -> None:
        loop = asyncio.get_running_loop()
        try:
            for weight in body.fairness:
                policy = Policy(body.policy, body.override_rate, weight, body.budget_s)
                run.results.append(
                    await loop.run_in_executor(_executor(), replay_json, body.day, policy, city, body.seed)
                )
            run.status = "done"
        except Exception as exc:  # a failed replay is reported, never a crashed worker
            run.status, run.error = "failed", str(exc)

    task = asyncio.get_running_loop().create_task(go())
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)
    return {"id": run_id, "status": run.status}


@router.get("/replays/{run_id}", **answers(ReplayOut, also=responses(404)))
async def replay_status(run_id: str, who: Analyst) -> dict[str, Any]:
    run = _run_of(run_id, who)
    return {
        "id": run_id,
        "status": run.status,
        "error": run.error,
        "results": [{"policy": r.policy, "summary": r.summary, "couriers": r.couriers} for r in run.results],
    }


@router.get("/replays/{run_id}/report", response_class=HTMLResponse, responses=refusals_of_non_json(404, 409))
async def replay_report(run_id: str, who: Analyst, svc: Svc) -> Response:
    run = _run_of(run_id, who)
    if run.status != "done":
        raise ApiError(409, "not_ready", "replay_failed" if run.status == "failed" else "replay_running")
    # Imported here: the report draws with matplotlib, a third of the app's import time, which
    # every worker (and every test server) would otherwise pay at start for a rarely used page.
    from dispatch.report import html_report

    network = (await svc.city(who.cooperative_id)).network
    page = await svc.run(html_report, run.results, network=network, title="Tandem replay")
    return HTMLResponse(page)
