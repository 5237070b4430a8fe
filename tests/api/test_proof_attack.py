"""The outside attack's findings on proof of delivery, mended (items 4, 5, 6, 9 and 10).

Through the real app on SQLite: an image of a degenerate shape is refused before it is decoded;
uploads waiting to be decoded leave the worker threads every request needs free, and a courier
has at most two under way; a photo before pickup is refused and a colleague's photo never names
itself as the proof of a delivery; a refused deliver act writes no proof; wrong codes in parallel
stop at the limit; parallel uploads of one job leave one photo.
"""

from __future__ import annotations

import io
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import insert

from api import proofs as proof_routes
from dispatch import commands, proofs
from dispatch.errors import DomainError
from dispatch.proofs import Given, ProofKind, ProofMissing
from dispatch.store import proofs as kept
from dispatch.store.schema import ProofRow
from tests.api.harness import delivery_body
from tests.api.test_proofs import Door, b64, door, gps_jpeg, stored_files

__all__ = ["door"]  # the fixture, shared with tests/api/test_proofs.py


def png(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("L", size, 255).save(out, format="PNG", optimize=True)
    return out.getvalue()


def acknowledged(door: Door, courier: str = "Aino", dropoff: dict[str, Any] | None = None) -> str:
    """A job in ``courier``'s hands, acknowledged and not yet picked up."""
    body = delivery_body()
    body["dropoff"].update(dropoff or {})
    r = door.client.post("/v1/deliveries", json=body, headers=door.headers["client"])
    assert r.status_code == 201, r.text
    job_id = str(r.json()["id"])
    who = door.world.couriers[courier][0]
    now = datetime.now(UTC)
    commands.override(door.store, door.world.coop_id, job_id, who, dispatcher_id="d", at=now)
    commands.acknowledge(door.store, door.world.coop_id, job_id, courier_id=who, at=now)
    return job_id


def test_a_degenerate_image_is_refused_before_it_is_decoded(door: Door) -> None:
    job = door.job()
    for size, said in (((12_000, 1), "at most 10000 px"), ((2_100, 100), "20 to 1"), ((1, 900), "20 to 1")):
        r = door.upload(job, b64(png(size), "image/png"))
        assert r.status_code == 422, (size, r.text)
        assert r.json()["error"]["field"] == "image" and said in r.json()["error"]["message"], r.text
    assert stored_files(door.proof_dir) == []
    # a signature's shape (wide, but not a line) is still taken
    assert door.upload(job, b64(png((900, 150)), "image/png"), kind="signature").status_code == 201


def _in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    thread.start()
    return thread, out


def test_uploads_waiting_to_be_decoded_leave_the_shared_threads_free(door: Door) -> None:
    """Two decodes under way (the test holds both slots), two uploads waiting for one: a listing
    by a dispatcher still answers at once, though the app's worker pool has only two threads
    (before, each waiting upload held one, and the listing waited for the decodes); a third
    upload by the same courier is refused with 429 and the reason."""
    job = door.job()
    loop_pool = ThreadPoolExecutor(max_workers=2)
    portal = door.client.portal
    assert portal is not None

    def small_pool() -> None:
        import asyncio

        asyncio.get_running_loop().set_default_executor(loop_pool)

    portal.call(small_pool)
    slots = proofs._CLEANING
    assert slots.acquire(timeout=5) and slots.acquire(timeout=5)
    held = 2
    try:
        photos = [b64(gps_jpeg((64 + i, 48))) for i in range(2)]
        waiting = [_in_thread(partial(door.upload, job, photo)) for photo in photos]
        time.sleep(0.5)  # both reach the decoding queue (in a worker thread, before the mending)
        listing, answers = _in_thread(lambda: door.client.get("/v1/couriers", headers=door.headers["dispatcher"]))
        listing.join(timeout=5)
        assert answers and answers[0].status_code == 200, "a listing waited for uploads to be decoded"
        mine = (door.world.coop_id, door.world.couriers["Aino"][0])
        deadline = time.monotonic() + 10
        while proof_routes._UPLOADING[mine] < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        third = door.upload(job, b64(gps_jpeg((80, 60))))
        assert third.status_code == 429 and third.json()["error"]["code"] == "too_many_uploads", third.text
        assert "still being stored" in third.json()["error"]["message"]
        slots.release()
        slots.release()
        held = 0
        for thread, out in waiting:
            thread.join(timeout=30)
            assert out and out[0].status_code == 201, out
    finally:
        for _ in range(held):
            slots.release()
        loop_pool.shutdown(wait=False)
    # the two uploads were a photo and its retake: one photo stays
    assert len(stored_files(door.proof_dir)) == 1


def test_a_photo_before_pickup_is_refused_and_a_colleagues_never_counts(
    door: Door, monkeypatch: pytest.MonkeyPatch
) -> None:
    early = acknowledged(door, dropoff={"proof": ["photo"]})
    # a phone back online sends its pickup and the photo at once: the photo waits for the pickup
    racing, answer = _in_thread(partial(door.upload, early, b64(gps_jpeg())))
    time.sleep(0.3)
    aino = door.world.couriers["Aino"][0]
    commands.pick_up(door.store, door.world.coop_id, early, courier_id=aino, at=datetime.now(UTC))
    racing.join(timeout=10)
    assert answer and answer[0].status_code == 201, answer
    monkeypatch.setattr(proof_routes, "PICKUP_GRACE_S", 0.3)
    before = acknowledged(door, dropoff={"proof": ["photo"]})
    r = door.upload(before, b64(gps_jpeg()))
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_picked_up", r.text
    assert "after the parcel is picked up" in r.json()["error"]["message"]
    assert not [p for p in stored_files(door.proof_dir) if before in str(p)]
    # a photo Veera gave of a job Aino now holds (as before a handover) proves nothing of Aino's delivery
    veera = door.world.couriers["Veera"][0]
    job = door.job({"proof": ["photo"]})
    free = door.job()
    with door.store.engine.begin() as conn:
        for of in (job, free):
            conn.execute(
                insert(ProofRow).values(
                    id=str(uuid.uuid4()),
                    cooperative_id=door.world.coop_id,
                    job_id=of,
                    courier_id=veera,
                    kind="photo",
                    ref=f"{door.world.coop_id}/{of}/veera.jpg",
                    sha256="0" * 64,
                    media_type="image/jpeg",
                    size=10,
                    created_at=datetime.now(UTC),
                )
            )
    refused = door.deliver(job)
    assert refused["type"] == "error" and refused["code"] == "proof_missing" and "a photo" in refused["message"]
    assert door.deliver(free)["type"] == "result"
    delivered = door.store.events(door.world.coop_id)[-1]
    assert delivered.type.value == "Delivered" and "proof" not in delivered.payload, delivered.payload
    # nor does the client see it as the proof of its delivery (the console still sees what was given)
    shop = door.client.get(f"/v1/deliveries/{free}/proof", headers=door.headers["client"]).json()
    assert shop["proofs"] == [], shop
    desk = door.client.get(f"/v1/jobs/{free}/proof", headers=door.headers["dispatcher"]).json()
    [veeras] = desk["proofs"]
    hidden = door.client.get(f"/v1/deliveries/{free}/proof/{veeras['id']}", headers=door.headers["client"])
    assert hidden.status_code == 404


def test_a_refused_deliver_act_writes_no_proof(door: Door) -> None:
    job = door.job({"proof": ["name"], "code_required": "ABCD-1"})
    refused = door.deliver(job, recipient_name="Mallory2", code="ABCD-1", carried_m="x")
    assert refused["type"] == "error" and refused["code"] == "invalid_input", refused
    summary = door.client.get(f"/v1/deliveries/{job}/proof", headers=door.headers["client"]).json()
    assert summary["proofs"] == [], summary
    assert kept.requirement_of(door.store, door.world.coop_id, job)[1] == 0  # a right code is no wrong try
    assert door.deliver(job, recipient_name="Liisa", code="ABCD-1")["type"] == "result"
    summary = door.client.get(f"/v1/deliveries/{job}/proof", headers=door.headers["client"]).json()
    given = {p["kind"]: p["recipient_name"] for p in summary["proofs"]}
    assert given == {"name": "Liisa", "code": None}  # the name and the code checked, of the accepted act


def _deliver_race(door: Door, job: str, givens: list[Given]) -> list[Any]:
    aino = door.world.couriers["Aino"][0]
    start = threading.Barrier(len(givens))

    def act(given: Given) -> Any:
        start.wait()
        try:
            return proofs.deliver(
                door.store, door.world.coop_id, job, courier_id=aino, at=datetime.now(UTC), given=given
            )
        except DomainError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=len(givens)) as pool:
        return list(pool.map(act, givens))


