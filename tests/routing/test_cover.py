"""Who could cover an absence (routing/rota.py, propose_covers): the rota's own rules, and those
who covered least lately first, then those with more hours left on their contract this week, both
figures shown as the reason."""

from __future__ import annotations

from routing.reasons import reason
from routing.rota import Person, Rules, propose_covers, why_not_cover

ALL_WEEK = frozenset((d, h) for d in range(7) for h in range(24))
MONDAY_10_16 = (0, 10, 16)


def _p(name: str, available: frozenset[tuple[int, int]] = ALL_WEEK, max_h: int = 40) -> Person:
    return Person(id=name.lower(), name=name, cargo=False, available=available, max_h=max_h)


def test_those_who_covered_least_come_first_and_say_so() -> None:
    people = [_p("Aino"), _p("Veera"), _p("Lou")]
    covers = propose_covers(people, MONDAY_10_16, {}, {"aino": 3, "veera": 1})
    assert [(c.name, c.covered) for c in covers] == [("Lou", 0), ("Veera", 1), ("Aino", 3)]
    assert covers[0].why == reason("cover_counts", covered=0, days=28, left_h=40)
    assert covers[1].why.params["covered"] == 1


def test_nobody_is_proposed_against_the_rota_s_rules() -> None:
    people = [
        _p("Away", available=frozenset((0, h) for h in range(10, 14))),  # not the whole shift
        _p("Busy"),  # already works Monday
        _p("Tired"),  # Sunday before? no: Tuesday at 02:00, 10 h after 16:00
        _p("Full", max_h=8),  # 4 h on Wednesday + 6 h > 8 h
        _p("Free"),
    ]
    theirs = {"busy": [(0, 17, 21)], "tired": [(1, 2, 6)], "full": [(2, 10, 14)]}
    covers = propose_covers(people, MONDAY_10_16, theirs, {}, rules=Rules(rest_h=11))
    assert [c.name for c in covers] == ["Free"]
    # each refusal is a reason with its figures, worded at the edge (api/i18n.py)
    said = {p.name: why_not_cover(p, MONDAY_10_16, theirs.get(p.id, []), Rules(rest_h=11)) for p in people}
    assert said == {
        "Away": reason("cover_not_available"),
        "Busy": reason("cover_same_day"),
        "Tired": reason("cover_short_rest", rest=10, rest_h=11),
        "Full": reason("cover_over_max", hours=10, max_h=8),
        "Free": None,
    }


def test_equal_counts_go_to_those_with_more_hours_left_then_by_name() -> None:
    """Nobody covered yet: the alphabet alone asked Aino first every time; the hours left on each
    one's own contract come before the name, and the reason says both."""
    people = [_p("Aino", max_h=20), _p("Bea", max_h=40), _p("Veera", max_h=40), _p("Lou", max_h=40)]
    theirs = {"veera": [(2, 10, 14)], "lou": [(3, 10, 16)]}  # 36 h and 34 h left; Bea 40 h, Aino 20 h
    covers = propose_covers(people, MONDAY_10_16, theirs, {"bea": 1})
    assert [(c.name, c.covered, c.left_h) for c in covers] == [
        ("Veera", 0, 36),
        ("Lou", 0, 34),
        ("Aino", 0, 20),
        ("Bea", 1, 40),
    ]
    assert covers[0].why == reason("cover_counts", covered=0, days=28, left_h=36)
    twins = propose_covers([_p("Zoe"), _p("Ada")], MONDAY_10_16, {}, {})
    assert [c.name for c in twins] == ["Ada", "Zoe"]  # the same count and hours left: by name
