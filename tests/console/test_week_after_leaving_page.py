"""The French week page after a courier left (outside tester of issue 23, M2, M3, L10), in a real
browser: the rota is published, its courier asks a swap, then is deactivated and erased. The
page names them "Ancien·ne coursier·e …" as the owner of their shift, inside its reasons and in
the swap they asked, never by a UUID; their shift is marked withdrawn (left the cooperative); a
colleague's phone in French names them so in Our day."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import httpx

from dispatch import commands
from dispatch.store import Store
from tests.api.harness import Server, World, login
from tests.console import test_week_page
from tests.console.browser import browser, shot, wait_until
from tests.console.test_courier_page import PHONE, courier_log_in
from tests.console.test_french import visible_text
from tests.console.test_week_page import HELSINKI

served = test_week_page.served
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _leave(server: Server, world: World) -> str:
    """The courier of the first published shift asks to give it to a free colleague, then is
    deactivated and erased; their id."""
    token = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
    desk = {"Authorization": f"Bearer {token}"}
    seen = httpx.get(f"{server.url}/v1/week", headers=desk, timeout=30).json()
    shift = seen["published"]["shifts"][0]
    name = next(n for n, (cid, _, _) in world.couriers.items() if cid == shift["courier_id"])
    busy = {s["courier_id"] for s in seen["published"]["shifts"] if s["day"] == shift["day"]}
    free = next(cid for cid, _, _ in world.couriers.values() if cid not in busy)
    _, user, password = world.couriers[name]
    mine = {"Authorization": f"Bearer {login(server.url, world.coop_id, user, password)}"}
    ask = {"week": seen["week"], "shift_id": shift["id"], "with_courier_id": free, "note": ""}
    asked = httpx.post(f"{server.url}/v1/week/swaps", json=ask, headers=mine, timeout=30)
    assert asked.status_code == 201, asked.text
    store, now = Store.open(server.env["DATABASE_URL"]), datetime.now(HELSINKI)
    try:  # a minute worked today, so that Our day has a row of theirs
        for step, ago in ((commands.start_shift, 2), (commands.end_shift, 1)):
            step(store, world.coop_id, shift["courier_id"], at=now - timedelta(minutes=ago))
    finally:
        store.close()
    for act, why in (("deactivate", "moved away"), ("erase", "asked to be erased")):
        done = httpx.post(f"{server.url}/v1/couriers/{shift['courier_id']}/{act}", json={"reason": why}, headers=desk)
        assert done.status_code == 200, done.text
    return str(shift["courier_id"])


def test_the_french_week_page_names_an_erased_courier_and_shows_their_shift_withdrawn(
    served: tuple[Server, World],
) -> None:
    server, world = served
    with browser() as page:
        page.add_init_script("localStorage.setItem('tandem.lang', 'fr')")
        test_week_page.publish_on_the_week_page(page, server, world)
        gone = _leave(server, world)
        page.reload()
        wait_until(page, "window.__week && window.__week.ready === true")
        label = f"Ancien·ne coursier·e {gone[:8]}"
        shift = page.locator("#shifts li.shift", has=page.locator("[data-left=erased]"))
        assert shift.count() == 1 and shift.locator("strong").inner_text() == label
        assert "retiré : a quitté la coopérative" in shift.inner_text()
        assert label in shift.locator(".why").inner_text()  # "Ancien·ne coursier·e … travaille 6 h …"
        assert page.inner_text("#swaps").startswith(f"{label} demande à donner ce créneau à ")
        text = visible_text(page)
        assert not UUID.search(text) and "Former courier" not in text and "?" not in page.inner_text("#swaps")
        shot(page, "week-after-leaving-fr")
        phone = page.context.new_page()  # a colleague's phone, in French: Our day names them too
        phone.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
        stays = next(n for n, (cid, _, _) in world.couriers.items() if cid != gone)
        courier_log_in(phone, server, world, stays)
        phone.select_option("#lang", "fr")
        row = f"#ledger tr[data-courier-id='{gone}'] td"
        wait_until(phone, f'document.querySelector("{row}")?.textContent === {label!r}')
        assert not UUID.search(visible_text(phone)) and "Former courier" not in visible_text(phone)
        # the dispatcher's console in French: the fairness panel, today's and the 7 days', the same
        # (its /v1/couriers and ledger give the stored English label: the page words it)
        page.goto(f"{server.url}/console/?nomap")
        for table in ("fairness", "fairness-rolling"):
            cell = f"#{table} tr[data-courier-id='{gone}'] td"
            if table == "fairness-rolling":
                page.click("button[data-span='7']")
            wait_until(page, f'document.querySelector("{cell}")?.textContent === {label!r}')
        assert not UUID.search(visible_text(page)) and "Former courier" not in visible_text(page)
        page.select_option("#lang", "en")
        wait_until(page, f'document.querySelector("{cell}")?.textContent === "Former courier {gone[:8]}"')
