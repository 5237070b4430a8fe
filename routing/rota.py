"""A week's rota proposed with CP-SAT: cover expected demand, respect every person's limits,
share the hours fairly (issue 23). The machine proposes; dispatchers edit and publish.

Input, all plain data: the week's hours (``Week``), each courier's availability, contract and
what the previous weeks gave them (``Person``), and the couriers (and cargo bikes) wanted per
hour (``Demand``). Output: shifts, each with the reason it was proposed, and the hours nobody
available could cover (the gaps a dispatcher must see). Nothing here knows about the database.

The model (OR-Tools CP-SAT): one boolean per possible shift (a person, a day, a start hour and
a length from ``Rules.min_shift_h`` to ``Rules.max_shift_h``, inside their availability); at
most one shift per person and day; at least ``Rules.rest_h`` hours between two days' shifts;
at most ``Person.max_h`` hours a week (hard). The objective, in order of weight:

1. the hours of demand left uncovered (couriers, then cargo bikes), the gaps;
2. hours below each person's contracted minimum;
3. hours scheduled beyond the demand (no one is rostered for nothing; a shift covering no
   demand at all exists only for someone with a contracted minimum);
4. **fairness**: the largest share of their contract anyone works (counting the previous
   weeks) minus the smallest, so that the same few do not carry the week (a min-max spread,
   in the spirit of lexicographic min-max: Matl, Hartl & Vidal 2018), and late and weekend
   shifts spread the same way: it decides who covers the demand, not whether more people do.

Nobody is scored: the fairness term compares hours against each person's own contract.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from itertools import product

from ortools.sat.python import cp_model

from routing.reasons import Param, Reason, reason

#: Weights of the objective's terms (per hour, or per percentage point of contract share).
GAP_WEIGHT = 10_000
CARGO_GAP_WEIGHT = 5_000
UNDER_CONTRACT_WEIGHT = 2_000
#: A share of contract is counted in units of 1/SHARE_UNITS of the contract (0.01 %).
SHARE_UNITS = 10_000
SPREAD_WEIGHT = 1  #: per unit (0.01 % of contract) between the most and the least worked share
UNSOCIAL_SPREAD_WEIGHT = 20  #: per late or weekend shift between the most and the least
#: Per courier-hour rostered beyond the demand: above what one hour moves the spread of shares
#: for a contract of 34 h or more (SHARE_UNITS / 300), far below an hour under a contracted
#: minimum. At 1, the spread term rostered a third person at a noon that wanted two, to even out
#: shares (tests/api/test_week.py); at 1,000, bench_rota (at a load of 8 on two cores) left more
#: people under contract.
EXCESS_WEIGHT = 300
#: Share of the time limit given to coverage alone, before the other terms are optimised.
COVERAGE_SHARE = 0.4
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class RotaError(ValueError):
    """The input contradicts itself (an availability outside the week, a negative demand...)."""


@dataclass(frozen=True)
class Rules:
    """Limits the members set (defaults: assumptions in the spirit of EU working-time rules)."""

    min_shift_h: int = 4
    max_shift_h: int = 8  #: also the daily limit: one shift a day
    #: Shift lengths go from the minimum to the maximum in steps of this many hours: 2 gives 4,
    #: 6 and 8 h shifts, half the model of every length (bench_rota: 40 couriers in 10 s).
    length_step_h: int = 2
    rest_h: int = 11  #: between the end of one day's shift and the start of the next day's
    late_from_h: int = 19  #: a shift ending after this hour is a late one
    time_limit_s: float = 10.0
    seed: int = 1


@dataclass(frozen=True)
class Week:
    """The hours a shift may cover: ``first_h`` to ``last_h`` (exclusive) every day, 7 days."""

    first_h: int = 7
    last_h: int = 22
    days: int = 7

    @property
    def hours(self) -> range:
        return range(self.first_h, self.last_h)


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    cargo: bool  #: rides a cargo bike
    available: frozenset[tuple[int, int]]  #: (day, hour) they can work
    min_h: int = 0  #: contracted hours a week (below: a cost, not a refusal)
    max_h: int = 40
    previous_h: float = 0.0  #: worked in the previous weeks counted for fairness
    previous_contract_h: float = 0.0  #: what their contracts asked in those weeks
    previous_unsocial: int = 0  #: late and weekend shifts in those weeks


@dataclass(frozen=True)
class Demand:
    couriers: dict[tuple[int, int], int]  #: (day, hour) -> couriers wanted
    cargo: dict[tuple[int, int], int] = field(default_factory=dict)  #: of whom on cargo bikes


@dataclass(frozen=True)
class Shift:
    person: str
    day: int
    start_h: int
    end_h: int
    #: Why it was proposed, as reasons the edge says in the reader's words (routing/reasons.py):
    #: the peak it covers, and the person's hours against their contract.
    why: tuple[Reason, ...]

    @property
    def hours(self) -> int:
        return self.end_h - self.start_h


@dataclass(frozen=True)
class Rota:
    shifts: tuple[Shift, ...]
    gaps: dict[tuple[int, int], int]  #: (day, hour) -> couriers wanted and not rostered
    cargo_gaps: dict[tuple[int, int], int]
    hours: dict[str, int]  #: per person, this week
    status: str  #: CP-SAT's status name (OPTIMAL, FEASIBLE)
    seconds: float
    #: False when the second stage (contracts, fairness) found nothing in the time left: the
    #: rota then covers as much but was not balanced. Say so to the dispatcher.
    balanced: bool = True
    #: Seconds from the start to the first rota covering as much as this one (the first stage's
    #: first solution at its final coverage): a rota exists from then on, the rest of the time
    #: only balances it. ``seconds`` is the whole solve, usually the time limit.
    first_s: float | None = None
    #: Seconds to the second stage's first rota (contracts and fairness counted), None if none.
    first_balanced_s: float | None = None


def _options(person: Person, week: Week, rules: Rules) -> list[tuple[int, int, int]]:
    """(day, start, end) of every shift inside the person's availability."""
    out = []
    for day, start in product(range(week.days), week.hours):
        for length in range(rules.min_shift_h, rules.max_shift_h + 1, rules.length_step_h):
            end = start + length
            if end > week.last_h:
                break
            if all((day, h) in person.available for h in range(start, end)):
                out.append((day, start, end))
    return out


