"""Reasons as an English reader gets them at the edge, for tests that check the words.

The planner and the domain give codes with parameters (``routing/reasons.py``); ``api/i18n.py``
says them. A test that reads a reason's words goes through the same rendering a client gets.
"""

from __future__ import annotations

from typing import Any

from api.i18n import render
from routing.reasons import Reason


def said(value: Reason | dict[str, Any] | str | None, lang: str = "en", names: dict[str, str] | None = None) -> str:
    """A reason (as data, as stored, or an old sentence) in words."""
    if isinstance(value, Reason):
        return render(value.to_json(), lang, names)
    return "" if value is None else render(value, lang, names)


def all_said(values: Any, lang: str = "en", names: dict[str, str] | None = None) -> list[str]:
    """Each of a list of reasons in words."""
    return [said(v, lang, names) for v in values]
