"""The neutral order in which couriers are listed: a rotation, never a ranking.

The order depends on nothing but the couriers' ids, the day and the round: the function takes
no other argument, so no figure about a courier (time worked, jobs done, anything) can leak in.
Each day starts from a different place, and each round (a page reload, a planning round) moves
everyone one place up, so over ``n`` rounds each courier is first exactly once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date


def rotation(courier_ids: Iterable[str], day: date, round_number: int = 0) -> list[str]:
    """``courier_ids`` in today's neutral order for ``round_number``."""
    ids = sorted(set(courier_ids))  # the base order: ids are random UUIDs, so meaningless
    if not ids:
        return []
    seed = int.from_bytes(hashlib.sha256(day.isoformat().encode()).digest()[:8], "big")
    shift = (seed + round_number) % len(ids)
    return ids[shift:] + ids[:shift]
