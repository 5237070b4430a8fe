"""Who may act: logins of dispatchers, analysts and couriers, their session tokens, client keys;
and the admin acts on them and on the cooperative's settings, each recorded in the log (who,
when, what) in the transaction that makes it (issue 16).

Passwords are kept as salted scrypt hashes and tokens as SHA-256 hashes: a copy of the
database lets no one log in. Sessions live in the database (not in a worker's memory) so that
every API worker sees a revocation at once and a restart logs nobody out.
"""

from __future__ import annotations

import dataclasses
import getpass
import math
import re
import secrets
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from dispatch.errors import DomainError, InvalidInput, NotFound
from dispatch.events import Actor, ActorKind, Event, EventType, NewEvent
from dispatch.lifecycle import ACTIVE_STATES, JobState
from dispatch.model import Cooperative
from dispatch.pricing import Band, Tariff, repricing_rule
from dispatch.store.cooperatives import resolve_cooperative
from dispatch.store.engine import reading
from dispatch.store.repository import (
    Store,
    _json_payload,
    _now,
    _utc,
    hash_api_key,
    hash_secret,
    verify_secret,
)
from dispatch.store.schema import ClientRow, CooperativeRow, CourierRow, EventRow, MemberRow, SessionRow
from dispatch.text import check_text
from routing.reasons import Reason, reason

#: A dispatcher's or courier's day, with margin; a token then has to be renewed by logging in.
DEFAULT_TOKEN_TTL = timedelta(hours=12)


class _Count:
    """A count that threads move one at a time: two adding at once must move it twice, or a
    cache entry noted between them would outlive the second revocation."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add_one(self) -> None:
        with self._lock:
            self.value += 1


_revoked = _Count()


def revocations() -> int:
    """A count of the revocations and key rotations committed by this process so far.

    A cache of credentials (:class:`KnownKeys`) notes it with each entry and drops entries made
    before the count moved, so that a revocation takes effect at once in the process that
    made it. The count moves after the commit: a lookup that read the old row noted the old
    count.
    """
    return _revoked.value


class LoginFailed(DomainError):
    """Wrong cooperative, login or password: the answer never says which."""

    code = "login_failed"

    def __init__(self) -> None:
        super().__init__("login_failed")


class LoginRevoked(LoginFailed):
    """The right password for a login the cooperative revoked: said plainly (only to someone
    who knows the password, so it tells a guesser nothing), with the way back."""

    code = "login_revoked"

    def __init__(self) -> None:
        DomainError.__init__(self, "login_revoked")


#: A revoked member's stored hash begins so: the password stays checkable (see LoginRevoked)
#: and matches nothing until a reset replaces it.
_REVOKED = "revoked$"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role in one cooperative and the id of the person or client."""

    role: str  #: client, dispatcher, analyst or courier
    cooperative_id: str
    subject_id: str
    display_name: str


def _look(login: str) -> str:
    """How a login looks to a person (and to the per-account login limit): width, case and
    surrounding spaces aside. Two logins that look alike would share one limit, so that one
    person's mistyped passwords locked out the other (issue 21's outside attack)."""
    return unicodedata.normalize("NFKC", login).strip().casefold()


def login_taken(store: Store, coop_id: str, login: str, *, except_courier: str | None = None) -> bool:
    """A login is taken when one of the cooperative already looks the same."""
    with reading(store.engine) as conn:
        members = conn.execute(select(MemberRow.login).where(MemberRow.cooperative_id == coop_id)).scalars()
        couriers = conn.execute(
            select(CourierRow.login).where(
                CourierRow.cooperative_id == coop_id, CourierRow.id != (except_courier or "")
            )
        ).scalars()
        looks = {_look(x) for x in [*members, *couriers] if x}
    return _look(login) in looks


def set_courier_login(store: Store, coop_id: str, courier_id: str, login: str) -> str:
    """Give a courier a login for the phone page; returns a generated password, once.

    Giving a new password is how a dispatcher locks out a lost phone, so every session the
    courier had is revoked with it (their open sockets close at the next check).
    """
    store.courier(coop_id, courier_id)
    with reading(store.engine) as conn:
        _refuse_erased(conn, coop_id, courier_id)
    if not isinstance(login, str) or not 1 <= len(login.strip()) <= 60:
        raise InvalidInput("login", "login_length")
    if login != login.strip():
        raise InvalidInput("login", "login_spaces")
    if login_taken(store, coop_id, login, except_courier=courier_id):
        raise InvalidInput("login", "login_taken", login=login)
    secret = secrets.token_urlsafe(12)
    with store.engine.begin() as conn:
        conn.execute(
            update(CourierRow)
            .where(CourierRow.cooperative_id == coop_id, CourierRow.id == courier_id)
            .values(login=login, secret_hash=hash_secret(secret))
        )
    revoke_sessions_of(store, coop_id, courier_id)
    return secret


