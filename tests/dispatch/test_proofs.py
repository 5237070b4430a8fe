"""Proof of delivery in the domain and the store: what an image may be, what a job needs, the purge.

Runs on SQLite, and on PostgreSQL when DATABASE_URL names one (the ``coop`` fixture).
"""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from dispatch import commands, proofs
from dispatch.errors import IllegalTransition, InvalidInput
from dispatch.proofs import Given, ProofKind, ProofMissing, TooLarge, clean_image
from dispatch.store import proofs as kept
from tests.dispatch.conftest import Coop, a_request, at

ORIENTATION = 0x0112
GPS_IFD = 0x8825


def _bytes(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def _exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (60.0, 10.0, 5.0), 3: "E", 4: (24.0, 56.0, 1.0)})
    return exif


def test_webp_and_png_lose_every_metadata_chunk() -> None:
    picture = Image.linear_gradient("L").convert("RGB")
    webp = _bytes(picture, "WEBP", exif=_exif_with_gps().tobytes(), quality=80)
    assert Image.open(io.BytesIO(webp)).getexif().get_ifd(GPS_IFD)
    clean = clean_image(webp)
    assert clean.media_type == "image/webp" and clean.extension == "webp"
    assert not Image.open(io.BytesIO(clean.data)).getexif() and b"TestCam" not in clean.data

    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Aino at home, Kalliontie 3")
    text.add_itxt("GPS", "60.1710 24.9414")
    png = _bytes(picture.convert("RGBA"), "PNG", pnginfo=text, exif=_exif_with_gps().tobytes())
    clean = clean_image(png)
    stored = Image.open(io.BytesIO(clean.data))
    assert stored.format == "PNG" and stored.mode == "RGBA"
    assert not stored.info.get("Author") and not stored.getexif()
    assert b"Kalliontie" not in clean.data and b"60.1710" not in clean.data and b"eXIf" not in clean.data


def test_a_photo_taken_sideways_is_stored_upright_since_its_orientation_tag_goes() -> None:
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # the camera was turned: rotate 90 degrees to view
    sideways = _bytes(Image.new("RGB", (400, 200), "white"), "JPEG", exif=exif.tobytes())
    stored = Image.open(io.BytesIO(clean_image(sideways).data))
    assert stored.size == (200, 400) and ORIENTATION not in stored.getexif()


def test_what_is_not_an_image_or_too_big_is_refused_before_decoding() -> None:
    for data in (b"%PDF-1.7 not a photo", b"GIF89a" + b"\x00" * 100, b"<svg xmlns='http://www.w3.org/2000/svg'/>"):
        with pytest.raises(InvalidInput, match="by its content"):
            clean_image(data)
    bomb = _bytes(Image.new("1", (8000, 6000)), "PNG")  # tiny on disk, 48 million pixels
    assert len(bomb) < 100_000
    with pytest.raises(InvalidInput, match="pixels"):
        clean_image(bomb)
    with pytest.raises(TooLarge):
        clean_image(b"\xff\xd8" + b"\x00" * 2000, max_bytes=1000)
    large = clean_image(_bytes(Image.new("RGB", (4000, 1000), "navy"), "JPEG"))
    assert (large.width, large.height) == (proofs.MAX_SIDE_PX, 600)
    # The outside attack: a 620 kB JPEG of 6300 x 6300 (39.7 MP) took ~400 MB to clean.
    wide = _bytes(Image.new("1", (6300, 6300)), "PNG")
    with pytest.raises(InvalidInput, match="pixels"):
        clean_image(wide)
    phone = clean_image(_bytes(Image.new("RGB", (4000, 3000), "teal"), "JPEG"))  # a 12 MP photo
    assert (phone.width, phone.height) == (proofs.MAX_SIDE_PX, 1800)


def test_a_code_is_hashed_and_a_code_proof_needs_one() -> None:
    need = proofs.requirement(frozenset({ProofKind.PHOTO}), "ab-1234")
    assert need.needs == {ProofKind.PHOTO, ProofKind.CODE}
    assert need.code_hash is not None and "ab-1234" not in need.code_hash
    with pytest.raises(InvalidInput, match="code"):
        proofs.requirement(frozenset({ProofKind.CODE}), None)
    with pytest.raises(InvalidInput):
        proofs.requirement(frozenset(), "no spaces allowed")
    with pytest.raises(InvalidInput, match="not a proof"):
        proofs.parse_needs(["photo", "fingerprint"])


def test_the_file_store_takes_any_fsspec_url() -> None:
    """An operator's bucket goes through the same code as the data directory: here fsspec's memory."""
    files = kept.ProofFiles(f"memory://tandem-{uuid.uuid4().hex[:8]}/proofs")
    files.put("coop/job/a.jpg", b"pixels")
    assert files.exists("coop/job/a.jpg") and files.get("coop/job/a.jpg") == b"pixels"
    files.delete("coop/job/a.jpg")
    assert not files.exists("coop/job/a.jpg")
    with pytest.raises(InvalidInput):
        files.put("../outside.jpg", b"x")


