"""Proofs of delivery kept: files in a file store, references and hashes in the database.

Files go under the data directory by default (``<data>/proofs/<coop>/<job>/<random>.jpg``), or
to any filesystem fsspec knows when the operator sets a URL (``s3://bucket/prefix`` with s3fs
installed, for any S3-compatible bucket). A random name per file: nothing in a path says who
delivered or where. The retention (90 days by default) is enforced by :func:`purge`, which
deletes the file, forgets the recipient's name and marks the reference ``purged``.
"""

from __future__ import annotations

import secrets
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import fsspec
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from dispatch.errors import IllegalTransition, InvalidInput, NotFound
from dispatch.events import Actor, EventType, NewEvent
from dispatch.lifecycle import JobState
from dispatch.proofs import (
    DEFAULT_RETENTION,
    NO_PROOF,
    CleanImage,
    NotPickedUp,
    ProofKind,
    Requirement,
    needs_from_text,
    needs_text,
)
from dispatch.store.engine import reading
from dispatch.store.repository import Store, _utc
from dispatch.store.schema import ClientRow, JobRow, ProofRequirementRow, ProofRow, ProofRuleRow
from routing.network import data_dir


class ProofFiles:
    """Where the files go: a local folder or any fsspec URL, with the same four operations."""

    def __init__(self, url: str = "") -> None:
        self.url = url or str(data_dir() / "proofs")
        fs, root = fsspec.core.url_to_fs(self.url)
        self.fs: Any = fs
        self.root = str(root).rstrip("/")

    def _path(self, key: str) -> str:
        if ".." in key.split("/") or key.startswith("/"):
            raise InvalidInput("ref", "not_a_proof_key")
        return f"{self.root}/{key}"

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        with self.fs.open(path, "wb") as handle:
            handle.write(data)

    def get(self, key: str) -> bytes:
        with self.fs.open(self._path(key), "rb") as handle:
            return bytes(handle.read())

    def exists(self, key: str) -> bool:
        return bool(self.fs.exists(self._path(key)))

    def delete(self, key: str) -> None:
        path = self._path(key)
        if self.fs.exists(path):
            self.fs.rm(path)


@dataclass(frozen=True)
class Proof:
    """A proof's reference as the API shows it; ``status`` is ``kept`` or ``purged``."""

    id: str
    job_id: str
    courier_id: str
    kind: ProofKind
    ref: str | None
    sha256: str | None
    media_type: str | None
    size: int | None
    text: str | None
    created_at: datetime
    purged_at: datetime | None

    @property
    def status(self) -> str:
        return "purged" if self.purged_at is not None else "kept"

    def to_json(self, file_route: str | None = None) -> dict[str, Any]:
        """Never the file's key (where it is stored is the operator's business): the route that
        serves the file to this reader (``file_route``), while it is kept."""
        url = (
            None if file_route is None or self.ref is None else file_route.format(job_id=self.job_id, proof_id=self.id)
        )
        return {
            "id": self.id,
            "job_id": self.job_id,
            "url": url,
            "kind": self.kind.value,
            "status": self.status,
            "media_type": self.media_type,
            "size": self.size,
            "sha256": self.sha256,
            "recipient_name": self.text,
            "created_at": self.created_at.isoformat(),
            "purged_at": None if self.purged_at is None else self.purged_at.isoformat(),
        }


def _proof(row: Any) -> Proof:
    return Proof(
        row.id,
        row.job_id,
        row.courier_id,
        ProofKind(row.kind),
        row.ref,
        row.sha256,
        row.media_type,
        row.size,
        row.text,
        _utc(row.created_at),
        None if row.purged_at is None else _utc(row.purged_at),
    )


# ------------------------------------------------------------------ what jobs need


def set_client_rule(store: Store, coop_id: str, client_id: str, needs: frozenset[ProofKind]) -> None:
    """What this client's deliveries need unless a request says otherwise; none clears it."""
    if ProofKind.CODE in needs:
        raise InvalidInput("needs", "code_per_request")
    with store.engine.begin() as conn:
        known = conn.execute(
            select(ClientRow.id).where(ClientRow.cooperative_id == coop_id, ClientRow.id == client_id)
        ).first()
        if known is None:
            raise NotFound("client", client_id)
        conn.execute(
            delete(ProofRuleRow).where(ProofRuleRow.cooperative_id == coop_id, ProofRuleRow.client_id == client_id)
        )
        if needs:
            conn.execute(
                insert(ProofRuleRow).values(cooperative_id=coop_id, client_id=client_id, needs=needs_text(needs))
            )


def client_rule(store: Store, coop_id: str, client_id: str) -> frozenset[ProofKind]:
    with reading(store.engine) as conn:
        text = conn.execute(
            select(ProofRuleRow.needs).where(
                ProofRuleRow.cooperative_id == coop_id, ProofRuleRow.client_id == client_id
            )
        ).scalar()
    return frozenset() if text is None else needs_from_text(text)


