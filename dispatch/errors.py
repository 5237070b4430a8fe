"""Typed domain errors. The API maps each to a 4xx with its ``code`` and the human sentence."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from routing.reasons import Reason


def _rebuilt(cls: type[DomainError], args: tuple[object, ...], state: dict[str, object]) -> DomainError:
    """A domain error as it was pickled, without calling its ``__init__`` again (whose
    parameters are not its message)."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class DomainError(Exception):
    """Base of every refusal the domain makes; ``code`` is machine-readable and stable.

    Picklable, every subclass too: a refusal raised in the planner's worker process crosses back
    to the API process by pickle, and an error that cannot be rebuilt there breaks the process
    pool and hides what failed (attack finding 1).
    """

    code = "domain_error"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuilt, (type(self), self.args, dict(self.__dict__)))


class InvalidInput(DomainError, ValueError):
    """A value is malformed or contradicts another (nothing was written)."""

    code = "invalid_input"

    def __init__(self, field: str, reason: str) -> None:
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}")


class NotFound(DomainError, LookupError):
    """No such row in this cooperative (rows of other cooperatives are never visible)."""

    code = "not_found"

    def __init__(self, kind: str, ident: object) -> None:
        self.kind, self.ident = kind, ident
        super().__init__(f"no {kind} {ident} in this cooperative")


class IllegalTransition(DomainError):
    """An act that the job's current state does not allow."""

    code = "illegal_transition"

    def __init__(self, job_id: object, state: str, act: str) -> None:
        self.job_id, self.state, self.act = job_id, state, act
        super().__init__(f"job {job_id} is {state}: cannot {act.replace('_', ' ')} it")


class IdempotencyConflict(DomainError):
    """An idempotency key was reused for a different request."""

    code = "idempotency_conflict"

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"idempotency key {key!r} was already used for a different request")


class Conflict(DomainError):
    """Someone else acted on the job since the caller last looked (never a silent overwrite)."""

    code = "conflict"

    def __init__(self, job_id: object, expected_seq: int, actual_seq: int, last_act: str, by: str) -> None:
        self.job_id, self.expected_seq, self.actual_seq, self.last_act, self.by = (
            job_id,
            expected_seq,
            actual_seq,
            last_act,
            by,
        )
        super().__init__(f"job {job_id} changed since you looked: {last_act} by {by}")


class ReportLimit(DomainError):
    """A courier reported what they found at pickup too often for one job: each report writes
    events and calls the client's webhook, so a job takes a few, not a flood."""

    code = "too_many_reports"

    def __init__(self, job_id: object, limit: int) -> None:
        self.job_id, self.limit = job_id, limit
        super().__init__(f"job {job_id} was already reported {limit} times: ask a dispatcher to correct it")


class PhysicalLimit(DomainError):
    """A decision that breaks a hard physical limit (payload, volume, length) needs ``force``."""

    code = "physical_limit"

    def __init__(self, breaks: tuple[Reason, ...]) -> None:
        # the limits as data (``routing/reasons.py``): the override's cost says them in words
        self.breaks = breaks
        codes = ", ".join(r.code for r in breaks)
        super().__init__(f"a physical limit is broken ({codes}); to do it anyway, confirm with force and say why")
