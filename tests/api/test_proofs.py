"""Proof of delivery through the real app (HTTP and the courier's socket), on SQLite and PostgreSQL.

A JPEG with GPS EXIF is stored without it; a text file named .jpg and a too-large image are
refused; the deliver act waits for the proof the client asked for; the client reads it, another
cooperative's client gets a 404; the webhook names it; the purge deletes it after the retention.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.settings import Settings
from dispatch import commands
from dispatch.store import Store
from dispatch.store import proofs as kept
from dispatch.store import webhooks as hooks
from tests.api.harness import World, delivery_body, make_world
from tests.api.test_http import role_headers
from tests.dispatch.conftest import fresh_url

GPS_IFD = 0x8825
MAX_BYTES = 400_000


def gps_jpeg(size: tuple[int, int] = (640, 480), quality: int = 85) -> bytes:
    """A photo as a phone writes it: GPS position, camera make and model, a comment."""
    image = Image.effect_mandelbrot(size, (-2.0, -1.2, 1.0, 1.2), 60).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    exif[0x0110] = "Pocket 9000"  # Model
    exif[0xA431] = "SN-4242"  # BodySerialNumber (in the Exif IFD; here in IFD0 is enough to be seen)
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (60.0, 10.0, 5.0), 3: "E", 4: (24.0, 56.0, 1.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, exif=exif.tobytes(), comment=b"taken at home")
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD), "the test photo must carry GPS"
    return data


def b64(data: bytes, media: str = "image/jpeg") -> str:
    return f"data:{media};base64,{base64.b64encode(data).decode()}"


@dataclass
class Door:
    """A running app with one job in Aino's hands (picked up), and every role logged in."""

    client: TestClient
    world: World
    store: Store
    headers: dict[str, dict[str, str]]
    proof_dir: Path

    def job(self, dropoff: dict[str, Any] | None = None) -> str:
        body = delivery_body()
        body["dropoff"].update(dropoff or {})
        r = self.client.post("/v1/deliveries", json=body, headers=self.headers["client"])
        assert r.status_code == 201, r.text
        job_id = str(r.json()["id"])
        aino = self.world.couriers["Aino"][0]
        now = datetime.now(UTC)
        commands.override(self.store, self.world.coop_id, job_id, aino, dispatcher_id="d", at=now)
        commands.acknowledge(self.store, self.world.coop_id, job_id, courier_id=aino, at=now)
        commands.pick_up(self.store, self.world.coop_id, job_id, courier_id=aino, at=now)
        return job_id

    def upload(self, job_id: str, image: str, kind: str = "photo") -> Any:
        return self.client.post(
            "/v1/courier/proofs", json={"job_id": job_id, "kind": kind, "image": image}, headers=self.headers["courier"]
        )

    def deliver(self, job_id: str, **data: Any) -> dict[str, Any]:
        """The deliver act over the courier's socket, as the phone sends it; the answer frame."""
        token = self.headers["courier"]["Authorization"].removeprefix("Bearer ")
        act_id = str(uuid.uuid4())
        with self.client.websocket_connect("/v1/courier/ws") as ws:
            ws.send_json({"type": "hello", "token": token, "last_seq": 10**9})
            assert ws.receive_json()["type"] == "welcome"
            ws.send_json({"type": "delivered", "id": act_id, "data": {"job_id": job_id, **data}})
            while True:
                frame = ws.receive_json()
                if frame.get("id") == act_id and frame["type"] in ("result", "error"):
                    return dict(frame)


@pytest.fixture(params=["sqlite", "postgresql"])
def door(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Door]:
    for url in fresh_url(request.param, tmp_path, "tandem_proofs"):
        world = make_world(url)
        store = Store.open(url)
        settings = Settings(
            database_url=url,
            redis_url=None,
            auto_plan=False,
            proof_url=str(tmp_path / "proofs"),
            proof_max_bytes=MAX_BYTES,
        )
        with TestClient(create_app(settings)) as client:
            yield Door(client, world, store, role_headers(client, world, store), tmp_path / "proofs")
        store.close()


def stored_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_a_photo_with_gps_is_stored_without_any_metadata(door: Door) -> None:
    job = door.job()
    original = gps_jpeg()
    r = door.upload(job, b64(original))
    assert r.status_code == 201, r.text
    answer = r.json()
    assert answer["kind"] == "photo" and answer["media_type"] == "image/jpeg" and answer["status"] == "kept"
    [path] = stored_files(door.proof_dir)
    data = path.read_bytes()
    assert job in str(path) and path.suffix == ".jpg"  # a path by job id and a random name
    assert answer["sha256"] == hashlib.sha256(data).hexdigest()
    stored = Image.open(io.BytesIO(data))
    assert stored.format == "JPEG" and stored.size == (640, 480)
    assert not stored.getexif(), "EXIF survived"
    assert b"Exif" not in data and b"TestCam" not in data and b"taken at home" not in data
    assert "comment" not in stored.info and "icc_profile" not in stored.info
    # the database holds a reference and a hash, never the image
    [row] = kept.proofs_of_job(door.store, door.world.coop_id, job)
    assert row.ref is not None and row.ref.endswith(".jpg") and row.size == len(data)