def require(store: Store, coop_id: str, job_id: str, asked: Requirement | None, client_id: str) -> Requirement:
    """Record what a new job needs: the request's own requirement, else the client's rule."""
    need = asked if asked is not None else Requirement(client_rule(store, coop_id, client_id))
    if need.empty:
        return need
    with store.engine.begin() as conn:
        conn.execute(
            insert(ProofRequirementRow).values(
                cooperative_id=coop_id,
                job_id=job_id,
                needs=needs_text(need.needs),
                code_hash=need.code_hash,
                code_attempts=0,
            )
        )
    return need


def requirement_of(store: Store, coop_id: str, job_id: str) -> tuple[Requirement, int]:
    """A job's requirement and how many wrong codes were tried."""
    with reading(store.engine) as conn:
        row = conn.execute(
            select(ProofRequirementRow.__table__).where(
                ProofRequirementRow.cooperative_id == coop_id, ProofRequirementRow.job_id == job_id
            )
        ).first()
    if row is None:
        return NO_PROOF, 0
    return Requirement(needs_from_text(row.needs), row.code_hash), int(row.code_attempts)


def take_code_try(store: Store, coop_id: str, job_id: str, limit: int) -> bool:
    """Count a code try before it is checked, in one statement, unless ``limit`` are counted
    already (False): parallel tries cannot all read the same count and pass it."""
    with store.engine.begin() as conn:
        taken = conn.execute(
            update(ProofRequirementRow)
            .where(
                ProofRequirementRow.cooperative_id == coop_id,
                ProofRequirementRow.job_id == job_id,
                ProofRequirementRow.code_attempts < limit,
            )
            .values(code_attempts=ProofRequirementRow.code_attempts + 1)
        )
    return bool(taken.rowcount)


def give_back_code_try(store: Store, coop_id: str, job_id: str) -> None:
    """The code was right: its try does not count as a wrong one."""
    with store.engine.begin() as conn:
        conn.execute(
            update(ProofRequirementRow)
            .where(
                ProofRequirementRow.cooperative_id == coop_id,
                ProofRequirementRow.job_id == job_id,
                ProofRequirementRow.code_attempts > 0,
            )
            .values(code_attempts=ProofRequirementRow.code_attempts - 1)
        )


# ------------------------------------------------------------------ proofs given


def _proofs(store: Store, *where: Any) -> list[Proof]:
    with reading(store.engine) as conn:
        rows = conn.execute(select(ProofRow.__table__).where(*where).order_by(ProofRow.created_at, ProofRow.kind)).all()
    return [_proof(r) for r in rows]


def proofs_of_job(store: Store, coop_id: str, job_id: str) -> list[Proof]:
    return _proofs(store, ProofRow.cooperative_id == coop_id, ProofRow.job_id == job_id)


def proofs_of_courier(store: Store, coop_id: str, courier_id: str) -> list[Proof]:
    """What the courier's data export lists: every proof they gave, kept or purged."""
    return _proofs(store, ProofRow.cooperative_id == coop_id, ProofRow.courier_id == courier_id)


def proof(store: Store, coop_id: str, job_id: str, proof_id: str) -> Proof:
    found = [p for p in proofs_of_job(store, coop_id, job_id) if p.id == proof_id]
    if not found:
        raise NotFound("proof", proof_id)
    return found[0]


def _insert(conn: Connection, coop_id: str, job_id: str, courier_id: str, kind: ProofKind, **values: Any) -> str:
    proof_id = str(uuid.uuid4())
    conn.execute(
        insert(ProofRow).values(
            id=proof_id, cooperative_id=coop_id, job_id=job_id, courier_id=courier_id, kind=kind.value, **values
        )
    )
    return proof_id


def store_image(
    store: Store,
    files: ProofFiles,
    coop_id: str,
    job_id: str,
    courier_id: str,
    kind: ProofKind,
    image: CleanImage,
    at: datetime,
) -> Proof:
    """Keep a photo or signature of a job picked up by this courier; one of each kind per job.

    A second upload before the job is delivered replaces the first (a retake); after it, the same
    image again (a phone resending its queue) answers with the proof kept, anything else is refused.
    Before pickup nothing is taken (proof is given at the door). Uploads that race keep one
    image, the last one stored: each replaces, under the job's lock, what the others kept.
    """
    job = store.job(coop_id, job_id)
    if job.courier_id != courier_id:
        raise NotFound("job", job_id)
    same = [p for p in _mine(store, coop_id, job_id, courier_id, kind) if p.sha256 == image.sha256]
    if same:
        return same[0]
    if job.state in (JobState.ASSIGNED, JobState.ACKNOWLEDGED):
        raise NotPickedUp(job_id, job.state.value, kind.value)
    if job.state is not JobState.PICKED_UP:
        raise IllegalTransition(job_id, job.state.value, f"add_{kind.value}")
    key = f"{coop_id}/{job_id}/{secrets.token_urlsafe(16)}.{image.extension}"
    files.put(key, image.data)
    try:
        proof_id, replaced = _replace(store, coop_id, job_id, courier_id, kind, key, image, at)
    except BaseException:
        files.delete(key)
        raise
    for ref in replaced:
        files.delete(ref)
    # as stored, not read back: a retake racing this one may already have replaced it
    return Proof(
        proof_id, job_id, courier_id, kind, key, image.sha256, image.media_type, len(image.data), None, _utc(at), None
    )


