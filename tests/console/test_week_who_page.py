"""Who is available, and a dispatcher entering a courier's availability, on the week page in a real
browser against a real server (issue 23, item 1): the who-panel answers for now and for any hour
picked (a grid cell or the time field) with each courier's until-time, on-shift and rota marks, one
request per pick; a dispatcher enters availability for a courier and the grid and the panel show
it, a refusal said in the server's words; the gaps list names an hour where demand is expected and
nobody is available, and not one that is covered."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from dispatch import commands
from dispatch.store import Store
from tests.api.harness import Server, World, login
from tests.console import test_week_page
from tests.console.browser import browser, console_log_in, shot, wait_until
from tests.console.test_availability_phone import holiday_added
from tests.console.test_queue import serious

HELSINKI = test_week_page.HELSINKI


def _evening_demand_and_aino_on_shift(url: str, world: World) -> None:
    """Six jobs last Monday at 18:05, when nobody declares themself available (all are free
    10-16), so the coming Monday's 18:00 is a gap; Aino on shift now."""
    store = Store.open(url)
    try:
        test_week_page.six_jobs_last_monday(store, world.coop_id, "Florist", hour=18, open_for=timedelta(minutes=50))
        commands.start_shift(store, world.coop_id, world.couriers["Aino"][0], at=datetime.now(HELSINKI))
    finally:
        store.close()


@pytest.fixture
def served(week_server: Server) -> tuple[Server, World]:
    """The rota's browser test's week (Aino, Veera and Lou free 10-16 on weekdays, six jobs last
    Monday noon) with evening demand nobody covers, and Aino on shift: a new cooperative's own,
    on the server the week's browser tests share (tests/console/conftest.py)."""
    url = week_server.env["DATABASE_URL"]
    world = test_week_page._set_up_week(url)
    _evening_demand_and_aino_on_shift(url, world)
    return week_server, world