_dummy_hash: list[str] = []


def _dummy_secret_hash() -> str:
    """A hash of the same algorithm and cost as every password's, of a password nobody knows.

    A login that names nobody is checked against it, so that it takes as long as a wrong
    password for someone who exists: the time of an answer must not tell which logins exist.
    """
    if not _dummy_hash:
        _dummy_hash.append(hash_secret(secrets.token_urlsafe(16)))
    return _dummy_hash[0]


def log_in(
    store: Store, coop_id: str, login: str, password: str, *, ttl: timedelta = DEFAULT_TOKEN_TTL
) -> tuple[str, Principal, datetime]:
    """Check a login and open a session: (token, who, expiry). The token is returned once.

    ``coop_id`` is the cooperative's id or its short name (``velo-lille``, any case); an unknown
    one fails like a wrong password, after the same slow check."""
    with reading(store.engine) as conn:
        coop_id = resolve_cooperative(conn, coop_id) or ""
        member = conn.execute(
            select(MemberRow.__table__).where(MemberRow.cooperative_id == coop_id, MemberRow.login == login)
        ).first()
        courier = conn.execute(
            select(CourierRow.__table__).where(
                CourierRow.cooperative_id == coop_id, CourierRow.login == login, CourierRow.active.is_(True)
            )
        ).first()
    # Exactly one slow hash check on every path, found or not (see _dummy_secret_hash).
    who: Principal | None
    revoked = False
    if member is not None:
        who = Principal(member.role, coop_id, member.id, member.display_name)
        stored = member.secret_hash
        if stored.startswith(_REVOKED):
            revoked, stored = True, stored.removeprefix(_REVOKED)
    elif courier is not None and courier.secret_hash:
        who = Principal("courier", coop_id, courier.id, courier.display_name)
        stored = courier.secret_hash
    else:
        who, stored = None, _dummy_secret_hash()
    if not verify_secret(password, stored) or who is None:
        raise LoginFailed
    if revoked:
        raise LoginRevoked
    token = "tds_" + secrets.token_urlsafe(32)
    now = _now()
    expires = now + ttl
    with store.engine.begin() as conn:
        conn.execute(
            insert(SessionRow).values(
                token_hash=hash_api_key(token),
                cooperative_id=coop_id,
                role=who.role,
                subject_id=who.subject_id,
                created_at=now,
                expires_at=expires,
                revoked_at=None,
            )
        )
    return token, who, expires


def principal_for_token(store: Store, token: str, *, now: datetime | None = None) -> Principal | None:
    """The person behind a session token, or None when unknown, expired or revoked."""
    with reading(store.engine) as conn:
        row = conn.execute(select(SessionRow.__table__).where(SessionRow.token_hash == hash_api_key(token))).first()
        if row is None or row.revoked_at is not None or _utc(row.expires_at) <= (now or _now()):
            return None
        table = CourierRow if row.role == "courier" else MemberRow
        query = select(table.display_name).where(table.cooperative_id == row.cooperative_id, table.id == row.subject_id)
        if table is CourierRow:
            query = query.where(CourierRow.active.is_(True))  # a courier who left is let in no more
        name = conn.execute(query).scalar()
    if name is None:
        return None
    return Principal(row.role, row.cooperative_id, row.subject_id, name)


