"""An absence for today on the week page, in a real browser (issue 23): the courier riding now is
stopped as "must stop" stops them, and the page says so (their job back to the open jobs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch import commands
from dispatch.availability import declare
from dispatch.events import Actor, ActorKind
from dispatch.model import JobRequest, Parcel, Place, TimeWindow
from dispatch.store import Store
from dispatch.week import edit, monday_of, propose, publish, week_state
from tests.api.harness import Server, World, make_world
from tests.console.browser import browser, console_log_in, wait_until
from tests.dispatch.helsinki import KAMPPI, MARKET


@pytest.fixture
def riding(week_server: Server) -> tuple[Server, World]:
    """Lou on this week's published rota today, on shift now with a job in hand: a new
    cooperative's own, on the server the week's browser tests share (tests/console/conftest.py)."""
    url = week_server.env["DATABASE_URL"]
    world = make_world(url, riders=(("Lou", "bike"),))
    coop, lou, desk = world.coop_id, world.couriers["Lou"][0], Actor(ActorKind.DISPATCHER, "setup")
    store = Store.open(url)
    try:
        now = datetime.now(ZoneInfo(store.cooperative(coop).timezone))
        whole = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]}
        declare(store, coop, lou, whole, actor=desk, at=now)
        monday, start = monday_of(now.date()), min(now.hour, 20)
        propose(store, coop, monday, actor=desk, now=datetime.now(UTC))
        for s in week_state(store, coop).rota(monday).draft or []:
            edit(store, coop, monday, {"action": "remove", "shift_id": s["id"]}, actor=desk, at=now)
        add = {"action": "add", "courier_id": lou, "day": now.date().isoformat(), "start_h": start, "end_h": start + 4}
        edit(store, coop, monday, add, actor=desk, at=now)
        publish(store, coop, monday, actor=desk, at=now)
        commands.start_shift(store, coop, lou, at=now - timedelta(minutes=5))
        window = TimeWindow(now, now + timedelta(hours=3))
        request = JobRequest(Place(*MARKET), Place(*KAMPPI), window, window, (Parcel(3, 10, 30),))
        client = store.add_client(coop, "Shop")[0].id
        job = commands.request_job(store, coop, client, request, at=now - timedelta(minutes=2)).id
        commands.override(store, coop, job, lou, dispatcher_id="setup", at=now - timedelta(minutes=1))
    finally:
        store.close()
    return week_server, world


def test_an_absence_for_today_stops_the_courier_and_the_page_says_so(riding: tuple[Server, World]) -> None:
    server, world = riding
    with browser() as page:
        console_log_in(page, server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        page.goto(f"{server.url}/console/week.html")
        wait_until(page, "window.__week && window.__week.ready === true")
        page.click("#prev-week")  # the page opens on next week; today is in this one
        wait_until(page, "document.querySelectorAll('#shifts li.shift button[data-act=absent]').length === 1")
        page.click("#shifts li.shift button[data-act=absent]")
        wait_until(page, "document.querySelector('#week-notice').textContent.includes('stopped now')")
        assert "1 job(s) back to the open jobs" in page.inner_text("#week-notice")
