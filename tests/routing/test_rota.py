"""The week's rota (issue 23): gaps shown when availability cannot cover demand, no shift ever
breaks a person's limits, and the fairness term spreads hours against contracts."""

from __future__ import annotations

import random
from dataclasses import replace
from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.rota import Demand, Person, Rota, Rules, Week, propose_rota

WEEK = Week(first_h=8, last_h=20, days=7)
WEEK_14 = Week(first_h=8, last_h=22, days=7)  #: with the evenings


def _every(days: range | list[int], hours: range) -> frozenset[tuple[int, int]]:
    return frozenset((d, h) for d in days for h in hours)


def _legal(rota: Rota, people: list[Person], rules: Rules) -> None:
    by_id = {p.id: p for p in people}
    per_day: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for s in rota.shifts:
        p = by_id[s.person]
        assert all((s.day, h) in p.available for h in range(s.start_h, s.end_h)), s
        assert rules.min_shift_h <= s.hours <= rules.max_shift_h
        per_day.setdefault((s.person, s.day), []).append((s.start_h, s.end_h))
        assert s.why
    for (person, day), spans in per_day.items():
        assert len(spans) == 1  # one shift a day
        following = per_day.get((person, day + 1))
        if following:
            assert following[0][0] + 24 - spans[0][1] >= rules.rest_h
    for p in people:
        assert rota.hours[p.id] <= p.max_h
        assert rota.hours[p.id] == sum(s.hours for s in rota.shifts if s.person == p.id)


def test_a_week_availability_cannot_cover_shows_its_gaps_and_no_illegal_shift() -> None:
    rules = Rules(time_limit_s=5)
    people = [
        Person("a", "Aino", cargo=True, available=_every(range(0, 5), range(8, 16)), min_h=20, max_h=30),
        Person("b", "Eero", cargo=False, available=_every(range(0, 7), range(12, 20)), min_h=10, max_h=24),
    ]
    lunch = {(d, h): 3 for d in range(7) for h in (12, 13)}  # three couriers at lunch, every day
    demand = Demand(couriers={**lunch, **{(d, 9): 1 for d in range(7)}}, cargo={(d, 12): 1 for d in range(7)})
    rota = propose_rota(people, demand, week=WEEK, rules=rules)
    _legal(rota, people, rules)
    assert all(rota.gaps[(d, 12)] >= 1 for d in range(7))  # two people cannot be three
    assert rota.cargo_gaps.get((5, 12)) == 1 and (0, 12) not in rota.cargo_gaps  # Aino is off at weekends
    assert (6, 9) in rota.gaps  # Sunday morning: nobody available
    # the time to the first rota at this coverage, beside the whole solve (which runs to its limit)
    assert rota.first_s is not None and rota.first_balanced_s is not None
    assert 0 < rota.first_s <= rota.first_balanced_s <= rota.seconds
    # the why is reasons as data (the edge words them): the peak it covers, then the hours worked
    first = rota.shifts[0]
    assert first.why[0].code == "rota_peak" and first.why[-1].code in ("rota_hours_left", "rota_hours_full")
    assert first.why[-1].params["courier"] == first.person and first.why[-1].params["hours"] == rota.hours[first.person]


