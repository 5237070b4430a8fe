"""Proof of delivery: what a job needs, what a photo or a signature may be, and how long it is kept.

A client asks for proof per request (``dropoff.proof``: photo, signature, name, code) or the
cooperative sets it per client; at drop-off the courier's phone gives it and the deliver act is
refused, with the reason, while something asked for is missing. Photos and signatures are files
(see :mod:`dispatch.store.proofs`), never rows: the database keeps a reference and a hash.

Couriers' privacy first: an image is accepted by what its bytes are (Pillow opens and verifies
it), never by its name or declared type, and it is decoded and encoded again with no metadata at
all, so the place a phone wrote into a photo (EXIF GPS), the camera and its owner never reach the
store. The code a recipient shows is kept as a salted slow hash only, and never written to a log.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from dispatch import commands
from dispatch.errors import DomainError, InvalidInput
from dispatch.events import Event, EventType
from dispatch.lifecycle import JobState
from dispatch.store import Store
from dispatch.store.repository import hash_secret, verify_secret
from dispatch.text import check_text


class ProofKind(StrEnum):
    PHOTO = "photo"
    SIGNATURE = "signature"
    NAME = "name"  #: the recipient's name, typed by the courier
    CODE = "code"  #: the code the client gave the recipient, checked at the door


#: The kinds that are files (uploaded before the deliver act), the others come with the act.
FILE_KINDS = frozenset({ProofKind.PHOTO, ProofKind.SIGNATURE})
#: Photos and signatures are deleted this long after they were taken, unless the operator says otherwise.
DEFAULT_RETENTION = timedelta(days=90)
#: The largest upload accepted by default (a phone's resized photo is a few hundred kB).
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
#: Larger images are scaled down on the server too (the phone already sends at most 1600 px).
MAX_SIDE_PX = 2400
#: An image announcing more pixels than this is refused before it is decoded (a decompression
#: bomb). 16 MP holds a phone's full photo (12 MP) and the phone page sends 2 MP; 40 MP let six
#: small uploads at once take 2.3 GB (the outside attack).
MAX_PIXELS = 16_000_000
#: Images decoded at once in this process: each may take a few hundred MB while it is cleaned.
_CLEANING = threading.BoundedSemaphore(2)
#: Wrong codes a job accepts before the deliver act stops checking them (a dispatcher then decides).
MAX_CODE_ATTEMPTS = 10
#: Where a client reads the proof of its delivery; the ``delivery.delivered`` webhook names it.
CLIENT_ROUTE = "/v1/deliveries/{job_id}/proof"
#: Where each reader fetches one file: the client, a dispatcher (the console), the courier (export).
CLIENT_FILE_ROUTE = "/v1/deliveries/{job_id}/proof/{proof_id}"
CONSOLE_ROUTE = "/v1/jobs/{job_id}/proof"
CONSOLE_FILE_ROUTE = "/v1/jobs/{job_id}/proof/{proof_id}"
COURIER_FILE_ROUTE = "/v1/courier/proofs/{proof_id}"

_CODE = re.compile(r"[A-Za-z0-9-]{4,32}")
#: Pillow's format name -> (media type, file extension). Nothing else is ever stored.
_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}


class ProofMissing(InvalidInput):
    """The deliver act lacks a proof the job asks for (nothing was written)."""

    code = "proof_missing"

    def __init__(self, reason: str) -> None:
        super().__init__("proof", reason)


class TooLarge(DomainError):
    """An upload above the operator's size cap (the API answers 413)."""

    code = "too_large"


@dataclass(frozen=True)
class Requirement:
    """What one job needs at drop-off; ``code_hash`` only when the client gave a code."""

    needs: frozenset[ProofKind]
    code_hash: str | None = None

    @property
    def empty(self) -> bool:
        return not self.needs


NO_PROOF = Requirement(frozenset())


