"""My hours on the courier's phone (issue 23 item 5), in a real browser against a real server,
under the pages' real Content Security Policy: a courier sees their own time sheet (worked,
breaks, the overtime dispatch decided, a stretch still open), a week at a time, in English and
French, downloads it as CSV (the very file the API gives them) and sees no colleague's row."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from dispatch import commands, overtime
from dispatch.events import Actor, ActorKind
from dispatch.store import Store
from tests.api.harness import Server, World, login, make_world
from tests.console.browser import browser, shot, wait_until
from tests.console.test_courier_page import PHONE
from tests.console.test_queue import serious

HELSINKI = ZoneInfo("Europe/Helsinki")  # the world's cooperative's timezone
NOTE = "stayed for the florist"  # the dispatcher's note: never on a courier's page


@pytest.fixture
def served(week_server: Server) -> tuple[Server, World, str]:
    """Last week's Wednesday: Aino 09:00-11:00 with a 15-minute pause and 35 minutes of overtime
    decided, Veera 10:00-13:00 with 50; today Aino's stretch is still running. Returns the
    Monday of last week too. A new cooperative's own, on the server the week's browser tests
    share (tests/console/conftest.py)."""
    url = week_server.env["DATABASE_URL"]
    world = make_world(url)
    now = datetime.now(HELSINKI)
    monday = now.date() - timedelta(days=now.weekday() + 7)
    wednesday = monday + timedelta(days=2)

    def at(hour: int, minute: int = 0) -> datetime:
        return datetime.combine(wednesday, time(hour, minute), tzinfo=HELSINKI)

    aino, veera = world.couriers["Aino"][0], world.couriers["Veera"][0]
    desk = Actor(ActorKind.DISPATCHER, "desk")
    store = Store.open(url)
    try:
        commands.start_shift(store, world.coop_id, aino, at=at(9))
        commands.pause_shift(store, world.coop_id, aino, at=at(9, 50))
        commands.resume_shift(store, world.coop_id, aino, at=at(10, 5))
        commands.end_shift(store, world.coop_id, aino, at=at(11))
        commands.start_shift(store, world.coop_id, veera, at=at(10))
        commands.end_shift(store, world.coop_id, veera, at=at(13))
        overtime.decide(store, world.coop_id, aino, wednesday.isoformat(), 35, note=NOTE, actor=desk, at=now)
        overtime.decide(store, world.coop_id, veera, wednesday.isoformat(), 50, note=NOTE, actor=desk, at=now)
        commands.start_shift(store, world.coop_id, aino, at=now)
    finally:
        store.close()
    return week_server, world, monday.isoformat()


def phone_log_in(page: Any, server: Server, world: World) -> None:
    """The phone's log-in, waited for through the debugging protocol (the policy forbids eval)."""
    _, user, password = world.couriers["Aino"]
    page.goto(f"{server.url}/courier")
    page.fill("input[name=cooperative_id]", world.coop_id)
    page.fill("input[name=login]", user)
    page.fill("input[name=password]", password)
    page.click("#login button[type=submit]")
    wait_until(page, "document.querySelectorAll('#hours-days tbody tr').length === 7")


def cell(page: Any, day: str, key: str) -> str:
    return str(page.inner_text(f"#hours-days tr[data-day='{day}'] td[data-k='{key}']"))


