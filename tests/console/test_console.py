"""The dispatcher's console in a real browser against a real server.

One server serves the module (its start, the city and the planner's process, took seconds per
test); each test has a cooperative of its own on it, so no test sees another's jobs, shifts or
couriers, whatever their order (a cooperative's data is its own: tests/api/test_tenancy.py).
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from dispatch.store import Store
from tests.api.harness import Server, Socket, World, delivery_body, event_type, login, make_world
from tests.console.browser import browser, console_log_in, shot, wait_until

RIDERS = (("Ilmari", "cargo_bike"),)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('console') / 'tandem.db'}"
    Store.open(url).close()  # migrated before the server starts, as start_with_world does
    server = Server(url, planning_budget_s="0.5").start()
    try:
        yield server, url
    finally:
        server.stop()


@pytest.fixture
def served(server: tuple[Server, str]) -> tuple[Server, World]:
    """The module's server and a new cooperative on it: nobody on shift, no job yet."""
    running, url = server
    return running, make_world(url, riders=RIDERS)


def log_in(page: Any, server: Server, world: World) -> None:
    console_log_in(page, server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)


class Couriers:
    """The test couriers' sockets, run on an event loop in a thread beside the browser."""

    def __init__(self, server: Server, world: World) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.server, self.world = server, world
        self.sockets: dict[str, Socket] = {}

    def run(self, coro: Any, timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def connect_all(self) -> None:
        async def go() -> None:
            for name, (cid, user, password) in self.world.couriers.items():
                token = login(self.server.url, self.world.coop_id, user, password)
                sock = await Socket.open(f"{self.server.ws_url}/v1/courier/ws", token)
                assert (await sock.act("shift_start", f"start-{name}"))["type"] == "result"
                self.sockets[cid] = sock

        self.run(go())

    def close(self) -> None:
        async def go() -> None:
            for s in self.sockets.values():
                # nobody reads these sockets' events, so the server's closing frame may wait behind
                # a full queue: do not wait long for it
                s.conn.close_timeout = 0.5
                await s.close()

        self.run(go())
        self.loop.call_soon_threadsafe(self.loop.stop)


def test_a_delivery_from_request_to_done_on_the_console(served: tuple[Server, World]) -> None:
    server, world = served
    couriers = Couriers(server, world)
    couriers.connect_all()
    try:
        with browser() as page:
            log_in(page, server, world)
            shot(page, "01-logged-in")
            body = delivery_body(weight_kg=30.0)  # heavy: only the cargo bikes can take it
            body["parcels"][0]["volume_l"] = 40
            r = httpx.post(
                f"{server.url}/v1/deliveries", json=body, headers={"Authorization": f"Bearer {world.client_key}"}
            )
            assert r.status_code == 201, r.text
            job = r.json()["id"]
            row = f".job[data-job-id='{job}'][data-state='proposed']"
            page.wait_for_selector(row, timeout=60_000)  # no reload: it came over the socket
            shot(page, "02-proposal-appears")
            proposed_name = page.inner_text(f"{row} .proposal .name").strip()
            cargo = {n: world.couriers[n][0] for n in ("Veera", "Ilmari")}
            assert proposed_name in cargo
            other_name = next(n for n in cargo if n != proposed_name)
            other = cargo[other_name]

            page.click(f"{row} button[data-act=override]")
            line = f"#decide-couriers tr[data-courier-id='{other}']"
            page.wait_for_selector(f"{line} .opt-cost:has-text('min')")
            page.check(f"#decide-to-{other}")
            assert other_name in page.inner_text(f"{line} .opt-cost")  # the cost is shown before confirming
            shot(page, "03-override-cost")
            page.fill("#decide-reason", "Ilmari knows the back door")
            page.click("#decide-confirm")

            sock = couriers.sockets[other]
            got = couriers.run(sock.until(lambda m: event_type(m) == "JobOverridden"))
            assert got["data"]["job"]["id"] == job
            page.wait_for_selector(f".lane[data-courier-id='{other}'] .chip[data-job-id='{job}']")
            heavy_before = page.inner_text(f"#fairness tr[data-courier-id='{other}'] .heavy")
            shot(page, "04-overridden")
            for step in ("acknowledge", "picked_up", "delivered"):
                assert couriers.run(sock.act(step, f"{step}-x", job_id=job))["type"] == "result"
            page.wait_for_selector(f".lane[data-courier-id='{other}'] .chip.delivered[data-job-id='{job}']")
            heavy_cell = f"#fairness tr[data-courier-id='{other}'] .heavy"
            page.wait_for_function(f"document.querySelector(\"{heavy_cell}\").textContent.trim() === '30'")
            assert heavy_before.strip() == "0"
            assert page.locator(f".job[data-job-id='{job}']").count() == 0  # out of the open queue
            shot(page, "05-done-and-fairness-moved")
    finally:
        couriers.close()


def test_lanes_keep_the_rotation_and_offer_no_sort(served: tuple[Server, World]) -> None:
    server, world = served
    desk = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
    order = [
        c["id"]
        for c in httpx.get(f"{server.url}/v1/couriers", headers={"Authorization": f"Bearer {desk}"}).json()["couriers"]
    ]
    with browser() as page:
        log_in(page, server, world)
        lanes = page.eval_on_selector_all(".lane", "els => els.map(e => e.dataset.courierId)")
        assert lanes == order
        fairness = page.eval_on_selector_all("#fairness tbody tr", "els => els.map(e => e.dataset.courierId)")
        assert fairness == order
        # nothing to sort by: no sortable headers, no control in the lanes or the fairness panel
        # but the fairness panel's span (today, 7 or 28 days: which days, never an order)
        assert page.locator("[aria-sort]").count() == 0
        for panel in ("#lanes-panel", "#fairness-panel"):
            controls = f"{panel} button:not([data-span]), {panel} select, {panel} input"
            assert page.locator(controls).count() == 0
        assert page.locator("#fairness-panel button[data-span]").count() == 3
        text = page.inner_text("body").lower()
        assert not re.search(r"\b(score|rating|rank|fastest|acceptance rate)\b", text.replace("never a ranking", ""))
        page.reload()
        page.wait_for_function("window.__tandem && window.__tandem.ready")
        assert page.eval_on_selector_all(".lane", "els => els.map(e => e.dataset.courierId)") == order
        page.select_option("#lang", "fr")
        assert "Courses ouvertes" in page.inner_text("#queue-title")
        shot(page, "06-lanes-in-french")


def test_the_console_runs_under_its_content_security_policy(served: tuple[Server, World]) -> None:
    """The policy is enforced here: scripts, styles, the map's workers and the socket all load."""
    server, world = served
    with browser(enforce_csp=True) as page:
        response = page.goto(f"{server.url}/console/")
        assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
        page.fill("input[name=cooperative_id]", world.coop_id)
        page.fill("input[name=login]", world.dispatcher_login)
        page.fill("input[name=password]", world.dispatcher_password)
        page.click("#login button[type=submit]")
        wait_until(page, "!!(window.__tandem && window.__tandem.ready)")
        wait_until(page, "document.querySelector('#connection').dataset.state === 'live'")
        wait_until(page, "document.querySelectorAll('.lane').length === 3")
        wait_until(page, "!!document.querySelector('.maplibregl-canvas')")
        shot(page, "console-under-csp")


def test_a_job_nobody_can_take_says_it_needs_a_decision_and_why(served: tuple[Server, World]) -> None:
    """Issue 15: the planner never plans overtime or a limit silently; the console says a person decides."""
    server, world = served
    with browser() as page:
        log_in(page, server, world)
        # Nobody has started a shift: the round cannot propose it.
        r = httpx.post(
            f"{server.url}/v1/deliveries",
            json=delivery_body(weight_kg=4.0),
            headers={"Authorization": f"Bearer {world.client_key}"},
        )
        assert r.status_code == 201, r.text
        flag = f".job[data-job-id='{r.json()['id']}'] .needs-decision"
        page.wait_for_selector(flag, timeout=60_000)  # over the socket, no reload
        assert "Needs a decision: no courier is on shift" in page.inner_text(flag)
        shot(page, "07-needs-a-decision")
