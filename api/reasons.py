"""Router: the words of every reason code, in each language (``GET /v1/reasons``).

The console and the phone page fetch it once and say the planner's reasons (``routing/reasons.py``)
in their selected language; the words themselves live in ``api/i18n.py``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from api.deps import Member
from api.errors import answers, refusals
from api.i18n import LANGUAGES, TEMPLATES, WORDS
from api.schemas import Out
from routing.reasons import CODES

router = APIRouter(tags=["reasons"])


class ReasonsOut(Out):
    languages: list[str] = Field(description="The languages reasons are said in; the first is the default.")
    codes: dict[str, dict[str, str]] = Field(description="Each code with its parameters and their kinds.")
    templates: dict[str, dict[str, str]] = Field(description="Per language, each code's words with {param}s.")
    words: dict[str, dict[str, str]] = Field(description="Per language, what vehicle kinds and job ends are called.")


@router.get("/v1/reasons", **answers(ReasonsOut, also=refusals()))
async def reasons_catalogue(who: Member) -> dict[str, Any]:
    """Every reason code with its words in each language: the console and the phone page say the
    planner's reasons from this (the program's own text: any member may read it)."""
    del who
    return {
        "languages": list(LANGUAGES),
        "codes": {code: {p: kind.value for p, kind in params.items()} for code, params in CODES.items()},
        "templates": TEMPLATES,
        "words": WORDS,
    }
