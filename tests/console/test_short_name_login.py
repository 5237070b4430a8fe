"""Logging in by the cooperative's short name (issue 17 item 7), in a real browser: a courier
types it on a phone as phones type it (a capital first letter, a trailing space) and a dispatcher
types it on the console; nobody has to copy a 36-character id any more. A name no cooperative has
is refused like a wrong password, saying nothing about which part was wrong."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dispatch.model import Role, Vehicle
from dispatch.store import Store
from dispatch.store.access import set_courier_login
from tests.api.harness import Server
from tests.console.browser import browser
from tests.console.test_courier_page import PHONE


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    url = f"sqlite:///{tmp_path / 'tandem.db'}"
    store = Store.open(url)
    try:
        coop = store.create_cooperative("Vélo Test", short_name="velo-test")
        courier = store.add_courier(coop.id, "Aino", Vehicle.of_kind("bike"))
        courier_password = set_courier_login(store, coop.id, courier.id, "aino")
        _, desk_password = store.add_member(coop.id, Role.DISPATCHER, "Desk", "desk")
    finally:
        store.close()
    server = Server(url, auto_plan="0").start()
    try:
        yield server, {"coop": coop.id, "courier": courier_password, "desk": desk_password}
    finally:
        server.stop()


def _log_in(page: object, url: str, cooperative: str, login: str, password: str) -> None:
    page.goto(url)  # type: ignore[attr-defined]
    page.fill("input[name=cooperative_id]", cooperative)  # type: ignore[attr-defined]
    page.fill("input[name=login]", login)  # type: ignore[attr-defined]
    page.fill("input[name=password]", password)  # type: ignore[attr-defined]
    page.click("#login button[type=submit]")  # type: ignore[attr-defined]


def test_a_courier_and_a_dispatcher_log_in_by_the_cooperatives_short_name(
    served: tuple[Server, dict[str, str]],
) -> None:
    server, secrets = served
    with browser(PHONE) as page:
        page.goto(f"{server.url}/courier")
        label = page.inner_text("label:has(input[name=cooperative_id])")
        assert "short name" in label, label
        assert page.get_attribute("input[name=cooperative_id]", "autocapitalize") == "none"
        _log_in(page, f"{server.url}/courier", "Velo-Test ", "aino", secrets["courier"])
        page.wait_for_function("window.__tandem && window.__tandem.ready")
        page.wait_for_selector("#connection[data-state=live]")
    with browser() as page:
        _log_in(page, f"{server.url}/console/", "nobody-here", "desk", secrets["desk"])
        page.wait_for_selector("#login-error:not(:empty)")
        refused = page.inner_text("#login-error")
        assert "nobody-here" not in refused and secrets["coop"] not in refused, refused
        _log_in(page, f"{server.url}/console/", "velo-test", "desk", secrets["desk"])
        page.wait_for_function("window.__tandem && window.__tandem.ready")
        page.wait_for_selector("#connection[data-state=live]")
        # the session holds the id (what every later request sends), whatever was typed
        stored = page.evaluate("JSON.stringify(Object.assign({}, window.sessionStorage))")
        assert secrets["coop"] in stored, stored
