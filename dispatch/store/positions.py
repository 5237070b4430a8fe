"""Where couriers are, only when they say so and only while they have a job in hand.

Positions are kept apart from the append-only log precisely so that they can be deleted: the
retention (24 h by default, a cooperative may choose less) is enforced by :func:`purge`, which
the API runs on a schedule. Nothing else about a courier's movements is stored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select

from dispatch.errors import InvalidInput
from dispatch.lifecycle import JobState
from dispatch.store.engine import reading
from dispatch.store.repository import Store, _utc
from dispatch.store.schema import CourierPositionRow

DEFAULT_RETENTION = timedelta(hours=24)


@dataclass(frozen=True)
class Position:
    courier_id: str
    job_id: str
    lon: float
    lat: float
    at: datetime


def record(store: Store, coop_id: str, courier_id: str, job_id: str, lon: float, lat: float, at: datetime) -> Position:
    """Keep one shared position; refused unless the job is in this courier's hands right now."""
    for name, value, bound in (("lon", lon, 180.0), ("lat", lat, 90.0)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise InvalidInput(name, "finite_number")
        if not -bound <= value <= bound:
            raise InvalidInput(name, "from_low_to_high", low=-bound, high=bound, value=value)
    job = store.job(coop_id, job_id)
    if job.courier_id != courier_id or job.state not in (JobState.ACKNOWLEDGED, JobState.PICKED_UP):
        raise InvalidInput("position", "position_only_in_hand")
    with store.engine.begin() as conn:
        conn.execute(
            insert(CourierPositionRow).values(
                cooperative_id=coop_id, courier_id=courier_id, job_id=job_id, lon=float(lon), lat=float(lat), at=at
            )
        )
    return Position(courier_id, job_id, float(lon), float(lat), _utc(at))


def latest(store: Store, coop_id: str) -> list[Position]:
    """Each courier's last shared position (what a dispatcher's map shows)."""
    with reading(store.engine) as conn:
        last = (
            select(CourierPositionRow.courier_id, func.max(CourierPositionRow.id).label("id"))
            .where(CourierPositionRow.cooperative_id == coop_id)
            .group_by(CourierPositionRow.courier_id)
            .subquery()
        )
        rows = conn.execute(select(CourierPositionRow.__table__).join(last, last.c.id == CourierPositionRow.id)).all()
    return [Position(r.courier_id, r.job_id, r.lon, r.lat, _utc(r.at)) for r in rows]


def of_courier(store: Store, coop_id: str, courier_id: str) -> list[Position]:
    with reading(store.engine) as conn:
        rows = conn.execute(
            select(CourierPositionRow.__table__)
            .where(CourierPositionRow.cooperative_id == coop_id, CourierPositionRow.courier_id == courier_id)
            .order_by(CourierPositionRow.id)
        ).all()
    return [Position(r.courier_id, r.job_id, r.lon, r.lat, _utc(r.at)) for r in rows]


def purge(store: Store, *, now: datetime, retention: timedelta = DEFAULT_RETENTION) -> int:
    """Delete every position older than the retention; returns how many went."""
    with store.engine.begin() as conn:
        result = conn.execute(delete(CourierPositionRow).where(CourierPositionRow.at < now - retention))
    return int(result.rowcount or 0)