def _check(people: list[Person], demand: Demand, week: Week, rules: Rules) -> None:
    if not 0 < rules.min_shift_h <= rules.max_shift_h <= 24 or not 0 <= rules.rest_h <= 24 or rules.length_step_h < 1:
        raise RotaError("shift lengths must satisfy 0 < min <= max <= 24, a step of 1 h or more, and rest 0-24 h")
    if len({p.id for p in people}) != len(people):
        raise RotaError("each person appears once")
    for p in people:
        if not 0 <= p.min_h <= p.max_h:
            raise RotaError(f"{p.name}: contracted hours must satisfy 0 <= min <= max")
    for (day, hour), wanted in [*demand.couriers.items(), *demand.cargo.items()]:
        if not (0 <= day < week.days and week.first_h <= hour < week.last_h) or wanted < 0:
            raise RotaError(f"demand at day {day} hour {hour}: outside the week or negative")


def propose_rota(
    people: list[Person], demand: Demand, *, week: Week | None = None, rules: Rules | None = None, fairness: bool = True
) -> Rota:
    """The week's rota; ``fairness=False`` leaves out the spread terms (to measure what they do).

    Coverage first, alone (lexicographic): fairness never costs an hour of demand covered,
    and the rest is then optimised among the rotas that cover as much, from the first stage's
    rota. The first stage's model holds no fairness term (smaller, solved faster); one
    weighted solve reached 78 % coverage in 10 s at 40 couriers where coverage alone reached
    100 % (benchmarks/bench_rota.py).
    """
    week, rules = week or Week(), rules or Rules()
    _check(people, demand, week, rules)
    started = time.perf_counter()
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = rules.seed
    first = _Model(people, demand, week, rules, terms=False)
    first.model.minimize(sum(first.gaps))
    solver.parameters.max_time_in_seconds = COVERAGE_SHARE * rules.time_limit_s
    first_clock, second_clock = _Clock(started), _Clock(started)
    status = solver.solve(first.model, first_clock)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RotaError(f"no rota found within {rules.time_limit_s:g} s ({solver.status_name(status)})")
    covering = {key: bool(solver.value(var)) for key, var in first.shifts.items()}
    gaps_found = solver.objective_value
    second = _Model(people, demand, week, rules, terms=True, fairness=fairness)
    second.model.add(sum(second.gaps) <= round(gaps_found))
    for key, var in second.shifts.items():
        second.model.add_hint(var, covering[key])
    second.model.minimize(sum(second.terms))
    solver.parameters.max_time_in_seconds = max(0.1, rules.time_limit_s - (time.perf_counter() - started))
    found = solver.solve(second.model, second_clock)
    balanced = found in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    if balanced:
        status = found
        covering = {key: bool(solver.value(var)) for key, var in second.shifts.items()}
    # else: no rota found in the time left; the first stage's, which covers as much, stands.
    chosen = [key for key, on in covering.items() if on]
    rota = _read(people, demand, week, chosen, solver.status_name(status), time.perf_counter() - started)
    first_s = min((t for t, gaps in first_clock.found if gaps <= gaps_found), default=None)
    first_balanced_s = second_clock.found[0][0] if second_clock.found else None
    return replace(rota, balanced=balanced, first_s=first_s, first_balanced_s=first_balanced_s)


