"""The courier's phone page (issue 23), in a real browser against a real server: a courier
enters their availability (weekly hours, an exception, a holiday) under "My week", is told
what was saved, sees it in French and after a reload, and the dispatcher's week shows it; a
Save after a dispatcher declared meanwhile is refused, said so, and the courier's unsaved
change is kept on top of what stands, to save again."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from tests.api.harness import Server, World, login, make_world
from tests.console.browser import browser, shot
from tests.console.test_courier_page import PHONE, courier_log_in


@pytest.fixture
def served(week_server: Server) -> tuple[Server, World]:
    """The server the week's browser tests share (tests/console/conftest.py) and a new
    cooperative on it: its couriers' availability is its own, whatever ran before."""
    return week_server, make_world(week_server.env["DATABASE_URL"])


def test_a_courier_enters_availability_on_the_phone(served: tuple[Server, World]) -> None:
    server, world = served
    today = date.today()
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=1)
    tuesday, wednesday = monday + timedelta(days=1), monday + timedelta(days=2)
    with browser(PHONE) as page:
        courier_log_in(page, server, world)
        page.wait_for_selector("#avail-weekly li.note")
        assert page.inner_text("#avail-title") == "My week"
        for weekday, start, end in (("0", "10:00", "16:00"), ("1", "09:00", "13:00"), ("2", "10:00", "16:00")):
            page.select_option("#avail-add select[name=weekday]", weekday)
            page.fill("#avail-add input[name=start]", start)
            page.fill("#avail-add input[name=end]", end)
            page.click("#avail-add button[type=submit]")
        page.fill("#avail-add input[name=start]", "18:00")  # an end before its start is refused at once
        page.fill("#avail-add input[name=end]", "17:00")
        page.click("#avail-add button[type=submit]")
        assert "after the start" in page.inner_text("#avail-error")
        assert page.locator("#avail-weekly li").count() == 3
        form = "#avail-off-add"
        page.select_option(f"{form} select[name=kind]", "hours")  # next Tuesday: only 10-12
        page.fill(f"{form} input[name=first]", tuesday.isoformat())
        page.fill(f"{form} input[name=start]", "10:00")
        page.fill(f"{form} input[name=end]", "12:00")
        page.click(f"{form} button[type=submit]")
        page.select_option(f"{form} select[name=kind]", "holiday")  # next Wednesday: a holiday
        page.fill(f"{form} input[name=first]", wednesday.isoformat())
        page.fill(f"{form} input[name=last]", wednesday.isoformat())
        page.click(f"{form} button[type=submit]")
        assert page.locator("#avail-off li").count() == 2
        assert page.get_attribute("#avail-status", "data-state") == "unsaved"
        page.click("#avail-save")
        page.wait_for_selector("#avail-status[data-state=saved]")
        saved = page.inner_text("#avail-status")
        assert "3 weekly window(s), 1 exception(s), 1 holiday(s)" in saved and "Dispatch sees it now" in saved
        shot(page, "availability-01-saved")
        page.select_option("#lang", "fr")
        assert page.inner_text("#avail-title") == "Mes disponibilités"
        assert "seulement 10:00–12:00" in page.inner_text("#avail-off")
        page.reload()
        page.wait_for_selector("#avail-weekly li button[data-remove]")
        assert page.locator("#avail-weekly li").count() == 3 and page.locator("#avail-off li").count() == 2
        shot(page, "availability-02-french-after-reload")

        # unsaved on the phone: Thursday 10-12; meanwhile a dispatcher declares a holiday for Aino
        page.select_option("#avail-add select[name=weekday]", "3")
        page.fill("#avail-add input[name=start]", "10:00")
        page.fill("#avail-add input[name=end]", "12:00")
        page.click("#avail-add button[type=submit]")
        away = {
            "first_day": (monday + timedelta(weeks=4)).isoformat(),
            "last_day": (monday + timedelta(weeks=4)).isoformat(),
        }
        holiday_added(server, world, (world.dispatcher_login, world.dispatcher_password), "Aino", away)
        page.click("#avail-save")  # refused: declared since the phone read it; made again on what stands
        page.wait_for_function("document.querySelector('#avail-error').textContent !== ''")
        changed = page.inner_text("#avail-error")
        assert "les disponibilités de Aino ont changé depuis que vous les avez lues" in changed, changed
        assert "une personne de la répartition les a déclarées à nouveau" in changed, changed
        assert "avec tes changements non enregistrés par-dessus" in changed, changed
        assert page.get_attribute("#avail-status", "data-state") == "unsaved"
        assert page.locator("#avail-weekly li").count() == 4 and page.locator("#avail-off li").count() == 3
        page.click("#avail-save")
        page.wait_for_selector("#avail-status[data-state=saved]")
        assert "4 plage(s) par semaine, 1 exception(s), 2 congé(s)" in page.inner_text("#avail-status")

    token = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
    week = httpx.get(
        f"{server.url}/v1/week",
        params={"week": monday.isoformat()},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    aino = world.couriers["Aino"][0]
    assert next(c for c in week["couriers"] if c["id"] == aino)["declared"] is True
    hours = {(h["day"], h["hour"]) for h in week["hours"] if aino in h["available"]}
    thursday = (monday + timedelta(days=3)).isoformat()
    assert hours == {(monday.isoformat(), h) for h in range(10, 16)} | {
        (day, h) for day in (tuesday.isoformat(), thursday) for h in (10, 11)
    }


def holiday_added(server: Server, world: World, by: tuple[str, str], courier: str, holiday: dict[str, str]) -> None:
    """Someone (``by``: their login and password) reads ``courier``'s availability and declares it
    again with ``holiday`` added, from that read: what another page does meanwhile."""
    auth = {"Authorization": f"Bearer {login(server.url, world.coop_id, *by)}"}
    path = f"{server.url}/v1/couriers/{world.couriers[courier][0]}/availability"
    read = httpx.get(path, headers=auth, timeout=30).json()
    body = {k: read[k] for k in ("weekly", "exceptions")} | {"holidays": [*read["holidays"], holiday]}
    saved = httpx.put(path, json={**body, "expected_seq": read["seq"]}, headers=auth, timeout=30)
    assert saved.status_code == 200, saved.text
