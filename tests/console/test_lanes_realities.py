"""The console's lanes and the day's realities (issue 18), in a real browser against a real server.

A courier's break shows on their lane: its window while no plan has placed it, then a labelled
block where the latest plan takes it. Off-shift couriers can be hidden (the choice is kept across
a reload) and come back when their shift starts; a courier who went home with a parcel still on
board is never hidden and is shown with an alert. A delivery given with a proof gets a link to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from dispatch import commands
from dispatch.model import JobRequest, Parcel, Place, TimeWindow
from dispatch.store import Store
from tests.api.harness import Server, Socket, World, delivery_body, login, make_world
from tests.console.browser import browser, console_log_in, shot, wait_until

RIDERS = (("Ilmari", "cargo_bike"),)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, World]]:
    """Aino (bike) and Veera (cargo) at home; Ilmari went home sick with a parcel on board."""
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world = make_world(url, riders=RIDERS)
    _ilmari_went_home(url, world)
    server = Server(url, planning_budget_s="0.5").start()
    try:
        yield server, world
    finally:
        server.stop()


def _ilmari_went_home(url: str, world: World) -> None:
    store = Store.open(url)
    try:
        now = datetime.now(UTC)
        coop, ilmari = world.coop_id, world.couriers["Ilmari"][0]
        client = store.add_client(coop, "Kirjakauppa")[0].id
        window = TimeWindow(now - timedelta(minutes=50), now + timedelta(hours=2))
        request = JobRequest(
            pickup=Place(24.9414, 60.1710, "Rautatientori"),
            dropoff=Place(24.9525, 60.1675, "Kauppatori"),
            pickup_window=window,
            dropoff_window=window,
            parcels=(Parcel(weight_kg=12.0, volume_l=20, longest_side_cm=40),),
        )
        commands.start_shift(store, coop, ilmari, at=now - timedelta(hours=1), planned_end=now + timedelta(hours=3))
        job = commands.request_job(store, coop, client, request, at=now - timedelta(minutes=50)).id
        commands.override(store, coop, job, ilmari, dispatcher_id="desk", at=now - timedelta(minutes=45))
        commands.acknowledge(store, coop, job, courier_id=ilmari, at=now - timedelta(minutes=44))
        commands.pick_up(store, coop, job, courier_id=ilmari, at=now - timedelta(minutes=30))
        at = now - timedelta(minutes=5)
        commands.courier_unavailable(store, coop, ilmari, dispatcher_id="desk", at=at, reason="flu")
    finally:
        store.close()


def act(server: Server, world: World, name: str, kind: str, key: str, **data: Any) -> dict[str, Any]:
    """One courier's act through their socket, as the phone sends it."""

    async def go() -> dict[str, Any]:
        _, user, password = world.couriers[name]
        sock = await Socket.open(f"{server.ws_url}/v1/courier/ws", login(server.url, world.coop_id, user, password))
        try:
            return await sock.act(kind, key, **data)
        finally:
            sock.conn.close_timeout = 0.5
            await sock.close()

    with ThreadPoolExecutor(1) as thread:  # beside Playwright's own event loop
        answer = thread.submit(asyncio.run, go()).result(60)
    assert answer["type"] == "result", answer
    return answer


