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
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageOps, UnidentifiedImageError

from dispatch import commands
from dispatch.errors import DomainError, IllegalTransition, InvalidInput
from dispatch.events import Event, EventType
from dispatch.lifecycle import JobState
from dispatch.store import Store
from dispatch.store.repository import hash_secret, verify_secret
from dispatch.text import check_text

if TYPE_CHECKING:
    from sqlalchemy import Connection


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
#: A side longer than this, or sides further apart than ``MAX_ASPECT`` to 1, is refused before it is
#: decoded: a 1 x 16,000,000 PNG is under the pixel cap yet took 565 MB and 3 s to clean (the
#: outside attack); no photo of a door or signature on a phone is shaped like that.
MAX_SIDE_IN_PX = 10_000
MAX_ASPECT = 20
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

    def __init__(self, why: str, /, **params: Any) -> None:
        super().__init__("proof", why, **params)


class NotPickedUp(IllegalTransition):
    """A photo or signature for a job not yet picked up: proof is given at the door, after pickup,
    by the courier who holds the parcel (attack finding 5: a photo taken while a job was only
    acknowledged was named as the proof of the colleague who delivered it)."""

    code = "not_picked_up"

    def __init__(self, job_id: object, state: str, kind: str) -> None:
        super().__init__(job_id, state, f"add_{kind}")
        self.why = "proof_after_pickup"


class TooLarge(DomainError):
    """An upload above the operator's size cap (the API answers 413)."""

    code = "too_large"
    field = "image"


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
            raise InvalidInput("proof", "not_a_proof", value=str(value)) from None
    return frozenset(needs)


def needs_text(needs: Iterable[ProofKind]) -> str:
    """The stored form of a set of kinds: sorted, comma-separated."""
    return ",".join(sorted(k.value for k in needs))


def needs_from_text(text: str) -> frozenset[ProofKind]:
    return parse_needs(t for t in text.split(",") if t)


def check_code(code: str) -> str:
    """A code the client gives for the recipient: 4 to 32 letters, digits or dashes."""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise InvalidInput("dropoff.code_required", "code_shape")
    return code


def requirement(needs: frozenset[ProofKind], code: str | None) -> Requirement:
    """A request's requirement: a code implies the ``code`` proof and the ``code`` proof needs one.

    The code is hashed here (scrypt, salted, as passwords are) and the code itself goes no further.
    """
    if code is None:
        if ProofKind.CODE in needs:
            raise InvalidInput("dropoff.code_required", "code_needed")
        return Requirement(needs)
    return Requirement(needs | {ProofKind.CODE}, hash_secret(check_code(code)))


def recipient_name(name: object) -> str:
    """The recipient's name as typed: plain text, 1 to 100 characters."""
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise InvalidInput("recipient_name", "recipient_name_length")
    return check_text("recipient_name", name.strip())


def missing(needs: frozenset[ProofKind], given: Iterable[ProofKind]) -> list[str]:
    """The proofs asked for that the deliver act lacks (none: it may go ahead)."""
    return [k.value for k in sorted(needs - set(given))]


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
        raise TooLarge("image_too_large", size=len(data), most=max_bytes)
    try:
        with Image.open(io.BytesIO(data), formats=list(_FORMATS)) as probe:
            # a phone's JPEG often holds a second picture (MPO): the first one is the photo
            fmt = "JPEG" if probe.format == "MPO" else str(probe.format)
            check_shape(probe.width, probe.height)
            probe.verify()
        with _CLEANING, Image.open(io.BytesIO(data), formats=[fmt]) as image:
            # a JPEG decodes straight at a fraction of its size when it is to be scaled down
            image.draft(image.mode, (MAX_SIDE_PX, MAX_SIDE_PX))
            image.load()
            upright = ImageOps.exif_transpose(image)
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidInput("image", "not_an_image") from None
    return _encode(upright, fmt)