def _mine(store: Store, coop_id: str, job_id: str, courier_id: str, kind: ProofKind) -> list[Proof]:
    return [
        p
        for p in proofs_of_job(store, coop_id, job_id)
        if p.kind is kind and p.courier_id == courier_id and p.purged_at is None
    ]


def _replace(
    store: Store,
    coop_id: str,
    job_id: str,
    courier_id: str,
    kind: ProofKind,
    key: str,
    image: CleanImage,
    at: datetime,
) -> tuple[str, list[str]]:
    """Insert the new image's row in place of the courier's earlier ones of that kind, in one
    transaction that holds the job's row (PostgreSQL; SQLite's writers hold the file): the
    earlier rows are read under that lock, so two uploads never both find none. Returns the new
    row's id and the files it replaced; the job must still be picked up by this courier."""
    mine = (
        ProofRow.cooperative_id == coop_id,
        ProofRow.job_id == job_id,
        ProofRow.courier_id == courier_id,
        ProofRow.kind == kind.value,
        ProofRow.purged_at.is_(None),
    )
    with store.engine.begin() as conn:
        held = conn.execute(
            select(JobRow.state, JobRow.courier_id)
            .where(JobRow.cooperative_id == coop_id, JobRow.id == job_id)
            .with_for_update()
        ).first()
        if held is None or held.courier_id != courier_id or held.state != JobState.PICKED_UP.value:
            raise IllegalTransition(job_id, "not_yours_now", f"add_{kind.value}")
        earlier = conn.execute(select(ProofRow.id, ProofRow.ref).where(*mine)).all()
        conn.execute(delete(ProofRow).where(ProofRow.id.in_([r.id for r in earlier])))
        proof_id = _insert(
            conn,
            coop_id,
            job_id,
            courier_id,
            kind,
            ref=key,
            sha256=image.sha256,
            media_type=image.media_type,
            size=len(image.data),
            created_at=at,
        )
    return proof_id, [r.ref for r in earlier if r.ref]


def record_facts(
    store: Store, coop_id: str, job_id: str, courier_id: str, facts: dict[ProofKind, str | None], at: datetime
) -> None:
    """The proofs given with the deliver act (a name, a code checked), replacing earlier tries."""
    if not facts:
        return
    with store.engine.begin() as conn:
        write_facts(conn, coop_id, job_id, courier_id, facts, at)


def write_facts(
    conn: Connection, coop_id: str, job_id: str, courier_id: str, facts: dict[ProofKind, str | None], at: datetime
) -> None:
    """:func:`record_facts` in the caller's transaction: the deliver act's own
    (:func:`dispatch.proofs.deliver`), so the act is never kept without them."""
    conn.execute(
        delete(ProofRow).where(
            ProofRow.cooperative_id == coop_id,
            ProofRow.job_id == job_id,
            ProofRow.kind.in_([k.value for k in facts]),
        )
    )
    for kind, text in facts.items():
        _insert(conn, coop_id, job_id, courier_id, kind, text=text, created_at=at)


def read_file(store: Store, files: ProofFiles, coop_id: str, job_id: str, proof_id: str) -> tuple[Proof, bytes | None]:
    """A proof and its file's bytes (None for a name, a code, or a purged file)."""
    found = proof(store, coop_id, job_id, proof_id)
    if found.ref is None:
        return found, None
    return found, files.get(found.ref)


def purge(
    store: Store,
    files: ProofFiles,
    *,
    now: datetime,
    retention: timedelta = DEFAULT_RETENTION,
    actor: Actor | None = None,
) -> int:
    """Delete every proof file older than the retention and forget the names; returns how many.

    The file goes first and the row says ``purged`` after: a crash in between leaves a reference
    to a file already gone, which the next purge marks, never a file nobody points to. Each
    cooperative's log records the purge (``ProofsPurged``: how many, taken before when).
    """
    before = now - retention
    with reading(store.engine) as conn:
        rows = conn.execute(
            select(ProofRow.id, ProofRow.ref, ProofRow.cooperative_id).where(
                ProofRow.purged_at.is_(None), ProofRow.created_at < before
            )
        ).all()
    for row in rows:
        if row.ref:
            files.delete(row.ref)
    if rows:
        with store.engine.begin() as conn:
            conn.execute(
                update(ProofRow).where(ProofRow.id.in_([r.id for r in rows])).values(ref=None, text=None, purged_at=now)
            )
    for coop_id, count in Counter(r.cooperative_id for r in rows).items():
        store.append(
            NewEvent(
                cooperative_id=coop_id,
                at=now,
                actor=actor or Actor.system(),
                type=EventType.PROOFS_PURGED,
                payload={"proofs": count, "before": before.isoformat()},
            )
        )
    return len(rows)
