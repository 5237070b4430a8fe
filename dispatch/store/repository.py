"""The store: the append-only log, its projections, and the cooperative's people.

Every method takes the cooperative's id and every query filters on it: a caller of one
cooperative can neither read nor change another's rows (tests/dispatch/test_store.py).
Appending an event, checking it against the current state and updating the projection happen
in one transaction; either all of it is written or none of it.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict, Unpack
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import BindParameter

from dispatch.errors import Conflict, DomainError, IdempotencyConflict, InvalidInput, NotFound
from dispatch.events import Actor, ActorKind, Event, EventType, NewEvent
from dispatch.ledger import LedgerEntry
from dispatch.lifecycle import JobState
from dispatch.model import Client, Cooperative, Courier, Member, Role, Vehicle, VehicleKind
from dispatch.projections import CourierStatus, JobView, Projection, apply
from dispatch.store.commit import GroupCommit
from dispatch.store.cooperatives import check_short_name, free_short_name, short_name_taken
from dispatch.store.engine import make_engine, read_once, reading
from dispatch.store.schema import (
    ClientRow,
    CooperativeRow,
    CourierRow,
    CourierStatusRow,
    EventRow,
    JobRow,
    LedgerRow,
    MemberRow,
)
from routing.network import DEFAULT_CITY

_LEDGER_FIELDS = ("shift_minutes", "planned_shift_minutes", "worked_minutes", "kg_km", "heavy_jobs", "heavy_kg")

# Statements built once: building and hashing a statement for every execution cost more CPU
# than SQLite took to run it. Parameters named ``b_*`` fill the WHERE clauses; the others, by
# column name, the rows inserted and the columns set.
_COOP: BindParameter[str] = bindparam("b_coop")
_COURIER: BindParameter[str] = bindparam("b_courier")
_BY_KEY = select(EventRow.__table__).where(
    EventRow.cooperative_id == _COOP, EventRow.idempotency_key == bindparam("b_key")
)
_NEXT_SEQ = (
    update(CooperativeRow)
    .where(CooperativeRow.id == _COOP)
    .values(last_seq=CooperativeRow.last_seq + 1)
    .returning(CooperativeRow.last_seq, CooperativeRow.timezone, CooperativeRow.heavy_threshold_kg)
)
_COURIER_ID = select(CourierRow.id).where(CourierRow.cooperative_id == _COOP, CourierRow.id == _COURIER)
_CLIENT_ID = select(ClientRow.id).where(ClientRow.cooperative_id == _COOP, ClientRow.id == bindparam("b_client"))
_JOB_STATE = select(JobRow.view, JobRow.last_seq).where(JobRow.cooperative_id == _COOP, JobRow.id == bindparam("b_job"))
_EVENT_ACTOR = select(EventRow.type, EventRow.actor_kind, EventRow.actor_id).where(
    EventRow.cooperative_id == _COOP, EventRow.seq == bindparam("b_seq")
)
_STATUS = select(CourierStatusRow.view).where(
    CourierStatusRow.cooperative_id == _COOP, CourierStatusRow.courier_id == _COURIER
)
_LEDGER_ROW = select(LedgerRow.__table__).where(
    LedgerRow.cooperative_id == _COOP, LedgerRow.courier_id == _COURIER, LedgerRow.day == bindparam("b_day")
)
_COOPERATIVE = select(CooperativeRow.__table__).where(CooperativeRow.id == _COOP)
_LAST_SEQ = select(CooperativeRow.last_seq).where(CooperativeRow.id == _COOP)
_COURIERS = select(CourierRow.__table__).where(CourierRow.cooperative_id == _COOP).order_by(CourierRow.id)
_COURIER_ROW = select(CourierRow.__table__).where(CourierRow.cooperative_id == _COOP, CourierRow.id == _COURIER)
_CLIENT_ROW = select(ClientRow.__table__).where(
    ClientRow.cooperative_id == _COOP, ClientRow.id == bindparam("b_client")
)
_CLIENT_BY_KEY = select(ClientRow.__table__).where(
    ClientRow.api_key_hash == bindparam("b_hash"), ClientRow.revoked_at.is_(None)
)
_JOB_VIEW = select(JobRow.view).where(JobRow.cooperative_id == _COOP, JobRow.id == bindparam("b_job"))
_FIND_JOB = select(JobRow.cooperative_id, JobRow.view).where(JobRow.id == bindparam("b_job"))
_EVENTS = (
    select(EventRow.__table__)
    .where(EventRow.cooperative_id == _COOP, EventRow.seq > bindparam("b_seq"))
    .order_by(EventRow.seq)
)
_EVENTS_LIMITED = _EVENTS.limit(bindparam("b_limit"))
_INSERT_EVENT = insert(EventRow)
_INSERT_JOB = insert(JobRow)
_UPDATE_JOB = update(JobRow).where(JobRow.cooperative_id == _COOP, JobRow.id == bindparam("b_job"))
_INSERT_STATUS = insert(CourierStatusRow)
_UPDATE_STATUS = update(CourierStatusRow).where(
    CourierStatusRow.cooperative_id == _COOP, CourierStatusRow.courier_id == _COURIER
)
_INSERT_LEDGER = insert(LedgerRow)
_UPDATE_LEDGER = update(LedgerRow).where(
    LedgerRow.cooperative_id == _COOP, LedgerRow.courier_id == _COURIER, LedgerRow.day == bindparam("b_day")
)


@dataclass(frozen=True)
class Intake:
    """A cooperative's couriers, one of its clients and its settings, read together (None: no such row)."""

    couriers: list[Courier]
    client: Client | None
    cooperative: Cooperative | None


