"""Proof of delivery on the courier's phone page, in a real browser against a real server.

The courier delivers offline with a photo (a real JPEG with GPS EXIF, chosen through the file
input), a signature drawn on the screen and the recipient's name; back online the queue uploads
the files and sends the act once. One proof is stored, without the photo's metadata; the client
reads it, the webhook names it, and the purge removes it after the retention.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from typer.testing import CliRunner

from api.cli import app as cli
from tests.api.harness import Receiver, Server, World, delivery_body, login, make_world, override
from tests.api.test_proofs import GPS_IFD, gps_jpeg
from tests.console.browser import browser, shot
from tests.console.test_courier_page import PHONE, acts_of, courier_log_in


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, World, str, Path]]:
    folder = tmp_path_factory.mktemp("proof-phone")
    url = f"sqlite:///{folder / 'tandem.db'}"
    world = make_world(url)
    proofs = folder / "proofs"
    server = Server(url, auto_plan="0", proof_url=str(proofs)).start()
    try:
        yield server, world, url, proofs
    finally:
        server.stop()


def draw_signature(page: Any) -> None:
    """A drawn path: three strokes across the signature pad, as a finger would."""
    box = page.locator("#proof-signature").bounding_box()
    x0, y0, w, h = box["x"], box["y"], box["width"], box["height"]
    for row in (0.3, 0.5, 0.7):
        page.mouse.move(x0 + w * 0.1, y0 + h * row)
        page.mouse.down()
        for step in range(1, 11):
            page.mouse.move(x0 + w * (0.1 + 0.08 * step), y0 + h * (row + (0.1 if step % 2 else -0.1)))
        page.mouse.up()


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_courier_delivers_offline_with_a_photo_a_signature_and_a_name(
    served: tuple[Server, World, str, Path], tmp_path: Path
) -> None:
    server, world, url, proofs = served
    aino = world.couriers["Aino"][0]
    shop = {"Authorization": f"Bearer {world.client_key}"}
    photo = tmp_path / "parcel.jpg"
    photo.write_bytes(gps_jpeg((2000, 1500)))
    assert Image.open(photo).getexif().get_ifd(GPS_IFD)
    receiver = Receiver()
    try:
        httpx.post(f"{server.url}/v1/webhooks", json={"url": receiver.url}, headers=shop).raise_for_status()
        body = delivery_body()
        body["dropoff"]["proof"] = ["photo", "signature", "name"]
        created = httpx.post(f"{server.url}/v1/deliveries", json=body, headers=shop, timeout=30)
        assert created.status_code == 201, created.text
        job = created.json()["id"]
        desk = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        with browser(PHONE) as page:
            courier_log_in(page, server, world)
            page.click("#shift-start")
            page.wait_for_selector("#shift-pause:visible")
            override(server.url, desk, job, aino)
            card = f".job[data-job-id='{job}']"
            page.wait_for_selector(f"{card}[data-state=assigned]")
            page.click(f"{card} button[data-act=acknowledge]")
            page.wait_for_selector(f"{card}[data-state=acknowledged][data-pending='0']")
            page.click(f"{card} button[data-act=picked_up]")
            page.wait_for_selector(f"{card}[data-state=picked_up][data-pending='0']")

            page.context.set_offline(True)
            page.wait_for_selector("#connection[data-state=offline]")
            page.click(f"{card} button[data-act=delivered]")
            page.wait_for_selector("#proof-dialog[open]")
            # nothing given yet: the page says what is missing and keeps the dialog open
            page.click("#proof-send")
            assert "photo" in page.inner_text("#proof-error")
            assert page.is_visible("#proof-dialog")
            page.set_input_files("#proof-photo", str(photo))
            page.wait_for_selector("#proof-photo-preview:visible")
            draw_signature(page)
            page.fill("#proof-name", "Liisa Virtanen")
            shot(page, "proof-01-dialog-filled")
            page.click("#proof-send")
            page.wait_for_selector("#proof-dialog:not([open])", state="attached")
            assert "1" in page.inner_text("#outbox")
            shot(page, "proof-02-offline-queued")
            assert acts_of(url, world.coop_id, job)[-1] == "PickedUp"
            assert files_in(proofs) == []  # nothing reached the server while offline

            page.context.set_offline(False)
            page.wait_for_selector("#connection[data-state=live]")
            page.wait_for_function("document.querySelector('#outbox').textContent === ''", timeout=30_000)
            shot(page, "proof-03-online-sent")
            page.reload()
            page.wait_for_selector("#connection[data-state=live]")
            assert page.locator(card).count() == 0

        assert acts_of(url, world.coop_id, job).count("Delivered") == 1
        stored = files_in(proofs)
        assert len(stored) == 2, stored  # one photo, one signature: the queue sent each once
        summary = httpx.get(f"{server.url}/v1/deliveries/{job}/proof", headers=shop).json()
        by_kind = {p["kind"]: p for p in summary["proofs"]}
        assert sorted(by_kind) == ["name", "photo", "signature"]
        assert by_kind["name"]["recipient_name"] == "Liisa Virtanen"
        got = httpx.get(f"{server.url}{by_kind['photo']['url']}", headers=shop)
        assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
        image = Image.open(io.BytesIO(got.content))
        assert max(image.size) == 1600  # resized on the phone
        assert not image.getexif() and b"TestCam" not in got.content
        drawn = httpx.get(f"{server.url}{by_kind['signature']['url']}", headers=shop)
        signature = Image.open(io.BytesIO(drawn.content))
        assert signature.format == "PNG" and signature.mode == "RGBA"
        low, high = signature.getchannel("A").getextrema()
        assert (low, high) == (0, 255)  # the strokes on a transparent pad

        for _ in range(100):
            if any(json.loads(b)["type"] == "delivery.delivered" for _, b in receiver.received):
                break
            time.sleep(0.1)
        [delivered] = [json.loads(b) for _, b in receiver.received if json.loads(b)["type"] == "delivery.delivered"]
        assert delivered["data"]["proof"]["url"] == f"/v1/deliveries/{job}/proof"
    finally:
        receiver.close()

    # 91 days on, the operator's purge removes the files; the references say "purged"
    later = (datetime.now(UTC) + timedelta(days=91)).isoformat()
    result = CliRunner().invoke(
        cli, ["admin", "purge-proofs", "--database", url, "--proof-url", str(proofs), "--now", later, "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["purged"] == 3
    assert files_in(proofs) == []
    after = httpx.get(f"{server.url}/v1/deliveries/{job}/proof", headers=shop).json()
    assert {p["status"] for p in after["proofs"]} == {"purged"}
