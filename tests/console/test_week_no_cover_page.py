"""Choosing no one on the week page, in a real browser (issue 23): after an absence, *No one*
is logged (``NoCoverPicked``, with whom the rota offered), the shift says so, and *Who could
cover?* stays, so a dispatcher can come back to it and pick someone later."""

from __future__ import annotations

import httpx

from tests.api.harness import Server, World, login
from tests.console import test_week_page
from tests.console.browser import browser, wait_until

served = test_week_page.served


def test_no_one_is_logged_and_a_cover_can_still_be_picked(served: tuple[Server, World]) -> None:
    server, world = served
    with browser() as page:
        test_week_page.publish_on_the_week_page(page, server, world)
        first = page.locator("#shifts li.shift").first
        absent_id = first.get_attribute("data-shift")
        first.locator("button[data-act=absent]").click()
        shift = page.locator(f'li.shift[data-shift="{absent_id}"]')
        wait_until(page, f"!!document.querySelector('li[data-shift=\"{absent_id}\"] .covers li')")
        shift.locator("button[data-act=no-cover]").click()
        wait_until(page, f"!!document.querySelector('li[data-shift=\"{absent_id}\"] [data-no-cover]')")
        assert "no one picked" in shift.locator("[data-no-cover]").inner_text()
        assert shift.locator(".covers li").count() == 0  # the list is closed...
        shift.locator("button[data-act=find-cover]").click()  # ...and can be opened again
        wait_until(page, f"!!document.querySelector('li[data-shift=\"{absent_id}\"] .covers li')")
        shift.locator(".covers li").first.locator("button[data-act=cover]").click()
        wait_until(page, f"!!document.querySelector('li[data-shift=\"{absent_id}\"] .tag.covered')")
    token = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
    headers = {"Authorization": f"Bearer {token}"}
    events = httpx.get(f"{server.url}/v1/events", headers=headers, timeout=30).json()["events"]
    week_events = [e for e in events if e["type"] in ("AbsenceRecorded", "NoCoverPicked", "CoverAssigned")]
    assert [e["type"] for e in week_events] == ["AbsenceRecorded", "NoCoverPicked", "CoverAssigned"]
    assert week_events[1]["payload"]["shift_id"] == absent_id and week_events[1]["payload"]["offered"]
