"""A courier's announced shift end and the text people write are checked by the domain, once.

Both rules sat in api/ (the courier socket, api/errors.py) until issue 19; the CLI imported the
text rule lazily from the API. These tests hold them where they now live.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch.errors import InvalidInput
from dispatch.shifts import MAX_SHIFT, planned_end
from dispatch.text import check_text
from tests.dispatch.conftest import at


def test_a_shift_end_is_optional_zoned_and_within_a_day() -> None:
    now = at(0)
    assert planned_end(None, now) is None
    assert planned_end((now + timedelta(hours=8)).isoformat(), now) == now + timedelta(hours=8)
    for wrong, why in (
        ("tomorrow", "ISO 8601"),
        ("2026-11-28T16:00:00", "needs a time zone"),
        ((now + MAX_SHIFT + timedelta(minutes=1)).isoformat(), "within 24 hours"),
    ):
        with pytest.raises(InvalidInput, match=why) as refused:
            planned_end(wrong, now)
        assert refused.value.field == "planned_end"


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\x00"])
def test_text_that_lies_about_itself_or_cannot_be_stored_is_refused(char: str) -> None:
    with pytest.raises(InvalidInput):
        check_text("notes", f"ring twice{char}")


def test_free_text_keeps_its_lines_and_any_script_but_an_id_keeps_neither_line_nor_joiner() -> None:
    assert check_text("notes", "Ovikoodi 1234\n\tkolmas kerros, 🚲") == "Ovikoodi 1234\n\tkolmas kerros, 🚲"
    for value in ("login\n", "lo\u200dgin"):
        with pytest.raises(InvalidInput):
            check_text("login", value, identifier=True)