def parse_needs(values: Iterable[str]) -> frozenset[ProofKind]:
    """The kinds of proof named in a request or a client's setting; an unknown one is refused."""
    needs: set[ProofKind] = set()
    for value in values:
        try:
            needs.add(ProofKind(value))
        except ValueError:
            raise InvalidInput("proof", f"{value!r} is not a proof: photo, signature, name or code") from None
    return frozenset(needs)


def needs_text(needs: Iterable[ProofKind]) -> str:
    """The stored form of a set of kinds: sorted, comma-separated."""
    return ",".join(sorted(k.value for k in needs))


def needs_from_text(text: str) -> frozenset[ProofKind]:
    return parse_needs(t for t in text.split(",") if t)


def check_code(code: str) -> str:
    """A code the client gives for the recipient: 4 to 32 letters, digits or dashes."""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise InvalidInput("dropoff.code_required", "a code is 4 to 32 letters, digits or dashes")
    return code


def requirement(needs: frozenset[ProofKind], code: str | None) -> Requirement:
    """A request's requirement: a code implies the ``code`` proof and the ``code`` proof needs one.

    The code is hashed here (scrypt, salted, as passwords are) and the code itself goes no further.
    """
    if code is None:
        if ProofKind.CODE in needs:
            raise InvalidInput("dropoff.code_required", "a code proof needs the code the recipient will show")
        return Requirement(needs)
    return Requirement(needs | {ProofKind.CODE}, hash_secret(check_code(code)))


def recipient_name(name: object) -> str:
    """The recipient's name as typed: plain text, 1 to 100 characters."""
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise InvalidInput("recipient_name", "the recipient's name is 1 to 100 characters")
    return check_text("recipient_name", name.strip())


def missing(needs: frozenset[ProofKind], given: Iterable[ProofKind]) -> str | None:
    """Why the deliver act must wait, in words, or None when every proof asked for is there."""
    absent = sorted(needs - set(given))
    if not absent:
        return None
    words = {
        ProofKind.PHOTO: "a photo",
        ProofKind.SIGNATURE: "the recipient's signature",
        ProofKind.NAME: "the recipient's name",
        ProofKind.CODE: "the recipient's code",
    }
    return "this delivery needs " + " and ".join(words[k] for k in absent) + " before it is marked delivered"


@dataclass(frozen=True)
class CleanImage:
    """An image re-encoded without metadata, as it is stored."""

    data: bytes
    media_type: str
    extension: str
    sha256: str
    width: int
    height: int


