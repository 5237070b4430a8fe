"""Router: what the admin page reads (issue 16), beside the admin acts of ``api/console.py``.

A cooperative has no admin role: its dispatchers act, and every member sees what was done. So
the clients (with their key's state) and the dispatchers and analysts (with their login's state)
are for dispatchers, who act on them; the admin log (who, when, what) is for every member,
couriers included. A free-text reason an admin act carries (why a courier was deactivated or
erased) is a note between dispatchers and analysts, as an override's reason is (issue 16 item 4):
a courier reads the act without it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from api.deps import Dispatcher, Member, Svc
from api.errors import answers, refusals
from api.i18n import Lang, in_words
from api.schemas import Out
from api.sockets import NOTES
from dispatch.events import ActorKind, Event
from dispatch.store import Store
from dispatch.store.access import Principal
from dispatch.store.admin_log import admin_acts, clients, members

router = APIRouter(prefix="/v1", tags=["admin"], responses=refusals())


class ClientKeyOut(Out):
    id: str
    name: str
    solidarity: bool
    key_prefix: str = Field(description="The key's first characters, to tell keys apart; never the key")
    revoked: bool = Field(description="The key gets in no more; rotating it gives the client a new one")


class ClientsOut(Out):
    clients: list[ClientKeyOut] = Field(description="By name")


class MemberLoginOut(Out):
    id: str
    name: str
    role: Literal["dispatcher", "analyst"]
    login: str
    revoked: bool = Field(description="Their login is refused; a password reset reinstates it")


class MembersOut(Out):
    members: list[MemberLoginOut] = Field(description="By name")


class WhoOut(Out):
    kind: str = Field(description="dispatcher, admin (the `tandem admin` command on the server) or system")
    id: str | None
    name: str | None = Field(description="A dispatcher's name; the server account of a `tandem admin` act")


class AdminActOut(Out):
    seq: int
    at: str
    type: str = Field(description="ClientKeyRevoked, CourierDeactivated, CooperativeSettingsChanged...")
    who: WhoOut
    what: dict[str, Any] = Field(
        description="The event's payload; without its reason for a courier. A reason is a person's words, or a "
        "code with params and its `text` in the reader's language (a restore's `erased_again`)"
    )


class AdminLogOut(Out):
    acts: list[AdminActOut] = Field(description="Newest first")


@router.get("/clients", **answers(ClientsOut))
async def list_clients(who: Dispatcher, svc: Svc) -> dict[str, Any]:
    """The cooperative's clients, each with whether its key is revoked (the key itself is never
    shown again: rotating gives a new one once)."""
    found = await svc.run(clients, svc.store, who.cooperative_id)
    return {"clients": [c.to_json() for c in found]}


@router.get("/members", **answers(MembersOut))
async def list_members(who: Dispatcher, svc: Svc) -> dict[str, Any]:
    """The cooperative's dispatchers and analysts, each with their login and whether it is revoked."""
    found = await svc.run(members, svc.store, who.cooperative_id)
    return {"members": [m.to_json() for m in found]}


def _acts(store: Store, who: Principal, limit: int, lang: str) -> list[dict[str, Any]]:
    """The acts, a reason given as a code (a restore's ``erased_again``) said in ``lang`` beside it."""
    names = {m.id: m.name for m in members(store, who.cooperative_id)}
    acts = [_act(e, names, notes=who.role != "courier") for e in admin_acts(store, who.cooperative_id, limit=limit)]
    return in_words(store, who.cooperative_id, lang, acts)  # type: ignore[no-any-return]


def _act(event: Event, names: dict[str, str], *, notes: bool) -> dict[str, Any]:
    actor = event.actor
    name = names.get(actor.id or "") if actor.kind is ActorKind.DISPATCHER else actor.id
    what = event.payload if notes else {k: v for k, v in event.payload.items() if k not in NOTES}
    return {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "type": event.type.value,
        "who": {"kind": actor.kind.value, "id": actor.id, "name": name},
        "what": what,
    }


@router.get("/admin/log", **answers(AdminLogOut))
async def admin_log(
    who: Member, svc: Svc, lang: Lang, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> dict[str, Any]:
    """Every admin act of the cooperative (keys revoked or rotated, couriers deactivated,
    reactivated or erased, logins revoked, passwords reset, settings changed, proofs purged),
    newest first, with who did it and when: for every member to see. A reason the system gave
    as a code is said in the reader's ``Accept-Language`` (``text`` beside its code); a
    person's reason is their words."""
    return {"acts": await svc.run(_acts, svc.store, who, limit, lang)}
