"""The tables. SQLAlchemy models live here and nowhere else (ARCHITECTURE.md section 7).

Every row belongs to exactly one cooperative. No table has a column that rates, scores, ranks
or measures the acceptance of a courier: tests/dispatch/test_schema.py walks every column.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ID = String(36)
#: Event sequence numbers, 64-bit: a cooperative's log may pass 2^31 events, and a client may ask
#: for ``after_seq`` past it (an int4 column made that a database error). SQLite's INTEGER is
#: 64-bit already, and stays INTEGER there.
SEQ = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, datetime: DateTime(timezone=True)}


class CooperativeRow(Base):
    __tablename__ = "cooperatives"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    #: What members type at login instead of the id (``velo-lille``): unique on the server.
    short_name: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    #: The city whose streets the cooperative serves: the default city or one imported by name
    #: (for a cooperative older than cities per cooperative, the city its server was started with).
    city: Mapped[str] = mapped_column(String(300))
    timezone: Mapped[str] = mapped_column(String(64))
    heavy_threshold_kg: Mapped[float] = mapped_column(Float)
    fairness_weight: Mapped[float] = mapped_column(Float)
    settings: Mapped[dict[str, Any]]
    last_seq: Mapped[int] = mapped_column(SEQ, default=0)  #: the event sequence counter
    created_at: Mapped[datetime]


class ClientRow(Base):
    __tablename__ = "clients"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    solidarity: Mapped[bool] = mapped_column(Boolean, default=False)
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)  #: SHA-256 of the key, never the key
    api_key_prefix: Mapped[str] = mapped_column(String(16))  #: shown to humans to tell keys apart
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class CourierRow(Base):
    __tablename__ = "couriers"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(60))
    contact: Mapped[str] = mapped_column(String(100), default="")
    vehicle_kind: Mapped[str] = mapped_column(String(20))
    payload_kg: Mapped[float] = mapped_column(Float)
    volume_l: Mapped[float] = mapped_column(Float)
    max_length_cm: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    login: Mapped[str | None] = mapped_column(String(60))  #: set when the courier gets a phone login
    secret_hash: Mapped[str | None] = mapped_column(String(200))  #: scrypt, salted


class MemberRow(Base):
    """Dispatchers and analysts."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("cooperative_id", "login"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    display_name: Mapped[str] = mapped_column(String(60))
    login: Mapped[str] = mapped_column(String(60))
    secret_hash: Mapped[str] = mapped_column(String(200))  #: scrypt, salted
    created_at: Mapped[datetime]


class EventRow(Base):
    """The append-only log. Rows are inserted, never updated or deleted."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("cooperative_id", "idempotency_key"),)
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(SEQ, primary_key=True)
    id: Mapped[str] = mapped_column(ID, unique=True)
    at: Mapped[datetime]
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]]
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))


class JobRow(Base):
    """Projection: a job's current state (rebuilt from the log by dispatch.projections.fold)."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_coop_state", "cooperative_id", "state"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"))
    client_id: Mapped[str] = mapped_column(ID, index=True)
    state: Mapped[str] = mapped_column(String(20))
    courier_id: Mapped[str | None] = mapped_column(ID, index=True)
    view: Mapped[dict[str, Any]]
    last_seq: Mapped[int] = mapped_column(SEQ)


class CourierStatusRow(Base):
    """Projection: whether a courier is on shift and which jobs they have in hand."""

    __tablename__ = "courier_status"
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), primary_key=True)
    courier_id: Mapped[str] = mapped_column(ID, primary_key=True)
    view: Mapped[dict[str, Any]]