def clean_image(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> CleanImage:
    """Accept a JPEG, PNG or WebP by its content, and return it without any metadata.

    The pixels are decoded and encoded again, so nothing of the original file survives but the
    picture: no EXIF (place, time, camera, serial number), XMP, ICC profile or comment. A photo
    taken sideways is turned upright first (the EXIF orientation), since that tag goes too.
    """
    if len(data) > max_bytes:
        raise TooLarge(f"the image is {len(data)} bytes; at most {max_bytes} are accepted")
    try:
        with Image.open(io.BytesIO(data), formats=list(_FORMATS)) as probe:
            # a phone's JPEG often holds a second picture (MPO): the first one is the photo
            fmt = "JPEG" if probe.format == "MPO" else str(probe.format)
            if probe.width * probe.height > MAX_PIXELS:
                raise InvalidInput("image", f"the image has more than {MAX_PIXELS} pixels")
            probe.verify()
        with _CLEANING, Image.open(io.BytesIO(data), formats=[fmt]) as image:
            # a JPEG decodes straight at a fraction of its size when it is to be scaled down
            image.draft(image.mode, (MAX_SIDE_PX, MAX_SIDE_PX))
            image.load()
            upright = ImageOps.exif_transpose(image)
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidInput("image", "not a JPEG, PNG or WebP image (judged by its content, not its name)") from None
    return _encode(upright, fmt)


def _encode(image: Image.Image, fmt: str) -> CleanImage:
    """The picture alone, in its own format: a fresh image with an empty ``info`` carries nothing."""
    if max(image.size) > MAX_SIDE_PX:
        image = image.copy()
        image.thumbnail((MAX_SIDE_PX, MAX_SIDE_PX))
    if fmt == "JPEG":
        image = image.convert("L" if image.mode in ("1", "L") else "RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    bare = Image.new(image.mode, image.size)
    bare.paste(image)
    bare.info = {}
    out = io.BytesIO()
    options: dict[str, object] = {"quality": 88} if fmt in ("JPEG", "WEBP") else {"optimize": True}
    bare.save(out, format=fmt, **options)
    data = out.getvalue()
    media_type, extension = _FORMATS[fmt]
    return CleanImage(data, media_type, extension, hashlib.sha256(data).hexdigest(), bare.width, bare.height)


@dataclass(frozen=True)
class Given:
    """What the courier gives with the deliver act itself (files are uploaded before it)."""

    recipient_name: str | None = None
    code: str | None = None


def deliver(
    store: Store,
    coop_id: str,
    job_id: str,
    *,
    courier_id: str,
    at: datetime,
    given: Given = Given(),
    carried_m: float = 0.0,
    key: str | None = None,
) -> Event:
    """The deliver act with its proof: refused with the reason while a proof asked for is missing.

    A resend of an act already recorded (same message id) answers with the event recorded, before
    any check: the phone's queue may send it again after the proof's name or code was kept.
    """
    if key is not None:
        earlier = store.keyed_event(coop_id, f"courier:{courier_id}:{key}")
        if earlier is not None and earlier[0].type is EventType.DELIVERED and earlier[0].job_id == job_id:
            return earlier[0]
    job = store.job(coop_id, job_id)
    summary = None
    if job.courier_id == courier_id and job.state is JobState.PICKED_UP:  # else the act's own refusal
        summary = _check_and_keep(store, coop_id, job_id, courier_id, given, at)
    return commands.deliver(
        store, coop_id, job_id, courier_id=courier_id, at=at, carried_m=carried_m, key=key, proof=summary
    )


def _check_and_keep(
    store: Store, coop_id: str, job_id: str, courier_id: str, given: Given, at: datetime
) -> dict[str, Any] | None:
    """Check the proofs against the job's requirement, keep the name and the code's check, and
    return what the ``Delivered`` event says of them (kinds and the client's route; no content)."""
    from dispatch.store import proofs as kept  # the store's module builds on this one's nouns

    need, wrong_codes = kept.requirement_of(store, coop_id, job_id)
    files = {p.kind for p in kept.proofs_of_job(store, coop_id, job_id) if p.kind in FILE_KINDS and p.ref}
    facts: dict[ProofKind, str | None] = {}
    if given.recipient_name is not None:
        facts[ProofKind.NAME] = recipient_name(given.recipient_name)
    if ProofKind.CODE in need.needs and given.code is not None and need.code_hash is not None:
        if wrong_codes >= MAX_CODE_ATTEMPTS:
            raise ProofMissing(f"{MAX_CODE_ATTEMPTS} wrong codes were tried: a dispatcher must decide")
        if not isinstance(given.code, str) or not _CODE.fullmatch(given.code):
            raise ProofMissing("the recipient's code is 4 to 32 letters, digits or dashes")
        if not verify_secret(given.code, need.code_hash):
            kept.count_wrong_code(store, coop_id, job_id)
            raise ProofMissing("the recipient's code does not match the one the client gave")
        facts[ProofKind.CODE] = None
    reason = missing(need.needs, files | facts.keys())
    if reason is not None:
        raise ProofMissing(reason)
    kept.record_facts(store, coop_id, job_id, courier_id, facts, at)
    kinds = files | facts.keys()
    if not kinds:
        return None
    return {"kinds": sorted(k.value for k in kinds), "url": CLIENT_ROUTE.format(job_id=job_id)}