def test_of_two_deliver_acts_at_once_only_the_accepted_ones_name_is_kept(door: Door) -> None:
    for _ in range(3):
        job = door.job({"proof": ["name"]})
        outcomes = _deliver_race(door, job, [Given(recipient_name="Alice"), Given(recipient_name="Mallory")])
        accepted = [n for n, o in zip(("Alice", "Mallory"), outcomes, strict=True) if not isinstance(o, Exception)]
        assert len(accepted) == 1, outcomes
        [name] = [p.text for p in kept.proofs_of_job(door.store, door.world.coop_id, job)]
        assert name == accepted[0]


def test_wrong_codes_in_parallel_stop_at_the_limit(door: Door) -> None:
    job = door.job({"code_required": "7319-K"})
    outcomes = _deliver_race(door, job, [Given(code=f"WRONG-{i}") for i in range(16)])
    assert all(isinstance(o, ProofMissing) for o in outcomes), outcomes
    checked = [o for o in outcomes if "does not match" in str(o)]
    assert len(checked) == proofs.MAX_CODE_ATTEMPTS, [str(o) for o in outcomes]
    assert kept.requirement_of(door.store, door.world.coop_id, job)[1] == proofs.MAX_CODE_ATTEMPTS
    assert "dispatcher must decide" in door.deliver(job, code="7319-K")["message"]


def test_parallel_uploads_of_one_job_leave_one_photo(door: Door) -> None:
    job = door.job()
    aino = door.world.couriers["Aino"][0]
    files = proof_routes.files_of(door.client.app.state.services.settings)  # type: ignore[attr-defined]
    images = [proofs.clean_image(gps_jpeg((64 + i, 48))) for i in range(8)]
    start = threading.Barrier(len(images))

    def upload(image: proofs.CleanImage) -> kept.Proof:
        start.wait()
        return kept.store_image(
            door.store, files, door.world.coop_id, job, aino, ProofKind.PHOTO, image, datetime.now(UTC)
        )

    with ThreadPoolExecutor(max_workers=len(images)) as pool:
        stored = list(pool.map(upload, images))
    [row] = kept.proofs_of_job(door.store, door.world.coop_id, job)
    [path] = stored_files(door.proof_dir)
    assert row.ref is not None and str(path).endswith(row.ref)
    assert row.id in {s.id for s in stored}  # the last one stored stays
