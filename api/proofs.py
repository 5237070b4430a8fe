"""Router: proofs of delivery. The courier's phone uploads photos and signatures; the client, a
dispatcher and the courier read them; a dispatcher sets what a client's deliveries need.

Images travel as base64 in JSON (every body the API takes is JSON, checked before any route sees
it, see api/errors.py ``BodyLimit``): the phone's resized JPEG is a few hundred kB. Each reader
sees only its own: a client its deliveries, a dispatcher their cooperative's jobs, a courier the
proofs they gave; anything else is a 404, as if it did not exist.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from fastapi import APIRouter, Response

from api.deps import Client, CourierUser, Dispatcher, Svc
from api.errors import ApiError, answers, refusals, refusals_of_non_json
from api.proof_schemas import ProofOut, ProofRuleIn, ProofRuleOut, ProofsOut, ProofUploadIn
from api.services import Services
from api.settings import Settings
from dispatch import proofs
from dispatch.errors import InvalidInput, NotFound
from dispatch.projections import JobView
from dispatch.store import Store
from dispatch.store import proofs as kept
from dispatch.store.access import Principal

router = APIRouter(prefix="/v1", tags=["proofs"])

#: A proof past the retention: its reference stays and says so, its file is gone.
GONE: dict[int | str, dict[str, Any]] = {
    410: {
        "description": "The file was deleted after the retention (the reference says purged).",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
    }
}
#: What a route serving a file answers: the image as stored, or the API's refusals.
FILE_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The image, without metadata",
        "content": {t: {} for t in ("image/jpeg", "image/png", "image/webp")},
    },
    **refusals_of_non_json(404),
    **GONE,
}
_FILES: dict[str, kept.ProofFiles] = {}
#: Images are cleaned in threads of their own, as many as may decode at once (``proofs._CLEANING``):
#: an upload waiting for its turn waits here, never in the worker threads every database call of
#: every cooperative needs (attack finding 4: six slow uploads made a listing take 5 s).
_DECODING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="proof-clean")
#: Uploads one courier may have under way at once in this process; the phone sends one at a time.
MAX_UPLOADS_PER_COURIER = 2
_UPLOADING: Counter[tuple[str, str]] = Counter()  #: (cooperative, courier) -> uploads under way
#: How long an upload for a job the courier has acknowledged waits for its pickup to be recorded:
#: a phone back online sends its queued pickup on the socket and the delivery's photo over HTTP
#: at once, and the photo must not be refused for arriving a few milliseconds first.
PICKUP_GRACE_S = 2.0


def files_of(settings: Settings) -> kept.ProofFiles:
    """The proof store the operator configured (one per URL per process)."""
    if settings.proof_url not in _FILES:
        _FILES[settings.proof_url] = kept.ProofFiles(settings.proof_url)
    return _FILES[settings.proof_url]


def _now() -> datetime:
    return datetime.now(UTC)


def _decode(text: str, max_bytes: int) -> bytes:
    """The image's bytes from base64 or a data URL; a 413 before decoding when it cannot fit."""
    if text.startswith("data:"):
        head, _, text = text.partition(",")
        if not head.endswith(";base64"):
            raise InvalidInput("image", "data_url_base64")
    if len(text) * 3 // 4 > max_bytes + 3:
        raise ApiError(413, "too_large", "image_larger_than", {"limit": max_bytes}, field="image")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("image", "image_base64") from None


