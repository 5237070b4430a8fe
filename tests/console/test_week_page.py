"""The week page in a real browser against a real server (issue 23): a dispatcher asks for a
rota proposal, sees why each shift is there, removes one shift and publishes the rest.

``served`` is the week these tests and test_week_absence_page, test_week_no_cover_page,
test_week_after_leaving_page, test_week_overtime_stale and test_my_shifts_phone share: one
server for them all (``week_server``), a cooperative of its own per test."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import update

from dispatch import commands
from dispatch.availability import declare
from dispatch.events import Actor, ActorKind
from dispatch.model import JobRequest, Parcel, Place, TimeWindow
from dispatch.store import Store
from dispatch.store.schema import CooperativeRow
from tests.api.harness import Server, World, login, make_world
from tests.console.browser import browser, console_log_in, shot, wait_until
from tests.console.test_french import english_fragments, visible_text
from tests.console.test_queue import serious

HELSINKI = ZoneInfo("Europe/Helsinki")


def _set_up_week(url: str) -> World:
    """Three couriers free every weekday 10-16; six jobs requested last Monday at noon."""
    world = make_world(url, riders=(("Lou", "bike"),))
    store = Store.open(url)
    try:
        with store.engine.begin() as conn:
            rota = {"rota": {"time_limit_s": 1, "first_h": 8, "last_h": 20}}
            conn.execute(update(CooperativeRow).where(CooperativeRow.id == world.coop_id).values(settings=rota))
        desk = Actor(ActorKind.DISPATCHER, "setup")
        windows = {"weekly": [{"weekday": d, "start": "10:00", "end": "16:00"} for d in range(5)]}
        for courier_id, _, _ in world.couriers.values():
            declare(store, world.coop_id, courier_id, windows, actor=desk, at=datetime.now(HELSINKI))
        six_jobs_last_monday(store, world.coop_id, "Bakery", hour=12, open_for=timedelta(hours=2))
    finally:
        store.close()
    return world


def six_jobs_last_monday(store: Store, coop_id: str, client: str, *, hour: int, open_for: timedelta) -> None:
    """Six jobs requested last Monday at ``hour``:05, a minute apart: the forecast's history,
    so that the coming Monday expects them at that hour."""
    today = datetime.now(HELSINKI).date()
    monday = today - timedelta(days=today.weekday() + 7)
    at = datetime(monday.year, monday.month, monday.day, hour, 5, tzinfo=HELSINKI)
    window = TimeWindow(at, at + open_for)
    request = JobRequest(Place(24.9414, 60.1710), Place(24.9525, 60.1675), window, window, (Parcel(4, 10, 30),))
    client_id = store.add_client(coop_id, client)[0].id
    for i in range(6):
        commands.request_job(store, coop_id, client_id, request, at=at + timedelta(minutes=i))


def _worked_today(server: Server, world: World) -> tuple[str, str]:
    """Aino worked a stretch today that closed a moment ago: their id and the local day."""
    aino = world.couriers["Aino"][0]
    now = datetime.now(HELSINKI)
    start = max(now - timedelta(hours=2), now.replace(hour=0, minute=0, second=0, microsecond=0))
    store = Store.open(server.env["DATABASE_URL"])
    try:
        commands.start_shift(store, world.coop_id, aino, at=start)
        commands.end_shift(store, world.coop_id, aino, at=start + (now - start) / 2)
    finally:
        store.close()
    return aino, now.date().isoformat()


def publish_on_the_week_page(page: Any, server: Server, world: World) -> None:
    """A dispatcher logs in, opens the week page, proposes the rota and publishes it."""
    console_log_in(page, server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
    page.goto(f"{server.url}/console/week.html")
    wait_until(page, "window.__week && window.__week.ready === true")
    page.click("#propose")
    wait_until(page, "document.querySelector('#rota-state').dataset.state === 'draft'")
    page.click("#publish")
    wait_until(page, "document.querySelector('#rota-state').dataset.state === 'published'")


@pytest.fixture
def served(week_server: Server) -> tuple[Server, World]:
    """The shared server (tests/console/conftest.py) and a week of a new cooperative's own on it:
    the rota's settings, the couriers' availability and last Monday's jobs are that cooperative's,
    so no test sees another's shifts, time sheet or log, whatever the order."""
    return week_server, _set_up_week(week_server.env["DATABASE_URL"])


