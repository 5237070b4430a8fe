"""The fairness ledger's week view in a real browser (issue 23): a dispatcher switches the
fairness panel from today to the last 7 and 28 days and reads each courier's sums, listed in the
rotation the server gives (never sorted by a figure), in English and in French."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from dispatch import commands
from dispatch.store import Store
from tests.api.harness import Server, World, login, make_world
from tests.console.browser import browser, console_log_in, shot, wait_until
from tests.console.test_queue import serious


def _ride(store: Store, world: World, name: str, days_back: int, hours: int) -> None:
    zone = ZoneInfo(store.cooperative(world.coop_id).timezone)
    day = datetime.now(zone).date() - timedelta(days=days_back)
    at = datetime(day.year, day.month, day.day, 9, tzinfo=zone)
    courier_id = world.couriers[name][0]
    commands.start_shift(store, world.coop_id, courier_id, at=at)
    commands.end_shift(store, world.coop_id, courier_id, at=at + timedelta(hours=hours))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, World]]:
    """Aino rode 5 h three days ago and 3 h twenty days ago; Veera 2 h yesterday; Lou never."""
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    world = make_world(url, riders=(("Lou", "bike"),))
    store = Store.open(url)
    try:
        _ride(store, world, "Aino", 3, 5)
        _ride(store, world, "Aino", 20, 3)
        _ride(store, world, "Veera", 1, 2)
    finally:
        store.close()
    server = Server(url, planning_budget_s="0.5").start()
    try:
        yield server, world
    finally:
        server.stop()


def _rows(page: object) -> list[tuple[str, str]]:
    return page.evaluate(  # type: ignore[attr-defined,no-any-return]
        "[...document.querySelectorAll('#fairness-rolling tbody tr')]"
        ".map((tr) => [tr.dataset.courierId, tr.querySelector('.shift').textContent])"
    )


def test_the_fairness_panel_shows_the_last_7_and_28_days_in_the_rotation(served: tuple[Server, World]) -> None:
    server, world = served
    token = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
    answer = httpx.get(f"{server.url}/v1/ledger/rolling?days=28", headers={"Authorization": f"Bearer {token}"})
    order = [r["courier_id"] for r in answer.json()["couriers"]]
    aino, veera, lou = (world.couriers[n][0] for n in ("Aino", "Veera", "Lou"))
    with browser() as page:
        console_log_in(page, server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        assert page.is_visible("#fairness") and not page.is_visible("#fairness-rolling")
        page.click("#fairness-panel button[data-span='7']")
        wait_until(page, "document.querySelectorAll('#fairness-rolling tbody tr').length === 3")
        assert not page.is_visible("#fairness") and page.is_visible("#fairness-rolling")
        week = dict(_rows(page))
        assert [cid for cid, _ in _rows(page)] == order  # the server's rotation, as it is
        assert (week[aino], week[veera], week[lou]) == ("5 h 00", "2 h 00", "0 min")
        assert "sum of each day" in page.inner_text("#fairness-span-note")
        page.click("#fairness-panel button[data-span='28']")
        wait_until(
            page,
            f"document.querySelector('#fairness-rolling tr[data-courier-id=\"{aino}\"] .shift')"
            ".textContent === '8 h 00'",
        )
        assert page.get_attribute("#fairness-panel button[data-span='28']", "aria-pressed") == "true"
        assert serious(page) == []
        shot(page, "ledger-28-days")
        page.select_option("#lang", "fr")
        assert page.inner_text("#fairness-panel button[data-span='28']") == "28 derniers jours"
        assert "la somme de chaque jour" in page.inner_text("#fairness-span-note")
        page.click("#fairness-panel button[data-span='today']")
        assert page.is_visible("#fairness") and not page.is_visible("#fairness-rolling")