@settings(max_examples=12, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_no_rota_breaks_a_limit_on_random_small_weeks(seed: int) -> None:
    rng = random.Random(seed)
    week = Week(first_h=8, last_h=20, days=3)
    rules = Rules(
        min_shift_h=rng.randint(2, 4), max_shift_h=rng.randint(4, 8), rest_h=rng.randint(8, 14), time_limit_s=2
    )
    people = []
    for i in range(rng.randint(1, 4)):
        slots = frozenset((d, h) for d in range(3) for h in week.hours if rng.random() < 0.7)
        low = rng.randint(0, 12)
        people.append(
            Person(
                f"p{i}", f"P{i}", cargo=rng.random() < 0.5, available=slots, min_h=low, max_h=low + rng.randint(0, 12)
            )
        )
    demand = Demand(couriers={(d, h): rng.randint(0, 3) for d in range(3) for h in week.hours})
    rota = propose_rota(people, demand, week=week, rules=rules)
    _legal(rota, people, rules)
    _no_legal_shift_left_for_a_gap(rota, people, week, rules)


def _no_legal_shift_left_for_a_gap(rota: Rota, people: list[Person], week: Week, rules: Rules) -> None:
    """Coverage comes first: no gap is left that one more shift could close, for someone free
    that day, inside their availability, their rest and their weekly maximum. An empty rota fails
    this wherever availability meets demand."""
    days = {(s.person, s.day): (s.start_h, s.end_h) for s in rota.shifts}
    for (day, hour), p in product(rota.gaps, people):
        if (p.id, day) in days:
            continue
        for length in range(rules.min_shift_h, rules.max_shift_h + 1, rules.length_step_h):
            for start in range(max(week.first_h, hour - length + 1), min(hour, week.last_h - length) + 1):
                end = start + length
                before, after = days.get((p.id, day - 1)), days.get((p.id, day + 1))
                legal = (
                    all((day, h) in p.available for h in range(start, end))
                    and rota.hours[p.id] + length <= p.max_h
                    and (before is None or start + 24 - before[1] >= rules.rest_h)
                    and (after is None or after[0] + 24 - end >= rules.rest_h)
                )
                assert not legal, (
                    f"{p.id} could work day {day} {start}-{end}, where {rota.gaps[(day, hour)]} are missing"
                )


def _team(rng: random.Random, people: int) -> list[Person]:
    """A small team: contracts of 8-16 h (up to 8 h more), a third on cargo bikes; availability
    is each week's (``_available``)."""
    contracts = [rng.choice((8, 12, 16)) for _ in range(people)]
    return [
        Person(f"c{i}", f"C{i}", cargo=i % 3 == 0, available=frozenset(), min_h=c, max_h=c + 8)
        for i, c in enumerate(contracts)
    ]


def _available(rng: random.Random, person: Person) -> Person:
    days = sorted(rng.sample(range(5), rng.randint(3, 5)))
    return replace(person, available=_every(days, range(rng.choice((9, 11)), 17)))


#: Weekdays 09:00-17:00, two couriers, three at lunch.
WEEKDAYS = Demand(couriers={(d, h): 2 + (h in (12, 13)) for d in range(5) for h in range(9, 17)})


def test_the_fairness_term_spreads_hours_against_contracts_over_four_weeks_at_equal_coverage() -> None:
    """Four consecutive weeks of one team, each week's availability drawn anew, each week's hours
    carried into the next (``previous_h``, ``previous_contract_h``, ``previous_unsocial``), each
    policy with its own history: after four weeks the spread of hours against contract (max/min
    of worked over contracted) is lower with the fairness term, and every week covers as much."""
    rules = Rules(time_limit_s=3)
    team = _team(random.Random(23), 6)
    history = {fairness: {p.id: (0, 0, 0) for p in team} for fairness in (True, False)}
    for n in range(4):
        rng = random.Random(100 + n)
        this_week = [_available(rng, p) for p in team]
        gaps = {}
        for fairness, past in history.items():
            people = [
                replace(p, previous_h=past[p.id][0], previous_contract_h=past[p.id][1], previous_unsocial=past[p.id][2])
                for p in this_week
            ]
            rota = propose_rota(people, WEEKDAYS, week=WEEK, rules=rules, fairness=fairness)
            _legal(rota, people, rules)
            gaps[fairness] = sum(rota.gaps.values())
            for p in people:
                late = sum(1 for s in rota.shifts if s.person == p.id and (s.end_h > rules.late_from_h or s.day >= 5))
                worked, contracted, unsocial = past[p.id]
                past[p.id] = (worked + rota.hours[p.id], contracted + p.min_h, unsocial + late)
        assert gaps[True] == gaps[False], n  # the same coverage, every week

    def spread(past: dict[str, tuple[int, int, int]]) -> float:
        shares = [worked / contracted for worked, contracted, _ in past.values()]
        return max(shares) / min(shares)

    assert spread(history[True]) < spread(history[False])


# ------------------------------------------------ late and weekend shifts, and the previous weeks

#: Every day a morning (09-13) and an evening (17-21, a late shift) for one courier: 14 shifts of
#: 4 h, nine of them late or at the weekend. Two people, one shift a day each: 7 shifts apiece.
MORNINGS_AND_EVENINGS = Demand(couriers={(d, h): 1 for d in range(7) for h in (*range(9, 13), *range(17, 21))})
FOUR_HOURS = Rules(min_shift_h=4, max_shift_h=4, time_limit_s=3)
ALL_DAY = _every(range(7), range(8, 22))


def _unsocial(rota: Rota, rules: Rules) -> dict[str, int]:
    return {
        pid: sum(1 for s in rota.shifts if s.person == pid and (s.end_h > rules.late_from_h or s.day >= 5))
        for pid in rota.hours
    }


def test_late_and_weekend_shifts_are_shared_not_piled_on_one() -> None:
    """Both work 28 h whoever takes the evenings: only the late and weekend term tells the
    rotas apart. Without it CP-SAT's tie-break piled them (7 and 2 with seed 1, 3 and 6 with 2
    and 3); with it, 4 and 5, whatever the seed."""
    people = [Person(p, p, cargo=False, available=ALL_DAY, min_h=28, max_h=28) for p in ("a", "b")]
    for seed in (1, 2, 3):
        rules = replace(FOUR_HOURS, seed=seed)
        rota = propose_rota(people, MORNINGS_AND_EVENINGS, week=WEEK_14, rules=rules)
        assert not rota.gaps and rota.hours == {"a": 28, "b": 28}
        assert sorted(_unsocial(rota, rules).values()) == [4, 5], seed


def _both_orders(veteran: Person, other: Person, demand: Demand, rules: Rules) -> list[Rota]:
    """The rota with the veteran listed first, then second. Without what tells the two apart
    (their previous weeks), the two are the same model with the people swapped, so whatever
    it gives one position it gives to the veteran in one of the two: an assertion that the
    veteran gets less in both cannot then hold."""
    return [propose_rota(people, demand, week=WEEK_14, rules=rules) for people in ([veteran, other], [other, veteran])]


def test_who_did_the_late_and_weekend_shifts_last_week_gets_fewer_this_week() -> None:
    """Last week Aino did 4 late or weekend shifts and Eero none; this week's 9 go mostly to
    Eero (counting the previous weeks, both end at 6 or 7), at the same hours and coverage."""
    aino = Person("aino", "Aino", cargo=False, available=ALL_DAY, min_h=28, max_h=28, previous_unsocial=4)
    eero = replace(aino, id="eero", name="Eero", previous_unsocial=0)
    for rota in _both_orders(aino, eero, MORNINGS_AND_EVENINGS, FOUR_HOURS):
        assert not rota.gaps and rota.hours == {"aino": 28, "eero": 28}
        unsocial = _unsocial(rota, FOUR_HOURS)
        assert unsocial["aino"] <= 3 and unsocial["eero"] >= 6, unsocial  # without the past: 4 and 5


def test_who_worked_more_last_week_gets_fewer_hours_this_week() -> None:
    """A morning a day (28 h) for two people of the same contract (8-24 h); Aino worked 12 h
    more last week: this week she gets 8 h and Eero 20 h (both 20 h over the two weeks), where
    one week alone would split them 12 and 16."""
    mornings = Demand(couriers={(d, h): 1 for d in range(7) for h in range(9, 13)})
    aino = Person(
        "aino", "Aino", cargo=False, available=ALL_DAY, min_h=8, max_h=24, previous_h=12, previous_contract_h=8
    )
    eero = replace(aino, id="eero", name="Eero", previous_h=0)
    for rota in _both_orders(aino, eero, mornings, FOUR_HOURS):
        assert not rota.gaps and rota.hours == {"aino": 8, "eero": 20}, rota.hours
