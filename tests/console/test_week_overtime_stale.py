"""The week page's overtime from a stale sheet (issue 23), in a real browser against a real
server: the page sends the time sheet's seq with a decision, so when another dispatcher decided
the same day after the page read it, the page's decision is refused saying who decided what,
the sheet is read again to show what stands, and deciding again from it goes through."""

from __future__ import annotations

import httpx

from tests.api.harness import Server, World, login
from tests.console.browser import browser, console_log_in, wait_until
from tests.console.test_week_page import _worked_today, served  # noqa: F401 (the fixture)


def test_the_week_page_refuses_overtime_decided_from_a_stale_sheet(served: tuple[Server, World]) -> None:  # noqa: F811
    server, world = served
    aino, today = _worked_today(server, world)
    with browser() as page:
        console_log_in(page, server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        page.goto(f"{server.url}/console/week.html")
        wait_until(page, "window.__week && window.__week.ready === true")
        row = f"#timesheet tr[data-sheet='{aino} {today}']"
        page.wait_for_selector(row)
        # another desk decides Aino's day behind this page's back
        token = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        other = {"courier_id": aino, "day": today, "minutes": 50}
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.post(f"{server.url}/v1/week/overtime", json=other, headers=headers, timeout=30).status_code == 200
        page.fill(f"{row} input[data-field=overtime]", "35")
        page.click(f"{row} button[data-act=overtime]")
        wait_until(page, "document.querySelector('#week-error').textContent.includes('changed since you looked')")
        said = page.inner_text("#week-error")
        assert "the overtime of Aino" in said and "decided 50 min" in said, said
        # the sheet was read again: what stands is on show, and the page's next decision is on it
        wait_until(page, f"document.querySelector(\"{row} td[data-overtime]\").dataset.overtime === '50'")
        page.fill(f"{row} input[data-field=overtime]", "35")
        page.click(f"{row} button[data-act=overtime]")
        wait_until(page, f"document.querySelector(\"{row} td[data-overtime]\").dataset.overtime === '35'")
        assert page.inner_text("#week-error") == ""
    listed = httpx.get(f"{server.url}/v1/week/overtime", headers=headers, timeout=30).json()["decisions"]
    assert [(d["courier_id"], d["day"], d["minutes"]) for d in listed] == [(aino, today, 35)]
