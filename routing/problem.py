"""The planning input: couriers, shipments, locks and travel times, as dataclasses and arrays.

Times are integer seconds since the start of the planning day; places are indices into the
travel matrices (built by :func:`travel_times` from a city network, or by hand for tests and
benchmarks). Nothing here knows about the database, the web or the clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from routing.matrix import RoutableGraph, node_sums
from routing.profiles import Movement, VehicleProfile
from routing.reasons import Reason, reason


class ProblemError(ValueError):
    """The planning input contradicts itself (an unknown courier in a lock, a bad index...)."""


#: A matrix, or the block of it that a question needs.
_Pick = Callable[[NDArray[np.float64]], NDArray[np.float64]]


@dataclass(frozen=True)
class TravelTimes:
    """Door-to-door travel between the problem's places for one vehicle profile.

    The speed model makes riding time depend on the load (ARCHITECTURE.md section 5); walking
    (pushing the bike, carrying it on steps) does not. So a leg's time with ``load_kg`` on
    board is ``ride_s * cruise(0) / cruise(load_kg) + walk_s`` along the path chosen empty.

    In a city with heights (issue 20) the load costs most on climbs, so one factor no longer
    fits every leg, and a loaded vehicle may take another way (longer, flatter). Each leg then
    has two paths: the empty vehicle's fastest (``ride_s``, ``walk_s``, ``metres``, and
    ``ride_loaded_s``, its riding with ``loaded_kg`` on board) and the loaded vehicle's fastest
    (``loaded_path_s`` with ``loaded_kg`` on board, ``loaded_path_empty_s`` ridden empty, both
    door to door). A leg's time with ``load_kg`` is the lower of the two paths' times, each
    interpolated linearly in the load between empty and ``loaded_kg``: exact at both ends (to
    the millisecond per arc), and in between the time of a way the rider can really take, to
    the interpolation's error. That error is not one-sided: on the flat the chord is within
    1.2 % above the exact curve at half a cargo bike's payload, but where the load makes the
    rider push, a way's time stops growing with the load and the chord runs below it. Against
    a search at the load itself (``benchmarks/bench_hills.py``, Andorra, half the payload):
    -1.2 % on average for a cargo bike, -15 % to +6 % at worst (the empty way alone: up to
    +18 %, and up to 34 min off fully loaded). ``metres`` are always the empty vehicle's way:
    what prices, kilometres and kg x km count (a loaded way is a median 0.6 % longer).
    """

    ride_s: NDArray[np.float64]  #: riding seconds at cruise speed, empty
    walk_s: NDArray[np.float64]  #: pushing and carrying seconds
    metres: NDArray[np.float64]
    cruise_kmh: float = 15.0
    slowdown_per_25kg: float = 0.0
    min_riding_kmh: float = 1.0
    ride_loaded_s: NDArray[np.float64] | None = None  #: riding seconds with ``loaded_kg`` on board
    loaded_kg: float = 0.0
    #: Door to door along the loaded vehicle's own fastest path, with ``loaded_kg`` on board.
    loaded_path_s: NDArray[np.float64] | None = None
    loaded_path_empty_s: NDArray[np.float64] | None = None  #: the same path ridden empty
    _by_load: dict[float, NDArray[np.float64]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_matrices(cls, profile: VehicleProfile, matrices: list[NDArray[np.float64]]) -> TravelTimes:
        """From :func:`travel_matrices`' list (three matrices, or six in a city with heights)."""
        hilly = len(matrices) > 3
        return cls(
            ride_s=matrices[0],
            walk_s=matrices[1],
            metres=matrices[2],
            cruise_kmh=profile.cruise_kmh,
            slowdown_per_25kg=profile.slowdown_per_25kg,
            min_riding_kmh=profile.min_riding_kmh,
            ride_loaded_s=matrices[3] if hilly else None,
            loaded_kg=profile.payload_kg if hilly else 0.0,
            loaded_path_s=matrices[4] if hilly else None,
            loaded_path_empty_s=matrices[5] if hilly else None,
        )

    def matrices(self) -> list[NDArray[np.float64]]:
        """The matrices in :func:`travel_matrices`' order (what the travel cache keeps)."""
        hilly = [self.ride_loaded_s, self.loaded_path_s, self.loaded_path_empty_s]
        return [self.ride_s, self.walk_s, self.metres, *(m for m in hilly if m is not None)]

    def speed_factor(self, load_kg: float) -> float:
        """How much longer riding takes with ``load_kg`` on board (1.0 when empty)."""
        slowed = max(self.min_riding_kmh, self.cruise_kmh * (1.0 - self.slowdown_per_25kg * load_kg / 25.0))
        return self.cruise_kmh / slowed

    def seconds(self, load_kg: float = 0.0) -> NDArray[np.float64]:
        """The whole matrix at one load (memoised: insertion asks for it once per courier)."""
        cached = self._by_load.get(load_kg)
        if cached is None:
            cached = np.asarray(self._at(lambda m: m, load_kg), dtype=np.float64)
            if len(self._by_load) > 8:
                self._by_load.clear()
            self._by_load[load_kg] = cached
        return cached

    def between(
        self, origins: NDArray[np.int64], destinations: NDArray[np.int64] | int, load_kg: float = 0.0
    ) -> NDArray[np.float64]:
        """Seconds from each origin to each destination (a block, or one column for one place).

        What a stage needs of a large matrix: the whole one at a new load costs 0.16 s at 3,000
        places (bench_scale's 1,500 jobs), which the constructor and the explanations paid once
        per profile for a few columns or a subset of the places.
        """

        def pick(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
            rows = matrix.take(origins, axis=0)  # row then column: np.ix_ is 5x slower
            return rows.take(destinations, axis=1) if isinstance(destinations, np.ndarray) else rows[:, destinations]

        return np.asarray(self._at(pick, load_kg), dtype=np.float64)

    def leg_seconds(self, a: int, b: int, load_kg: float) -> float:
        return float(self._at(lambda m: m[a, b], load_kg))

    def _at(self, pick: _Pick, load_kg: float) -> NDArray[np.float64]:
        """Seconds with ``load_kg`` on board over the part of the matrices that ``pick`` takes."""
        if self.ride_loaded_s is None:
            return pick(self.ride_s) * self.speed_factor(load_kg) + pick(self.walk_s)
        share = load_kg / self.loaded_kg
        along_empty_path = _interpolated(pick(self.ride_s), pick(self.ride_loaded_s), share) + pick(self.walk_s)
        if self.loaded_path_s is None or self.loaded_path_empty_s is None:
            return along_empty_path
        along_loaded_path = _interpolated(pick(self.loaded_path_empty_s), pick(self.loaded_path_s), share)
        return np.minimum(along_empty_path, along_loaded_path)


def _interpolated(empty: NDArray[np.float64], loaded: NDArray[np.float64], share: float) -> NDArray[np.float64]:
    """``empty`` + (``loaded`` - ``empty``) x ``share``, and no way (inf) where either has none:
    plain arithmetic gives inf - inf = NaN there, which compares as neither reachable nor not.
    Empty (``share`` 0) it is the empty time, whatever the loaded one says."""
    if share == 0:
        return empty
    with np.errstate(invalid="ignore"):
        out = empty + (loaded - empty) * share
    return np.where(np.isfinite(empty) & np.isfinite(loaded), out, np.inf)


@dataclass(frozen=True)
class Break:
    """A pause the shift holds (issue 18): ``duration_s`` taken somewhere between ``earliest``
    and ``latest`` (seconds since the day's start; the break ends by ``latest``)."""

    earliest: int
    latest: int
    duration_s: int

    def __post_init__(self) -> None:
        if self.duration_s <= 0 or self.latest_start < self.earliest:
            raise ProblemError(f"a break must last and fit its window: {self}")

    @property
    def latest_start(self) -> int:
        return self.latest - self.duration_s


@dataclass(frozen=True)
class Courier:
    """One courier on shift, as the planner needs them (no figure about the person)."""

    id: str
    profile: str  #: key into ``Problem.travel``
    payload_kg: float
    volume_l: float
    max_length_cm: float
    start: int  #: where they are now (a place index)
    shift_start: int
    shift_end: int
    end: int | None = None  #: where the route must end; None: anywhere (the last drop-off)
    on_board: tuple[str, ...] = ()  #: shipments already picked up: only their drop-off remains
    worked_s_today: int = 0  #: fairness input: seconds already worked today
    planned_shift_s: int | None = None  #: fairness input: today's planned shift length
    heavy_kg_today: float = 0.0  #: fairness input: heavy kilograms already carried today
    breaks: tuple[Break, ...] = ()  #: pauses the shift holds, in time order (issue 18)

    @property
    def shift_length_s(self) -> int:
        """Today's shift length, the basis of a fair share: the planned one, else what is left."""
        return self.planned_shift_s or max(1, self.shift_end - self.shift_start)


@dataclass(frozen=True)
class Shipment:
    id: str
    pickup: int
    dropoff: int
    pickup_window: tuple[int, int]
    dropoff_window: tuple[int, int]
    weight_kg: float
    volume_l: float = 0.0
    length_cm: float = 30.0
    pickup_service_s: int = 0
    dropoff_service_s: int = 0
    #: Couriers who said no to this job today: it is not proposed to them again. The domain
    #: (dispatch/planning.py) leaves this empty when nobody else on shift could take the job.
    declined_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lock:
    """A person decided: ``shipment`` stays with ``courier``; the planner must not move it."""

    shipment: str
    courier: str
    keep_order: bool = True  #: keep its position relative to the courier's other locked stops


#: A courier's last quarter of an hour is kept free where the plan can (issue 15).
DEFAULT_SHIFT_END_MARGIN_S = 15 * 60


@dataclass(frozen=True)
class Problem:
    couriers: tuple[Courier, ...]
    shipments: tuple[Shipment, ...]
    travel: dict[str, TravelTimes]
    locks: tuple[Lock, ...] = ()
    now: int = 0  #: nothing can happen before this (seconds since the day's start)
    fairness_weight: float = 0.0  #: 0 = pure efficiency
    #: With fairness on, the most riding that sharing the work may add to the efficient plan, as
    #: a share of its riding (0.05: at most +5 %); None: no bound, the weight alone decides.
    #: Needs the PyVRP constructor (the default), which builds the efficient plan it is measured
    #: against, for a re-plan too (see routing/solver.py).
    fairness_riding_budget: float | None = None
    heavy_threshold_kg: float = 25.0
    soft_windows: bool = False  #: allow lateness at ``lateness_cost_per_s`` instead of refusing
    lateness_cost_per_s: float = 10.0
    #: The last minutes of each shift the plan keeps free where it can (``routing.objective``:
    #: every second planned into them costs). 0 where a route's end is not a person's shift
    #: ending, e.g. Li & Lim's depot window (benchmarks/bench_lilim.py).
    shift_end_margin_s: int = DEFAULT_SHIFT_END_MARGIN_S
    _index: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    #: Derived from the fields, built once (see _fleet).
    _memo: dict[str, object] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ids = [s.id for s in self.shipments]
        if len(set(ids)) != len(ids):
            raise ProblemError("shipment ids must be unique")
        courier_ids = {c.id for c in self.couriers}
        if len(courier_ids) != len(self.couriers):
            raise ProblemError("courier ids must be unique")
        known = set(ids)
        for c in self.couriers:
            if c.profile not in self.travel:
                raise ProblemError(f"courier {c.id}: no travel times for profile {c.profile!r}")
            if c.shift_end < c.shift_start:
                raise ProblemError(f"courier {c.id}: shift ends before it starts")
            for s in c.on_board:
                if s not in known:
                    raise ProblemError(f"courier {c.id}: unknown shipment {s} on board")
        for lock in self.locks:
            if lock.shipment not in known or lock.courier not in courier_ids:
                raise ProblemError(f"lock {lock.shipment} -> {lock.courier} names an unknown shipment or courier")
        n = {t.ride_s.shape for t in self.travel.values()}
        if len(n) != 1:
            raise ProblemError("every profile's travel matrices must cover the same places")
        size = next(iter(n))[0]
        for shipment in self.shipments:
            if not (0 <= shipment.pickup < size and 0 <= shipment.dropoff < size):
                raise ProblemError(f"shipment {shipment.id}: place index out of range")
        self._index.update({s.id: i for i, s in enumerate(self.shipments)})

    def is_heavy(self, shipment: Shipment) -> bool:
        return shipment.weight_kg >= self.heavy_threshold_kg

    def heavy_able(self) -> list[Courier]:
        """Couriers who can carry a heavy job: heavy loads are shared among them, not among all."""
        heavy = [s.weight_kg for s in self.shipments if self.is_heavy(s)]
        floor = min(heavy) if heavy else self.heavy_threshold_kg
        return [c for c in self.couriers if c.payload_kg >= max(floor, self.heavy_threshold_kg)]

    def shipment(self, shipment_id: str) -> Shipment:
        return self.shipments[self._index[shipment_id]]

    @property
    def n_places(self) -> int:
        return int(next(iter(self.travel.values())).ride_s.shape[0])


def travel_times(graph: RoutableGraph, nodes: NDArray[np.int64]) -> TravelTimes:
    """Travel between snapped ``nodes`` of a profile's graph, split into riding and walking.

    Paths are the fastest ones empty; :class:`TravelTimes` rescales their riding part by load
    (and in a city with heights also knows the loaded vehicle's own fastest paths).
    """
    return TravelTimes.from_matrices(graph.profile, travel_matrices(graph, nodes, nodes))


def travel_matrices(
    graph: RoutableGraph, origins: NDArray[np.int64], destinations: NDArray[np.int64]
) -> list[NDArray[np.float64]]:
    """:class:`TravelTimes`' matrices from ``origins`` to ``destinations``, in its order.

    One search of the empty fastest paths sums their metres and walking seconds. In a city with
    heights it also carries their seconds fully loaded, and a second search finds the loaded
    vehicle's fastest paths, carrying their seconds empty (``routing.matrix.node_sums`` with
    ``then_load_kg``: seconds to the millisecond per arc, for less than a third more time).
    """
    quantities = path_quantities(graph)
    if graph.network.grade is None:
        seconds, sums = node_sums(graph, origins, destinations, load_kg=0.0, quantities=quantities)
        return [seconds - sums[1], sums[1], sums[0]]
    full = graph.profile.payload_kg
    empty_s, (metres, walk, empty_path_full_s) = node_sums(
        graph, origins, destinations, load_kg=0.0, quantities=quantities, then_load_kg=full
    )
    loaded_s, (loaded_path_empty_s,) = node_sums(
        graph, origins, destinations, load_kg=full, quantities=None, then_load_kg=0.0
    )
    # Walking is summed exactly and riding to the millisecond per arc: no riding below zero.
    ride, ride_loaded = np.maximum(empty_s - walk, 0.0), np.maximum(empty_path_full_s - walk, 0.0)
    return [ride, walk, metres, ride_loaded, loaded_s, loaded_path_empty_s]


def path_quantities(graph: RoutableGraph) -> NDArray[np.float64]:
    """What :class:`TravelTimes` sums along each path, per arc: metres and walking seconds."""
    ride = graph.movement == Movement.RIDE
    return np.vstack([graph.length_m, np.where(ride, 0.0, graph.arc_time_s(0.0))])


def capable(courier: Courier, shipment: Shipment) -> bool:
    """The vehicle takes the shipment's weight, volume and length (each on its own)."""
    return (
        shipment.weight_kg <= courier.payload_kg
        and shipment.volume_l <= courier.volume_l
        and shipment.length_cm <= courier.max_length_cm
    )


def may_take(courier: Courier, shipment: Shipment) -> bool:
    """The planner may give the job to this courier: the vehicle can carry it, and the courier
    has not declined it (a decline is respected, issue 15)."""
    return capable(courier, shipment) and courier.id not in shipment.declined_by


@dataclass(frozen=True)
class _Fleet:
    """The couriers as arrays, for questions asked of every courier about every job."""

    ids: NDArray[np.str_]
    payload_kg: NDArray[np.float64]
    volume_l: NDArray[np.float64]
    max_length_cm: NDArray[np.float64]
    start: NDArray[np.int64]
    begin: NDArray[np.int64]  #: when each can set off: their shift's start, or now
    shift_end: NDArray[np.int64]
    by_profile: dict[str, NDArray[np.int64]]


def _fleet(problem: Problem) -> _Fleet:
    """Built once per problem: asked per courier in Python, the check below was 0.66 ms a job
    (a second of a 1,500-job, 80-courier round in bench_scale)."""
    known = problem._memo.get("fleet")
    if isinstance(known, _Fleet):
        return known
    cs = problem.couriers
    by_profile: dict[str, list[int]] = {}
    for v, c in enumerate(cs):
        by_profile.setdefault(c.profile, []).append(v)
    fleet = _Fleet(
        ids=np.array([c.id for c in cs], dtype=np.str_),
        payload_kg=np.array([c.payload_kg for c in cs], dtype=np.float64),
        volume_l=np.array([c.volume_l for c in cs], dtype=np.float64),
        max_length_cm=np.array([c.max_length_cm for c in cs], dtype=np.float64),
        start=np.array([c.start for c in cs], dtype=np.int64),
        begin=np.array([max(c.shift_start, problem.now) for c in cs], dtype=np.int64),
        shift_end=np.array([c.shift_end for c in cs], dtype=np.int64),
        by_profile={p: np.array(v, dtype=np.int64) for p, v in by_profile.items()},
    )
    problem._memo["fleet"] = fleet
    return fleet


def unservable_reason(problem: Problem, shipment: Shipment) -> Reason | None:
    """Why no courier could ever serve ``shipment`` on its own, or None if someone might."""
    if not problem.couriers:
        return reason("no_courier_on_shift")
    fleet = _fleet(problem)
    weight = shipment.weight_kg <= fleet.payload_kg
    volume = shipment.volume_l <= fleet.volume_l
    length = shipment.length_cm <= fleet.max_length_cm
    if not weight.any():
        return reason("too_heavy", kg=shipment.weight_kg)
    if not volume.any():
        return reason("too_bulky", litres=shipment.volume_l)
    if not length.any():
        return reason("too_long", cm=shipment.length_cm)
    able = weight & volume & length
    if not able.any():
        return reason("no_single_vehicle")
    if shipment.declined_by:
        able &= ~np.isin(fleet.ids, np.array(shipment.declined_by, dtype=np.str_))
    if not able.any():
        return reason("all_declined")
    if problem.soft_windows:
        return None
    return _too_late_for_everyone(problem, fleet, able, shipment)


def _too_late_for_everyone(
    problem: Problem, fleet: _Fleet, able: NDArray[np.bool_], shipment: Shipment
) -> Reason | None:
    reach = deliver = finish = math.inf
    for profile, members in fleet.by_profile.items():
        chosen = members[able[members]]
        if chosen.shape[0] == 0:
            continue
        travel = problem.travel[profile]
        arrive = fleet.begin[chosen] + travel.between(fleet.start[chosen], shipment.pickup)
        begin = np.maximum(arrive, shipment.pickup_window[0]) + shipment.pickup_service_s
        drop = begin + travel.leg_seconds(shipment.pickup, shipment.dropoff, shipment.weight_kg)
        done = np.maximum(drop, shipment.dropoff_window[0]) + shipment.dropoff_service_s - fleet.shift_end[chosen]
        reach, deliver, finish = min(reach, arrive.min()), min(deliver, drop.min()), min(finish, done.min())
    if reach > shipment.pickup_window[1]:
        return reason("pickup_closes")
    if deliver > shipment.dropoff_window[1]:
        return reason("dropoff_closes")
    if finish > 0:
        return reason("shift_too_short")
    return None
