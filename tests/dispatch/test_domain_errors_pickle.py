"""Every domain error survives pickle (attack finding 1): a refusal raised in the planner's worker
process crosses back to the API process by pickle; one that cannot be rebuilt there
(``InvalidInput.__init__() missing 1 required positional argument``) broke the process pool and
hid what failed."""

from __future__ import annotations

import inspect
import pickle
from datetime import date
from types import SimpleNamespace
from typing import Any

import api.errors  # noqa: F401  (imports every module that defines a domain error)
import dispatch.decide
import dispatch.store.access
import dispatch.store.erasure
import dispatch.week  # noqa: F401  (RotaChanged: whether another test imported it must not matter)
from dispatch.errors import DomainError
from routing.reasons import reason

SAMPLES: dict[str, object] = {
    "breaks": (reason("too_heavy", kg=40.0),),
    "limits": (reason("too_heavy", kg=40.0),),
    "expected_seq": 3,
    "actual_seq": 4,
    "limit": 5,
    "monday": date(2026, 11, 30),
    "rota": SimpleNamespace(seq=4, last=("RotaEdited", "a dispatcher")),
}


def _every(cls: type[DomainError]) -> list[type[DomainError]]:
    return [cls, *(c for sub in cls.__subclasses__() for c in _every(sub))]


def test_every_domain_error_comes_back_from_pickle_as_it_was() -> None:
    kinds = _every(DomainError)
    assert {"InvalidInput", "NotFound", "Conflict", "PhysicalLimit", "ReportLimit", "NothingToChange"} <= {
        k.__name__ for k in kinds
    }
    for kind in kinds:
        params = [p for p in inspect.signature(kind.__init__).parameters.values() if p.name != "self"]
        named = [p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        args = {p.name: SAMPLES.get(p.name, f"the_{p.name}") for p in named}
        positional: list[Any] = [args[p.name] for p in named if p.kind is p.POSITIONAL_ONLY]
        keywords = {p.name: args[p.name] for p in named if p.kind is not p.POSITIONAL_ONLY}
        extra = {"kg": 40.5} if any(p.kind is p.VAR_KEYWORD for p in params) else {}  # a why's parameters
        error = kind(*positional, **keywords, **extra)
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is kind, kind
        assert str(back) == str(error) and back.args == error.args and back.code == error.code, kind
        assert (back.why, back.params, back.field) == (error.why, error.params, error.field), kind
        assert vars(back) == vars(error), kind
        for name, value in args.items():  # the fields the API reads (field, last_act, breaks...)
            if hasattr(error, name):
                assert getattr(back, name) == value, (kind, name)