class _Clock(cp_model.CpSolverSolutionCallback):
    """When each solution was found (seconds from ``started``) and its objective: the time to
    the first rota, which a solve stopped at its limit does not say."""

    def __init__(self, started: float) -> None:
        super().__init__()
        self.started = started
        self.found: list[tuple[float, float]] = []

    def on_solution_callback(self) -> None:
        self.found.append((time.perf_counter() - self.started, self.objective_value))


class _Model:
    """The CP-SAT model of a week: shifts, limits, coverage; with ``terms``, the rest of the
    objective (excess, hours under contract, and with ``fairness`` the spreads)."""

    def __init__(
        self, people: list[Person], demand: Demand, week: Week, rules: Rules, *, terms: bool, fairness: bool = True
    ) -> None:
        model = self.model = cp_model.CpModel()
        # A shift that covers no hour of demand is there only to reach a contracted minimum:
        # without one, the fairness term alone would roster people for nothing.
        wanted = {key for key, n in demand.couriers.items() if n > 0}
        shifts = self.shifts = {
            (i, day, start, end): model.new_bool_var(f"s{i}_{day}_{start}_{end}")
            for i, person in enumerate(people)
            for day, start, end in _options(person, week, rules)
            if person.min_h or any((day, h) in wanted for h in range(start, end))
        }
        hours = [self._limits(i, person, week, rules) for i, person in enumerate(people)]
        self.gaps, excess = _coverage(model, people, shifts, demand, week)
        self.terms: list[cp_model.LinearExprT] = list(excess) if terms else []
        if not terms:
            return
        for i, person in enumerate(people):
            under = model.new_int_var(0, person.min_h, f"under{i}")
            model.add(under >= person.min_h - hours[i])
            self.terms.append(UNDER_CONTRACT_WEIGHT * under)
        if fairness:
            self.terms += _spread(model, people, shifts, hours, rules)

    def _limits(self, i: int, person: Person, week: Week, rules: Rules) -> cp_model.IntVar:
        """One shift a day, rest between days, the weekly maximum; the person's hours."""
        model = self.model
        by_day: dict[int, list[tuple[int, int, cp_model.IntVar]]] = {}
        for (j, day, start, end), var in self.shifts.items():
            if j == i:
                by_day.setdefault(day, []).append((start, end, var))
        worked = []
        for day in range(week.days):
            options = by_day.get(day, [])
            model.add_at_most_one(v for _, _, v in options)
            worked += [(end - start) * v for start, end, v in options]
            following = by_day.get(day + 1, [])
            if options and following:
                # Rest: tomorrow's start + 24 - today's end >= rest, when both days are worked.
                both = model.new_bool_var(f"both{i}_{day}")
                model.add(both >= sum(v for _, _, v in options) + sum(v for _, _, v in following) - 1)
                end_today = sum(end * v for _, end, v in options)
                start_tomorrow = sum(start * v for start, _, v in following)
                model.add(start_tomorrow + 24 - end_today >= rules.rest_h).only_enforce_if(both)
        total = model.new_int_var(0, person.max_h, f"h{i}")
        model.add(total == sum(worked))
        return total


