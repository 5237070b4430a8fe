"""What the admin page reads (issue 16): the cooperative's clients with their key's state, its
dispatchers and analysts with their login's state, and its admin acts from the log.

The admin acts are read by type (``ADMIN_EVENTS``) rather than by paging the whole log, so that
every member, couriers included, sees who changed what and when without reading the day's jobs.
No key, password or hash leaves this module: a key is told apart by its public prefix only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from dispatch.events import ADMIN_EVENTS, Event
from dispatch.store.access import _REVOKED
from dispatch.store.engine import read_once
from dispatch.store.repository import Store, _event
from dispatch.store.schema import ClientRow, EventRow, MemberRow


@dataclass(frozen=True)
class ClientKey:
    id: str
    name: str
    solidarity: bool
    key_prefix: str  #: the key's first characters, shown to tell keys apart (never the key)
    revoked: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "solidarity": self.solidarity,
            "key_prefix": self.key_prefix,
            "revoked": self.revoked,
        }


@dataclass(frozen=True)
class MemberLogin:
    id: str
    name: str
    role: str
    login: str
    revoked: bool

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "role": self.role, "login": self.login, "revoked": self.revoked}


def clients(store: Store, coop_id: str) -> list[ClientKey]:
    """The cooperative's clients by name, each with whether its key is revoked."""
    query = (
        select(ClientRow.id, ClientRow.name, ClientRow.solidarity, ClientRow.api_key_prefix, ClientRow.revoked_at)
        .where(ClientRow.cooperative_id == coop_id)
        .order_by(ClientRow.name, ClientRow.id)
    )
    with read_once(store.engine) as conn:
        rows = conn.execute(query).all()
    return [ClientKey(r.id, r.name, bool(r.solidarity), r.api_key_prefix, r.revoked_at is not None) for r in rows]


def members(store: Store, coop_id: str) -> list[MemberLogin]:
    """The cooperative's dispatchers and analysts by name, each with whether their login is revoked."""
    query = (
        select(MemberRow.id, MemberRow.display_name, MemberRow.role, MemberRow.login, MemberRow.secret_hash)
        .where(MemberRow.cooperative_id == coop_id)
        .order_by(MemberRow.display_name, MemberRow.id)
    )
    with read_once(store.engine) as conn:
        rows = conn.execute(query).all()
    return [MemberLogin(r.id, r.display_name, r.role, r.login, r.secret_hash.startswith(_REVOKED)) for r in rows]


def admin_acts(store: Store, coop_id: str, *, limit: int = 200) -> list[Event]:
    """The cooperative's latest admin acts, newest first."""
    query = (
        select(EventRow.__table__)
        .where(EventRow.cooperative_id == coop_id, EventRow.type.in_(sorted(t.value for t in ADMIN_EVENTS)))
        .order_by(EventRow.seq.desc())
        .limit(limit)
    )
    with read_once(store.engine) as conn:
        return [_event(row) for row in conn.execute(query)]
