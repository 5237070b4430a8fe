"""The courier's phone page in a real browser (phone-sized), against a real server."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.webhooks import verify
from dispatch.events import EventType
from dispatch.store import Store
from tests.api.harness import Receiver, Server, World, create_delivery, login, make_world, override
from tests.console.browser import browser, console_log_in, shot

PHONE = (390, 844)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, World, str]]:
    """One server for the module (a start costs seconds); each test has its own courier."""
    url = f"sqlite:///{tmp_path_factory.mktemp('phone') / 'tandem.db'}"
    world = make_world(url, riders=(("Ilmari", "cargo_bike"),))
    server = Server(url, auto_plan="0").start()
    try:
        yield server, world, url
    finally:
        server.stop()


def courier_log_in(page: Any, server: Server, world: World, name: str = "Aino") -> None:
    _, user, password = world.couriers[name]
    page.goto(f"{server.url}/courier")
    page.fill("input[name=cooperative_id]", world.coop_id)
    page.fill("input[name=login]", user)
    page.fill("input[name=password]", password)
    page.click("#login button[type=submit]")
    page.wait_for_function("window.__tandem && window.__tandem.ready")
    page.wait_for_selector("#connection[data-state=live]")


def give(server: Server, world: World, courier: str, desk: str) -> str:
    job = create_delivery(server.url, world)
    override(server.url, desk, job, courier)
    return job


def acts_of(url: str, coop_id: str, job: str) -> list[str]:
    store = Store.open(url)
    try:
        return [e.type.value for e in store.events(coop_id) if e.payload.get("job_id") == job]
    finally:
        store.close()


def test_a_courier_works_offline_and_every_act_lands_once_in_order(served: tuple[Server, World, str]) -> None:
    server, world, url = served
    aino = world.couriers["Aino"][0]
    receiver = Receiver()
    try:
        key = {"Authorization": f"Bearer {world.client_key}"}
        hook = httpx.post(f"{server.url}/v1/webhooks", json={"url": receiver.url}, headers=key).json()
        desk = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        with browser(PHONE) as page:
            courier_log_in(page, server, world)
            shot(page, "courier-01-logged-in")
            page.click("#shift-start")
            page.wait_for_selector("#shift-pause:visible")
            shot(page, "courier-02-on-shift")

            job = give(server, world, aino, desk)
            card = f".job[data-job-id='{job}']"
            page.wait_for_selector(f"{card}[data-state=assigned]")
            shot(page, "courier-03-job-arrives")
            assert page.is_disabled("#share")  # no job in hand yet: nothing can be shared
            page.click(f"{card} button[data-act=acknowledge]")
            page.wait_for_selector(f"{card}[data-state=acknowledged][data-pending='0']")
            page.context.grant_permissions(["geolocation"])
            page.context.set_geolocation({"latitude": 60.1712, "longitude": 24.9421})
            page.check("#share")
            shared: list[dict[str, Any]] = []
            for _ in range(50):
                shared = httpx.get(f"{server.url}/v1/positions", headers={"Authorization": f"Bearer {desk}"}).json()[
                    "positions"
                ]
                if shared:
                    break
                time.sleep(0.1)
            assert [(p["courier_id"], p["job_id"], p["lat"]) for p in shared] == [(aino, job, 60.1712)]

            page.context.set_offline(True)
            page.wait_for_selector("#connection[data-state=offline]")
            page.click(f"{card} button[data-act=picked_up]")
            page.click(f"{card} button[data-act=delivered]")
            assert "2" in page.inner_text("#outbox")
            shot(page, "courier-04-offline-two-acts-queued")
            assert acts_of(url, world.coop_id, job)[-1] == EventType.COURIER_ACKNOWLEDGED.value

            page.context.set_offline(False)
            page.wait_for_selector("#connection[data-state=live]")
            page.wait_for_function("document.querySelector('#outbox').textContent === ''")
            shot(page, "courier-05-back-online-sent")
            # a reload of the page sends nothing again and shows nothing twice
            page.reload()
            page.wait_for_selector("#connection[data-state=live]")
            assert page.locator(card).count() == 0  # delivered jobs leave the list

        acts = acts_of(url, world.coop_id, job)
        assert acts == [
            "JobRequested",
            "JobOverridden",
            "CourierAcknowledged",
            "PickedUp",
            "Delivered",
        ], acts
        for _ in range(100):
            if any(json.loads(b)["type"] == "delivery.delivered" for _, b in receiver.received):
                break
            time.sleep(0.1)
        delivered = [(h, b) for h, b in receiver.received if json.loads(b)["type"] == "delivery.delivered"]
        assert len(delivered) == 1 and verify(hook["secret"], delivered[0][0]["Tandem-Signature"], delivered[0][1])
    finally:
        receiver.close()


def test_a_decline_reaches_the_console_and_changes_no_figure(served: tuple[Server, World, str]) -> None:
    server, world, _ = served
    aino = world.couriers["Veera"][0]
    desk = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
    auth = {"Authorization": f"Bearer {desk}"}
    with browser(PHONE) as page:
        courier_log_in(page, server, world, "Veera")
        page.click("#shift-start")
        page.wait_for_selector("#shift-pause:visible")
        ledger_before = httpx.get(f"{server.url}/v1/ledger", headers=auth).json()
        job = give(server, world, aino, desk)
        card = f".job[data-job-id='{job}']"
        page.wait_for_selector(f"{card}[data-state=assigned]")
        assert "no penalty" in page.inner_text("main").lower()
        page.click(f"{card} button[data-act=decline]")
        page.fill("#reason-other", "my chain broke")
        shot(page, "courier-06-decline-with-reason")
        page.click("#reason-send")
        page.wait_for_selector(card, state="detached")

        console = page.context.new_page()
        console.set_viewport_size({"width": 1400, "height": 900})
        console_log_in(console, server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        row = console.wait_for_selector(f".job[data-job-id='{job}'][data-state=declined]")
        assert row is not None and "my chain broke" in row.inner_text()
        shot(console, "courier-07-decline-on-console")
    ledger_after = httpx.get(f"{server.url}/v1/ledger", headers=auth).json()
    before = next(r for r in ledger_before["couriers"] if r["courier_id"] == aino)
    after = next(r for r in ledger_after["couriers"] if r["courier_id"] == aino)
    assert {k: v for k, v in after.items() if k != "shift_minutes"} == {
        k: v for k, v in before.items() if k != "shift_minutes"
    }


def test_the_page_shows_no_score_of_anyone(served: tuple[Server, World, str]) -> None:
    server, world, _ = served
    with browser(PHONE) as page:
        courier_log_in(page, server, world)
        page.select_option("#lang", "fr")
        for lang in ("fr", "en"):
            page.select_option("#lang", lang)
            text = page.inner_text("body").lower()
            html = page.content().lower()
            assert not re.search(r"\b(score|rating|ranking|rank|classement|note|vitesse|speed|km/h)\b", text), text
            assert not re.search(r"score|rating|ranking", html)
        shot(page, "courier-08-no-score")


def toast_says(page: Any, *words: str) -> str:
    page.wait_for_function(
        "words => { const t = document.querySelector('#toast');"
        " return !t.hidden && words.every(w => t.textContent.includes(w)); }",
        arg=list(words),
        timeout=15_000,
    )
    return str(page.inner_text("#toast"))


def focus_in(page: Any, card: str) -> None:
    page.wait_for_function("s => document.activeElement && document.activeElement.closest(s) !== null", arg=card)


def test_every_card_has_an_eta_and_every_act_is_confirmed_with_the_focus_kept(
    served: tuple[Server, World, str],
) -> None:
    """Issue 17, the phone: ETAs on jobs a dispatcher gave, a word after each act, the focus on the
    card, the decline dialog laid out, Our day counting the running shift, a warning on End shift
    with a job in hand and sharing off after it, and axe on the logged-in page."""
    from tests.console.test_queue import serious

    server, world, _ = served
    me = world.couriers["Ilmari"][0]
    desk = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
    with browser(PHONE) as page:
        courier_log_in(page, server, world, "Ilmari")
        page.click("#shift-start")
        page.wait_for_selector("#shift-pause:visible")
        toast_says(page, "Shift started")
        assert page.evaluate("document.activeElement.id") == "shift-pause"  # the focus follows the button

        first, second = give(server, world, me, desk), give(server, world, me, desk)
        card1, card2 = (f".job[data-job-id='{j}']" for j in (first, second))
        page.wait_for_selector(f"{card2}[data-state=assigned]")
        # given by a dispatcher, with no plan yet: the card says when the ETA comes, the route lists
        # its stops all the same; a round gives the ETAs
        assert "ETA at the next plan" in page.inner_text(card1)
        page.wait_for_selector(f"#route li[data-job-id='{second}'][data-kind=dropoff]")
        r = httpx.post(f"{server.url}/v1/planning/rounds?wait=true", headers={"Authorization": f"Bearer {desk}"})
        assert r.status_code == 200 and r.json()["done"], r.text
        for card in (card1, card2):
            page.wait_for_function(
                "s => /Pickup ~\\d\\d:\\d\\d/.test(document.querySelector(s).textContent)"
                " && /Drop-off ~\\d\\d:\\d\\d/.test(document.querySelector(s).textContent)",
                arg=card,
            )

        # an act is confirmed in words, and the focus stays on its card (on its next act)
        page.click(f"{card1} button[data-act=acknowledge]")
        toast_says(page, "Taken: pick up at")
        page.wait_for_selector(f"{card1}[data-state=acknowledged][data-pending='0']")
        focus_in(page, card1)
        page.wait_for_selector(f"#route li[data-job-id='{first}'][data-kind=pickup]")
        assert page.evaluate("document.activeElement.dataset.act") == "picked_up"
        # the next stop in the phone's maps app
        at = "60.171000,24.941400"
        assert page.get_attribute(f"{card1} a.maps", "href") == f"geo:{at}?q={at}(Rautatientori)"

        # the decline dialog: one line per reason, the radio beside its words
        page.click(f"{card2} button[data-act=decline]")
        page.wait_for_selector("#reason-dialog[open]")
        sizes = "(els, side) => els.map(e => e.getBoundingClientRect()[side])"
        radios = page.eval_on_selector_all("#reason-choices input", sizes, "width")
        rows = page.eval_on_selector_all("#reason-choices label", sizes, "height")
        assert radios and max(radios) <= 30 and max(rows) < 60, (radios, rows)
        shot(page, "courier-09-decline-dialog")
        page.click("#reason-choices label:nth-child(2)")
        page.click("#reason-send")
        toast_says(page, "Declined", "no penalty")
        page.wait_for_selector(card2, state="detached")
        focus_in(page, card1)  # the card that left handed the focus to the one left

        # Our day counts my running shift (fifty minutes later, in the page's clock)
        mine = f"#ledger tr[data-courier-id='{me}']"
        page.clock.set_fixed_time(datetime.now(UTC) + timedelta(minutes=50))
        page.wait_for_function(
            "s => /^(49|5\\d) min$/.test(document.querySelector(s + ' .shift').textContent)", arg=mine
        )
        assert page.inner_text(f"{mine} .worked").startswith(("48 min", "49 min", "50 min"))

        # picked up: My route keeps its drop-off, not the pickup done
        page.click(f"{card1} button[data-act=picked_up]")
        toast_says(page, "Picked up at Rautatientori", "Kauppatori")
        page.wait_for_selector(f"#route li[data-job-id='{first}'][data-kind=pickup]", state="detached")
        assert page.locator(f"#route li[data-job-id='{first}'][data-kind=dropoff]").count() == 1
        focus_in(page, card1)

        # End shift with a job in hand: asked first; then sharing is off
        page.context.grant_permissions(["geolocation"])
        page.context.set_geolocation({"latitude": 60.1712, "longitude": 24.9421})
        page.check("#share")
        page.wait_for_function("window.__tandem.sharing")
        page.click("#shift-end")
        page.wait_for_selector("#end-dialog[open]")
        assert "1 job" in page.inner_text("#end-text") and "Kauppatori" in page.inner_text("#end-jobs")
        problems = {"phone, End shift asked": serious(page)}
        page.click("#end-cancel")
        page.wait_for_selector("#shift-end:visible")
        assert page.is_checked("#share")
        page.click("#shift-end")
        page.click("#end-confirm")
        toast_says(page, "Shift ended", "sharing is off")
        page.wait_for_selector("#shift-start:visible")
        assert not page.is_checked("#share") and page.is_disabled("#share")
        assert not page.evaluate("window.__tandem.sharing")
        shot(page, "courier-10-shift-ended")

        # the job in hand is still mine after the shift: Delivered is confirmed in words, and the
        # card leaves the list
        page.click(f"{card1} button[data-act=delivered]")
        toast_says(page, "Delivered to Kauppatori.", "Dispatch knows.")
        page.wait_for_selector(card1, state="detached")
        problems["phone, logged in"] = serious(page)
        page.select_option("#lang", "fr")
        assert page.inner_text("#connection") == "en direct"
        problems["phone in French"] = serious(page)
    assert not any(problems.values()), problems


def test_the_phone_says_its_language_in_the_socket_s_hello(served: tuple[Server, World, str]) -> None:
    """A browser sets no ``Accept-Language`` on a WebSocket, so the phone's hello carries the
    language chosen on the page (issue 17): the server says that socket's refusals in it."""
    server, world, _ = served
    hellos: list[dict[str, Any]] = []

    def watch(ws: Any) -> None:
        def sent(payload: Any) -> None:
            message = json.loads(payload) if isinstance(payload, str) else {}
            if message.get("type") == "hello":
                hellos.append(message)

        ws.on("framesent", sent)

    with browser(PHONE) as page:
        page.on("websocket", watch)
        page.goto(f"{server.url}/courier")
        page.select_option("#lang", "fr")
        courier_log_in(page, server, world, "Veera")
        assert [h.get("lang") for h in hellos] == ["fr"], hellos
        # a language chosen later is said at the next hello (the phone resumes after a drop)
        page.select_option("#lang", "en")
        page.context.set_offline(True)
        page.wait_for_selector("#connection[data-state=offline]")
        page.context.set_offline(False)
        page.wait_for_selector("#connection[data-state=live]")
    assert [h.get("lang") for h in hellos] == ["fr", "en"], hellos
