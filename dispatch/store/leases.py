"""Planning leases: a cooperative's rounds run in one place of the deployment at a time (issue 16).

Every planner (the one of each API worker, and ``tandem planner`` processes on any machine) takes
a cooperative's lease before a round and gives it back after. The lease is a row per cooperative
with its owner and an expiry, taken by one atomic ``UPDATE ... WHERE free or expired or mine``
(the pattern of the webhook deliveries, dispatch/store/webhooks.py), so SQLite and PostgreSQL
both settle a race with one winner. The owner renews it while its round runs; a planner killed
mid-round stops renewing, and its lease is anyone's once it expires.

The row also says what the last round read (``planned_seq``, the log's sequence number when it
started) so that a planner that waited for the lease skips a round another planner already ran
on the same log; and it keeps the last round's outcome (the routes), so that an API worker that
did not plan still shows them: each reads it (:func:`outcome_after`) when it serves routes and
the row holds a newer round than its own. ``asked``/``answered`` carry "plan now" from an API
that has no planner of its own to the planner processes; a failed round answers too, so that
nobody waits for a round that will not come.

A lease that ran out mid-round (its renewals failed, the database was away) is enforced where
it matters: the round's proposals are appended only in a transaction that still finds the lease
its own and unexpired (:func:`held`, the guard of ``Store.append_all``); otherwise the round is
dropped and nothing of it is written, so two rounds of a cooperative never both append.

Expiries are set with each process's clock, as webhook leases are: machines of one deployment
keep their clocks in step (NTP); a skew shortens or lengthens a lease by as much.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from dispatch.store.engine import reading
from dispatch.store.repository import Store
from dispatch.store.schema import CooperativeRow, PlanningLeaseRow

Row = PlanningLeaseRow

#: How long a lease lasts without renewal: a killed planner's cooperatives wait this long at most.
LEASE = timedelta(seconds=10)


class LeaseLost(Exception):
    """A round's lease was no longer its planner's when its proposals were to be appended."""


@dataclass(frozen=True)
class Lease:
    """A lease this planner holds, with what the last round (anyone's) read of the log."""

    cooperative_id: str
    owner: str
    planned_seq: int
    answered: int


@dataclass(frozen=True)
class Pending:
    """What a planner watching the log needs to know of one cooperative, read in one query."""

    cooperative_id: str
    last_seq: int
    asked: int
    answered: int
    planned_seq: int


def _now() -> datetime:
    return datetime.now(UTC)


def _ensure(conn: Connection, coop_id: str) -> None:
    """The cooperative's lease row, made at its first round (a savepoint: another may make it first)."""
    if conn.execute(select(Row.cooperative_id).where(Row.cooperative_id == coop_id)).first() is not None:
        return
    try:
        with conn.begin_nested():
            conn.execute(insert(Row).values(cooperative_id=coop_id, planned_seq=0, asked=0, answered=0))
    except IntegrityError:
        pass


def take(
    store: Store, coop_id: str, owner: str, *, lease: timedelta = LEASE, now: datetime | None = None
) -> Lease | None:
    """Take (or keep) the cooperative's lease for ``owner``; None while another planner holds it.

    A lease held by another is seen by a read first: a planner waiting for it does not take the
    write lock (SQLite's whole file) at each try, only when the lease looks free to take."""
    now = now or _now()
    with reading(store.engine) as conn:
        seen = conn.execute(select(Row.owner, Row.expires_at).where(Row.cooperative_id == coop_id)).first()
    if seen is not None and seen.owner not in (None, owner) and _utc(seen.expires_at) > now:
        return None
    with store.engine.begin() as conn:
        _ensure(conn, coop_id)
        won = conn.execute(
            update(Row)
            .where(
                Row.cooperative_id == coop_id,
                or_(Row.owner.is_(None), Row.expires_at.is_(None), Row.expires_at <= now, Row.owner == owner),
            )
            .values(owner=owner, expires_at=now + lease)
        ).rowcount
        if not won:
            return None
        row = conn.execute(select(Row.planned_seq, Row.answered).where(Row.cooperative_id == coop_id)).one()
    return Lease(coop_id, owner, int(row.planned_seq), int(row.answered))


def renew(store: Store, coop_id: str, owner: str, *, lease: timedelta = LEASE, now: datetime | None = None) -> bool:
    """Push the expiry on while a round runs; False when the lease is no longer ``owner``'s."""
    now = now or _now()
    with store.engine.begin() as conn:
        return bool(
            conn.execute(
                update(Row).where(Row.cooperative_id == coop_id, Row.owner == owner).values(expires_at=now + lease)
            ).rowcount
        )


def held(coop_id: str, owner: str, *, lease: timedelta = LEASE) -> Callable[[Connection], None]:
    """A guard for ``Store.append_all``: in the append's own transaction, the lease must still
    be ``owner``'s and unexpired (and is renewed), or :class:`LeaseLost` is raised and the
    append rolls back. Writing the row locks it (PostgreSQL) until the commit, so no other
    planner takes the lease between this check and the proposals being written."""
    lost = False

    def check(conn: Connection) -> None:
        nonlocal lost
        if lost:  # the rest of the round's batch: no need to ask again
            raise LeaseLost(coop_id)
        now = _now()
        kept = conn.execute(
            update(Row)
            .where(Row.cooperative_id == coop_id, Row.owner == owner, Row.expires_at > now)
            .values(expires_at=now + lease)
        ).rowcount
        if not kept:
            lost = True
            raise LeaseLost(coop_id)

    return check


def _utc(at: datetime | None) -> datetime:
    """SQLite gives its datetimes back without a zone (they were written in UTC); none: long ago."""
    if at is None:
        return datetime.min.replace(tzinfo=UTC)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def release(
    store: Store,
    coop_id: str,
    owner: str,
    *,
    planned_seq: int | None = None,
    answered: int | None = None,
    outcome: dict[str, Any] | None = None,
) -> bool:
    """Give the lease back, with what the round read and made when it succeeded; False when the
    lease had passed to another planner meanwhile (nothing is written then)."""
    values: dict[str, Any] = {"owner": None, "expires_at": None}
    if planned_seq is not None:
        values["planned_seq"] = planned_seq
    if answered is not None:
        values["answered"] = answered
    if outcome is not None:
        values["outcome"] = _finite(outcome)
    with store.engine.begin() as conn:
        return bool(
            conn.execute(update(Row).where(Row.cooperative_id == coop_id, Row.owner == owner).values(**values)).rowcount
        )


def _finite(value: Any) -> Any:
    """JSON as PostgreSQL takes it: a metric with no value yet (``inf``, ``nan``) becomes null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def ask(store: Store, coop_id: str) -> int:
    """Ask the planner processes for a round of this cooperative; the number of this ask."""
    with store.engine.begin() as conn:
        _ensure(conn, coop_id)
        conn.execute(update(Row).where(Row.cooperative_id == coop_id).values(asked=Row.asked + 1))
        return int(conn.execute(select(Row.asked).where(Row.cooperative_id == coop_id)).scalar_one())


def answered(store: Store, coop_id: str) -> tuple[int, dict[str, Any] | None]:
    """How many asks the last round answered, and its outcome (None before the first round)."""
    with reading(store.engine) as conn:
        row = conn.execute(select(Row.answered, Row.outcome).where(Row.cooperative_id == coop_id)).first()
    return (0, None) if row is None else (int(row.answered), row.outcome)


def outcome_after(store: Store, coop_id: str, planned_at: str | None) -> dict[str, Any] | None:
    """The last round's outcome when it is newer than the round planned at ``planned_at`` (the
    one a worker holds), else None: one small read when nothing changed, the routes otherwise."""
    with reading(store.engine) as conn:
        stamp = conn.execute(
            select(Row.outcome["planned_at"].as_string()).where(Row.cooperative_id == coop_id)
        ).scalar_one_or_none()
        if stamp is None or (planned_at is not None and _at(stamp) <= _at(planned_at)):
            return None
        outcome = conn.execute(select(Row.outcome).where(Row.cooperative_id == coop_id)).scalar_one_or_none()
    return outcome if isinstance(outcome, dict) else None


def _at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def everywhere(store: Store) -> list[Pending]:
    """Every cooperative's last sequence number, asks and last round, for a planner watching the log."""
    with reading(store.engine) as conn:
        return [_pending(r) for r in conn.execute(_PENDING)]


def pending(store: Store, coop_id: str) -> Pending:
    """One cooperative's: what a round asked for now has to read to answer it."""
    with reading(store.engine) as conn:
        return _pending(conn.execute(_PENDING.where(CooperativeRow.id == coop_id)).one())


_PENDING = select(
    CooperativeRow.id,
    CooperativeRow.last_seq,
    func.coalesce(Row.asked, 0).label("asked"),
    func.coalesce(Row.answered, 0).label("answered"),
    func.coalesce(Row.planned_seq, 0).label("planned_seq"),
).outerjoin(Row, Row.cooperative_id == CooperativeRow.id)


def _pending(row: Any) -> Pending:
    return Pending(row.id, int(row.last_seq), int(row.asked), int(row.answered), int(row.planned_seq))


def holders(store: Store, *, now: datetime | None = None) -> dict[str, str]:
    """The cooperatives whose lease is held now, and by whom (for tests and the operator)."""
    now = now or _now()
    with reading(store.engine) as conn:
        rows = conn.execute(select(Row.cooperative_id, Row.owner).where(Row.owner.is_not(None), Row.expires_at > now))
        return {r.cooperative_id: r.owner for r in rows}
