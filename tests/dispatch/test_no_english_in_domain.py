"""No English sentence is built in ``dispatch/`` or ``routing/`` (issue 17 item 1): a refusal is a
code with parameters, a handover's note a reason, a rota shift's why and a quote's line reasons
too, and only the edge (``api/error_words.py``, ``api/i18n.py``) says them, in English or French.

The source is read, not run: every call of a domain error, every ``"reason"``, ``"why"`` or
``"label"`` written into an event or an answer, every ``why=``/``label=``/``reason=`` given, every
``why`` or ``label`` assigned, every argument of the explanations' own classes (a quote line, a
rota shift, a cover, an hour of the week) and every value returned by a function that returns a
:class:`~routing.reasons.Reason` is checked for a sentence (an f-string, or text with a space),
and every ``why`` an error names must have its words in both languages with the parameters the
call gives. What is still written as a sentence is listed below per file, and the lists only shrink.
"""

from __future__ import annotations

import ast
import inspect
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

import api.errors  # noqa: F401  (imports every module that defines a domain error)
import dispatch.week  # noqa: F401
from api.error_words import ERROR_WORDS, ERRORS, Names, params_of, say
from dispatch.errors import DomainError
from routing.reasons import reason

ROOT = Path(__file__).resolve().parents[2]

#: Sentences still built in these files: each count may only go down.
STILL_SENTENCES = {
    # The analysts' CLI: the day and week files a replay reads (days.py), what a week's replay
    # prints (week_replay.py), the simulator's own acts in a replayed log (simulation.py) and the
    # report's chart (report.py): text for an operator at a terminal, in English as the CLI is,
    # never on a member's screen nor in an API answer.
    "dispatch/days.py": 26,
    "dispatch/week_replay.py": 13,
    "dispatch/simulation.py": 3,
    "dispatch/report.py": 1,
}

#: Keys, keywords and names that hold an explanation a member reads: a reason, never a sentence.
EXPLAINING = frozenset({"reason", "why", "label"})
#: The classes that carry an explanation to the edge (a quote's line, a rota shift, a cover, an hour).
CARRIERS = frozenset({"QuoteLine", "Shift", "Cover", "HourView", "Reason"})


def _every(cls: type[DomainError]) -> set[type[DomainError]]:
    return {cls, *(c for sub in cls.__subclasses__() for c in _every(sub))}


ERROR_CLASSES = {c.__name__: c for c in _every(DomainError)}


def _takes_why(cls: type[DomainError]) -> int | None:
    """Where a call of ``cls`` names its ``why``; None when the class names it itself (its
    parameters are its own: a job, a state, an act)."""
    params = [p for p in inspect.signature(cls.__init__).parameters.values() if p.name != "self"]
    if not any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    names = [p.name for p in params]
    return names.index("why") if "why" in names else 0  # ``Refused``: its code is its why


def _sentence(node: ast.AST) -> bool:
    """Text built for people: an f-string, or a literal with a space in it."""
    if isinstance(node, ast.JoinedStr):  # a field's path (``f"holidays[{i}]"``) is no sentence
        return any(_sentence(part) for part in node.values if isinstance(part, ast.Constant))
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return " " in node.value.strip()
    if isinstance(node, ast.BinOp):
        return _sentence(node.left) or _sentence(node.right)
    return False


def _sources() -> list[Path]:
    return sorted(
        p for top in ("dispatch", "routing") for p in (ROOT / top).rglob("*.py") if "migrations" not in p.parts
    )


def _callee(node: ast.Call) -> str | None:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _findings(tree: ast.AST) -> tuple[list[str], list[tuple[str, set[str], int]]]:
    """(sentences, (why, parameters given, line) of every call that names a why)."""
    sentences: list[tuple[int, str]] = []
    whys: list[tuple[str, set[str], int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _callee(node) in ERROR_CLASSES:
            cls = ERROR_CLASSES[str(_callee(node))]
            given = [*node.args, *(k.value for k in node.keywords)]
            sentences += [(node.lineno, ast.unparse(a)[:70]) for a in given if _sentence(a)]
            at = _takes_why(cls)
            named = node.args[at] if at is not None and len(node.args) > at else None
            if isinstance(named, ast.Constant):
                whys.append((str(named.value), {k.arg for k in node.keywords if k.arg}, node.lineno))
        sentences += _explanations(node)
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Attribute) and t.attr == "args" for t in node.targets)
            and any(_sentence(n) for n in ast.walk(node.value))
        ):
            sentences.append((node.lineno, "a subclass writes its own args"))
    return [f"{line}: {text}" for line, text in sorted(sentences)], whys


def _within(node: ast.AST) -> bool:
    """A sentence anywhere in an expression (a branch of a conditional, a part of a tuple)."""
    return any(_sentence(n) for n in ast.walk(node))


