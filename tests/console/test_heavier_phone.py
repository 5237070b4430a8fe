"""The courier's phone page (issue 18), in a real browser against a real server, in French: at
pickup the courier reports a parcel heavier than declared, the page confirms that the job goes
back to dispatch; and "My route" shows the shift's break where the latest plan takes it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from dispatch import commands as do
from dispatch.shifts import ShiftBreak
from dispatch.store import Store
from tests.api.harness import Server, World, create_delivery, login, make_world, override
from tests.console.browser import browser, shot
from tests.console.test_courier_page import PHONE, acts_of, courier_log_in


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, World, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('heavier') / 'tandem.db'}"
    world = make_world(url)
    server = Server(url, auto_plan="0").start()
    try:
        yield server, world, url
    finally:
        server.stop()


def test_a_courier_reports_a_parcel_heavier_than_declared_and_sees_the_break_in_the_route(
    served: tuple[Server, World, str],
) -> None:
    server, world, url = served
    aino = world.couriers["Aino"][0]  # a bike: 25 kg
    now = datetime.now(UTC)
    lunch = ShiftBreak(earliest=now + timedelta(minutes=5), latest=now + timedelta(hours=2), minutes=30)
    store = Store.open(url)
    try:
        do.start_shift(store, world.coop_id, aino, at=now, planned_end=now + timedelta(hours=6), breaks=[lunch])
    finally:
        store.close()
    desk = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
    heavy, light = create_delivery(server.url, world, weight_kg=20.0), create_delivery(server.url, world)
    for job in (heavy, light):
        override(server.url, desk, job, aino)

    with browser(PHONE) as page:
        courier_log_in(page, server, world)
        page.select_option("#lang", "fr")
        card = f".job[data-job-id='{heavy}']"
        page.click(f"{card} button[data-act=acknowledge]")
        page.wait_for_selector(f"{card}[data-state=acknowledged][data-pending='0']")
        button = page.locator(f"{card} button[data-act=weight]")
        assert button.inner_text() == "Plus lourd que déclaré"
        button.click()
        page.wait_for_selector("#weight-dialog[open]")
        assert "20 kg" in page.inner_text("#weight-declared")
        page.fill("#weight-kg", "0")
        page.click("#weight-send")
        assert "au plus 1000 kg" in page.inner_text("#weight-error") and page.is_visible("#weight-dialog")
        assert "ParcelReweighed" not in acts_of(url, world.coop_id, heavy)
        page.fill("#weight-kg", "45")
        shot(page, "heavier-01-dialog")
        page.click("#weight-send")
        page.wait_for_selector("#weight-dialog:not([open])", state="attached")
        page.wait_for_selector("#toast:visible")
        assert "45 kg" in page.inner_text("#toast") and "retourne au dispatch" in page.inner_text("#toast")
        page.wait_for_selector(card, state="detached")  # back to dispatch: no longer on my phone
        shot(page, "heavier-02-sent-back")
        assert acts_of(url, world.coop_id, heavy)[-3:] == ["ParcelReweighed", "CourierDeclined", "ProposalWithheld"]

        # a round plans my route with the break; the phone shows it among the stops, in French
        asked = httpx.post(
            f"{server.url}/v1/planning/rounds?wait=true", headers={"Authorization": f"Bearer {desk}"}, timeout=60
        )
        assert asked.json()["done"] is True, asked.text
        page.reload()
        page.wait_for_selector("#connection[data-state=live]")
        page.wait_for_selector("#route li.break")
        lines = page.locator("#route li").all_inner_texts()
        (said,) = [line for line in lines if line.startswith("Pause")]
        assert re.fullmatch(r"Pause 30 min, ~\d\d:\d\d", said), lines
        assert len(lines) == 3 and all(
            light in x
            for x in page.locator("#route li[data-job-id]").evaluate_all("items => items.map((li) => li.dataset.jobId)")
        )
        shot(page, "heavier-03-route-with-break")
