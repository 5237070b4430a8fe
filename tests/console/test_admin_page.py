"""The admin page in a real browser, under the console's Content Security Policy, against a real
server (issue 16 item 2): a dispatcher deactivates a courier and brings them back, rotates a
client's key (the old key is then refused over HTTP), changes the tariff (a new quote uses it),
erases a courier's personal data after typing their name, and reads each act in the admin log.

One server serves the module (its start took seconds per test); each test has a cooperative of
its own on it (its couriers, keys, tariff and admin log are its own), whatever the tests' order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from dispatch import commands
from dispatch.store import Store
from dispatch.store.erasure import erased_label
from tests.api.harness import Server, World, delivery_body, make_world
from tests.console.browser import browser, shot, wait_until


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('admin') / 'tandem.db'}"
    Store.open(url).close()  # migrated before the server starts, as start_with_world does
    server = Server(url, auto_plan="false").start()
    try:
        yield server, url
    finally:
        server.stop()


@pytest.fixture
def served(server: tuple[Server, str]) -> tuple[Server, World, str]:
    """The module's server and a new cooperative on it."""
    running, url = server
    return running, make_world(url), url


def _state(selector: str) -> str:
    return f"document.querySelector({selector!r})?.dataset.state"


def test_a_dispatcher_runs_the_lifecycle_from_the_admin_page(served: tuple[Server, World, str]) -> None:
    server, world, url = served
    aino, veera = world.couriers["Aino"][0], world.couriers["Veera"][0]
    with browser(enforce_csp=True) as page:
        page.goto(f"{server.url}/console/admin.html")  # no session yet: the console's log-in first
        page.wait_for_url(f"{server.url}/console/")
        page.fill("input[name=cooperative_id]", world.coop_id)
        page.fill("input[name=login]", world.dispatcher_login)
        page.fill("input[name=password]", world.dispatcher_password)
        page.click("#login button[type=submit]")
        wait_until(page, "!!(window.__tandem && window.__tandem.ready)")
        page.click("#to-admin")  # the console's header links the page
        wait_until(page, "!!(window.__admin && window.__admin.ready)")
        row = f"#couriers tr[data-courier-id='{aino}']"

        # deactivate, with a reason the dialog asks for; then reactivate
        page.click(f"{row} button:has-text('Deactivate')")
        page.click("#confirm-ok")  # no reason yet: said, nothing done
        assert "Say why" in page.inner_text("#confirm-error")
        page.fill("#confirm-form input[name=reason]", "moved to Tampere")
        page.click("#confirm-ok")
        wait_until(page, f"{_state(row)} === 'inactive'")
        assert "Aino is deactivated" in page.inner_text("#admin-done")
        store = Store.open(url)
        try:
            assert not store.courier(world.coop_id, aino).active
        finally:
            store.close()
        page.click(f"{row} button:has-text('Reactivate')")
        page.click("#confirm-ok")
        wait_until(page, f"{_state(row)} === 'active'")

        # rotate the client's key: the new one is shown once, the old one is refused over HTTP
        shop = "#clients tbody tr"
        page.click(f"{shop} button:has-text('New key')")
        page.click("#confirm-ok")
        wait_until(page, "!document.querySelector('#secret-panel').hidden")
        new_key = page.inner_text("#secret").strip()
        assert new_key.startswith("tdm_") and new_key != world.client_key
        old = httpx.get(f"{server.url}/v1/deliveries", headers={"Authorization": f"Bearer {world.client_key}"})
        assert old.status_code == 401, old.text
        shop_key = {"Authorization": f"Bearer {new_key}"}
        assert httpx.get(f"{server.url}/v1/deliveries", headers=shop_key).status_code == 200
        page.click("#secret-hide")

        # change the tariff: a new quote uses it
        page.fill("#settings input[name=currency]", "CHF")
        page.fill("#settings input[name=base]", "12.50")
        page.fill("#settings input[name=distance_bands]", "2:0; inf:4.00")
        page.click("#settings button[type=submit]")
        wait_until(page, "document.querySelector('#admin-done').textContent.includes('tariff')")
        quote = httpx.post(f"{server.url}/v1/quotes", json=delivery_body(), headers=shop_key).json()["quote"]
        assert quote["currency"] == "CHF" and quote["lines"][0]["amount_cents"] == 1250, quote
        assert quote["lines"][0]["label"] == "base fare", quote
        page.fill("#settings input[name=weight_bands]", "5:0; 10:2")  # no open last band: said, nothing sent
        page.click("#settings button[type=submit]")
        assert "last band" in page.inner_text("#admin-error")

        # a refusal is the server's sentence, in the dialog: Aino is on shift
        store = Store.open(url)
        try:
            commands.start_shift(store, world.coop_id, aino, at=datetime.now(UTC))
        finally:
            store.close()
        page.click(f"#couriers tr[data-courier-id='{aino}'] button:has-text('Erase')")
        page.fill("#confirm-form input[name=reason]", "asked")
        page.fill("#confirm-form input[name=typed]", "Aino")
        page.click("#confirm-ok")
        wait_until(page, "document.querySelector('#confirm-error').textContent !== ''")
        assert "Aino is on shift: end the shift first" in page.inner_text("#confirm-error")
        page.click("#confirm-cancel")

        # erase Veera: the button waits for her name to be typed
        row = f"#couriers tr[data-courier-id='{veera}']"
        page.click(f"{row} button:has-text('Erase')")
        page.fill("#confirm-form input[name=reason]", "her request of 1 December")
        page.fill("#confirm-form input[name=typed]", "Veer")
        assert page.is_disabled("#confirm-ok")
        page.fill("#confirm-form input[name=typed]", "Veera")
        assert page.is_enabled("#confirm-ok")
        page.click("#confirm-ok")
        wait_until(page, f"{_state(row)} === 'erased'")
        assert page.inner_text(f"{row} td.name") == erased_label(veera)

        # the admin log lists every act, newest first, with who did it
        wait_until(page, "document.querySelectorAll('#admin-log li[data-type]').length === 5")
        kinds = page.eval_on_selector_all("#admin-log li", "items => items.map((li) => li.dataset.type)")
        assert kinds == [
            "CourierErased",
            "CooperativeSettingsChanged",
            "ClientKeyRotated",
            "CourierReactivated",
            "CourierDeactivated",
        ], kinds
        log = page.inner_text("#admin-log")
        assert "Dispatcher deactivated Aino" in log and "why: moved to Tampere" in log, log
        assert "Veera" not in log, "the erased courier's name is in the log"
        shot(page, "admin-page")