@router.post(
    "/courier/proofs",
    status_code=201,
    **answers(ProofOut, 201, also=refusals(404, 409, 429)),
)
async def upload_proof(body: ProofUploadIn, who: CourierUser, svc: Svc) -> dict[str, Any]:
    """A photo or a signature of a job I picked up, before the deliver act (a retake replaces it).

    Accepted only if its content is a JPEG, PNG or WebP image, within the size cap and of a
    sensible shape; it is stored re-encoded, without its metadata (EXIF, GPS, camera), under a
    random name. Before pickup it is refused (409): proof is given at the door.
    """
    max_bytes = svc.settings.proof_max_bytes
    data = _decode(body.image, max_bytes)
    mine = (who.cooperative_id, who.subject_id)
    if _UPLOADING[mine] >= MAX_UPLOADS_PER_COURIER:
        raise ApiError(429, "too_many_uploads", "uploads_being_stored", {"most": MAX_UPLOADS_PER_COURIER})
    _UPLOADING[mine] += 1
    try:
        image = await asyncio.get_running_loop().run_in_executor(_DECODING, partial(_clean, data, max_bytes))
        stored = await _keep(svc, who, body.job_id, proofs.ProofKind(body.kind), image)
    finally:
        _UPLOADING[mine] -= 1
        if _UPLOADING[mine] <= 0:
            del _UPLOADING[mine]
    return stored.to_json(file_route=proofs.COURIER_FILE_ROUTE)


async def _keep(
    svc: Services, who: Principal, job_id: str, kind: proofs.ProofKind, image: proofs.CleanImage
) -> kept.Proof:
    """Store the image; while the job is only acknowledged, wait (on the loop, no thread held)
    up to ``PICKUP_GRACE_S`` for the pickup the phone sent with it, then refuse (409)."""
    files = files_of(svc.settings)
    deadline = asyncio.get_running_loop().time() + PICKUP_GRACE_S
    while True:
        try:
            stored: kept.Proof = await svc.run(
                kept.store_image, svc.store, files, who.cooperative_id, job_id, who.subject_id, kind, image, _now()
            )
            return stored
        except proofs.NotPickedUp:
            if asyncio.get_running_loop().time() >= deadline:
                raise
            await asyncio.sleep(0.1)


def _clean(data: bytes, max_bytes: int) -> proofs.CleanImage:
    try:
        return proofs.clean_image(data, max_bytes=max_bytes)
    except proofs.TooLarge as exc:
        raise ApiError(413, "too_large", exc.why, exc.params, field="image") from None


def _file(found: kept.Proof, data: bytes | None) -> Response:
    if found.purged_at is not None:
        raise ApiError(410, "purged", "proof_purged", {"purged_on": found.purged_at.date().isoformat()})
    if data is None or found.media_type is None:
        raise NotFound("proof file", found.id)
    return Response(
        data,
        media_type=found.media_type,
        headers={"Cache-Control": "private, no-store", "Content-Disposition": f'inline; filename="proof-{found.id}"'},
    )


def _visible(store: Store, who: Principal, job_id: str) -> JobView:
    """The job exists in the caller's cooperative and, for a client, is theirs (else a 404)."""
    job = store.job(who.cooperative_id, job_id)
    if who.role == "client" and job.client_id != who.subject_id:
        raise NotFound("delivery", job_id)  # another client's delivery does not exist for this one
    return job


def _shown(store: Store, who: Principal, job: JobView) -> list[kept.Proof]:
    """The job's proofs this reader sees: a client, those of the courier who has (or had) the
    job last, so a colleague's photo from before a handover is never shown as the proof of the
    delivery (attack finding 5); a dispatcher, every one."""
    given = kept.proofs_of_job(store, who.cooperative_id, job.id)
    if who.role != "client":
        return given
    return [p for p in given if p.courier_id == job.courier_id]


def _summary(store: Store, who: Principal, job_id: str, file_route: str) -> dict[str, Any]:
    job = _visible(store, who, job_id)
    need, _ = kept.requirement_of(store, who.cooperative_id, job_id)
    return {
        "delivery_id": job_id,
        "needs": sorted(k.value for k in need.needs),
        "proofs": [p.to_json(file_route=file_route) for p in _shown(store, who, job)],
    }


