"""What every member sees of the cooperative, the same for all: couriers in the day's rotation, the ledger.

Principle 2 and 4 of docs/ARCHITECTURE.md live here: couriers are listed in the neutral rotation
of the day (dispatch/rotation.py), never by a figure, and the fairness ledger every member reads
is one view, whoever asks. Today's ledger counts the stretch a courier is riding right now, as
the planner does (dispatch/ledger.py ``worked_minutes_until``), so the shares a dispatcher reads
are the ones the planner balances.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dispatch.ledger import cooperative_view, worked_minutes_until
from dispatch.rotation import rotation
from dispatch.store import Store


def local_day(store: Store, coop_id: str, now: datetime) -> date:
    """The cooperative's calendar day at ``now`` (its days are in its own time zone)."""
    return now.astimezone(ZoneInfo(store.cooperative(coop_id).timezone)).date()


def couriers_in_rotation(store: Store, coop_id: str, now: datetime, round_number: int = 0) -> list[dict[str, Any]]:
    """Every courier with their shift state, in today's neutral rotation (never by a figure)."""
    records = {c.id: c for c in store.couriers(coop_id)}
    status = store.courier_statuses(coop_id)
    listed = []
    for cid in rotation(records, local_day(store, coop_id, now), round_number):
        c, s = records[cid], status.get(cid)
        listed.append(
            {
                "id": cid,
                "display_name": c.display_name,
                "vehicle": {
                    "kind": c.vehicle.kind.value,
                    "payload_kg": c.vehicle.payload_kg,
                    "volume_l": c.vehicle.volume_l,
                    "max_length_cm": c.vehicle.max_length_cm,
                },
                "active": c.active,
                "on_shift": bool(s and s.on_shift),
                "paused": bool(s and s.paused),
                "planned_end": s.planned_end if s else None,
                "jobs_in_hand": s.active_jobs if s else [],
            }
        )
    return listed


def ledger_of_day(store: Store, coop_id: str, day: date | None, now: datetime) -> dict[str, Any]:
    """The fairness ledger of ``day`` (default: today) in the day's rotation; today's with the open stretch."""
    today = local_day(store, coop_id, now)
    day = day or today
    ids = [c.id for c in store.couriers(coop_id)]
    entries = cooperative_view(store.ledger(coop_id, day.isoformat()), rotation(ids, day))
    coop = store.cooperative(coop_id)
    statuses = store.courier_statuses(coop_id) if day == today else {}
    rows = []
    for e in entries:
        row = e.to_json()
        row["day"] = day.isoformat()
        status = statuses.get(e.courier_id)
        row["worked_minutes"] = worked_minutes_until(e, status.active_since if status else None, now)
        shift = row["planned_shift_minutes"] or row["shift_minutes"]
        row["worked_share_of_shift"] = row["worked_minutes"] / shift if shift else None
        # The running stretch of a shift (``shift_minutes`` counts closed stretches only): the
        # console and the phone count it up live from here (issue 17, "Shift 0 min").
        running = status is not None and status.on_shift and not status.paused
        row["shift_open_since"] = status.counting_since if running and status else None
        rows.append(row)
    return {
        "day": day.isoformat(),
        "fairness_weight": coop.fairness_weight,
        "heavy_threshold_kg": coop.heavy_threshold_kg,
        "couriers": rows,
    }