def test_the_admin_page_speaks_french_with_no_word_left_untranslated(served: tuple[Server, World, str]) -> None:
    server, world, _ = served
    login = {"cooperative_id": world.coop_id, "login": world.dispatcher_login, "password": world.dispatcher_password}
    desk = {"Authorization": f"Bearer {httpx.post(f'{server.url}/v1/auth/login', json=login).json()['token']}"}
    aino = world.couriers["Aino"][0]
    gone = httpx.post(f"{server.url}/v1/couriers/{aino}/deactivate", json={"reason": "parti"}, headers=desk)
    assert gone.status_code == 200, gone.text
    veera = world.couriers["Veera"][0]  # erased: named as a former courier in French, list and log
    erased = httpx.post(f"{server.url}/v1/couriers/{veera}/erase", json={"reason": "demandé"}, headers=desk)
    assert erased.status_code == 200, erased.text
    with browser(enforce_csp=True) as page:
        page.goto(f"{server.url}/console/")
        page.evaluate("localStorage.setItem('tandem.lang', 'fr')")
        page.fill("input[name=cooperative_id]", world.coop_id)
        page.fill("input[name=login]", world.dispatcher_login)
        page.fill("input[name=password]", world.dispatcher_password)
        page.click("#login button[type=submit]")
        wait_until(page, "!!(window.__tandem && window.__tandem.ready)")
        assert page.inner_text("#to-admin") == "Administration"
        page.click("#to-admin")
        wait_until(page, "!!(window.__admin && window.__admin.ready)")
        text = page.inner_text("body")
        assert "adm_" not in text and "Journal d'administration" in text and "Coursier·es" in text, text
        assert "Dispatcher a désactivé Aino" in page.inner_text("#admin-log")
        former = f"Ancien·ne coursier·e {veera[:8]}"
        assert page.inner_text(f"#couriers tr[data-courier-id='{veera}'] td.name") == former
        assert former in page.inner_text("#admin-log") and "Former courier" not in page.inner_text("body")
        page.click(f"#couriers tr[data-courier-id='{aino}'] button:has-text('Effacer')")
        assert "irréversible" in page.inner_text("#confirm-text")
        assert "Tapez Aino pour confirmer" in page.inner_text("#confirm-name-label")
        shot(page, "admin-page-fr")