def _explanations(node: ast.AST) -> list[tuple[int, str]]:
    """Sentences where an explanation is made: an event's or an answer's ``"reason"``/``"why"``/
    ``"label"``, such a keyword or name assigned, an argument of a :data:`CARRIERS` class, what a
    function returning a ``Reason`` returns."""
    found: list[tuple[int, str]] = []
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and key.value in EXPLAINING and _within(value):
                found.append((node.lineno, f"{key.value} {ast.unparse(value)[:70]}"))
    if isinstance(node, ast.Call):
        given = [k.value for k in node.keywords if k.arg in EXPLAINING]
        if _callee(node) in CARRIERS:
            given += node.args
        found += [(node.lineno, f"{_callee(node)}(... {ast.unparse(a)[:60]})") for a in given if _within(a)]
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        named = any(
            (isinstance(t, ast.Name) and t.id in EXPLAINING)
            or (isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Constant) and t.slice.value in EXPLAINING)
            for t in targets
        )
        if named and node.value is not None and _within(node.value):
            found.append((node.lineno, f"{ast.unparse(node)[:70]}"))
    if isinstance(node, ast.FunctionDef) and (
        node.name.startswith("why") or "Reason" in ast.unparse(node.returns or ast.Constant(None))
    ):
        for ret in ast.walk(node):
            if isinstance(ret, ast.Return) and ret.value is not None and _within(ret.value):
                found.append((ret.lineno, f"{node.name} returns {ast.unparse(ret.value)[:60]}"))
    return found


def _scan() -> tuple[dict[str, list[str]], list[tuple[str, str, set[str], int]]]:
    sentences: dict[str, list[str]] = {}
    whys: list[tuple[str, str, set[str], int]] = []
    for path in _sources():
        found, named = _findings(ast.parse(path.read_text(), str(path)))
        rel = path.relative_to(ROOT).as_posix()
        if found:
            sentences[rel] = found
        whys += [(rel, why, given, line) for why, given, line in named]
    return sentences, whys


def test_no_sentence_is_built_where_a_refusal_or_a_note_is_made() -> None:
    sentences, _ = _scan()
    grown = {path: found for path, found in sentences.items() if len(found) > STILL_SENTENCES.get(path, 0)}
    assert not grown, "English built in the domain; give a why and parameters instead:\n" + "\n".join(
        f"{path}:{line}" for path, found in grown.items() for line in found
    )
    shrunk = {p: len(sentences.get(p, [])) for p, n in STILL_SENTENCES.items() if len(sentences.get(p, [])) < n}
    assert not shrunk, f"fewer sentences than listed: lower STILL_SENTENCES to {shrunk}"


def test_every_why_a_refusal_names_has_words_in_both_languages_for_its_parameters() -> None:
    whys = [w for w in _scan()[1] if w[1].isidentifier()]  # the rest are the sentences listed above
    assert len(whys) > 100, len(whys)
    for lang in ERRORS:
        missing = sorted({f"{p}:{line} {why}" for p, why, _, line in whys if why not in ERRORS[lang]})
        assert not missing, (lang, missing)
        unfilled = [
            f"{p}:{line} {why} needs {sorted(params_of(ERRORS[lang][why]) - given)}"
            for p, why, given, line in whys
            if not params_of(ERRORS[lang][why]) <= given
        ]
        assert not unfilled, (lang, unfilled)


#: A value for each parameter of the classes that say their own why.
ARGS: dict[str, object] = {
    "breaks": (reason("too_heavy", kg=40.0),),
    "limits": (reason("over_payload", kg=40.0, payload=25.0, courier="c-1", vehicle="bike"),),
    "expected_seq": 3,
    "actual_seq": 4,
    "limit": 5,
    "monday": date(2026, 11, 30),
    "rota": SimpleNamespace(seq=4, last=("RotaEdited", "dispatcher d-1")),
    "state": "picked_up",
    "act": "accept",
    "last_act": "ProposalAccepted",
    "by": "dispatcher d-1",
    "kind": "photo",
    "job_id": "j-1",
    "name": "Aino",
}


def test_every_error_that_says_its_own_why_has_words_for_it() -> None:
    own = [c for c in ERROR_CLASSES.values() if _takes_why(c) is None]
    assert {"NotFound", "IllegalTransition", "Conflict", "PhysicalLimit", "LoginFailed"} <= {c.__name__ for c in own}
    for cls in own:
        names = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
        error = cls(**{n: ARGS.get(n, "job") for n in names})  # type: ignore[call-arg]
        for lang in ERRORS:
            assert error.why in ERRORS[lang], (cls, error.why)
            text = say(error, lang, NAMES)
            assert "{" not in text and "j-1" not in text and "d-1" not in text, (cls, lang, text)


def test_english_and_french_say_the_same_things_differently() -> None:
    assert ERRORS["en"].keys() == ERRORS["fr"].keys(), ERRORS["en"].keys() ^ ERRORS["fr"].keys()
    assert ERROR_WORDS["en"].keys() == ERROR_WORDS["fr"].keys()
    for why, english in ERRORS["en"].items():
        assert params_of(english) == params_of(ERRORS["fr"][why]), why
        assert english != ERRORS["fr"][why], why


