"""A cooperative's short name and city (issue 16): what a member types at login instead of the
cooperative's id (``velo-lille``), and which city's streets it serves.

Short names are unique on a server: one server can then host the cooperatives of a federation,
each logging in by a name its members remember. A name is derived from the cooperative's name
when none is given (``Vélo Lille`` -> ``velo-lille``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, or_, select, update

from dispatch.errors import InvalidInput, NotFound
from dispatch.events import Actor, Event, EventType
from dispatch.lifecycle import OPEN_STATES, JobState
from dispatch.store.schema import CooperativeRow, JobRow

if TYPE_CHECKING:
    from dispatch.store.repository import Store

SHORT_NAME_MAX = 32
#: Lower-case letters and digits in words joined by single hyphens, beginning with a letter; at
#: most 32 characters, so that no short name can be read as a cooperative's id (36).
_SHORT_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


def check_short_name(value: str) -> str:
    """``value`` if it may be a short name; InvalidInput saying what a short name is, otherwise."""
    if not (2 <= len(value) <= SHORT_NAME_MAX and _SHORT_NAME.fullmatch(value)):
        raise InvalidInput("short_name", "short_name_form", short_name=repr(value), limit=SHORT_NAME_MAX)
    return value


def derived_short_name(name: str) -> str:
    """The short name a cooperative called ``name`` gets when it is given none: accents dropped,
    lower case, every other character a hyphen (``Pyörä Osuuskunta`` -> ``pyora-osuuskunta``)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")
    words = re.sub(r"^[0-9-]+", "", words)  # it begins with a letter
    while len(words) > SHORT_NAME_MAX:  # cut at a word's end where there is one
        cut = words.rfind("-", 0, SHORT_NAME_MAX + 1)
        words = words[: cut if cut > 0 else SHORT_NAME_MAX].strip("-")
    return words if len(words) >= 2 else "coop"


def short_name_taken(conn: Connection, short_name: str) -> bool:
    return conn.execute(select(CooperativeRow.id).where(CooperativeRow.short_name == short_name)).first() is not None


def free_short_name(conn: Connection, name: str) -> str:
    """The derived short name of ``name``, with ``-2``, ``-3``... when another cooperative has it
    (for cooperatives made by code; the admin command refuses a taken name instead)."""
    return unique_short_name(name, lambda candidate: short_name_taken(conn, candidate))


def unique_short_name(name: str, taken: Callable[[str], bool]) -> str:
    """The derived short name of ``name``, or the first of ``-2``, ``-3``... after it that is not
    ``taken`` (cut to fit the 32 characters)."""
    base = derived_short_name(name)
    candidate, n = base, 1
    while taken(candidate):
        n += 1
        suffix = f"-{n}"
        candidate = base[: SHORT_NAME_MAX - len(suffix)].rstrip("-") + suffix
    return candidate


def resolve_cooperative(conn: Connection, id_or_short_name: str) -> str | None:
    """The id of the cooperative named by its id or its short name (any case, spaces around
    aside: a phone's keyboard capitalises the first letter); None when none is."""
    key = id_or_short_name.strip()
    if "\x00" in key:  # no id or short name holds one, and PostgreSQL refuses it in a text query
        return None
    row = conn.execute(
        select(CooperativeRow.id).where(or_(CooperativeRow.id == key, CooperativeRow.short_name == key.casefold()))
    ).first()
    return None if row is None else str(row.id)


def cooperative_city(conn: Connection, coop_id: str) -> str:
    """The name of the city ``coop_id`` serves."""
    city = conn.execute(select(CooperativeRow.city).where(CooperativeRow.id == coop_id)).scalar()
    if city is None:
        raise NotFound("cooperative", coop_id)
    return str(city)


#: A job in one of these states is done with its places; any other still means to ride them.
_SETTLED = (JobState.DELIVERED, JobState.FAILED, JobState.CANCELLED)


@dataclass(frozen=True)
class CityChange:
    """What :func:`change_city` did: the city before, the event recorded (None when nothing was
    written: the same city, or jobs still open) and how many jobs were open."""

    before: str
    event: Event | None
    open_jobs: int = 0


class _JobsOpen(Exception):
    """Rolls the change back from inside its transaction (no refusal words: the caller says it)."""

    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count


def change_city(store: Store, coop_id: str, city: str, *, by: Actor) -> CityChange:
    """Move ``coop_id`` to ``city`` (a name the caller checked), recorded in its log as a
    settings change (``city`` from, to) so its members see who did it and when.

    Not while any of its jobs is unsettled: their places were checked against, snapped to and
    routed on the old city's streets, and a round on the new city's would plan them across the
    map. Such a change writes nothing and says how many there are (``open_jobs``). The count is
    taken in the same transaction as the change, so a job accepted meanwhile is counted.
    """
    from dispatch.store.access import _admin_event  # access imports the repository, which imports us

    with store.engine.connect() as conn:
        before = cooperative_city(conn, coop_id)
    if before == city:
        return CityChange(before, None)

    def work(conn: Connection) -> tuple[EventType, dict[str, Any]]:
        open_jobs = conn.execute(
            select(func.count())
            .select_from(JobRow)
            .where(JobRow.cooperative_id == coop_id, JobRow.state.not_in([s.value for s in _SETTLED]))
        ).scalar_one()
        if open_jobs:
            raise _JobsOpen(int(open_jobs))
        conn.execute(update(CooperativeRow).where(CooperativeRow.id == coop_id).values(city=city))
        return EventType.COOPERATIVE_SETTINGS_CHANGED, {"changes": {"city": {"from": before, "to": city}}}

    try:
        return CityChange(before, _admin_event(store, coop_id, by, work))
    except _JobsOpen as busy:
        return CityChange(before, None, busy.count)


def with_open_jobs(store: Store) -> list[str]:
    """Cooperatives holding a job that waits for a courier: the rounds a planner that has just
    started owes them (after a restart, 205 acknowledged requests waited 55 s for the next
    request to plan them: an outside attack)."""
    with store.engine.connect() as conn:
        query = select(JobRow.cooperative_id).where(JobRow.state.in_([s.value for s in OPEN_STATES])).distinct()
        return sorted(conn.execute(query).scalars())