def _coverage(
    model: cp_model.CpModel,
    people: list[Person],
    shifts: dict[tuple[int, int, int, int], cp_model.IntVar],
    demand: Demand,
    week: Week,
) -> tuple[list[cp_model.LinearExprT], list[cp_model.LinearExprT]]:
    gaps: list[cp_model.LinearExprT] = []
    excess_terms: list[cp_model.LinearExprT] = []
    slots: dict[tuple[int, int], list[tuple[int, int, int, int]]] = {}
    for key in shifts:
        _, day, start, end = key
        for hour in range(start, end):
            slots.setdefault((day, hour), []).append(key)
    for day, hour in product(range(week.days), week.hours):
        on = [shifts[k] for k in slots.get((day, hour), [])]
        cargo_on = [shifts[k] for k in slots.get((day, hour), []) if people[k[0]].cargo]
        wanted = demand.couriers.get((day, hour), 0)
        gap = model.new_int_var(0, wanted, f"gap{day}_{hour}")
        model.add(sum(on) + gap >= wanted)
        excess = model.new_int_var(0, len(people), f"excess{day}_{hour}")
        model.add(excess >= sum(on) - wanted)
        gaps.append(GAP_WEIGHT * gap)
        excess_terms.append(EXCESS_WEIGHT * excess)
        wanted_cargo = demand.cargo.get((day, hour), 0)
        if wanted_cargo:
            cargo_gap = model.new_int_var(0, wanted_cargo, f"cgap{day}_{hour}")
            model.add(sum(cargo_on) + cargo_gap >= wanted_cargo)
            gaps.append(CARGO_GAP_WEIGHT * cargo_gap)
    return gaps, excess_terms


def _spread(
    model: cp_model.CpModel,
    people: list[Person],
    shifts: dict[tuple[int, int, int, int], cp_model.IntVar],
    hours: list[cp_model.IntVar],
    rules: Rules,
) -> list[cp_model.LinearExprT]:
    """Most minus least share of contract worked, and of unsocial shifts.

    A share is hours times a per-person integer (``SHARE_UNITS`` over the contract): linear,
    with no division in the model. Written with two bounds per share (an integer division),
    the second stage did not find a rota within 6 s at 40 couriers.
    """
    shares, share_top = [], 0
    for i, person in enumerate(people):
        contract = person.previous_contract_h + (person.min_h or person.max_h or 1)
        scale = max(1, round(SHARE_UNITS / contract))
        top = (person.max_h + math.ceil(person.previous_h)) * scale
        share_top = max(share_top, top)
        share = model.new_int_var(0, top, f"share{i}")
        model.add(share == (hours[i] + round(person.previous_h)) * scale)
        shares.append(share)
    unsocial = []
    for i, person in enumerate(people):
        late = [v for (j, d, _s, e), v in shifts.items() if j == i and (e > rules.late_from_h or d >= 5)]
        count = model.new_int_var(0, 14 + person.previous_unsocial, f"unsocial{i}")
        model.add(count == sum(late) + person.previous_unsocial)
        unsocial.append(count)
    terms: list[cp_model.LinearExprT] = []
    unsocial_top = max((14 + p.previous_unsocial for p in people), default=0)
    for values, weight, top in ((shares, SPREAD_WEIGHT, share_top), (unsocial, UNSOCIAL_SPREAD_WEIGHT, unsocial_top)):
        if not values:
            continue
        high, low = model.new_int_var(0, top, "most"), model.new_int_var(0, top, "least")
        model.add_max_equality(high, values)
        model.add_min_equality(low, values)
        terms.append(weight * (high - low))
    return terms


