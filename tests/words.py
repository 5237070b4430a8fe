"""Reasons as an English reader gets them at the edge, for tests that check the words.

The planner and the domain give codes with parameters (``routing/reasons.py``); ``api/i18n.py``
says them. A test that reads a reason's words goes through the same rendering a client gets; a
test that reads a French refusal looks in it for the English ones' phrases.
"""

from __future__ import annotations

import re
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


def english_refusal_fragments() -> list[str]:
    """The fixed parts of every English refusal (``api/error_words.py``) long enough to be a
    phrase (three words or more) that no French refusal shares: one of them in a French answer
    is English left in it."""
    from api.error_words import ERRORS

    french = " ".join(ERRORS["fr"].values())
    parts = {p.strip(" ;:,().") for template in ERRORS["en"].values() for p in re.split(r"\{\w+\}", template)}
    return sorted(p for p in parts if len(p.split()) >= 3 and p not in french)
