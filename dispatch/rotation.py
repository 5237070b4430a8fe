"""The neutral order in which couriers are listed: a rotation, never a ranking.

The order depends on nothing but the couriers' ids, the day and the round: the function takes
no other argument, so no figure about a courier (time worked, jobs done, anything) can leak in.
Each day has its own order (a courier who joins during the day leaves the others' order as it
was), and each round (a page reload, a planning round) moves everyone one place up, so over
``n`` rounds each courier is first exactly once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date


def rotation(courier_ids: Iterable[str], day: date, round_number: int = 0) -> list[str]:
    """``courier_ids`` in today's neutral order for ``round_number``."""
    # the day's base order: each id's place is a hash of the day and the id alone, so a courier
    # added during the day takes a place of their own and the others keep their order (sorted
    # ids rotated by a day's seed moved everyone when the count changed: the lanes reshuffled)
    ids = sorted(set(courier_ids), key=lambda cid: hashlib.sha256(f"{day.isoformat()}:{cid}".encode()).digest())
    if not ids:
        return []
    shift = round_number % len(ids)
    return ids[shift:] + ids[:shift]