def _read(
    people: list[Person],
    demand: Demand,
    week: Week,
    chosen: list[tuple[int, int, int, int]],
    status: str,
    seconds: float,
) -> Rota:
    on: dict[tuple[int, int], int] = {}
    cargo_on: dict[tuple[int, int], int] = {}
    hours = {p.id: 0 for p in people}
    for i, day, start, end in chosen:
        hours[people[i].id] += end - start
        for hour in range(start, end):
            on[(day, hour)] = on.get((day, hour), 0) + 1
            if people[i].cargo:
                cargo_on[(day, hour)] = cargo_on.get((day, hour), 0) + 1
    gaps = {k: w - on.get(k, 0) for k, w in demand.couriers.items() if w > on.get(k, 0)}
    cargo_gaps = {k: w - cargo_on.get(k, 0) for k, w in demand.cargo.items() if w > cargo_on.get(k, 0)}
    shifts = []
    for i, day, start, end in sorted(chosen, key=lambda c: (c[1], c[2], people[c[0]].name)):
        p = people[i]
        peak = max(range(start, end), key=lambda h: demand.couriers.get((day, h), 0))
        left = p.max_h - hours[p.id]
        expected = demand.couriers.get((day, peak), 0)
        why = [reason("rota_peak", expected=expected, peak=peak)]
        if p.cargo and demand.cargo.get((day, peak), 0):
            why.append(reason("rota_cargo"))
        if not expected:
            why.append(reason("rota_no_demand"))
        worked: dict[str, Param] = {"courier": p.id, "hours": hours[p.id], "min_h": p.min_h, "max_h": p.max_h}
        why.append(reason("rota_hours_left", **worked, left=left) if left else reason("rota_hours_full", **worked))
        shifts.append(Shift(person=p.id, day=day, start_h=start, end_h=end, why=tuple(why)))
    return Rota(tuple(shifts), gaps, cargo_gaps, hours, status, seconds)


# ------------------------------------------------------------------ covering an absence


@dataclass(frozen=True)
class Cover:
    """Someone who could take an absent colleague's shift, and why they are proposed."""

    person: str
    name: str
    covered: int  #: cover shifts they took lately (the dispatcher sees the count, not a score)
    left_h: int  #: hours left on their contract this week, before this shift
    why: Reason  #: both figures, said by the edge (``cover_counts``)


def why_not_cover(
    person: Person, shift: tuple[int, int, int], theirs: list[tuple[int, int, int]], rules: Rules
) -> Reason | None:
    """Why ``person`` cannot take ``shift`` (day, start, end) beside their own shifts of the
    week (``theirs``), or None when they can: the same rules as the proposal (availability,
    one shift a day, rest between days, the weekly maximum of their contract)."""
    day, start, end = shift
    if any((day, h) not in person.available for h in range(start, end)):
        return reason("cover_not_available")
    if any(d == day for d, _, _ in theirs):
        return reason("cover_same_day")
    for d, s, e in theirs:
        rest = (day - d) * 24 + start - e if d < day else (d - day) * 24 + s - end
        if rest < rules.rest_h:
            return reason("cover_short_rest", rest=rest, rest_h=rules.rest_h)
    total = sum(e - s for _, s, e in theirs) + end - start
    if total > person.max_h:
        return reason("cover_over_max", hours=total, max_h=person.max_h)
    return None


def propose_covers(
    people: list[Person],
    shift: tuple[int, int, int],
    shifts: dict[str, list[tuple[int, int, int]]],
    covered: dict[str, int],
    *,
    rules: Rules | None = None,
    days: int = 28,
) -> list[Cover]:
    """Who could cover ``shift`` (day, start, end) for an absent colleague (leave them out of
    ``people``): everyone the rota's rules allow, those who covered least in the last ``days``
    first (``covered``: cover shifts per person, counted from the log); among equal counts, those
    with the most hours left on their own contract this week, so that the same names at the top
    of the alphabet are not asked first every time nobody has covered yet; then by name. Both
    figures are shown as the reason, and each is a person's own (a count of their covers, their
    hours against their contract): nobody is scored; the dispatcher picks."""
    rules = rules or Rules()
    out = []
    for p in people:
        theirs = shifts.get(p.id, [])
        if why_not_cover(p, shift, theirs, rules) is not None:
            continue
        n = covered.get(p.id, 0)
        left = p.max_h - sum(e - s for _, s, e in theirs)
        why = reason("cover_counts", covered=n, days=days, left_h=left)
        out.append(Cover(p.id, p.name, n, left, why))
    return sorted(out, key=lambda c: (c.covered, -c.left_h, c.name, c.person))