class AppendOptions(TypedDict, total=False):
    """How an append guards against repeats and races (see :meth:`Store.append`)."""

    idempotency_key: str | None
    request_hash: str | None
    expected_seq: int | None
    #: Rows that stand or fall with the event, written in its transaction once it is accepted
    #: (not for a replay): a crash can never leave the act without them, nor them without it.
    also: Callable[[Connection, Event], None] | None


@dataclass(frozen=True)
class Appended:
    """What an append did, as its transaction saw it: callers need not read it back."""

    event: Event  #: the new event, or the earlier one an idempotency key named
    job: JobView | None  #: the event's job after it (None for a replay, or an event without a job)
    replayed: bool  #: the idempotency key named an earlier event; nothing was written


def _utc(value: datetime) -> datetime:
    """SQLite hands datetimes back without a zone; everything stored is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def hash_api_key(key: str) -> str:
    """API keys are random 256-bit strings, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(key.encode()).hexdigest()


#: scrypt's cost N: 2**14 (with r=8, 16 MiB and ~40 ms a hash on one core of the reference
#: machine). ``TANDEM_SCRYPT_N`` sets it for new hashes, a power of two from 2**10 to 2**20: a
#: larger server may raise it, and the test suite lowers it, where hashing was about a fifth of
#: the suite's time (235 hashes, 9.9 s of test_http + test_week's 33 s). Each stored hash carries
#: its own N, so hashes made under another N keep verifying.
SCRYPT_N_DEFAULT = 2**14
SCRYPT_N_BOUNDS = (2**10, 2**20)


def check_scrypt_n(value: int) -> int:
    """``value`` if it is a cost this project allows (the settings check the same at start)."""
    low, high = SCRYPT_N_BOUNDS
    if not low <= value <= high or value & (value - 1):
        raise ValueError(f"must be a power of two from {low} to {high}")
    return value


def scrypt_n() -> int:
    """The N for new hashes, from ``TANDEM_SCRYPT_N``; a wrong value stops the start with a reason
    rather than storing weaker hashes than the operator meant."""
    raw = os.environ.get("TANDEM_SCRYPT_N", "").strip()
    if not raw:
        return SCRYPT_N_DEFAULT
    try:
        return check_scrypt_n(int(raw))
    except ValueError as exc:
        low, high = SCRYPT_N_BOUNDS
        raise ValueError(f"TANDEM_SCRYPT_N must be a power of two from {low} to {high}, not {raw!r}") from exc


def hash_secret(secret: str) -> str:
    """Passwords people choose need a slow, salted hash: scrypt (stdlib)."""
    salt = secrets.token_bytes(16)
    n = scrypt_n()
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=n, r=8, p=1)
    return f"scrypt${n}$8$1${salt.hex()}${digest.hex()}"