def _picked_up(coop: Coop, needs: frozenset[ProofKind], code: str | None = None) -> str:
    store = coop.store
    job = commands.request_job(store, coop.id, coop.client, a_request(), at=at(0)).id
    kept.require(store, coop.id, job, proofs.requirement(needs, code), coop.client)
    commands.override(store, coop.id, job, coop.bike, dispatcher_id="d", at=at(1))
    commands.acknowledge(store, coop.id, job, courier_id=coop.bike, at=at(2))
    commands.pick_up(store, coop.id, job, courier_id=coop.bike, at=at(3))
    return job


def test_the_deliver_act_is_refused_until_the_proof_is_there(coop: Coop, tmp_path: Path) -> None:
    files = kept.ProofFiles(str(tmp_path))
    job = _picked_up(coop, frozenset({ProofKind.SIGNATURE, ProofKind.NAME}))
    with pytest.raises(ProofMissing, match="recipient's name and the recipient's signature"):
        proofs.deliver(coop.store, coop.id, job, courier_id=coop.bike, at=at(10))
    signature = clean_image(_bytes(Image.new("RGBA", (300, 100)), "PNG"))
    first = kept.store_image(coop.store, files, coop.id, job, coop.bike, ProofKind.SIGNATURE, signature, at(9))
    retake = clean_image(_bytes(Image.new("RGBA", (300, 100), (0, 0, 0, 255)), "PNG"))
    second = kept.store_image(coop.store, files, coop.id, job, coop.bike, ProofKind.SIGNATURE, retake, at(9))
    assert first.id != second.id and not files.exists(str(first.ref)) and files.exists(str(second.ref))
    with pytest.raises(InvalidInput, match="recipient_name"):
        proofs.deliver(coop.store, coop.id, job, courier_id=coop.bike, at=at(10), given=Given(recipient_name=" "))
    event = proofs.deliver(
        coop.store, coop.id, job, courier_id=coop.bike, at=at(10), given=Given(recipient_name="Liisa"), key="m1"
    )
    assert event.payload["proof"]["kinds"] == ["name", "signature"]
    # the phone's queue resends the act: the same event, nothing added
    again = proofs.deliver(coop.store, coop.id, job, courier_id=coop.bike, at=at(11), key="m1")
    assert again.seq == event.seq
    assert len(kept.proofs_of_job(coop.store, coop.id, job)) == 2
    # after delivery: the same image again is the proof kept, another one is refused
    same = kept.store_image(coop.store, files, coop.id, job, coop.bike, ProofKind.SIGNATURE, retake, at(12))
    assert same.id == second.id
    with pytest.raises(IllegalTransition):
        kept.store_image(coop.store, files, coop.id, job, coop.bike, ProofKind.SIGNATURE, signature, at(12))


def test_wrong_codes_are_counted_and_stop_at_the_limit(coop: Coop) -> None:
    job = _picked_up(coop, frozenset(), "4711")
    for _ in range(proofs.MAX_CODE_ATTEMPTS):
        with pytest.raises(ProofMissing, match="does not match"):
            proofs.deliver(coop.store, coop.id, job, courier_id=coop.bike, at=at(10), given=Given(code="0000"))
    with pytest.raises(ProofMissing, match="dispatcher must decide"):
        proofs.deliver(coop.store, coop.id, job, courier_id=coop.bike, at=at(10), given=Given(code="4711"))
    assert coop.store.job(coop.id, job).state.value == "picked_up"


def test_the_purge_deletes_files_and_names_past_the_retention(coop: Coop, tmp_path: Path) -> None:
    files = kept.ProofFiles(str(tmp_path))
    job = _picked_up(coop, frozenset({ProofKind.PHOTO, ProofKind.NAME}))
    photo = clean_image(_bytes(Image.new("RGB", (64, 48), "red"), "JPEG"))
    stored = kept.store_image(coop.store, files, coop.id, job, coop.bike, ProofKind.PHOTO, photo, at(5))
    proofs.deliver(coop.store, coop.id, job, courier_id=coop.bike, at=at(6), given=Given(recipient_name="Liisa"))
    retention = timedelta(days=90)
    assert kept.purge(coop.store, files, now=at(5) + timedelta(days=89), retention=retention) == 0
    assert files.exists(str(stored.ref))
    assert kept.purge(coop.store, files, now=at(7) + timedelta(days=90), retention=retention) == 2
    assert not files.exists(str(stored.ref))
    after = {p.kind: p for p in kept.proofs_of_job(coop.store, coop.id, job)}
    assert {p.status for p in after.values()} == {"purged"}
    assert after[ProofKind.NAME].text is None and after[ProofKind.PHOTO].ref is None
    assert after[ProofKind.PHOTO].sha256 == stored.sha256  # the hash stays: what was delivered can be checked
    assert kept.purge(coop.store, files, now=at(7) + timedelta(days=90), retention=retention) == 0  # once
    [purged] = [e for e in coop.store.events(coop.id) if e.type.value == "ProofsPurged"]
    assert purged.payload == {"proofs": 2, "before": at(7).isoformat()} and purged.actor.kind.value == "system"
