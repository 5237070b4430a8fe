"""A shift's breaks must all be takeable, one after another, each inside its window.

An outside attack started a four-hour shift with six copies of one 238-minute break (and six
identical 30-minute ones): each alone fitted its window, so all were accepted, and the plan
placed them back to back into the next day with every ETA 24 h late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.errors import InvalidInput
from dispatch.shifts import ShiftBreak, check_breaks

START = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
END = START + timedelta(hours=4)


def _break(begin_min: int, end_min: int, minutes: int) -> ShiftBreak:
    return ShiftBreak(START + timedelta(minutes=begin_min), START + timedelta(minutes=end_min), minutes)


@pytest.mark.parametrize(
    "breaks",
    [
        [_break(1, 239, 238)] * 6,
        [_break(120, 150, 30)] * 2,  # one window, room for one
        [_break(60, 120, 40), _break(70, 110, 30)],  # the second closes before the first can end
    ],
)
def test_breaks_that_cannot_all_be_taken_are_refused(breaks: list[ShiftBreak]) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_breaks(breaks, START, END)
    assert refused.value.field == "breaks" and "overlap" in str(refused.value)


@pytest.mark.parametrize(
    "breaks",
    [
        [_break(120, 150, 30)],
        [_break(60, 180, 30), _break(90, 200, 30)],  # windows overlap, both fit in turn
        [_break(60, 90, 30), _break(90, 120, 30)],  # back to back
    ],
)
def test_breaks_that_fit_one_after_another_are_kept(breaks: list[ShiftBreak]) -> None:
    check_breaks(breaks, START, END)