def test_a_courier_sees_and_downloads_their_own_hours(served: tuple[Server, World, str]) -> None:
    server, world, monday = served
    wednesday = (datetime.fromisoformat(monday) + timedelta(days=2)).date().isoformat()
    aino, veera = world.couriers["Aino"][0], world.couriers["Veera"][0]
    with browser(PHONE, enforce_csp=True) as page:
        phone_log_in(page, server, world)
        token = page.evaluate("JSON.parse(localStorage.getItem('tandem.courier.session')).token")
        phone = {"Authorization": f"Bearer {token}"}  # the phone's own session asks the API
        assert page.inner_text("#hours-title") == "My hours"
        today = datetime.now(HELSINKI).date().isoformat()
        assert page.get_attribute(f"#hours-days tr[data-day='{today}']", "data-open") == "true"
        assert "on shift: counted when it ends" in page.inner_text(f"#hours-days tr[data-day='{today}'] th")
        page.click("#hours-prev")
        wait_until(page, f"!!document.querySelector(\"#hours-days tr[data-day='{wednesday}']\")")
        assert page.evaluate("document.activeElement.id") == "hours-prev"  # the focus stays on the picker
        shown = [cell(page, wednesday, k) for k in ("worked", "breaks", "planned", "overtime", "cover")]
        assert shown == ["1:45", "0:15", "–", "0:35", "–"]
        footer = page.inner_text("#hours-days tfoot")
        assert "1:45" in footer and "0:35" in footer
        month = page.get_attribute("#hours-month", "data-month")
        mine = httpx.get(f"{server.url}/v1/timesheet/month", params={"month": month}, headers=phone, timeout=30).json()
        worked = round(mine["totals"][0]["worked_minutes"])
        assert f"{worked // 60}:{worked % 60:02d} worked" in page.inner_text("#hours-month")
        rolling = httpx.get(f"{server.url}/v1/ledger/rolling", params={"days": 28}, headers=phone, timeout=30).json()
        assert {r["courier_id"] for r in rolling["couriers"]} >= {aino, veera}  # the API's: everyone's
        assert page.inner_text("#hours-rolling tr[data-k=r_shift] td:last-child") == "1:45"  # the page: mine
        assert page.locator("#hours-rolling tbody tr").count() == 4
        section = page.inner_text("#hours")
        assert "Veera" not in section and "3:00" not in section and "0:50" not in section and NOTE not in section
        assert serious(page) == []  # axe-core: nothing critical or serious with My hours drawn
        shot(page, "my-hours-01-last-week")

        with page.expect_download() as download:
            page.click("#hours button[data-download=week][data-form=csv]")
        saved = Path(download.value.path()).read_text(encoding="utf-8")
        assert download.value.suggested_filename == f"timesheet-{monday}.csv"
        api = httpx.get(f"{server.url}/v1/week/timesheet.csv", params={"week": monday}, headers=phone, timeout=30)
        assert saved == api.text and aino in saved and veera not in saved
        assert f"{aino},Aino,{wednesday},105.0,15.0,0.0" in saved and saved.rstrip().endswith(",35.0")
        wait_until(page, "document.querySelector('#hours-status').textContent.includes('timesheet-')")
        # dispatch decides again: the phone's My hours follows the courier's own OvertimeDecided
        desk_token = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        desk = {"Authorization": f"Bearer {desk_token}"}
        again = {"courier_id": aino, "day": wednesday, "minutes": 40, "note": NOTE}
        assert httpx.post(f"{server.url}/v1/week/overtime", json=again, headers=desk, timeout=30).status_code == 200
        cell_of = f"#hours-days tr[data-day='{wednesday}'] td[data-k='overtime']"
        wait_until(page, f"document.querySelector(\"{cell_of}\").textContent === '0:40'")

        page.select_option("#lang", "fr")
        assert page.inner_text("#hours-title") == "Mes heures"
        assert page.inner_text("#hours-week").startswith("Semaine du ")
        assert "Heures sup." in page.inner_text("#hours-days thead")
        assert cell(page, wednesday, "overtime") == "0:40" and cell(page, wednesday, "worked") == "1:45"
        assert "d'heures sup." in page.inner_text("#hours-month")
        assert page.inner_text("#hours button[data-download=week][data-form=xlsx]") == "Cette semaine · tableur (xlsx)"
        assert page.inner_text("#hours-status") == f"timesheet-{monday}.csv enregistré."
        shot(page, "my-hours-02-french")