def _read(svc: Services, who: Principal, job_id: str, proof_id: str) -> tuple[kept.Proof, bytes | None]:
    job = _visible(svc.store, who, job_id)
    if not any(p.id == proof_id for p in _shown(svc.store, who, job)):
        raise NotFound("proof", proof_id)
    return kept.read_file(svc.store, files_of(svc.settings), who.cooperative_id, job_id, proof_id)


@router.get("/deliveries/{delivery_id}/proof", **answers(ProofsOut, also=refusals(404)))
async def delivery_proof(delivery_id: str, who: Client, svc: Svc) -> dict[str, Any]:
    """The proof of one of my deliveries: what it needed, what was given, where each file is."""
    return await svc.run(_summary, svc.store, who, delivery_id, proofs.CLIENT_FILE_ROUTE)  # type: ignore[no-any-return]


@router.get("/deliveries/{delivery_id}/proof/{proof_id}", response_class=Response, responses=FILE_ANSWERS)
async def delivery_proof_file(delivery_id: str, proof_id: str, who: Client, svc: Svc) -> Response:
    """A photo or signature of one of my deliveries, as stored (without metadata)."""
    return _file(*await svc.run(_read, svc, who, delivery_id, proof_id))


@router.get("/jobs/{job_id}/proof", **answers(ProofsOut, also=refusals(404)))
async def job_proof(job_id: str, who: Dispatcher, svc: Svc) -> dict[str, Any]:
    """A job's proof of delivery, for the console."""
    return await svc.run(_summary, svc.store, who, job_id, proofs.CONSOLE_FILE_ROUTE)  # type: ignore[no-any-return]


@router.get("/jobs/{job_id}/proof/{proof_id}", response_class=Response, responses=FILE_ANSWERS)
async def job_proof_file(job_id: str, proof_id: str, who: Dispatcher, svc: Svc) -> Response:
    """A photo or signature of a job, for the console."""
    return _file(*await svc.run(_read, svc, who, job_id, proof_id))


@router.get(
    "/courier/proofs/{proof_id}",
    response_class=Response,
    responses=FILE_ANSWERS,
)
async def my_proof_file(proof_id: str, who: CourierUser, svc: Svc) -> Response:
    """A photo or signature I gave (my data export lists them with this route)."""

    def read() -> tuple[kept.Proof, bytes | None]:
        mine = [p for p in kept.proofs_of_courier(svc.store, who.cooperative_id, who.subject_id) if p.id == proof_id]
        if not mine:
            raise NotFound("proof", proof_id)
        return kept.read_file(svc.store, files_of(svc.settings), who.cooperative_id, mine[0].job_id, proof_id)

    return _file(*await svc.run(read))


@router.get("/clients/{client_id}/proof-rule", **answers(ProofRuleOut, also=refusals(404)))
async def client_proof_rule(client_id: str, who: Dispatcher, svc: Svc) -> dict[str, Any]:
    """What this client's deliveries need at the door unless a request says otherwise."""
    await svc.run(svc.store.client, who.cooperative_id, client_id)
    needs = await svc.run(kept.client_rule, svc.store, who.cooperative_id, client_id)
    return {"client_id": client_id, "needs": sorted(k.value for k in needs)}


@router.post("/clients/{client_id}/proof-rule", **answers(ProofRuleOut, also=refusals(404)))
async def set_client_proof_rule(client_id: str, body: ProofRuleIn, who: Dispatcher, svc: Svc) -> dict[str, Any]:
    """Set it (an empty list: no proof unless a request asks); deliveries already asked keep theirs."""
    needs = proofs.parse_needs(body.needs)
    await svc.run(kept.set_client_rule, svc.store, who.cooperative_id, client_id, needs)
    return {"client_id": client_id, "needs": sorted(k.value for k in needs)}


def purge(store: Store, settings: Settings, now: datetime) -> int:
    """Delete the proof files past the operator's retention (the app runs it every hour)."""
    return kept.purge(store, files_of(settings), now=now, retention=timedelta(days=settings.proof_retention_days))