def live_sessions(store: Store, token_hashes: Iterable[str], *, now: datetime | None = None) -> set[str]:
    """Which of these token hashes still open a session (not revoked, not expired, and for a
    courier, one still active): one read for all the sockets a worker holds, not one each."""
    now = now or _now()
    live: set[str] = set()
    hashes = list(token_hashes)
    courier = and_(
        SessionRow.role == "courier",
        CourierRow.cooperative_id == SessionRow.cooperative_id,
        CourierRow.id == SessionRow.subject_id,
    )
    with reading(store.engine) as conn:
        for start in range(0, len(hashes), 500):
            rows = conn.execute(
                select(SessionRow.token_hash, SessionRow.role, SessionRow.expires_at, CourierRow.active)
                .outerjoin(CourierRow, courier)
                .where(SessionRow.token_hash.in_(hashes[start : start + 500]), SessionRow.revoked_at.is_(None))
            ).all()
            live.update(
                row.token_hash for row in rows if _utc(row.expires_at) > now and (row.role != "courier" or row.active)
            )
    return live


def principal_for_api_key(store: Store, key: str) -> Principal | None:
    client = store.client_by_api_key(key)
    if client is None:
        return None
    return Principal("client", client.cooperative_id, client.id, client.name)


#: How long a worker trusts an API key it has looked up without looking again: a revocation or
#: rotation made in the same process takes effect at once, one made by another process (another
#: worker, an administrator's script) within this many seconds.
KEY_TRUST_S = 2.0


