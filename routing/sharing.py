"""Sharing the work under a riding budget: jobs handed from the busiest courier to others.

With a riding budget (``Problem.fairness_riding_budget``) the planner first builds the plan with
the least riding, then shares the work within the cap on total riding. OR-Tools' local search,
from that plan and under the cap, moves few jobs between couriers (on bench_city's 200 jobs /
30 couriers the Gini of worked time over shift went from 0.45 to 0.44 within +5 % riding):
the cap forbids most single moves and its guided search wanders along the routes instead.
This module makes the moves a dispatcher would make, in the order the members asked for:

- a lexicographic min-max (Matl, Hartl & Vidal 2018): the courier with the largest share of
  their shift expected at the day's end (:func:`routing.fairness.expected_day_share`: time
  already worked today, the plan, and the rest of the shift at the rate the objective expects)
  gives one job to a courier below them, and
  only if neither ends at or above the giver's share before the move; when the busiest can give
  nothing more, the next busiest is tried, and so on;
- among the moves allowed, the one that lowers the Gini of those shares most per second of
  riding it adds, while the plan's riding (the model's, :func:`routing.model_limits.plan_riding_s`)
  stays under the cap;
- every route is checked as the model checks it (:func:`routing.model_limits.route_holds`), so
  OR-Tools accepts the result as its warm start, and the planned work in the shares is timed
  with the exact evaluator, as :func:`routing.solver.plan_metrics` times it.

The shares compared are those expected at the day's end, not the share of the shift worked so
far that :func:`routing.solver.plan_metrics` reports: a move may leave a courier whose shift ends
soon above the giver's share so far (hypothesis found one 40 minutes into a 2-hour shift taking a job
from one with 6 hours ahead), and that is the point, since the first cannot catch up later and
the second will get more work. ``gini_before`` and ``gini_after`` are of the expected shares.

Jobs a person decided (locks) and parcels already on board never move. It is a plain greedy
local search, justified by bench_city (README.md: within the same +5 % it brought
the Gini of 200 jobs / 30 couriers from 0.42 to 0.32, where OR-Tools alone stayed at 0.44).
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from routing.evaluate import RouteEvaluation, RouteStop, StopKind, evaluate_route
from routing.fairness import expected_day_share, gini
from routing.insertion import _deltas
from routing.model_limits import owners, route_holds, route_riding_s
from routing.problem import Problem, may_take
from routing.stats import SharingStats

#: Cheapest positions (on the matrix) tried per receiving courier; the first that holds is taken.
POSITIONS_TRIED = 3
#: Receivers tried per job, among the couriers below the giver: the nearest ones (their start or
#: a stop closest to the pickup), whose moves add the least riding, and the least loaded ones,
#: whose moves take the most off the Gini. Trying every courier cost 60 insertions per job on
#: bench_city's 500 jobs / 60 couriers, and the search ran out of time before its first move;
#: on 200 jobs / 30 couriers the nearest 10 alone took a fifth less off the Gini than all.
NEAREST_TRIED = 10
LEAST_LOADED_TRIED = 5


@dataclass
class Sharing:
    """The routes after sharing, and what it did (for ``Plan.solver`` and the benchmark)."""

    routes: dict[str, list[RouteStop]]
    moves: int = 0
    riding_before_s: int = 0
    riding_after_s: int = 0
    gini_before: float = 0.0  #: of the shares expected at the day's end, as the moves judge them
    gini_after: float = 0.0
    seconds: float = 0.0
    stopped: str = "no move left"
    moved: list[tuple[str, str, str]] = field(default_factory=list)  #: (job, from courier, to courier)

    def stats(self) -> SharingStats:
        return SharingStats(
            moves=self.moves,
            riding_before_s=self.riding_before_s,
            riding_after_s=self.riding_after_s,
            gini_before=round(self.gini_before, 4),
            gini_after=round(self.gini_after, 4),
            seconds=round(self.seconds, 3),
            stopped=self.stopped,
        )


@dataclass(frozen=True)
class _Insertion:
    stops: list[RouteStop]
    evaluation: RouteEvaluation
    riding: int


@dataclass
class _Move:
    score: float
    job: str
    giver: str
    receiver: str
    giver_stops: list[RouteStop]
    giver_eval: RouteEvaluation
    giver_riding: int
    receiver_stops: list[RouteStop]
    receiver_eval: RouteEvaluation
    receiver_riding: int


class _State:
    def __init__(self, problem: Problem, routes: dict[str, list[RouteStop]]) -> None:
        self.problem = problem
        self.couriers = {c.id: c for c in problem.couriers}
        self.stops = {c.id: list(routes.get(c.id, [])) for c in problem.couriers}
        self.evals = {cid: evaluate_route(problem, self.couriers[cid], s) for cid, s in self.stops.items()}
        riding = {cid: route_riding_s(problem, self.couriers[cid], s) for cid, s in self.stops.items()}
        self.valid = all(r is not None for r in riding.values())
        self.riding = {cid: r or 0 for cid, r in riding.items()}
        self.shares = {cid: self.share(cid, ev) for cid, ev in self.evals.items()}
        # A receiver's best insertion of a job stays the same until the receiver's route changes,
        # and only two routes change per move: most of the next move's candidates are known.
        self.version = dict.fromkeys(self.stops, 0)
        self.insertions: dict[tuple[str, str], tuple[int, _Insertion | None]] = {}
        self.ranking = problem.travel[problem.couriers[0].profile].seconds(0.0)
        self._flat: tuple[NDArray[np.int64], NDArray[np.int64]] | None = None

    def share(self, cid: str, evaluation: RouteEvaluation) -> float:
        return expected_day_share(self.couriers[cid], self.problem.now, evaluation.work_s)

    @property
    def total_riding(self) -> int:
        return sum(self.riding.values())

    def gini(self, changed: dict[str, float] | None = None) -> float:
        shares = dict(self.shares)
        shares.update(changed or {})
        return gini(list(shares.values()))

    def apply(self, move: _Move) -> None:
        for cid, stops, ev, riding in (
            (move.giver, move.giver_stops, move.giver_eval, move.giver_riding),
            (move.receiver, move.receiver_stops, move.receiver_eval, move.receiver_riding),
        ):
            self.stops[cid], self.evals[cid], self.riding[cid] = stops, ev, riding
            self.shares[cid] = self.share(cid, ev)
            self.version[cid] += 1
        self._flat = None

    def receivers(self, place: int, below: float) -> list[str]:
        """Couriers below the share ``below`` worth trying for a job picked up at ``place``: the
        ``NEAREST_TRIED`` whose start or stops come closest to it (empty riding times of the
        first courier's vehicle: a ranking, not a timing) and the ``LEAST_LOADED_TRIED`` lowest."""
        ids = [cid for cid, share in self.shares.items() if share < below]
        if len(ids) <= NEAREST_TRIED + LEAST_LOADED_TRIED:
            return ids
        flat, offsets = self._places()
        closest = np.minimum.reduceat(self.ranking[flat, place], offsets)  # every courier, in order
        rank = {cid: closest[k] for k, cid in enumerate(self.stops)}
        order = sorted(ids, key=lambda cid: rank[cid])
        near = order[:NEAREST_TRIED]
        low = sorted(ids, key=lambda cid: self.shares[cid])[:LEAST_LOADED_TRIED]
        return list(dict.fromkeys(near + low))

    def _places(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Every courier's start and stops as one array, and where each courier's part begins
        (rebuilt only after a move: ranking receivers asked for it once per job)."""
        if self._flat is None:
            groups = [[self.couriers[cid].start, *(t.place for t in self.evals[cid].stops)] for cid in self.stops]
            flat = np.fromiter((p for group in groups for p in group), dtype=np.int64)
            offsets = np.cumsum([0] + [len(group) for group in groups[:-1]]).astype(np.int64)
            self._flat = (flat, offsets)
        return self._flat

    def insertion(self, receiver: str, job: str) -> _Insertion | None:
        """The receiver's cheapest position for ``job`` that holds under the model, or None."""
        key = (receiver, job)
        cached = self.insertions.get(key)
        if cached is not None and cached[0] == self.version[receiver]:
            return cached[1]
        found = _insert(self, receiver, job)
        self.insertions[key] = (self.version[receiver], found)
        return found


def share_work(
    problem: Problem,
    routes: dict[str, list[RouteStop]],
    cap_s: int,
    deadline: float,
    movable: Collection[str] | None = None,
) -> Sharing:
    """Move jobs from the busiest couriers to others while the plan's riding stays under ``cap_s``.

    ``deadline`` is a :func:`time.perf_counter` value; the search stops there with what it has.
    Only ``movable`` jobs move, when given (a re-plan moves only the new jobs: every proposal a
    dispatcher has already seen stays as it was). Every route of the result holds under the
    model if every route given did.
    """
    started = time.perf_counter()
    state = _State(problem, routes)
    out = Sharing(routes=state.stops, riding_before_s=state.total_riding, gini_before=state.gini())
    if not state.valid:
        out.stopped = "a route rides between places that do not reach each other"
    else:
        fixed = set(owners(problem))
        if movable is not None:
            fixed |= {s.id for s in problem.shipments} - set(movable)
        done: set[str] = set()  # couriers who have nothing more to give
        while True:
            if time.perf_counter() >= deadline:
                out.stopped = "time budget"
                break
            candidates = [cid for cid in state.stops if cid not in done]
            if not candidates:
                break
            giver = max(candidates, key=lambda cid: state.shares[cid])
            move = _best_move(state, giver, fixed, cap_s, deadline)
            if move is None:
                done.add(giver)
                continue
            state.apply(move)
            done.discard(move.receiver)
            out.moves += 1
            out.moved.append((move.job, move.giver, move.receiver))
    out.routes = state.stops
    out.riding_after_s = state.total_riding
    out.gini_after = state.gini()
    out.seconds = time.perf_counter() - started
    return out


def _best_move(state: _State, giver: str, fixed: set[str], cap_s: int, deadline: float) -> _Move | None:
    """The move off ``giver`` with the most Gini taken off per riding second, or None."""
    problem = state.problem
    top = state.shares[giver]
    gini_now = state.gini()
    room = cap_s - state.total_riding
    stops = state.stops[giver]
    courier = state.couriers[giver]
    best: _Move | None = None
    for job in sorted({s.shipment for s in stops if s.kind is StopKind.PICKUP} - fixed):
        if time.perf_counter() >= deadline:
            break
        rest = [s for s in stops if s.shipment != job]
        rest_riding = route_riding_s(problem, courier, rest)
        if rest_riding is None or not route_holds(problem, courier, rest):
            continue
        rest_eval = evaluate_route(problem, courier, rest)
        giver_share = state.share(giver, rest_eval)
        shipment = problem.shipment(job)
        handling = shipment.pickup_service_s + shipment.dropoff_service_s
        saved = state.riding[giver] - rest_riding
        for receiver in state.receivers(shipment.pickup, top):
            other = state.couriers[receiver]
            if not may_take(other, shipment):
                continue
            at_least = expected_day_share(other, problem.now, state.evals[receiver].work_s + handling)
            if max(giver_share, at_least) >= top:
                continue
            found = state.insertion(receiver, job)
            if found is None:
                continue
            added = found.riding - state.riding[receiver] - saved
            receiver_share = state.share(receiver, found.evaluation)
            if added > room or max(giver_share, receiver_share) >= top:
                continue
            gain = gini_now - state.gini({giver: giver_share, receiver: receiver_share})
            if gain <= 0:
                continue
            score = gain / max(added, 1)
            if best is None or score > best.score:
                best = _Move(
                    score,
                    job,
                    giver,
                    receiver,
                    rest,
                    rest_eval,
                    rest_riding,
                    found.stops,
                    found.evaluation,
                    found.riding,
                )
    return best


def _insert(state: _State, receiver: str, job: str) -> _Insertion | None:
    """The job at the receiver's cheapest position (on the matrix) that holds under the model."""
    problem = state.problem
    courier = state.couriers[receiver]
    delta = _deltas(problem, courier, problem.shipment(job), state.evals[receiver])
    if delta is None:
        return None
    n = delta.shape[0]
    for flat in np.argsort(delta, axis=None)[:POSITIONS_TRIED]:
        i, j = divmod(int(flat), n)
        if not np.isfinite(delta[i, j]):
            break
        trial = list(state.stops[receiver])
        trial.insert(j, RouteStop(job, StopKind.DROPOFF))
        trial.insert(i, RouteStop(job, StopKind.PICKUP))
        if not route_holds(problem, courier, trial):
            continue
        riding = route_riding_s(problem, courier, trial)
        if riding is None:
            continue
        return _Insertion(trial, evaluate_route(problem, courier, trial), riding)
    return None
