"""Typed domain errors, each a code with parameters: the edge says them in the reader's language.

A refusal is data, like the planner's reasons (``routing/reasons.py``): ``code`` tells a program
what happened (stable, machine-readable), ``why`` names the words that say it and ``params`` fills
them in (a job's id, a courier's id, a number, a value as it was given). No sentence is built here:
a dispatcher in Lyon reads French, a client's program reads the code, and only the edge
(``api/i18n.py``) knows both the reader's language and the names behind the ids (a job is said by
its places, a courier by their name, never by a UUID).

``str(error)`` is the English words when the edge has installed them (:func:`speak_with`; the API,
the CLI and the planner process all import ``api``), else the code and its parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from routing.reasons import reason

if TYPE_CHECKING:
    from routing.reasons import Reason


def _rebuilt(cls: type[DomainError], args: tuple[object, ...], state: dict[str, object]) -> DomainError:
    """A domain error as it was pickled, without calling its ``__init__`` again (whose
    parameters are not its ``args``)."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


#: How ``str(error)`` says an error: installed by the edge with its English words (none: the code).
_speakers: list[Callable[[DomainError], str]] = []


def speak_with(speaker: Callable[[DomainError], str]) -> None:
    """Let ``str()`` of every domain error say it with ``speaker`` (the edge's English)."""
    _speakers[:] = [speaker]


class DomainError(Exception):
    """Base of every refusal the domain makes: ``code`` is machine-readable and stable, ``why``
    (a key of the edge's words) and ``params`` say what happened.

    Picklable, every subclass too: a refusal raised in the planner's worker process crosses back
    to the API process by pickle, and an error that cannot be rebuilt there breaks the process
    pool and hides what failed (attack finding 1).
    """

    code = "domain_error"
    #: the input the refusal is about (``dropoff``, ``tariff.currency``); None when none is
    field: str | None = None

    def __init__(self, why: str, /, **params: Any) -> None:
        self.why, self.params = why, params
        super().__init__(why, params)

    def __str__(self) -> str:
        if _speakers:
            return _speakers[0](self)
        return f"{self.why} {self.params}" if self.params else self.why

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuilt, (type(self), self.args, dict(self.__dict__)))


class InvalidInput(DomainError, ValueError):
    """A value is malformed or contradicts another (nothing was written): ``field`` names it."""

    code = "invalid_input"
    field: str

    def __init__(self, field: str, why: str, /, **params: Any) -> None:
        super().__init__(why, **params)
        self.field = field

    @property
    def reason(self) -> str:
        """What is wrong with the field, in English (the edge's words), without the field's name."""
        return str(DomainError(self.why, **self.params))


class NotFound(DomainError, LookupError):
    """No such row in this cooperative (rows of other cooperatives are never visible)."""

    code = "not_found"

    def __init__(self, kind: str, ident: object) -> None:
        # the id is kept for machines and logs; the words name the kind only (an id is no word)
        super().__init__("no_cooperative" if kind == "cooperative" else "not_found", kind=kind, ident=str(ident))
        self.kind, self.ident = kind, ident


class IllegalTransition(DomainError):
    """An act that the job's current state does not allow (``act``: an act of
    ``dispatch/lifecycle.py`` or ``add_photo``, ``add_signature``...)."""

    code = "illegal_transition"

    def __init__(self, job_id: object, state: str, act: str) -> None:
        super().__init__("illegal_transition", job=str(job_id), state=state, act=act)
        self.job_id, self.state, self.act = job_id, state, act


class IdempotencyConflict(DomainError):
    """An idempotency key was reused for a different request."""

    code = "idempotency_conflict"

    def __init__(self, key: str) -> None:
        super().__init__("idempotency_conflict", key=key)
        self.key = key


class Conflict(DomainError):
    """Someone else acted on the job since the caller last looked (never a silent overwrite):
    ``last_act`` is the event's type, ``by`` the actor as ``"<kind> <id>"``."""

    code = "conflict"

    def __init__(self, job_id: object, expected_seq: int, actual_seq: int, last_act: str, by: str) -> None:
        super().__init__("conflict", job=str(job_id), last_act=last_act, by=by)
        self.job_id, self.expected_seq, self.actual_seq, self.last_act, self.by = (
            job_id,
            expected_seq,
            actual_seq,
            last_act,
            by,
        )


class ReportLimit(DomainError):
    """A courier reported what they found at pickup too often for one job: each report writes
    events and calls the client's webhook, so a job takes a few, not a flood."""

    code = "too_many_reports"

    def __init__(self, job_id: object, limit: int) -> None:
        super().__init__("too_many_reports", job=str(job_id), limit=limit)
        self.job_id, self.limit = job_id, limit


class PhysicalLimit(DomainError):
    """A decision that breaks a hard physical limit (payload, volume, length) needs ``force``."""

    code = "physical_limit"

    def __init__(self, breaks: tuple[Reason, ...]) -> None:
        # the limits as data (``routing/reasons.py``): the edge says each in the reader's words
        super().__init__("physical_limit", breaks=[r.to_json() for r in breaks])
        self.breaks = breaks


def shift_refusal(courier_id: str, on_shift: bool, paused: bool) -> list[Reason]:
    """Why a courier cannot be given work as things stand: off shift, or on a pause. Here, beside
    :class:`PhysicalLimit`, because both the decision (before) and the log's fold (in the append's
    transaction) refuse with it."""
    if not on_shift:
        return [reason("not_on_shift", courier=courier_id)]
    return [reason("courier_paused", courier=courier_id)] if paused else []


#: The limits that are the courier's shift, not their vehicle: :func:`shift_refusal`'s codes.
SHIFT_LIMITS = frozenset({"not_on_shift", "courier_paused"})


def limit_refused(breaks: tuple[Reason, ...]) -> PhysicalLimit:
    """The 409 of a decision past ``breaks`` without ``force``: ``physical_limit`` always (the
    code a console offers force on), said as a shift when only the courier's shift stands in the
    way (being off shift is no vehicle's limit)."""
    refused = PhysicalLimit(breaks)
    if breaks and all(b.code in SHIFT_LIMITS for b in breaks):
        refused.why = "shift_limit"
    return refused