def check_shape(width: int, height: int) -> None:
    """Refuse, before decoding, an image whose size or shape no proof needs (a decompression bomb)."""
    if width * height > MAX_PIXELS:
        raise InvalidInput("image", "too_many_pixels", most=MAX_PIXELS)
    if max(width, height) > MAX_SIDE_IN_PX:
        raise InvalidInput("image", "side_too_long", width=width, height=height, most=MAX_SIDE_IN_PX)
    if width < 1 or height < 1 or max(width, height) > MAX_ASPECT * min(width, height):
        raise InvalidInput("image", "too_narrow", width=width, height=height, most=MAX_ASPECT)


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

    Nothing is written for a refused act (attack finding 6): the proofs are checked first, the
    act is appended (or refused by the job's state, its distance, a colleague's act that came
    first), and only the accepted act's name and code check are kept, in the act's own
    transaction (a process stopping in between cannot leave a ``Delivered`` naming proofs with
    no row). A wrong code is the one thing a refusal counts, so that codes cannot be guessed. A
    resend of an act already recorded (same message id) answers with the event recorded, and
    keeps its name and code check if they were not kept yet (acts recorded before the facts
    shared its transaction).
    """
    if key is not None:
        earlier = store.keyed_event(coop_id, f"courier:{courier_id}:{key}")
        if earlier is not None and earlier[0].type is EventType.DELIVERED and earlier[0].job_id == job_id:
            _keep_resent(store, coop_id, earlier[0], given)
            return earlier[0]
    job = store.job(coop_id, job_id)
    checked: Checked | None = None
    if job.courier_id == courier_id and job.state is JobState.PICKED_UP:  # else the act's own refusal
        checked = _check(store, coop_id, job_id, courier_id, given)
    facts = {} if checked is None else checked.facts

    def keep_facts(conn: Connection, event: Event) -> None:
        from dispatch.store import proofs as kept  # the store's module builds on this one's nouns

        kept.write_facts(conn, coop_id, job_id, courier_id, facts, at)

    return commands.deliver(
        store,
        coop_id,
        job_id,
        courier_id=courier_id,
        at=at,
        carried_m=carried_m,
        key=key,
        proof=None if checked is None else checked.summary,
        also=keep_facts if facts else None,  # in the act's transaction: never the act without them
    )


@dataclass(frozen=True)
class Checked:
    """What a deliver act gave, checked and not yet kept: the facts to keep once the act is
    accepted, and what the ``Delivered`` event says of the proofs (kinds and the client's route)."""

    facts: dict[ProofKind, str | None]
    summary: dict[str, Any] | None


def _check(store: Store, coop_id: str, job_id: str, courier_id: str, given: Given) -> Checked:
    """Check the proofs against the job's requirement, writing nothing but a wrong code's count.

    Only the files the delivering courier gave count (attack finding 5): a colleague's photo of
    the job, taken before a handover, proves nothing about this delivery.
    """
    from dispatch.store import proofs as kept

    need = kept.requirement_of(store, coop_id, job_id)[0]
    files = {
        p.kind
        for p in kept.proofs_of_job(store, coop_id, job_id)
        if p.kind in FILE_KINDS and p.ref and p.courier_id == courier_id
    }
    facts: dict[ProofKind, str | None] = {}
    if given.recipient_name is not None:
        facts[ProofKind.NAME] = recipient_name(given.recipient_name)
    if ProofKind.CODE in need.needs and given.code is not None and need.code_hash is not None:
        _check_code(store, coop_id, job_id, given.code, need.code_hash)
        facts[ProofKind.CODE] = None
    absent = missing(need.needs, files | facts.keys())
    if absent:
        raise ProofMissing("proofs_needed", proofs=absent)
    kinds = files | facts.keys()
    if not kinds:
        return Checked(facts, None)
    return Checked(facts, {"kinds": sorted(k.value for k in kinds), "url": CLIENT_ROUTE.format(job_id=job_id)})


def _check_code(store: Store, coop_id: str, job_id: str, code: object, code_hash: str) -> None:
    """Check the recipient's code, at most ``MAX_CODE_ATTEMPTS`` wrong ones per job.

    A try is taken from the job's count atomically before the slow check and given back when the
    code is right (attack finding 9: acts checked in parallel each read the count before any
    raised it, and 15 codes were tried against a limit of 10).
    """
    from dispatch.store import proofs as kept

    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise ProofMissing("code_shape")
    if not kept.take_code_try(store, coop_id, job_id, MAX_CODE_ATTEMPTS):
        raise ProofMissing("too_many_codes", most=MAX_CODE_ATTEMPTS)
    if not verify_secret(code, code_hash):
        raise ProofMissing("wrong_code")
    kept.give_back_code_try(store, coop_id, job_id)


def _keep_resent(store: Store, coop_id: str, event: Event, given: Given) -> None:
    """A resent deliver act whose name or code check was not kept (recorded before they shared
    the act's transaction, and the process stopped in between): keep them now, as the accepted
    act said they were given. The code was checked when the act was accepted; its row says so
    (it never holds the code)."""
    from dispatch.store import proofs as kept

    said = set((event.payload.get("proof") or {}).get("kinds", ()))
    courier_id, job_id = str(event.payload.get("courier_id")), str(event.job_id)
    facts: dict[ProofKind, str | None] = {}
    if given.recipient_name is not None and ProofKind.NAME.value in said:
        facts[ProofKind.NAME] = recipient_name(given.recipient_name)
    if ProofKind.CODE.value in said:
        facts[ProofKind.CODE] = None
    held = {p.kind for p in kept.proofs_of_job(store, coop_id, job_id)}
    missing = {kind: text for kind, text in facts.items() if kind not in held}
    kept.record_facts(store, coop_id, job_id, courier_id, missing, event.at)