def test_a_dispatcher_proposes_a_rota_removes_a_shift_and_publishes(served: tuple[Server, World]) -> None:
    server, world = served
    with browser() as page:
        page.goto(f"{server.url}/console/week.html")  # no session yet: the console's log-in first
        page.wait_for_url(f"{server.url}/console/")
        console_log_in(page, server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        page.click("#to-week")  # the console's link
        wait_until(page, "window.__week && window.__week.ready === true")
        assert page.get_attribute("#rota-state", "data-state") == "none"
        page.click("#propose")
        wait_until(page, "document.querySelector('#rota-state').dataset.state === 'draft'")
        shifts = page.locator("#shifts li.shift")
        proposed = shifts.count()
        assert proposed >= 1
        assert "courier(s) expected at 12:00" in page.inner_text("#shifts li.shift .why")
        assert page.locator("#hours td.covered").count() >= 1  # the noon that wanted couriers has them
        shot(page, "week-01-proposed")
        assert serious(page) == []  # axe-core: nothing critical or serious on the week page
        gone = shifts.first.get_attribute("data-shift")
        shifts.first.locator("button[data-act=remove]").click()
        wait_until(page, f"!document.querySelector('[data-shift=\"{gone}\"]')")
        assert page.locator("#shifts li.shift").count() == proposed - 1
        page.click("#publish")
        wait_until(page, "document.querySelector('#rota-state').dataset.state === 'published'")
        assert page.is_disabled("#publish")
        shot(page, "week-02-published")
        # the time sheet opens on the week holding today, whatever week the rota shows (the coming one)
        sheet = page.evaluate("[window.__week.sheet.first_day, window.__week.sheet.today, window.__week.week]")
        first = date.fromisoformat(sheet[0])
        assert first <= date.fromisoformat(sheet[1]) < first + timedelta(days=7) and sheet[2] != sheet[0], sheet
        # the time sheet's next week (the rota just published): days to come, Decide disabled, said why
        page.click("#sheet-next")
        to_come = page.locator("#timesheet tr[data-sheet]")
        to_come.first.wait_for()
        assert to_come.first.locator("button[data-act=overtime]").is_disabled()
        assert "Not begun yet" in to_come.first.locator("[data-why=not_begun]").inner_text()
        aino, today = _worked_today(server, world)
        page.click("#sheet-prev")  # back to this week, where the sheet opened: what was worked, decided per day
        row = f"#timesheet tr[data-sheet='{aino} {today}']"
        page.wait_for_selector(row)
        assert not page.is_disabled(f"{row} button[data-act=overtime]")
        assert serious(page) == []  # the time sheet's fields are labelled
        page.fill(f"{row} input[data-field=overtime]", "35")
        page.click(f"{row} button[data-act=overtime]")
        wait_until(page, f"document.querySelector(\"{row} td[data-overtime]\").dataset.overtime === '35'")
        shot(page, "week-03-overtime")
    token = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
    decided = httpx.get(f"{server.url}/v1/week/overtime", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert [(d["courier_id"], d["day"], d["minutes"]) for d in decided.json()["decisions"]] == [(aino, today, 35)]
    week = httpx.get(f"{server.url}/v1/week", headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
    published = week["published"]
    assert published["version"] == 1 and week["draft"] is None
    assert len(published["shifts"]) == proposed - 1 and gone not in {s["id"] for s in published["shifts"]}


def test_in_french_the_rota_s_reasons_are_french(served: tuple[Server, World]) -> None:
    """Issue 17 item 1: a shift's why is reasons the page says from the server's catalogue in the
    selected language, with names, not ids; no English phrase of a reason is left on the page."""
    server, world = served
    with browser() as page:
        page.add_init_script("localStorage.setItem('tandem.lang', 'fr')")
        console_log_in(page, server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
        page.click("#to-week")
        wait_until(page, "window.__week && window.__week.ready === true")
        page.click("#propose")
        wait_until(page, "document.querySelector('#rota-state').dataset.state === 'draft'")
        why = page.inner_text("#shifts li.shift .why")
        assert why.startswith("jusqu'à ") and " travaille " in why and "reste" in why, why
        assert any(name in why for name in world.couriers) and not any(c[0] in why for c in world.couriers.values())
        text = visible_text(page)
        left = [phrase for phrase in english_fragments() if phrase in text]
        assert not left, left
        quiet = page.get_attribute("#hours td[data-hour$=' 19']", "title") or ""
        assert quiet.startswith("aucune course demandée"), quiet
        noon = page.eval_on_selector_all("#hours td[data-hour$=' 12']", "cells => cells.map((c) => c.title)")
        assert any(t.startswith("6 courses à enlever le lundi de 12 h à 13 h") for t in noon), noon
        note = page.inner_text("#forecast-note")
        assert note.startswith("moyenne des ") and "rythme : aucune livraison" in note, note
        page.click("#publish")  # the coming week's planned days in the time sheet: not to decide yet, said in French
        wait_until(page, "document.querySelector('#rota-state').dataset.state === 'published'")
        page.click("#sheet-next")
        page.locator("#timesheet [data-why=not_begun]").first.wait_for()
        assert page.locator("#timesheet [data-why=not_begun]").first.inner_text().startswith("Pas encore commencé")