def ask(server: Server, world: World, body: dict[str, Any]) -> str:
    r = httpx.post(
        f"{server.url}/v1/deliveries", json=body, headers={"Authorization": f"Bearer {world.client_key}"}, timeout=30
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def lane(courier_id: str, inner: str = "") -> str:
    return f"document.querySelector('.lane[data-courier-id=\"{courier_id}\"] {inner}'.trim())"


def test_lanes_show_breaks_hide_off_shift_couriers_and_link_a_proof(served: tuple[Server, World]) -> None:
    server, world = served
    aino, veera, ilmari = (world.couriers[n][0] for n in ("Aino", "Veera", "Ilmari"))
    now = datetime.now(UTC)
    lunch: dict[str, Any] = {
        "earliest": (now + timedelta(minutes=20)).isoformat(),
        "latest": (now + timedelta(hours=2)).isoformat(),
        "minutes": 30,
    }
    until = (now + timedelta(hours=4)).isoformat()
    act(server, world, "Aino", "shift_start", "aino-start", planned_end=until, breaks=[lunch])
    token = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
    desk = {"Authorization": f"Bearer {token}"}
    with browser() as page:
        console_log_in(page, server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password, "?nomap")
        # No plan yet: the break's window, labelled, on Aino's lane only.
        wait_until(page, f"!!{lane(aino, '.break.window')}")
        assert "30" in page.inner_text(f'.lane[data-courier-id="{aino}"] .break.window')
        assert page.locator(f'.lane[data-courier-id="{veera}"] .break').count() == 0

        # A job whose pickup opens in 40 minutes: the plan takes the break while Aino waits for it.
        ask(server, world, delivery_body(minutes_from_now=40))
        wait_until(page, f"!!{lane(aino, '.break.planned')}")
        planned = httpx.get(f"{server.url}/v1/plan", headers=desk, timeout=30).json()["breaks"][aino]
        assert len(planned) == 1 and planned[0]["minutes"] == 30
        start, end = (datetime.fromisoformat(planned[0][k]) for k in ("start", "end"))
        second = timedelta(seconds=1)  # the planner counts whole seconds
        assert datetime.fromisoformat(lunch["earliest"]) - second <= start
        assert end <= datetime.fromisoformat(lunch["latest"]) + second
        block = page.locator(f'.lane[data-courier-id="{aino}"] .break.planned')
        assert "30 min" in block.inner_text() and str(block.get_attribute("title")).count(":") >= 2  # its times
        assert page.locator(f'.lane[data-courier-id="{aino}"] .break.window').count() == 0  # placed now
        shot(page, "lanes-break")

        # Hiding off-shift couriers: Veera goes; Ilmari, home with a parcel on board, stays with an alert.
        assert page.locator(f'.lane[data-courier-id="{veera}"]').count() == 1
        page.check("#hide-off-shift")
        wait_until(page, f"!{lane(veera)}")
        assert page.locator(f'.lane[data-courier-id="{ilmari}"] .alert').count() == 1
        assert "1" in page.inner_text("#hidden-count")
        page.reload()  # the choice is remembered
        page.wait_for_function("window.__tandem && window.__tandem.ready")
        wait_until(page, f"!!{lane(ilmari)}")
        assert page.is_checked("#hide-off-shift") and page.locator(f'.lane[data-courier-id="{veera}"]').count() == 0
        page.wait_for_selector("#connection[data-state=live]")
        act(server, world, "Veera", "shift_start", "veera-start", planned_end=(now + timedelta(hours=3)).isoformat())
        wait_until(page, f"!!{lane(veera)}")  # back when her shift starts

        # A delivery given with the recipient's name: its chip links to the proof.
        body = delivery_body()
        body["dropoff"]["proof"] = ["name"]
        job = ask(server, world, body)
        decision = {"action": "override", "courier_id": aino, "reason": "she is next to it"}
        r = httpx.post(f"{server.url}/v1/jobs/{job}/decisions", json=decision, headers=desk, timeout=30)
        assert r.status_code == 200, r.text
        act(server, world, "Aino", "acknowledge", "ack", job_id=job)
        act(server, world, "Aino", "picked_up", "pick", job_id=job)
        act(server, world, "Aino", "delivered", "done", job_id=job, recipient_name="Maija Mäkinen")
        link = f'.lane[data-courier-id="{aino}"] .proof-link[data-proof-job="{job}"]'
        page.wait_for_selector(link)
        page.click(link)
        page.wait_for_selector("#proof-body .proof-name")
        assert "Maija Mäkinen" in page.inner_text("#proof-body")
        shot(page, "lanes-proof")
        page.keyboard.press("Escape")

        # Everything added speaks French too.
        page.select_option("#lang", "fr")
        wait_until(page, f"{lane(aino, '.break.planned')}?.textContent.includes('pause')")
        assert "Masquer" in page.inner_text(".hide-off") and "Preuve" in page.inner_text(link)