class LedgerRow(Base):
    """Projection: the fairness ledger, per courier per day."""

    __tablename__ = "ledger"
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), primary_key=True)
    courier_id: Mapped[str] = mapped_column(ID, primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    shift_minutes: Mapped[float] = mapped_column(Float)
    planned_shift_minutes: Mapped[float] = mapped_column(Float)
    worked_minutes: Mapped[float] = mapped_column(Float)
    kg_km: Mapped[float] = mapped_column(Float)
    heavy_jobs: Mapped[int] = mapped_column(Integer)
    heavy_kg: Mapped[float] = mapped_column(Float)


class SessionRow(Base):
    """A login token of a dispatcher, analyst or courier. Only its SHA-256 is kept; revocable."""

    __tablename__ = "sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(ID, index=True)  #: the member's or courier's id
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class WebhookRow(Base):
    """A URL a client wants events POSTed to; the secret signs them (it must be readable to sign)."""

    __tablename__ = "webhooks"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class WebhookDeliveryRow(Base):
    """One event owed to one webhook, with every attempt made to deliver it."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_seq"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id"), index=True)
    event_seq: Mapped[int] = mapped_column(SEQ)
    event_type: Mapped[str] = mapped_column(String(40))
    body: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20))  #: pending, delivered, gave_up
    attempts: Mapped[dict[str, Any]]  #: {"log": [{at, status_code, error, seconds}]}
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]  #: a worker holds it until then (several API workers)


class WebhookCursorRow(Base):
    """How far each cooperative's log has been turned into webhook deliveries."""

    __tablename__ = "webhook_cursors"
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(SEQ)


class InstanceSecretRow(Base):
    """Secrets of this installation shared by every API worker (e.g. the tracking-link key)."""

    __tablename__ = "instance_secrets"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class CourierPositionRow(Base):
    """A position a courier chose to share while a job was in hand; deleted after the retention."""

    __tablename__ = "courier_positions"
    __table_args__ = (Index("ix_courier_positions_at", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    courier_id: Mapped[str] = mapped_column(ID, index=True)
    job_id: Mapped[str] = mapped_column(ID)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime]


class ProofRow(Base):
    """A proof of delivery: a reference to a file (photo, signature) and its hash, or a fact
    (the recipient's name, a code checked). The file itself is never a row; after the retention
    the file is deleted, the name forgotten, and the row says when (``purged_at``)."""

    __tablename__ = "proofs"
    __table_args__ = (Index("ix_proofs_job", "cooperative_id", "job_id"), Index("ix_proofs_created_at", "created_at"))
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"))
    job_id: Mapped[str] = mapped_column(ID)
    courier_id: Mapped[str] = mapped_column(ID, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str | None] = mapped_column(String(300))  #: the file's key in the proof store
    sha256: Mapped[str | None] = mapped_column(String(64))
    media_type: Mapped[str | None] = mapped_column(String(40))
    size: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(String(100))  #: the recipient's name
    created_at: Mapped[datetime]
    purged_at: Mapped[datetime | None]


class ProofRequirementRow(Base):
    """What one job needs at drop-off; the client's code only as a salted scrypt hash."""

    __tablename__ = "proof_requirements"
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), primary_key=True)
    job_id: Mapped[str] = mapped_column(ID, primary_key=True)
    needs: Mapped[str] = mapped_column(String(60))
    code_hash: Mapped[str | None] = mapped_column(String(200))
    code_attempts: Mapped[int] = mapped_column(Integer, default=0)


class ProofRuleRow(Base):
    """What a client's deliveries need when a request does not say (a cooperative's setting)."""

    __tablename__ = "proof_rules"
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), primary_key=True)
    needs: Mapped[str] = mapped_column(String(60))


class PlanningLeaseRow(Base):
    """Who plans a cooperative now (one planner in the whole deployment at a time, issue 16) and
    what its last round saw and made, for the planners and API workers that did not run it."""

    __tablename__ = "planning_leases"
    cooperative_id: Mapped[str] = mapped_column(ForeignKey("cooperatives.id"), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(120))  #: the planner holding the lease, None: free
    expires_at: Mapped[datetime | None]  #: the lease is anyone's after this (its owner died)
    planned_seq: Mapped[int] = mapped_column(SEQ, default=0)  #: the log as the last round read it
    asked: Mapped[int] = mapped_column(Integer, default=0)  #: rounds asked by APIs without a planner
    answered: Mapped[int] = mapped_column(Integer, default=0)  #: ``asked`` as the last round read it
    outcome: Mapped[dict[str, Any] | None]  #: the last round's routes, for the console of any worker