class KnownKeys:
    """The clients behind API keys looked up lately, so that a client's requests skip the lookup.

    Clients send many requests with one key (a shop's integration), and looking the key up cost
    a database read and a thread hop per request, more than a tenth of a delivery's creation.
    Only keys found valid are kept (an unknown key is looked up every time, so a guesser cannot
    fill the memory), at most ``size`` of them, each for ``trust_s`` seconds and only while
    :func:`revocations` has not moved. Entries are keyed by the key's hash, never the key.
    Meant for one event loop: it takes no lock.
    """

    def __init__(
        self, *, trust_s: float = KEY_TRUST_S, size: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.trust_s, self.size, self.clock = trust_s, size, clock
        self._entries: dict[str, tuple[Principal, int, float]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, digest: str) -> Principal | None:
        """The principal behind a key's hash while it may be trusted, else None (look it up)."""
        entry = self._entries.get(digest)
        if entry is None:
            return None
        who, seen_revocations, until = entry
        if seen_revocations != revocations() or self.clock() >= until:
            del self._entries[digest]
            return None
        return who

    def put(self, digest: str, who: Principal, seen_revocations: int) -> None:
        """Remember a lookup; ``seen_revocations``: :func:`revocations` read *before* it began."""
        if len(self._entries) >= self.size:
            del self._entries[next(iter(self._entries))]  # the oldest entry
        self._entries[digest] = (who, seen_revocations, self.clock() + self.trust_s)


def revoke_token(store: Store, token: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            update(SessionRow)
            .where(SessionRow.token_hash == hash_api_key(token), SessionRow.revoked_at.is_(None))
            .values(revoked_at=_now())
        )
    _revoked.add_one()


def _end_sessions(conn: Connection, coop_id: str, subject_id: str, at: datetime | None = None) -> int:
    """Every open session of a person revoked, in the caller's transaction; how many."""
    result = conn.execute(
        update(SessionRow)
        .where(
            SessionRow.cooperative_id == coop_id,
            SessionRow.subject_id == subject_id,
            SessionRow.revoked_at.is_(None),
        )
        .values(revoked_at=at or _now())
    )
    return int(result.rowcount or 0)


def revoke_sessions_of(store: Store, coop_id: str, subject_id: str) -> int:
    """Log a person out everywhere (a lost phone, a member who leaves)."""
    with store.engine.begin() as conn:
        ended = _end_sessions(conn, coop_id, subject_id)
    _revoked.add_one()
    return ended


class NothingToChange(DomainError):
    """An admin act that would change nothing (a key already revoked, a courier already away)."""

    code = "nothing_to_change"


def cli_actor() -> Actor:
    """Who acts from ``tandem admin``: the server's operator, by their login on the machine."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container): still an admin
        user = "unknown"
    return Actor(ActorKind.ADMIN, f"cli:{user}"[:36])


def _admin_event(
    store: Store, coop_id: str, by: Actor, work: Callable[[Connection], tuple[EventType, dict[str, Any]]]
) -> Event:
    """Run an admin act and record it, in one transaction: ``work`` changes the rows and says
    what it did (the event's type and payload); nothing is written when either is refused.

    The event is appended after ``work``, in the same transaction (a group commit): a refusal
    of either rolls both back.
    """

    def run(conn: Connection) -> Event:
        event_type, payload = work(conn)
        new = NewEvent(coop_id, _now(), by, event_type, payload)
        appended = store._append(  # the log's own append, in this transaction
            conn, new, _json_payload(payload), idempotency_key=None, request_hash=None, expected_seq=None
        )
        return appended.event

    return store._commits.run(coop_id, run)


def _client_row(conn: Connection, coop_id: str, client_id: str) -> Any:
    row = conn.execute(
        select(ClientRow.id, ClientRow.revoked_at).where(ClientRow.cooperative_id == coop_id, ClientRow.id == client_id)
    ).first()
    if row is None:
        raise NotFound("client", client_id)
    return row


def revoke_client_key(store: Store, coop_id: str, client_id: str, *, by: Actor) -> Event:
    """The client's key gets in no more: at once in this process, within :data:`KEY_TRUST_S`
    in the others. The client and its deliveries stay; :func:`rotate_client_key` gives a new key."""

    def work(conn: Connection) -> tuple[EventType, dict[str, Any]]:
        if _client_row(conn, coop_id, client_id).revoked_at is not None:
            raise NothingToChange("key_already_revoked", client=client_id)
        conn.execute(
            update(ClientRow)
            .where(ClientRow.cooperative_id == coop_id, ClientRow.id == client_id)
            .values(revoked_at=_now())
        )
        return EventType.CLIENT_KEY_REVOKED, {"client_id": client_id}

    try:
        return _admin_event(store, coop_id, by, work)
    finally:
        _revoked.add_one()


def rotate_client_key(store: Store, coop_id: str, client_id: str, *, by: Actor) -> tuple[str, Event]:
    """A new key for a client, returned once; the old one stops working as a revoked one does.
    A revoked client gets in again with the new key."""
    key = "tdm_" + secrets.token_urlsafe(32)

    def work(conn: Connection) -> tuple[EventType, dict[str, Any]]:
        _client_row(conn, coop_id, client_id)
        conn.execute(
            update(ClientRow)
            .where(ClientRow.cooperative_id == coop_id, ClientRow.id == client_id)
            .values(api_key_hash=hash_api_key(key), api_key_prefix=key[:12], revoked_at=None)
        )
        return EventType.CLIENT_KEY_ROTATED, {"client_id": client_id}

    try:
        event = _admin_event(store, coop_id, by, work)
    finally:
        _revoked.add_one()
    return key, event


@dataclass(frozen=True)
class Deactivated:
    """What deactivating a courier did."""

    events: list[Event]  #: what it did to their work, then the CourierDeactivated event (in the log's order)
    returned: list[str]  #: jobs not yet picked up, back in the open queue
    on_board: list[str]  #: parcels they hold: a handover for a dispatcher to decide
    shift_ended: bool


def deactivate_courier(store: Store, coop_id: str, courier_id: str, *, by: Actor, reason: str | Reason) -> Deactivated:
    """A courier who left (or was added by mistake) gets no more work: the planner proposes
    nothing to them, they cannot log in, their sessions end and their open sockets close at the
    next check. Their history stays: the log, the ledger, the jobs they did.

    In the same transaction, as ``courier_unavailable`` does: their jobs not yet picked up go
    back to the open queue, a parcel on board is flagged for a handover, their shift ends.
    """
    # a dispatcher's words, or a code the edge words (``erased_again``: a restore re-applying an
    # erasure, dispatch/store/erasure.py), as ``courier_unavailable`` takes either
    why: str | dict[str, Any] = reason.to_json() if isinstance(reason, Reason) else check_text("reason", reason)
    if isinstance(why, str) and not why.strip():
        raise InvalidInput("reason", "say_why")
    courier = store.courier(coop_id, courier_id)
    if not courier.active:
        raise NothingToChange("already_deactivated", courier=courier_id)
    at = _now()
    follow = _work_left_behind(store, coop_id, courier.id, by=by, why=why, at=at)
    done: list[Event] = []

    def work(conn: Connection) -> tuple[EventType, dict[str, Any]]:
        _deactivate_row(conn, coop_id, courier_id, at)
        done.clear()
        for new in follow:  # a job someone acted on meanwhile refuses its event: nothing is written
            done.append(
                store._append(
                    conn, new, _json_payload(new.payload), idempotency_key=None, request_hash=None, expected_seq=None
                ).event
            )
        return EventType.COURIER_DEACTIVATED, {"courier_id": courier_id, "reason": why}

    try:
        first = _admin_event(store, coop_id, by, work)
    finally:
        _revoked.add_one()
    return Deactivated(
        events=[*done, first],
        returned=[str(e.payload["job_id"]) for e in done if e.type is EventType.JOB_UNASSIGNED],
        on_board=[str(e.payload["job_id"]) for e in done if e.type is EventType.PROPOSAL_WITHHELD],
        shift_ended=any(e.type is EventType.SHIFT_ENDED for e in done),
    )


def _work_left_behind(
    store: Store, coop_id: str, courier_id: str, *, by: Actor, why: str | dict[str, Any], at: datetime
) -> list[NewEvent]:
    """What a leaving courier's work becomes, as events: jobs not yet picked up unassigned, a
    parcel on board flagged for a handover, their shift ended."""
    mine = [j for j in store.jobs(coop_id, ACTIVE_STATES) if j.courier_id == courier_id]
    status = store.courier_statuses(coop_id).get(courier_id)
    follow: list[NewEvent] = []
    for job in mine:
        if job.state is JobState.PICKED_UP:
            note = reason("left_on_board", courier=courier_id, why=why).to_json()
            payload: dict[str, Any] = {"job_id": job.id, "reason": note, "courier_id": courier_id}
            follow.append(NewEvent(coop_id, at, by, EventType.PROPOSAL_WITHHELD, payload))
        else:
            said = reason("left_taken_back", courier=courier_id).to_json()
            payload = {"job_id": job.id, "reason": said, "previous_courier_id": courier_id}
            follow.append(NewEvent(coop_id, at, by, EventType.JOB_UNASSIGNED, payload))
    if status is not None and status.on_shift:
        # marked: the ledger takes the unworked rest off the planned shift (dispatch/ledger.py)
        ended = {"courier_id": courier_id, "reason": why, "stopped_early": True}
        follow.append(NewEvent(coop_id, at, by, EventType.SHIFT_ENDED, ended))
    return follow


def _deactivate_row(conn: Connection, coop_id: str, courier_id: str, at: datetime) -> None:
    """The courier marked inactive (once: a second deactivation changes nothing and says so) and
    every session of theirs revoked, in the caller's transaction."""
    changed = conn.execute(
        update(CourierRow)
        .where(CourierRow.cooperative_id == coop_id, CourierRow.id == courier_id, CourierRow.active.is_(True))
        .values(active=False)
    )
    if not changed.rowcount:
        raise NothingToChange("already_deactivated", courier=courier_id)
    _end_sessions(conn, coop_id, courier_id, at)


def reactivate_courier(store: Store, coop_id: str, courier_id: str, *, by: Actor) -> Event:
    """A courier back in the cooperative: listed, planned for once on shift, able to log in again
    (with the login they had; :func:`set_courier_login` gives a new password)."""

    def work(conn: Connection) -> tuple[EventType, dict[str, Any]]:
        row = conn.execute(
            select(CourierRow.active).where(CourierRow.cooperative_id == coop_id, CourierRow.id == courier_id)
        ).first()
        if row is None:
            raise NotFound("courier", courier_id)
        if row.active:
            raise NothingToChange("already_active", courier=courier_id)
        _refuse_erased(conn, coop_id, courier_id)
        conn.execute(
            update(CourierRow)
            .where(CourierRow.cooperative_id == coop_id, CourierRow.id == courier_id)
            .values(active=True)
        )
        return EventType.COURIER_REACTIVATED, {"courier_id": courier_id}

    return _admin_event(store, coop_id, by, work)


def _refuse_erased(conn: Connection, coop_id: str, courier_id: str) -> None:
    """An erasure is final (outside tester's finding 5): an erased courier is neither brought
    back nor given a login, which would make the person the log no longer names act again. The
    log says who was erased; a person who comes back is added as a new courier."""
    erasures = conn.execute(
        select(EventRow.payload).where(
            EventRow.cooperative_id == coop_id, EventRow.type == EventType.COURIER_ERASED.value
        )
    ).scalars()
    if any(payload.get("courier_id") == courier_id for payload in erasures):
        raise NothingToChange("erased_for_good", courier=courier_id)


def _member_row(conn: Connection, coop_id: str, login: str) -> Any:
    row = conn.execute(
        select(MemberRow.id, MemberRow.role, MemberRow.secret_hash).where(
            MemberRow.cooperative_id == coop_id, MemberRow.login == login
        )
    ).first()
    if row is None:
        raise NotFound("member", login)
    return row


def revoke_member_login(store: Store, coop_id: str, login: str, *, by: Actor) -> Event:
    """A dispatcher or analyst who left: every session of theirs ends (their open sockets close
    at the next check, within a second, as a logout's do) and their login is refused with the
    reason. :func:`reset_member_password` reinstates it. Nobody revokes their own login (the
    last dispatcher would lock the cooperative out; logging out is theirs)."""

    def work(conn: Connection) -> tuple[EventType, dict[str, Any]]:
        row = _member_row(conn, coop_id, login)
        if by.id == row.id:
            raise InvalidInput("login", "own_login")
        if row.secret_hash.startswith(_REVOKED):
            raise NothingToChange("login_already_revoked", login=login)
        conn.execute(update(MemberRow).where(MemberRow.id == row.id).values(secret_hash=_REVOKED + row.secret_hash))
        _end_sessions(conn, coop_id, row.id)
        return EventType.MEMBER_LOGIN_REVOKED, {"member_id": row.id, "role": row.role}

    try:
        return _admin_event(store, coop_id, by, work)
    finally:
        _revoked.add_one()


def reset_member_password(store: Store, coop_id: str, login: str, *, by: Actor) -> tuple[str, Event]:
    """A new password for a dispatcher or analyst, returned once: it reinstates a revoked login
    and ends every session the old password opened (a password that leaked)."""
    secret = secrets.token_urlsafe(12)
    hashed = hash_secret(secret)

    def work(conn: Connection) -> tuple[EventType, dict[str, Any]]:
        row = _member_row(conn, coop_id, login)
        conn.execute(update(MemberRow).where(MemberRow.id == row.id).values(secret_hash=hashed))
        _end_sessions(conn, coop_id, row.id)
        return EventType.MEMBER_PASSWORD_RESET, {"member_id": row.id, "role": row.role}

    try:
        event = _admin_event(store, coop_id, by, work)
    finally:
        _revoked.add_one()
    return secret, event


#: What :func:`change_settings` leaves as it is.
UNCHANGED: Any = object()

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_TARIFF_KEYS = frozenset(Tariff().to_json())


def _tariff(current: dict[str, Any] | None, change: dict[str, Any]) -> dict[str, Any]:
    """The cooperative's tariff with ``change`` (some of its keys) applied, checked whole."""
    unknown = sorted(set(change) - _TARIFF_KEYS)
    if unknown:
        raise InvalidInput(f"tariff.{unknown[0]}", "not_a_tariff_setting", values=sorted(_TARIFF_KEYS))
    currency = change.get("currency")
    if currency is not None and (not isinstance(currency, str) or not _CURRENCY.match(currency)):
        raise InvalidInput("tariff.currency", "currency_code")
    merged = {**(current or Tariff().to_json()), **change}

    def bands(name: str) -> tuple[Band, ...]:
        try:
            return tuple(Band(math.inf if up is None else float(up), int(cents)) for up, cents in merged[name])
        except (TypeError, ValueError):
            raise InvalidInput(f"tariff.{name}", "band_pairs") from None

    try:
        return Tariff(
            currency=str(merged["currency"]),
            base_cents=int(merged["base_cents"]),
            distance_bands=bands("distance_bands_km"),
            weight_bands=bands("weight_bands_kg"),
            express_percent=int(merged["express_percent"]),
            solidarity_percent=int(merged["solidarity_percent"]),
        ).to_json()
    except InvalidInput as exc:  # named as the caller wrote it
        named = {"distance_bands": "distance_bands_km", "weight_bands": "weight_bands_kg"}.get(exc.field, exc.field)
        field = exc.field if exc.field.startswith("tariff.") else f"tariff.{named}"
        raise InvalidInput(field, exc.why, **exc.params) from None
    except (TypeError, KeyError, ValueError) as exc:  # a value of the wrong kind (the API's schema lets none through)
        raise InvalidInput("tariff", "malformed_tariff", detail=str(exc)) from None


def _plain_changes(
    settings: dict[str, Any], changes: dict[str, Any], repricing: Any, retention: Any, tariff: dict[str, Any] | None
) -> None:
    """Into ``settings`` and ``changes``: the repricing rule, the decline reasons' retention and
    the tariff's keys, each only when given and different from what is set."""
    from dispatch.store import declines

    if repricing is not UNCHANGED and repricing != repricing_rule(settings):
        changes["repricing"] = {"from": repricing_rule(settings), "to": repricing_rule({"repricing": repricing})}
        settings["repricing"] = repricing
    if retention is not UNCHANGED and declines.check_days(retention) != declines.retention_days(settings):
        changes[declines.SETTING] = {"from": declines.retention_days(settings), "to": retention}
        settings[declines.SETTING] = retention
    if tariff:
        before = settings.get("tariff") or Tariff().to_json()
        after = _tariff(settings.get("tariff"), tariff)
        if after != before:
            changes["tariff"] = {"from": before, "to": after}
            settings["tariff"] = after


def change_settings(
    store: Store,
    coop_id: str,
    *,
    by: Actor,
    fairness_weight: Any = UNCHANGED,
    riding_budget: Any = UNCHANGED,
    tariff: dict[str, Any] | None = None,
    repricing: Any = UNCHANGED,
    decline_reason_retention_days: Any = UNCHANGED,
) -> tuple[Cooperative, Event | None]:
    """Change what the members set after the cooperative was made: the fairness weight, the
    riding budget (None: no bound), the tariff (``tariff``: the keys to change), the repricing
    rule of a parcel heavier than declared (``dispatch.pricing.REPRICING_RULES``) and how many
    days decline reasons are kept (dispatch/store/declines.py). The next planning round and the
    next quote use them. Returns the cooperative as it now is and the event (None when nothing
    changed, and then nothing is recorded)."""
    from dispatch.planning import riding_budget as check_budget

    if fairness_weight is not UNCHANGED:
        if isinstance(fairness_weight, bool) or not isinstance(fairness_weight, int | float):
            raise InvalidInput("fairness_weight", "fairness_weight")
        if not 0 <= fairness_weight <= 100:
            raise InvalidInput("fairness_weight", "fairness_weight")
        fairness_weight = float(fairness_weight)
    if riding_budget is not UNCHANGED:
        riding_budget = check_budget({"fairness_riding_budget": riding_budget})
    coop = store.cooperative(coop_id)
    changes: dict[str, Any] = {}
    settings = dict(coop.settings)
    if fairness_weight is not UNCHANGED and fairness_weight != coop.fairness_weight:
        changes["fairness_weight"] = {"from": coop.fairness_weight, "to": fairness_weight}
    if riding_budget is not UNCHANGED and riding_budget != settings.get("fairness_riding_budget"):
        changes["fairness_riding_budget"] = {"from": settings.get("fairness_riding_budget"), "to": riding_budget}
        if riding_budget is None:
            settings.pop("fairness_riding_budget", None)
        else:
            settings["fairness_riding_budget"] = riding_budget
    _plain_changes(settings, changes, repricing, decline_reason_retention_days, tariff)
    if not changes:
        return coop, None
    # the model's own checks of the cooperative as it will be, before anything is written
    dataclasses.replace(coop, fairness_weight=coop.fairness_weight if fairness_weight is UNCHANGED else fairness_weight)

    def work(conn: Connection) -> tuple[EventType, dict[str, Any]]:
        values: dict[str, Any] = {"settings": _json_payload(settings)}
        if "fairness_weight" in changes:
            values["fairness_weight"] = fairness_weight
        conn.execute(update(CooperativeRow).where(CooperativeRow.id == coop_id).values(**values))
        return EventType.COOPERATIVE_SETTINGS_CHANGED, {"changes": changes}

    event = _admin_event(store, coop_id, by, work)
    return store.cooperative(coop_id), event


def display_name_of(store: Store, coop_id: str, kind: str, subject_id: str) -> str | None:
    """The name a person goes by (for "Sam already accepted this job"), or None."""
    if kind == "courier":
        query = select(CourierRow.display_name).where(CourierRow.cooperative_id == coop_id, CourierRow.id == subject_id)
    elif kind in ("dispatcher", "analyst"):
        query = select(MemberRow.display_name).where(MemberRow.cooperative_id == coop_id, MemberRow.id == subject_id)
    else:
        return None
    with reading(store.engine) as conn:
        name = conn.execute(query).scalar()
    return None if name is None else str(name)