def test_an_image_is_judged_by_its_content_and_its_size(door: Door) -> None:
    job = door.job()
    text_as_jpg = b"this is a text file named photo.jpg\n" * 20
    r = door.upload(job, b64(text_as_jpg))
    assert r.status_code == 422 and r.json()["error"]["field"] == "image", r.text
    assert "by its content" in r.json()["error"]["message"]
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    assert door.upload(job, b64(gif.getvalue(), "image/jpeg")).status_code == 422  # a GIF said to be a JPEG
    noise = Image.frombytes("RGB", (700, 700), random.Random(7).randbytes(700 * 700 * 3))
    out = io.BytesIO()
    noise.save(out, format="JPEG", quality=95)
    big = out.getvalue()
    assert len(big) > MAX_BYTES
    r = door.upload(job, b64(big))
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large", r.text
    assert door.upload(job, "not base64 at all!").status_code == 422
    assert stored_files(door.proof_dir) == []  # nothing refused was kept


def test_the_deliver_act_waits_for_the_proof_the_client_asked_for(door: Door) -> None:
    job = door.job({"proof": ["photo", "signature", "name"]})
    refused = door.deliver(job)
    assert refused["type"] == "error" and refused["code"] == "proof_missing"
    assert "a photo" in refused["message"] and "signature" in refused["message"] and "name" in refused["message"]
    assert door.store.job(door.world.coop_id, job).state.value == "picked_up"
    assert door.upload(job, b64(gps_jpeg())).status_code == 201
    signature = io.BytesIO()
    Image.new("RGBA", (300, 120), (255, 255, 255, 0)).save(signature, format="PNG")
    assert door.upload(job, b64(signature.getvalue(), "image/png"), kind="signature").status_code == 201
    refused = door.deliver(job)
    assert refused["type"] == "error" and "name" in refused["message"] and "photo" not in refused["message"]
    done = door.deliver(job, recipient_name="Liisa Virtanen")
    assert done["type"] == "result", done
    delivered = door.store.events(door.world.coop_id)[-1]
    assert delivered.type.value == "Delivered"
    assert delivered.payload["proof"] == {"kinds": ["name", "photo", "signature"], "url": f"/v1/deliveries/{job}/proof"}
    # a retake after delivery is refused; the same image again (a phone's queue resent) is not
    assert door.upload(job, b64(gps_jpeg((320, 240)))).status_code == 409


def test_a_code_is_checked_and_kept_only_as_a_hash(door: Door) -> None:
    job = door.job({"code_required": "7319-K"})
    for table_text in (json.dumps([e.payload for e in door.store.events(door.world.coop_id)]),):
        assert "7319-K" not in table_text  # not in the log
    need, _ = kept.requirement_of(door.store, door.world.coop_id, job)
    assert need.code_hash is not None and "7319-K" not in need.code_hash
    assert door.deliver(job)["code"] == "proof_missing"
    wrong = door.deliver(job, code="0000")
    assert wrong["code"] == "proof_missing" and "does not match" in wrong["message"] and "0000" not in wrong["message"]
    assert door.deliver(job, code="7319-K")["type"] == "result"
    # a code proof without a code is refused at the request, with the reason
    body = delivery_body()
    body["dropoff"]["proof"] = ["code"]
    r = door.client.post("/v1/deliveries", json=body, headers=door.headers["client"])
    assert r.status_code == 422 and r.json()["error"]["field"] == "dropoff.code_required"