def _week_page(page: Any, server: Server, world: World) -> list[str]:
    """The week page logged in from a browser in another zone than the cooperative's (a picked
    hour is the cooperative's, Helsinki's, whatever the browser's clock says); the /v1/week/who
    requests it makes, recorded."""
    page.context.new_cdp_session(page).send("Emulation.setTimezoneOverride", {"timezoneId": "America/New_York"})
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/v1/week/who" in r.url else None)
    console_log_in(page, server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
    page.goto(f"{server.url}/console/week.html")
    wait_until(page, "window.__week && window.__week.ready === true")
    return asked


def _pick(page: Any, day: date, hour: int) -> None:
    """Click the grid's cell of ``day`` at ``hour`` and wait for the panel to answer for it."""
    page.click(f"#hours td[data-hour='{day.isoformat()} {hour}'] button")
    wait_until(page, f"document.querySelector('#who-list').dataset.at === '{day.isoformat()}T{hour:02d}:00'")


def _who(page: Any) -> dict[str, dict[str, Any]]:
    """The panel's couriers by name: until-time, on-shift and rota marks, in the order shown."""
    rows: list[dict[str, Any]] = page.eval_on_selector_all(
        "#who-list li[data-who]",
        """items => items.map((li) => ({
            name: li.querySelector('strong').textContent,
            until: li.querySelector('.until')?.dataset.until ?? null,
            on_shift: !!li.querySelector('[data-on-shift]'),
            on_rota: !!li.querySelector('[data-on-rota]'),
            text: li.textContent,
        }))""",
    )
    return {r["name"]: r for r in rows}


def test_the_who_panel_names_who_is_available_until_when_and_on_shift(served: tuple[Server, World]) -> None:
    server, world = served
    with browser() as page:
        asked = _week_page(page, server, world)
        wait_until(page, "document.querySelector('#who-list').dataset.at === 'now'")
        assert page.inner_text("#who-label").startswith("Now (")
        # "now" on the cooperative's clock, not the New York browser's: the label and the field
        helsinki = datetime.now(ZoneInfo("Europe/Helsinki"))
        clocks = {(helsinki - timedelta(minutes=m)).strftime("%H:%M") for m in (0, 1)}
        assert any(f" {t})" in page.inner_text("#who-label") for t in clocks), page.inner_text("#who-label")
        assert page.input_value("#who-pick input[name=at]")[11:16] in clocks
        assert len(asked) == 1 and "at=" not in asked[0]  # now, by default
        page.click("#propose")
        wait_until(page, "document.querySelector('#rota-state').dataset.state === 'draft'")
        page.click("#publish")
        wait_until(page, "document.querySelector('#rota-state').dataset.state === 'published'")
        monday = date.fromisoformat(page.evaluate("window.__week.week"))
        shifts = page.evaluate("window.__week.view.published.shifts")
        noon = [s for s in shifts if s["day"] == monday.isoformat() and s["start_h"] <= 12 < s["end_h"]]
        on_at_noon = {s["courier_id"] for s in noon}
        assert on_at_noon, shifts

        _pick(page, monday, 12)
        assert len(asked) == 2 and "at=" in asked[1]
        who = _who(page)
        assert list(who) == ["Aino", "Lou", "Veera"]  # by name, never by a figure
        assert {name: r["until"] for name, r in who.items()} == dict.fromkeys(who, "16:00")
        assert all("until 16:00 (4 h left)" in r["text"] for r in who.values()), who
        assert [n for n, r in who.items() if r["on_shift"]] == ["Aino"]
        ids = {name: c[0] for name, c in world.couriers.items()}
        assert {n for n, r in who.items() if r["on_rota"]} == {n for n, i in ids.items() if i in on_at_noon}
        assert page.locator("#hours td.picked").get_attribute("data-hour") == f"{monday.isoformat()} 12"
        assert serious(page) == []  # axe-core: the panel and the clickable grid
        shot(page, "week-who-01-monday-noon")

        saturday = monday + timedelta(days=5)
        _pick(page, saturday, 12)  # nobody declared: only Aino, on shift
        assert len(asked) == 3
        who = _who(page)
        assert list(who) == ["Aino"] and who["Aino"]["until"] is None and who["Aino"]["on_shift"]
        assert "not declared available" in who["Aino"]["text"] and not who["Aino"]["on_rota"]
        assert "Nobody is available at that time." in page.inner_text("#who-list")

        page.fill("#who-pick input[name=at]", f"{monday.isoformat()}T15:30")  # the time field
        page.click("#who-pick button[type=submit]")
        wait_until(page, f"document.querySelector('#who-list').dataset.at === '{monday.isoformat()}T15:30'")
        assert len(asked) == 4
        assert all("until 16:00 (30 min left)" in r["text"] for r in _who(page).values())
        assert "3 available" in page.inner_text("#who-label")


def test_a_dispatcher_enters_a_courier_s_availability(served: tuple[Server, World]) -> None:
    server, world = served
    with browser() as page:
        asked = _week_page(page, server, world)
        monday = date.fromisoformat(page.evaluate("window.__week.week"))
        saturday, tuesday = monday + timedelta(days=5), monday + timedelta(days=1)
        assert page.inner_text(f"#hours td[data-hour='{saturday.isoformat()} 8']").startswith("0 /")
        assert page.inner_text(f"#hours td[data-hour='{tuesday.isoformat()} 12']").startswith("3 /")
        page.select_option("#avail-courier", label="Lou")
        wait_until(page, "document.querySelectorAll('#avail-list li[data-kind=weekly]').length === 5")
        refused = _add_weekly(page, "5", "11:00", "09:00", "#avail-error")  # refused by the server, in its words
        assert refused.startswith("Not saved for Lou:"), refused
        assert "a window ends after it starts, inside one day (11:00-09:00)" in refused, refused
        done = _add_weekly(page, "5", "08:00", "11:00", "#avail-done")
        assert done.startswith("Saved for Lou: added every Saturday 08:00–11:00."), done
        assert "6 weekly window(s)" in done, done
        assert page.inner_text("#avail-error") == ""
        assert page.inner_text(f"#hours td[data-hour='{saturday.isoformat()} 8']").startswith("1 /")  # the grid
        before = len(asked)
        _pick(page, saturday, 8)  # the panel
        assert len(asked) == before + 1
        who = _who(page)
        assert who["Lou"]["until"] == "11:00" and "(3 h left)" in who["Lou"]["text"], who
        assert [n for n, r in who.items() if r["until"]] == ["Lou"]

        page.fill("#avail-holiday input[name=first]", tuesday.isoformat())  # a holiday next Tuesday
        page.fill("#avail-holiday input[name=last]", tuesday.isoformat())
        page.click("#avail-holiday button[type=submit]")
        wait_until(page, "document.querySelector('#avail-done').textContent.includes('1 holiday(s)')")
        assert page.inner_text(f"#hours td[data-hour='{tuesday.isoformat()} 12']").startswith("2 /")
        assert page.locator("#avail-list li[data-kind=holidays]").count() == 1
        assert serious(page) == []  # axe-core: the availability forms and the list
        shot(page, "week-who-02-availability-entered")

        # Lou saves a holiday on the phone between this page's read and its PUT: the PUT is refused
        # (a 409 naming Lou), Lou's holiday stands and is shown, the form keeps what was typed
        friday = monday + timedelta(days=4)
        phone_holiday = {"first_day": friday.isoformat(), "last_day": friday.isoformat()}
        page.route("**/v1/couriers/*/availability", _phone_saves_first(server, world, phone_holiday))
        changed = _add_weekly(page, "6", "09:00", "10:00", "#avail-error")
        assert changed.startswith("the availability of Lou changed since you read it: Lou saved it again"), changed
        assert "the form keeps what you typed" in changed, changed
        assert page.locator("#avail-list li[data-kind=holidays]").count() == 2  # Lou's holiday, read again
        assert page.locator("#avail-list li[data-kind=weekly]").count() == 6  # Sunday's was not written
        assert page.input_value("#avail-weekly input[name=start]") == "09:00"
        page.unroute("**/v1/couriers/*/availability")
        page.click("#avail-weekly button[type=submit]")  # made again on what stands now
        wait_until(page, "document.querySelector('#avail-done').textContent.includes('7 weekly window(s)')")
        assert page.inner_text("#avail-error") == ""
    token = login(server.url, world.coop_id, world.dispatcher_login, world.dispatcher_password)
    lou = world.couriers["Lou"][0]
    kept = httpx.get(
        f"{server.url}/v1/couriers/{lou}/availability", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ).json()
    assert {"weekday": 5, "start": "08:00", "end": "11:00"} in kept["weekly"] and len(kept["weekly"]) == 7
    assert kept["holidays"] == [{"first_day": tuesday.isoformat(), "last_day": tuesday.isoformat()}, phone_holiday]


def _phone_saves_first(server: Server, world: World, holiday: dict[str, str]) -> Any:
    """A route handler that lets the page's reads through and, before the page's first PUT goes
    on, has Lou's phone declare ``holiday`` on top of what Lou has (from the phone's own read)."""
    done: list[bool] = []

    def handle(route: Any) -> None:
        if route.request.method == "PUT" and not done:
            done.append(True)
            _, user, password = world.couriers["Lou"]
            holiday_added(server, world, (user, password), "Lou", holiday)
        route.continue_()

    return handle


def _add_weekly(page: Any, weekday: str, start: str, end: str, answer: str) -> str:
    """Add weekly hours with the week page's form and wait for ``answer`` (``#avail-done`` or
    ``#avail-error``) to say something: what it says."""
    form = "#avail-weekly"
    page.select_option(f"{form} select[name=weekday]", weekday)
    page.fill(f"{form} input[name=start]", start)
    page.fill(f"{form} input[name=end]", end)
    page.click(f"{form} button[type=submit]")
    wait_until(page, f"document.querySelector('{answer}').textContent !== ''")
    return str(page.inner_text(answer))


def test_the_gaps_list_names_an_hour_nobody_covers_and_the_panel_says_so(served: tuple[Server, World]) -> None:
    """In French: the gaps list and the who-panel say it in the page's language."""
    server, world = served
    with browser() as page:
        page.add_init_script("localStorage.setItem('tandem.lang', 'fr')")
        _week_page(page, server, world)
        monday = date.fromisoformat(page.evaluate("window.__week.week"))
        gaps = page.inner_text("#gaps")
        assert "18 h — il manque " in gaps and "Aucun manque." not in gaps, gaps
        assert "12 h — " not in gaps, gaps  # noon has three available
        evening = f"#hours td[data-hour='{monday.isoformat()} 18']"
        assert page.locator(f"{evening}.gap").count() == 1
        assert page.locator(f"#hours td.gap[data-hour='{monday.isoformat()} 12']").count() == 0
        _pick(page, monday, 18)
        assert page.inner_text("#who-list").startswith("Personne n'est disponible à ce moment-là.")
        assert [n for n, r in _who(page).items() if r["until"]] == []
        _pick(page, monday, 12)
        who = _who(page)
        assert [n for n, r in who.items() if r["until"]] == ["Aino", "Lou", "Veera"]
        assert "jusqu'à 16:00 (encore 4 h)" in who["Lou"]["text"] and "en service maintenant" in who["Aino"]["text"]
        assert ": 3 disponible(s)" in page.inner_text("#who-label")