def verify_secret(secret: str, stored: str) -> bool:
    _, n, r, p, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(secret.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    return secrets.compare_digest(candidate.hex(), digest)


def _json_payload(payload: dict[str, Any]) -> dict[str, Any]:
    try:
        return json.loads(json.dumps(payload, allow_nan=False))  # type: ignore[no-any-return]
    except (TypeError, ValueError) as exc:
        raise InvalidInput("payload", "plain_json", detail=str(exc)) from None


class Store:
    """One database (SQLite or PostgreSQL) holding any number of cooperatives."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._commits = GroupCommit(engine)

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True, durable: bool = True) -> Store:
        """``durable=False`` is for scratch databases (replays): SQLite then skips the fsyncs."""
        engine = make_engine(url, durable=durable)
        if migrate:
            from dispatch.store.migrate import upgrade

            upgrade(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ cooperatives and people

    def create_cooperative(
        self,
        name: str,
        *,
        timezone: str = "Europe/Helsinki",
        heavy_threshold_kg: float = 25.0,
        fairness_weight: float = 0.5,
        settings: dict[str, Any] | None = None,
        city: str = DEFAULT_CITY,
        short_name: str | None = None,
    ) -> Cooperative:
        """A new cooperative serving ``city``; ``short_name`` checked and unique (InvalidInput
        otherwise), or derived from ``name`` and made unique when not given."""
        coop = Cooperative(
            id=str(uuid.uuid4()),
            name=name,
            timezone=timezone,
            heavy_threshold_kg=heavy_threshold_kg,
            fairness_weight=fairness_weight,
            settings=_json_payload(settings or {}),
        )
        with self.engine.begin() as conn:
            if short_name is not None and short_name_taken(conn, check_short_name(short_name)):
                raise InvalidInput("short_name", "short_name_taken", short_name=repr(short_name))
            conn.execute(
                insert(CooperativeRow).values(
                    id=coop.id,
                    name=coop.name,
                    short_name=short_name or free_short_name(conn, name),
                    city=city,
                    timezone=coop.timezone,
                    heavy_threshold_kg=coop.heavy_threshold_kg,
                    fairness_weight=coop.fairness_weight,
                    settings=coop.settings,
                    last_seq=0,
                    created_at=_now(),
                )
            )
        return coop

    def cooperative(self, coop_id: str) -> Cooperative:
        with read_once(self.engine) as conn:
            row = conn.execute(_COOPERATIVE, {"b_coop": coop_id}).first()
        if row is None:
            raise NotFound("cooperative", coop_id)
        return _cooperative(row)

    def add_courier(
        self, coop_id: str, display_name: str, vehicle: Vehicle, *, contact: str = "", courier_id: str | None = None
    ) -> Courier:
        """``courier_id``: for imports and replays that must name couriers the same way every time."""
        courier = Courier(
            id=courier_id or str(uuid.uuid4()),
            cooperative_id=coop_id,
            display_name=display_name,
            vehicle=vehicle,
            contact=contact,
        )
        self.cooperative(coop_id)
        with self.engine.begin() as conn:
            conn.execute(
                insert(CourierRow).values(
                    id=courier.id,
                    cooperative_id=coop_id,
                    display_name=display_name,
                    contact=contact,
                    vehicle_kind=vehicle.kind.value,
                    payload_kg=vehicle.payload_kg,
                    volume_l=vehicle.volume_l,
                    max_length_cm=vehicle.max_length_cm,
                    active=True,
                    created_at=_now(),
                )
            )
        return courier

    def couriers(self, coop_id: str) -> list[Courier]:
        with read_once(self.engine) as conn:
            rows = conn.execute(_COURIERS, {"b_coop": coop_id}).all()
        return [_courier(r) for r in rows]

    def courier(self, coop_id: str, courier_id: str) -> Courier:
        with read_once(self.engine) as conn:
            row = conn.execute(_COURIER_ROW, {"b_coop": coop_id, "b_courier": courier_id}).first()
        if row is None:
            raise NotFound("courier", courier_id)
        return _courier(row)

    def add_client(self, coop_id: str, name: str, *, solidarity: bool = False) -> tuple[Client, str]:
        """A client and its API key. The key is returned once and only its hash is kept."""
        client = Client(id=str(uuid.uuid4()), cooperative_id=coop_id, name=name, solidarity=solidarity)
        self.cooperative(coop_id)
        key = "tdm_" + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(
                insert(ClientRow).values(
                    id=client.id,
                    cooperative_id=coop_id,
                    name=name,
                    solidarity=solidarity,
                    api_key_hash=hash_api_key(key),
                    api_key_prefix=key[:12],
                    created_at=_now(),
                    revoked_at=None,
                )
            )
        return client, key

    def client(self, coop_id: str, client_id: str) -> Client:
        with read_once(self.engine) as conn:
            row = conn.execute(_CLIENT_ROW, {"b_coop": coop_id, "b_client": client_id}).first()
        if row is None:
            raise NotFound("client", client_id)
        return _client(row)

    def intake(self, coop_id: str, client_id: str) -> Intake:
        """What checking and pricing a client's request reads, on one connection instead of three.

        Outside a transaction (:func:`read_once`): the three reads need not share one snapshot,
        since nothing ties the couriers, the client and the cooperative's settings together and
        nothing read here is written back (the append checks what it must in its own
        transaction); the BEGIN and ROLLBACK cost a sixth of the reads on SQLite, two round
        trips on PostgreSQL.
        """
        with read_once(self.engine) as conn:
            couriers = [_courier(r) for r in conn.execute(_COURIERS, {"b_coop": coop_id})]
            client = conn.execute(_CLIENT_ROW, {"b_coop": coop_id, "b_client": client_id}).first()
            coop = conn.execute(_COOPERATIVE, {"b_coop": coop_id}).first()
        return Intake(
            couriers, None if client is None else _client(client), None if coop is None else _cooperative(coop)
        )

    def client_by_api_key(self, key: str) -> Client | None:
        """The client owning a (not revoked) API key; the key itself is never stored."""
        with read_once(self.engine) as conn:
            row = conn.execute(_CLIENT_BY_KEY, {"b_hash": hash_api_key(key)}).first()
        return None if row is None else _client(row)

    def add_member(self, coop_id: str, role: Role, display_name: str, login: str) -> tuple[Member, str]:
        """A dispatcher or analyst and a generated password, returned once (only a hash is kept).

        A login is one person's across roles: one looking like a courier's would shadow it (the
        login answers the member first) and lock the courier out (outside tester's finding 3)."""
        from dispatch.store.access import login_taken  # access builds on this module

        if login_taken(self, coop_id, login):
            raise InvalidInput("login", "login_taken", login=login)
        member = Member(id=str(uuid.uuid4()), cooperative_id=coop_id, role=role, display_name=display_name, login=login)
        self.cooperative(coop_id)
        secret = secrets.token_urlsafe(12)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(MemberRow).values(
                        id=member.id,
                        cooperative_id=coop_id,
                        role=role.value,
                        display_name=display_name,
                        login=login,
                        secret_hash=hash_secret(secret),
                        created_at=_now(),
                    )
                )
        except IntegrityError:
            raise InvalidInput("login", "login_taken", login=login) from None
        return member, secret

    # ------------------------------------------------------------------ the log

    def append(self, new: NewEvent, **options: Unpack[AppendOptions]) -> Event:
        """Append one event, checked against and folded into the projection, in one transaction.

        With an ``idempotency_key`` a repeated request returns the event it first produced
        (``request_hash`` tells a genuine retry from a different request reusing the key).
        With ``expected_seq`` the job must not have changed since the caller saw it.
        """
        return self.record(new, **options).event

    def record(
        self,
        new: NewEvent,
        *,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
        expected_seq: int | None = None,
        also: Callable[[Connection, Event], None] | None = None,
    ) -> Appended:
        """:meth:`append`, also returning the event's job as its transaction left it.

        The append runs in a group commit (dispatch/store/commit.py): it returns only once the
        event is durable, possibly in one transaction with other threads' appends.
        """
        if idempotency_key is not None and not (1 <= len(idempotency_key) <= 200):
            raise InvalidInput("idempotency_key", "key_length")
        payload = _json_payload(new.payload)
        coop_id = new.cooperative_id

        def work(conn: Connection) -> Appended:
            if idempotency_key is not None:
                earlier = self._by_key(conn, coop_id, idempotency_key, request_hash)
                if earlier is not None:
                    return Appended(earlier, None, replayed=True)
            appended = self._append(
                conn,
                new,
                payload,
                idempotency_key=idempotency_key,
                request_hash=request_hash,
                expected_seq=expected_seq,
            )
            if also is not None:
                also(conn, appended.event)
            return appended

        try:
            return self._commits.run(coop_id, work)
        except IntegrityError:
            if idempotency_key is None:
                raise
            # Two identical requests raced; the other one won. Answer as a retry would be answered.
            with reading(self.engine) as conn:
                earlier = self._by_key(conn, coop_id, idempotency_key, request_hash)
            if earlier is None:
                raise
            return Appended(earlier, None, replayed=True)

    def append_all(
        self,
        coop_id: str,
        items: list[tuple[NewEvent, int | None]],
        *,
        guard: Callable[[Connection], None] | None = None,
    ) -> list[Event | Exception]:
        """Append the cooperative's events ``(event, expected_seq)`` together, in one transaction
        where none is refused: each gives its event, or the refusal it met (a Conflict, an illegal
        transition) exactly as :meth:`append` alone would have raised it after the ones before it.
        Other errors (the database failing, ``guard`` raising) are raised.

        ``guard`` runs in the transaction after each append (a planning round's lease still its
        own, dispatch/store/leases.py): what it raises rolls the append back.
        """
        if any(new.cooperative_id != coop_id for new, _ in items):
            raise InvalidInput("cooperative_id", "one_cooperative_per_batch")

        def work(new: NewEvent, expected_seq: int | None) -> Callable[[Connection], Appended]:
            payload = _json_payload(new.payload)

            def append(conn: Connection) -> Appended:
                appended = self._append(
                    conn, new, payload, idempotency_key=None, request_hash=None, expected_seq=expected_seq
                )
                if guard is not None:
                    guard(conn)
                return appended

            return append

        outcomes = self._commits.run_many(coop_id, [work(new, seq) for new, seq in items])
        out: list[Event | Exception] = []
        for outcome in outcomes:
            if isinstance(outcome, Appended):
                out.append(outcome.event)
            elif isinstance(outcome, DomainError):
                out.append(outcome)
            else:
                raise outcome
        return out

    def keyed_event(self, coop_id: str, key: str) -> tuple[Event, str | None] | None:
        """The event stored under an idempotency key, with the hash of its request."""
        with read_once(self.engine) as conn:
            row = conn.execute(_BY_KEY, {"b_coop": coop_id, "b_key": key}).first()
        return None if row is None else (_event(row), row.request_hash)

    def _by_key(self, conn: Connection, coop_id: str, key: str, request_hash: str | None) -> Event | None:
        row = conn.execute(_BY_KEY, {"b_coop": coop_id, "b_key": key}).first()
        if row is None:
            return None
        if row.request_hash != request_hash:
            raise IdempotencyConflict(key)
        return _event(row)

    def _append(
        self,
        conn: Connection,
        new: NewEvent,
        payload: dict[str, Any],
        *,
        idempotency_key: str | None,
        request_hash: str | None,
        expected_seq: int | None,
    ) -> Appended:
        """Append one event in the caller's transaction: numbered, checked against the rows it
        touches, folded into them (:func:`dispatch.projections.apply`) and written with them."""
        coop_id = new.cooperative_id
        # Taking the next number locks the cooperative's row (PostgreSQL) or the file (SQLite):
        # appends of one cooperative are serialised, so the checks below see the latest state.
        coop = conn.execute(_NEXT_SEQ, {"b_coop": coop_id}).first()
        if coop is None:
            raise NotFound("cooperative", coop_id)
        seq = coop.last_seq
        event = Event(
            seq=seq, id=new.id, cooperative_id=coop_id, at=_utc(new.at), actor=new.actor, type=new.type, payload=payload
        )
        projection = Projection(timezone=ZoneInfo(coop.timezone), heavy_threshold_kg=coop.heavy_threshold_kg)
        self._check_references(conn, coop_id, event)
        _load_touched(conn, projection, event, expected_seq)
        loaded = _Loaded(set(projection.jobs), set(projection.couriers), set(projection.ledger))
        apply(projection, event)  # raises, and so rolls back, when the state does not allow the event
        _insert_event(conn, event, idempotency_key=idempotency_key, request_hash=request_hash)
        views = _write_back(conn, coop_id, projection, loaded)
        # The job as a later read would return it (its stored JSON), without that read.
        job_id = event.job_id
        job_view = None if job_id not in views else JobView.from_json(json.loads(json.dumps(views[job_id])))
        return Appended(event, job_view, replayed=False)

    def _check_references(self, conn: Connection, coop_id: str, event: Event) -> None:
        """Ids in a payload must name rows of the same cooperative."""
        courier_id = event.payload.get("courier_id")
        if (
            courier_id is not None
            and conn.execute(_COURIER_ID, {"b_coop": coop_id, "b_courier": str(courier_id)}).first() is None
        ):
            raise NotFound("courier", courier_id)
        if (
            event.type is EventType.JOB_REQUESTED
            and conn.execute(_CLIENT_ID, {"b_coop": coop_id, "b_client": str(event.payload["client_id"])}).first()
            is None
        ):
            raise NotFound("client", event.payload["client_id"])
        if event.actor.kind is ActorKind.COURIER and courier_id is not None and event.actor.id != courier_id:
            raise InvalidInput("courier_id", "acts_for_themself")

    def cooperative_last_seq(self, coop_id: str) -> int:
        """The sequence number of the cooperative's latest event (0 before the first)."""
        with read_once(self.engine) as conn:
            seq = conn.execute(_LAST_SEQ, {"b_coop": coop_id}).scalar()
        if seq is None:
            raise NotFound("cooperative", coop_id)
        return int(seq)

    def find_job(self, job_id: str) -> tuple[str, JobView] | None:
        """A job by its id alone (ids are UUIDs, unique across cooperatives): for tracking links."""
        with read_once(self.engine) as conn:
            row = conn.execute(_FIND_JOB, {"b_job": job_id}).first()
        return None if row is None else (row.cooperative_id, JobView.from_json(row.view))

    def events(self, coop_id: str, *, after_seq: int = 0, limit: int | None = None) -> list[Event]:
        """The log of one cooperative in sequence order, after ``after_seq``."""
        params: dict[str, Any] = {"b_coop": coop_id, "b_seq": after_seq}
        if limit is not None:
            params["b_limit"] = limit
        with read_once(self.engine) as conn:
            return [_event(row) for row in conn.execute(_EVENTS if limit is None else _EVENTS_LIMITED, params)]

    # ------------------------------------------------------------------ projections

    def job(self, coop_id: str, job_id: str) -> JobView:
        with read_once(self.engine) as conn:
            view = conn.execute(_JOB_VIEW, {"b_coop": coop_id, "b_job": job_id}).scalar()
        if view is None:
            raise NotFound("job", job_id)
        return JobView.from_json(view)

    def jobs(self, coop_id: str, states: Iterable[JobState] | None = None) -> list[JobView]:
        query = select(JobRow.view).where(JobRow.cooperative_id == coop_id).order_by(JobRow.last_seq)
        if states is not None:
            query = query.where(JobRow.state.in_([s.value for s in states]))
        with reading(self.engine) as conn:
            return [JobView.from_json(v) for v in conn.execute(query).scalars()]

    def jobs_of_client(
        self, coop_id: str, client_id: str, states: Iterable[JobState] | None = None, *, limit: int
    ) -> list[JobView]:
        """A client's jobs, the latest changed first, at most ``limit``: read with a LIMIT, so a
        small page of a cooperative with years of jobs reads a small page."""
        query = (
            select(JobRow.view)
            .where(JobRow.cooperative_id == coop_id, JobRow.client_id == client_id)
            .order_by(JobRow.last_seq.desc())
            .limit(limit)
        )
        if states is not None:
            query = query.where(JobRow.state.in_([s.value for s in states]))
        with reading(self.engine) as conn:
            return [JobView.from_json(v) for v in conn.execute(query).scalars()]

    def planning_size(self, coop_id: str) -> dict[str, int]:
        """How big a planning round of this cooperative is: jobs not yet finished, couriers on
        shift (what a watchdog logs when it has to kill a round, so that the kill says why)."""
        finished = [JobState.DELIVERED.value, JobState.FAILED.value, JobState.CANCELLED.value]
        with reading(self.engine) as conn:
            open_jobs = conn.execute(
                select(func.count())
                .select_from(JobRow)
                .where(JobRow.cooperative_id == coop_id, JobRow.state.not_in(finished))
            ).scalar_one()
        on_shift = sum(1 for s in self.courier_statuses(coop_id).values() if s.on_shift)
        return {"open_jobs": int(open_jobs), "couriers_on_shift": on_shift}

    def ledger(self, coop_id: str, day: str) -> list[LedgerEntry]:
        with reading(self.engine) as conn:
            rows = conn.execute(
                select(LedgerRow.__table__).where(LedgerRow.cooperative_id == coop_id, LedgerRow.day == day)
            ).all()
        return [
            LedgerEntry(courier_id=r.courier_id, day=r.day, **{f: getattr(r, f) for f in _LEDGER_FIELDS}) for r in rows
        ]

    def courier_statuses(self, coop_id: str) -> dict[str, CourierStatus]:
        """Each courier's shift state and jobs in hand (without loading every job)."""
        with reading(self.engine) as conn:
            views = conn.execute(
                select(CourierStatusRow.view).where(CourierStatusRow.cooperative_id == coop_id)
            ).scalars()
            return {s.courier_id: s for s in (CourierStatus.from_json(v) for v in views)}

    def ledger_of(self, coop_id: str, courier_id: str) -> list[LedgerEntry]:
        """One courier's ledger over every day (for the export of their own data)."""
        with reading(self.engine) as conn:
            rows = conn.execute(
                select(LedgerRow.__table__)
                .where(LedgerRow.cooperative_id == coop_id, LedgerRow.courier_id == courier_id)
                .order_by(LedgerRow.day)
            ).all()
        return [
            LedgerEntry(courier_id=r.courier_id, day=r.day, **{f: getattr(r, f) for f in _LEDGER_FIELDS}) for r in rows
        ]

    def projection(self, coop_id: str) -> Projection:
        """Every stored projection row of a cooperative (to compare with a fold of its log)."""
        coop = self.cooperative(coop_id)
        projection = Projection(timezone=ZoneInfo(coop.timezone), heavy_threshold_kg=coop.heavy_threshold_kg)
        with reading(self.engine) as conn:
            for view in conn.execute(select(JobRow.view).where(JobRow.cooperative_id == coop_id)).scalars():
                job = JobView.from_json(view)
                projection.jobs[job.id] = job
            for view in conn.execute(
                select(CourierStatusRow.view).where(CourierStatusRow.cooperative_id == coop_id)
            ).scalars():
                status = CourierStatus.from_json(view)
                projection.couriers[status.courier_id] = status
            for r in conn.execute(select(LedgerRow.__table__).where(LedgerRow.cooperative_id == coop_id)):
                projection.ledger[(r.courier_id, r.day)] = LedgerEntry(
                    courier_id=r.courier_id, day=r.day, **{f: getattr(r, f) for f in _LEDGER_FIELDS}
                )
        return projection


_COOPERATIVE_FIELDS = ("id", "name", "timezone", "heavy_threshold_kg", "fairness_weight", "settings")


def _cooperative(row: Any) -> Cooperative:
    return Cooperative(**{f: getattr(row, f) for f in _COOPERATIVE_FIELDS})


def _client(row: Any) -> Client:
    return Client(id=row.id, cooperative_id=row.cooperative_id, name=row.name, solidarity=row.solidarity)


def _courier(row: Any) -> Courier:
    vehicle = Vehicle(
        kind=VehicleKind(row.vehicle_kind),
        payload_kg=row.payload_kg,
        volume_l=row.volume_l,
        max_length_cm=row.max_length_cm,
    )
    return Courier(
        id=row.id,
        cooperative_id=row.cooperative_id,
        display_name=row.display_name,
        vehicle=vehicle,
        contact=row.contact,
        active=row.active,
    )


def _event(row: Any) -> Event:
    return Event(
        seq=row.seq,
        id=row.id,
        cooperative_id=row.cooperative_id,
        at=_utc(row.at),
        actor=Actor(ActorKind(row.actor_kind), row.actor_id),
        type=EventType(row.type),
        payload=row.payload,
    )


@dataclass(frozen=True)
class _Loaded:
    """The keys of the projection rows an append found stored (updated) rather than new (inserted)."""

    jobs: set[str]
    couriers: set[str]
    ledger: set[tuple[str, str]]


def _load_touched(conn: Connection, projection: Projection, event: Event, expected_seq: int | None) -> None:
    """Load into ``projection`` the rows ``event`` touches: its job (refused with a
    :class:`Conflict` when someone acted on it after ``expected_seq``), and each courier it
    concerns with their status and the day's ledger row."""
    coop_id, job_id = event.cooperative_id, event.job_id
    if job_id is not None:
        row = conn.execute(_JOB_STATE, {"b_coop": coop_id, "b_job": job_id}).first()
        if row is not None:
            projection.jobs[job_id] = JobView.from_json(row.view)
        if expected_seq is not None and row is not None and row.last_seq != expected_seq:
            last = conn.execute(_EVENT_ACTOR, {"b_coop": coop_id, "b_seq": row.last_seq}).one()
            raise Conflict(job_id, expected_seq, row.last_seq, last.type, f"{last.actor_kind} {last.actor_id}")
    couriers = {
        str(c)
        for c in (
            event.payload.get("courier_id"),
            projection.jobs[job_id].courier_id if job_id in projection.jobs else None,
        )
        if c
    }
    day = projection.day(event.at)
    for courier_id in couriers:
        status = conn.execute(_STATUS, {"b_coop": coop_id, "b_courier": courier_id}).scalar()
        if status is not None:
            projection.couriers[courier_id] = CourierStatus.from_json(status)
        entry = conn.execute(_LEDGER_ROW, {"b_coop": coop_id, "b_courier": courier_id, "b_day": day}).first()
        if entry is not None:
            projection.ledger[(courier_id, day)] = LedgerEntry(
                courier_id=courier_id, day=day, **{f: getattr(entry, f) for f in _LEDGER_FIELDS}
            )


def _insert_event(conn: Connection, event: Event, *, idempotency_key: str | None, request_hash: str | None) -> None:
    conn.execute(
        _INSERT_EVENT,
        {
            "cooperative_id": event.cooperative_id,
            "seq": event.seq,
            "id": event.id,
            "at": event.at,
            "actor_kind": event.actor.kind.value,
            "actor_id": event.actor.id,
            "type": event.type.value,
            "payload": event.payload,
            "idempotency_key": idempotency_key,
            "request_hash": request_hash,
        },
    )


def _write_back(conn: Connection, coop_id: str, projection: Projection, loaded: _Loaded) -> dict[str, dict[str, Any]]:
    """Write the folded rows back (update what was loaded, insert what is new); returns each
    job's stored JSON."""
    views: dict[str, dict[str, Any]] = {}
    for jid, job in projection.jobs.items():
        views[jid] = job.to_json()
        values = {
            "client_id": job.client_id,
            "state": job.state.value,
            "courier_id": job.courier_id,
            "view": views[jid],
            "last_seq": job.last_seq,
        }
        if jid in loaded.jobs:
            conn.execute(_UPDATE_JOB, {"b_coop": coop_id, "b_job": jid, **values})
        else:
            conn.execute(_INSERT_JOB, {"id": jid, "cooperative_id": coop_id, **values})
    for cid, status_view in projection.couriers.items():
        if cid in loaded.couriers:
            conn.execute(_UPDATE_STATUS, {"b_coop": coop_id, "b_courier": cid, "view": status_view.to_json()})
        else:
            conn.execute(_INSERT_STATUS, {"cooperative_id": coop_id, "courier_id": cid, "view": status_view.to_json()})
    for key, entry_view in projection.ledger.items():
        values = {f: getattr(entry_view, f) for f in _LEDGER_FIELDS}
        if key in loaded.ledger:
            conn.execute(_UPDATE_LEDGER, {"b_coop": coop_id, "b_courier": key[0], "b_day": key[1], **values})
        else:
            conn.execute(_INSERT_LEDGER, {"cooperative_id": coop_id, "courier_id": key[0], "day": key[1], **values})
    return views