def test_the_client_reads_the_proof_another_cooperative_cannot(door: Door) -> None:
    job = door.job({"proof": ["photo"]})
    photo = door.upload(job, b64(gps_jpeg())).json()
    assert door.deliver(job)["type"] == "result"
    shop = door.headers["client"]
    summary = door.client.get(f"/v1/deliveries/{job}/proof", headers=shop)
    assert summary.status_code == 200, summary.text
    assert summary.json()["needs"] == ["photo"]
    [item] = summary.json()["proofs"]
    assert item["url"] == f"/v1/deliveries/{job}/proof/{photo['id']}"
    image = door.client.get(item["url"], headers=shop)
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.headers["cache-control"] == "private, no-store"
    assert not Image.open(io.BytesIO(image.content)).getexif()
    # the console sees it too, and the courier's data export lists it
    desk = door.headers["dispatcher"]
    console = door.client.get(f"/v1/jobs/{job}/proof", headers=desk).json()
    assert door.client.get(console["proofs"][0]["url"], headers=desk).content == image.content
    export = door.client.get("/v1/courier/me/export", headers=door.headers["courier"]).json()
    [mine] = export["proofs"]
    assert door.client.get(mine["url"], headers=door.headers["courier"]).content == image.content
    # another cooperative's client: as if it did not exist
    other = make_world(str(door.store.engine.url.render_as_string(hide_password=False)), name="Muu Osuuskunta")
    stranger = {"Authorization": f"Bearer {other.client_key}"}
    assert door.client.get(f"/v1/deliveries/{job}/proof", headers=stranger).status_code == 404
    assert door.client.get(item["url"], headers=stranger).status_code == 404
    # the courier's route is the courier's: a dispatcher reads through the console's
    assert door.client.get(f"/v1/courier/proofs/{photo['id']}", headers=door.headers["dispatcher"]).status_code == 403


def test_the_webhook_names_the_proof_by_its_route(door: Door) -> None:
    job = door.job({"proof": ["name"]})
    client_id = door.store.job(door.world.coop_id, job).client_id
    hooks.register(door.store, door.world.coop_id, client_id, "http://127.0.0.1:9/hook", allow_http=True)
    assert door.deliver(job, recipient_name="Liisa")["type"] == "result"
    hooks.enqueue_from_log(door.store, door.world.coop_id)
    bodies = [d["body"] for d in hooks.deliveries_of(door.store, door.world.coop_id, client_id)]
    [delivered] = [b for b in bodies if b["type"] == "delivery.delivered"]
    assert delivered["data"]["proof"] == {"kinds": ["name"], "url": f"/v1/deliveries/{job}/proof"}
    assert "Liisa" not in json.dumps(bodies)  # the name is read through the route, not pushed


def test_a_client_rule_applies_when_a_request_does_not_say(door: Door) -> None:
    client_id = door.store.client_by_api_key(door.world.client_key).id  # type: ignore[union-attr]
    desk = door.headers["dispatcher"]
    r = door.client.post(f"/v1/clients/{client_id}/proof-rule", json={"needs": ["signature"]}, headers=desk)
    assert r.status_code == 200 and r.json()["needs"] == ["signature"]
    assert door.client.get(f"/v1/clients/{client_id}/proof-rule", headers=desk).json()["needs"] == ["signature"]
    ruled = door.job()
    assert "signature" in door.deliver(ruled)["message"]
    asked = door.job({"proof": []})  # the request says: nothing
    assert door.deliver(asked)["type"] == "result"


def test_the_purge_deletes_proofs_past_the_retention(door: Door) -> None:
    job = door.job({"proof": ["photo", "name"]})
    assert door.upload(job, b64(gps_jpeg())).status_code == 201
    assert door.deliver(job, recipient_name="Liisa")["type"] == "result"
    [photo_file] = stored_files(door.proof_dir)
    files = kept.ProofFiles(str(door.proof_dir))
    now = datetime.now(UTC)
    assert kept.purge(door.store, files, now=now + timedelta(days=89)) == 0
    assert photo_file.exists()
    # the operator's command, on the same database and folder, 91 days later
    runner = CliRunner()
    url = door.store.engine.url.render_as_string(hide_password=False)
    result = runner.invoke(
        cli,
        ["admin", "purge-proofs", "--database", url, "--now", (now + timedelta(days=91)).isoformat(), "--json"],
        env={"TANDEM_PROOF_URL": str(door.proof_dir)},
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["purged"] == 2
    assert not photo_file.exists()
    [purged] = [e for e in door.store.events(door.world.coop_id) if e.type.value == "ProofsPurged"]
    assert purged.payload["proofs"] == 2 and purged.actor.kind.value == "admin"  # the operator, on record
    summary = door.client.get(f"/v1/deliveries/{job}/proof", headers=door.headers["client"]).json()
    assert {p["kind"]: p["status"] for p in summary["proofs"]} == {"photo": "purged", "name": "purged"}
    assert all(p["url"] is None and p["recipient_name"] is None for p in summary["proofs"])
    photo_id = next(p["id"] for p in summary["proofs"] if p["kind"] == "photo")
    gone = door.client.get(f"/v1/deliveries/{job}/proof/{photo_id}", headers=door.headers["client"])
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "purged"