SAMPLE = {
    "job": "j-1",
    "courier": "c-1",
    "by": "dispatcher d-1",
    "state": "picked_up",
    "act": "accept",
    "last_act": "ProposalAccepted",
    "kind": "job",
    "place": "dropoff",
    "window": "pickup_window",
    "measure": "weight",
    "proofs": ["photo", "signature"],
    "reach": [["bike", 300.0], ["cargo_bike", 450.0]],
    "breaks": [{"code": "too_heavy", "params": {"kg": 40.5}}],
    "error": {"why": "one_shift_a_day", "params": {"courier": "c-1", "day": "2026-12-01"}},
    "absence": "sick",
    "choices": [7, 28],
    "role": "courier",  # the API's own refusals (api/auth.py, api/ratelimit.py)
    "roles": ["analyst", "dispatcher"],
    "span": [2, "minute"],
}
NAMES = Names(
    job=lambda j: "“Rue A → Rue B”" if j == "j-1" else None,
    person=lambda by: "Noor" if by == "dispatcher d-1" else None,
    couriers={"c-1": "Aino"},
)


@pytest.mark.parametrize("lang", sorted(ERRORS))
def test_every_refusal_reads_in_plain_words_with_no_id_and_no_placeholder(lang: str) -> None:
    for why, template in ERRORS[lang].items():
        params = {p: SAMPLE.get(p, 7) for p in params_of(template)}
        text = say(DomainError(why, **params), lang, NAMES)
        assert "{" not in text and "}" not in text, (why, text)
        for raw in ("j-1", "c-1", "d-1", "ProposalAccepted", "picked_up", "pickup_window"):
            assert raw not in text, (lang, why, text)
        if "job" in params:
            assert "“Rue A → Rue B”" in text, (why, text)
        if "courier" in params:
            assert "Aino" in text, (why, text)


def test_the_walk_sees_a_sentence_when_there_is_one() -> None:
    """The check itself: an f-string, a spaced literal and an event's sentence are all found."""
    source = (
        "raise InvalidInput('x', f'{n} is wrong')\n"
        "raise NotFound('job', 'the job')\n"
        "payload = {'reason': 'she had to stop'}\n"
        "raise InvalidInput('x', 'say_why')\n"
    )
    found, whys = _findings(ast.parse(source))
    assert [f.split(":")[0] for f in found] == ["1", "2", "3"], found
    assert [w for w, _, _ in whys] == ["say_why"]


@pytest.mark.parametrize(
    "source",
    [
        "shift = {'id': 'x', 'why': 'added by a dispatcher'}",  # a rota shift's why (dispatch/week.py)
        "s['why'] = f'swapped by {who} ({reason})'",
        "QuoteLine('base fare', 600)",  # a quote's line (dispatch/pricing.py)
        "QuoteLine(label=f'express +{p} %', amount_cents=3)",
        "Shift(person='a', day=0, start_h=8, end_h=12, why=f'covers {d} at noon')",  # routing/rota.py
        "why = f'covered {n} times in the last {days} days'",
        "def why_not_cover() -> Reason | None:\n    return 'not available then'",
        "def why_not_cover() -> str | None:\n    return f'would rest {rest} h'",
        "def _misfit() -> tuple[Reason, str] | None:\n    return code, f'the parcels weigh {kg:g} kg'",
        "HourView(day='d', hour=1, why='no job requested at this hour in the last weeks')",
    ],
)
def test_the_walk_sees_an_explanation_written_as_a_sentence(source: str) -> None:
    """Each pattern this file once had, put back: the walk finds it (so it cannot come back)."""
    found, _ = _findings(ast.parse(source))
    assert found, source


def test_the_walk_leaves_reasons_and_names_alone() -> None:
    source = (
        "shift = {'id': 'x', 'why': [reason('rota_added').to_json()]}\n"
        "QuoteLine(reason('quote_base'), 600)\n"
        "why = reason('cover_counts', covered=n, days=days, left_h=left)\n"
        "def why_not_cover() -> Reason | None:\n    return reason('cover_same_day')\n"
        "payload = {'label': 'quote_base', 'why': 'no_jobs_seen'}\n"
    )
    assert _findings(ast.parse(source))[0] == []


def test_a_point_off_the_streets_is_worded_at_the_edge_in_both_languages() -> None:
    """The street snap's refusal (``routing/matrix.py``) is a code with figures; the API and the
    CLI say it from ``api/error_words.py``."""
    from routing.matrix import PointOffNetworkError

    far = PointOffNetworkError(1, 24.96, 60.161, distance_m=412.4, max_distance_m=300.0, profile="cargo_bike")
    error = DomainError(far.why, **far.params)
    assert say(error) == (
        "point #1 (lat 60.161, lon 24.96) is 412 m from the nearest street a cargo_bike can use (at most 300 m allowed)"
    )
    assert say(error, "fr").startswith("le point n° 1 (lat 60.161, lon 24.96) est à 412 m de la rue la plus proche")
    nowhere = PointOffNetworkError(0, float("nan"), 60.17, distance_m=None, max_distance_m=300.0, profile="bike")
    assert (
        say(DomainError(nowhere.why, **nowhere.params))
        == "point #0 (lat 60.17, lon nan) is not a valid longitude/latitude"
    )
